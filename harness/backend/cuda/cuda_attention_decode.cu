// Causal GQA attention for short segments (decoding): split-K. Each block takes one query head
// of up to kRowsPerBlock rows of one segment and one range of keys (a split); it writes, per row,
// the range's max score m, sum of exp(score - m) l and unnormalised output o, and a combine
// kernel merges the splits: M = max m_s, out = sum o_s e^(m_s - M) / sum l_s e^(m_s - M). With
// one split the block writes the normalised output itself. Works for any head size, so it is
// also the path for segments the tiled prefill kernel does not take.
//
// Row r (position p = positions[r], slot = its segment's) attends to keys 0..p inclusive; query
// head h reads kv head h / (heads / kv_heads). Scores are f32 dot products times `scale`.
//
// The partial results are kept only for the rows of the segments this kernel takes: a row's
// compact index is the rows of the earlier taken segments (summed on the device by each block,
// no upload) plus its row within the segment, so a short segment in a long prefill batch costs
// scratch for its own rows only.
#include <algorithm>

#include "harness/backend/cuda/attention_plan.hpp"
#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/backend/cuda/cuda_dtype.cuh"
#include "harness/backend/cuda/cuda_ops.cuh"
#include "harness/backend/cuda/cuda_reduce.cuh"

namespace tb::cuda {

namespace {

constexpr int kThreads = 128;
constexpr int kRowsPerBlock = 4;
constexpr size_t kSharedLimit = 48 * 1024;  // no opt-in needed below this

struct Geometry {
  int heads, kv_heads, head_dim, splits, chunk;
  float scale;
  int32_t below;
  int64_t capacity;
  int32_t y0, z0;  // this launch's slice of the grid (plan::for_each_slice)
};

// The compact index of segment `seg`'s first row: the rows of the earlier segments this kernel
// takes (plan::decode_rows on the host sizes the scratch from the same sum). Every thread of the
// block calls it and gets the result.
__device__ int64_t compact_first_row(const int32_t* segments, int32_t seg, int32_t below) {
  int64_t rows = 0;
  for (int32_t s = threadIdx.x; s < seg; s += blockDim.x) {
    const int32_t n = segments[3 * s + 2];
    if (n < below) rows += n;
  }
  return block_sum(rows);
}

template <typename KV>
__global__ void __launch_bounds__(kThreads)
    decode_kernel(const float* qkv, const int32_t* positions, const int32_t* segments, Geometry g,
                  const KV* k_cache, const KV* v_cache, float* partial, float* out) {
  const auto seg = static_cast<int32_t>(blockIdx.x);
  const int32_t slot = segments[3 * seg], seg_row = segments[3 * seg + 1],
                seg_rows = segments[3 * seg + 2];
  if (seg_rows >= g.below) return;  // the prefill kernel's
  const int32_t first = seg_row + (static_cast<int32_t>(blockIdx.y) + g.y0) * kRowsPerBlock;
  if (first >= seg_row + seg_rows) return;
  const int32_t last = min(seg_row + seg_rows, first + kRowsPerBlock);
  const int z = static_cast<int>(blockIdx.z) + g.z0;
  const int h = z / g.splits, split = z % g.splits;
  // Scratch rows are compact (see the header); only the split path uses them.
  const int64_t compact_base =
      g.splits > 1 ? compact_first_row(segments, seg, g.below) - seg_row : 0;
  const int hd = g.head_dim;
  const int64_t width = int64_t{g.heads + 2 * g.kv_heads} * hd, kv_row = int64_t{g.kv_heads} * hd;
  const int64_t kv_base =
      int64_t{slot} * g.capacity * kv_row + int64_t{h / (g.heads / g.kv_heads)} * hd;
  extern __shared__ float shared[];
  float* q = shared;            // [hd]
  float* scores = shared + hd;  // [chunk]
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;

  for (int32_t r = first; r < last; ++r) {
    const int64_t keys = int64_t{positions[r]} + 1;
    const int64_t t0 = int64_t{split} * g.chunk, t1 = min(keys, t0 + g.chunk);
    const int64_t n = t1 > t0 ? t1 - t0 : 0;
    __syncthreads();  // the previous row is done with q and scores
    for (int j = threadIdx.x; j < hd; j += blockDim.x) q[j] = qkv[int64_t{r} * width + h * hd + j];
    __syncthreads();
    for (int64_t i = warp; i < n; i += warps) {
      const KV* key = k_cache + kv_base + (t0 + i) * kv_row;
      float dot = 0.0f;
      for (int j = lane; j < hd; j += 32) dot += q[j] * widen(key[j]);
      dot = warp_sum(dot);
      if (lane == 0) scores[i] = dot * g.scale;
    }
    __syncthreads();
    float local_max = -INFINITY;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) local_max = fmaxf(local_max, scores[i]);
    const float m = block_max(local_max);
    float local_sum = 0.0f;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
      const float p = expf(scores[i] - m);
      scores[i] = p;
      local_sum += p;
    }
    const float l = block_sum(local_sum);  // synchronises: every p is in `scores`
    const int64_t item = ((compact_base + r) * g.heads + h) * g.splits + split;
    for (int j = threadIdx.x; j < hd; j += blockDim.x) {
      float o = 0.0f;
      for (int64_t i = 0; i < n; ++i)
        o += scores[i] * widen(v_cache[kv_base + (t0 + i) * kv_row + j]);
      if (g.splits == 1) {
        out[int64_t{r} * g.heads * hd + h * hd + j] = o / l;
      } else {
        partial[item * (hd + 2) + 2 + j] = o;
      }
    }
    if (g.splits > 1 && threadIdx.x == 0) {
      partial[item * (hd + 2)] = m;  // -inf for an empty range (l = 0, o = 0)
      partial[item * (hd + 2) + 1] = l;
    }
  }
}

__global__ void __launch_bounds__(kThreads)
    combine_kernel(const int32_t* segments, Geometry g, const float* partial, float* out) {
  const auto seg = static_cast<int32_t>(blockIdx.x);
  const int32_t seg_row = segments[3 * seg + 1], seg_rows = segments[3 * seg + 2];
  if (seg_rows >= g.below) return;
  const int32_t first = seg_row + (static_cast<int32_t>(blockIdx.y) + g.y0) * kRowsPerBlock;
  if (first >= seg_row + seg_rows) return;
  const int32_t last = min(seg_row + seg_rows, first + kRowsPerBlock);
  const int h = static_cast<int>(blockIdx.z) + g.z0, hd = g.head_dim;
  const int64_t compact_base = compact_first_row(segments, seg, g.below) - seg_row;
  for (int32_t r = first; r < last; ++r) {
    const float* base = partial + ((compact_base + r) * g.heads + h) * g.splits * (hd + 2);
    // Split 0 holds key 0, which every row sees: M is finite.
    float m_max = -INFINITY;
    for (int s = 0; s < g.splits; ++s) m_max = fmaxf(m_max, base[s * (hd + 2)]);
    float l = 0.0f;
    for (int s = 0; s < g.splits; ++s) {
      const float m = base[s * (hd + 2)];
      if (m != -INFINITY) l += base[s * (hd + 2) + 1] * expf(m - m_max);
    }
    for (int j = threadIdx.x; j < hd; j += blockDim.x) {
      float o = 0.0f;
      for (int s = 0; s < g.splits; ++s) {
        const float m = base[s * (hd + 2)];
        if (m != -INFINITY) o += base[s * (hd + 2) + 2 + j] * expf(m - m_max);
      }
      out[int64_t{r} * g.heads * hd + h * hd + j] = o / l;
    }
  }
}

// The kernel's static shared memory (the block reductions' partials), which the dynamic
// shared memory must leave room for; the same for every device.
template <typename KV>
size_t static_shared_bytes() {
  static const size_t bytes = [] {
    cudaFuncAttributes attributes{};
    check(cudaFuncGetAttributes(&attributes, decode_kernel<KV>), "cudaFuncGetAttributes (decode)");
    return attributes.sharedSizeBytes;
  }();
  return bytes;
}

}  // namespace

void attention_decode(Context& ctx, const float* qkv, const AttentionShape& shape,
                      const DeviceBatch& b, const DeviceCache& cache, float* out, int32_t below) {
  int32_t longest = 0;
  for (const AttentionSegment& seg : b.host_segments) {
    if (seg.rows < below) longest = std::max(longest, seg.rows);
  }
  if (longest == 0) return;
  const int hd = shape.head_dim;
  dispatch_float_dtype(cache.dtype, [&](auto tag) {
    using KV = decltype(tag);
    const size_t limit = std::min(kSharedLimit, ctx.max_shared_bytes());
    const size_t used = static_shared_bytes<KV>();
    const plan::DecodeSplits split =
        plan::decode_splits(int64_t{b.max_position} + 1, hd, limit > used ? limit - used : 0);
    if (split.splits == 0) fail("attention (decode)", "the head does not fit in shared memory");
    const Geometry base{shape.heads,
                        shape.kv_heads,
                        hd,
                        static_cast<int>(split.splits),
                        static_cast<int>(split.chunk),
                        shape.scale,
                        below,
                        cache.capacity,
                        0,
                        0};
    std::shared_ptr<void> partial;
    if (split.splits > 1) {
      const int64_t rows = plan::decode_rows(b.host_segments, below);
      partial = ctx.scratch(sizeof(float) *
                            static_cast<size_t>(rows * shape.heads * split.splits * (hd + 2)));
    }
    const auto segments = static_cast<unsigned>(b.host_segments.size());
    const int64_t groups = (longest + kRowsPerBlock - 1) / kRowsPerBlock;
    const size_t shared = sizeof(float) * static_cast<size_t>(hd + split.chunk);
    plan::for_each_slice(
        groups, shape.heads * split.splits, [&](int64_t y0, int64_t z0, int64_t ny, int64_t nz) {
          Geometry g = base;
          g.y0 = static_cast<int32_t>(y0);
          g.z0 = static_cast<int32_t>(z0);
          const dim3 grid(segments, static_cast<unsigned>(ny), static_cast<unsigned>(nz));
          decode_kernel<KV><<<grid, kThreads, shared, ctx.stream()>>>(
              qkv, b.positions, b.segments, g, static_cast<const KV*>(cache.k),
              static_cast<const KV*>(cache.v), static_cast<float*>(partial.get()), out);
          check_launch("attention (decode)");
        });
    if (split.splits > 1) {
      plan::for_each_slice(
          groups, shape.heads, [&](int64_t y0, int64_t z0, int64_t ny, int64_t nz) {
            Geometry g = base;
            g.y0 = static_cast<int32_t>(y0);
            g.z0 = static_cast<int32_t>(z0);
            const dim3 grid(segments, static_cast<unsigned>(ny), static_cast<unsigned>(nz));
            combine_kernel<<<grid, kThreads, 0, ctx.stream()>>>(
                b.segments, g, static_cast<const float*>(partial.get()), out);
            check_launch("attention (decode combine)");
          });
    }
  });
}

}  // namespace tb::cuda
