// Fast causal attention over the KV cache. Long segments (prefill) go through sgemm per query
// head and block of rows: S = scale Q K^T over the keys the block can see, a masked softmax, then
// O = P V written straight into the output rows. Short segments (decoding) are dot products in
// an OpenMP loop over (segment, head).
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "harness/backend/cpu/fast_math.hpp"
#include "harness/backend/cpu/kernels.hpp"

namespace tb::cpu::fast {

namespace {

// Segments with fewer rows than this take the loop path.
constexpr int32_t kBlasMinRows = 8;
// Rows per sgemm block: a block sees only the keys up to its last position, so blocks skip most
// of the masked upper triangle.
constexpr int32_t kBlockRows = 128;

// A layer's caches as f32 (the stored ones, or a widened copy of one slot's rows).
struct F32Kv {
  const float* k = nullptr;
  const float* v = nullptr;
  int64_t capacity = 0;
};

struct Geometry {
  int64_t hd, width, out_width, kv_row;
  int group;
  explicit Geometry(const AttentionShape& s)
      : hd(s.head_dim),
        width(s.qkv_width()),
        out_width(s.out_width()),
        kv_row(int64_t{s.kv_heads} * s.head_dim),
        group(s.heads / s.kv_heads) {}
};

// One query row of one head against keys 0..keys-1, with dot products and an axpy for P V.
void attend_row(const float* q, const float* k, const float* v, int64_t keys, const Geometry& g,
                float scale, std::vector<float>& scores, float* out) {
  scores.resize(static_cast<size_t>(keys));
  float max_score = -INFINITY;
  for (int64_t t = 0; t < keys; ++t) {
    const float* key = k + t * g.kv_row;
    float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
    for (int64_t j = 0; j < g.hd; ++j) dot += q[j] * key[j];
    scores[t] = dot * scale;
    max_score = std::max(max_score, scores[t]);
  }
#pragma omp simd
  for (int64_t t = 0; t < keys; ++t) scores[t] = fast_exp(scores[t] - max_score);
  float total = 0.0f;
#pragma omp simd reduction(+ : total)
  for (int64_t t = 0; t < keys; ++t) total += scores[t];
  std::fill(out, out + g.hd, 0.0f);
  for (int64_t t = 0; t < keys; ++t) {
    const float p = scores[t] / total;
    const float* value = v + t * g.kv_row;
#pragma omp simd
    for (int64_t j = 0; j < g.hd; ++j) out[j] += p * value[j];
  }
}

void attend_short(const float* qkv, const AttentionShape& shape,
                  std::span<const AttentionSegment> segments, const int32_t* positions,
                  const F32Kv& cache, float* out) {
  const Geometry g(shape);
  const auto work = static_cast<int64_t>(segments.size()) * shape.heads;
#pragma omp parallel if (work > 1)
  {
    std::vector<float> scores;
#pragma omp for schedule(dynamic)
    for (int64_t item = 0; item < work; ++item) {
      const AttentionSegment& seg = segments[static_cast<size_t>(item / shape.heads)];
      const int h = static_cast<int>(item % shape.heads);
      const int64_t kv_offset = seg.slot * cache.capacity * g.kv_row + (h / g.group) * g.hd;
      for (int32_t r = seg.row; r < seg.row + seg.rows; ++r) {
        attend_row(qkv + r * g.width + h * g.hd, cache.k + kv_offset, cache.v + kv_offset,
                   int64_t{positions[r]} + 1, g, shape.scale, scores,
                   out + r * g.out_width + h * g.hd);
      }
    }
  }
}

// Softmax of each row of s[rows, keys] in place, row r seeing keys 0..positions[r].
void masked_softmax(float* s, int64_t rows, int64_t keys, const int32_t* positions) {
#pragma omp parallel for if (rows * keys > (1 << 14))
  for (int64_t i = 0; i < rows; ++i) {
    float* row = s + i * keys;
    const int64_t visible = int64_t{positions[i]} + 1;
    float max_score = -INFINITY;
#pragma omp simd reduction(max : max_score)
    for (int64_t t = 0; t < visible; ++t) max_score = std::max(max_score, row[t]);
      // The exponentials and their sum in separate loops, so the exponentials vectorise.
#pragma omp simd
    for (int64_t t = 0; t < visible; ++t) row[t] = fast_exp(row[t] - max_score);
    float total = 0.0f;
#pragma omp simd reduction(+ : total)
    for (int64_t t = 0; t < visible; ++t) total += row[t];
    const float inv = 1.0f / total;
#pragma omp simd
    for (int64_t t = 0; t < visible; ++t) row[t] *= inv;
    std::fill(row + visible, row + keys, 0.0f);
  }
}

void attend_long(const float* qkv, const AttentionShape& shape, const AttentionSegment& seg,
                 const int32_t* positions, const F32Kv& cache, float* out,
                 std::vector<float>& scores) {
  const Geometry g(shape);
  const int64_t slot_offset = seg.slot * cache.capacity * g.kv_row;
  for (int32_t r0 = seg.row; r0 < seg.row + seg.rows; r0 += kBlockRows) {
    const int32_t rows = std::min(kBlockRows, seg.row + seg.rows - r0);
    // Positions increase within a segment, so the block's last row sees the most keys.
    const int64_t keys = int64_t{*std::max_element(positions + r0, positions + r0 + rows)} + 1;
    scores.resize(static_cast<size_t>(rows * keys));
    for (int h = 0; h < shape.heads; ++h) {
      const int64_t kv_offset = slot_offset + (h / g.group) * g.hd;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, static_cast<blasint>(keys),
                  static_cast<blasint>(g.hd), shape.scale, qkv + r0 * g.width + h * g.hd,
                  static_cast<blasint>(g.width), cache.k + kv_offset,
                  static_cast<blasint>(g.kv_row), 0.0f, scores.data(), static_cast<blasint>(keys));
      masked_softmax(scores.data(), rows, keys, positions + r0);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, static_cast<blasint>(g.hd),
                  static_cast<blasint>(keys), 1.0f, scores.data(), static_cast<blasint>(keys),
                  cache.v + kv_offset, static_cast<blasint>(g.kv_row), 0.0f,
                  out + r0 * g.out_width + h * g.hd, static_cast<blasint>(g.out_width));
    }
  }
}

void attend_f32(const float* qkv, const AttentionShape& shape,
                std::span<const AttentionSegment> segments, const int32_t* positions,
                const F32Kv& cache, float* out) {
  std::vector<AttentionSegment> short_segments;
  std::vector<float> scores;
  for (const AttentionSegment& seg : segments) {
    if (seg.rows < kBlasMinRows) {
      short_segments.push_back(seg);
    } else {
      attend_long(qkv, shape, seg, positions, cache, out, scores);
    }
  }
  if (!short_segments.empty()) attend_short(qkv, shape, short_segments, positions, cache, out);
}

}  // namespace

void attention(const float* qkv, const AttentionShape& shape,
               std::span<const AttentionSegment> segments, const int32_t* positions,
               const KvLayer& cache, float* out) {
  if (cache.dtype == DType::F32) {
    attend_f32(
        qkv, shape, segments, positions,
        {static_cast<const float*>(cache.k), static_cast<const float*>(cache.v), cache.capacity},
        out);
    return;
  }
  // A half-precision cache: widen the keys and values each segment can see (its slot's first
  // last-position + 1 rows) into f32 and attend over that copy as slot 0.
  const int64_t kv_row = shape.kv_width(), elem = static_cast<int64_t>(dtype_size(cache.dtype));
  std::vector<float> k, v;
  for (const AttentionSegment& seg : segments) {
    const int64_t keys = int64_t{positions[seg.row + seg.rows - 1]} + 1;
    const int64_t offset = seg.slot * cache.capacity * kv_row;
    k.resize(static_cast<size_t>(keys * kv_row));
    v.resize(k.size());
    convert_to_f32(static_cast<const char*>(cache.k) + offset * elem, cache.dtype, k.size(),
                   k.data());
    convert_to_f32(static_cast<const char*>(cache.v) + offset * elem, cache.dtype, v.size(),
                   v.data());
    const AttentionSegment local{0, seg.row, seg.rows};
    attend_f32(qkv, shape, {&local, 1}, positions, {k.data(), v.data(), keys}, out);
  }
}

}  // namespace tb::cpu::fast
