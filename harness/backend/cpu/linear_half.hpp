#pragma once
// The CPU's linear over bf16 and f16 weights (OpenBLAS has no half-precision GEMM in Debian's
// build): one or two rows take a widening dot product per output, more rows widen panels of
// weight rows to f32 and run sgemm on each, so weights stay in their checkpoint dtype.
#include <cstdint>

#include "harness/backend/cpu/kernels.hpp"

namespace tb::cpu::fast {

// Writes the bias into y's rows (or adds it when accumulating) and returns the beta with which
// a product is then added: 0 overwrites, 1 accumulates.
float apply_bias(const float* bias, float* y, int64_t m, int64_t n, int64_t ldy, bool accumulate);

void linear_half(const float* x, Weight w, const float* bias, float* y, int64_t m, int64_t n,
                 int64_t k, int64_t ldy, bool accumulate);

}  // namespace tb::cpu::fast
