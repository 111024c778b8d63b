// Causal GQA attention for short segments (decoding): split-K. Each block takes one query head
// of up to kRowsPerBlock rows of one segment and one range of keys (a split); it writes, per row,
// the range's max score m, sum of exp(score - m) l and unnormalised output o, and a combine
// kernel merges the splits: M = max m_s, out = sum o_s e^(m_s - M) / sum l_s e^(m_s - M). With
// one split the block writes the normalised output itself. Works for any head size, so it is
// also the path for segments the tiled prefill kernel does not take.
//
// Row r (position p = positions[r], slot = its segment's) attends to keys 0..p inclusive; query
// head h reads kv head h / (heads / kv_heads). Scores are f32 dot products times `scale`.
#include <algorithm>

#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/backend/cuda/cuda_dtype.cuh"
#include "harness/backend/cuda/cuda_ops.cuh"
#include "harness/backend/cuda/cuda_reduce.cuh"

namespace tb::cuda {

namespace {

constexpr int kThreads = 128;
constexpr int kRowsPerBlock = 4;
constexpr int kKeysPerSplit = 64;  // the split count aims at about this many keys each
constexpr int kMaxSplits = 32;
constexpr size_t kSharedLimit = 48 * 1024;  // no opt-in needed below this

struct Geometry {
  int heads, kv_heads, head_dim, splits, chunk;
  float scale;
  int32_t below;
  int64_t capacity;
};

template <typename KV>
__global__ void __launch_bounds__(kThreads)
    decode_kernel(const float* qkv, const int32_t* positions, const int32_t* segments, Geometry g,
                  const KV* k_cache, const KV* v_cache, float* partial, float* out) {
  const int32_t slot = segments[3 * blockIdx.x], seg_row = segments[3 * blockIdx.x + 1],
                seg_rows = segments[3 * blockIdx.x + 2];
  if (seg_rows >= g.below) return;  // the prefill kernel's
  const int32_t first = seg_row + static_cast<int32_t>(blockIdx.y) * kRowsPerBlock;
  const int32_t last = min(seg_row + seg_rows, first + kRowsPerBlock);
  const int h = static_cast<int>(blockIdx.z) / g.splits, split = blockIdx.z % g.splits;
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
    const int64_t item = (int64_t{r} * g.heads + h) * g.splits + split;
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
  const int32_t seg_row = segments[3 * blockIdx.x + 1], seg_rows = segments[3 * blockIdx.x + 2];
  if (seg_rows >= g.below) return;
  const int32_t first = seg_row + static_cast<int32_t>(blockIdx.y) * kRowsPerBlock;
  const int32_t last = min(seg_row + seg_rows, first + kRowsPerBlock);
  const int h = blockIdx.z, hd = g.head_dim;
  for (int32_t r = first; r < last; ++r) {
    const float* base = partial + (int64_t{r} * g.heads + h) * g.splits * (hd + 2);
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

}  // namespace

void attention_decode(Context& ctx, const float* qkv, const AttentionShape& shape,
                      const DeviceBatch& b, const DeviceCache& cache, float* out, int32_t below) {
  int32_t longest = 0;
  for (const AttentionSegment& seg : b.host_segments) {
    if (seg.rows < below) longest = std::max(longest, seg.rows);
  }
  if (longest == 0) return;
  const int64_t max_keys = int64_t{b.max_position} + 1;
  const int hd = shape.head_dim;
  int64_t splits =
      std::clamp<int64_t>((max_keys + kKeysPerSplit - 1) / kKeysPerSplit, 1, kMaxSplits);
  int64_t chunk = (max_keys + splits - 1) / splits;
  const int64_t chunk_limit = static_cast<int64_t>(kSharedLimit / sizeof(float)) - hd;
  if (chunk > chunk_limit) {  // very long contexts: more splits keep the scores in 48 KiB
    splits = (max_keys + chunk_limit - 1) / chunk_limit;
    chunk = (max_keys + splits - 1) / splits;
  }
  const Geometry g{shape.heads,
                   shape.kv_heads,
                   hd,
                   static_cast<int>(splits),
                   static_cast<int>(chunk),
                   shape.scale,
                   below,
                   cache.capacity};
  std::shared_ptr<void> partial;
  if (splits > 1) {
    partial =
        ctx.scratch(sizeof(float) * static_cast<size_t>(b.rows * shape.heads * splits * (hd + 2)));
  }
  const dim3 grid(static_cast<unsigned>(b.host_segments.size()),
                  static_cast<unsigned>((longest + kRowsPerBlock - 1) / kRowsPerBlock),
                  static_cast<unsigned>(shape.heads * splits));
  const size_t shared = sizeof(float) * static_cast<size_t>(hd + chunk);
  dispatch_float_dtype(cache.dtype, [&](auto tag) {
    using KV = decltype(tag);
    decode_kernel<KV><<<grid, kThreads, shared, ctx.stream()>>>(
        qkv, b.positions, b.segments, g, static_cast<const KV*>(cache.k),
        static_cast<const KV*>(cache.v), static_cast<float*>(partial.get()), out);
  });
  check_launch("attention (decode)");
  if (splits > 1) {
    const dim3 combine_grid(grid.x, grid.y, static_cast<unsigned>(shape.heads));
    combine_kernel<<<combine_grid, kThreads, 0, ctx.stream()>>>(
        b.segments, g, static_cast<const float*>(partial.get()), out);
    check_launch("attention (decode combine)");
  }
}

}  // namespace tb::cuda
