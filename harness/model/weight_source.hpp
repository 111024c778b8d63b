#pragma once
// Where a model's weights come from: a checkpoint directory, or host tensors (benchmarks and
// tests building random models without files). Either way every tensor is fetched by name with
// its expected shape, so a missing or wrong-shaped tensor gives one message naming it.
// WeightLoader then places each on the backend in the dtype the run asks for.
#include <map>
#include <optional>
#include <string>

#include "harness/backend/backend.hpp"
#include "harness/core/tensor.hpp"

namespace tb {

class Checkpoint;

class WeightSource {
 public:
  virtual ~WeightSource() = default;
  virtual bool has(const std::string& name) const = 0;
  // The host tensor in its stored float dtype (possibly a view of a mapped file), or tb::Error
  // naming it (missing, wrong shape).
  virtual Tensor load(const std::string& name, const Shape& shape) const = 0;
  // The same widened to host f32.
  Tensor load_f32(const std::string& name, const Shape& shape) const;
};

class CheckpointWeights final : public WeightSource {
 public:
  explicit CheckpointWeights(const Checkpoint& checkpoint) : checkpoint_(checkpoint) {}
  bool has(const std::string& name) const override;
  Tensor load(const std::string& name, const Shape& shape) const override;

 private:
  const Checkpoint& checkpoint_;
};

class HostWeights final : public WeightSource {
 public:
  explicit HostWeights(const std::map<std::string, Tensor>& tensors) : tensors_(tensors) {}
  bool has(const std::string& name) const override { return tensors_.count(name) != 0; }
  Tensor load(const std::string& name, const Shape& shape) const override;

 private:
  const std::map<std::string, Tensor>& tensors_;
};

// Fetches weights for a builder and places them on the backend: matrices (linear weights and
// embedding tables) in `matrix_dtype` (nullopt: as stored, f32 where the backend lacks the
// stored dtype), converting only when the dtypes differ and otherwise adopting the host tensor
// (the CPU then reads the mapped checkpoint itself); norm weights and biases rounded to
// `matrix_dtype` like every parameter of a converted model, and computed with in f32. Counts
// the parameters it hands out.
class WeightLoader {
 public:
  WeightLoader(const WeightSource& source, Backend& backend, std::optional<DType> matrix_dtype)
      : source_(source), backend_(backend), matrix_dtype_(matrix_dtype) {}

  bool has(const std::string& name) const { return source_.has(name); }
  Tensor matrix(const std::string& name, const Shape& shape);
  // A matrix computed on the host in f32 (a transposed Conv1D weight), in the dtype `name`
  // would have had.
  Tensor matrix_from_f32(const std::string& name, const Tensor& host_f32);
  Tensor vector(const std::string& name, const Shape& shape);
  Tensor load_f32(const std::string& name, const Shape& shape);
  int64_t parameters() const { return parameters_; }

 private:
  DType target_dtype(DType stored) const;

  const WeightSource& source_;
  Backend& backend_;
  std::optional<DType> matrix_dtype_;
  int64_t parameters_ = 0;
};

// A host tensor converted to another float dtype (a copy; the same tensor when equal).
Tensor convert_tensor(const Tensor& host, DType dtype);
// Host-side reshaping done once at load time, in f32.
Tensor transpose_2d(const Tensor& host);                         // [r, c] -> [c, r]
Tensor concat_rows(std::initializer_list<const Tensor*> parts);  // along dim 0

}  // namespace tb
