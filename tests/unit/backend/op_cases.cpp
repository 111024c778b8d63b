#include "tests/unit/backend/op_cases.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace tb::test {

namespace {

Tensor random_host(const Shape& shape, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f,
                   DType dtype = DType::F32) {
  std::vector<float> values(static_cast<size_t>(shape_numel(shape)));
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float& v : values) v = dist(rng);
  Tensor t = Tensor::zeros(shape, dtype);
  if (!values.empty()) convert_from_f32(values.data(), dtype, values.size(), t.data());
  return t;
}

Tensor to_host(Backend& b, const Tensor& t) {
  Tensor host = Tensor::zeros(t.shape(), t.dtype());
  b.download(t, host);
  return host;
}

std::vector<float> as_f32(const Tensor& host) {
  std::vector<float> out(static_cast<size_t>(host.numel()));
  if (!out.empty()) convert_to_f32(host.data(), host.dtype(), out.size(), out.data());
  return out;
}

double normalized_error(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double diff = 0.0, scale = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) != std::isnan(b[i])) return INFINITY;
    diff = std::max(diff, std::abs(double{a[i]} - b[i]));
    scale = std::max(scale, std::abs(double{b[i]}));
  }
  return scale == 0.0 ? diff : diff / scale;
}

// The same op on both backends from the same host inputs; `op` gets the backend and its
// uploaded inputs and returns the output tensor, which is compared.
template <typename Op>
void compare(Backend& candidate, Backend& reference, double tolerance,
             const std::vector<Tensor>& inputs, Op op) {
  auto run = [&](Backend& b) {
    std::vector<Tensor> on_device;
    for (const Tensor& t : inputs) on_device.push_back(t.empty() ? Tensor() : b.upload(t));
    const Tensor out = op(b, on_device);
    return as_f32(to_host(b, out));
  };
  const std::vector<float> c = run(candidate), r = run(reference);
  CHECK(normalized_error(c, r) <= tolerance);
}

// A batch over `slots` whose segment s holds rows at positions [starts[s], starts[s] + len[s]).
struct BatchSpec {
  std::vector<int32_t> tokens, positions, slots, wanted;
  std::vector<AttentionSegment> segments;
  StagedBatch stage(Backend& b) const {
    StagedBatch s;
    s.tokens = tokens;
    s.positions = positions;
    s.slots = slots;
    s.segments = segments;
    s.wanted = wanted;
    for (int32_t p : positions) s.max_position = std::max(s.max_position, p);
    b.stage(s);
    return s;
  }
};

BatchSpec make_batch(const std::vector<std::pair<int32_t, int32_t>>& start_and_rows, int32_t vocab,
                     std::mt19937& rng) {
  BatchSpec spec;
  std::uniform_int_distribution<int32_t> token(0, vocab - 1);
  int32_t slot = 0;
  for (const auto& [start, rows] : start_and_rows) {
    spec.segments.push_back({slot, static_cast<int32_t>(spec.tokens.size()), rows});
    for (int32_t i = 0; i < rows; ++i) {
      spec.tokens.push_back(token(rng));
      spec.positions.push_back(start + i);
      spec.slots.push_back(slot);
    }
    ++slot;
  }
  for (int32_t r = 0; r < static_cast<int32_t>(spec.tokens.size()); r += 3) {
    spec.wanted.push_back(r);
  }
  return spec;
}

constexpr DType kFloatTypes[] = {DType::F32, DType::BF16, DType::F16};

void linear_cases(Backend& c, Backend& r, const Tolerances& tol) {
  std::mt19937 rng(11);
  struct Shape3 {
    int64_t m, n, k;
  };
  for (const Shape3 s : {Shape3{1, 48, 96},
                         {2, 129, 67},
                         {3, 33, 256},
                         {7, 64, 96},
                         {64, 130, 200},
                         {130, 257, 64}}) {
    for (DType dtype : kFloatTypes) {
      for (int variant = 0; variant < 3; ++variant) {  // plain; bias + accumulate; column offset
        CAPTURE(s.m);
        CAPTURE(s.n);
        CAPTURE(s.k);
        CAPTURE(dtype_name(dtype));
        CAPTURE(variant);
        const int64_t column = variant == 2 ? 5 : 0, width = s.n + (variant == 2 ? 11 : 0);
        const Tensor x = random_host({s.m, s.k}, rng);
        const Tensor w = random_host({s.n, s.k}, rng, -1.0f, 1.0f, dtype);
        const Tensor bias = variant == 1 ? random_host({s.n}, rng) : Tensor();
        const Tensor y0 = random_host({s.m, width}, rng);
        compare(c, r, tol.of(dtype), {x, w, bias, y0}, [&](Backend& b, std::vector<Tensor>& in) {
          b.linear(in[0], in[1], in[2], in[3], {.accumulate = variant == 1, .column = column});
          return in[3];
        });
      }
    }
  }
}

void norm_cases(Backend& c, Backend& r, const Tolerances& tol) {
  std::mt19937 rng(12);
  for (const int64_t d : {80, 4097}) {
    for (const int64_t m : {1, 33}) {
      const Tensor x = random_host({m, d}, rng, -3.0f, 3.0f), w = random_host({d}, rng);
      const Tensor bias = random_host({d}, rng);
      compare(c, r, tol.f32, {x, w}, [&](Backend& b, std::vector<Tensor>& in) {
        Tensor y = b.alloc({m, d});
        b.rmsnorm(in[0], in[1], 1e-5f, y);
        return y;
      });
      compare(c, r, tol.f32, {x, w, bias}, [&](Backend& b, std::vector<Tensor>& in) {
        Tensor y = b.alloc({m, d});
        b.layernorm(in[0], in[1], in[2], 1e-5f, y);
        return y;
      });
    }
  }
}

void rope_cases(Backend& c, Backend& r, const Tolerances& tol) {
  std::mt19937 rng(13);
  for (const double theta : {10000.0, 500000.0}) {
    for (const int head_dim : {16, 128}) {
      // Long positions (up to 32767) exercise the f32 angle convention.
      const BatchSpec spec = make_batch({{0, 5}, {4000, 3}, {32760, 8}}, 100, rng);
      const auto m = static_cast<int64_t>(spec.tokens.size());
      const Tensor x = random_host({m, 6 * int64_t{head_dim} + 7}, rng);
      CAPTURE(theta);
      CAPTURE(head_dim);
      compare(c, r, tol.f32, {x}, [&](Backend& b, std::vector<Tensor>& in) {
        const StagedBatch staged = spec.stage(b);
        b.rope(in[0], staged, head_dim, 5, theta);
        return in[0];
      });
    }
  }
}

// Attention over a bf16 / f16 cache may run on tensor cores (the CUDA flash kernel), which round
// Q (f32) to the cache dtype for Q K^T and the probabilities P for P V, accumulating in f32 as
// flash-attention and torch's sdpa do. Each rounding is within u = 2^-8 (bf16: 8 significand
// bits) or 2^-11 (f16: 11), and the output carries about one u relative to its largest value: an
// emulation of the kernel's arithmetic on these inputs (q, k in [-2, 2], v in [-1, 1], up to
// 1,000 keys) gives 3.3e-3 in bf16 and 5.3e-4 in f16. Four u leaves a margin and is still far
// below what a wrong mask, key tile or kv head costs. f32 caches keep the f32 tolerance.
double attention_tolerance(DType cache, const Tolerances& tol) {
  if (cache == DType::BF16) return 4.0 / 256;
  if (cache == DType::F16) return 4.0 / 2048;
  return tol.f32;
}

struct AttentionGeometry {
  int heads, kv_heads, head_dim;
};

// store_kv then attention of one batch over caches of `capacity` positions per segment slot,
// with random keys and values already in the cache before each segment's first position.
void attention_case(Backend& c, Backend& r, const Tolerances& tol, std::mt19937& rng,
                    const AttentionGeometry& g, DType dtype,
                    const std::vector<std::pair<int32_t, int32_t>>& layout, int64_t capacity) {
  CAPTURE(g.heads);
  CAPTURE(g.kv_heads);
  CAPTURE(g.head_dim);
  CAPTURE(dtype_name(dtype));
  const AttentionShape shape{g.heads, g.kv_heads, g.head_dim,
                             1.0f / std::sqrt(static_cast<float>(g.head_dim))};
  const BatchSpec spec = make_batch(layout, 100, rng);
  const auto m = static_cast<int64_t>(spec.tokens.size());
  const auto slots = static_cast<int64_t>(layout.size());
  const Tensor qkv = random_host({m, shape.qkv_width()}, rng, -2.0f, 2.0f);
  const Tensor k0 = random_host({slots, capacity, g.kv_heads, g.head_dim}, rng, -2.0f, 2.0f, dtype);
  const Tensor v0 = random_host({slots, capacity, g.kv_heads, g.head_dim}, rng, -1.0f, 1.0f, dtype);
  // Stored keys first (exact rounding to the cache dtype), then the attention output.
  compare(c, r, 0.0, {qkv, k0, v0}, [&](Backend& b, std::vector<Tensor>& in) {
    const StagedBatch staged = spec.stage(b);
    b.store_kv(in[0], shape, staged, in[1], in[2]);
    return in[1];
  });
  compare(c, r, attention_tolerance(dtype, tol), {qkv, k0, v0},
          [&](Backend& b, std::vector<Tensor>& in) {
            const StagedBatch staged = spec.stage(b);
            b.store_kv(in[0], shape, staged, in[1], in[2]);
            Tensor out = b.alloc({m, shape.out_width()});
            b.attention(in[0], shape, staged, in[1], in[2], out);
            return out;
          });
}

void attention_cases(Backend& c, Backend& r, const Tolerances& tol) {
  std::mt19937 rng(14);
  // Segments: a long prefill (several tiles), single decode rows deep in a context, short runs,
  // and a segment continuing a filled prefix.
  const std::vector<std::pair<int32_t, int32_t>> layout = {{0, 200}, {150, 1}, {40, 5},
                                                           {10, 20}, {299, 1}, {0, 1}};
  for (const AttentionGeometry g :
       {AttentionGeometry{8, 8, 16}, {8, 2, 16}, {12, 3, 64}, {4, 1, 128}}) {
    for (DType dtype : kFloatTypes) attention_case(c, r, tol, rng, g, dtype, layout, 300);
  }
}

// The prefill kernels' tiles (64 query rows and 64 keys on CUDA) at head sizes 64 and 128, with
// and without GQA: segments shorter than, as long as and longer than one tile, the shortest
// prefill segment (16 rows), resumed prefills (first position past 0 and not a multiple of the
// tile), two tiles exactly and a decode row beside them; then one 1,000-row segment (16 tiles)
// over a bf16 cache. Few heads: the reference is plain loops.
void prefill_attention_cases(Backend& c, Backend& r, const Tolerances& tol) {
  std::mt19937 rng(18);
  const std::vector<std::pair<int32_t, int32_t>> layout = {
      {0, 200}, {37, 64}, {200, 16}, {3, 63}, {129, 65}, {0, 17}, {290, 1}, {64, 128}};
  for (const AttentionGeometry g : {AttentionGeometry{4, 2, 64}, {2, 2, 128}, {3, 1, 128}}) {
    for (DType dtype : kFloatTypes) attention_case(c, r, tol, rng, g, dtype, layout, 300);
  }
  attention_case(c, r, tol, rng, {2, 1, 128}, DType::BF16, {{0, 1000}, {20, 70}}, 1000);
}

void elementwise_cases(Backend& c, Backend& r, const Tolerances& tol) {
  std::mt19937 rng(15);
  // +-120 reaches past fast_exp's clamps at -87 and 88.
  for (const float range : {12.0f, 120.0f}) {
    const Tensor gu = random_host({17, 2 * 301}, rng, -range, range);
    compare(c, r, tol.f32, {gu}, [&](Backend& b, std::vector<Tensor>& in) {
      Tensor y = b.alloc({17, 301});
      b.silu_mul(in[0], y);
      return y;
    });
    const Tensor wide = random_host({1031}, rng, -range, range);
    compare(c, r, tol.f32, {wide}, [&](Backend& b, std::vector<Tensor>& in) {
      b.gelu_new(in[0]);
      return in[0];
    });
  }
  const Tensor x = random_host({40001}, rng, -12.0f, 12.0f);
  compare(c, r, tol.f32, {x}, [&](Backend& b, std::vector<Tensor>& in) {
    b.gelu_new(in[0]);
    return in[0];
  });
  const Tensor y = random_host({40001}, rng);
  compare(c, r, tol.f32, {x, y}, [&](Backend& b, std::vector<Tensor>& in) {
    b.add(in[0], in[1]);
    return in[0];
  });
  const Tensor logits = random_host({3, 32001}, rng, -20.0f, 20.0f);
  compare(c, r, tol.f32, {logits}, [&](Backend& b, std::vector<Tensor>& in) {
    Tensor out = b.alloc({3, 32001});
    b.log_softmax(in[0], out);
    return out;
  });
}

void embedding_cases(Backend& c, Backend& r, const Tolerances&) {
  std::mt19937 rng(16);
  for (DType dtype : kFloatTypes) {
    for (bool positions : {false, true}) {
      CAPTURE(dtype_name(dtype));
      const BatchSpec spec = make_batch({{0, 9}, {500, 4}}, 1000, rng);
      const auto m = static_cast<int64_t>(spec.tokens.size());
      const Tensor table = random_host({1000, 72}, rng, -1.0f, 1.0f, dtype);
      const Tensor pos = positions ? random_host({512, 72}, rng, -1.0f, 1.0f, dtype) : Tensor();
      // Widening is exact, so embedding rows match exactly (up to the f32 position sum).
      compare(c, r, 0.0, {table, pos}, [&](Backend& b, std::vector<Tensor>& in) {
        const StagedBatch staged = spec.stage(b);
        Tensor out = b.alloc({m, 72});
        b.embedding(in[0], in[1], staged, out);
        Tensor picked = b.alloc({static_cast<int64_t>(spec.wanted.size()), 72});
        b.gather_rows(out, staged, picked);
        return picked;
      });
    }
  }
}

void scoring_cases(Backend& c, Backend& r, const Tolerances& tol) {
  std::mt19937 rng(17);
  for (const int64_t vocab : {5, 32000, 50257}) {
    CAPTURE(vocab);
    Tensor logits = random_host({6, vocab}, rng, -20.0f, 20.0f);
    // Ties: row 5 repeats its largest value, so the first index must win.
    float* last = logits.data_as<float>() + 5 * vocab;
    last[1] = 30.0f;
    last[vocab - 1] = 30.0f;
    if (vocab > 100) {  // row 4: a tie inside one block of 64, past the first block
      float* fourth = logits.data_as<float>() + 4 * vocab;
      fourth[70] = 31.0f;
      fourth[100] = 31.0f;
    }
    std::vector<int32_t> pairs;
    std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(vocab) - 1);
    for (int32_t row = 0; row < 6; ++row) {
      pairs.push_back(row);
      pairs.push_back(token(rng));
    }
    auto score = [&](Backend& b) { return b.score_rows(b.upload(logits), pairs); };
    const RowScores sc = score(c), sr = score(r);
    CHECK(sc.argmax == sr.argmax);
    CHECK(sr.argmax[5] == 1);
    if (vocab > 100) CHECK(sr.argmax[4] == 70);
    CHECK(sc.values == sr.values);  // a gather: exact
    CHECK(normalized_error(sc.logsumexp, sr.logsumexp) <= tol.f32);
    const int k = static_cast<int>(std::min<int64_t>(vocab, 40));
    const TopK tc = c.top_k(c.upload(logits), k), tr = r.top_k(r.upload(logits), k);
    CHECK(tc.indices == tr.indices);
    CHECK(tc.values == tr.values);
    CHECK(normalized_error(tc.logsumexp, tr.logsumexp) <= tol.f32);
  }
}

}  // namespace

const std::vector<OpCase>& op_cases() {
  static const std::vector<OpCase> cases = {
      {"linear", linear_cases},
      {"rmsnorm, layernorm", norm_cases},
      {"rope", rope_cases},
      {"store_kv, attention", attention_cases},
      {"attention: prefill tiles", prefill_attention_cases},
      {"elementwise", elementwise_cases},
      {"embedding, gather_rows", embedding_cases},
      {"score_rows, top_k", scoring_cases},
  };
  return cases;
}

void run_op_cases(Backend& candidate, Backend& reference, const Tolerances& tolerances) {
  for (const OpCase& c : op_cases()) {
    SUBCASE(c.name.c_str()) {
      c.run(candidate, reference, tolerances);
    }
  }
}

}  // namespace tb::test
