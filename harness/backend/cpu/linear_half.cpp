#include "harness/backend/cpu/linear_half.hpp"

#include <cblas.h>

#include <algorithm>
#include <bit>
#include <vector>

namespace tb::cpu::fast {

namespace {

constexpr int64_t kParallelMin = 1 << 14;
// Weight rows widened per sgemm call: enough for sgemm to run near its peak, small enough that
// the panel (rows x k floats) stays a few MB.
constexpr int64_t kPanelRows = 128;
// Up to this many activation rows, per-output dot products beat widening whole panels.
constexpr int64_t kDotMaxRows = 2;

#pragma omp declare simd
inline float bf16_bits_to_f32(uint16_t h) {
  return std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
}
#pragma omp declare simd
inline float f16_bits_to_f32(uint16_t h) {
  return static_cast<float>(std::bit_cast<_Float16>(h));
}

template <bool kBf16>
void widen_rows(const uint16_t* w, int64_t count, float* out) {
#pragma omp simd
  for (int64_t i = 0; i < count; ++i) {
    out[i] = kBf16 ? bf16_bits_to_f32(w[i]) : f16_bits_to_f32(w[i]);
  }
}

template <bool kBf16>
float dot(const float* x, const uint16_t* w, int64_t k) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t p = 0; p < k; ++p)
    sum += x[p] * (kBf16 ? bf16_bits_to_f32(w[p]) : f16_bits_to_f32(w[p]));
  return sum;
}

template <bool kBf16>
void linear_dot(const float* x, const uint16_t* w, float* y, int64_t m, int64_t n, int64_t k,
                int64_t ldy, float beta) {
  for (int64_t i = 0; i < m; ++i) {
#pragma omp parallel for if (n * k > kParallelMin)
    for (int64_t j = 0; j < n; ++j) {
      const float product = dot<kBf16>(x + i * k, w + j * k, k);
      float& out = y[i * ldy + j];
      out = beta == 0.0f ? product : out + product;
    }
  }
}

template <bool kBf16>
void linear_panels(const float* x, const uint16_t* w, float* y, int64_t m, int64_t n, int64_t k,
                   int64_t ldy, float beta) {
  thread_local std::vector<float> panel;
  panel.resize(static_cast<size_t>(std::min(kPanelRows, n) * k));
  for (int64_t j0 = 0; j0 < n; j0 += kPanelRows) {
    const int64_t rows = std::min(kPanelRows, n - j0);
    widen_rows<kBf16>(w + j0 * k, rows * k, panel.data());
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(m),
                static_cast<blasint>(rows), static_cast<blasint>(k), 1.0f, x,
                static_cast<blasint>(k), panel.data(), static_cast<blasint>(k), beta, y + j0,
                static_cast<blasint>(ldy));
  }
}

}  // namespace

float apply_bias(const float* bias, float* y, int64_t m, int64_t n, int64_t ldy, bool accumulate) {
  if (!bias) return accumulate ? 1.0f : 0.0f;
#pragma omp parallel for if (m * n > kParallelMin)
  for (int64_t i = 0; i < m; ++i) {
    float* row = y + i * ldy;
    if (accumulate) {
#pragma omp simd
      for (int64_t j = 0; j < n; ++j) row[j] += bias[j];
    } else {
      std::copy(bias, bias + n, row);
    }
  }
  return 1.0f;
}

void linear_half(const float* x, Weight w, const float* bias, float* y, int64_t m, int64_t n,
                 int64_t k, int64_t ldy, bool accumulate) {
  const float beta = apply_bias(bias, y, m, n, ldy, accumulate);
  const auto* bits = static_cast<const uint16_t*>(w.data);
  const bool bf16 = w.dtype == DType::BF16;
  if (m <= kDotMaxRows) {
    bf16 ? linear_dot<true>(x, bits, y, m, n, k, ldy, beta)
         : linear_dot<false>(x, bits, y, m, n, k, ldy, beta);
  } else {
    bf16 ? linear_panels<true>(x, bits, y, m, n, k, ldy, beta)
         : linear_panels<false>(x, bits, y, m, n, k, ldy, beta);
  }
}

}  // namespace tb::cpu::fast
