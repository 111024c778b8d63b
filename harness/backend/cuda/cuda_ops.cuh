#pragma once
// The CUDA launchers, one group per file of this directory. Each queues its kernels on the
// context's stream and checks the launch; arguments were validated by the backend front.
#include <cstdint>
#include <span>

#include "harness/backend/backend.hpp"
#include "harness/backend/cuda/cuda_context.cuh"

namespace tb::cuda {

// The staged batch as device pointers (views into its one upload), plus the host copies the
// launchers size their grids from.
struct DeviceBatch {
  const int32_t* tokens = nullptr;
  const int32_t* positions = nullptr;
  const int32_t* slots = nullptr;
  const int32_t* wanted = nullptr;
  const int32_t* segments = nullptr;  // [segment_count, 3]: slot, row, rows
  int64_t rows = 0;
  int64_t wanted_count = 0;
  std::span<const AttentionSegment> host_segments;
  int32_t max_position = 0;
};
DeviceBatch device_view(const StagedBatch& batch);

// One layer's K and V caches, [slots, capacity, kv_heads, head_dim] of `dtype`.
struct DeviceCache {
  const void* k = nullptr;
  const void* v = nullptr;
  DType dtype = DType::F32;
  int64_t capacity = 0;
};

// cuda_gemm.cu. Products with bf16 / f16 weights round x to the weight dtype first; the
// rounded copy is kept and reused by the next products of the same x (q, k and v; gate and up)
// as long as no op has written device memory since (`epoch` counts the backend's writes).
struct RoundedActivations {
  const void* x = nullptr;
  int64_t count = 0;
  DType dtype = DType::F32;
  uint64_t epoch = 0;
  std::shared_ptr<void> buffer;
};
void linear(Context& ctx, RoundedActivations& rounded, uint64_t epoch, const Tensor& x,
            const Tensor& w, const Tensor& bias, Tensor& y, LinearOut out);

// cuda_norms.cu
void rmsnorm(Context& ctx, const float* x, const float* w, float eps, float* y, int64_t m,
             int64_t d);
void layernorm(Context& ctx, const float* x, const float* w, const float* b, float eps, float* y,
               int64_t m, int64_t d);

// cuda_rope.cu
void rope(Context& ctx, float* x, const int32_t* positions, int64_t m, int64_t width, int head_dim,
          int rotated_heads, double theta);

// cuda_kv_store.cu
void store_kv(Context& ctx, const float* qkv, const AttentionShape& shape, const DeviceBatch& b,
              void* k_cache, void* v_cache, DType dtype, int64_t capacity);

// Which kernel takes a segment of `rows` rows (CudaBackend::attention_impl). On the flash path
// (the default; TB_CUDA_ATTENTION=flash):
//  - rows >= kPrefillMinRows over a bf16 / f16 cache, head size 64 or 128, where its shared
//    memory fits the device: the tensor-core flash kernel (cuda_attention_flash.cu);
// on the gemm path (TB_CUDA_ATTENTION=gemm, kept for A/B comparison), and for what the flash
// kernel does not take:
//  - rows >= kGemmMinRows over a bf16 / f16 cache (head size a multiple of 8): cuBLAS GEMMs
//    around a causal softmax (cuda_attention_gemm.cu);
//  - other rows >= kPrefillMinRows with a head size of 32, 64 or 128 (where its shared memory
//    fits): the tiled f32 kernel (cuda_attention_prefill.cu);
// and always:
//  - the rest: the split-K kernel (cuda_attention_decode.cu), which takes any head size.
// Each kernel is given the row bound below which the next one down takes over.
constexpr int32_t kPrefillMinRows = 16;
constexpr int32_t kGemmMinRows = 128;

bool attention_flash_supports(const Context& ctx, const AttentionShape& shape,
                              const DeviceCache& cache);
// Every segment of at least kPrefillMinRows rows.
void attention_flash(Context& ctx, const float* qkv, const AttentionShape& shape,
                     const DeviceBatch& b, const DeviceCache& cache, float* out);
bool attention_gemm_supports(const AttentionShape& shape, DType cache_dtype);
// Every segment of at least kGemmMinRows rows; `positions` are the batch's host positions.
void attention_gemm(Context& ctx, const float* qkv, const AttentionShape& shape,
                    const DeviceBatch& b, std::span<const int32_t> positions,
                    const DeviceCache& cache, float* out);
bool prefill_supports(const Context& ctx, int head_dim);
// Every segment with kPrefillMinRows <= rows < below.
void attention_prefill(Context& ctx, const float* qkv, const AttentionShape& shape,
                       const DeviceBatch& b, const DeviceCache& cache, float* out, int32_t below);
// cuda_attention_decode.cu: the split-K kernel over every segment with fewer than `below` rows.
void attention_decode(Context& ctx, const float* qkv, const AttentionShape& shape,
                      const DeviceBatch& b, const DeviceCache& cache, float* out, int32_t below);

// cuda_elementwise.cu
void silu_mul(Context& ctx, const float* gate_up, float* out, int64_t m, int64_t n);
void gelu_new(Context& ctx, float* x, int64_t count);
void add(Context& ctx, float* x, const float* y, int64_t count);
// y[i * ldy + j] = bias[j] (accumulate: +=) for i < m, j < n: the bias of `linear`.
void add_bias(Context& ctx, const float* bias, float* y, int64_t m, int64_t n, int64_t ldy,
              bool accumulate);
// dst[i] = round(src[i]) in `dtype` (bf16 or f16): the activations of a half-precision product.
void round_to(Context& ctx, const float* src, void* dst, DType dtype, int64_t count);

// cuda_embedding.cu
void embedding(Context& ctx, const Tensor& table, const Tensor& position_table,
               const DeviceBatch& b, float* out);
void gather_rows(Context& ctx, const float* x, int64_t d, const DeviceBatch& b, float* out);

// cuda_scoring.cu
void log_softmax(Context& ctx, const float* x, float* y, int64_t m, int64_t n);
RowScores score_rows(Context& ctx, const float* logits, int64_t rows, int64_t vocab,
                     std::span<const int32_t> pairs);

// cuda_top_k.cu
TopK top_k(Context& ctx, const float* logits, int64_t rows, int64_t vocab, int k);

}  // namespace tb::cuda
