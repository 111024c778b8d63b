#pragma once
// The CPU kernels on raw f32 pointers, twice: `ref` (plain loops with double accumulation, the
// oracle every other backend is tested against) and `fast` (OpenBLAS sgemm + OpenMP). Both sets
// have identical signatures and semantics (see backend.hpp for each op's definition).
#include <cstdint>
#include <span>

#include "harness/backend/backend.hpp"

namespace tb::cpu {

// The K and V caches of one layer, [slots, capacity, kv_heads, head_dim] each.
struct KvLayer {
  const float* k = nullptr;
  const float* v = nullptr;
  int64_t capacity = 0;
};

#define TB_CPU_KERNELS                                                                           \
  void linear(const float* x, const float* w, const float* bias, float* y, int64_t m, int64_t n, \
              int64_t k, bool accumulate);                                                       \
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
  void log_softmax(const float* x, float* y, int64_t m, int64_t n);

namespace ref {
TB_CPU_KERNELS
}
namespace fast {
TB_CPU_KERNELS
}

#undef TB_CPU_KERNELS

}  // namespace tb::cpu
