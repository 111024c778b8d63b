#include "harness/lm/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "harness/core/error.hpp"

namespace tb {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Repetition penalty (HF RepetitionPenaltyLogitsProcessor): each distinct seen token once.
std::vector<double> penalised(std::span<const float> logits, std::span<const int32_t> history,
                              double penalty) {
  std::vector<double> out(logits.begin(), logits.end());
  if (penalty == 1.0) return out;
  std::vector<bool> seen(out.size(), false);
  for (int32_t t : history) {
    if (t < 0 || static_cast<size_t>(t) >= out.size() || seen[static_cast<size_t>(t)]) continue;
    seen[static_cast<size_t>(t)] = true;
    double& l = out[static_cast<size_t>(t)];
    l = l > 0 ? l / penalty : l * penalty;
  }
  return out;
}

size_t argmax(const std::vector<double>& v) {
  return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

}  // namespace

void check_sampling_params(const SamplingParams& p) {
  auto fail = [](const std::string& what) {
    throw Error(ErrorKind::BadInput, "sampling parameters: " + what);
  };
  if (!(p.temperature >= 0.0) || !std::isfinite(p.temperature))
    fail("temperature must be >= 0 (0: greedy)");
  if (p.top_k < 0) fail("top_k must be >= 0 (0: off)");
  if (!(p.top_p > 0.0 && p.top_p <= 1.0)) fail("top_p must be in (0, 1] (1: off)");
  if (!(p.repetition_penalty > 0.0) || !std::isfinite(p.repetition_penalty))
    fail("repetition_penalty must be > 0 (1: off)");
  if (p.max_new_tokens < 0) fail("max_new_tokens must be >= 0");
  for (const std::string& s : p.stop) {
    if (s.empty()) fail("a stop string is empty");
  }
}

std::vector<double> sampling_distribution(std::span<const float> logits,
                                          std::span<const int32_t> history,
                                          const SamplingParams& params) {
  std::vector<double> scores = penalised(logits, history, params.repetition_penalty);
  std::vector<double> probs(scores.size(), 0.0);
  if (scores.empty()) return probs;
  if (params.temperature == 0.0) {
    probs[argmax(scores)] = 1.0;
    return probs;
  }
  for (double& s : scores) s /= params.temperature;

  // Top-k: drop scores below the k-th largest (ties with it stay, as HF's TopKLogitsWarper).
  std::vector<bool> kept(scores.size(), true);
  if (params.top_k > 0 && static_cast<size_t>(params.top_k) < scores.size()) {
    std::vector<double> sorted = scores;
    const auto kth = sorted.begin() + (params.top_k - 1);
    std::nth_element(sorted.begin(), kth, sorted.end(), std::greater<>());
    for (size_t v = 0; v < scores.size(); ++v) kept[v] = scores[v] >= *kth;
  }

  auto softmax = [&] {
    double max = -INFINITY;
    for (size_t v = 0; v < scores.size(); ++v) {
      if (kept[v]) max = std::max(max, scores[v]);
    }
    double sum = 0.0;
    for (size_t v = 0; v < scores.size(); ++v) {
      probs[v] = kept[v] ? std::exp(scores[v] - max) : 0.0;
      sum += probs[v];
    }
    for (double& p : probs) p /= sum;
  };
  softmax();

  // Top-p (HF TopPLogitsWarper): in ascending order of probability, drop tokens while the
  // cumulative mass is <= 1 - top_p; the most probable token always stays.
  if (params.top_p < 1.0) {
    std::vector<size_t> order;
    for (size_t v = 0; v < probs.size(); ++v) {
      if (kept[v]) order.push_back(v);
    }
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return probs[a] != probs[b] ? probs[a] < probs[b] : a > b;
    });
    double cumulative = 0.0;
    for (size_t i = 0; i + 1 < order.size(); ++i) {
      cumulative += probs[order[i]];
      if (cumulative > 1.0 - params.top_p) break;
      kept[order[i]] = false;
    }
    softmax();  // renormalise over what is left
  }
  return probs;
}

double uniform_draw(uint64_t seed, uint64_t step) {
  const uint64_t bits = splitmix64(splitmix64(seed) ^ step);
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

int32_t draw_token(std::span<const double> probs, double u) {
  const double total = std::accumulate(probs.begin(), probs.end(), 0.0);
  const double target = u * total;
  double cumulative = 0.0;
  int32_t last = -1;
  for (size_t v = 0; v < probs.size(); ++v) {
    if (probs[v] <= 0.0) continue;
    cumulative += probs[v];
    last = static_cast<int32_t>(v);
    if (cumulative > target) return last;
  }
  if (last < 0) throw Error(ErrorKind::Internal, "sampling from an all-zero distribution");
  return last;  // rounding left u * total at the very top
}

int32_t select_token(std::span<const float> logits, std::span<const int32_t> history,
                     const SamplingParams& params, uint64_t step) {
  if (params.temperature == 0.0) {
    return static_cast<int32_t>(argmax(penalised(logits, history, params.repetition_penalty)));
  }
  const std::vector<double> probs = sampling_distribution(logits, history, params);
  return draw_token(probs, uniform_draw(params.seed, step));
}

}  // namespace tb
