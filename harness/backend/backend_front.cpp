// The device-neutral front of Backend: every op's arguments are checked here, once, for every
// backend; the backend's *_impl methods then assume them. A failed shape or dtype check is a
// programming error (Internal); token ids and positions come from data, so those are BadInput.
#include <string>

#include "harness/backend/backend.hpp"
#include "harness/core/error.hpp"

namespace tb {

namespace {

static_assert(sizeof(AttentionSegment) == 3 * sizeof(int32_t),
              "segments are staged as an i32 [n, 3] tensor");

[[noreturn]] void internal(const char* op, const std::string& what) {
  throw Error(ErrorKind::Internal, std::string(op) + ": " + what);
}

void expect(bool ok, const char* op, const std::string& what) {
  if (!ok) internal(op, what);
}

int64_t rows(const Tensor& t) {
  return t.rank() == 1 ? 1 : t.numel() / t.shape().back();
}
int64_t cols(const Tensor& t) {
  return t.rank() == 0 ? 1 : t.shape().back();
}

// A non-empty tensor on the backend's device with the given dtype.
void on_device(const Backend& b, const Tensor& t, DType dtype, const char* op, const char* what) {
  expect(!t.empty() && t.rank() >= 1, op, std::string(what) + " is empty");
  expect(t.device() == b.device(), op, std::string(what) + " is not on the backend's device");
  expect(t.dtype() == dtype, op,
         std::string(what) + " is " + std::string(dtype_name(t.dtype())) + ", expected " +
             std::string(dtype_name(dtype)));
}

void weight_dtype(const Backend& b, Op op, const Tensor& w, const char* what) {
  expect(!w.empty(), op_name(op).data(), std::string(what) + " is empty");
  expect(w.device() == b.device(), op_name(op).data(),
         std::string(what) + " is not on the backend's device");
  expect(b.supports(op, w.dtype()), op_name(op).data(),
         std::string(what) + " dtype " + std::string(dtype_name(w.dtype())) +
             " is not supported by " + b.name());
}

void check_caches(const Backend& b, Op op, const AttentionShape& shape, const StagedBatch& batch,
                  const Tensor& k, const Tensor& v) {
  const char* name = op_name(op).data();
  weight_dtype(b, op, k, "k_cache");
  expect(
      k.rank() == 4 && k.shape() == v.shape() && k.dtype() == v.dtype() && k.device() == v.device(),
      name, "caches " + shape_string(k.shape()) + " and " + shape_string(v.shape()));
  expect(k.dim(2) == shape.kv_heads && k.dim(3) == shape.head_dim, name,
         "cache " + shape_string(k.shape()) + " does not hold " + std::to_string(shape.kv_heads) +
             " heads of " + std::to_string(shape.head_dim));
  const int64_t slots = k.dim(0), capacity = k.dim(1);
  for (int64_t r = 0; r < batch.rows(); ++r) {
    expect(batch.slots[r] >= 0 && batch.slots[r] < slots && batch.positions[r] >= 0 &&
               batch.positions[r] < capacity,
           name, "row " + std::to_string(r) + ": slot or position outside the cache");
  }
}

}  // namespace

std::string_view op_name(Op op) {
  switch (op) {
    case Op::Linear:
      return "linear";
    case Op::RmsNorm:
      return "rmsnorm";
    case Op::LayerNorm:
      return "layernorm";
    case Op::Rope:
      return "rope";
    case Op::StoreKv:
      return "store_kv";
    case Op::Attention:
      return "attention";
    case Op::SiluMul:
      return "silu_mul";
    case Op::GeluNew:
      return "gelu_new";
    case Op::Add:
      return "add";
    case Op::Embedding:
      return "embedding";
    case Op::GatherRows:
      return "gather_rows";
    case Op::LogSoftmax:
      return "log_softmax";
    case Op::ScoreRows:
      return "score_rows";
    case Op::TopK:
      return "top_k";
  }
  return "?";
}

void stage_as_host_views(StagedBatch& batch) {
  auto view = [](std::span<const int32_t> s, Shape shape) {
    return s.empty() ? Tensor()
                     : Tensor::view(const_cast<int32_t*>(s.data()), std::move(shape), DType::I32,
                                    Device::Cpu, nullptr);
  };
  const auto m = batch.rows();
  batch.d_tokens = view(batch.tokens, {m});
  batch.d_positions = view(batch.positions, {m});
  batch.d_slots = view(batch.slots, {m});
  batch.d_wanted = view(batch.wanted, {static_cast<int64_t>(batch.wanted.size())});
  const auto n = static_cast<int64_t>(batch.segments.size());
  batch.d_segments = n == 0 ? Tensor()
                            : Tensor::view(const_cast<AttentionSegment*>(batch.segments.data()),
                                           {n, 3}, DType::I32, Device::Cpu, nullptr);
}

void Backend::download(const Tensor& device, Tensor& host) {
  expect(device.shape() == host.shape() && device.dtype() == host.dtype(), "download",
         "host tensor " + shape_string(host.shape()) + " does not match " +
             shape_string(device.shape()));
  expect(host.device() == Device::Cpu && device.device() == this->device(), "download",
         "tensors on the wrong devices");
  if (host.nbytes()) download_impl(device, host);
}

void Backend::copy(const Tensor& src, int64_t src_offset, Tensor& dst, int64_t dst_offset,
                   int64_t count) {
  expect(src.dtype() == dst.dtype() && src.device() == device() && dst.device() == device() &&
             src_offset >= 0 && dst_offset >= 0 && count >= 0 &&
             src_offset + count <= src.numel() && dst_offset + count <= dst.numel(),
         "copy", "range outside the tensors");
  if (count) copy_impl(src, src_offset, dst, dst_offset, count);
}

void Backend::linear(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor& y,
                     LinearOut out) {
  on_device(*this, x, DType::F32, "linear", "x");
  on_device(*this, y, DType::F32, "linear", "y");
  weight_dtype(*this, Op::Linear, w, "weight");
  const int64_t m = rows(x), k = cols(x);
  expect(w.rank() == 2 && w.dim(1) == k && rows(y) == m && out.column >= 0 &&
             out.column + w.dim(0) <= cols(y) && (bias.empty() || bias.numel() == w.dim(0)),
         "linear",
         "shapes " + shape_string(x.shape()) + " x " + shape_string(w.shape()) + " -> " +
             shape_string(y.shape()) + " at column " + std::to_string(out.column));
  if (!bias.empty()) on_device(*this, bias, DType::F32, "linear", "bias");
  if (m) linear_impl(x, w, bias, y, out);
}

void Backend::rmsnorm(const Tensor& x, const Tensor& weight, float eps, Tensor& y) {
  on_device(*this, x, DType::F32, "rmsnorm", "x");
  on_device(*this, y, DType::F32, "rmsnorm", "y");
  on_device(*this, weight, DType::F32, "rmsnorm", "weight");
  expect(weight.numel() == cols(x) && y.shape() == x.shape(), "rmsnorm", "shapes differ");
  rmsnorm_impl(x, weight, eps, y);
}

void Backend::layernorm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                        Tensor& y) {
  on_device(*this, x, DType::F32, "layernorm", "x");
  on_device(*this, y, DType::F32, "layernorm", "y");
  on_device(*this, weight, DType::F32, "layernorm", "weight");
  on_device(*this, bias, DType::F32, "layernorm", "bias");
  expect(weight.numel() == cols(x) && bias.numel() == cols(x) && y.shape() == x.shape(),
         "layernorm", "shapes differ");
  layernorm_impl(x, weight, bias, eps, y);
}

void Backend::rope(Tensor& x, const StagedBatch& batch, int head_dim, int rotated_heads,
                   double theta) {
  on_device(*this, x, DType::F32, "rope", "x");
  expect(head_dim > 0 && head_dim % 2 == 0 && rotated_heads >= 0 &&
             int64_t{rotated_heads} * head_dim <= cols(x) && batch.rows() == rows(x) && theta > 0.0,
         "rope", "shapes differ");
  rope_impl(x, batch, head_dim, rotated_heads, theta);
}

void Backend::store_kv(const Tensor& qkv, const AttentionShape& shape, const StagedBatch& batch,
                       Tensor& k_cache, Tensor& v_cache) {
  on_device(*this, qkv, DType::F32, "store_kv", "qkv");
  expect(cols(qkv) == shape.qkv_width() && rows(qkv) == batch.rows(), "store_kv",
         "qkv " + shape_string(qkv.shape()) + " for " + std::to_string(batch.rows()) + " rows");
  check_caches(*this, Op::StoreKv, shape, batch, k_cache, v_cache);
  store_kv_impl(qkv, shape, batch, k_cache, v_cache);
}

void Backend::attention(const Tensor& qkv, const AttentionShape& shape, const StagedBatch& batch,
                        const Tensor& k_cache, const Tensor& v_cache, Tensor& out) {
  on_device(*this, qkv, DType::F32, "attention", "qkv");
  on_device(*this, out, DType::F32, "attention", "out");
  expect(shape.kv_heads > 0 && shape.heads % shape.kv_heads == 0 &&
             cols(qkv) == shape.qkv_width() && cols(out) == shape.out_width() &&
             rows(out) == rows(qkv) && batch.rows() == rows(qkv),
         "attention", "shapes differ");
  check_caches(*this, Op::Attention, shape, batch, k_cache, v_cache);
  int64_t covered = 0;
  for (const AttentionSegment& seg : batch.segments) {
    expect(seg.slot >= 0 && seg.slot < k_cache.dim(0) && seg.row == covered && seg.rows > 0 &&
               int64_t{seg.row} + seg.rows <= rows(qkv),
           "attention", "segments must cover the batch's rows in order");
    for (int32_t r = seg.row; r < seg.row + seg.rows; ++r) {
      expect(batch.slots[r] == seg.slot, "attention", "a segment's rows have another slot");
    }
    covered += seg.rows;
  }
  expect(covered == rows(qkv), "attention", "segments do not cover the batch");
  attention_impl(qkv, shape, batch, k_cache, v_cache, out);
}

void Backend::silu_mul(const Tensor& gate_up, Tensor& out) {
  on_device(*this, gate_up, DType::F32, "silu_mul", "gate_up");
  on_device(*this, out, DType::F32, "silu_mul", "out");
  expect(cols(gate_up) == 2 * cols(out) && rows(gate_up) == rows(out), "silu_mul", "shapes differ");
  silu_mul_impl(gate_up, out);
}

void Backend::gelu_new(Tensor& x) {
  on_device(*this, x, DType::F32, "gelu_new", "x");
  gelu_new_impl(x);
}

void Backend::add(Tensor& x, const Tensor& y) {
  on_device(*this, x, DType::F32, "add", "x");
  on_device(*this, y, DType::F32, "add", "y");
  expect(x.numel() == y.numel(), "add", "sizes differ");
  add_impl(x, y);
}

void Backend::embedding(const Tensor& table, const Tensor& position_table, const StagedBatch& batch,
                        Tensor& out) {
  weight_dtype(*this, Op::Embedding, table, "table");
  on_device(*this, out, DType::F32, "embedding", "out");
  const int64_t d = cols(table), m = batch.rows();
  expect(table.rank() == 2 && rows(out) == m && cols(out) == d, "embedding", "shapes differ");
  if (!position_table.empty()) {
    weight_dtype(*this, Op::Embedding, position_table, "position table");
    expect(position_table.rank() == 2 && cols(position_table) == d, "embedding",
           "position table " + shape_string(position_table.shape()));
  }
  for (int64_t r = 0; r < m; ++r) {
    if (batch.tokens[r] < 0 || batch.tokens[r] >= table.dim(0)) {
      throw Error(ErrorKind::BadInput, "token id " + std::to_string(batch.tokens[r]) +
                                           " outside the vocabulary [0, " +
                                           std::to_string(table.dim(0)) + ")");
    }
    if (!position_table.empty() &&
        (batch.positions[r] < 0 || batch.positions[r] >= position_table.dim(0))) {
      throw Error(ErrorKind::BadInput, "position " + std::to_string(batch.positions[r]) +
                                           " beyond the model's " +
                                           std::to_string(position_table.dim(0)) + " positions");
    }
  }
  if (m) embedding_impl(table, position_table, batch, out);
}

void Backend::gather_rows(const Tensor& x, const StagedBatch& batch, Tensor& out) {
  on_device(*this, x, DType::F32, "gather_rows", "x");
  on_device(*this, out, DType::F32, "gather_rows", "out");
  expect(cols(out) == cols(x) && rows(out) == static_cast<int64_t>(batch.wanted.size()),
         "gather_rows", "shapes differ");
  for (int32_t r : batch.wanted) {
    expect(r >= 0 && r < rows(x), "gather_rows", "row " + std::to_string(r) + " outside x");
  }
  if (!batch.wanted.empty()) gather_rows_impl(x, batch, out);
}

void Backend::log_softmax(const Tensor& x, Tensor& y) {
  on_device(*this, x, DType::F32, "log_softmax", "x");
  on_device(*this, y, DType::F32, "log_softmax", "y");
  expect(x.shape() == y.shape(), "log_softmax", "shapes differ");
  log_softmax_impl(x, y);
}

RowScores Backend::score_rows(const Tensor& logits, std::span<const int32_t> pairs) {
  on_device(*this, logits, DType::F32, "score_rows", "logits");
  const int64_t r = rows(logits), vocab = cols(logits);
  expect(logits.rank() == 2 && pairs.size() % 2 == 0, "score_rows",
         "logits " + shape_string(logits.shape()) + ", " + std::to_string(pairs.size()) +
             " pair entries");
  for (size_t i = 0; i < pairs.size(); i += 2) {
    expect(pairs[i] >= 0 && pairs[i] < r && pairs[i + 1] >= 0 && pairs[i + 1] < vocab, "score_rows",
           "pair " + std::to_string(i / 2) + " outside the logits");
  }
  if (r == 0) return {};
  return score_rows_impl(logits, pairs);
}

TopK Backend::top_k(const Tensor& logits, int k) {
  on_device(*this, logits, DType::F32, "top_k", "logits");
  expect(logits.rank() == 2 && k > 0 && k <= cols(logits), "top_k",
         "k " + std::to_string(k) + " of " + shape_string(logits.shape()));
  if (rows(logits) == 0) {
    TopK empty;
    empty.k = k;
    return empty;
  }
  return top_k_impl(logits, k);
}

}  // namespace tb
