#pragma once
// The architectures tunebench runs; registry.cpp lists them.
#include <memory>

#include "harness/model/model.hpp"

namespace tb {

class WeightLoader;

std::unique_ptr<Model> build_llama(const ModelConfig& config, WeightLoader& weights,
                                   const ModelPrecision& precision, Backend& backend);
std::unique_ptr<Model> build_gpt2(const ModelConfig& config, WeightLoader& weights,
                                  const ModelPrecision& precision, Backend& backend);

}  // namespace tb
