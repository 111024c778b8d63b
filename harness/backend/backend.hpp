#pragma once
// Backend: owns a device, its allocator and its stream, and implements the op set the models
// need. Every op takes tensors that live on the backend's device (f32 activations and weights);
// per-token metadata (token ids, positions, attention segments) is passed as host spans, which a
// device backend copies to the device itself. Model code never dereferences tensor memory.
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "harness/core/tensor.hpp"

namespace tb {

// Geometry of multi-head attention over a fused QKV activation: each row of `qkv` holds
// `heads` query heads, then `kv_heads` key heads, then `kv_heads` value heads, each `head_dim`
// wide. Query head h reads kv head h / (heads / kv_heads) (grouped-query attention).
struct AttentionShape {
  int heads = 0;
  int kv_heads = 0;
  int head_dim = 0;
  float scale = 0.0f;  // usually 1 / sqrt(head_dim)
  int64_t qkv_width() const { return int64_t{heads + 2 * kv_heads} * head_dim; }
  int64_t out_width() const { return int64_t{heads} * head_dim; }
};

// A run of consecutive activation rows [row, row + rows) that belong to one cache slot. Row r of
// the run sits at position `positions[r]` and attends to cache positions 0..positions[r]
// (causal), all of which must have been stored before `attention` is called.
struct AttentionSegment {
  int32_t slot = 0;
  int32_t row = 0;
  int32_t rows = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual std::string name() const = 0;  // "cpu (2 threads)", "cuda:0 (NVIDIA H100)"

  // ---- memory ------------------------------------------------------------------------------
  // A zeroed device tensor.
  virtual Tensor alloc(const Shape& shape, DType dtype = DType::F32) = 0;
  // Copies a host tensor (any dtype) to a new device tensor of the same dtype and shape.
  virtual Tensor upload(const Tensor& host) = 0;
  // Copies a device tensor into host memory of `host.nbytes()`; `host` must match its shape and
  // dtype.
  virtual void download(const Tensor& device, Tensor& host) = 0;
  // Copies `count` elements from src[src_offset..] to dst[dst_offset..] (same dtype, elements).
  virtual void copy(const Tensor& src, int64_t src_offset, Tensor& dst, int64_t dst_offset,
                    int64_t count) = 0;
  // Waits until every queued op has finished (a no-op on the CPU).
  virtual void synchronize() = 0;

  // ---- ops (f32) ---------------------------------------------------------------------------
  // y[m, n] (+)= x[m, k] * w[n, k]^T + bias[n]; Hugging Face Linear layout. `bias` may be empty.
  // With `accumulate` the product is added to y (a fused residual add).
  virtual void linear(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y,
                      bool accumulate = false) = 0;
  // y = x / sqrt(mean(x^2) + eps) * weight, per row of x[m, d].
  virtual void rmsnorm(const Tensor& x, const Tensor& weight, float eps, Tensor& y) = 0;
  // y = (x - mean) / sqrt(var + eps) * weight + bias, per row of x[m, d].
  virtual void layernorm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                         Tensor& y) = 0;
  // Rotary embedding in place on the first `rotated_heads` heads of each row of x[m, width]
  // (rotate_half convention: pairs (i, i + head_dim / 2), inv_freq = theta^(-2i / head_dim)),
  // row r rotated by angle positions[r] * inv_freq.
  virtual void rope(Tensor& x, std::span<const int32_t> positions, int head_dim, int rotated_heads,
                    double theta) = 0;
  // Writes the key and value heads of each row of qkv[m, shape.qkv_width()] into the caches
  // [slots, capacity, kv_heads, head_dim] at (slots[r], positions[r]).
  virtual void store_kv(const Tensor& qkv, const AttentionShape& shape,
                        std::span<const int32_t> slots, std::span<const int32_t> positions,
                        Tensor& k_cache, Tensor& v_cache) = 0;
  // Causal attention of the query heads of qkv[m, ...] over the caches; out[m, heads * head_dim].
  virtual void attention(const Tensor& qkv, const AttentionShape& shape,
                         std::span<const AttentionSegment> segments,
                         std::span<const int32_t> positions, const Tensor& k_cache,
                         const Tensor& v_cache, Tensor& out) = 0;
  // out[m, n] = silu(gate_up[:, :n]) * gate_up[:, n:] for gate_up[m, 2n] (SwiGLU).
  virtual void silu_mul(const Tensor& gate_up, Tensor& out) = 0;
  // x = gelu_new(x) in place (tanh approximation, GPT-2).
  virtual void gelu_new(Tensor& x) = 0;
  // x += y, elementwise.
  virtual void add(Tensor& x, const Tensor& y) = 0;
  // out[r] = table[tokens[r]] (+ position_table[positions[r]] when it is not empty). Token ids
  // and positions outside the tables throw tb::Error (BadInput).
  virtual void embedding(const Tensor& table, std::span<const int32_t> tokens,
                         const Tensor& position_table, std::span<const int32_t> positions,
                         Tensor& out) = 0;
  // out[i] = x[rows[i]] for x[m, d].
  virtual void gather_rows(const Tensor& x, std::span<const int32_t> rows, Tensor& out) = 0;
  // y = log_softmax(x) per row of x[m, n] (y may be x).
  virtual void log_softmax(const Tensor& x, Tensor& y) = 0;
};

// "cpu", "cuda", "cuda:N" or "auto" (CUDA when a device is visible, else CPU). `threads` sets the
// CPU backend's BLAS and OpenMP threads (0: all cores). Unknown names throw tb::Error (BadInput).
std::unique_ptr<Backend> make_backend(const std::string& device, int threads = 0);

}  // namespace tb
