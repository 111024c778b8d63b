// Logit parity with the PyTorch re-implementation of the Hugging Face models
// (tools/make_tiny_checkpoints.py): per-token log-probs of three sequences (5, 17, 40 tokens) and
// the full logits of one last position, for LLaMA (GQA) and GPT-2 in f32, f16, bf16 and sharded,
// on the fast and on the reference CPU kernels.
#include <doctest/doctest.h>

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
