#pragma once
// The CPU kernels on raw pointers, twice: `ref` (plain loops with double accumulation, the
// oracle every other backend is tested against) and `fast` (OpenBLAS sgemm + OpenMP). Both sets
// have identical signatures and semantics (see backend.hpp for each op's definition).
// Activations are f32; weights and caches carry their dtype and are widened exactly to f32.
#include <cstdint>
#include <span>

#include "harness/backend/backend.hpp"

namespace tb::cpu {

// The K and V caches of one layer, [slots, capacity, kv_heads, head_dim] each.
struct KvLayer {
  const void* k = nullptr;
  const void* v = nullptr;
  DType dtype = DType::F32;
  int64_t capacity = 0;
};

// A weight matrix or table in its stored dtype.
struct Weight {
  const void* data = nullptr;
  DType dtype = DType::F32;
};

// Element i of a float-dtype array, widened exactly to f32.
inline float widen(const void* base, DType dtype, int64_t i) {
  float out;
  convert_to_f32(static_cast<const char*>(base) + i * static_cast<int64_t>(dtype_size(dtype)),
                 dtype, 1, &out);
  return out;
}

#define TB_CPU_KERNELS                                                                           \
  /* y[i * ldy + j] (+)= x[i, :] . w[j, :] + bias[j] */                                          \
  void linear(const float* x, Weight w, const float* bias, float* y, int64_t m, int64_t n,       \
              int64_t k, int64_t ldy, bool accumulate);                                          \
  void rmsnorm(const float* x, const float* w, float eps, float* y, int64_t m, int64_t d);       \
  void layernorm(const float* x, const float* w, const float* b, float eps, float* y, int64_t m, \
                 int64_t d);                                                                     \
  void rope(float* x, const int32_t* positions, int64_t m, int64_t width, int head_dim,          \
            int rotated_heads, double theta);                                                    \
  void attention(const float* qkv, const AttentionShape& shape,                                  \
                 std::span<const AttentionSegment> segments, const int32_t* positions,           \
                 const KvLayer& cache, float* out);                                              \
  void silu_mul(const float* gate_up, float* out, int64_t m, int64_t n);                         \
  void gelu_new(float* x, int64_t count);                                                        \
  void add(float* x, const float* y, int64_t count);                                             \
  void log_softmax(const float* x, float* y, int64_t m, int64_t n);                              \
  RowScores score_rows(const float* logits, int64_t rows, int64_t vocab,                         \
                       std::span<const int32_t> pairs);                                          \
  TopK top_k(const float* logits, int64_t rows, int64_t vocab, int k);

namespace ref {
TB_CPU_KERNELS
}
namespace fast {
TB_CPU_KERNELS
}

#undef TB_CPU_KERNELS

}  // namespace tb::cpu
