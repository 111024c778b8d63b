#include "harness/backend/cuda/cuda_staging.cuh"

#include <algorithm>
#include <cstring>

#include "harness/backend/cuda/cuda_check.cuh"
#include "harness/backend/cuda/cuda_ops.cuh"

namespace tb::cuda {

Stager::~Stager() {
  if (uploaded_) {
    cudaEventSynchronize(uploaded_);
    cudaEventDestroy(uploaded_);
  }
  if (pinned_) cudaFreeHost(pinned_);
}

void Stager::stage(Context& ctx, StagedBatch& batch) {
  const auto m = static_cast<size_t>(batch.rows());
  const size_t wanted = batch.wanted.size(), segments = batch.segments.size();
  const size_t total = 3 * m + wanted + 3 * segments;
  batch.d_tokens = batch.d_positions = batch.d_slots = batch.d_wanted = batch.d_segments = {};
  if (total == 0) return;
  if (!uploaded_)
    check(cudaEventCreateWithFlags(&uploaded_, cudaEventDisableTiming), "cudaEventCreate");
  // The previous batch's copy may still be reading the pinned buffer.
  check(cudaEventSynchronize(uploaded_), "cudaEventSynchronize (staging)");
  if (total > capacity_) {
    if (pinned_) check(cudaFreeHost(pinned_), "cudaFreeHost");
    pinned_ = nullptr;
    const size_t grown = std::max(total, 2 * capacity_);
    check(cudaHostAlloc(reinterpret_cast<void**>(&pinned_), grown * sizeof(int32_t),
                        cudaHostAllocDefault),
          "cudaHostAlloc (staging)", grown * sizeof(int32_t), MemoryKind::PinnedHost);
    capacity_ = grown;
  }
  int32_t* at = pinned_;
  auto put = [&](const int32_t* src, size_t count) {
    if (count) std::memcpy(at, src, count * sizeof(int32_t));
    at += count;
  };
  put(batch.tokens.data(), m);
  put(batch.positions.data(), m);
  put(batch.slots.data(), m);
  put(batch.wanted.data(), wanted);
  put(reinterpret_cast<const int32_t*>(batch.segments.data()), 3 * segments);

  std::shared_ptr<void> block = ctx.scratch(total * sizeof(int32_t));
  check(cudaMemcpyAsync(block.get(), pinned_, total * sizeof(int32_t), cudaMemcpyHostToDevice,
                        ctx.stream()),
        "cudaMemcpyAsync (staging)");
  check(cudaEventRecord(uploaded_, ctx.stream()), "cudaEventRecord (staging)");

  auto* base = static_cast<int32_t*>(block.get());
  size_t offset = 0;
  auto view = [&](size_t count, Shape shape) {
    Tensor t = count
                   ? Tensor::view(base + offset, std::move(shape), DType::I32, Device::Cuda, block)
                   : Tensor();
    offset += count;
    return t;
  };
  const auto rows = static_cast<int64_t>(m);
  batch.d_tokens = view(m, {rows});
  batch.d_positions = view(m, {rows});
  batch.d_slots = view(m, {rows});
  batch.d_wanted = view(wanted, {static_cast<int64_t>(wanted)});
  batch.d_segments = view(3 * segments, {static_cast<int64_t>(segments), 3});
}

DeviceBatch device_view(const StagedBatch& batch) {
  auto ptr = [](const Tensor& t) { return t.empty() ? nullptr : t.data_as<const int32_t>(); };
  DeviceBatch b;
  b.tokens = ptr(batch.d_tokens);
  b.positions = ptr(batch.d_positions);
  b.slots = ptr(batch.d_slots);
  b.wanted = ptr(batch.d_wanted);
  b.segments = ptr(batch.d_segments);
  b.rows = batch.rows();
  b.wanted_count = static_cast<int64_t>(batch.wanted.size());
  b.host_segments = batch.segments;
  b.max_position = batch.max_position;
  return b;
}

}  // namespace tb::cuda
