// Every fast CPU kernel against the reference (scalar, double-accumulating) kernel on random
// inputs, plus hand-computed cases that pin the reference itself. Tolerance for f32: the largest
// difference over a tensor is at most 1e-5 of the tensor's largest reference magnitude.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "harness/backend/backend.hpp"
#include "harness/backend/cpu/cpu_backend.hpp"
#include "harness/core/error.hpp"

namespace {

using tb::Tensor;

struct Pair {
  std::unique_ptr<tb::Backend> fast = tb::make_cpu_backend(2, tb::CpuKernels::Fast);
  std::unique_ptr<tb::Backend> ref = tb::make_cpu_backend(2, tb::CpuKernels::Reference);
};

Tensor random_tensor(const tb::Shape& shape, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
  Tensor t = Tensor::zeros(shape, tb::DType::F32);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = dist(rng);
  return t;
}

Tensor clone(const Tensor& t) {
  Tensor c = Tensor::zeros(t.shape(), t.dtype());
  std::memcpy(c.data(), t.data(), t.nbytes());
  return c;
}

// max |a - b| / max |b|
double normalized_error(const Tensor& a, const Tensor& b) {
  REQUIRE(a.numel() == b.numel());
  double diff = 0.0, scale = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = a.data_as<float>()[i], y = b.data_as<float>()[i];
    diff = std::max(diff, std::abs(x - y));
    scale = std::max(scale, std::abs(y));
  }
  return scale == 0.0 ? diff : diff / scale;
}

constexpr double kF32 = 1e-5;

}  // namespace

TEST_CASE("linear: fast matches reference with and without bias, accumulating or not") {
  Pair p;
  std::mt19937 rng(1);
  for (int64_t m : {1, 7, 64}) {
    for (bool with_bias : {false, true}) {
      for (bool accumulate : {false, true}) {
        const Tensor x = random_tensor({m, 96}, rng), w = random_tensor({48, 96}, rng);
        const Tensor bias = with_bias ? random_tensor({48}, rng) : Tensor();
        const Tensor y0 = random_tensor({m, 48}, rng);
        Tensor a = clone(y0), b = clone(y0);
        p.fast->linear(x, w, bias, a, accumulate);
        p.ref->linear(x, w, bias, b, accumulate);
        CAPTURE(m);
        CAPTURE(with_bias);
        CAPTURE(accumulate);
        CHECK(normalized_error(a, b) < kF32);
      }
    }
  }
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

TEST_CASE("rmsnorm and layernorm: fast matches reference; reference matches a hand example") {
  Pair p;
  std::mt19937 rng(2);
  const Tensor x = random_tensor({33, 80}, rng, -3.0f, 3.0f), w = random_tensor({80}, rng);
  const Tensor b = random_tensor({80}, rng);
  Tensor a = Tensor::zeros({33, 80}, tb::DType::F32), r = Tensor::zeros({33, 80}, tb::DType::F32);
  p.fast->rmsnorm(x, w, 1e-5f, a);
  p.ref->rmsnorm(x, w, 1e-5f, r);
  CHECK(normalized_error(a, r) < kF32);
  p.fast->layernorm(x, w, b, 1e-5f, a);
  p.ref->layernorm(x, w, b, 1e-5f, r);
  CHECK(normalized_error(a, r) < kF32);

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

TEST_CASE("rope: fast matches reference; position 0 is the identity, position 1 a rotation") {
  Pair p;
  std::mt19937 rng(3);
  for (double theta : {10000.0, 500000.0}) {
    const int64_t m = 20, head_dim = 16, width = 8 * head_dim;
    const Tensor x = random_tensor({m, width}, rng);
    std::vector<int32_t> positions(m);
    std::uniform_int_distribution<int32_t> pos(0, 4000);
    for (auto& q : positions) q = pos(rng);
    Tensor a = clone(x), r = clone(x);
    p.fast->rope(a, positions, head_dim, 6, theta);
    p.ref->rope(r, positions, head_dim, 6, theta);
    CHECK(normalized_error(a, r) < kF32);
    // Heads past `rotated_heads` are untouched.
    CHECK(std::memcmp(a.data_as<float>() + 6 * head_dim, x.data_as<float>() + 6 * head_dim,
                      2 * head_dim * sizeof(float)) == 0);
  }
  // head_dim 4: pairs (0, 2) with inv_freq 1 and (1, 3) with inv_freq 1/100 (theta 10000).
  float xs[] = {1, 1, 0, 0, 1, 1, 0, 0};
  Tensor x = Tensor::view(xs, {2, 4}, tb::DType::F32, tb::Device::Cpu, nullptr);
  const std::vector<int32_t> positions = {0, 1};
  p.ref->rope(x, positions, 4, 1, 10000.0);
  CHECK(xs[0] == 1.0f);
  CHECK(xs[2] == 0.0f);
  CHECK(xs[4] == doctest::Approx(std::cos(1.0)));
  CHECK(xs[6] == doctest::Approx(std::sin(1.0)));
  CHECK(xs[5] == doctest::Approx(std::cos(0.01)));
  CHECK(xs[7] == doctest::Approx(std::sin(0.01)));
}

TEST_CASE("store_kv + attention: GQA over mixed segment lengths, fast matches reference") {
  Pair p;
  std::mt19937 rng(4);
  const tb::AttentionShape shape{8, 2, 16, 0.25f};
  const int64_t slots = 4, capacity = 300;
  // Slot 0: prefill of 200 rows (two sgemm blocks); slot 1: one decode row at position 150;
  // slot 2: 5 rows at positions 40..44 (loop path); slot 3: 20 rows at 10..29 (sgemm path).
  const std::vector<tb::AttentionSegment> segments = {
      {0, 0, 200}, {1, 200, 1}, {2, 201, 5}, {3, 206, 20}};
  std::vector<int32_t> positions, slot_of_row;
  for (int i = 0; i < 200; ++i) positions.push_back(i), slot_of_row.push_back(0);
  positions.push_back(150), slot_of_row.push_back(1);
  for (int i = 40; i < 45; ++i) positions.push_back(i), slot_of_row.push_back(2);
  for (int i = 10; i < 30; ++i) positions.push_back(i), slot_of_row.push_back(3);
  const auto m = static_cast<int64_t>(positions.size());

  const Tensor qkv = random_tensor({m, shape.qkv_width()}, rng, -2.0f, 2.0f);
  const Tensor k0 = random_tensor({slots, capacity, 2, 16}, rng, -2.0f, 2.0f);
  const Tensor v0 = random_tensor({slots, capacity, 2, 16}, rng);
  Tensor ka = clone(k0), va = clone(v0), kr = clone(k0), vr = clone(v0);
  p.fast->store_kv(qkv, shape, slot_of_row, positions, ka, va);
  p.ref->store_kv(qkv, shape, slot_of_row, positions, kr, vr);
  CHECK(std::memcmp(ka.data(), kr.data(), ka.nbytes()) == 0);
  // Row 200 (slot 1, position 150): its key heads landed at [1, 150].
  CHECK(std::memcmp(ka.data_as<float>() + (1 * capacity + 150) * 32,
                    qkv.data_as<float>() + 200 * shape.qkv_width() + 128, 32 * sizeof(float)) == 0);
  CHECK(std::memcmp(va.data_as<float>() + (1 * capacity + 150) * 32,
                    qkv.data_as<float>() + 200 * shape.qkv_width() + 160, 32 * sizeof(float)) == 0);

  Tensor a = Tensor::zeros({m, 128}, tb::DType::F32), r = Tensor::zeros({m, 128}, tb::DType::F32);
  p.fast->attention(qkv, shape, segments, positions, ka, va, a);
  p.ref->attention(qkv, shape, segments, positions, kr, vr, r);
  CHECK(normalized_error(a, r) < kF32);
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
    const std::vector<int32_t> positions = {0, 1}, slots = {0, 0};
    backend->store_kv(q, shape, slots, positions, k, v);
    const std::vector<tb::AttentionSegment> segments = {{0, 0, 2}};
    Tensor out = Tensor::zeros({2, 2}, tb::DType::F32);
    backend->attention(q, shape, segments, positions, k, v, out);
    const float* o = out.data_as<float>();
    CHECK(o[0] == doctest::Approx(10));
    CHECK(o[1] == doctest::Approx(20));
    CHECK(o[2] == doctest::Approx(0.25 * 10 + 0.75 * 30));
    CHECK(o[3] == doctest::Approx(0.25 * 20 + 0.75 * 40));
  }
}

TEST_CASE("silu_mul, gelu_new, add, log_softmax: fast matches reference") {
  Pair p;
  std::mt19937 rng(5);
  const Tensor gu = random_tensor({17, 2 * 300}, rng, -12.0f, 12.0f);
  Tensor a = Tensor::zeros({17, 300}, tb::DType::F32), r = Tensor::zeros({17, 300}, tb::DType::F32);
  p.fast->silu_mul(gu, a);
  p.ref->silu_mul(gu, r);
  CHECK(normalized_error(a, r) < kF32);

  // gelu_new: elementwise relative error, far negative tail included (down to 1e-30).
  const Tensor x = random_tensor({40000}, rng, -12.0f, 12.0f);
  Tensor ga = clone(x), gr = clone(x);
  p.fast->gelu_new(ga);
  p.ref->gelu_new(gr);
  double worst = 0.0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double u = ga.data_as<float>()[i], v = gr.data_as<float>()[i];
    worst = std::max(worst, std::abs(u - v) / std::max(std::abs(v), 1e-30));
  }
  CHECK(worst < kF32);
  float one[] = {1.0f, -3.0f};
  Tensor h = Tensor::view(one, {2}, tb::DType::F32, tb::Device::Cpu, nullptr);
  p.ref->gelu_new(h);
  CHECK(one[0] == doctest::Approx(0.8411919906));  // torch gelu(1, approximate="tanh")
  CHECK(one[1] == doctest::Approx(-0.0036373920));

  const Tensor y = random_tensor({17, 300}, rng);
  Tensor sa = clone(a), sr = clone(r);
  p.fast->add(sa, y);
  p.ref->add(sr, y);
  CHECK(normalized_error(sa, sr) < kF32);

  const Tensor logits = random_tensor({3, 32000}, rng, -20.0f, 20.0f);
  Tensor la = Tensor::zeros({3, 32000}, tb::DType::F32);
  Tensor lr = Tensor::zeros({3, 32000}, tb::DType::F32);
  p.fast->log_softmax(logits, la);
  p.ref->log_softmax(logits, lr);
  CHECK(normalized_error(la, lr) < kF32);
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
  const std::vector<int32_t> tokens = {2, 0}, positions = {1, 0};
  backend->embedding(t, tokens, pt, positions, out);
  Tensor host = Tensor::zeros({2, 2}, tb::DType::F32);
  backend->download(out, host);
  CHECK(std::vector<float>(host.data_as<float>(), host.data_as<float>() + 4) ==
        std::vector<float>{320, 421, 100, 201});
  backend->embedding(t, tokens, Tensor(), {}, out);
  backend->download(out, host);
  CHECK(host.data_as<float>()[0] == 20);

  const std::vector<int32_t> bad = {3, 0};
  CHECK_THROWS_AS(backend->embedding(t, bad, Tensor(), {}, out), tb::Error);
  const std::vector<int32_t> far = {2, 5};
  try {
    backend->embedding(t, tokens, pt, far, out);
    FAIL("expected tb::Error");
  } catch (const tb::Error& e) {
    CHECK(e.kind() == tb::ErrorKind::BadInput);
  }

  Tensor gathered = backend->alloc({1, 2});
  const std::vector<int32_t> rows = {2};
  backend->gather_rows(t, rows, gathered);
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
