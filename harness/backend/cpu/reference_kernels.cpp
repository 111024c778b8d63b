// The oracle: each op as the plainest loop, accumulating in double where it is cheap. Every
// faster kernel (CPU fast path, CUDA) is tested against these.
#include <algorithm>
#include <cmath>
#include <vector>

#include "harness/backend/cpu/kernels.hpp"

namespace tb::cpu::ref {

void linear(const float* x, Weight w, const float* bias, float* y, int64_t m, int64_t n, int64_t k,
            int64_t ldy, bool accumulate) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = bias ? bias[j] : 0.0;
      for (int64_t p = 0; p < k; ++p) {
        sum += double{x[i * k + p]} * double{widen(w.data, w.dtype, j * k + p)};
      }
      float& out = y[i * ldy + j];
      out = static_cast<float>(accumulate ? out + sum : sum);
    }
  }
}

void rmsnorm(const float* x, const float* w, float eps, float* y, int64_t m, int64_t d) {
  for (int64_t i = 0; i < m; ++i) {
    const float* row = x + i * d;
    double squares = 0.0;
    for (int64_t j = 0; j < d; ++j) squares += double{row[j]} * row[j];
    const double inv = 1.0 / std::sqrt(squares / static_cast<double>(d) + eps);
    for (int64_t j = 0; j < d; ++j) y[i * d + j] = static_cast<float>(row[j] * inv * w[j]);
  }
}

void layernorm(const float* x, const float* w, const float* b, float eps, float* y, int64_t m,
               int64_t d) {
  for (int64_t i = 0; i < m; ++i) {
    const float* row = x + i * d;
    double mean = 0.0;
    for (int64_t j = 0; j < d; ++j) mean += row[j];
    mean /= static_cast<double>(d);
    double var = 0.0;
    for (int64_t j = 0; j < d; ++j) var += (row[j] - mean) * (row[j] - mean);
    var /= static_cast<double>(d);
    const double inv = 1.0 / std::sqrt(var + eps);
    for (int64_t j = 0; j < d; ++j) {
      y[i * d + j] = static_cast<float>((row[j] - mean) * inv * w[j] + b[j]);
    }
  }
}

void rope(float* x, const int32_t* positions, int64_t m, int64_t width, int head_dim,
          int rotated_heads, double theta) {
  const int half = head_dim / 2;
  for (int64_t i = 0; i < m; ++i) {
    for (int h = 0; h < rotated_heads; ++h) {
      float* head = x + i * width + int64_t{h} * head_dim;
      for (int j = 0; j < half; ++j) {
        // Hugging Face computes inv_freq and the angle in float32; so does every kernel here.
        const auto inv_freq = static_cast<float>(1.0 / std::pow(theta, 2.0 * j / head_dim));
        const double angle = static_cast<float>(positions[i]) * inv_freq;
        const double c = std::cos(angle), s = std::sin(angle);
        const double a = head[j], b = head[j + half];
        head[j] = static_cast<float>(a * c - b * s);
        head[j + half] = static_cast<float>(b * c + a * s);
      }
    }
  }
}

void attention(const float* qkv, const AttentionShape& shape,
               std::span<const AttentionSegment> segments, const int32_t* positions,
               const KvLayer& cache, float* out) {
  const int64_t hd = shape.head_dim, width = shape.qkv_width(), out_width = shape.out_width();
  const int64_t kv_row = int64_t{shape.kv_heads} * hd;
  const int group = shape.heads / shape.kv_heads;
  std::vector<double> scores;
  for (const AttentionSegment& seg : segments) {
    const int64_t slot_base = seg.slot * cache.capacity * kv_row;
    for (int32_t r = seg.row; r < seg.row + seg.rows; ++r) {
      const int64_t keys = int64_t{positions[r]} + 1;
      scores.resize(static_cast<size_t>(keys));
      for (int h = 0; h < shape.heads; ++h) {
        const float* q = qkv + r * width + h * hd;
        const int64_t kv_offset = int64_t{h / group} * hd;
        double max_score = -INFINITY;
        for (int64_t t = 0; t < keys; ++t) {
          const int64_t key = slot_base + t * kv_row + kv_offset;
          double dot = 0.0;
          for (int64_t j = 0; j < hd; ++j)
            dot += double{q[j]} * widen(cache.k, cache.dtype, key + j);
          scores[t] = dot * shape.scale;
          max_score = std::max(max_score, scores[t]);
        }
        double total = 0.0;
        for (int64_t t = 0; t < keys; ++t) total += scores[t] = std::exp(scores[t] - max_score);
        for (int64_t j = 0; j < hd; ++j) {
          double sum = 0.0;
          for (int64_t t = 0; t < keys; ++t) {
            sum += scores[t] * widen(cache.v, cache.dtype, slot_base + t * kv_row + kv_offset + j);
          }
          out[r * out_width + h * hd + j] = static_cast<float>(sum / total);
        }
      }
    }
  }
}

void silu_mul(const float* gate_up, float* out, int64_t m, int64_t n) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      const double g = gate_up[i * 2 * n + j], u = gate_up[i * 2 * n + n + j];
      out[i * n + j] = static_cast<float>(g / (1.0 + std::exp(-g)) * u);
    }
  }
}

void gelu_new(float* x, int64_t count) {
  const double c = std::sqrt(2.0 / M_PI);
  for (int64_t i = 0; i < count; ++i) {
    const double v = x[i];
    // 0.5 v (1 + tanh z) written as v / (1 + exp(-2z)): 1 + tanh z cancels for z << 0.
    x[i] = static_cast<float>(v / (1.0 + std::exp(-2.0 * c * (v + 0.044715 * v * v * v))));
  }
}

void add(float* x, const float* y, int64_t count) {
  for (int64_t i = 0; i < count; ++i) x[i] += y[i];
}

void log_softmax(const float* x, float* y, int64_t m, int64_t n) {
  for (int64_t i = 0; i < m; ++i) {
    double max_value = -INFINITY;
    for (int64_t j = 0; j < n; ++j) max_value = std::max(max_value, double{x[i * n + j]});
    double total = 0.0;
    for (int64_t j = 0; j < n; ++j) total += std::exp(x[i * n + j] - max_value);
    const double log_total = std::log(total) + max_value;
    for (int64_t j = 0; j < n; ++j) y[i * n + j] = static_cast<float>(x[i * n + j] - log_total);
  }
}

RowScores score_rows(const float* logits, int64_t rows, int64_t vocab,
                     std::span<const int32_t> pairs) {
  RowScores out;
  for (int64_t i = 0; i < rows; ++i) {
    const float* row = logits + i * vocab;
    int64_t best = 0;
    for (int64_t v = 1; v < vocab; ++v) {
      if (row[v] > row[best]) best = v;
    }
    double total = 0.0;
    for (int64_t v = 0; v < vocab; ++v) total += std::exp(double{row[v]} - row[best]);
    out.argmax.push_back(static_cast<int32_t>(best));
    out.logsumexp.push_back(static_cast<float>(row[best] + std::log(total)));
  }
  for (size_t p = 0; p < pairs.size(); p += 2) {
    out.values.push_back(logits[int64_t{pairs[p]} * vocab + pairs[p + 1]]);
  }
  return out;
}

TopK top_k(const float* logits, int64_t rows, int64_t vocab, int k) {
  TopK out;
  out.k = k;
  const RowScores stats = score_rows(logits, rows, vocab, {});
  out.logsumexp = stats.logsumexp;
  std::vector<int32_t> order(static_cast<size_t>(vocab));
  for (int64_t i = 0; i < rows; ++i) {
    const float* row = logits + i * vocab;
    for (int64_t v = 0; v < vocab; ++v) order[v] = static_cast<int32_t>(v);
    std::stable_sort(order.begin(), order.end(),
                     [&](int32_t a, int32_t b) { return row[a] > row[b]; });
    for (int j = 0; j < k; ++j) {
      out.indices.push_back(order[j]);
      out.values.push_back(row[order[j]]);
    }
  }
  return out;
}

}  // namespace tb::cpu::ref
