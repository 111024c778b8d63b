#pragma once
// Block-wide reductions for kernels with one block per row: warp shuffles, then one value per
// warp through shared memory. Every thread of the block must call them (they synchronise) and
// gets the result.
#include <cuda_runtime.h>

#include <climits>
#include <cmath>

namespace tb::cuda {

constexpr int kRowThreads = 256;  // block size of the row kernels
constexpr unsigned kFullMask = 0xffffffffu;

template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(kFullMask, v, offset);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) {
    v = fmaxf(v, __shfl_xor_sync(kFullMask, v, offset));
  }
  return v;
}

template <typename T>
__device__ T block_sum(T v) {
  __shared__ T partial[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int warps = (blockDim.x + 31) / 32;
  v = warp_sum(v);
  __syncthreads();  // `partial` may still be read by a previous call
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  T total = lane < warps ? partial[lane] : T{0};
  return warp_sum(total);
}

__device__ inline float block_max(float v) {
  __shared__ float partial[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int warps = (blockDim.x + 31) / 32;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  const float best = lane < warps ? partial[lane] : -INFINITY;
  return warp_max(best);
}

// The larger (value, index) pair with the lower index winning ties: the first-index argmax.
struct ArgMax {
  float value;
  int index;
};
__device__ __forceinline__ ArgMax better(ArgMax a, ArgMax b) {
  if (b.value > a.value || (b.value == a.value && b.index < a.index)) return b;
  return a;
}
__device__ __forceinline__ ArgMax warp_argmax(ArgMax v) {
  for (int offset = 16; offset > 0; offset >>= 1) {
    ArgMax other{__shfl_xor_sync(kFullMask, v.value, offset),
                 __shfl_xor_sync(kFullMask, v.index, offset)};
    v = better(v, other);
  }
  return v;
}
__device__ inline ArgMax block_argmax(ArgMax v) {
  __shared__ float values[32];
  __shared__ int indices[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int warps = (blockDim.x + 31) / 32;
  v = warp_argmax(v);
  __syncthreads();
  if (lane == 0) {
    values[warp] = v.value;
    indices[warp] = v.index;
  }
  __syncthreads();
  ArgMax best = lane < warps ? ArgMax{values[lane], indices[lane]} : ArgMax{-INFINITY, INT_MAX};
  return warp_argmax(best);
}

}  // namespace tb::cuda
