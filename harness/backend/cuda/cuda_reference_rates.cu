// The raw rates the GPU benchmark divides by, measured on the same device in the same process:
// a cuBLAS bf16 GEMM (bf16 inputs and output, f32 accumulation, as torch's bf16 matmul) of
// size^3, and a device-to-device cudaMemcpy counted as bytes read plus bytes written.
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <vector>

#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/backend/cuda/cuda_context.cuh"
#include "harness/backend/cuda_backend.hpp"

namespace tb {

namespace {

__global__ void fill_kernel(__nv_bfloat16* x, int64_t count, uint32_t seed) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count;
       i += int64_t{gridDim.x} * blockDim.x) {
    uint32_t h = static_cast<uint32_t>(i) * 2654435761u ^ seed;
    h ^= h >> 15;
    h *= 2246822519u;
    h ^= h >> 13;
    x[i] = __float2bfloat16_rn(static_cast<float>(h & 0xffffu) / 65536.0f - 0.5f);
  }
}

// Seconds per call of `run`, the median of `reps` timed calls after `warmup` untimed ones.
template <typename F>
double time_calls(cuda::Context& ctx, int warmup, int reps, F&& run) {
  for (int i = 0; i < warmup; ++i) run();
  cudaEvent_t start, stop;
  cuda::check(cudaEventCreate(&start), "cudaEventCreate");
  cuda::check(cudaEventCreate(&stop), "cudaEventCreate");
  std::vector<double> times;
  for (int i = 0; i < reps; ++i) {
    cuda::check(cudaEventRecord(start, ctx.stream()), "cudaEventRecord");
    run();
    cuda::check(cudaEventRecord(stop, ctx.stream()), "cudaEventRecord");
    cuda::check(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float ms = 0.0f;
    cuda::check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
    times.push_back(ms / 1e3);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

CudaReferenceRates measure_cuda_reference_rates(int device, int gemm_size, int64_t copy_bytes) {
  cuda::Context ctx(device);
  CudaReferenceRates rates;
  rates.device = ctx.device_name();
  const int64_t n = gemm_size;
  {
    auto a = ctx.scratch(sizeof(__nv_bfloat16) * n * n);
    auto b = ctx.scratch(sizeof(__nv_bfloat16) * n * n);
    auto c = ctx.scratch(sizeof(__nv_bfloat16) * n * n);
    fill_kernel<<<1024, 256, 0, ctx.stream()>>>(static_cast<__nv_bfloat16*>(a.get()), n * n, 1u);
    fill_kernel<<<1024, 256, 0, ctx.stream()>>>(static_cast<__nv_bfloat16*>(b.get()), n * n, 2u);
    cuda::check_launch("fill");
    const float alpha = 1.0f, beta = 0.0f;
    const int dim = gemm_size;
    const double seconds = time_calls(ctx, 3, 10, [&] {
      cuda::check(cublasGemmEx(ctx.cublas(), CUBLAS_OP_T, CUBLAS_OP_N, dim, dim, dim, &alpha,
                               a.get(), CUDA_R_16BF, dim, b.get(), CUDA_R_16BF, dim, &beta, c.get(),
                               CUDA_R_16BF, dim, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                  "cublasGemmEx (reference)");
    });
    rates.bf16_gemm_flops = 2.0 * static_cast<double>(n) * n * n / seconds;
  }
  {
    auto src = ctx.scratch(static_cast<size_t>(copy_bytes));
    auto dst = ctx.scratch(static_cast<size_t>(copy_bytes));
    cuda::check(cudaMemsetAsync(src.get(), 1, static_cast<size_t>(copy_bytes), ctx.stream()),
                "cudaMemsetAsync");
    const double seconds = time_calls(ctx, 3, 10, [&] {
      cuda::check(cudaMemcpyAsync(dst.get(), src.get(), static_cast<size_t>(copy_bytes),
                                  cudaMemcpyDeviceToDevice, ctx.stream()),
                  "cudaMemcpyAsync (reference)");
    });
    rates.copy_bytes_per_s = 2.0 * static_cast<double>(copy_bytes) / seconds;
  }
  ctx.synchronize();
  return rates;
}

}  // namespace tb
