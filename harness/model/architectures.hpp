#pragma once
// The architectures tunebench runs; registry.cpp lists them.
#include <memory>

#include "harness/model/model.hpp"

namespace tb {

class WeightSource;

std::unique_ptr<Model> build_llama(const ModelConfig& config, const WeightSource& weights,
                                   Backend& backend);
std::unique_ptr<Model> build_gpt2(const ModelConfig& config, const WeightSource& weights,
                                  Backend& backend);

}  // namespace tb
