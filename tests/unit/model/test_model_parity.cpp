// Logit parity with the PyTorch re-implementation of the Hugging Face models
// (tools/make_tiny_checkpoints.py): per-token log-probs of three sequences (5, 17, 40 tokens) and
// the full logits of one last position, for LLaMA (GQA) and GPT-2 in f32, f16, bf16 and sharded,
// on the fast and on the reference CPU kernels.
#include <doctest/doctest.h>

#include <fstream>
#include <tuple>
#include "harness/backend/cpu/cpu_backend.hpp"

#include "harness/io/checkpoint.hpp"
#include "tests/unit/model/model_fixtures.hpp"

using namespace tb;
using namespace tb::test;

namespace {

// Weights are widened to f32 exactly as the reference does, so f16/bf16 checkpoints are held to
// the same bound as f32: what remains is f32 summation order.
constexpr double kLogprobTolerance = 1e-4;

void check_parity(const std::string& name, CpuKernels kernels) {
  const auto dir = tiny(name);
  const Reference ref = load_reference(dir);
  const Checkpoint checkpoint = Checkpoint::open(dir);
  auto backend = make_cpu_backend(2, kernels);
  auto model = load_model(checkpoint, *backend);
  const int64_t vocab = model->config().vocab_size;
  double worst = 0.0;
  for (size_t s = 0; s < ref.sequences.size(); ++s) {
    auto cache = model->make_cache(1, 64);
    ForwardBatch batch;
    append(batch, ref.sequences[s], 0);
    std::vector<float> logits;
    model->forward(batch, *cache, logits);
    const auto got = next_token_logprobs(logits, vocab, ref.sequences[s]);
    worst = std::max(worst, max_abs_diff(got, ref.logprobs[s]));
    if (static_cast<int>(s) == ref.last_sequence) {
      const std::vector<float> last(logits.end() - vocab, logits.end());
      std::vector<double> last_d(last.begin(), last.end());
      worst = std::max(worst, max_abs_diff(last_d, ref.last_logits));
    }
  }
  const std::string label = name + (kernels == CpuKernels::Fast ? " fast" : " reference");
  MESSAGE(label << ": max |log-prob or logit - PyTorch| = " << worst);
  CHECK(worst < kLogprobTolerance);
}

}  // namespace

TEST_CASE("logit parity with PyTorch: every tiny checkpoint, fast and reference kernels") {
  for (const std::string name : {"llama-f32", "llama-f32-sharded", "llama-f16", "llama-bf16",
                                 "gpt2-f32", "gpt2-f16", "gpt2-bf16"}) {
    for (CpuKernels kernels : {CpuKernels::Fast, CpuKernels::Reference}) {
      CAPTURE(name);
      check_parity(name, kernels);
    }
  }
}

TEST_CASE("parity: a perturbed weight moves the log-probs far outside the tolerance") {
  // Guards the parity test itself: the reference must be sensitive to one weight.
  const Checkpoint checkpoint = Checkpoint::open(tiny("llama-f32"));
  std::map<std::string, Tensor> weights;
  for (const auto& n : checkpoint.names()) {
    weights[n] = checkpoint.load_f32(n, checkpoint.tensor(n).shape);
  }
  auto backend = make_cpu_backend(2);
  const Reference ref = load_reference(tiny("llama-f32"));
  auto score = [&]() {
    auto model = make_model(checkpoint.config(), weights, *backend);
    auto cache = model->make_cache(1, 64);
    ForwardBatch batch;
    append(batch, ref.sequences[2], 0);
    std::vector<float> logits;
    model->forward(batch, *cache, logits);
    return max_abs_diff(next_token_logprobs(logits, 300, ref.sequences[2]), ref.logprobs[2]);
  };
  CHECK(score() < kLogprobTolerance);  // make_model from host weights = load_model
  weights["model.layers.1.self_attn.k_proj.weight"].data_as<float>()[5] += 0.05f;
  CHECK(score() > 10 * kLogprobTolerance);
}

namespace {

// Per-token log-probs of every reference sequence from a model loaded with `precision`.
std::vector<std::vector<double>> logprobs_with(const std::string& name, ModelPrecision precision) {
  const Reference ref = load_reference(tiny(name));
  const Checkpoint checkpoint = Checkpoint::open(tiny(name));
  auto backend = make_cpu_backend(2);
  auto model = load_model(checkpoint, *backend, precision);
  std::vector<std::vector<double>> out;
  for (const auto& sequence : ref.sequences) {
    auto cache = model->make_cache(1, 64);
    ForwardBatch batch;
    append(batch, sequence, 0);
    std::vector<float> logits;
    model->forward(batch, *cache, logits);
    out.push_back(next_token_logprobs(logits, model->config().vocab_size, sequence));
  }
  return out;
}

double worst_difference(const std::vector<std::vector<double>>& a,
                        const std::vector<std::vector<double>>& b, bool relative = false) {
  REQUIRE(a.size() == b.size());
  double worst = 0.0;
  for (size_t s = 0; s < a.size(); ++s) {
    REQUIRE(a[s].size() == b[s].size());
    for (size_t i = 0; i < a[s].size(); ++i) {
      const double d = std::abs(a[s][i] - b[s][i]);
      worst = std::max(worst, relative ? d / std::max(1.0, std::abs(b[s][i])) : d);
    }
  }
  return worst;
}

}  // namespace

TEST_CASE("--dtype: f32 checkpoints placed in bf16/f16 score as the bf16/f16 checkpoints") {
  // make_tiny_checkpoints.py rounds the same f32 weights to bf16 and f16 (nearest even); loading
  // the f32 checkpoint with --dtype bf16 must round identically, so it meets the bf16
  // checkpoint's PyTorch reference at the f32 bound, and lies far from the f32 reference.
  for (const auto& [arch, dtype, tag] : {std::tuple{"llama", DType::BF16, "bf16"},
                                         {"llama", DType::F16, "f16"},
                                         {"gpt2", DType::BF16, "bf16"},
                                         {"gpt2", DType::F16, "f16"}}) {
    CAPTURE(arch);
    CAPTURE(tag);
    const auto got = logprobs_with(std::string(arch) + "-f32", {.weights = dtype});
    const Reference rounded = load_reference(tiny(std::string(arch) + "-" + tag));
    const Reference f32 = load_reference(tiny(std::string(arch) + "-f32"));
    CHECK(worst_difference(got, rounded.logprobs) < kLogprobTolerance);
    CHECK(worst_difference(got, f32.logprobs) > 10 * kLogprobTolerance);
  }
}

TEST_CASE("--dtype bf16 against PyTorch computing in bf16 (tools/bf16_reference.py)") {
  // PyTorch's bf16 model also rounds activations; tunebench keeps them in f32. They agree within
  // the bf16 tolerance: 4e-2 of max(1, |log-prob|) per token.
  std::ifstream in(source_dir() / "data/golden/tiny-random/bf16-compute.json");
  REQUIRE(in.good());
  const auto golden = nlohmann::json::parse(in);
  for (const std::string arch : {"llama", "gpt2"}) {
    const auto got = logprobs_with(arch + "-f32", {.weights = DType::BF16});
    const auto torch_bf16 = golden.at(arch).get<std::vector<std::vector<double>>>();
    const double worst = worst_difference(got, torch_bf16, true);
    MESSAGE(arch << ": max |tunebench bf16 - torch bf16| / max(1, |log-prob|) = " << worst);
    CHECK(worst < 4e-2);
  }
}

TEST_CASE("KV cache in bf16 and f16: close to the f32 cache, and not identical") {
  for (const std::string name : {"llama-f32", "gpt2-f32"}) {
    const auto f32 = logprobs_with(name, {});
    for (DType kv : {DType::BF16, DType::F16}) {
      CAPTURE(name);
      CAPTURE(dtype_name(kv));
      const auto got = logprobs_with(name, {.weights = std::nullopt, .kv_cache = kv});
      const double worst = worst_difference(got, f32, true);
      CHECK(worst < 4e-2);
      CHECK(worst > 0.0);
    }
  }
}
