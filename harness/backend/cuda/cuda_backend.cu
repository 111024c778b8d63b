// CudaBackend: the Backend contract on one CUDA device. Memory comes from the caching
// allocator, all work is queued on one stream (so ops are ordered without events), and the ops
// dispatch to the launchers of this directory with arguments the front has validated.
#include "harness/backend/cuda/cuda_backend_impl.cuh"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/backend/cuda/cuda_ops.cuh"

namespace tb::cuda {

namespace {

int64_t rows_of(const Tensor& t) {
  return t.rank() == 1 ? 1 : t.numel() / t.shape().back();
}
int64_t cols_of(const Tensor& t) {
  return t.shape().back();
}
const float* f32(const Tensor& t) {
  return t.data_as<const float>();
}
float* f32_mut(Tensor& t) {
  return t.data_as<float>();
}

CudaAttentionPath attention_path_from_environment() {
  const char* value = std::getenv("TB_CUDA_ATTENTION");
  if (value == nullptr || *value == '\0' || std::strcmp(value, "flash") == 0) {
    return CudaAttentionPath::Flash;
  }
  if (std::strcmp(value, "gemm") == 0) return CudaAttentionPath::Gemm;
  throw Error(ErrorKind::BadInput,
              std::string("TB_CUDA_ATTENTION=") + value + ": expected flash or gemm");
}

}  // namespace

CudaBackend::CudaBackend(int device)
    : ctx_(device), attention_path_(attention_path_from_environment()) {}

std::string CudaBackend::name() const {
  return "cuda:" + std::to_string(ctx_.device()) + " (" + ctx_.device_name() + ")";
}

bool CudaBackend::supports(Op op, DType dtype) const {
  if (dtype == DType::F32) return true;
  const bool half = dtype == DType::BF16 || dtype == DType::F16;
  return half &&
         (op == Op::Linear || op == Op::Embedding || op == Op::StoreKv || op == Op::Attention);
}

Tensor CudaBackend::alloc(const Shape& shape, DType dtype) {
  wrote();
  Tensor t = ctx_.empty(shape, dtype);
  if (t.nbytes()) check(cudaMemsetAsync(t.data(), 0, t.nbytes(), ctx_.stream()), "cudaMemsetAsync");
  return t;
}

Tensor CudaBackend::upload(const Tensor& host) {
  wrote();
  Tensor t = ctx_.empty(host.shape(), host.dtype());
  if (host.nbytes()) {
    check(cudaMemcpyAsync(t.data(), host.data(), host.nbytes(), cudaMemcpyHostToDevice,
                          ctx_.stream()),
          "cudaMemcpyAsync (upload)");
    ctx_.synchronize();  // the caller may free or reuse the host memory on return
  }
  return t;
}

Tensor CudaBackend::adopt(const Tensor& host) {
  return upload(host);
}

void CudaBackend::synchronize() {
  ctx_.synchronize();
}

void CudaBackend::stage(StagedBatch& batch) {
  wrote();
  stager_.stage(ctx_, batch);
}

void CudaBackend::download_impl(const Tensor& device, Tensor& host) {
  check(cudaMemcpyAsync(host.data(), device.data(), host.nbytes(), cudaMemcpyDeviceToHost,
                        ctx_.stream()),
        "cudaMemcpyAsync (download)");
  ctx_.synchronize();
}

void CudaBackend::copy_impl(const Tensor& src, int64_t src_offset, Tensor& dst, int64_t dst_offset,
                            int64_t count) {
  wrote();
  const auto size = static_cast<int64_t>(dtype_size(src.dtype()));
  check(cudaMemcpyAsync(static_cast<char*>(dst.data()) + dst_offset * size,
                        static_cast<const char*>(src.data()) + src_offset * size,
                        static_cast<size_t>(count * size), cudaMemcpyDeviceToDevice, ctx_.stream()),
        "cudaMemcpyAsync (copy)");
}

void CudaBackend::linear_impl(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y,
                              LinearOut out) {
  cuda::linear(ctx_, rounded_, epoch_, x, w, bias, y, out);
}

void CudaBackend::rmsnorm_impl(const Tensor& x, const Tensor& weight, float eps, Tensor& y) {
  wrote();
  cuda::rmsnorm(ctx_, f32(x), f32(weight), eps, f32_mut(y), rows_of(x), cols_of(x));
}

void CudaBackend::layernorm_impl(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                 float eps, Tensor& y) {
  wrote();
  cuda::layernorm(ctx_, f32(x), f32(weight), f32(bias), eps, f32_mut(y), rows_of(x), cols_of(x));
}

void CudaBackend::rope_impl(Tensor& x, const StagedBatch& batch, int head_dim, int rotated_heads,
                            double theta) {
  wrote();
  cuda::rope(ctx_, f32_mut(x), device_view(batch).positions, rows_of(x), cols_of(x), head_dim,
             rotated_heads, theta);
}

void CudaBackend::store_kv_impl(const Tensor& qkv, const AttentionShape& shape,
                                const StagedBatch& batch, Tensor& k_cache, Tensor& v_cache) {
  wrote();
  cuda::store_kv(ctx_, f32(qkv), shape, device_view(batch), k_cache.data(), v_cache.data(),
                 k_cache.dtype(), k_cache.dim(1));
}

void CudaBackend::attention_impl(const Tensor& qkv, const AttentionShape& shape,
                                 const StagedBatch& batch, const Tensor& k_cache,
                                 const Tensor& v_cache, Tensor& out) {
  wrote();
  DeviceBatch b = device_view(batch);
  // The decode kernel sizes its key splits from the largest position: take it from the rows
  // rather than trusting the field.
  int32_t max_position = 0;
  for (int32_t p : batch.positions) max_position = std::max(max_position, p);
  b.max_position = max_position;
  const DeviceCache cache{k_cache.data(), v_cache.data(), k_cache.dtype(), k_cache.dim(1)};
  // Each kernel takes the segments from its row bound up to the next kernel's (cuda_ops.cuh).
  int32_t below = INT32_MAX;
  if (attention_path_ == CudaAttentionPath::Flash && attention_flash_supports(ctx_, shape, cache)) {
    cuda::attention_flash(ctx_, f32(qkv), shape, b, cache, f32_mut(out));
    below = kPrefillMinRows;
  } else {
    if (attention_gemm_supports(shape, cache.dtype)) {
      cuda::attention_gemm(ctx_, f32(qkv), shape, b, batch.positions, cache, f32_mut(out));
      below = kGemmMinRows;
    }
    if (prefill_supports(ctx_, shape.head_dim)) {
      cuda::attention_prefill(ctx_, f32(qkv), shape, b, cache, f32_mut(out), below);
      below = kPrefillMinRows;
    }
  }
  cuda::attention_decode(ctx_, f32(qkv), shape, b, cache, f32_mut(out), below);
}

void CudaBackend::silu_mul_impl(const Tensor& gate_up, Tensor& out) {
  wrote();
  cuda::silu_mul(ctx_, f32(gate_up), f32_mut(out), rows_of(out), cols_of(out));
}

void CudaBackend::gelu_new_impl(Tensor& x) {
  wrote();
  cuda::gelu_new(ctx_, f32_mut(x), x.numel());
}

void CudaBackend::add_impl(Tensor& x, const Tensor& y) {
  wrote();
  cuda::add(ctx_, f32_mut(x), f32(y), x.numel());
}

void CudaBackend::embedding_impl(const Tensor& table, const Tensor& position_table,
                                 const StagedBatch& batch, Tensor& out) {
  wrote();
  cuda::embedding(ctx_, table, position_table, device_view(batch), f32_mut(out));
}

void CudaBackend::gather_rows_impl(const Tensor& x, const StagedBatch& batch, Tensor& out) {
  wrote();
  cuda::gather_rows(ctx_, f32(x), cols_of(x), device_view(batch), f32_mut(out));
}

void CudaBackend::log_softmax_impl(const Tensor& x, Tensor& y) {
  wrote();
  cuda::log_softmax(ctx_, f32(x), f32_mut(y), rows_of(x), cols_of(x));
}

RowScores CudaBackend::score_rows_impl(const Tensor& logits, std::span<const int32_t> pairs) {
  return cuda::score_rows(ctx_, f32(logits), rows_of(logits), cols_of(logits), pairs);
}

TopK CudaBackend::top_k_impl(const Tensor& logits, int k) {
  return cuda::top_k(ctx_, f32(logits), rows_of(logits), cols_of(logits), k);
}

}  // namespace tb::cuda
