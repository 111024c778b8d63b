// The scorer's KV cache: sized to what is scheduled, kept between calls, grown only when a
// longer input or more lanes arrive, and never a source of stale keys after it is reused.
#include <doctest/doctest.h>

#include <cmath>

#include "harness/backend/backend.hpp"
#include "harness/io/checkpoint.hpp"
#include "harness/lm/shared_prefix_scorer.hpp"
#include "tests/unit/test_paths.hpp"

using namespace tb;

namespace {

ScoreRequest request(int length, int32_t salt) {
  ScoreRequest r;
  for (int i = 0; i < length; ++i) r.tokens.push_back((salt * 31 + i * 7) % 250 + 1);
  return r;
}

}  // namespace

TEST_CASE("the scorer's cache holds the longest scheduled input and is reused") {
  auto backend = make_backend("cpu", 1);
  const Checkpoint checkpoint =
      Checkpoint::open(test::source_dir() / "data/golden/tiny-random/llama-f32");
  auto model = load_model(checkpoint, *backend);
  const int window = static_cast<int>(model->config().max_positions);
  REQUIRE(window > 64);
  SharedPrefixScorer scorer(*model, window, 2048);
  CHECK(scorer.cache() == nullptr);

  const std::vector<ScoreRequest> short_ones = {request(12, 1), request(9, 2)};
  const auto first = scorer.score(short_ones);
  REQUIRE(scorer.cache() != nullptr);
  const KvCache* cache = scorer.cache();
  CHECK(cache->capacity() == 11);  // 12 tokens: 11 inputs, the last is only a target
  CHECK(cache->num_slots() == 1);  // two short requests schedule one lane

  // Shorter requests reuse the same cache.
  const auto again = scorer.score(std::vector<ScoreRequest>{request(5, 3)});
  CHECK(scorer.cache() == cache);

  // A longer one grows it to exactly what it needs.
  const auto longer = scorer.score(std::vector<ScoreRequest>{request(40, 4)});
  CHECK(scorer.cache()->capacity() == 39);

  // Scores through the reused cache equal a fresh scorer's.
  SharedPrefixScorer fresh(*model, window, 2048);
  const auto reference = fresh.score(short_ones);
  const auto reused = scorer.score(short_ones);
  for (size_t i = 0; i < reference.size(); ++i) {
    REQUIRE(reference[i].logprobs.size() == reused[i].logprobs.size());
    for (size_t t = 0; t < reference[i].logprobs.size(); ++t) {
      CHECK(std::abs(reference[i].logprobs[t] - reused[i].logprobs[t]) < 1e-9);
      CHECK(std::abs(reference[i].logprobs[t] - first[i].logprobs[t]) < 1e-9);
    }
  }
}
