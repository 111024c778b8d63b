// Causal GQA attention for long segments (prefill): a tiled flash-attention kernel in f32.
// One block per (tile of ROWS query rows of one segment, query head): 64 rows, or 32 where 64 do
// not fit the device's shared memory (head size 128 on a 99 KiB card; plan::tiled_rows). The
// block keeps its
// queries in shared memory and walks the keys 0..(largest position of its rows) in tiles of
// kKeys: K and V tiles are widened to f32 into shared memory, S = scale Q K^T is computed as
// 4 x 4 register tiles, masked causally (key t is visible to row r when t <= positions[r]),
// folded into each row's running max m and sum l (online softmax), and O = O e^(m_old - m_new)
// + P V accumulated in registers. The output is O / l.
#include <algorithm>

#include "harness/backend/cuda/attention_plan.hpp"
#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/backend/cuda/cuda_dtype.cuh"
#include "harness/backend/cuda/cuda_ops.cuh"

namespace tb::cuda {

namespace {

constexpr int kKeys = plan::kTiledKeys;  // keys per tile
constexpr int kThreads = plan::kTiledThreads;
constexpr int kPsStride = kKeys + 1;  // padded rows of the probability tile

struct Geometry {
  int heads, kv_heads;
  float scale;
  int64_t capacity;
  int32_t below;   // segments of this many rows or more are another kernel's
  int32_t y0, z0;  // this launch's slice of the grid (plan::for_each_slice)
};

template <int HD, int ROWS, typename KV>
__global__ void __launch_bounds__(kThreads)
    prefill_kernel(const float* qkv, const int32_t* positions, const int32_t* segments, Geometry g,
                   const KV* k_cache, const KV* v_cache, float* out) {
  constexpr int kRows = ROWS;
  constexpr int kStride = HD + 1;             // padded rows of Q and K: conflict-free column reads
  constexpr int kCols = HD / 16;              // output columns per thread
  constexpr int kRowsPerThread = kRows / 16;  // S and O: 16 x 16 threads
  constexpr int kLanesPerRow = kThreads / kRows;      // softmax: 4 or 8 neighbouring lanes
  constexpr int kColsPerLane = kKeys / kLanesPerRow;  // ... each with this many columns
  static_assert(kRows % 16 == 0 && kLanesPerRow * kColsPerLane == kKeys && kLanesPerRow <= 32);
  const int32_t seg = static_cast<int32_t>(blockIdx.y) + g.y0;
  const int32_t slot = segments[3 * seg], seg_row = segments[3 * seg + 1],
                seg_rows = segments[3 * seg + 2];
  if (seg_rows < kPrefillMinRows || seg_rows >= g.below) return;  // another kernel's
  const int32_t tile_first = static_cast<int32_t>(blockIdx.x) * kRows;
  if (tile_first >= seg_rows) return;
  const int32_t r0 = seg_row + tile_first;
  const int tile_rows = min(kRows, seg_rows - tile_first);
  const int h = static_cast<int>(blockIdx.z) + g.z0;
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

  // S and O: rows ty * kRowsPerThread + i, columns tx + 16 c. Softmax: row srow, columns
  // spart * kColsPerLane onwards.
  const int ty = tid / 16, tx = tid % 16;
  const int srow = tid / kLanesPerRow, spart = tid % kLanesPerRow;
  float o[kRowsPerThread][kCols];
#pragma unroll
  for (int i = 0; i < kRowsPerThread; ++i) {
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

    float acc[kRowsPerThread][4];
#pragma unroll
    for (int i = 0; i < kRowsPerThread; ++i) {
#pragma unroll
      for (int c = 0; c < 4; ++c) acc[i][c] = 0.0f;
    }
#pragma unroll 8
    for (int j = 0; j < HD; ++j) {
      float qv[kRowsPerThread], kv[4];
#pragma unroll
      for (int i = 0; i < kRowsPerThread; ++i) qv[i] = qs[(ty * kRowsPerThread + i) * kStride + j];
#pragma unroll
      for (int c = 0; c < 4; ++c) kv[c] = ks[(tx + 16 * c) * kStride + j];
#pragma unroll
      for (int i = 0; i < kRowsPerThread; ++i) {
#pragma unroll
        for (int c = 0; c < 4; ++c) acc[i][c] += qv[i] * kv[c];
      }
    }
#pragma unroll
    for (int i = 0; i < kRowsPerThread; ++i) {
      const int row = ty * kRowsPerThread + i;
#pragma unroll
      for (int c = 0; c < 4; ++c) {
        const int col = tx + 16 * c;
        ps[row * kPsStride + col] = k0 + col <= row_pos[row] ? acc[i][c] * g.scale : -INFINITY;
      }
    }
    __syncthreads();

    {  // online softmax: kLanesPerRow neighbouring lanes share a row
      float* prow = ps + srow * kPsStride + spart * kColsPerLane;
      float tile_max = -INFINITY;
      for (int c = 0; c < kColsPerLane; ++c) tile_max = fmaxf(tile_max, prow[c]);
#pragma unroll
      for (int lanes = 1; lanes < kLanesPerRow; lanes <<= 1) {
        tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, lanes));
      }
      const float m_old = row_m[srow];
      const float m_new = fmaxf(m_old, tile_max);
      float sum = 0.0f, corr = 1.0f;
      if (m_new == -INFINITY) {  // nothing visible yet (a padding row)
        for (int c = 0; c < kColsPerLane; ++c) prow[c] = 0.0f;
      } else {
        for (int c = 0; c < kColsPerLane; ++c) {
          const float p = expf(prow[c] - m_new);  // masked: exp(-inf) = 0
          prow[c] = p;
          sum += p;
        }
        corr = expf(m_old - m_new);  // 0 on the first visible tile
      }
#pragma unroll
      for (int lanes = 1; lanes < kLanesPerRow; lanes <<= 1) {
        sum += __shfl_xor_sync(0xffffffffu, sum, lanes);
      }
      if (spart == 0) {
        row_l[srow] = row_l[srow] * corr + sum;
        row_m[srow] = m_new;
        row_corr[srow] = corr;
      }
    }
    __syncthreads();

#pragma unroll
    for (int i = 0; i < kRowsPerThread; ++i) {
      const float corr = row_corr[ty * kRowsPerThread + i];
#pragma unroll
      for (int c = 0; c < kCols; ++c) o[i][c] *= corr;
    }
#pragma unroll 4
    for (int t = 0; t < kKeys; ++t) {
      float p[kRowsPerThread];
#pragma unroll
      for (int i = 0; i < kRowsPerThread; ++i) p[i] = ps[(ty * kRowsPerThread + i) * kPsStride + t];
#pragma unroll
      for (int c = 0; c < kCols; ++c) {
        const float v = vs[t * HD + tx + 16 * c];
#pragma unroll
        for (int i = 0; i < kRowsPerThread; ++i) o[i][c] += p[i] * v;
      }
    }
    __syncthreads();  // the next tile overwrites ks, vs and ps
  }

#pragma unroll
  for (int i = 0; i < kRowsPerThread; ++i) {
    const int row = ty * kRowsPerThread + i;
    if (row >= tile_rows) continue;
    const float inv = 1.0f / row_l[row];
    float* dst = out + int64_t{r0 + row} * g.heads * HD + h * HD;
#pragma unroll
    for (int c = 0; c < kCols; ++c) dst[tx + 16 * c] = o[i][c] * inv;
  }
}

template <int HD, int ROWS, typename KV>
void launch(Context& ctx, const float* qkv, const AttentionShape& shape, const DeviceBatch& b,
            const DeviceCache& cache, float* out, int32_t longest, int32_t below) {
  constexpr size_t shared = plan::tiled_shared_bytes(HD, ROWS);
  // More than the default 48 KiB of shared memory needs the opt-in (per device: every call).
  check(cudaFuncSetAttribute(prefill_kernel<HD, ROWS, KV>,
                             cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(shared)),
        "cudaFuncSetAttribute (prefill attention)");
  const auto tiles = static_cast<unsigned>((longest + ROWS - 1) / ROWS);
  plan::for_each_slice(static_cast<int64_t>(b.host_segments.size()), shape.heads,
                       [&](int64_t y0, int64_t z0, int64_t ny, int64_t nz) {
                         const Geometry g{shape.heads,
                                          shape.kv_heads,
                                          shape.scale,
                                          cache.capacity,
                                          below,
                                          static_cast<int32_t>(y0),
                                          static_cast<int32_t>(z0)};
                         const dim3 grid(tiles, static_cast<unsigned>(ny),
                                         static_cast<unsigned>(nz));
                         prefill_kernel<HD, ROWS, KV><<<grid, kThreads, shared, ctx.stream()>>>(
                             qkv, b.positions, b.segments, g, static_cast<const KV*>(cache.k),
                             static_cast<const KV*>(cache.v), out);
                         check_launch("attention (prefill)");
                       });
}

template <int HD>
void launch_for_cache(Context& ctx, const float* qkv, const AttentionShape& shape,
                      const DeviceBatch& b, const DeviceCache& cache, float* out, int32_t longest,
                      int32_t below) {
  const int rows = plan::tiled_rows(HD, ctx.max_shared_bytes());
  dispatch_float_dtype(cache.dtype, [&](auto tag) {
    using KV = decltype(tag);
    if (rows == 64) {
      launch<HD, 64, KV>(ctx, qkv, shape, b, cache, out, longest, below);
    } else {
      launch<HD, 32, KV>(ctx, qkv, shape, b, cache, out, longest, below);
    }
  });
}

}  // namespace

bool prefill_supports(const Context& ctx, int head_dim) {
  return plan::tiled_rows(head_dim, ctx.max_shared_bytes()) > 0;
}

void attention_prefill(Context& ctx, const float* qkv, const AttentionShape& shape,
                       const DeviceBatch& b, const DeviceCache& cache, float* out, int32_t below) {
  int32_t longest = 0;
  for (const AttentionSegment& seg : b.host_segments) {
    if (seg.rows >= kPrefillMinRows && seg.rows < below) longest = std::max(longest, seg.rows);
  }
  if (longest == 0) return;
  if (!prefill_supports(ctx, shape.head_dim)) {
    fail("attention (prefill)", "no tiled kernel fits this head size and device");
  }
  switch (shape.head_dim) {
    case 32:
      launch_for_cache<32>(ctx, qkv, shape, b, cache, out, longest, below);
      return;
    case 64:
      launch_for_cache<64>(ctx, qkv, shape, b, cache, out, longest, below);
      return;
    default:
      launch_for_cache<128>(ctx, qkv, shape, b, cache, out, longest, below);
      return;
  }
}

}  // namespace tb::cuda
