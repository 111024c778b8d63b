// Token healing: the candidates of hand-worked prompts over decimal ids, the candidates of the
// bundled ABC tokenizer against its piece table, and healed greedy generation against scoring.
#include <doctest/doctest.h>

#include <algorithm>

#include "harness/backend/backend.hpp"
#include "harness/io/checkpoint.hpp"
#include "harness/lm/language_model.hpp"
#include "harness/lm/token_healing.hpp"
#include "tests/unit/lm/id_tokenizer.hpp"
#include "tests/unit/test_paths.hpp"
#include "tests/unit/tokenizer/tokenizer_test_util.hpp"

using namespace tb;

namespace {

std::vector<int32_t> ids_from(int32_t first, std::initializer_list<int32_t> more = {}) {
  std::vector<int32_t> out{first};
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

std::vector<int32_t> range(int32_t from, int32_t to) {  // [from, to]
  std::vector<int32_t> out;
  for (int32_t i = from; i <= to; ++i) out.push_back(i);
  return out;
}

}  // namespace

TEST_CASE("healing ids: the candidates are the ids whose text starts with the removed one") {
  test::IdTokenizer tokenizer;
  TokenHealer healer(tokenizer, 300);
  // "3 4 5" backs off to "3 4"; " 5" is restored by 5 and by 50..59 (" 57" starts with " 5").
  HealedPrompt h = healer.heal(ids_from(1, {3, 4, 5}), 1);
  REQUIRE(h.healed);
  std::vector<int32_t> expected = ids_from(5);
  const std::vector<int32_t> fifties = range(50, 59);
  expected.insert(expected.end(), fifties.begin(), fifties.end());
  CHECK(h.allowed == expected);
  // 250: no longer id exists below 300, and "25" does not restore "250".
  CHECK(healer.heal(ids_from(1, {3, 4, 250}), 1).allowed == ids_from(250));
  // Only BOS left to feed: the text from the start is restored.
  std::vector<int32_t> threes = ids_from(3);
  const std::vector<int32_t> thirties = range(30, 39);
  threes.insert(threes.end(), thirties.begin(), thirties.end());
  CHECK(healer.heal(ids_from(1, {3}), 1).allowed == threes);
  // The same prompt again comes from the cache, unchanged.
  CHECK(healer.heal(ids_from(1, {3, 4, 5}), 1).allowed == expected);
}

TEST_CASE("healing ids: prompts with nothing to back off are fed unchanged") {
  test::IdTokenizer tokenizer;
  TokenHealer healer(tokenizer, 300);
  CHECK_FALSE(healer.heal(ids_from(1), 1).healed);  // BOS alone
  CHECK_FALSE(healer.heal(ids_from(7), 0).healed);  // one token: nothing would be fed
  CHECK_FALSE(healer.heal(std::vector<int32_t>{}, 0).healed);
  // A window-truncated prompt (no BOS skipped) heals its last token too.
  CHECK(healer.heal(ids_from(3, {4, 5}), 0).allowed.front() == 5);
}

TEST_CASE("healing skips ids with no token instead of failing to decode them") {
  // WordLevel, no decoder (tokens joined with spaces); ids 3 and 4 are a gap before <x> at 5.
  test::ScratchDir dir;
  const auto tokenizer = load_tokenizer_json(dir.write("tokenizer.json", R"({"version": "1.0",
    "added_tokens": [{"id": 5, "content": "<x>", "single_word": false, "lstrip": false,
                      "rstrip": false, "normalized": false, "special": true}],
    "normalizer": null, "pre_tokenizer": {"type": "WhitespaceSplit"}, "decoder": null,
    "model": {"type": "WordLevel", "unk_token": "<unk>",
              "vocab": {"<unk>": 0, "a": 1, "ab": 2}}})"));
  REQUIRE(tokenizer->vocab_size() == 6);
  TokenHealer healer(*tokenizer, 6);
  // "a a" backs off to "a"; " a" is restored by "a" and "ab" ("a ab").
  CHECK(healer.heal(tokenizer->encode("a a"), 0).allowed == std::vector<int32_t>{1, 2});
}

TEST_CASE("healing the bundled ABC tokenizer: X:1 and newline become any piece that opens a line") {
  const auto tokenizer =
      load_sentencepiece(test::source_dir() / "data/models/tiny-abc-llama/tokenizer.model");
  const std::vector<int32_t> prompt = [&] {
    std::vector<int32_t> p{1};
    const std::vector<int32_t> body = tokenizer->encode("X:1\n");
    p.insert(p.end(), body.begin(), body.end());
    return p;
  }();
  TokenHealer healer(*tokenizer, tokenizer->vocab_size());
  const HealedPrompt h = healer.heal(prompt, 1);
  REQUIRE(h.healed);
  // The independent list: pieces as stored whose text starts with a newline, and the byte piece.
  std::vector<int32_t> expected;
  for (int32_t id = 0; id < tokenizer->vocab_size(); ++id) {
    const std::string piece = tokenizer->id_to_token(id);
    if (piece == "<0x0A>" || (!piece.empty() && piece.front() == '\n')) expected.push_back(id);
  }
  CHECK(h.allowed == expected);
  CHECK(std::find(h.allowed.begin(), h.allowed.end(), prompt.back()) != h.allowed.end());
}

TEST_CASE("healed greedy generation: the best candidate first, then the plain greedy path") {
  auto backend = make_backend("cpu", 1);
  Checkpoint checkpoint =
      Checkpoint::open(test::source_dir() / "data/golden/tiny-random/llama-f32");
  SpecialTokens s;
  s.bos = 1;
  s.eos = 2;
  s.add_bos = true;
  LanguageModelOptions o;
  o.share_prefixes = false;
  LanguageModel lm(load_model(checkpoint, *backend), std::make_unique<test::IdTokenizer>(s), o);

  GenerationRequest healed;
  healed.prompt = "3 4 5";
  healed.params.temperature = 0.0;
  healed.params.max_new_tokens = 6;
  healed.params.stop_at_eos = false;
  healed.params.token_healing = true;
  const GenerationResult h = lm.generate(std::vector<GenerationRequest>{healed})[0];
  REQUIRE(h.tokens.size() == 6);
  CHECK(h.prompt_tokens == 3);  // BOS 3 4

  // The first token is the most probable of 5, 50..59 after "3 4", by full-sequence scoring.
  std::vector<ScoreRequest> candidates;
  std::vector<int32_t> ids = ids_from(5);
  const std::vector<int32_t> fifties = range(50, 59);
  ids.insert(ids.end(), fifties.begin(), fifties.end());
  for (int32_t c : ids) candidates.push_back(ScoreRequest{{1, 3, 4, c}, 3});
  const auto scores = lm.score_tokens(candidates);
  size_t best = 0;
  for (size_t i = 1; i < scores.size(); ++i) {
    if (scores[i].logprobs[0] > scores[best].logprobs[0]) best = i;
  }
  CHECK(h.tokens[0] == ids[best]);
  CHECK(std::abs(h.logprobs[0] - scores[best].logprobs[0]) < 1e-4);

  // The rest is the plain greedy continuation of "3 4 <first>", and the completion is the text
  // after the whole prompt "3 4 5".
  GenerationRequest plain = healed;
  plain.prompt = "3 4 " + std::to_string(h.tokens[0]);
  plain.params.token_healing = false;
  plain.params.max_new_tokens = 5;
  const GenerationResult p = lm.generate(std::vector<GenerationRequest>{plain})[0];
  CHECK(std::vector<int32_t>(h.tokens.begin() + 1, h.tokens.end()) == p.tokens);
  CHECK("3 4 5" + h.text == plain.prompt + p.text);
}
