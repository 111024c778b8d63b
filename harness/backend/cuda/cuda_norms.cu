// RMSNorm and LayerNorm: one block per row, sums reduced in f32 across the block.
#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/backend/cuda/cuda_ops.cuh"
#include "harness/backend/cuda/cuda_reduce.cuh"

namespace tb::cuda {

namespace {

__global__ void rmsnorm_kernel(const float* x, const float* w, float eps, float* y, int64_t d) {
  const float* row = x + blockIdx.x * d;
  float* out = y + blockIdx.x * d;
  float squares = 0.0f;
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x) squares += row[j] * row[j];
  squares = block_sum(squares);
  const float inv = 1.0f / sqrtf(squares / static_cast<float>(d) + eps);
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x) out[j] = row[j] * inv * w[j];
}

// Two passes over the row: the mean, then the population variance sum((x - mean)^2) / d.
__global__ void layernorm_kernel(const float* x, const float* w, const float* b, float eps,
                                 float* y, int64_t d) {
  const float* row = x + blockIdx.x * d;
  float* out = y + blockIdx.x * d;
  float sum = 0.0f;
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x) sum += row[j];
  const float mean = block_sum(sum) / static_cast<float>(d);
  float squares = 0.0f;
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x) {
    const float c = row[j] - mean;
    squares += c * c;
  }
  const float var = block_sum(squares) / static_cast<float>(d);
  const float inv = 1.0f / sqrtf(var + eps);
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x)
    out[j] = (row[j] - mean) * inv * w[j] + b[j];
}

}  // namespace

void rmsnorm(Context& ctx, const float* x, const float* w, float eps, float* y, int64_t m,
             int64_t d) {
  if (m == 0) return;
  rmsnorm_kernel<<<static_cast<unsigned>(m), kRowThreads, 0, ctx.stream()>>>(x, w, eps, y, d);
  check_launch("rmsnorm");
}

void layernorm(Context& ctx, const float* x, const float* w, const float* b, float eps, float* y,
               int64_t m, int64_t d) {
  if (m == 0) return;
  layernorm_kernel<<<static_cast<unsigned>(m), kRowThreads, 0, ctx.stream()>>>(x, w, b, eps, y, d);
  check_launch("layernorm");
}

}  // namespace tb::cuda
