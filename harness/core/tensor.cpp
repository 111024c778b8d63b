#include "harness/core/tensor.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "harness/core/error.hpp"

namespace tb {

std::string shape_string(const Shape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Tensor Tensor::zeros(Shape shape, DType dtype) {
  Tensor t;
  t.shape_ = std::move(shape);
  t.dtype_ = dtype;
  t.device_ = Device::Cpu;
  const size_t bytes = t.nbytes();
  const size_t rounded = (bytes + 63) / 64 * 64;
  void* memory = rounded == 0 ? nullptr : std::aligned_alloc(64, rounded);
  if (rounded != 0 && memory == nullptr) throw std::bad_alloc();
  if (memory) std::memset(memory, 0, rounded);
  t.owner_ = std::shared_ptr<void>(memory, [](void* p) { std::free(p); });
  t.data_ = memory;
  return t;
}

Tensor Tensor::view(void* data, Shape shape, DType dtype, Device device,
                    std::shared_ptr<void> owner) {
  Tensor t;
  t.shape_ = std::move(shape);
  t.dtype_ = dtype;
  t.device_ = device;
  t.data_ = data;
  t.owner_ = std::move(owner);
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  if (shape_numel(shape) != numel()) {
    throw Error(ErrorKind::Internal,
                "reshape " + shape_string(shape_) + " to " + shape_string(shape) + ": sizes differ");
  }
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

}  // namespace tb
