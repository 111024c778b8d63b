#pragma once
// Per-row statistics of logits shared by log_softmax, score_rows and top_k: the first-index
// argmax and log(sum exp) with the sum of exp(x - max) accumulated in double, as the CPU
// reference does. Every thread of the block calls it and gets the result.
#include "harness/backend/cuda/cuda_reduce.cuh"

namespace tb::cuda {

struct RowStats {
  ArgMax best;
  double log_total;  // max + log(sum exp(x - max))
};

__device__ inline RowStats row_stats(const float* row, int64_t n) {
  ArgMax best{-INFINITY, INT_MAX};
  for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
    best = better(best, ArgMax{row[j], static_cast<int>(j)});
  }
  best = block_argmax(best);
  double total = 0.0;
  for (int64_t j = threadIdx.x; j < n; j += blockDim.x) total += expf(row[j] - best.value);
  total = block_sum(total);
  return {best, static_cast<double>(best.value) + log(total)};
}

}  // namespace tb::cuda
