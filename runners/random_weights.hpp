#pragma once
// Random weights of a config's shape, named as a Hugging Face checkpoint names them, so that
// `tunebench profile --shape` runs the very code a real checkpoint runs.
#include <cstdint>
#include <map>
#include <string>

#include "harness/core/tensor.hpp"
#include "harness/io/model_config.hpp"

namespace tb {

// Matrices uniform in +-1/sqrt(fan-in), norm weights 1, biases 0; deterministic in `seed`.
std::map<std::string, Tensor> random_weights(const ModelConfig& config, uint64_t seed);

}  // namespace tb
