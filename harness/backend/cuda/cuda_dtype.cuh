#pragma once
// Device-side element access for the storage dtypes: widening bf16/f16 to f32 is exact, and
// narrowing rounds to nearest even (as tb::f32_to_bf16 / f32_to_f16 and torch do).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "harness/core/dtype.hpp"

namespace tb::cuda {

__device__ __forceinline__ float widen(float v) {
  return v;
}
__device__ __forceinline__ float widen(__nv_bfloat16 v) {
  return __bfloat162float(v);
}
__device__ __forceinline__ float widen(__half v) {
  return __half2float(v);
}

template <typename T>
__device__ __forceinline__ T narrow(float v);
template <>
__device__ __forceinline__ float narrow<float>(float v) {
  return v;
}
template <>
__device__ __forceinline__ __nv_bfloat16 narrow<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}
template <>
__device__ __forceinline__ __half narrow<__half>(float v) {
  return __float2half_rn(v);
}

// Calls f(T{}) with T the device type of a storage dtype (f32, bf16 or f16).
template <typename F>
void dispatch_float_dtype(DType dtype, F&& f) {
  switch (dtype) {
    case DType::BF16:
      f(__nv_bfloat16{});
      return;
    case DType::F16:
      f(__half{});
      return;
    default:
      f(float{});
      return;
  }
}

}  // namespace tb::cuda
