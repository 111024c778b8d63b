#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "harness/backend/backend.hpp"
#include "harness/core/error.hpp"
#include "harness/io/checkpoint.hpp"
#include "harness/lm/language_model.hpp"
#include "tests/unit/lm/id_tokenizer.hpp"
#include "tests/unit/test_paths.hpp"

using namespace tb;

namespace {

// One token per lower-case letter (a=1 ...), except that "xy" is a single token 100: a merge
// that can straddle a context/continuation boundary.
class MergingTokenizer : public Tokenizer {
 public:
  std::vector<int32_t> encode(std::string_view text) const override {
    std::vector<int32_t> ids;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text.substr(i, 2) == "xy") {
        ids.push_back(100);
        ++i;
      } else if (text[i] >= 'a' && text[i] <= 'z') {
        ids.push_back(text[i] - 'a' + 1);
      } else if (text[i] == ' ') {
        ids.push_back(50);
      }
    }
    return ids;
  }
  std::string decode(std::span<const int32_t>) const override { return {}; }
  int32_t vocab_size() const override { return 300; }
  std::string kind() const override { return "test-merging"; }
};

struct Reference {
  std::vector<std::vector<int32_t>> sequences;
  std::vector<std::vector<double>> logprobs;
  int last_sequence = 0;
  std::vector<double> last_logits;
};

Reference read_reference(const std::filesystem::path& dir) {
  std::ifstream in(dir / "reference.json");
  const nlohmann::json j = nlohmann::json::parse(in);
  Reference r;
  r.sequences = j.at("sequences").get<std::vector<std::vector<int32_t>>>();
  r.logprobs = j.at("logprobs").get<std::vector<std::vector<double>>>();
  r.last_sequence = j.at("last_logits").at("sequence").get<int>();
  r.last_logits = j.at("last_logits").at("logits").get<std::vector<double>>();
  return r;
}

std::string ids_text(const std::vector<int32_t>& ids, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    out += ' ';
    out += std::to_string(ids[i]);
  }
  return out;
}

struct Fixture {
  std::unique_ptr<Backend> backend = make_backend("cpu", 1);
  Checkpoint checkpoint;
  std::unique_ptr<LanguageModel> lm;
  Fixture(const std::string& name, std::unique_ptr<Tokenizer> tokenizer, LanguageModelOptions o)
      : checkpoint(Checkpoint::open(test::source_dir() / "data/golden/tiny-random" / name)) {
    lm = std::make_unique<LanguageModel>(load_model(checkpoint, *backend), std::move(tokenizer), o);
  }
};

double sum(const std::vector<double>& v, size_t begin, size_t end) {
  return std::accumulate(v.begin() + static_cast<std::ptrdiff_t>(begin),
                         v.begin() + static_cast<std::ptrdiff_t>(end), 0.0);
}

}  // namespace

TEST_CASE("loglikelihood equals the PyTorch reference's continuation log-probs") {
  for (const std::string name : {"llama-f32", "gpt2-f32"}) {
    CAPTURE(name);
    const auto dir = test::source_dir() / "data/golden/tiny-random" / name;
    const Reference ref = read_reference(dir);
    LanguageModelOptions options;
    options.max_batch_tokens = 24;  // forces several batches of mixed lengths
    Fixture f(name, std::make_unique<test::IdTokenizer>(), options);

    std::vector<LoglikelihoodRequest> requests;
    std::vector<double> expected;
    for (size_t s = 0; s < ref.sequences.size(); ++s) {
      const auto& seq = ref.sequences[s];
      for (size_t split : {size_t{1}, seq.size() / 2, seq.size() - 1}) {
        // The context's trailing space moves to the continuation, as lm-eval does.
        requests.push_back({ids_text(seq, 0, split) + " ", ids_text(seq, split, seq.size())});
        expected.push_back(sum(ref.logprobs[s], split - 1, seq.size() - 1));
      }
    }
    const auto results = f.lm->loglikelihood(requests);
    for (size_t i = 0; i < requests.size(); ++i) {
      CAPTURE(i);
      CHECK(std::abs(results[i].logprob - expected[i]) < 1e-4);
      CHECK_FALSE(results[i].straddled);
    }
    // One request alone gives the same number as inside the batch (batch invariance).
    const auto alone = f.lm->loglikelihood(std::span(requests).subspan(4, 1));
    CHECK(std::abs(alone[0].logprob - results[4].logprob) < 1e-5);

    // The argmax of the reference's last logits is greedy; its log-prob is the log-softmax.
    const auto& seq = ref.sequences[static_cast<size_t>(ref.last_sequence)];
    const auto& logits = ref.last_logits;
    const size_t best =
        static_cast<size_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    double norm = 0.0;
    for (double l : logits) norm += std::exp(l - logits[best]);
    const std::vector<LoglikelihoodRequest> greedy = {
        {ids_text(seq, 0, seq.size()), ids_text({static_cast<int32_t>(best)}, 0, 1)},
        {ids_text(seq, 0, seq.size()), ids_text({static_cast<int32_t>((best + 1) % 300)}, 0, 1)}};
    const auto g = f.lm->loglikelihood(greedy);
    CHECK(g[0].greedy);
    CHECK_FALSE(g[1].greedy);
    CHECK(std::abs(g[0].logprob - (-std::log(norm))) < 1e-4);
  }
}

TEST_CASE("rolling log-likelihood scores every token once, windows as lm-eval") {
  const auto dir = test::source_dir() / "data/golden/tiny-random/llama-f32";
  const Reference ref = read_reference(dir);
  const auto& seq = ref.sequences[2];  // 40 tokens
  const std::string text = ids_text(seq, 0, seq.size());

  // A window longer than the text: one pass, the reference's log-probs exactly.
  {
    Fixture f("llama-f32", std::make_unique<test::IdTokenizer>(), {});
    const auto r = f.lm->loglikelihood_rolling(std::vector<std::string>{text});
    CHECK(r[0].num_tokens == 39);  // no BOS: the first token is not scored
    CHECK(std::abs(r[0].logprob - sum(ref.logprobs[2], 0, 39)) < 1e-4);
  }
  // Window 8: the first window sees the text from its start, so its 8 targets equal the
  // reference; every stride scores all 39 tokens exactly once.
  for (int stride : {0, 8, 5, 1}) {
    CAPTURE(stride);
    LanguageModelOptions o;
    o.context_window = 8;
    o.rolling_stride = stride;
    Fixture f("llama-f32", std::make_unique<test::IdTokenizer>(), o);
    const auto first = f.lm->loglikelihood_rolling(std::vector<std::string>{ids_text(seq, 0, 9)});
    CHECK(first[0].num_tokens == 8);
    CHECK(std::abs(first[0].logprob - sum(ref.logprobs[2], 0, 8)) < 1e-4);
    const auto all = f.lm->loglikelihood_rolling(std::vector<std::string>{text, text});
    CHECK(all[0].num_tokens == 39);
    CHECK(std::abs(all[1].logprob - all[0].logprob) < 1e-6);
    CHECK(all[0].num_bytes == static_cast<int64_t>(text.size()));
  }
  // Stride 1 with window 8: every target sees min(8, position) tokens, as a sliding window.
  {
    LanguageModelOptions o;
    o.context_window = 8;
    o.rolling_stride = 1;
    Fixture f("llama-f32", std::make_unique<test::IdTokenizer>(), o);
    const auto r = f.lm->loglikelihood_rolling(std::vector<std::string>{text});
    double expected = 0.0;
    for (size_t t = 1; t < seq.size(); ++t) {
      const size_t begin = t > 8 ? t - 8 : 0;
      const auto one = f.lm->loglikelihood(
          std::vector<LoglikelihoodRequest>{{ids_text(seq, begin, t), ids_text(seq, t, t + 1)}});
      expected += one[0].logprob;
    }
    CHECK(std::abs(r[0].logprob - expected) < 1e-4);
  }
}

TEST_CASE("a token straddling the context/continuation boundary belongs to the continuation") {
  Fixture f("llama-f32", std::make_unique<MergingTokenizer>(), {});
  const auto r = f.lm->loglikelihood(std::vector<LoglikelihoodRequest>{{"abx", "y"}, {"ab", "xy"}});
  CHECK(r[0].straddled);
  CHECK_FALSE(r[1].straddled);
  CHECK(r[0].num_tokens == 1);  // "xy" scored after "ab"
  CHECK(std::abs(r[0].logprob - r[1].logprob) < 1e-6);
  // Trailing spaces move to the continuation: "ab " + "c" is "ab" + " c".
  const auto s = f.lm->loglikelihood(std::vector<LoglikelihoodRequest>{{"ab ", "c"}, {"ab", " c"}});
  CHECK(std::abs(s[0].logprob - s[1].logprob) < 1e-6);
  CHECK(s[0].num_tokens == 2);
}

TEST_CASE("too-long requests keep the last window of tokens; impossible ones are errors") {
  LanguageModelOptions o;
  o.context_window = 8;
  Fixture f("llama-f32", std::make_unique<test::IdTokenizer>(), o);
  const Reference ref = read_reference(test::source_dir() / "data/golden/tiny-random/llama-f32");
  const auto& seq = ref.sequences[2];
  const auto truncated = f.lm->loglikelihood(
      std::vector<LoglikelihoodRequest>{{ids_text(seq, 0, 30), ids_text(seq, 30, 32)}});
  const auto direct = f.lm->loglikelihood(
      std::vector<LoglikelihoodRequest>{{ids_text(seq, 23, 30), ids_text(seq, 30, 32)}});
  CHECK(std::abs(truncated[0].logprob - direct[0].logprob) < 1e-6);
  CHECK_THROWS_AS(f.lm->loglikelihood(std::vector<LoglikelihoodRequest>{
                      {ids_text(seq, 0, 2), ids_text(seq, 2, 20)}}),
                  Error);
  CHECK_THROWS_AS(f.lm->loglikelihood(std::vector<LoglikelihoodRequest>{{" 1 2", ""}}), Error);
  LanguageModelOptions bad;
  bad.context_window = 100000;
  CHECK_THROWS_AS(Fixture("llama-f32", std::make_unique<test::IdTokenizer>(), bad), Error);
}

TEST_CASE("shared prefixes are computed once and change no score") {
  const Reference ref = read_reference(test::source_dir() / "data/golden/tiny-random/llama-f32");
  const auto& seq = ref.sequences[2];  // 40 tokens
  // A "few-shot block" shared by every question, questions shared by their four options,
  // single-token and two-token options, whole-text requests differing in the last token, and
  // targets inside the shared part.
  std::vector<ScoreRequest> requests;
  for (int question = 0; question < 6; ++question) {
    std::vector<int32_t> context(seq.begin(), seq.begin() + 20);
    for (int t = 0; t < 5; ++t) context.push_back((question * 37 + t * 11) % 300);
    for (int32_t option = 0; option < 4; ++option) {
      ScoreRequest single{context, context.size()};
      single.tokens.push_back(200 + option);
      requests.push_back(single);
      ScoreRequest pair{context, context.size()};
      pair.tokens.push_back(7);
      pair.tokens.push_back(100 + option);
      requests.push_back(pair);
      ScoreRequest whole{context, 1};
      whole.tokens.push_back(250 + option);
      requests.push_back(whole);
    }
  }
  for (int max_batch_tokens : {16, 64, 2048}) {
    CAPTURE(max_batch_tokens);
    LanguageModelOptions o;
    o.max_batch_tokens = max_batch_tokens;
    Fixture shared("llama-f32", std::make_unique<test::IdTokenizer>(), o);
    const auto together = shared.lm->score_tokens(requests);
    const ScoringStats stats = shared.lm->stats();
    CHECK(stats.requests == static_cast<int64_t>(requests.size()));
    // 72 requests of ~26 inputs; shared: 20 + 6 * (5 + 1 + 1) + a few lane restarts.
    CHECK(stats.computed_tokens * 5 < stats.requested_tokens);
    Fixture alone("llama-f32", std::make_unique<test::IdTokenizer>(), o);
    for (size_t i = 0; i < requests.size(); ++i) {
      CAPTURE(i);
      const auto one = alone.lm->score_tokens(std::span(requests).subspan(i, 1));
      REQUIRE(one[0].logprobs.size() == together[i].logprobs.size());
      for (size_t t = 0; t < one[0].logprobs.size(); ++t) {
        CHECK(std::abs(one[0].logprobs[t] - together[i].logprobs[t]) < 1e-5);
        CHECK(one[0].greedy[t] == together[i].greedy[t]);
      }
    }
    // The shared prefix scores match the PyTorch reference too.
    CHECK(std::abs(together[2].logprobs[0] - ref.logprobs[2][0]) < 1e-4);
  }
}
