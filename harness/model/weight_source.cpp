#include "harness/model/weight_source.hpp"

#include <cstring>

#include "harness/core/error.hpp"
#include "harness/io/checkpoint.hpp"

namespace tb {

bool CheckpointWeights::has(const std::string& name) const {
  return checkpoint_.has(name);
}

Tensor CheckpointWeights::load_f32(const std::string& name, const Shape& shape) const {
  return checkpoint_.load_f32(name, shape);
}

Tensor HostWeights::load_f32(const std::string& name, const Shape& shape) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    throw Error(ErrorKind::BadInput, "host weights: tensor " + name + ": missing");
  }
  const Tensor& t = it->second;
  if (t.shape() != shape) {
    throw Error(ErrorKind::BadInput, "host weights: tensor " + name + ": shape " +
                                         shape_string(t.shape()) + ", expected " +
                                         shape_string(shape));
  }
  if (t.device() != Device::Cpu) {
    throw Error(ErrorKind::Internal, "host weights: tensor " + name + ": not in host memory");
  }
  Tensor out = Tensor::zeros(shape, DType::F32);
  if (t.numel())
    convert_to_f32(t.data(), t.dtype(), static_cast<size_t>(t.numel()), out.data_as<float>());
  return out;
}

Tensor transpose_2d(const Tensor& host) {
  const int64_t r = host.dim(0), c = host.dim(1);
  Tensor out = Tensor::zeros({c, r}, DType::F32);
  const float* src = host.data_as<const float>();
  float* dst = out.data_as<float>();
  for (int64_t i = 0; i < r; ++i) {
    for (int64_t j = 0; j < c; ++j) dst[j * r + i] = src[i * c + j];
  }
  return out;
}

Tensor concat_rows(std::initializer_list<const Tensor*> parts) {
  Shape shape = (*parts.begin())->shape();
  shape[0] = 0;
  for (const Tensor* p : parts) shape[0] += p->dim(0);
  Tensor out = Tensor::zeros(shape, DType::F32);
  auto* dst = static_cast<char*>(out.data());
  for (const Tensor* p : parts) {
    std::memcpy(dst, p->data(), p->nbytes());
    dst += p->nbytes();
  }
  return out;
}

}  // namespace tb
