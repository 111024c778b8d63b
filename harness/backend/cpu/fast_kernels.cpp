// Fast CPU kernels: OpenBLAS for the matrix products, OpenMP + vectorisable loops for the rest.
// OpenBLAS (its OpenMP build) threads itself over the same libgomp team, so it is only ever
// called from the main thread, never inside an OpenMP region (it would run on one thread there).
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "harness/backend/cpu/fast_math.hpp"
#include "harness/backend/cpu/kernels.hpp"
#include "harness/backend/cpu/linear_half.hpp"

namespace tb::cpu::fast {

namespace {
// Below this many elements an OpenMP region costs more than it saves.
constexpr int64_t kParallelMin = 1 << 14;
// silu and gelu divide by 1 + exp(-v) in a second loop over exponentials already stored. Fused
// into one loop, GCC evaluates fast_exp's clamped branches for every lane, and dividing by
// 1 + e^88 gives denormals whose microcode assists made silu_mul 14x slower (measured: 6.5 against
// 0.46 ns per element at the 24M shape's 512 x 1408).
constexpr int64_t kDenormalSafeChunk = 256;

// The largest of n floats (-inf for none), NaNs skipped as std::max skips them, in 16 lanes: GCC
// left the `omp simd reduction(max)` form of this loop scalar here.
float max_of(const float* x, int64_t n) {
  constexpr int64_t kLanes = 16;
  float lanes[kLanes];
  std::fill(lanes, lanes + kLanes, -INFINITY);
  int64_t v = 0;
  for (; v + kLanes <= n; v += kLanes) {
    for (int64_t l = 0; l < kLanes; ++l) lanes[l] = x[v + l] > lanes[l] ? x[v + l] : lanes[l];
  }
  float best = -INFINITY;
  for (int64_t l = 0; l < kLanes; ++l) best = lanes[l] > best ? lanes[l] : best;
  for (; v < n; ++v) best = x[v] > best ? x[v] : best;
  return best;
}
}  // namespace

// OpenBLAS stays the f32 GEMM/GEMV (issue 16, measured on the 2-core AMD EPYC Zen 4 VM, one
// thread, thread CPU time, best of several, interleaved): with OPENBLAS_CORETYPE unset, 0.3.21
// runs its Cooperlake AVX-512 kernels, and at the MuPT-110M and 24M shapes (512 rows) sgemm
// gives 86-96 GFLOP/s, oneDNN 2.6 matmul 93-105 (+5%), BLIS 0.9 80-98; Haswell kernels are no
// slower on this core (its AVX-512 is double-pumped 256-bit). For one row, BLIS's sgemv reads
// 17-31 GB/s against OpenBLAS's 12-17 and a 4-row AVX-512 loop's 14-16, but BLIS exports the
// same cblas_* symbols as OpenBLAS, and +5% does not pay for a second BLAS. Measured again on
// the 2-core Intel Xeon (AVX-512, AMX) VM with the weights on huge pages, decode of both shapes
// at 1 and 2 threads: a 4-row, 2-accumulator vector loop with prefetch one page ahead gave
// 7-11% fewer tokens/s than OpenBLAS 0.3.21's sgemv in three cases of four.
void linear(const float* x, Weight w, const float* bias, float* y, int64_t m, int64_t n, int64_t k,
            int64_t ldy, bool accumulate) {
  if (w.dtype != DType::F32) {
    linear_half(x, w, bias, y, m, n, k, ldy, accumulate);
    return;
  }
  const float beta = apply_bias(bias, y, m, n, ldy, accumulate);
  const auto* wf = static_cast<const float*>(w.data);
  const auto bm = static_cast<blasint>(m), bn = static_cast<blasint>(n);
  const auto bk = static_cast<blasint>(k);
  if (m == 1) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, bn, bk, 1.0f, wf, bk, x, 1, beta, y, 1);
  } else {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bm, bn, bk, 1.0f, x, bk, wf, bk, beta, y,
                static_cast<blasint>(ldy));
  }
}

void rmsnorm(const float* x, const float* w, float eps, float* y, int64_t m, int64_t d) {
#pragma omp parallel for if (m * d > kParallelMin)
  for (int64_t i = 0; i < m; ++i) {
    const float* row = x + i * d;
    float squares = 0.0f;
#pragma omp simd reduction(+ : squares)
    for (int64_t j = 0; j < d; ++j) squares += row[j] * row[j];
    const float inv = 1.0f / std::sqrt(squares / static_cast<float>(d) + eps);
    float* out = y + i * d;
#pragma omp simd
    for (int64_t j = 0; j < d; ++j) out[j] = row[j] * inv * w[j];
  }
}

void layernorm(const float* x, const float* w, const float* b, float eps, float* y, int64_t m,
               int64_t d) {
#pragma omp parallel for if (m * d > kParallelMin)
  for (int64_t i = 0; i < m; ++i) {
    const float* row = x + i * d;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < d; ++j) sum += row[j];
    const float mean = sum / static_cast<float>(d);
    float var = 0.0f;
#pragma omp simd reduction(+ : var)
    for (int64_t j = 0; j < d; ++j) var += (row[j] - mean) * (row[j] - mean);
    const float inv = 1.0f / std::sqrt(var / static_cast<float>(d) + eps);
    float* out = y + i * d;
#pragma omp simd
    for (int64_t j = 0; j < d; ++j) out[j] = (row[j] - mean) * inv * w[j] + b[j];
  }
}

void rope(float* x, const int32_t* positions, int64_t m, int64_t width, int head_dim,
          int rotated_heads, double theta) {
  const int half = head_dim / 2;
  std::vector<float> inv_freq(static_cast<size_t>(half));
  for (int j = 0; j < half; ++j) {
    inv_freq[j] = static_cast<float>(1.0 / std::pow(theta, 2.0 * j / head_dim));
  }
#pragma omp parallel if (m * width > kParallelMin)
  {
    std::vector<float> cos_table(static_cast<size_t>(half)), sin_table(static_cast<size_t>(half));
#pragma omp for
    for (int64_t i = 0; i < m; ++i) {
      for (int j = 0; j < half; ++j) {
        const float angle = static_cast<float>(positions[i]) * inv_freq[j];
        cos_table[j] = std::cos(angle);
        sin_table[j] = std::sin(angle);
      }
      for (int h = 0; h < rotated_heads; ++h) {
        float* head = x + i * width + int64_t{h} * head_dim;
#pragma omp simd
        for (int j = 0; j < half; ++j) {
          const float a = head[j], b = head[j + half];
          head[j] = a * cos_table[j] - b * sin_table[j];
          head[j + half] = b * cos_table[j] + a * sin_table[j];
        }
      }
    }
  }
}

void silu_mul(const float* gate_up, float* out, int64_t m, int64_t n) {
#pragma omp parallel for if (m * n > kParallelMin)
  for (int64_t i = 0; i < m; ++i) {
    const float* g = gate_up + i * 2 * n;
    const float* u = g + n;
    float* o = out + i * n;
    // Two passes (see kDenormalSafeChunk): the exponentials into the output row, then the rest.
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) o[j] = fast_exp(-g[j]);
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) o[j] = g[j] / (1.0f + o[j]) * u[j];
  }
}

void gelu_new(float* x, int64_t count) {
  // 0.5 x (1 + tanh(z)) = x / (1 + exp(-2z)): no cancellation for large negative z.
  const float c = 0.7978845608028654f;  // sqrt(2 / pi)
  const int64_t chunks = (count + kDenormalSafeChunk - 1) / kDenormalSafeChunk;
#pragma omp parallel for if (count > kParallelMin)
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    float* v = x + chunk * kDenormalSafeChunk;
    const int64_t size = std::min(kDenormalSafeChunk, count - chunk * kDenormalSafeChunk);
    float e[kDenormalSafeChunk];
#pragma omp simd
    for (int64_t i = 0; i < size; ++i) {
      e[i] = fast_exp(-2.0f * c * (v[i] + 0.044715f * v[i] * v[i] * v[i]));
    }
#pragma omp simd
    for (int64_t i = 0; i < size; ++i) v[i] = v[i] / (1.0f + e[i]);
  }
}

void add(float* x, const float* y, int64_t count) {
#pragma omp parallel for simd if (count > kParallelMin)
  for (int64_t i = 0; i < count; ++i) x[i] += y[i];
}

void log_softmax(const float* x, float* y, int64_t m, int64_t n) {
#pragma omp parallel for if (m * n > kParallelMin)
  for (int64_t i = 0; i < m; ++i) {
    const float* row = x + i * n;
    const float max_value = max_of(row, n);
    float total = 0.0f;
#pragma omp simd reduction(+ : total)
    for (int64_t j = 0; j < n; ++j) total += fast_exp(row[j] - max_value);
    const float log_total = std::log(total) + max_value;
    float* out = y + i * n;
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) out[j] = row[j] - log_total;
  }
}

namespace {
// The first v with row[v] == value (the last index when none is): blocks of 64 are tested with
// a vectorised any-equal before the one that holds it is scanned (a scalar scan over a 32000-entry
// row was 60% of score_rows).
int64_t first_equal(const float* row, int64_t n, float value) {
  constexpr int64_t kBlock = 64;
  for (int64_t base = 0; base < n; base += kBlock) {
    const int64_t end = std::min(n, base + kBlock);
    int hits = 0;
#pragma omp simd reduction(+ : hits)
    for (int64_t v = base; v < end; ++v) hits += row[v] == value;
    if (hits == 0) continue;
    for (int64_t v = base; v < end; ++v) {
      if (row[v] == value) return v;
    }
  }
  return n - 1;
}
}  // namespace

RowScores score_rows(const float* logits, int64_t rows, int64_t vocab,
                     std::span<const int32_t> pairs) {
  RowScores out;
  out.argmax.resize(static_cast<size_t>(rows));
  out.logsumexp.resize(static_cast<size_t>(rows));
#pragma omp parallel for if (rows * vocab > kParallelMin)
  for (int64_t i = 0; i < rows; ++i) {
    const float* row = logits + i * vocab;
    const float max_value = max_of(row, vocab);
    out.argmax[static_cast<size_t>(i)] = static_cast<int32_t>(first_equal(row, vocab, max_value));
    // f32 exponentials (vectorised), summed in double: the normaliser of a 32000-entry row is
    // then as exact as the reference's.
    double total = 0.0;
#pragma omp simd reduction(+ : total)
    for (int64_t v = 0; v < vocab; ++v) total += static_cast<double>(fast_exp(row[v] - max_value));
    out.logsumexp[static_cast<size_t>(i)] = static_cast<float>(max_value + std::log(total));
  }
  for (size_t p = 0; p < pairs.size(); p += 2) {
    out.values.push_back(logits[int64_t{pairs[p]} * vocab + pairs[p + 1]]);
  }
  return out;
}

TopK top_k(const float* logits, int64_t rows, int64_t vocab, int k) {
  TopK out;
  out.k = k;
  out.logsumexp = score_rows(logits, rows, vocab, {}).logsumexp;
  std::vector<int32_t> order(static_cast<size_t>(vocab));
  for (int64_t i = 0; i < rows; ++i) {
    const float* row = logits + i * vocab;
    for (int64_t v = 0; v < vocab; ++v) order[static_cast<size_t>(v)] = static_cast<int32_t>(v);
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) {
      return row[a] > row[b] || (row[a] == row[b] && a < b);
    });
    for (int j = 0; j < k; ++j) {
      out.indices.push_back(order[static_cast<size_t>(j)]);
      out.values.push_back(row[order[static_cast<size_t>(j)]]);
    }
  }
  return out;
}

}  // namespace tb::cpu::fast
