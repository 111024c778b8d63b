// log_softmax and score_rows: one block per row of logits. score_rows sends the requested
// (row, token) pairs up once and brings back only each row's argmax and logsumexp and each
// pair's logit.
#include <vector>

#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/backend/cuda/cuda_ops.cuh"
#include "harness/backend/cuda/cuda_row_stats.cuh"

namespace tb::cuda {

namespace {

__global__ void log_softmax_kernel(const float* x, float* y, int64_t n) {
  const float* row = x + blockIdx.x * n;
  float* out = y + blockIdx.x * n;
  const RowStats stats = row_stats(row, n);
  // y may be x: every element was read by the reductions above before any is written.
  for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
    out[j] = static_cast<float>(row[j] - stats.log_total);
  }
}

__global__ void row_scores_kernel(const float* logits, int64_t vocab, int32_t* argmax,
                                  float* logsumexp) {
  const RowStats stats = row_stats(logits + blockIdx.x * vocab, vocab);
  if (threadIdx.x == 0) {
    argmax[blockIdx.x] = stats.best.index;
    logsumexp[blockIdx.x] = static_cast<float>(stats.log_total);
  }
}

__global__ void gather_pairs_kernel(const float* logits, int64_t vocab, const int32_t* pairs,
                                    int64_t count, float* values) {
  const int64_t p = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (p < count) values[p] = logits[int64_t{pairs[2 * p]} * vocab + pairs[2 * p + 1]];
}

}  // namespace

void log_softmax(Context& ctx, const float* x, float* y, int64_t m, int64_t n) {
  if (m == 0) return;
  log_softmax_kernel<<<static_cast<unsigned>(m), kRowThreads, 0, ctx.stream()>>>(x, y, n);
  check_launch("log_softmax");
}

RowScores score_rows(Context& ctx, const float* logits, int64_t rows, int64_t vocab,
                     std::span<const int32_t> pairs) {
  const auto count = static_cast<int64_t>(pairs.size() / 2);
  // One device block: argmax [rows] i32, logsumexp [rows] f32, pairs [2 count] i32, values
  // [count] f32.
  const size_t bytes = sizeof(int32_t) * static_cast<size_t>(2 * rows + 3 * count);
  std::shared_ptr<void> block = ctx.scratch(bytes);
  auto* d_argmax = static_cast<int32_t*>(block.get());
  auto* d_lse = reinterpret_cast<float*>(d_argmax + rows);
  auto* d_pairs = reinterpret_cast<int32_t*>(d_lse + rows);
  auto* d_values = reinterpret_cast<float*>(d_pairs + 2 * count);
  row_scores_kernel<<<static_cast<unsigned>(rows), kRowThreads, 0, ctx.stream()>>>(logits, vocab,
                                                                                   d_argmax, d_lse);
  check_launch("score_rows");
  if (count) {
    check(cudaMemcpyAsync(d_pairs, pairs.data(), sizeof(int32_t) * pairs.size(),
                          cudaMemcpyHostToDevice, ctx.stream()),
          "cudaMemcpyAsync (score pairs)");
    gather_pairs_kernel<<<blocks_for(count, 256), 256, 0, ctx.stream()>>>(logits, vocab, d_pairs,
                                                                          count, d_values);
    check_launch("score_rows pairs");
  }
  RowScores out;
  out.argmax.resize(static_cast<size_t>(rows));
  out.logsumexp.resize(static_cast<size_t>(rows));
  out.values.resize(static_cast<size_t>(count));
  check(cudaMemcpyAsync(out.argmax.data(), d_argmax, sizeof(int32_t) * rows, cudaMemcpyDeviceToHost,
                        ctx.stream()),
        "cudaMemcpyAsync (argmax)");
  check(cudaMemcpyAsync(out.logsumexp.data(), d_lse, sizeof(float) * rows, cudaMemcpyDeviceToHost,
                        ctx.stream()),
        "cudaMemcpyAsync (logsumexp)");
  if (count) {
    check(cudaMemcpyAsync(out.values.data(), d_values, sizeof(float) * count,
                          cudaMemcpyDeviceToHost, ctx.stream()),
          "cudaMemcpyAsync (pair values)");
  }
  ctx.synchronize();
  return out;
}

}  // namespace tb::cuda
