#pragma once
// The CUDA backend class (made by make_cuda_backend in cuda_device.cu).
#include <string>

#include "harness/backend/backend.hpp"
#include "harness/backend/cuda/cuda_context.cuh"
#include "harness/backend/cuda/cuda_ops.cuh"
#include "harness/backend/cuda/cuda_staging.cuh"
#include "harness/backend/cuda_backend.hpp"

namespace tb::cuda {

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device);

  Device device() const override { return Device::Cuda; }
  std::string name() const override;
  bool supports(Op op, DType dtype) const override;

  Tensor alloc(const Shape& shape, DType dtype) override;
  Tensor upload(const Tensor& host) override;
  Tensor adopt(const Tensor& host) override;
  void synchronize() override;
  void stage(StagedBatch& batch) override;

  void set_attention_path(CudaAttentionPath path) { attention_path_ = path; }

 protected:
  void download_impl(const Tensor& device, Tensor& host) override;
  void copy_impl(const Tensor& src, int64_t src_offset, Tensor& dst, int64_t dst_offset,
                 int64_t count) override;
  void linear_impl(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y,
                   LinearOut out) override;
  void rmsnorm_impl(const Tensor& x, const Tensor& weight, float eps, Tensor& y) override;
  void layernorm_impl(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                      Tensor& y) override;
  void rope_impl(Tensor& x, const StagedBatch& batch, int head_dim, int rotated_heads,
                 double theta) override;
  void store_kv_impl(const Tensor& qkv, const AttentionShape& shape, const StagedBatch& batch,
                     Tensor& k_cache, Tensor& v_cache) override;
  void attention_impl(const Tensor& qkv, const AttentionShape& shape, const StagedBatch& batch,
                      const Tensor& k_cache, const Tensor& v_cache, Tensor& out) override;
  void silu_mul_impl(const Tensor& gate_up, Tensor& out) override;
  void gelu_new_impl(Tensor& x) override;
  void add_impl(Tensor& x, const Tensor& y) override;
  void embedding_impl(const Tensor& table, const Tensor& position_table, const StagedBatch& batch,
                      Tensor& out) override;
  void gather_rows_impl(const Tensor& x, const StagedBatch& batch, Tensor& out) override;
  void log_softmax_impl(const Tensor& x, Tensor& y) override;
  RowScores score_rows_impl(const Tensor& logits, std::span<const int32_t> pairs) override;
  TopK top_k_impl(const Tensor& logits, int k) override;

 private:
  // Every op that writes device memory (all but linear, which only writes y, never its own x)
  // advances the epoch, which invalidates the rounded activations linear keeps.
  void wrote() { ++epoch_; }

  // Destroyed in reverse: the rounded activations and the stager's pinned buffer before the
  // context's stream and allocator.
  Context ctx_;
  Stager stager_;
  RoundedActivations rounded_;
  uint64_t epoch_ = 0;
  CudaAttentionPath attention_path_;  // from TB_CUDA_ATTENTION, read once in the constructor
};

}  // namespace tb::cuda
