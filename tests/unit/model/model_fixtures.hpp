#pragma once
// Helpers for the model tests: the tiny random checkpoints under data/golden/tiny-random, their
// PyTorch reference.json, and scoring sequences through a Model.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "harness/model/model.hpp"
#include "tests/unit/test_paths.hpp"

namespace tb::test {

inline std::filesystem::path tiny(const std::string& name) {
  return source_dir() / "data/golden/tiny-random" / name;
}

struct Reference {
  std::vector<std::vector<int32_t>> sequences;
  std::vector<std::vector<double>> logprobs;
  int last_sequence = 0;
  std::vector<double> last_logits;
};

inline Reference load_reference(const std::filesystem::path& dir) {
  std::ifstream in(dir / "reference.json");
  REQUIRE(in.good());
  const auto j = nlohmann::json::parse(in);
  Reference r;
  r.sequences = j.at("sequences").get<std::vector<std::vector<int32_t>>>();
  r.logprobs = j.at("logprobs").get<std::vector<std::vector<double>>>();
  r.last_sequence = j.at("last_logits").at("sequence").get<int>();
  r.last_logits = j.at("last_logits").at("logits").get<std::vector<double>>();
  return r;
}

// Appends one sequence to a batch: slot `slot`, positions start..start+n-1.
inline void append(ForwardBatch& batch, const std::vector<int32_t>& tokens, int32_t slot,
                   int32_t start = 0) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    batch.tokens.push_back(tokens[i]);
    batch.positions.push_back(start + static_cast<int32_t>(i));
    batch.slots.push_back(slot);
  }
}

// log p(tokens[i + 1] | tokens[..i]) from logits rows [n, vocab] (row i for token i).
inline std::vector<double> next_token_logprobs(const std::vector<float>& logits, int64_t vocab,
                                               const std::vector<int32_t>& tokens,
                                               size_t first_row = 0) {
  std::vector<double> out;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    const float* row = logits.data() + (first_row + i) * static_cast<size_t>(vocab);
    double max_value = -INFINITY, total = 0.0;
    for (int64_t v = 0; v < vocab; ++v) max_value = std::max(max_value, double{row[v]});
    for (int64_t v = 0; v < vocab; ++v) total += std::exp(row[v] - max_value);
    out.push_back(row[tokens[i + 1]] - max_value - std::log(total));
  }
  return out;
}

inline double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

inline double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double{a[i]} - b[i]));
  return worst;
}

}  // namespace tb::test
