#pragma once
// Where a model's weights come from: a checkpoint directory, or host f32 tensors (benchmarks and
// tests building random models without files). Either way every tensor is fetched by name with
// its expected shape, so a missing or wrong-shaped tensor gives one message naming it.
#include <map>
#include <string>

#include "harness/core/tensor.hpp"

namespace tb {

class Checkpoint;

class WeightSource {
 public:
  virtual ~WeightSource() = default;
  virtual bool has(const std::string& name) const = 0;
  // The tensor widened to host f32, or tb::Error naming it (missing, wrong shape).
  virtual Tensor load_f32(const std::string& name, const Shape& shape) const = 0;
};

class CheckpointWeights final : public WeightSource {
 public:
  explicit CheckpointWeights(const Checkpoint& checkpoint) : checkpoint_(checkpoint) {}
  bool has(const std::string& name) const override;
  Tensor load_f32(const std::string& name, const Shape& shape) const override;

 private:
  const Checkpoint& checkpoint_;
};

class HostWeights final : public WeightSource {
 public:
  explicit HostWeights(const std::map<std::string, Tensor>& tensors) : tensors_(tensors) {}
  bool has(const std::string& name) const override { return tensors_.count(name) != 0; }
  Tensor load_f32(const std::string& name, const Shape& shape) const override;

 private:
  const std::map<std::string, Tensor>& tensors_;
};

// Host-side reshaping done once at load time.
Tensor transpose_2d(const Tensor& host);                         // [r, c] -> [c, r]
Tensor concat_rows(std::initializer_list<const Tensor*> parts);  // along dim 0

}  // namespace tb
