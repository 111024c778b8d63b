// Backend on host memory; ops dispatch to the fast or the reference kernels. Data movement ops
// (store_kv, embedding, gather_rows, copy) have one implementation: there is nothing to compare.
#include "harness/backend/cpu/cpu_backend.hpp"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "harness/backend/cpu/kernels.hpp"
#include "harness/core/error.hpp"

namespace tb {

namespace {

[[noreturn]] void internal(const std::string& what) {
  throw Error(ErrorKind::Internal, what);
}

const float* in(const Tensor& t, const char* op) {
  if (t.empty() || t.dtype() != DType::F32 || t.device() != Device::Cpu) {
    internal(std::string(op) + ": expected a non-empty f32 CPU tensor");
  }
  return t.data_as<const float>();
}
float* out(Tensor& t, const char* op) {
  return const_cast<float*>(in(t, op));
}
const float* optional(const Tensor& t, const char* op) {
  return t.empty() ? nullptr : in(t, op);
}

void expect(bool ok, const char* op, const std::string& what) {
  if (!ok) internal(std::string(op) + ": " + what);
}
int64_t rows(const Tensor& t) {
  return t.rank() == 1 ? 1 : t.numel() / t.shape().back();
}
int64_t cols(const Tensor& t) {
  return t.shape().back();
}

class CpuBackend final : public Backend {
 public:
  CpuBackend(int threads, CpuKernels kernels) : reference_(kernels == CpuKernels::Reference) {
    threads_ = threads > 0 ? threads : omp_get_num_procs();
    openblas_set_num_threads(threads_);
    // OpenBLAS's pthreads own the cores during the matrix products. libgomp's workers spin after
    // each region and steal those cores between BLAS calls (measured: a 512-token prefill at 15%
    // of sgemm FLOP/s with both at 2 threads, 60-80% with OpenMP at 1), so the OpenMP loops run
    // on the calling thread unless OMP_NUM_THREADS asks otherwise (pair it with
    // OMP_WAIT_POLICY=passive).
    const char* omp_threads = std::getenv("OMP_NUM_THREADS");
    omp_set_num_threads(omp_threads ? std::max(1, std::atoi(omp_threads)) : 1);
  }

  Device device() const override { return Device::Cpu; }
  std::string name() const override {
    return std::string(reference_ ? "cpu-reference" : "cpu") + " (" + std::to_string(threads_) +
           " threads)";
  }

  Tensor alloc(const Shape& shape, DType dtype) override { return Tensor::zeros(shape, dtype); }
  Tensor upload(const Tensor& host) override {
    Tensor t = Tensor::zeros(host.shape(), host.dtype());
    if (host.nbytes()) std::memcpy(t.data(), host.data(), host.nbytes());
    return t;
  }
  void download(const Tensor& device, Tensor& host) override {
    expect(device.shape() == host.shape() && device.dtype() == host.dtype(), "download",
           "host tensor " + shape_string(host.shape()) + " does not match " +
               shape_string(device.shape()));
    if (host.nbytes()) std::memcpy(host.data(), device.data(), host.nbytes());
  }
  void copy(const Tensor& src, int64_t src_offset, Tensor& dst, int64_t dst_offset,
            int64_t count) override {
    expect(src.dtype() == dst.dtype() && src_offset >= 0 && dst_offset >= 0 && count >= 0 &&
               src_offset + count <= src.numel() && dst_offset + count <= dst.numel(),
           "copy", "range outside the tensors");
    const size_t size = dtype_size(src.dtype());
    std::memmove(static_cast<char*>(dst.data()) + dst_offset * size,
                 static_cast<const char*>(src.data()) + src_offset * size, count * size);
  }
  void synchronize() override {}

  void linear(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y,
              bool accumulate) override {
    const int64_t m = rows(x), k = cols(x), n = w.dim(0);
    expect(w.rank() == 2 && w.dim(1) == k && rows(y) == m && cols(y) == n &&
               (bias.empty() || bias.numel() == n),
           "linear",
           "shapes " + shape_string(x.shape()) + " x " + shape_string(w.shape()) + " -> " +
               shape_string(y.shape()));
    auto f = reference_ ? cpu::ref::linear : cpu::fast::linear;
    f(in(x, "linear"), in(w, "linear"), optional(bias, "linear"), out(y, "linear"), m, n, k,
      accumulate);
  }
  void rmsnorm(const Tensor& x, const Tensor& weight, float eps, Tensor& y) override {
    expect(weight.numel() == cols(x) && y.numel() == x.numel(), "rmsnorm", "shapes differ");
    auto f = reference_ ? cpu::ref::rmsnorm : cpu::fast::rmsnorm;
    f(in(x, "rmsnorm"), in(weight, "rmsnorm"), eps, out(y, "rmsnorm"), rows(x), cols(x));
  }
  void layernorm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                 Tensor& y) override {
    expect(weight.numel() == cols(x) && bias.numel() == cols(x) && y.numel() == x.numel(),
           "layernorm", "shapes differ");
    auto f = reference_ ? cpu::ref::layernorm : cpu::fast::layernorm;
    f(in(x, "layernorm"), in(weight, "layernorm"), in(bias, "layernorm"), eps, out(y, "layernorm"),
      rows(x), cols(x));
  }
  void rope(Tensor& x, std::span<const int32_t> positions, int head_dim, int rotated_heads,
            double theta) override {
    expect(head_dim % 2 == 0 && int64_t{rotated_heads} * head_dim <= cols(x) &&
               static_cast<int64_t>(positions.size()) == rows(x),
           "rope", "shapes differ");
    auto f = reference_ ? cpu::ref::rope : cpu::fast::rope;
    f(out(x, "rope"), positions.data(), rows(x), cols(x), head_dim, rotated_heads, theta);
  }
  void store_kv(const Tensor& qkv, const AttentionShape& shape, std::span<const int32_t> slots,
                std::span<const int32_t> positions, Tensor& k_cache, Tensor& v_cache) override {
    const int64_t m = rows(qkv), kv_row = int64_t{shape.kv_heads} * shape.head_dim;
    expect(cols(qkv) == shape.qkv_width() && k_cache.rank() == 4 &&
               k_cache.shape() == v_cache.shape() && k_cache.dim(2) * k_cache.dim(3) == kv_row &&
               static_cast<int64_t>(slots.size()) == m &&
               static_cast<int64_t>(positions.size()) == m,
           "store_kv", "shapes differ");
    const float* src = in(qkv, "store_kv");
    float* k = out(k_cache, "store_kv");
    float* v = out(v_cache, "store_kv");
    const int64_t capacity = k_cache.dim(1), q_width = shape.out_width();
    for (int64_t r = 0; r < m; ++r) {
      expect(slots[r] >= 0 && slots[r] < k_cache.dim(0) && positions[r] >= 0 &&
                 positions[r] < capacity,
             "store_kv", "slot or position outside the cache");
      const int64_t at = (int64_t{slots[r]} * capacity + positions[r]) * kv_row;
      const float* row = src + r * cols(qkv) + q_width;
      std::memcpy(k + at, row, kv_row * sizeof(float));
      std::memcpy(v + at, row + kv_row, kv_row * sizeof(float));
    }
  }
  void attention(const Tensor& qkv, const AttentionShape& shape,
                 std::span<const AttentionSegment> segments, std::span<const int32_t> positions,
                 const Tensor& k_cache, const Tensor& v_cache, Tensor& y) override {
    expect(shape.kv_heads > 0 && shape.heads % shape.kv_heads == 0 &&
               cols(qkv) == shape.qkv_width() && cols(y) == shape.out_width() &&
               rows(y) == rows(qkv) && static_cast<int64_t>(positions.size()) == rows(qkv) &&
               k_cache.rank() == 4 && k_cache.shape() == v_cache.shape(),
           "attention", "shapes differ");
    for (const AttentionSegment& seg : segments) {
      expect(seg.slot >= 0 && seg.slot < k_cache.dim(0) && seg.row >= 0 && seg.rows >= 0 &&
                 int64_t{seg.row} + seg.rows <= rows(qkv),
             "attention", "segment outside the batch or the cache");
      for (int32_t r = seg.row; r < seg.row + seg.rows; ++r) {
        expect(positions[r] >= 0 && positions[r] < k_cache.dim(1), "attention",
               "position outside the cache");
      }
    }
    const cpu::KvLayer cache{in(k_cache, "attention"), in(v_cache, "attention"), k_cache.dim(1)};
    auto f = reference_ ? cpu::ref::attention : cpu::fast::attention;
    f(in(qkv, "attention"), shape, segments, positions.data(), cache, out(y, "attention"));
  }
  void silu_mul(const Tensor& gate_up, Tensor& y) override {
    expect(cols(gate_up) == 2 * cols(y) && rows(gate_up) == rows(y), "silu_mul", "shapes differ");
    auto f = reference_ ? cpu::ref::silu_mul : cpu::fast::silu_mul;
    f(in(gate_up, "silu_mul"), out(y, "silu_mul"), rows(y), cols(y));
  }
  void gelu_new(Tensor& x) override {
    auto f = reference_ ? cpu::ref::gelu_new : cpu::fast::gelu_new;
    f(out(x, "gelu_new"), x.numel());
  }
  void add(Tensor& x, const Tensor& y) override {
    expect(x.numel() == y.numel(), "add", "sizes differ");
    auto f = reference_ ? cpu::ref::add : cpu::fast::add;
    f(out(x, "add"), in(y, "add"), x.numel());
  }
  void embedding(const Tensor& table, std::span<const int32_t> tokens, const Tensor& position_table,
                 std::span<const int32_t> positions, Tensor& y) override {
    const int64_t d = cols(table), m = static_cast<int64_t>(tokens.size());
    expect(table.rank() == 2 && rows(y) == m && cols(y) == d &&
               (position_table.empty() ||
                (cols(position_table) == d && static_cast<int64_t>(positions.size()) == m)),
           "embedding", "shapes differ");
    const float* tok = in(table, "embedding");
    const float* pos = optional(position_table, "embedding");
    float* dst = out(y, "embedding");
    for (int64_t r = 0; r < m; ++r) {
      if (tokens[r] < 0 || tokens[r] >= table.dim(0)) {
        throw Error(ErrorKind::BadInput, "token id " + std::to_string(tokens[r]) +
                                             " outside the vocabulary [0, " +
                                             std::to_string(table.dim(0)) + ")");
      }
      std::memcpy(dst + r * d, tok + int64_t{tokens[r]} * d, d * sizeof(float));
      if (!pos) continue;
      if (positions[r] < 0 || positions[r] >= position_table.dim(0)) {
        throw Error(ErrorKind::BadInput, "position " + std::to_string(positions[r]) +
                                             " beyond the model's " +
                                             std::to_string(position_table.dim(0)) + " positions");
      }
      const float* p = pos + int64_t{positions[r]} * d;
      for (int64_t j = 0; j < d; ++j) dst[r * d + j] += p[j];
    }
  }
  void gather_rows(const Tensor& x, std::span<const int32_t> indices, Tensor& y) override {
    const int64_t d = cols(x);
    expect(cols(y) == d && rows(y) == static_cast<int64_t>(indices.size()), "gather_rows",
           "shapes differ");
    const float* src = in(x, "gather_rows");
    float* dst = out(y, "gather_rows");
    for (size_t i = 0; i < indices.size(); ++i) {
      expect(indices[i] >= 0 && indices[i] < rows(x), "gather_rows", "row outside the tensor");
      std::memcpy(dst + static_cast<int64_t>(i) * d, src + int64_t{indices[i]} * d,
                  d * sizeof(float));
    }
  }
  void log_softmax(const Tensor& x, Tensor& y) override {
    expect(x.numel() == y.numel(), "log_softmax", "shapes differ");
    auto f = reference_ ? cpu::ref::log_softmax : cpu::fast::log_softmax;
    f(in(x, "log_softmax"), out(y, "log_softmax"), rows(x), cols(x));
  }

 private:
  bool reference_;
  int threads_ = 1;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads, CpuKernels kernels) {
  return std::make_unique<CpuBackend>(threads, kernels);
}

}  // namespace tb
