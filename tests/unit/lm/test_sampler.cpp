// The logits processors against distributions computed by hand (HF semantics), and the draws.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "harness/core/error.hpp"
#include "harness/lm/sampler.hpp"

using namespace tb;

namespace {

// Logits of a 6-token vocabulary; tokens 0 and 3 (3 twice) were already generated.
const std::vector<float> kLogits = {2.0f, 1.0f, 0.5f, -1.0f, 0.0f, 1.5f};
const std::vector<int32_t> kHistory = {0, 3, 3};

void check_probs(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-9));
  }
}

}  // namespace

TEST_CASE("sampling distribution: repetition penalty, temperature, top-k, top-p as HF") {
  // Penalty 1.3: token 0 (logit 2 > 0) becomes 2 / 1.3 = 1.538462, token 3 (-1 < 0) becomes
  // -1.3, once each however often it was seen. Temperature 1: the softmax of
  // [1.538462, 1, 0.5, -1.3, 0, 1.5].
  SamplingParams p;
  p.repetition_penalty = 1.3;
  check_probs(sampling_distribution(kLogits, kHistory, p),
              {0.31514526409917654, 0.18393310834984686, 0.11156106955042788, 0.018440920765496825,
               0.067665209112668, 0.3032544281223838});

  // Temperature 0.5 after the penalty: scores [3.076923, 2, 1, -2.6, 0, 3].
  p.temperature = 0.5;
  check_probs(sampling_distribution(kLogits, kHistory, p),
              {0.4095937853021476, 0.13952486429950767, 0.05132832910802421, 0.0014024810182309416,
               0.018882637028523823, 0.3792679032435659});

  // Top-k 2 keeps tokens 0 and 5: softmax of [3.076923, 3] = 1 / (1 + e^-0.076923).
  p.top_k = 2;
  const std::vector<double> two = {0.5192212922106081, 0, 0, 0, 0, 0.4807787077893919};
  check_probs(sampling_distribution(kLogits, kHistory, p), two);
  // Top-p 0.8 on top of it removes nothing: the smaller of the two (0.48) already exceeds 0.2.
  p.top_p = 0.8;
  check_probs(sampling_distribution(kLogits, kHistory, p), two);

  // Top-k 3 adds token 1: [0.441189, 0.150287, 0, 0, 0, 0.408524]; top-p 0.8 then drops
  // token 1 (ascending cumulative 0.150 <= 0.2) and renormalises to the top-2 distribution.
  p.top_k = 3;
  check_probs(sampling_distribution(kLogits, kHistory, p), two);
  p.top_p = 1.0;
  check_probs(sampling_distribution(kLogits, kHistory, p),
              {0.4411888389021446, 0.15028746794307457, 0, 0, 0, 0.4085236931547809});

  // Top-p 0.8 alone at temperature 0.5: ascending 0.0014, 0.0189, 0.0513 (cumulative 0.0716)
  // go, 0.1395 brings the mass past 0.2 and stays: tokens 0, 1 and 5 remain.
  p.top_k = 0;
  p.top_p = 0.8;
  check_probs(sampling_distribution(kLogits, kHistory, p),
              {0.4411888389021446, 0.15028746794307457, 0, 0, 0, 0.4085236931547809});
}

TEST_CASE("top-k keeps ties with the k-th score; temperature 0 is the argmax after penalty") {
  SamplingParams p;
  p.top_k = 1;
  const std::vector<float> tied = {1.0f, 3.0f, 3.0f, 0.0f};
  check_probs(sampling_distribution(tied, {}, p), {0, 0.5, 0.5, 0});

  p = {};
  p.temperature = 0.0;
  check_probs(sampling_distribution(kLogits, {}, p), {1, 0, 0, 0, 0, 0});
  CHECK(select_token(kLogits, {}, p, 0) == 0);
  // Penalty 1.5 takes token 0 to 2 / 1.5 = 1.333 < 1.5: token 5 wins.
  p.repetition_penalty = 1.5;
  CHECK(select_token(kLogits, kHistory, p, 0) == 5);
  // Penalty below 1 raises seen positive logits: token 0 becomes 2 / 0.1 = 20.
  p.repetition_penalty = 0.1;
  check_probs(sampling_distribution(kLogits, kHistory, p), {1, 0, 0, 0, 0, 0});
}

TEST_CASE("draws: inverse CDF in token order, counter-based uniforms") {
  const std::vector<double> probs = {0.2, 0.0, 0.5, 0.3};
  CHECK(draw_token(probs, 0.0) == 0);
  CHECK(draw_token(probs, 0.1999) == 0);
  CHECK(draw_token(probs, 0.2) == 2);  // cumulative must exceed u: 0.2 is not > 0.2
  CHECK(draw_token(probs, 0.6999) == 2);
  CHECK(draw_token(probs, 0.7001) == 3);
  CHECK(draw_token(probs, 0.9999999) == 3);
  // Unnormalised weights are scaled by their total.
  CHECK(draw_token(std::vector<double>{2.0, 0.0, 6.0}, 0.26) == 2);
  CHECK_THROWS_AS(draw_token(std::vector<double>{0.0, 0.0}, 0.5), Error);

  // Draws are a pure function of (seed, step), in [0, 1), and differ across both.
  CHECK(uniform_draw(7, 3) == uniform_draw(7, 3));
  CHECK(uniform_draw(7, 3) != uniform_draw(7, 4));
  CHECK(uniform_draw(7, 3) != uniform_draw(8, 3));
  // Frequencies over 40000 steps match the distribution within 5 standard errors
  // (deterministic: the draws depend on the seed only).
  std::vector<int> counts(4, 0);
  const int n = 40000;
  for (int step = 0; step < n; ++step) {
    const double u = uniform_draw(12345, static_cast<uint64_t>(step));
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    ++counts[static_cast<size_t>(draw_token(probs, u))];
  }
  CHECK(counts[1] == 0);
  for (size_t v : {size_t{0}, size_t{2}, size_t{3}}) {
    const double expected = probs[v] * n;
    CHECK(std::abs(counts[v] - expected) < 5 * std::sqrt(expected * (1 - probs[v])));
  }
}

TEST_CASE("sampling parameters out of range are rejected") {
  auto bad = [](auto edit) {
    SamplingParams p;
    edit(p);
    CHECK_THROWS_AS(check_sampling_params(p), Error);
  };
  bad([](SamplingParams& p) { p.temperature = -0.1; });
  bad([](SamplingParams& p) { p.top_k = -1; });
  bad([](SamplingParams& p) { p.top_p = 0.0; });
  bad([](SamplingParams& p) { p.top_p = 1.5; });
  bad([](SamplingParams& p) { p.repetition_penalty = 0.0; });
  bad([](SamplingParams& p) { p.max_new_tokens = -1; });
  bad([](SamplingParams& p) { p.stop = {""}; });
  CHECK_NOTHROW(check_sampling_params(SamplingParams{}));
}
