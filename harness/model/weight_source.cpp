#include "harness/model/weight_source.hpp"

#include <cstring>

#include "harness/core/error.hpp"
#include "harness/io/checkpoint.hpp"

namespace tb {

Tensor WeightSource::load_f32(const std::string& name, const Shape& shape) const {
  return convert_tensor(load(name, shape), DType::F32);
}

bool CheckpointWeights::has(const std::string& name) const {
  return checkpoint_.has(name);
}

Tensor CheckpointWeights::load(const std::string& name, const Shape& shape) const {
  used_.insert(name);
  return checkpoint_.view(name, shape);
}

void CheckpointWeights::check_all_used(bool tied_head) const {
  auto ignorable = [&](const std::string& name) {
    for (const char* suffix : {".attn.bias", ".attn.masked_bias", "rotary_emb.inv_freq"}) {
      const std::string_view s(suffix);
      if (name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
        return true;
      }
    }
    return tied_head && name == "lm_head.weight";
  };
  for (const std::string& name : checkpoint_.names()) {
    if (used_.count(name) || ignorable(name)) continue;
    throw Error(ErrorKind::BadInput,
                checkpoint_.config_source() + ": tensor " + name +
                    " of the checkpoint is not part of the model config.json describes (" +
                    std::to_string(checkpoint_.config().num_layers) +
                    " layers, num_hidden_layers); refusing to ignore weights");
  }
}

Tensor HostWeights::load(const std::string& name, const Shape& shape) const {
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
  if (t.device() != Device::Cpu || !is_float_dtype(t.dtype())) {
    throw Error(ErrorKind::Internal, "host weights: tensor " + name + ": not a host float tensor");
  }
  return t;
}

DType WeightLoader::target_dtype(DType stored) const {
  const DType wanted = matrix_dtype_.value_or(stored);
  return backend_.supports(Op::Linear, wanted) && backend_.supports(Op::Embedding, wanted)
             ? wanted
             : DType::F32;
}

Tensor WeightLoader::matrix(const std::string& name, const Shape& shape) {
  Tensor host = source_.load(name, shape);
  parameters_ += host.numel();
  return backend_.adopt(convert_tensor(host, target_dtype(host.dtype())));
}

Tensor WeightLoader::matrix_from_f32(const std::string& name, const Tensor& host_f32) {
  const DType stored = source_.load(name, {host_f32.dim(1), host_f32.dim(0)}).dtype();
  return backend_.adopt(convert_tensor(host_f32, target_dtype(stored)));
}

Tensor WeightLoader::vector(const std::string& name, const Shape& shape) {
  Tensor host = source_.load(name, shape);
  parameters_ += host.numel();
  // Rounded as the whole model is (a bf16 model's norms are bf16 too), computed with in f32.
  const DType rounded = matrix_dtype_.value_or(host.dtype());
  return backend_.adopt(convert_tensor(convert_tensor(host, rounded), DType::F32));
}

Tensor WeightLoader::load_f32(const std::string& name, const Shape& shape) {
  Tensor host = source_.load_f32(name, shape);
  parameters_ += host.numel();
  return host;
}

Tensor convert_tensor(const Tensor& host, DType dtype) {
  if (host.dtype() == dtype) return host;
  Tensor out = Tensor::zeros(host.shape(), dtype);
  const auto count = static_cast<size_t>(host.numel());
  if (count == 0) return out;
  if (host.dtype() == DType::F32) {
    convert_from_f32(host.data_as<const float>(), dtype, count, out.data());
  } else if (dtype == DType::F32) {
    convert_to_f32(host.data(), host.dtype(), count, out.data_as<float>());
  } else {  // f16 <-> bf16 through f32, one block at a time
    constexpr size_t kBlock = 4096;
    float buffer[kBlock];
    const size_t elem = dtype_size(dtype);
    for (size_t i = 0; i < count; i += kBlock) {
      const size_t n = std::min(kBlock, count - i);
      convert_to_f32(static_cast<const char*>(host.data()) + i * elem, host.dtype(), n, buffer);
      convert_from_f32(buffer, dtype, n, static_cast<char*>(out.data()) + i * elem);
    }
  }
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
  Tensor out = Tensor::zeros(shape, (*parts.begin())->dtype());
  auto* dst = static_cast<char*>(out.data());
  for (const Tensor* p : parts) {
    std::memcpy(dst, p->data(), p->nbytes());
    dst += p->nbytes();
  }
  return out;
}

}  // namespace tb
