#pragma once
// Model: built from a checkpoint on a Backend; runs batched forward passes over a KV cache.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/tensor.hpp"
#include "harness/io/model_config.hpp"

namespace tb {

class Backend;
class Checkpoint;

// Tokens of several sequences in one call. Tokens of one slot are contiguous and in increasing
// position order; a token at position p in slot s attends to positions 0..p of slot s, so
// positions below p must already be in the cache or earlier in this batch.
struct ForwardBatch {
  std::vector<int32_t> tokens;
  std::vector<int32_t> positions;
  std::vector<int32_t> slots;
  std::vector<int32_t> logit_rows;  // indices into `tokens` whose logits are wanted; empty: all
};

// Per-slot keys and values for every layer. Writing position p overwrites what was there, so
// truncating a slot is setting its length.
class KvCache {
 public:
  virtual ~KvCache() = default;
  virtual int num_slots() const = 0;
  virtual int capacity() const = 0;  // positions per slot
  virtual int length(int slot) const = 0;
  virtual void set_length(int slot, int length) = 0;
  // Copies the first `length` positions of `from` into `to` (prefix sharing).
  virtual void copy_prefix(int from, int to, int length) = 0;
};

// How a model is placed on its backend.
struct ModelPrecision {
  // Linear weights and embedding tables: nullopt keeps the checkpoint's dtype ("auto"), else
  // they are converted once at load. Norm weights and biases are always f32.
  std::optional<DType> weights;
  DType kv_cache = DType::F32;  // f32, bf16 or f16
};

class Model {
 public:
  virtual ~Model() = default;
  virtual const ModelConfig& config() const = 0;
  virtual Backend& backend() const = 0;
  virtual std::unique_ptr<KvCache> make_cache(int num_slots, int capacity) const = 0;
  // Runs the batch, storing its keys/values in `cache`, and returns the f32 logits of the
  // wanted rows ([rows, vocab]) on the backend's device, valid until the next forward call.
  virtual const Tensor& forward_logits(const ForwardBatch& batch, KvCache& cache) = 0;
  // The same, with the logits brought back to `logits` (row-major, resized as needed).
  void forward(const ForwardBatch& batch, KvCache& cache, std::vector<float>& logits);
  // Parameters, and bytes of weights as placed on the backend, for FLOP and MBU figures.
  virtual int64_t parameter_count() const = 0;
  virtual int64_t weight_bytes() const = 0;
  // The dtype of the linear weights (the largest tensors) as placed on the backend.
  virtual DType weight_dtype() const = 0;
};

// The explicit registry of architectures (harness/model/registry.cpp).
std::unique_ptr<Model> load_model(const Checkpoint& checkpoint, Backend& backend,
                                  ModelPrecision precision = {});
// The same from a config and host tensors (f32, bf16 or f16) named as in a checkpoint:
// benchmarks and tests build random models without files. The backend must outlive the model,
// which may share the host tensors' memory.
std::unique_ptr<Model> make_model(const ModelConfig& config,
                                  const std::map<std::string, Tensor>& host_weights,
                                  Backend& backend, ModelPrecision precision = {});

}  // namespace tb
