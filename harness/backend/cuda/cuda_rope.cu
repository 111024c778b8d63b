// Rotary embedding (rotate_half): one block per row. The block first computes, for each pair
// j < head_dim / 2, inv_freq in f32 as (float)(1 / theta^(2j / head_dim)), the angle in f32 as
// (float)position * inv_freq (Hugging Face's float32 arithmetic), and its cosine and sine in
// double; then rotates pairs (j, j + head_dim / 2) of every rotated head in double, as the CPU
// reference does.
#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/backend/cuda/cuda_ops.cuh"

namespace tb::cuda {

namespace {

constexpr int kThreads = 128;

__global__ void rope_kernel(float* x, const int32_t* positions, int64_t width, int head_dim,
                            int rotated_heads, double theta) {
  extern __shared__ double table[];  // [half] cosines, then [half] sines
  const int half = head_dim / 2;
  const int64_t row = blockIdx.x;
  const auto position = static_cast<float>(positions[row]);
  for (int j = threadIdx.x; j < half; j += blockDim.x) {
    const auto inv_freq = static_cast<float>(1.0 / pow(theta, 2.0 * j / head_dim));
    const double angle = __fmul_rn(position, inv_freq);
    table[j] = cos(angle);
    table[half + j] = sin(angle);
  }
  __syncthreads();
  float* base = x + row * width;
  const int pairs = rotated_heads * half;
  for (int p = threadIdx.x; p < pairs; p += blockDim.x) {
    const int h = p / half, j = p % half;
    float* head = base + int64_t{h} * head_dim;
    const double a = head[j], b = head[j + half];
    const double c = table[j], s = table[half + j];
    head[j] = static_cast<float>(__dsub_rn(__dmul_rn(a, c), __dmul_rn(b, s)));
    head[j + half] = static_cast<float>(__dadd_rn(__dmul_rn(b, c), __dmul_rn(a, s)));
  }
}

}  // namespace

void rope(Context& ctx, float* x, const int32_t* positions, int64_t m, int64_t width, int head_dim,
          int rotated_heads, double theta) {
  if (m == 0 || rotated_heads == 0) return;
  const size_t shared = sizeof(double) * static_cast<size_t>(head_dim);
  rope_kernel<<<static_cast<unsigned>(m), kThreads, shared, ctx.stream()>>>(
      x, positions, width, head_dim, rotated_heads, theta);
  check_launch("rope");
}

}  // namespace tb::cuda
