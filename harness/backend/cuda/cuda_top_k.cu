// top_k: one block per row, k rounds of a block-wide argmax over the elements that come after
// the previous pick in the order (value descending, index ascending), which is the CPU's stable
// sort order. Each thread keeps the best of its own elements; only the thread that owned the
// pick rescans, since every other thread's best still comes after the pick. k up to a few
// hundred costs k block reductions per row.
#include <vector>

#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/backend/cuda/cuda_ops.cuh"
#include "harness/backend/cuda/cuda_row_stats.cuh"

namespace tb::cuda {

namespace {

constexpr int kThreads = 1024;

// Whether (value, index) comes strictly after `pick` in the order.
__device__ __forceinline__ bool after(float value, int index, ArgMax pick) {
  return value < pick.value || (value == pick.value && index > pick.index);
}

__device__ ArgMax local_best(const float* row, int64_t vocab, ArgMax pick, bool first) {
  ArgMax best{-INFINITY, INT_MAX};
  for (int64_t j = threadIdx.x; j < vocab; j += blockDim.x) {
    const int index = static_cast<int>(j);
    if (first || after(row[j], index, pick)) best = better(best, ArgMax{row[j], index});
  }
  return best;
}

__global__ void top_k_kernel(const float* logits, int64_t vocab, int k, float* values,
                             int32_t* indices, float* logsumexp) {
  const float* row = logits + blockIdx.x * vocab;
  const RowStats stats = row_stats(row, vocab);
  if (threadIdx.x == 0) logsumexp[blockIdx.x] = static_cast<float>(stats.log_total);
  ArgMax mine = local_best(row, vocab, ArgMax{}, true);
  for (int i = 0; i < k; ++i) {
    const ArgMax pick = block_argmax(mine);
    if (threadIdx.x == 0) {
      values[int64_t{blockIdx.x} * k + i] = pick.value;
      indices[int64_t{blockIdx.x} * k + i] = pick.index;
    }
    // The owner of the pick (index j lives in thread j % blockDim.x) moves on to its next.
    if (mine.index == pick.index) mine = local_best(row, vocab, pick, false);
  }
}

}  // namespace

TopK top_k(Context& ctx, const float* logits, int64_t rows, int64_t vocab, int k) {
  const size_t count = static_cast<size_t>(rows) * static_cast<size_t>(k);
  std::shared_ptr<void> block = ctx.scratch(sizeof(float) * (2 * count + rows));
  auto* d_values = static_cast<float*>(block.get());
  auto* d_indices = reinterpret_cast<int32_t*>(d_values + count);
  auto* d_lse = reinterpret_cast<float*>(d_indices + count);
  top_k_kernel<<<static_cast<unsigned>(rows), kThreads, 0, ctx.stream()>>>(
      logits, vocab, k, d_values, d_indices, d_lse);
  check_launch("top_k");
  TopK out;
  out.k = k;
  out.values.resize(count);
  out.indices.resize(count);
  out.logsumexp.resize(static_cast<size_t>(rows));
  check(cudaMemcpyAsync(out.values.data(), d_values, sizeof(float) * count, cudaMemcpyDeviceToHost,
                        ctx.stream()),
        "cudaMemcpyAsync (top_k values)");
  check(cudaMemcpyAsync(out.indices.data(), d_indices, sizeof(int32_t) * count,
                        cudaMemcpyDeviceToHost, ctx.stream()),
        "cudaMemcpyAsync (top_k indices)");
  check(cudaMemcpyAsync(out.logsumexp.data(), d_lse, sizeof(float) * rows, cudaMemcpyDeviceToHost,
                        ctx.stream()),
        "cudaMemcpyAsync (top_k logsumexp)");
  ctx.synchronize();
  return out;
}

}  // namespace tb::cuda
