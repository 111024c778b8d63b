#include "runners/profile_tests.hpp"

#include <algorithm>
#include <random>

#include "harness/core/error.hpp"
#include "harness/core/timer.hpp"
#include "harness/lm/shared_prefix_scorer.hpp"

namespace tb {

std::string ProfileTest::name() const {
  switch (kind) {
    case TestKind::Prefill:
      return "pp" + std::to_string(n_prompt);
    case TestKind::Decode:
      return "tg" + std::to_string(n_gen) + (depth > 0 ? "@d" + std::to_string(depth) : "");
    case TestKind::PrefillDecode:
      return "pg" + std::to_string(n_prompt) + "+" + std::to_string(n_gen);
  }
  return "?";
}

const char* ProfileTest::phase() const {
  switch (kind) {
    case TestKind::Prefill:
      return "pp";
    case TestKind::Decode:
      return "tg";
    case TestKind::PrefillDecode:
      return "pg";
  }
  return "?";
}

namespace {

std::vector<int32_t> random_tokens(std::mt19937& rng, int64_t vocab, int64_t n) {
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(vocab - 1));
  std::vector<int32_t> out(static_cast<size_t>(n));
  for (int32_t& t : out) t = token(rng);
  return out;
}

// `steps` tokens per slot at positions first.. of every slot, with the logits of each slot's
// last token.
ForwardBatch sequence_batch(std::mt19937& rng, int64_t vocab, int64_t batch, int64_t first,
                            int64_t steps) {
  ForwardBatch b;
  for (int64_t s = 0; s < batch; ++s) {
    const std::vector<int32_t> tokens = random_tokens(rng, vocab, steps);
    for (int64_t i = 0; i < steps; ++i) {
      b.tokens.push_back(tokens[static_cast<size_t>(i)]);
      b.positions.push_back(static_cast<int32_t>(first + i));
      b.slots.push_back(static_cast<int32_t>(s));
    }
    b.logit_rows.push_back(static_cast<int32_t>(b.tokens.size() - 1));
  }
  return b;
}

void decode_steps(Model& model, KvCache& cache, std::mt19937& rng, int64_t vocab, int64_t batch,
                  int64_t first, int64_t steps, std::vector<float>& logits) {
  for (int64_t i = 0; i < steps; ++i) {
    const ForwardBatch b = sequence_batch(rng, vocab, batch, first + i, 1);
    model.forward(b, cache, logits);
  }
}

template <typename Repetition>
std::vector<double> time_repetitions(const ProfileSettings& settings, Repetition&& repetition) {
  std::vector<double> seconds;
  for (int r = 0; r < settings.warmup + settings.repetitions; ++r) {
    Timer timer;
    repetition();
    const double s = timer.seconds();
    if (r >= settings.warmup) seconds.push_back(s);
  }
  return seconds;
}

}  // namespace

ProfileMeasurement run_profile_test(Model& model, const flops::ModelShape& shape,
                                    const ProfileTest& test, const ProfileSettings& settings) {
  const int64_t vocab = model.config().vocab_size;
  const int64_t positions = model.config().max_positions;
  const int64_t longest = test.depth + test.n_prompt + test.n_gen;
  if (longest > positions) {
    throw Error(ErrorKind::BadInput, "test " + test.name() + " needs " + std::to_string(longest) +
                                         " positions; the model has " + std::to_string(positions));
  }
  std::mt19937 rng(settings.seed);
  ProfileMeasurement m;
  m.test = test;
  const auto b = static_cast<double>(test.batch);
  std::vector<float> logits;
  if (test.kind == TestKind::Prefill) {
    SharedPrefixScorer scorer(model, static_cast<int>(test.n_prompt), settings.batch_tokens,
                              /*share_prefixes=*/false);
    std::vector<ScoreRequest> requests(static_cast<size_t>(test.batch));
    for (ScoreRequest& r : requests) r.tokens = random_tokens(rng, vocab, test.n_prompt + 1);
    m.seconds = time_repetitions(settings, [&] { scorer.score(requests); });
    m.tokens = b * static_cast<double>(test.n_prompt);
    m.flops = b * flops::forward_flops(shape, test.n_prompt, 0);
    return m;
  }
  auto cache = model.make_cache(static_cast<int>(test.batch), static_cast<int>(longest));
  double decode_flops = 0.0, decode_bytes = 0.0;
  const int64_t start = test.kind == TestKind::Decode ? test.depth : test.n_prompt;
  for (int64_t i = 0; i < test.n_gen; ++i) {
    decode_flops += b * flops::decode_flops(shape, start + i);
    decode_bytes += flops::decode_bytes(shape, test.batch, start + i, settings.weight_bytes,
                                        settings.weight_bytes)
                        .total();
  }
  if (test.kind == TestKind::Decode) {
    if (test.depth > 0)
      model.forward(sequence_batch(rng, vocab, test.batch, 0, test.depth), *cache, logits);
    m.seconds = time_repetitions(settings, [&] {
      for (int s = 0; s < cache->num_slots(); ++s)
        cache->set_length(s, static_cast<int>(test.depth));
      decode_steps(model, *cache, rng, vocab, test.batch, test.depth, test.n_gen, logits);
    });
    m.tokens = b * static_cast<double>(test.n_gen);
    m.flops = decode_flops;
    m.bytes = decode_bytes;
    return m;
  }
  const ForwardBatch prompt = sequence_batch(rng, vocab, test.batch, 0, test.n_prompt);
  m.seconds = time_repetitions(settings, [&] {
    for (int s = 0; s < cache->num_slots(); ++s) cache->set_length(s, 0);
    model.forward(prompt, *cache, logits);
    decode_steps(model, *cache, rng, vocab, test.batch, test.n_prompt, test.n_gen, logits);
  });
  m.tokens = b * static_cast<double>(test.n_prompt + test.n_gen);
  m.flops = b * flops::forward_flops(shape, test.n_prompt, 0, 1) + decode_flops;
  return m;
}

namespace {

// `as_weight`: placed as the model's weights are (adopt: huge pages on the CPU), so that the
// reference product reads memory laid out like the model's.
Tensor random_device_tensor(Backend& backend, const Shape& shape, std::mt19937& rng,
                            bool as_weight) {
  Tensor host = Tensor::zeros(shape, DType::F32);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  for (int64_t i = 0; i < host.numel(); ++i) host.data_as<float>()[i] = value(rng);
  return as_weight ? backend.adopt(host) : backend.upload(host);
}

// The best seconds per call of y = x w^T over at least 3 calls and 0.25 s, after one warm-up.
double best_linear_seconds(Backend& backend, int64_t m, int64_t n, int64_t k) {
  std::mt19937 rng(5);
  const Tensor x = random_device_tensor(backend, {m, k}, rng, false);
  const Tensor w = random_device_tensor(backend, {n, k}, rng, true);
  Tensor y = backend.alloc({m, n});
  backend.linear(x, w, Tensor(), y);
  backend.synchronize();
  double best = 1e30, total = 0.0;
  for (int calls = 0; calls < 3 || total < 0.25; ++calls) {
    Timer timer;
    backend.linear(x, w, Tensor(), y);
    backend.synchronize();
    const double s = timer.seconds();
    best = std::min(best, s);
    total += s;
  }
  return best;
}

}  // namespace

ReferenceRates measure_reference_rates(Backend& backend, const flops::ModelShape& shape,
                                       int64_t rows) {
  ReferenceRates r;
  const int64_t m = std::max<int64_t>(1, rows), n = shape.intermediate, k = shape.hidden;
  r.gemm_tflops =
      2.0 * static_cast<double>(m * n * k) / best_linear_seconds(backend, m, n, k) / 1e12;
  r.gemm_shape = std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k);
  // The head is the largest matrix: its one-row product is the decode step's bandwidth bound.
  const int64_t v = shape.vocab;
  r.gemv_gbps = static_cast<double>(v * k) * 4.0 / best_linear_seconds(backend, 1, v, k) / 1e9;
  r.gemv_shape = "1x" + std::to_string(v) + "x" + std::to_string(k);
  return r;
}

}  // namespace tb
