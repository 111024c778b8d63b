// The explicit list of architectures, and the two ways to build a model: from a checkpoint and
// from host f32 weights.
#include <map>

#include "harness/core/error.hpp"
#include "harness/io/checkpoint.hpp"
#include "harness/model/architectures.hpp"
#include "harness/model/model.hpp"
#include "harness/model/weight_source.hpp"

namespace tb {

namespace {

using Builder = std::unique_ptr<Model> (*)(const ModelConfig&, const WeightSource&, Backend&);

const std::map<Architecture, Builder>& registry() {
  static const std::map<Architecture, Builder> builders = {
      {Architecture::Llama, build_llama},
      {Architecture::Gpt2, build_gpt2},
  };
  return builders;
}

std::unique_ptr<Model> build(const ModelConfig& config, const WeightSource& weights,
                             Backend& backend) {
  const auto it = registry().find(config.architecture);
  if (it == registry().end()) {
    throw Error(ErrorKind::Unsupported, "model_type " + config.model_type + ": not supported");
  }
  return it->second(config, weights, backend);
}

}  // namespace

std::unique_ptr<Model> load_model(const Checkpoint& checkpoint, Backend& backend) {
  return build(checkpoint.config(), CheckpointWeights(checkpoint), backend);
}

std::unique_ptr<Model> make_model(const ModelConfig& config,
                                  const std::map<std::string, Tensor>& host_weights,
                                  Backend& backend) {
  return build(config, HostWeights(host_weights), backend);
}

}  // namespace tb
