// Every fast CPU kernel against the reference (scalar, double-accumulating) kernel over the
// shared op-case list (op_cases.cpp), hand-computed cases that pin the reference itself, and the
// front's argument checks.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "harness/backend/backend.hpp"
#include "harness/backend/cpu/cpu_backend.hpp"
#include "harness/core/error.hpp"
#include "tests/unit/backend/op_cases.hpp"

namespace {

using tb::Tensor;

struct Pair {
  std::unique_ptr<tb::Backend> fast = tb::make_cpu_backend(2, tb::CpuKernels::Fast);
  std::unique_ptr<tb::Backend> ref = tb::make_cpu_backend(2, tb::CpuKernels::Reference);
};

// A batch's metadata staged on `backend`; the vectors must outlive the returned batch.
tb::StagedBatch stage(tb::Backend& backend, const std::vector<int32_t>& tokens,
                      const std::vector<int32_t>& positions, const std::vector<int32_t>& slots,
                      const std::vector<tb::AttentionSegment>& segments,
                      const std::vector<int32_t>& wanted = {}) {
  tb::StagedBatch batch;
  batch.tokens = tokens;
  batch.positions = positions;
  batch.slots = slots;
  batch.segments = segments;
  batch.wanted = wanted;
  for (int32_t p : positions) batch.max_position = std::max(batch.max_position, p);
  backend.stage(batch);
  return batch;
}

}  // namespace

TEST_CASE("every op case: the fast CPU kernels against the reference kernels") {
  Pair p;
  // Both CPU kernel sets widen weights and caches exactly, so f32 tolerance holds for every
  // dtype here; a device backend gets the per-dtype tolerances (test_backend_cuda).
  tb::test::Tolerances f32_everywhere;
  f32_everywhere.f16 = f32_everywhere.bf16 = f32_everywhere.f32;
  tb::test::run_op_cases(*p.fast, *p.ref, f32_everywhere);
}

TEST_CASE("linear: reference on a hand-computed product") {
  Pair p;
  float xs[] = {1, 2, 3, 4, 5, 6};         // x [2, 3]
  float ws[] = {1, 0, -1, 0.5f, 0.5f, 0};  // w [2, 3]
  float bs[] = {10, 20};
  const Tensor x = Tensor::view(xs, {2, 3}, tb::DType::F32, tb::Device::Cpu, nullptr);
  const Tensor w = Tensor::view(ws, {2, 3}, tb::DType::F32, tb::Device::Cpu, nullptr);
  const Tensor b = Tensor::view(bs, {2}, tb::DType::F32, tb::Device::Cpu, nullptr);
  for (auto* backend : {p.ref.get(), p.fast.get()}) {
    Tensor y = Tensor::zeros({2, 2}, tb::DType::F32);
    backend->linear(x, w, b, y);
    const float* v = y.data_as<float>();
    CHECK(v[0] == doctest::Approx(8.0));  // 1 - 3 + 10
    CHECK(v[1] == doctest::Approx(21.5));
    CHECK(v[2] == doctest::Approx(8.0));  // 4 - 6 + 10
    CHECK(v[3] == doctest::Approx(24.5));
  }
}

TEST_CASE("rmsnorm and layernorm: reference on a hand example") {
  Pair p;
  float xs[] = {3, 4}, ones[] = {1, 1}, zeros[] = {0, 0};
  const Tensor hx = Tensor::view(xs, {1, 2}, tb::DType::F32, tb::Device::Cpu, nullptr);
  const Tensor h1 = Tensor::view(ones, {2}, tb::DType::F32, tb::Device::Cpu, nullptr);
  const Tensor h0 = Tensor::view(zeros, {2}, tb::DType::F32, tb::Device::Cpu, nullptr);
  Tensor y = Tensor::zeros({1, 2}, tb::DType::F32);
  p.ref->rmsnorm(hx, h1, 0.0f, y);  // rms = sqrt(12.5)
  CHECK(y.data_as<float>()[0] == doctest::Approx(3.0 / std::sqrt(12.5)));
  p.ref->layernorm(hx, h1, h0, 0.0f, y);  // mean 3.5, std 0.5
  CHECK(y.data_as<float>()[0] == doctest::Approx(-1.0));
  CHECK(y.data_as<float>()[1] == doctest::Approx(1.0));
}

TEST_CASE("rope: position 0 is the identity, position 1 a rotation") {
  Pair p;
  // head_dim 4: pairs (0, 2) with inv_freq 1 and (1, 3) with inv_freq 1/100 (theta 10000).
  float xs[] = {1, 1, 0, 0, 1, 1, 0, 0};
  Tensor x = Tensor::view(xs, {2, 4}, tb::DType::F32, tb::Device::Cpu, nullptr);
  const std::vector<int32_t> positions = {0, 1}, slots = {0, 0}, tokens = {0, 0};
  const tb::StagedBatch batch = stage(*p.ref, tokens, positions, slots, {});
  p.ref->rope(x, batch, 4, 1, 10000.0);
  CHECK(xs[0] == 1.0f);
  CHECK(xs[2] == 0.0f);
  CHECK(xs[4] == doctest::Approx(std::cos(1.0)));
  CHECK(xs[6] == doctest::Approx(std::sin(1.0)));
  CHECK(xs[5] == doctest::Approx(std::cos(0.01)));
  CHECK(xs[7] == doctest::Approx(std::sin(0.01)));
}

TEST_CASE("attention: reference on a hand example (one head, two keys)") {
  Pair p;
  const tb::AttentionShape shape{1, 1, 2, 1.0f};
  // Row 0 at position 0 sees key 0 only; row 1 at position 1 sees both with scores 0 and ln 3.
  float qkv[] = {0,  0,  1, 0,
                 10, 20,  // q, k, v of position 0
                 0,  1,  0, std::log(3.0f),
                 30, 40};
  const Tensor q = Tensor::view(qkv, {2, 6}, tb::DType::F32, tb::Device::Cpu, nullptr);
  for (auto* backend : {p.ref.get(), p.fast.get()}) {
    Tensor k = Tensor::zeros({1, 4, 1, 2}, tb::DType::F32);
    Tensor v = Tensor::zeros({1, 4, 1, 2}, tb::DType::F32);
    const std::vector<int32_t> positions = {0, 1}, slots = {0, 0}, tokens = {0, 0};
    const std::vector<tb::AttentionSegment> segments = {{0, 0, 2}};
    const tb::StagedBatch batch = stage(*backend, tokens, positions, slots, segments);
    backend->store_kv(q, shape, batch, k, v);
    Tensor out = Tensor::zeros({2, 2}, tb::DType::F32);
    backend->attention(q, shape, batch, k, v, out);
    const float* o = out.data_as<float>();
    CHECK(o[0] == doctest::Approx(10));
    CHECK(o[1] == doctest::Approx(20));
    CHECK(o[2] == doctest::Approx(0.25 * 10 + 0.75 * 30));
    CHECK(o[3] == doctest::Approx(0.25 * 20 + 0.75 * 40));
  }
}

TEST_CASE("gelu_new and log_softmax: reference on hand examples") {
  Pair p;
  float one[] = {1.0f, -3.0f};
  Tensor h = Tensor::view(one, {2}, tb::DType::F32, tb::Device::Cpu, nullptr);
  p.ref->gelu_new(h);
  CHECK(one[0] == doctest::Approx(0.8411919906));  // torch gelu(1, approximate="tanh")
  CHECK(one[1] == doctest::Approx(-0.0036373920));

  float two[] = {0.0f, std::log(3.0f)};
  Tensor t = Tensor::view(two, {1, 2}, tb::DType::F32, tb::Device::Cpu, nullptr);
  p.ref->log_softmax(t, t);
  CHECK(two[0] == doctest::Approx(std::log(0.25)));
  CHECK(two[1] == doctest::Approx(std::log(0.75)));
}

TEST_CASE("embedding, gather_rows, copy, upload/download") {
  auto backend = tb::make_cpu_backend(2);
  float table[] = {0, 1, 10, 11, 20, 21};  // [3, 2]
  float pos[] = {100, 200, 300, 400};      // [2, 2]
  const Tensor t =
      backend->upload(Tensor::view(table, {3, 2}, tb::DType::F32, tb::Device::Cpu, nullptr));
  const Tensor pt =
      backend->upload(Tensor::view(pos, {2, 2}, tb::DType::F32, tb::Device::Cpu, nullptr));
  Tensor out = backend->alloc({2, 2});
  const std::vector<int32_t> tokens = {2, 0}, positions = {1, 0}, slots = {0, 0}, rows = {2};
  const tb::StagedBatch batch = stage(*backend, tokens, positions, slots, {}, rows);
  backend->embedding(t, pt, batch, out);
  Tensor host = Tensor::zeros({2, 2}, tb::DType::F32);
  backend->download(out, host);
  CHECK(std::vector<float>(host.data_as<float>(), host.data_as<float>() + 4) ==
        std::vector<float>{320, 421, 100, 201});
  backend->embedding(t, Tensor(), batch, out);
  backend->download(out, host);
  CHECK(host.data_as<float>()[0] == 20);

  // Ids and positions outside the tables are data errors, found by the front before any op.
  const std::vector<int32_t> bad = {3, 0}, far = {2, 5};
  for (const auto& [ids, where] : {std::pair{bad, positions}, std::pair{tokens, far}}) {
    const tb::StagedBatch b = stage(*backend, ids, where, slots, {});
    try {
      backend->embedding(t, pt, b, out);
      FAIL("expected tb::Error");
    } catch (const tb::Error& e) {
      CHECK(e.kind() == tb::ErrorKind::BadInput);
    }
  }

  Tensor gathered = backend->alloc({1, 2});
  backend->gather_rows(t, batch, gathered);
  Tensor one = Tensor::zeros({1, 2}, tb::DType::F32);
  backend->download(gathered, one);
  CHECK(one.data_as<float>()[1] == 21);

  Tensor dst = backend->alloc({3, 2});
  backend->copy(t, 2, dst, 0, 4);
  Tensor all = Tensor::zeros({3, 2}, tb::DType::F32);
  backend->download(dst, all);
  CHECK(all.data_as<float>()[0] == 10);
  CHECK(all.data_as<float>()[3] == 21);
  CHECK(all.data_as<float>()[4] == 0);
}

TEST_CASE("the front checks shapes and dtypes once, for every backend") {
  Pair p;
  for (auto* backend : {p.ref.get(), p.fast.get()}) {
    const Tensor x = Tensor::zeros({2, 3}, tb::DType::F32),
                 w = Tensor::zeros({4, 5}, tb::DType::F32);
    Tensor y = Tensor::zeros({2, 4}, tb::DType::F32);
    CHECK_THROWS_AS(backend->linear(x, w, Tensor(), y), tb::Error);  // k 3 vs 5
    const Tensor w3 = Tensor::zeros({4, 3}, tb::DType::BF16);
    CHECK_NOTHROW(backend->linear(x, w3, Tensor(), y));
    CHECK_THROWS_AS(backend->linear(x, w3, Tensor(), y, {.column = 1}), tb::Error);  // 1 + 4 > 4
    const Tensor xi = Tensor::zeros({2, 3}, tb::DType::I32);
    CHECK_THROWS_AS(backend->linear(xi, w3, Tensor(), y), tb::Error);  // activations are f32
    Tensor half = Tensor::zeros({2, 3}, tb::DType::F16);
    CHECK_THROWS_AS(backend->gelu_new(half), tb::Error);
    CHECK(backend->supports(tb::Op::Linear, tb::DType::BF16));
    CHECK(backend->supports(tb::Op::Attention, tb::DType::F16));
    CHECK_FALSE(backend->supports(tb::Op::RmsNorm, tb::DType::BF16));
    const Tensor logits = Tensor::zeros({2, 3}, tb::DType::F32);
    const std::vector<int32_t> outside = {0, 3};
    CHECK_THROWS_AS(backend->score_rows(logits, outside), tb::Error);
    CHECK_THROWS_AS(backend->top_k(logits, 4), tb::Error);
  }
}

TEST_CASE("score_rows and top_k: reference on a hand example") {
  Pair p;
  float v[] = {0.0f, std::log(3.0f), std::log(3.0f), -1e30f};  // one row; a tie at 1 and 2
  const Tensor logits = Tensor::view(v, {1, 4}, tb::DType::F32, tb::Device::Cpu, nullptr);
  for (auto* backend : {p.ref.get(), p.fast.get()}) {
    const std::vector<int32_t> pairs = {0, 0, 0, 2};
    const tb::RowScores s = backend->score_rows(logits, pairs);
    CHECK(s.argmax == std::vector<int32_t>{1});
    CHECK(s.logsumexp[0] == doctest::Approx(std::log(7.0)));  // 1 + 3 + 3
    CHECK(s.values == std::vector<float>{0.0f, std::log(3.0f)});
    const tb::TopK t = backend->top_k(logits, 3);
    CHECK(t.indices == std::vector<int32_t>{1, 2, 0});
    CHECK(t.logsumexp[0] == doctest::Approx(std::log(7.0)));
  }
}

TEST_CASE("make_backend: device names") {
  CHECK(tb::make_backend("cpu", 1)->device() == tb::Device::Cpu);
  CHECK(tb::make_backend("auto", 1) != nullptr);
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "cuda:-1", ""}) {
    CAPTURE(bad);
    try {
      tb::make_backend(bad, 1);
      FAIL("expected tb::Error");
    } catch (const tb::Error& e) {
      CHECK(e.kind() == tb::ErrorKind::BadInput);
    }
  }
}
