// Causal GQA attention for long segments over a bf16 or f16 cache, on cuBLAS tensor cores, as
// exact as f32 arithmetic: K and V are already in the cache dtype, and the f32 operands on the
// other side (Q, then the probabilities P) are split into three parts of that dtype whose sum is
// the f32 value (8 + 8 + 8 significand bits in bf16; f16 takes P scaled by 2^12 so that the
// small parts do not underflow), so each product is three GEMMs of exact inputs with f32
// accumulation. For each chunk of up to kChunkRows rows of a segment, with `keys` = (largest
// position in the chunk) + 1:
//   1. Q of the chunk is split into Qs[part][heads][rows][head_dim];
//   2. S[h] = scale Q_h K_g^T ([rows, keys], f32), per part one strided-batched GEMM over the
//      kv heads: the `group` query heads of kv head g are contiguous in Qs, so kv head g's
//      batch item is a (group x rows) x head_dim matrix against K_g (rows of the cache with
//      stride kv_heads x head_dim);
//   3. a row kernel turns each S row into probabilities over keys 0..positions[r] (0 beyond),
//      in f32 as the other kernels, and splits them: Ps[part][heads][rows][ld];
//   4. O_h = P_h V_g, written straight into out[r, h * head_dim ..] (ldc = heads x head_dim),
//      per part one strided-batched GEMM for each position i of a head in its group
//      (h = g x group + i).
// The score and probability rows are `ld` = keys rounded up to 8 wide (tensor-core alignment).
#include <algorithm>
#include <type_traits>

#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/backend/cuda/cuda_dtype.cuh"
#include "harness/backend/cuda/cuda_ops.cuh"
#include "harness/backend/cuda/cuda_reduce.cuh"

namespace tb::cuda {

namespace {

constexpr size_t kScoreBudget = size_t{512} << 20;  // bytes of f32 scores per chunk
// Rows per chunk: a chunk computes scores for every key up to its last row's position, so
// smaller chunks skip more of the causal upper triangle (and of the score traffic).
constexpr int64_t kChunkRows = 512;
constexpr int kParts = 3;

// f16 has a narrow exponent range: P in [0, 1] is scaled up before splitting and the product
// scaled back down (powers of two: exact).
template <typename T>
__host__ __device__ constexpr float probability_scale() {
  return std::is_same_v<T, __half> ? 4096.0f : 1.0f;
}

// v = part[0] + part[1] + part[2], each rounded to T (nearest even) from what is left.
template <typename T>
__device__ __forceinline__ void split(float v, T* part, int64_t stride) {
  const T hi = narrow<T>(v);
  const float rest = v - widen(hi);
  const T mid = narrow<T>(rest);
  part[0] = hi;
  part[stride] = mid;
  part[2 * stride] = narrow<T>(rest - widen(mid));
}

template <typename T>
__global__ void pack_queries_kernel(const float* qkv, int64_t width, int64_t first_row,
                                    int64_t rows, int heads, int head_dim, T* qs) {
  const int64_t count = int64_t{heads} * rows * head_dim;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t j = i % head_dim, r = (i / head_dim) % rows, h = i / (head_dim * rows);
    split(qkv[(first_row + r) * width + h * head_dim + j], qs + i, count);
  }
}

// One block per row (h, r) of S: probabilities over keys 0..positions[first_row + r].
template <typename T>
__global__ void causal_softmax_kernel(const float* scores, const int32_t* positions,
                                      int64_t first_row, int64_t rows, int64_t ld, T* probs) {
  const int64_t row = blockIdx.x;  // h * rows + r
  const int64_t part_stride = int64_t{gridDim.x} * ld;
  const int64_t visible = int64_t{positions[first_row + row % rows]} + 1;
  const float* s = scores + row * ld;
  T* p = probs + row * ld;
  float local_max = -INFINITY;
  for (int64_t t = threadIdx.x; t < visible; t += blockDim.x) local_max = fmaxf(local_max, s[t]);
  const float m = block_max(local_max);
  float local_sum = 0.0f;
  for (int64_t t = threadIdx.x; t < visible; t += blockDim.x) local_sum += expf(s[t] - m);
  const float inv = 1.0f / block_sum(local_sum);
  for (int64_t t = threadIdx.x; t < ld; t += blockDim.x) {
    const float value = t < visible ? expf(s[t] - m) * inv : 0.0f;
    split(value * probability_scale<T>(), p + t, part_stride);
  }
}

cudaDataType_t cuda_type(DType dtype) {
  return dtype == DType::BF16 ? CUDA_R_16BF : CUDA_R_16F;
}

template <typename T>
void chunk(Context& ctx, const float* qkv, const AttentionShape& shape, const DeviceBatch& b,
           const DeviceCache& cache, float* out, int32_t slot, int64_t first_row, int64_t rows,
           int64_t keys) {
  const int heads = shape.heads, kv_heads = shape.kv_heads, hd = shape.head_dim;
  const int group = heads / kv_heads;
  const int64_t ld = (keys + 7) / 8 * 8, kv_row = shape.kv_width(), out_width = shape.out_width();
  const int64_t q_count = int64_t{heads} * rows * hd, p_count = int64_t{heads} * rows * ld;
  std::shared_ptr<void> qs = ctx.scratch(sizeof(T) * static_cast<size_t>(kParts * q_count));
  std::shared_ptr<void> scores = ctx.scratch(sizeof(float) * static_cast<size_t>(p_count));
  std::shared_ptr<void> probs = ctx.scratch(sizeof(T) * static_cast<size_t>(kParts * p_count));
  pack_queries_kernel<T><<<static_cast<unsigned>(std::min<int64_t>((q_count + 255) / 256, 65536)),
                           256, 0, ctx.stream()>>>(qkv, shape.qkv_width(), first_row, rows, heads,
                                                   hd, static_cast<T*>(qs.get()));
  check_launch("attention (pack queries)");

  const cudaDataType_t type = cuda_type(cache.dtype);
  const auto* k_slot = static_cast<const T*>(cache.k) + int64_t{slot} * cache.capacity * kv_row;
  const auto* v_slot = static_cast<const T*>(cache.v) + int64_t{slot} * cache.capacity * kv_row;
  const float alpha_s = shape.scale, alpha_o = 1.0f / probability_scale<T>();
  const float zero = 0.0f, one = 1.0f;
  // Column-major S^T[keys, group * rows] = K_g[keys, hd] (op T of the [hd, keys] view, lda =
  // kv_row) x Qs_g^T[hd, group * rows] (ldb = hd), per kv head g; the parts accumulate.
  for (int part = 0; part < kParts; ++part) {
    check(cublasGemmStridedBatchedEx(
              ctx.cublas(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(keys),
              static_cast<int>(group * rows), hd, &alpha_s, k_slot, type, static_cast<int>(kv_row),
              hd, static_cast<const T*>(qs.get()) + part * q_count, type, hd,
              int64_t{group} * rows * hd, part == 0 ? &zero : &one, scores.get(), CUDA_R_32F,
              static_cast<int>(ld), int64_t{group} * rows * ld, kv_heads, CUBLAS_COMPUTE_32F,
              CUBLAS_GEMM_DEFAULT),
          "cublasGemmStridedBatchedEx (attention scores)");
  }
  causal_softmax_kernel<T><<<static_cast<unsigned>(heads * rows), kRowThreads, 0, ctx.stream()>>>(
      static_cast<const float*>(scores.get()), b.positions, first_row, rows, ld,
      static_cast<T*>(probs.get()));
  check_launch("attention (causal softmax)");
  // Column-major O_h^T[hd, rows] (ldc = out_width) = V_g^T[hd, keys] (the [hd, keys] view of
  // V_g, lda = kv_row) x P_h^T[keys, rows] (ldb = ld), batched over g for each i; the parts
  // accumulate.
  for (int i = 0; i < group; ++i) {
    for (int part = 0; part < kParts; ++part) {
      check(cublasGemmStridedBatchedEx(
                ctx.cublas(), CUBLAS_OP_N, CUBLAS_OP_N, hd, static_cast<int>(rows),
                static_cast<int>(keys), &alpha_o, v_slot, type, static_cast<int>(kv_row), hd,
                static_cast<const T*>(probs.get()) + part * p_count + int64_t{i} * rows * ld, type,
                static_cast<int>(ld), int64_t{group} * rows * ld, part == 0 ? &zero : &one,
                out + first_row * out_width + int64_t{i} * hd, CUDA_R_32F,
                static_cast<int>(out_width), int64_t{group} * hd, kv_heads, CUBLAS_COMPUTE_32F,
                CUBLAS_GEMM_DEFAULT),
            "cublasGemmStridedBatchedEx (attention values)");
    }
  }
}

}  // namespace

bool attention_gemm_supports(const AttentionShape& shape, DType cache_dtype) {
  return (cache_dtype == DType::BF16 || cache_dtype == DType::F16) && shape.head_dim % 8 == 0;
}

void attention_gemm(Context& ctx, const float* qkv, const AttentionShape& shape,
                    const DeviceBatch& b, std::span<const int32_t> positions,
                    const DeviceCache& cache, float* out) {
  for (const AttentionSegment& seg : b.host_segments) {
    if (seg.rows < kGemmMinRows) continue;
    const int64_t end = int64_t{seg.row} + seg.rows;
    for (int64_t first = seg.row; first < end;) {
      // Rows per chunk: the f32 scores of every head stay within kScoreBudget.
      int32_t last_position = positions[static_cast<size_t>(end - 1)];
      for (int64_t r = first; r < end; ++r) last_position = std::max(last_position, positions[r]);
      const int64_t ld_bound = (int64_t{last_position} + 1 + 7) / 8 * 8;
      const int64_t budget_rows = std::max<int64_t>(
          64, static_cast<int64_t>(kScoreBudget / sizeof(float)) / (shape.heads * ld_bound));
      const int64_t rows = std::min({end - first, budget_rows, kChunkRows});
      int32_t keys = 0;
      for (int64_t r = first; r < first + rows; ++r) keys = std::max(keys, positions[r] + 1);
      dispatch_float_dtype(cache.dtype, [&](auto tag) {
        using T = decltype(tag);
        if constexpr (!std::is_same_v<T, float>) {
          chunk<T>(ctx, qkv, shape, b, cache, out, seg.slot, first, rows, keys);
        }
      });
      first += rows;
    }
  }
}

}  // namespace tb::cuda
