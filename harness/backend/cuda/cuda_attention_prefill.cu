// Causal GQA attention for long segments (prefill): a tiled flash-attention kernel in f32.
// One block per (tile of kRows query rows of one segment, query head). The block keeps its
// queries in shared memory and walks the keys 0..(largest position of its rows) in tiles of
// kKeys: K and V tiles are widened to f32 into shared memory, S = scale Q K^T is computed as
// 4 x 4 register tiles, masked causally (key t is visible to row r when t <= positions[r]),
// folded into each row's running max m and sum l (online softmax), and O = O e^(m_old - m_new)
// + P V accumulated in registers. The output is O / l.
#include <algorithm>

#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/backend/cuda/cuda_dtype.cuh"
#include "harness/backend/cuda/cuda_ops.cuh"

namespace tb::cuda {

namespace {

constexpr int kRows = 64;  // query rows per block
constexpr int kKeys = 64;  // keys per tile
constexpr int kThreads = 256;
constexpr int kPsStride = kKeys + 1;  // padded rows of the probability tile

template <int HD>
constexpr size_t shared_bytes() {
  return sizeof(float) * (size_t{kRows} * (HD + 1) + size_t{kKeys} * (HD + 1) + size_t{kKeys} * HD +
                          size_t{kRows} * kPsStride + 3 * kRows) +
         sizeof(int) * kRows;
}

struct Geometry {
  int heads, kv_heads;
  float scale;
  int64_t capacity;
  int32_t below;  // segments of this many rows or more are another kernel's
};

template <int HD, typename KV>
__global__ void __launch_bounds__(kThreads)
    prefill_kernel(const float* qkv, const int32_t* positions, const int32_t* segments, Geometry g,
                   const KV* k_cache, const KV* v_cache, float* out) {
  constexpr int kStride = HD + 1;  // padded rows of Q and K: conflict-free column reads
  constexpr int kCols = HD / 16;   // output columns per thread
  const int32_t slot = segments[3 * blockIdx.y], seg_row = segments[3 * blockIdx.y + 1],
                seg_rows = segments[3 * blockIdx.y + 2];
  if (seg_rows < kPrefillMinRows || seg_rows >= g.below) return;  // another kernel's
  const int32_t tile_first = static_cast<int32_t>(blockIdx.x) * kRows;
  if (tile_first >= seg_rows) return;
  const int32_t r0 = seg_row + tile_first;
  const int tile_rows = min(kRows, seg_rows - tile_first);
  const int h = blockIdx.z;
  const int64_t width = int64_t{g.heads + 2 * g.kv_heads} * HD, kv_row = int64_t{g.kv_heads} * HD;
  const int64_t kv_base =
      int64_t{slot} * g.capacity * kv_row + int64_t{h / (g.heads / g.kv_heads)} * HD;

  extern __shared__ float shared[];
  float* qs = shared;                     // [kRows][kStride]
  float* ks = qs + kRows * kStride;       // [kKeys][kStride]
  float* vs = ks + kKeys * kStride;       // [kKeys][HD]
  float* ps = vs + kKeys * HD;            // [kRows][kPsStride]
  float* row_m = ps + kRows * kPsStride;  // running max per row
  float* row_l = row_m + kRows;           // running sum per row
  float* row_corr = row_l + kRows;        // e^(m_old - m_new) of the current tile
  int* row_pos = reinterpret_cast<int*>(row_corr + kRows);

  const int tid = threadIdx.x;
  for (int i = tid; i < kRows; i += kThreads) {
    row_pos[i] = i < tile_rows ? positions[r0 + i] : -1;  // padding rows see no key
    row_m[i] = -INFINITY;
    row_l[i] = 0.0f;
  }
  for (int idx = tid; idx < kRows * HD; idx += kThreads) {
    const int i = idx / HD, j = idx % HD;
    qs[i * kStride + j] = i < tile_rows ? qkv[int64_t{r0 + i} * width + h * HD + j] : 0.0f;
  }
  __syncthreads();
  int last_key = 0;
  for (int i = 0; i < kRows; ++i) last_key = max(last_key, row_pos[i]);

  const int ty = tid / 16, tx = tid % 16;     // S and O: rows ty * 4 + i, columns tx + 16 c
  const int srow = tid / 4, spart = tid % 4;  // softmax: one row, a quarter of its columns
  float o[4][kCols];
#pragma unroll
  for (int i = 0; i < 4; ++i) {
#pragma unroll
    for (int c = 0; c < kCols; ++c) o[i][c] = 0.0f;
  }

  for (int k0 = 0; k0 <= last_key; k0 += kKeys) {
    for (int idx = tid; idx < kKeys * HD; idx += kThreads) {
      const int c = idx / HD, j = idx % HD;
      const int t = k0 + c;
      const int64_t at = kv_base + int64_t{t} * kv_row + j;
      ks[c * kStride + j] = t <= last_key ? widen(k_cache[at]) : 0.0f;
      vs[c * HD + j] = t <= last_key ? widen(v_cache[at]) : 0.0f;
    }
    __syncthreads();

    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
#pragma unroll
      for (int c = 0; c < 4; ++c) acc[i][c] = 0.0f;
    }
#pragma unroll 8
    for (int j = 0; j < HD; ++j) {
      float qv[4], kv[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) qv[i] = qs[(ty * 4 + i) * kStride + j];
#pragma unroll
      for (int c = 0; c < 4; ++c) kv[c] = ks[(tx + 16 * c) * kStride + j];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int c = 0; c < 4; ++c) acc[i][c] += qv[i] * kv[c];
      }
    }
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int row = ty * 4 + i;
#pragma unroll
      for (int c = 0; c < 4; ++c) {
        const int col = tx + 16 * c;
        ps[row * kPsStride + col] = k0 + col <= row_pos[row] ? acc[i][c] * g.scale : -INFINITY;
      }
    }
    __syncthreads();

    {  // online softmax: four neighbouring lanes share a row
      float* prow = ps + srow * kPsStride + spart * (kKeys / 4);
      float tile_max = -INFINITY;
      for (int c = 0; c < kKeys / 4; ++c) tile_max = fmaxf(tile_max, prow[c]);
      tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
      tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 2));
      const float m_old = row_m[srow];
      const float m_new = fmaxf(m_old, tile_max);
      float sum = 0.0f, corr = 1.0f;
      if (m_new == -INFINITY) {  // nothing visible yet (a padding row)
        for (int c = 0; c < kKeys / 4; ++c) prow[c] = 0.0f;
      } else {
        for (int c = 0; c < kKeys / 4; ++c) {
          const float p = expf(prow[c] - m_new);  // masked: exp(-inf) = 0
          prow[c] = p;
          sum += p;
        }
        corr = expf(m_old - m_new);  // 0 on the first visible tile
      }
      sum += __shfl_xor_sync(0xffffffffu, sum, 1);
      sum += __shfl_xor_sync(0xffffffffu, sum, 2);
      if (spart == 0) {
        row_l[srow] = row_l[srow] * corr + sum;
        row_m[srow] = m_new;
        row_corr[srow] = corr;
      }
    }
    __syncthreads();

#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const float corr = row_corr[ty * 4 + i];
#pragma unroll
      for (int c = 0; c < kCols; ++c) o[i][c] *= corr;
    }
#pragma unroll 4
    for (int t = 0; t < kKeys; ++t) {
      float p[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) p[i] = ps[(ty * 4 + i) * kPsStride + t];
#pragma unroll
      for (int c = 0; c < kCols; ++c) {
        const float v = vs[t * HD + tx + 16 * c];
#pragma unroll
        for (int i = 0; i < 4; ++i) o[i][c] += p[i] * v;
      }
    }
    __syncthreads();  // the next tile overwrites ks, vs and ps
  }

#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int row = ty * 4 + i;
    if (row >= tile_rows) continue;
    const float inv = 1.0f / row_l[row];
    float* dst = out + int64_t{r0 + row} * g.heads * HD + h * HD;
#pragma unroll
    for (int c = 0; c < kCols; ++c) dst[tx + 16 * c] = o[i][c] * inv;
  }
}

template <int HD, typename KV>
void launch(Context& ctx, const float* qkv, const AttentionShape& shape, const DeviceBatch& b,
            const DeviceCache& cache, float* out, int32_t longest, int32_t below) {
  constexpr size_t shared = shared_bytes<HD>();
  // More than the default 48 KiB of shared memory needs the opt-in (per device: every call).
  check(cudaFuncSetAttribute(prefill_kernel<HD, KV>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             static_cast<int>(shared)),
        "cudaFuncSetAttribute (prefill attention)");
  const Geometry g{shape.heads, shape.kv_heads, shape.scale, cache.capacity, below};
  const dim3 grid(static_cast<unsigned>((longest + kRows - 1) / kRows),
                  static_cast<unsigned>(b.host_segments.size()),
                  static_cast<unsigned>(shape.heads));
  prefill_kernel<HD, KV><<<grid, kThreads, shared, ctx.stream()>>>(
      qkv, b.positions, b.segments, g, static_cast<const KV*>(cache.k),
      static_cast<const KV*>(cache.v), out);
  check_launch("attention (prefill)");
}

template <int HD>
void launch_for_cache(Context& ctx, const float* qkv, const AttentionShape& shape,
                      const DeviceBatch& b, const DeviceCache& cache, float* out, int32_t longest,
                      int32_t below) {
  dispatch_float_dtype(cache.dtype, [&](auto tag) {
    launch<HD, decltype(tag)>(ctx, qkv, shape, b, cache, out, longest, below);
  });
}

}  // namespace

bool prefill_supports(int head_dim) {
  return head_dim == 32 || head_dim == 64 || head_dim == 128;
}

void attention_prefill(Context& ctx, const float* qkv, const AttentionShape& shape,
                       const DeviceBatch& b, const DeviceCache& cache, float* out, int32_t below) {
  int32_t longest = 0;
  for (const AttentionSegment& seg : b.host_segments) {
    if (seg.rows >= kPrefillMinRows && seg.rows < below) longest = std::max(longest, seg.rows);
  }
  if (longest == 0) return;
  switch (shape.head_dim) {
    case 32:
      launch_for_cache<32>(ctx, qkv, shape, b, cache, out, longest, below);
      return;
    case 64:
      launch_for_cache<64>(ctx, qkv, shape, b, cache, out, longest, below);
      return;
    case 128:
      launch_for_cache<128>(ctx, qkv, shape, b, cache, out, longest, below);
      return;
    default:
      fail("attention (prefill)", "no tiled kernel for this head size");
  }
}

}  // namespace tb::cuda
