#pragma once
// Tensor: shape + dtype + device + buffer. No maths: backends do the maths.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness/core/dtype.hpp"

namespace tb {

enum class Device { Cpu, Cuda };

using Shape = std::vector<int64_t>;

std::string shape_string(const Shape& shape);  // "[2, 3]"
int64_t shape_numel(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;

  // A host tensor that owns fresh, zeroed, 64-byte aligned memory.
  static Tensor zeros(Shape shape, DType dtype);
  // The same without the zeroing, for memory about to be overwritten whole.
  static Tensor uninitialized(Shape shape, DType dtype);
  // A tensor over memory someone else owns; `owner` keeps it alive (may be null for borrowed
  // memory that outlives the tensor, such as an mmap'd checkpoint held by the caller).
  static Tensor view(void* data, Shape shape, DType dtype, Device device,
                     std::shared_ptr<void> owner);

  const Shape& shape() const { return shape_; }
  int64_t dim(size_t i) const { return shape_.at(i); }
  size_t rank() const { return shape_.size(); }
  int64_t numel() const { return shape_numel(shape_); }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  bool empty() const { return data_ == nullptr; }

  void* data() const { return data_; }
  template <typename T>
  T* data_as() const {
    return static_cast<T*>(data_);
  }

  // Same buffer, another shape with the same element count.
  Tensor reshaped(Shape shape) const;

 private:
  Shape shape_;
  DType dtype_ = DType::F32;
  Device device_ = Device::Cpu;
  void* data_ = nullptr;
  std::shared_ptr<void> owner_;
};

}  // namespace tb
