// Causal GQA flash attention over a bf16 or f16 cache on tensor cores (nvcuda::wmma 16x16x16
// fragments, f32 accumulators), for head sizes 64 and 128 and every segment of at least
// kPrefillMinRows rows. The score matrix is never written to global memory.
//
// One block of 4 warps per (64 query rows of one segment, query head h); warp w owns rows
// 16w..16w+15 of the tile, and lane l of a warp owns row l / 2 of the warp's 16 for the softmax
// and the output, with the columns of parity l % 2. The block stages Q once (rounded to the cache
// dtype) and keeps each warp's Q fragments in registers, then walks the keys 0..(largest position
// of its rows) in tiles of 64 (plan::flash_layout gives the shared memory):
//   1. the block loads K and V rows k0..k0+63 of its kv head h / (heads / kv_heads) (keys past
//      its last position as zeros, so that P = 0 never multiplies a stale NaN);
//   2. a warp whose rows see none of the tile's keys skips it; otherwise it computes S = Q K^T
//      (16 x 64, f32) into its scratch, and each lane masks its row by position (key t is
//      visible to row r when t <= positions[r]), folds the tile into the row's running max m and
//      sum l (online softmax in base 2: scale x log2(e) is applied to S) and rescales its
//      output columns by 2^(m_old - m_new);
//   3. the warp writes P in the cache dtype, computes P V (16 x head_dim, f32) into its scratch
//      and each lane adds its columns to its output registers.
// The output is O / l. Tiles run heaviest first (the last rows of a segment see the most keys).
//
// Precision, as flash-attention and torch's sdpa: Q arrives in f32 and is rounded to the cache
// dtype for the Q K^T product, P is rounded to the cache dtype for the P V product; both products
// accumulate in f32, and the scale, the softmax (m, l from the unrounded P) and the output are
// f32. Against the f32 reference this costs about the dtype's rounding error (op_cases.cpp).
#include <mma.h>

#include <algorithm>
#include <cstdint>

#include "harness/backend/cuda/attention_plan.hpp"
#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/backend/cuda/cuda_dtype.cuh"
#include "harness/backend/cuda/cuda_ops.cuh"
#include "harness/backend/cuda/cuda_reduce.cuh"

namespace tb::cuda {

namespace {

namespace wmma = nvcuda::wmma;

constexpr int kWarps = plan::kFlashWarps;
constexpr int kRows = plan::kFlashRows;
constexpr int kKeys = plan::kFlashKeys;
constexpr int kThreads = 32 * kWarps;
constexpr float kLog2e = 1.4426950408889634f;

struct Geometry {
  int heads, kv_heads;
  float scale_log2;  // scale x log2(e): the softmax runs in base 2
  int64_t capacity;
  int32_t y0, z0;  // this launch's slice of the grid (plan::for_each_slice)
};

// The shared-memory offsets as constants device code can read (flash_layout is host code).
template <int HD>
struct Offsets {
  static constexpr size_t q = plan::flash_layout(HD).q, k = plan::flash_layout(HD).k,
                          v = plan::flash_layout(HD).v, scratch = plan::flash_layout(HD).scratch,
                          p = plan::flash_layout(HD).p;
};

template <typename T>
using FragA = wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major>;
using FragAcc = wmma::fragment<wmma::accumulator, 16, 16, 16, float>;

template <int HD, typename T>
__global__ void __launch_bounds__(kThreads)
    flash_kernel(const float* qkv, const int32_t* positions, const int32_t* segments, Geometry g,
                 const T* k_cache, const T* v_cache, float* out) {
  constexpr int kLd = HD + plan::kFlashHalfPad;      // rows of Q, K and V (elements)
  constexpr int kSLd = HD + plan::kFlashFloatPad;    // rows of the f32 scratch
  constexpr int kPLd = kKeys + plan::kFlashHalfPad;  // rows of P
  constexpr int kChunks = HD / 16;                   // 16-wide slices of a head
  constexpr int kPieces = HD / 8;                    // 16-byte pieces of a K or V row
  constexpr int kOCols = HD / 2;                     // output columns per lane
  constexpr int kSCols = kKeys / 2;                  // score columns per lane
  using Layout = Offsets<HD>;
  static_assert(kSLd >= kKeys && HD % 16 == 0 && kKeys % 16 == 0);

  const int32_t seg = static_cast<int32_t>(blockIdx.y) + g.y0;
  const int32_t slot = segments[3 * seg], seg_row = segments[3 * seg + 1],
                seg_rows = segments[3 * seg + 2];
  if (seg_rows < kPrefillMinRows) return;  // the decode kernel's
  const int32_t tile_first = static_cast<int32_t>(gridDim.x - 1 - blockIdx.x) * kRows;
  if (tile_first >= seg_rows) return;
  const int32_t r0 = seg_row + tile_first;
  const int tile_rows = min(kRows, seg_rows - tile_first);
  const int h = static_cast<int>(blockIdx.z) + g.z0;
  const int64_t width = int64_t{g.heads + 2 * g.kv_heads} * HD, kv_row = int64_t{g.kv_heads} * HD;
  const int64_t kv_base =
      int64_t{slot} * g.capacity * kv_row + int64_t{h / (g.heads / g.kv_heads)} * HD;

  extern __shared__ __align__(128) unsigned char shared[];
  T* qs = reinterpret_cast<T*>(shared + Layout::q);  // [kRows][kLd]
  T* ks = reinterpret_cast<T*>(shared + Layout::k);  // [kKeys][kLd]
  T* vs = reinterpret_cast<T*>(shared + Layout::v);  // [kKeys][kLd]
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float* scratch = reinterpret_cast<float*>(shared + Layout::scratch) + warp * 16 * kSLd;
  T* ps = reinterpret_cast<T*>(shared + Layout::p) + warp * 16 * kPLd;  // [16][kPLd]

  for (int idx = threadIdx.x; idx < kRows * HD; idx += kThreads) {
    const int i = idx / HD, j = idx % HD;
    const float q = i < tile_rows ? qkv[int64_t{r0 + i} * width + int64_t{h} * HD + j] : 0.0f;
    qs[i * kLd + j] = narrow<T>(q);
  }
  // The lane's row (-1: a padding row, which sees no key), the warp's and the block's last key.
  const int row = lane / 2, half = lane % 2, tile_row = warp * 16 + row;
  const int pos = tile_row < tile_rows ? positions[r0 + tile_row] : -1;
  int warp_last = pos;
  for (int offset = 16; offset > 0; offset >>= 1) {
    warp_last = max(warp_last, __shfl_xor_sync(kFullMask, warp_last, offset));
  }
  int block_last = -1;
  for (int i = 0; i < tile_rows; ++i) block_last = max(block_last, positions[r0 + i]);
  __syncthreads();

  FragA<T> q_frag[kChunks];
#pragma unroll
  for (int c = 0; c < kChunks; ++c)
    wmma::load_matrix_sync(q_frag[c], qs + warp * 16 * kLd + c * 16, kLd);

  float m = -INFINITY, l = 0.0f;  // the row's running max (base 2) and sum
  float o[kOCols];
#pragma unroll
  for (int c = 0; c < kOCols; ++c) o[c] = 0.0f;

  for (int k0 = 0; k0 <= block_last; k0 += kKeys) {
    __syncthreads();  // every warp is done with the previous tile's K and V
    for (int idx = threadIdx.x; idx < kKeys * kPieces; idx += kThreads) {
      const int t = idx / kPieces, j = (idx % kPieces) * 8;
      uint4 key = make_uint4(0, 0, 0, 0), value = make_uint4(0, 0, 0, 0);
      if (k0 + t <= block_last) {
        const int64_t at = kv_base + int64_t{k0 + t} * kv_row + j;
        key = *reinterpret_cast<const uint4*>(k_cache + at);
        value = *reinterpret_cast<const uint4*>(v_cache + at);
      }
      *reinterpret_cast<uint4*>(ks + t * kLd + j) = key;
      *reinterpret_cast<uint4*>(vs + t * kLd + j) = value;
    }
    __syncthreads();
    if (k0 > warp_last) continue;  // warp-uniform: none of the warp's rows sees these keys

      // S[16][kKeys] = Q K^T: K^T is K's rows read column-major.
#pragma unroll
    for (int n = 0; n < kKeys / 16; ++n) {
      FragAcc s_frag;
      wmma::fill_fragment(s_frag, 0.0f);
#pragma unroll
      for (int c = 0; c < kChunks; ++c) {
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> k_frag;
        wmma::load_matrix_sync(k_frag, ks + n * 16 * kLd + c * 16, kLd);
        wmma::mma_sync(s_frag, q_frag[c], k_frag, s_frag);
      }
      wmma::store_matrix_sync(scratch + n * 16, s_frag, kSLd, wmma::mem_row_major);
    }
    __syncwarp();

    // Online softmax of the lane's half of its row (columns 2c + half); the two lanes of a row
    // combine their max and sum, so both hold the same m and l.
    float s[kSCols];
    float tile_max = -INFINITY;
#pragma unroll
    for (int c = 0; c < kSCols; ++c) {
      const int col = 2 * c + half;
      s[c] = k0 + col <= pos ? scratch[row * kSLd + col] * g.scale_log2 : -INFINITY;
      tile_max = fmaxf(tile_max, s[c]);
    }
    tile_max = fmaxf(tile_max, __shfl_xor_sync(kFullMask, tile_max, 1));
    const float m_new = fmaxf(m, tile_max);
    float corr = 1.0f, sum = 0.0f;
    T* prow = ps + row * kPLd;
    if (m_new == -INFINITY) {  // nothing visible yet (a padding row)
#pragma unroll
      for (int c = 0; c < kSCols; ++c) prow[2 * c + half] = narrow<T>(0.0f);
    } else {
      corr = exp2f(m - m_new);  // 0 on the first visible tile
#pragma unroll
      for (int c = 0; c < kSCols; ++c) {
        const float p = exp2f(s[c] - m_new);  // masked: 2^-inf = 0
        sum += p;
        prow[2 * c + half] = narrow<T>(p);
      }
    }
    sum += __shfl_xor_sync(kFullMask, sum, 1);
    l = l * corr + sum;
    m = m_new;
#pragma unroll
    for (int c = 0; c < kOCols; ++c) o[c] *= corr;
    __syncwarp();  // P is complete, and every lane has read its S

    // The tile's P V [16][HD] into the scratch (S is no longer needed), then into the registers.
    FragA<T> p_frag[kKeys / 16];
#pragma unroll
    for (int kk = 0; kk < kKeys / 16; ++kk) wmma::load_matrix_sync(p_frag[kk], ps + kk * 16, kPLd);
#pragma unroll
    for (int n = 0; n < kChunks; ++n) {
      FragAcc o_frag;
      wmma::fill_fragment(o_frag, 0.0f);
#pragma unroll
      for (int kk = 0; kk < kKeys / 16; ++kk) {
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> v_frag;
        wmma::load_matrix_sync(v_frag, vs + kk * 16 * kLd + n * 16, kLd);
        wmma::mma_sync(o_frag, p_frag[kk], v_frag, o_frag);
      }
      wmma::store_matrix_sync(scratch + n * 16, o_frag, kSLd, wmma::mem_row_major);
    }
    __syncwarp();
#pragma unroll
    for (int c = 0; c < kOCols; ++c) o[c] += scratch[row * kSLd + 2 * c + half];
    __syncwarp();  // every lane has read the scratch before the next tile's S
  }

  if (tile_row < tile_rows) {
    const float inv = 1.0f / l;  // l >= 1: key 0 is visible to every row
    float* dst = out + int64_t{r0 + tile_row} * g.heads * HD + int64_t{h} * HD;
#pragma unroll
    for (int c = 0; c < kOCols; ++c) dst[2 * c + half] = o[c] * inv;
  }
}

template <int HD, typename T>
void launch(Context& ctx, const float* qkv, const AttentionShape& shape, const DeviceBatch& b,
            const DeviceCache& cache, int32_t longest, float* out) {
  constexpr size_t shared = plan::flash_layout(HD).total;
  // More than the default 48 KiB of shared memory needs the opt-in (per device: every call).
  check(cudaFuncSetAttribute(flash_kernel<HD, T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             static_cast<int>(shared)),
        "cudaFuncSetAttribute (flash attention)");
  const auto tiles = static_cast<unsigned>((longest + kRows - 1) / kRows);
  plan::for_each_slice(
      static_cast<int64_t>(b.host_segments.size()), shape.heads,
      [&](int64_t y0, int64_t z0, int64_t ny, int64_t nz) {
        const Geometry g{shape.heads,    shape.kv_heads,           shape.scale * kLog2e,
                         cache.capacity, static_cast<int32_t>(y0), static_cast<int32_t>(z0)};
        const dim3 grid(tiles, static_cast<unsigned>(ny), static_cast<unsigned>(nz));
        flash_kernel<HD, T><<<grid, kThreads, shared, ctx.stream()>>>(
            qkv, b.positions, b.segments, g, static_cast<const T*>(cache.k),
            static_cast<const T*>(cache.v), out);
        check_launch("attention (flash)");
      });
}

template <int HD>
void launch_for_cache(Context& ctx, const float* qkv, const AttentionShape& shape,
                      const DeviceBatch& b, const DeviceCache& cache, int32_t longest, float* out) {
  if (cache.dtype == DType::BF16) {
    launch<HD, __nv_bfloat16>(ctx, qkv, shape, b, cache, longest, out);
  } else {
    launch<HD, __half>(ctx, qkv, shape, b, cache, longest, out);
  }
}

}  // namespace

bool attention_flash_supports(const Context& ctx, const AttentionShape& shape,
                              const DeviceCache& cache) {
  // 16-byte loads of K and V rows: head_dim is a multiple of 8, so the bases decide.
  const auto address = reinterpret_cast<uintptr_t>(cache.k) | reinterpret_cast<uintptr_t>(cache.v);
  return (cache.dtype == DType::BF16 || cache.dtype == DType::F16) && address % 16 == 0 &&
         plan::flash_fits(shape.head_dim, ctx.max_shared_bytes());
}

void attention_flash(Context& ctx, const float* qkv, const AttentionShape& shape,
                     const DeviceBatch& b, const DeviceCache& cache, float* out) {
  int32_t longest = 0;
  for (const AttentionSegment& seg : b.host_segments) {
    if (seg.rows >= kPrefillMinRows) longest = std::max(longest, seg.rows);
  }
  if (longest == 0) return;
  if (!attention_flash_supports(ctx, shape, cache)) {
    fail("attention (flash)", "no flash kernel for this head size, cache dtype and device");
  }
  if (shape.head_dim == 64) {
    launch_for_cache<64>(ctx, qkv, shape, b, cache, longest, out);
  } else {
    launch_for_cache<128>(ctx, qkv, shape, b, cache, longest, out);
  }
}

}  // namespace tb::cuda
