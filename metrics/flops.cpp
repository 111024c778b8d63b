#include "metrics/flops.hpp"

namespace tb::flops {

namespace {

double as_double(int64_t v) {
  return static_cast<double>(v);
}

// Causal attention FLOPs of `tokens` queries at positions cached..cached+tokens-1.
double attention_flops(const ModelShape& s, int64_t tokens, int64_t cached) {
  // Sum over p of (p + 1) for p in [cached, cached + tokens).
  const double keys =
      as_double(tokens) * as_double(cached) + as_double(tokens) * as_double(tokens + 1) / 2.0;
  return 4.0 * as_double(s.layers * s.heads * s.head_dim) * keys;
}

}  // namespace

ParameterCounts parameter_counts(const ModelShape& s) {
  const int64_t d = s.hidden, q = s.heads * s.head_dim, kv = s.kv_heads * s.head_dim;
  ParameterCounts c;
  const int64_t head = s.vocab * d;
  if (s.family == Family::Llama) {
    c.embedding = s.vocab * d;
    const int64_t attention = d * q + 2 * d * kv + q * d;
    const int64_t mlp = 3 * d * s.intermediate;  // gate, up, down
    c.matmul = s.layers * (attention + mlp) + head;
    c.other = s.layers * 2 * d + d;  // two RMSNorm weights per layer, the final norm
  } else {
    c.embedding = s.vocab * d + s.positions * d;
    const int64_t attention = d * (q + 2 * kv) + q * d;
    const int64_t mlp = 2 * d * s.intermediate;
    c.matmul = s.layers * (attention + mlp) + head;
    const int64_t biases = (q + 2 * kv) + d + s.intermediate + d;
    c.other = s.layers * (4 * d + biases) + 2 * d;  // two LayerNorms per layer, ln_f
  }
  c.total = c.embedding + c.matmul + c.other - (s.tied_embeddings ? head : 0);
  return c;
}

double forward_flops(const ModelShape& s, int64_t tokens, int64_t cached, int64_t logit_rows) {
  const ParameterCounts c = parameter_counts(s);
  const int64_t head = s.vocab * s.hidden;
  const int64_t rows = logit_rows < 0 ? tokens : logit_rows;
  const double linear =
      2.0 * (as_double(c.matmul - head) * as_double(tokens) + as_double(head) * as_double(rows));
  return linear + attention_flops(s, tokens, cached);
}

double decode_flops(const ModelShape& s, int64_t context) {
  return forward_flops(s, 1, context, 1);
}

double training_flops_per_token(const ModelShape& s, int64_t seq) {
  const ParameterCounts c = parameter_counts(s);
  return 6.0 * as_double(c.matmul) + 12.0 * as_double(s.layers * s.heads * s.head_dim * seq);
}

int64_t kv_bytes_per_token(const ModelShape& s, int bytes_per_element) {
  return 2 * s.layers * s.kv_heads * s.head_dim * bytes_per_element;
}

DecodeBytes decode_bytes(const ModelShape& s, int64_t batch, int64_t context, int weight_bytes,
                         int kv_bytes) {
  const ParameterCounts c = parameter_counts(s);
  DecodeBytes b;
  b.weights = as_double(c.matmul + c.other) * weight_bytes;
  b.kv = as_double(batch) * as_double(context) * as_double(kv_bytes_per_token(s, kv_bytes));
  return b;
}

}  // namespace tb::flops
