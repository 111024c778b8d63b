// Batched generation on the tiny random LLaMA: greedy against PyTorch and against full-sequence
// scoring, batch invariance of sampled tokens, stop strings, EOS and length limits.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/backend/backend.hpp"
#include "harness/io/checkpoint.hpp"
#include "harness/lm/language_model.hpp"
#include "tests/unit/lm/id_tokenizer.hpp"
#include "tests/unit/test_paths.hpp"

using namespace tb;

namespace {

// Prompts are exact token sequences; BOS 1 is added, EOS is 2 unless a test says otherwise.
std::unique_ptr<test::IdTokenizer> id_tokenizer(int32_t eos = 2) {
  SpecialTokens s;
  s.bos = 1;
  s.eos = eos;
  s.add_bos = true;
  return std::make_unique<test::IdTokenizer>(s);
}

struct Fixture {
  std::unique_ptr<Backend> backend = make_backend("cpu", 1);
  Checkpoint checkpoint;
  std::unique_ptr<LanguageModel> lm;
  explicit Fixture(LanguageModelOptions o = {}, int32_t eos = 2)
      : checkpoint(Checkpoint::open(test::source_dir() / "data/golden/tiny-random/llama-f32")) {
    lm = std::make_unique<LanguageModel>(load_model(checkpoint, *backend), id_tokenizer(eos), o);
  }
};

std::string ids_text(std::span<const int32_t> ids) {
  std::string out;
  for (int32_t id : ids) {
    if (!out.empty()) out += ' ';
    out += std::to_string(id);
  }
  return out;
}

GenerationRequest greedy_request(const std::string& prompt, int new_tokens) {
  GenerationRequest r;
  r.prompt = prompt;
  r.params.temperature = 0.0;
  r.params.max_new_tokens = new_tokens;
  r.params.stop_at_eos = false;
  return r;
}

// 16 requests of different prompt lengths and seeds, sampled at temperature 1 (all tokens).
std::vector<GenerationRequest> sampled_requests() {
  std::vector<GenerationRequest> out;
  for (int i = 0; i < 16; ++i) {
    GenerationRequest r;
    std::vector<int32_t> prompt;
    for (int t = 0; t <= (i * 7) % 23; ++t) prompt.push_back(3 + (i * 31 + t * 17) % 290);
    r.prompt = ids_text(prompt);
    r.params.max_new_tokens = 10 + (i * 5) % 17;
    r.params.seed = 1000 + static_cast<uint64_t>(i);
    r.params.top_k = i % 3 == 0 ? 0 : 40;
    r.params.top_p = i % 4 == 1 ? 0.9 : 1.0;
    r.params.stop_at_eos = false;
    out.push_back(r);
  }
  return out;
}

}  // namespace

TEST_CASE("greedy generation equals the PyTorch greedy continuation") {
  std::ifstream in(test::source_dir() / "data/golden/generation/tiny-random-llama-greedy.json");
  const nlohmann::json golden = nlohmann::json::parse(in);
  for (int batch : {1, 3}) {
    LanguageModelOptions o;
    o.generation_batch = batch;
    o.max_batch_tokens = 4;  // prompts prefill in several chunks
    Fixture f(o);
    std::vector<GenerationRequest> requests;
    std::vector<std::vector<int32_t>> expected;
    for (const auto& c : golden.at("cases")) {
      auto prompt = c.at("prompt").get<std::vector<int32_t>>();
      REQUIRE(prompt.front() == 1);  // BOS, which the LanguageModel adds itself
      GenerationRequest r =
          greedy_request(ids_text(std::span(prompt).subspan(1)), c.at("new_tokens").get<int>());
      r.params.repetition_penalty = c.at("repetition_penalty").get<double>();
      requests.push_back(r);
      expected.push_back(c.at("tokens").get<std::vector<int32_t>>());
    }
    const auto results = f.lm->generate(requests);
    for (size_t i = 0; i < requests.size(); ++i) {
      CAPTURE(batch);
      CAPTURE(i);
      CHECK(results[i].tokens == expected[i]);
      CHECK(results[i].finish == FinishReason::Length);
      // The completion's text follows the prompt's, so it starts with the separator.
      CHECK(results[i].text.substr(1) == ids_text(expected[i]));
      CHECK(results[i].text.front() == ' ');
    }
  }
}

TEST_CASE("greedy tokens are the argmax of full-sequence scoring, log-probs agree") {
  LanguageModelOptions o;
  o.share_prefixes = false;  // the scorer runs every sequence whole: an independent path
  Fixture f(o);
  const std::vector<GenerationRequest> requests = {greedy_request("5 6 7", 30),
                                                   greedy_request("", 20),
                                                   greedy_request("200 100 50 25 12 6 3", 15)};
  const auto results = f.lm->generate(requests);
  for (size_t i = 0; i < requests.size(); ++i) {
    CAPTURE(i);
    ScoreRequest s;
    s.tokens = {1};
    const auto prompt = id_tokenizer()->encode(requests[i].prompt);
    s.tokens.insert(s.tokens.end(), prompt.begin(), prompt.end());
    s.first_target = s.tokens.size();
    s.tokens.insert(s.tokens.end(), results[i].tokens.begin(), results[i].tokens.end());
    REQUIRE(results[i].tokens.size() == static_cast<size_t>(requests[i].params.max_new_tokens));
    CHECK(results[i].prompt_tokens == static_cast<int64_t>(s.first_target));
    const auto scores = f.lm->score_tokens(std::vector<ScoreRequest>{s});
    for (size_t t = 0; t < results[i].tokens.size(); ++t) {
      CAPTURE(t);
      CHECK(scores[0].greedy[t]);
      CHECK(std::abs(scores[0].logprobs[t] - results[i].logprobs[t]) < 1e-4);
    }
  }
}

TEST_CASE("sampled tokens are the same at batch 1 and 16, alone and among others") {
  const std::vector<GenerationRequest> requests = sampled_requests();
  std::vector<std::vector<GenerationResult>> runs;
  for (int batch : {1, 16, 5}) {
    LanguageModelOptions o;
    o.generation_batch = batch;
    o.max_batch_tokens = batch == 5 ? 7 : 2048;
    Fixture f(o);
    runs.push_back(f.lm->generate(requests));
    CHECK(f.lm->generation_stats().requests == 16);
  }
  Fixture f;
  for (size_t i = 0; i < requests.size(); ++i) {
    CAPTURE(i);
    const auto alone = f.lm->generate(std::span(requests).subspan(i, 1));
    REQUIRE(runs[0][i].tokens.size() == static_cast<size_t>(requests[i].params.max_new_tokens));
    CHECK(runs[1][i].tokens == runs[0][i].tokens);
    CHECK(runs[2][i].tokens == runs[0][i].tokens);
    CHECK(alone[0].tokens == runs[0][i].tokens);
    CHECK(runs[1][i].text == runs[0][i].text);
  }
  // Different seeds give different samples (a generator ignoring the seed fails here).
  CHECK(runs[0][0].tokens != runs[0][1].tokens);
  GenerationRequest other = requests[3];
  other.params.seed += 1;
  CHECK(f.lm->generate(std::span(&other, 1))[0].tokens != runs[0][3].tokens);
}

TEST_CASE("top-k 1 sampling equals greedy") {
  Fixture f;
  std::vector<GenerationRequest> requests = {greedy_request("17 42 99 5", 25),
                                             greedy_request("250 3", 25)};
  const auto greedy = f.lm->generate(requests);
  for (auto& r : requests) {
    r.params.temperature = 1.7;
    r.params.top_k = 1;
    r.params.seed = 99;
  }
  const auto sampled = f.lm->generate(requests);
  for (size_t i = 0; i < requests.size(); ++i) CHECK(sampled[i].tokens == greedy[i].tokens);
}

TEST_CASE("stop strings cut the text before them; EOS and length finish") {
  Fixture f;
  const GenerationRequest base = greedy_request("17 42 99 5", 24);
  const GenerationResult full = f.lm->generate(std::span(&base, 1))[0];
  const std::vector<int32_t> golden = {115, 38, 192, 181, 188, 248, 11, 132, 116, 29, 38, 92};
  REQUIRE(std::equal(golden.begin(), golden.end(), full.tokens.begin()));
  CHECK(full.text.starts_with(" 115 38 192 181 188 248 11"));

  // A stop string spanning two tokens ("181 188"): the text ends before it, the tokens kept are
  // those wholly before the cut, and generation stopped as soon as it appeared.
  GenerationRequest r = base;
  r.params.stop = {"1 188", "no such text"};
  GenerationResult g = f.lm->generate(std::span(&r, 1))[0];
  CHECK(g.finish == FinishReason::Stop);
  CHECK(g.text == " 115 38 192 18");
  CHECK(g.tokens == std::vector<int32_t>{115, 38, 192});
  CHECK(g.generated_tokens == 5);

  // The earliest of several stop strings wins (lm-eval `until`).
  r.params.stop = {"248", " 38 "};
  g = f.lm->generate(std::span(&r, 1))[0];
  CHECK(g.text == " 115");
  CHECK(g.tokens == std::vector<int32_t>{115});

  // EOS: with token 188 as EOS the text ends before it and EOS is not among the tokens.
  Fixture eos_model({}, 188);
  r = base;
  r.params.stop_at_eos = true;
  g = eos_model.lm->generate(std::span(&r, 1))[0];
  CHECK(g.finish == FinishReason::Eos);
  CHECK(g.text == " 115 38 192 181");
  CHECK(g.tokens == std::vector<int32_t>{115, 38, 192, 181});
  CHECK(g.generated_tokens == 5);
  r.params.stop_at_eos = false;  // ignored EOS: generation goes on to the limit
  g = eos_model.lm->generate(std::span(&r, 1))[0];
  CHECK(g.finish == FinishReason::Length);
  CHECK(g.tokens == full.tokens);

  // Length: max_new_tokens, and the context window (here 10 positions: prompt 5 + 6 sampled).
  r = base;
  r.params.max_new_tokens = 3;
  g = f.lm->generate(std::span(&r, 1))[0];
  CHECK(g.finish == FinishReason::Length);
  CHECK(g.tokens == std::vector<int32_t>{115, 38, 192});
  r.params.max_new_tokens = 0;
  g = f.lm->generate(std::span(&r, 1))[0];
  CHECK(g.tokens.empty());
  CHECK(g.text.empty());
  LanguageModelOptions small;
  small.context_window = 10;
  Fixture windowed(small);
  g = windowed.lm->generate(std::span(&base, 1))[0];
  CHECK(g.finish == FinishReason::Length);
  CHECK(g.tokens == std::vector<int32_t>{115, 38, 192, 181, 188, 248});
}

TEST_CASE("top-k draws from the device's candidates equal draws over the full logit row") {
  // Replays every step on the CPU from full-sequence logits: the host sampler on the whole row
  // must pick the token the generator picked from the backend's top-k candidates.
  Fixture f;
  std::vector<GenerationRequest> requests = sampled_requests();
  for (auto& r : requests) {
    r.params.top_k = 1 + static_cast<int>(r.params.seed % 50);
    r.params.temperature = 0.7 + static_cast<double>(r.params.seed % 3) * 0.4;
  }
  const auto results = f.lm->generate(requests);
  const int64_t vocab = f.lm->model().config().vocab_size;
  for (size_t i = 0; i < requests.size(); ++i) {
    CAPTURE(i);
    std::vector<int32_t> tokens = {1};
    const auto prompt = id_tokenizer()->encode(requests[i].prompt);
    tokens.insert(tokens.end(), prompt.begin(), prompt.end());
    const size_t prompt_size = tokens.size();
    tokens.insert(tokens.end(), results[i].tokens.begin(), results[i].tokens.end());
    auto cache = f.lm->model().make_cache(1, static_cast<int>(tokens.size()));
    ForwardBatch batch;
    for (size_t p = 0; p < tokens.size(); ++p) {
      batch.tokens.push_back(tokens[p]);
      batch.positions.push_back(static_cast<int32_t>(p));
      batch.slots.push_back(0);
    }
    std::vector<float> logits;
    f.lm->model().forward(batch, *cache, logits);
    for (size_t t = 0; t < results[i].tokens.size(); ++t) {
      CAPTURE(t);
      const std::span<const float> row(logits.data() + (prompt_size - 1 + t) * vocab,
                                       static_cast<size_t>(vocab));
      const std::span<const int32_t> history(tokens.data(), prompt_size + t);
      CHECK(select_token(row, history, requests[i].params, t) == results[i].tokens[t]);
      double max = -INFINITY, sum = 0.0;
      for (float x : row) max = std::max(max, double{x});
      for (float x : row) sum += std::exp(double{x} - max);
      const double logprob = row[static_cast<size_t>(results[i].tokens[t])] - max - std::log(sum);
      CHECK(std::abs(logprob - results[i].logprobs[t]) < 1e-4);
    }
  }
}
