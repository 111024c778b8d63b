// Elementwise kernels in f32: SwiGLU, gelu_new, add, the bias of linear and the rounding of
// activations to bf16 / f16 for half-precision products. Grid-stride loops over the elements.
#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/backend/cuda/cuda_dtype.cuh"
#include "harness/backend/cuda/cuda_ops.cuh"

namespace tb::cuda {

namespace {

constexpr int kThreads = 256;

unsigned grid_for(int64_t count) {
  // Enough blocks to fill the device; the loops stride over the rest.
  const int64_t blocks = (count + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 65536 ? (blocks > 0 ? blocks : 1) : 65536);
}

__global__ void silu_mul_kernel(const float* gate_up, float* out, int64_t m, int64_t n) {
  const int64_t count = m * n;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t row = i / n, col = i % n;
    const float g = gate_up[row * 2 * n + col], u = gate_up[row * 2 * n + n + col];
    out[i] = g / (1.0f + expf(-g)) * u;
  }
}

__global__ void gelu_new_kernel(float* x, int64_t count) {
  // 0.5 v (1 + tanh z) = v / (1 + exp(-2z)), as the CPU kernels (no cancellation for z << 0).
  const float c = 0.7978845608028654f;  // sqrt(2 / pi)
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    const float v = x[i];
    const float z = c * (v + 0.044715f * v * v * v);
    x[i] = v / (1.0f + expf(-2.0f * z));
  }
}

__global__ void add_kernel(float* x, const float* y, int64_t count) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    x[i] += y[i];
  }
}

__global__ void bias_kernel(const float* bias, float* y, int64_t m, int64_t n, int64_t ldy,
                            bool accumulate) {
  const int64_t count = m * n;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t row = i / n, col = i % n;
    float& out = y[row * ldy + col];
    out = accumulate ? out + bias[col] : bias[col];
  }
}

template <typename T>
__global__ void round_kernel(const float* src, T* dst, int64_t count) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    dst[i] = narrow<T>(src[i]);
  }
}

}  // namespace

void silu_mul(Context& ctx, const float* gate_up, float* out, int64_t m, int64_t n) {
  if (m * n == 0) return;
  silu_mul_kernel<<<grid_for(m * n), kThreads, 0, ctx.stream()>>>(gate_up, out, m, n);
  check_launch("silu_mul");
}

void gelu_new(Context& ctx, float* x, int64_t count) {
  if (count == 0) return;
  gelu_new_kernel<<<grid_for(count), kThreads, 0, ctx.stream()>>>(x, count);
  check_launch("gelu_new");
}

void add(Context& ctx, float* x, const float* y, int64_t count) {
  if (count == 0) return;
  add_kernel<<<grid_for(count), kThreads, 0, ctx.stream()>>>(x, y, count);
  check_launch("add");
}

void add_bias(Context& ctx, const float* bias, float* y, int64_t m, int64_t n, int64_t ldy,
              bool accumulate) {
  if (m * n == 0) return;
  bias_kernel<<<grid_for(m * n), kThreads, 0, ctx.stream()>>>(bias, y, m, n, ldy, accumulate);
  check_launch("linear bias");
}

void round_to(Context& ctx, const float* src, void* dst, DType dtype, int64_t count) {
  if (count == 0) return;
  dispatch_float_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    round_kernel<T>
        <<<grid_for(count), kThreads, 0, ctx.stream()>>>(src, static_cast<T*>(dst), count);
  });
  check_launch("round activations");
}

}  // namespace tb::cuda
