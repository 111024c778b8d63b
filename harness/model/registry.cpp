// The explicit list of architectures, and the two ways to build a model: from a checkpoint and
// from host weights.
#include <map>

#include "harness/core/error.hpp"
#include "harness/io/checkpoint.hpp"
#include "harness/model/architectures.hpp"
#include "harness/model/model.hpp"
#include "harness/model/weight_source.hpp"

namespace tb {

namespace {

using Builder = std::unique_ptr<Model> (*)(const ModelConfig&, WeightLoader&, const ModelPrecision&,
                                           Backend&);

const std::map<Architecture, Builder>& registry() {
  static const std::map<Architecture, Builder> builders = {
      {Architecture::Llama, build_llama},
      {Architecture::Gpt2, build_gpt2},
  };
  return builders;
}

std::unique_ptr<Model> build(const ModelConfig& config, const WeightSource& weights,
                             Backend& backend, const ModelPrecision& precision) {
  const auto it = registry().find(config.architecture);
  if (it == registry().end()) {
    throw Error(ErrorKind::Unsupported, "model_type " + config.model_type + ": not supported");
  }
  if (!backend.supports(Op::StoreKv, precision.kv_cache) ||
      !backend.supports(Op::Attention, precision.kv_cache)) {
    throw Error(ErrorKind::Unsupported, "KV cache dtype " +
                                            std::string(dtype_name(precision.kv_cache)) +
                                            " is not supported by " + backend.name());
  }
  WeightLoader loader(weights, backend, precision.weights);
  return it->second(config, loader, precision, backend);
}

}  // namespace

std::unique_ptr<Model> load_model(const Checkpoint& checkpoint, Backend& backend,
                                  ModelPrecision precision) {
  const CheckpointWeights weights(checkpoint);
  std::unique_ptr<Model> model = build(checkpoint.config(), weights, backend, precision);
  weights.check_all_used(checkpoint.config().tie_word_embeddings);
  return model;
}

std::unique_ptr<Model> make_model(const ModelConfig& config,
                                  const std::map<std::string, Tensor>& host_weights,
                                  Backend& backend, ModelPrecision precision) {
  return build(config, HostWeights(host_weights), backend, precision);
}

}  // namespace tb
