#pragma once
// One list of op cases that every backend runs against the CPU reference kernels, as ggml's
// test-backend-ops does: odd sizes, GQA ratios, several segments, long positions, every weight
// and cache dtype. Inputs are made on the host, uploaded to both backends, and the results
// compared after download with a tolerance chosen by the dtype that limits the candidate.
#include <functional>
#include <string>
#include <vector>

#include "harness/backend/backend.hpp"

namespace tb::test {

// Largest |candidate - reference| over a tensor, relative to its largest |reference|.
struct Tolerances {
  double f32 = 1e-5;
  double f16 = 1e-2;
  double bf16 = 4e-2;
  double of(DType dtype) const {
    return dtype == DType::F16 ? f16 : dtype == DType::BF16 ? bf16 : f32;
  }
};

struct OpCase {
  std::string name;
  // Runs the case on both backends and CHECKs the results (doctest assertions).
  std::function<void(Backend& candidate, Backend& reference, const Tolerances& tolerances)> run;
};

// Every case, in a fixed order.
const std::vector<OpCase>& op_cases();

// Runs every case on `candidate` against `reference`, each in its own doctest subcase.
void run_op_cases(Backend& candidate, Backend& reference, const Tolerances& tolerances);

}  // namespace tb::test
