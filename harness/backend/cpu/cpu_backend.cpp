// Backend on host memory; ops dispatch to the fast or the reference kernels. Arguments were
// validated by the front (backend_front.cpp). Data movement ops (store_kv, embedding,
// gather_rows, copy) have one implementation: there is nothing to compare.
#include "harness/backend/cpu/cpu_backend.hpp"

#include <cblas.h>
#include <omp.h>

#include <cstring>
#include <string>

#include "harness/backend/cpu/kernels.hpp"
#include "harness/backend/cpu/weight_arena.hpp"
#include "harness/core/error.hpp"

namespace tb {

namespace {

const float* f32(const Tensor& t) {
  return t.data_as<const float>();
}
float* f32(Tensor& t) {
  return t.data_as<float>();
}
const float* optional_f32(const Tensor& t) {
  return t.empty() ? nullptr : t.data_as<const float>();
}
int64_t rows(const Tensor& t) {
  return t.rank() == 1 ? 1 : t.numel() / t.shape().back();
}
int64_t cols(const Tensor& t) {
  return t.shape().back();
}
cpu::KvLayer kv_layer(const Tensor& k, const Tensor& v) {
  return {k.data(), v.data(), k.dtype(), k.dim(1)};
}
// Row `r` of a 2-D table of any float dtype, widened into dst[d].
void widen_row(const Tensor& table, int64_t r, float* dst) {
  const int64_t d = cols(table);
  convert_to_f32(static_cast<const char*>(table.data()) + r * d * dtype_size(table.dtype()),
                 table.dtype(), static_cast<size_t>(d), dst);
}

class CpuBackend final : public Backend {
 public:
  CpuBackend(int threads, CpuKernels kernels) : reference_(kernels == CpuKernels::Reference) {
    threads_ = threads > 0 ? threads : omp_get_num_procs();
    // OpenBLAS is its OpenMP build (CMakeLists.txt): the matrix products and the kernels' loops
    // run on one libgomp team of this size.
    openblas_set_num_threads(threads_);
    omp_set_num_threads(threads_);
  }

  Device device() const override { return Device::Cpu; }
  std::string name() const override {
    return std::string(reference_ ? "cpu-reference" : "cpu") + " (" + std::to_string(threads_) +
           " threads)";
  }
  bool supports(Op op, DType dtype) const override {
    switch (op) {
      case Op::Linear:
      case Op::Embedding:
      case Op::StoreKv:
      case Op::Attention:
        return is_float_dtype(dtype);
      default:
        return dtype == DType::F32;
    }
  }

  Tensor alloc(const Shape& shape, DType dtype) override { return Tensor::zeros(shape, dtype); }
  Tensor upload(const Tensor& host) override {
    Tensor t = Tensor::uninitialized(host.shape(), host.dtype());
    if (host.nbytes()) std::memcpy(t.data(), host.data(), host.nbytes());
    return t;
  }
  // Weights are copied onto huge pages (weight_arena.hpp): an mmap'd checkpoint's page-cache
  // pages are 4 KiB ones.
  Tensor adopt(const Tensor& host) override { return weights_.copy(host); }
  void synchronize() override {}
  void stage(StagedBatch& batch) override { stage_as_host_views(batch); }

 protected:
  void download_impl(const Tensor& device, Tensor& host) override {
    std::memcpy(host.data(), device.data(), host.nbytes());
  }
  void copy_impl(const Tensor& src, int64_t src_offset, Tensor& dst, int64_t dst_offset,
                 int64_t count) override {
    const size_t size = dtype_size(src.dtype());
    std::memmove(static_cast<char*>(dst.data()) + dst_offset * size,
                 static_cast<const char*>(src.data()) + src_offset * size, count * size);
  }

  void linear_impl(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y,
                   LinearOut out) override {
    auto f = reference_ ? cpu::ref::linear : cpu::fast::linear;
    f(f32(x), {w.data(), w.dtype()}, optional_f32(bias), f32(y) + out.column, rows(x), w.dim(0),
      cols(x), cols(y), out.accumulate);
  }
  void rmsnorm_impl(const Tensor& x, const Tensor& weight, float eps, Tensor& y) override {
    auto f = reference_ ? cpu::ref::rmsnorm : cpu::fast::rmsnorm;
    f(f32(x), f32(weight), eps, f32(y), rows(x), cols(x));
  }
  void layernorm_impl(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                      Tensor& y) override {
    auto f = reference_ ? cpu::ref::layernorm : cpu::fast::layernorm;
    f(f32(x), f32(weight), f32(bias), eps, f32(y), rows(x), cols(x));
  }
  void rope_impl(Tensor& x, const StagedBatch& batch, int head_dim, int rotated_heads,
                 double theta) override {
    auto f = reference_ ? cpu::ref::rope : cpu::fast::rope;
    f(f32(x), batch.positions.data(), rows(x), cols(x), head_dim, rotated_heads, theta);
  }
  void store_kv_impl(const Tensor& qkv, const AttentionShape& shape, const StagedBatch& batch,
                     Tensor& k_cache, Tensor& v_cache) override {
    const int64_t kv_row = shape.kv_width(), capacity = k_cache.dim(1);
    const size_t elem = dtype_size(k_cache.dtype());
    const float* src = f32(qkv);
    auto* k = static_cast<char*>(k_cache.data());
    auto* v = static_cast<char*>(v_cache.data());
    for (int64_t r = 0; r < batch.rows(); ++r) {
      const int64_t at = (int64_t{batch.slots[r]} * capacity + batch.positions[r]) * kv_row;
      const float* row = src + r * cols(qkv) + shape.out_width();
      convert_from_f32(row, k_cache.dtype(), static_cast<size_t>(kv_row), k + at * elem);
      convert_from_f32(row + kv_row, v_cache.dtype(), static_cast<size_t>(kv_row), v + at * elem);
    }
  }
  void attention_impl(const Tensor& qkv, const AttentionShape& shape, const StagedBatch& batch,
                      const Tensor& k_cache, const Tensor& v_cache, Tensor& y) override {
    auto f = reference_ ? cpu::ref::attention : cpu::fast::attention;
    f(f32(qkv), shape, batch.segments, batch.positions.data(), kv_layer(k_cache, v_cache), f32(y));
  }
  void silu_mul_impl(const Tensor& gate_up, Tensor& y) override {
    auto f = reference_ ? cpu::ref::silu_mul : cpu::fast::silu_mul;
    f(f32(gate_up), f32(y), rows(y), cols(y));
  }
  void gelu_new_impl(Tensor& x) override {
    auto f = reference_ ? cpu::ref::gelu_new : cpu::fast::gelu_new;
    f(f32(x), x.numel());
  }
  void add_impl(Tensor& x, const Tensor& y) override {
    auto f = reference_ ? cpu::ref::add : cpu::fast::add;
    f(f32(x), f32(y), x.numel());
  }
  void embedding_impl(const Tensor& table, const Tensor& position_table, const StagedBatch& batch,
                      Tensor& y) override {
    const int64_t d = cols(table);
    float* dst = f32(y);
    std::vector<float> position_row(position_table.empty() ? 0 : static_cast<size_t>(d));
    for (int64_t r = 0; r < batch.rows(); ++r) {
      widen_row(table, batch.tokens[r], dst + r * d);
      if (position_table.empty()) continue;
      widen_row(position_table, batch.positions[r], position_row.data());
      for (int64_t j = 0; j < d; ++j) dst[r * d + j] += position_row[static_cast<size_t>(j)];
    }
  }
  void gather_rows_impl(const Tensor& x, const StagedBatch& batch, Tensor& y) override {
    const int64_t d = cols(x);
    for (size_t i = 0; i < batch.wanted.size(); ++i) {
      std::memcpy(f32(y) + static_cast<int64_t>(i) * d, f32(x) + int64_t{batch.wanted[i]} * d,
                  d * sizeof(float));
    }
  }
  void log_softmax_impl(const Tensor& x, Tensor& y) override {
    auto f = reference_ ? cpu::ref::log_softmax : cpu::fast::log_softmax;
    f(f32(x), f32(y), rows(x), cols(x));
  }
  RowScores score_rows_impl(const Tensor& logits, std::span<const int32_t> pairs) override {
    auto f = reference_ ? cpu::ref::score_rows : cpu::fast::score_rows;
    return f(f32(logits), rows(logits), cols(logits), pairs);
  }
  TopK top_k_impl(const Tensor& logits, int k) override {
    auto f = reference_ ? cpu::ref::top_k : cpu::fast::top_k;
    return f(f32(logits), rows(logits), cols(logits), k);
  }

 private:
  bool reference_;
  int threads_ = 1;
  cpu::WeightArena weights_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads, CpuKernels kernels) {
  return std::make_unique<CpuBackend>(threads, kernels);
}

}  // namespace tb
