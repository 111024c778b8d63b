// Embedding lookup (token table plus an optional learned position table, either in f32, bf16 or
// f16, widened exactly and summed in f32) and gather_rows. One block per output row.
#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/backend/cuda/cuda_dtype.cuh"
#include "harness/backend/cuda/cuda_ops.cuh"

namespace tb::cuda {

namespace {

constexpr int kThreads = 256;

template <typename T, typename P>
__global__ void embedding_kernel(const T* table, const P* position_table, const int32_t* tokens,
                                 const int32_t* positions, int64_t d, float* out) {
  const int64_t r = blockIdx.x;
  const T* src = table + int64_t{tokens[r]} * d;
  float* dst = out + r * d;
  if (position_table) {
    const P* pos = position_table + int64_t{positions[r]} * d;
    for (int64_t j = threadIdx.x; j < d; j += blockDim.x) dst[j] = widen(src[j]) + widen(pos[j]);
  } else {
    for (int64_t j = threadIdx.x; j < d; j += blockDim.x) dst[j] = widen(src[j]);
  }
}

__global__ void gather_rows_kernel(const float* x, int64_t d, const int32_t* wanted, float* out) {
  const float* src = x + int64_t{wanted[blockIdx.x]} * d;
  float* dst = out + int64_t{blockIdx.x} * d;
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x) dst[j] = src[j];
}

}  // namespace

void embedding(Context& ctx, const Tensor& table, const Tensor& position_table,
               const DeviceBatch& b, float* out) {
  if (b.rows == 0) return;
  const int64_t d = table.shape().back();
  // Without a position table its element type is irrelevant: the token table's stands in.
  const DType pos_dtype = position_table.empty() ? table.dtype() : position_table.dtype();
  dispatch_float_dtype(table.dtype(), [&](auto t) {
    dispatch_float_dtype(pos_dtype, [&](auto p) {
      using T = decltype(t);
      using P = decltype(p);
      embedding_kernel<T, P><<<static_cast<unsigned>(b.rows), kThreads, 0, ctx.stream()>>>(
          static_cast<const T*>(table.data()), static_cast<const P*>(position_table.data()),
          b.tokens, b.positions, d, out);
    });
  });
  check_launch("embedding");
}

void gather_rows(Context& ctx, const float* x, int64_t d, const DeviceBatch& b, float* out) {
  if (b.wanted_count == 0) return;
  gather_rows_kernel<<<static_cast<unsigned>(b.wanted_count), kThreads, 0, ctx.stream()>>>(
      x, d, b.wanted, out);
  check_launch("gather_rows");
}

}  // namespace tb::cuda
