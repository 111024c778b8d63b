// store_kv: the key and value heads of row r of qkv (after the `heads` query heads) go to
// cache[slots[r], positions[r]], rounded to the cache dtype (nearest even). One block per row.
#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/backend/cuda/cuda_dtype.cuh"
#include "harness/backend/cuda/cuda_ops.cuh"

namespace tb::cuda {

namespace {

constexpr int kThreads = 256;

template <typename T>
__global__ void store_kv_kernel(const float* qkv, int64_t width, int64_t q_width, int64_t kv_row,
                                const int32_t* slots, const int32_t* positions, int64_t capacity,
                                T* k_cache, T* v_cache) {
  const int64_t r = blockIdx.x;
  const float* row = qkv + r * width + q_width;
  const int64_t at = (int64_t{slots[r]} * capacity + positions[r]) * kv_row;
  for (int64_t e = threadIdx.x; e < kv_row; e += blockDim.x) {
    k_cache[at + e] = narrow<T>(row[e]);
    v_cache[at + e] = narrow<T>(row[kv_row + e]);
  }
}

}  // namespace

void store_kv(Context& ctx, const float* qkv, const AttentionShape& shape, const DeviceBatch& b,
              void* k_cache, void* v_cache, DType dtype, int64_t capacity) {
  if (b.rows == 0) return;
  dispatch_float_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    store_kv_kernel<T><<<static_cast<unsigned>(b.rows), kThreads, 0, ctx.stream()>>>(
        qkv, shape.qkv_width(), shape.out_width(), shape.kv_width(), b.slots, b.positions, capacity,
        static_cast<T*>(k_cache), static_cast<T*>(v_cache));
  });
  check_launch("store_kv");
}

}  // namespace tb::cuda
