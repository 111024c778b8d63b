// linear on cuBLAS. Row-major y[m, n] = x[m, k] w[n, k]^T is, read column-major, the product
// C^T[n, m] = op_T(W)[n, k] X^T[k, m], so cuBLAS gets (transa T, transb N, n, m, k) with
// lda = ldb = k and ldc = the row width of y; a column offset is a pointer offset into y.
//  - f32 weights: cublasGemmEx with f32 compute and no TF32 (CUBLAS_DEFAULT_MATH), which the
//    CPU reference matches to 1e-5.
//  - bf16 / f16 weights: x is rounded to the weight dtype (nearest even) into scratch memory
//    (kept for the next product of the same x, see RoundedActivations), then one tensor-core
//    GEMM with f32 accumulation and f32 output.
// The bias is written (or added) into y first and the product accumulated onto it (beta = 1).
#include <cublas_v2.h>

#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/backend/cuda/cuda_ops.cuh"

namespace tb::cuda {

namespace {

cudaDataType_t cuda_type(DType dtype) {
  switch (dtype) {
    case DType::BF16:
      return CUDA_R_16BF;
    case DType::F16:
      return CUDA_R_16F;
    default:
      return CUDA_R_32F;
  }
}

}  // namespace

void linear(Context& ctx, RoundedActivations& rounded, uint64_t epoch, const Tensor& x,
            const Tensor& w, const Tensor& bias, Tensor& y, LinearOut out) {
  const int64_t k = x.shape().back(), m = x.numel() / k, n = w.dim(0);
  const int64_t ldy = y.shape().back();
  float* yc = y.data_as<float>() + out.column;
  float beta = out.accumulate ? 1.0f : 0.0f;
  if (!bias.empty()) {
    add_bias(ctx, bias.data_as<const float>(), yc, m, n, ldy, out.accumulate);
    beta = 1.0f;
  }
  const void* a = w.data();
  const void* b = x.data();
  if (w.dtype() != DType::F32) {
    if (rounded.x != x.data() || rounded.count != m * k || rounded.dtype != w.dtype() ||
        rounded.epoch != epoch || !rounded.buffer) {
      rounded.buffer.reset();  // back to the cache first: the new copy may reuse its block
      rounded.buffer = ctx.scratch(static_cast<size_t>(m * k) * dtype_size(w.dtype()));
      round_to(ctx, x.data_as<const float>(), rounded.buffer.get(), w.dtype(), m * k);
      rounded = {x.data(), m * k, w.dtype(), epoch, rounded.buffer};
    }
    b = rounded.buffer.get();
  }
  const cudaDataType_t type = cuda_type(w.dtype());
  const float alpha = 1.0f;
  check(cublasGemmEx(ctx.cublas(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(n),
                     static_cast<int>(m), static_cast<int>(k), &alpha, a, type, static_cast<int>(k),
                     b, type, static_cast<int>(k), &beta, yc, CUDA_R_32F, static_cast<int>(ldy),
                     CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
        "cublasGemmEx (linear)");
  // A product written over the kept x (its own input, or an earlier one) makes the copy stale.
  const auto* y_first = static_cast<const char*>(y.data());
  const auto* x_first = static_cast<const char*>(rounded.x);
  if (x_first && x_first < y_first + y.nbytes() &&
      y_first < x_first + rounded.count * static_cast<int64_t>(sizeof(float))) {
    rounded = {};
  }
}

}  // namespace tb::cuda
