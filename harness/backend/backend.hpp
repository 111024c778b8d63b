#pragma once
// Backend: owns a device, its allocator and its stream, and implements the op set the models
// need. The public methods are one device-neutral front: each validates its tensors' shapes,
// dtypes, devices and index ranges once (backend.cpp) and then calls the backend's `*_impl`
// method, which may assume valid arguments. Model and LM code call the front only and never
// learn which backend they run on, nor dereference device memory.
//
// Dtypes: activations are f32. Weights of `linear` and `embedding` may be f32, bf16 or f16
// (f32 accumulation); norm weights and biases are f32; KV caches are f32, bf16 or f16 (keys and
// values rounded to the cache dtype when stored). Index tensors (tokens, positions, rows) are
// i32. `supports` says which weight / cache dtypes a backend implements.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

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
  int64_t kv_width() const { return int64_t{kv_heads} * head_dim; }
};

// A run of consecutive activation rows [row, row + rows) that belong to one cache slot. Row r of
// the run sits at position `positions[r]` and attends to cache positions 0..positions[r]
// (causal), all of which must have been stored before `attention` is called.
struct AttentionSegment {
  int32_t slot = 0;
  int32_t row = 0;
  int32_t rows = 0;
};

// The per-token metadata of one forward call, validated by the model and staged on the device
// once (Backend::stage) rather than uploaded by every op. The host spans stay valid for the
// forward; the device tensors are i32 and filled by `stage` (views of the host arrays on the
// CPU, one upload on a device).
struct StagedBatch {
  std::span<const int32_t> tokens;     // [m]
  std::span<const int32_t> positions;  // [m]
  std::span<const int32_t> slots;      // [m]
  std::span<const AttentionSegment> segments;
  std::span<const int32_t> wanted;  // rows whose hidden state goes to the head
  int32_t max_position = 0;         // the largest entry of `positions`

  Tensor d_tokens, d_positions, d_slots, d_wanted;
  Tensor d_segments;  // [segments, 3] i32: slot, row, rows
  int64_t rows() const { return static_cast<int64_t>(tokens.size()); }
};

// What `supports` is asked about: an op and the dtype of its weight (linear, embedding) or of
// its KV cache (store_kv, attention). Every backend supports every op in f32.
enum class Op {
  Linear,
  RmsNorm,
  LayerNorm,
  Rope,
  StoreKv,
  Attention,
  SiluMul,
  GeluNew,
  Add,
  Embedding,
  GatherRows,
  LogSoftmax,
  ScoreRows,
  TopK,
};
std::string_view op_name(Op op);

// Output placement of `linear`: the product fills columns [column, column + n) of y, whose rows
// are y.shape().back() wide, so separate q/k/v or gate/up weights write one fused activation
// without copying the weights into one matrix.
struct LinearOut {
  bool accumulate = false;  // y += product (a fused residual add)
  int64_t column = 0;
};

struct RowScores {
  std::vector<int32_t> argmax;   // [rows]
  std::vector<float> logsumexp;  // [rows]
  std::vector<float> values;     // [pairs]
};

struct TopK {
  int k = 0;
  std::vector<float> values;     // [rows, k]
  std::vector<int32_t> indices;  // [rows, k]
  std::vector<float> logsumexp;  // [rows]
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual std::string name() const = 0;  // "cpu (2 threads)", "cuda:0 (NVIDIA H100)"
  // Whether `op` is implemented with weights (or a KV cache) of `dtype`.
  virtual bool supports(Op op, DType dtype) const = 0;

  // ---- memory ------------------------------------------------------------------------------
  // A zeroed device tensor.
  virtual Tensor alloc(const Shape& shape, DType dtype = DType::F32) = 0;
  // Copies a host tensor (any dtype) to a new device tensor of the same dtype and shape.
  virtual Tensor upload(const Tensor& host) = 0;
  // A device tensor with the contents of `host`, for weights: the CPU packs them onto huge pages,
  // a device copies. Read-only.
  virtual Tensor adopt(const Tensor& host) = 0;
  // Copies a device tensor into host memory of `host.nbytes()`; `host` must match its shape and
  // dtype.
  void download(const Tensor& device, Tensor& host);
  // Copies `count` elements from src[src_offset..] to dst[dst_offset..] (same dtype, elements).
  void copy(const Tensor& src, int64_t src_offset, Tensor& dst, int64_t dst_offset, int64_t count);
  // Waits until every queued op has finished (a no-op on the CPU).
  virtual void synchronize() = 0;
  // Fills the batch's device tensors from its host spans.
  virtual void stage(StagedBatch& batch) = 0;

  // ---- ops ---------------------------------------------------------------------------------
  // y[m, column + j] (+)= sum_k x[m, k] w[j, k] + bias[j] for j < n; Hugging Face Linear layout
  // w[n, k] (f32, bf16 or f16). `bias` (f32) may be empty.
  void linear(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y, LinearOut out = {});
  // y = x / sqrt(mean(x^2) + eps) * weight, per row of x[m, d].
  void rmsnorm(const Tensor& x, const Tensor& weight, float eps, Tensor& y);
  // y = (x - mean) / sqrt(var + eps) * weight + bias, per row of x[m, d].
  void layernorm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& y);
  // Rotary embedding in place on the first `rotated_heads` heads of each row of x[m, width]
  // (rotate_half convention: pairs (i, i + head_dim / 2), inv_freq = theta^(-2i / head_dim)),
  // row r rotated by angle positions[r] * inv_freq.
  void rope(Tensor& x, const StagedBatch& batch, int head_dim, int rotated_heads, double theta);
  // Writes the key and value heads of each row of qkv[m, shape.qkv_width()] into the caches
  // [slots, capacity, kv_heads, head_dim] at (slots[r], positions[r]), rounded to their dtype.
  void store_kv(const Tensor& qkv, const AttentionShape& shape, const StagedBatch& batch,
                Tensor& k_cache, Tensor& v_cache);
  // Causal attention of the query heads of qkv[m, ...] over the caches; out[m, heads * head_dim].
  void attention(const Tensor& qkv, const AttentionShape& shape, const StagedBatch& batch,
                 const Tensor& k_cache, const Tensor& v_cache, Tensor& out);
  // out[m, n] = silu(gate_up[:, :n]) * gate_up[:, n:] for gate_up[m, 2n] (SwiGLU).
  void silu_mul(const Tensor& gate_up, Tensor& out);
  // x = gelu_new(x) in place (tanh approximation, GPT-2).
  void gelu_new(Tensor& x);
  // x += y, elementwise.
  void add(Tensor& x, const Tensor& y);
  // out[r] = table[tokens[r]] (+ position_table[positions[r]] when it is not empty). Token ids
  // and positions outside the tables throw tb::Error (BadInput) before anything runs.
  void embedding(const Tensor& table, const Tensor& position_table, const StagedBatch& batch,
                 Tensor& out);
  // out[i] = x[batch.wanted[i]] for x[m, d].
  void gather_rows(const Tensor& x, const StagedBatch& batch, Tensor& out);
  // y = log_softmax(x) per row of x[m, n] (y may be x).
  void log_softmax(const Tensor& x, Tensor& y);
  // Scoring without bringing logits back: for each row r of logits[rows, vocab], argmax[r] is
  // the first index of its largest value and logsumexp[r] = log sum_v exp(logits[r, v]); for
  // each pair p = (pairs[2p], pairs[2p + 1]) = (row, token), values[p] = logits[row, token], so
  // log_softmax(logits[row])[token] = values[p] - logsumexp[row]. Only these numbers leave the
  // device.
  RowScores score_rows(const Tensor& logits, std::span<const int32_t> pairs);
  // The k largest values of each row of logits[rows, vocab] in descending order (equal values:
  // lower index first) with their indices, row-major [rows, k], and each row's logsumexp.
  TopK top_k(const Tensor& logits, int k);

 protected:
  // The device's side of the front above, called with validated arguments only.
  virtual void download_impl(const Tensor& device, Tensor& host) = 0;
  virtual void copy_impl(const Tensor& src, int64_t src_offset, Tensor& dst, int64_t dst_offset,
                         int64_t count) = 0;
  virtual void linear_impl(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y,
                           LinearOut out) = 0;
  virtual void rmsnorm_impl(const Tensor& x, const Tensor& weight, float eps, Tensor& y) = 0;
  virtual void layernorm_impl(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                              Tensor& y) = 0;
  virtual void rope_impl(Tensor& x, const StagedBatch& batch, int head_dim, int rotated_heads,
                         double theta) = 0;
  virtual void store_kv_impl(const Tensor& qkv, const AttentionShape& shape,
                             const StagedBatch& batch, Tensor& k_cache, Tensor& v_cache) = 0;
  virtual void attention_impl(const Tensor& qkv, const AttentionShape& shape,
                              const StagedBatch& batch, const Tensor& k_cache,
                              const Tensor& v_cache, Tensor& out) = 0;
  virtual void silu_mul_impl(const Tensor& gate_up, Tensor& out) = 0;
  virtual void gelu_new_impl(Tensor& x) = 0;
  virtual void add_impl(Tensor& x, const Tensor& y) = 0;
  virtual void embedding_impl(const Tensor& table, const Tensor& position_table,
                              const StagedBatch& batch, Tensor& out) = 0;
  virtual void gather_rows_impl(const Tensor& x, const StagedBatch& batch, Tensor& out) = 0;
  virtual void log_softmax_impl(const Tensor& x, Tensor& y) = 0;
  virtual RowScores score_rows_impl(const Tensor& logits, std::span<const int32_t> pairs) = 0;
  virtual TopK top_k_impl(const Tensor& logits, int k) = 0;
};

// Host spans of a batch as i32 tensors viewing them (the CPU's `stage`, and what a device
// backend packs for its one upload).
void stage_as_host_views(StagedBatch& batch);

// "cpu", "cuda", "cuda:N" or "auto" (CUDA when a device is visible, else CPU). `threads` sets the
// CPU backend's BLAS and OpenMP threads (0: all cores). Unknown names throw tb::Error (BadInput).
std::unique_ptr<Backend> make_backend(const std::string& device, int threads = 0);

}  // namespace tb
