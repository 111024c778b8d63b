// Whole models on CUDA against the CPU: per-token log-probs of the tiny random checkpoints (every
// stored dtype) and of the bundled models, and MMLU / MusicTheoryBench predictions identical on
// every question through `tunebench eval --device cuda` versus `--device cpu`. Exits 77 (CTest:
// skipped) without a visible CUDA device.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>

#include "harness/backend/cpu/cpu_backend.hpp"
#include "harness/backend/cuda_backend.hpp"
#include "harness/io/checkpoint.hpp"
#include "tests/e2e/eval_parity.hpp"
#include "tests/e2e/run_tunebench.hpp"
#include "tests/unit/model/model_fixtures.hpp"

using namespace tb;
using namespace tb::test;

namespace {

std::vector<std::vector<double>> logprobs_on(Backend& backend, const std::filesystem::path& dir,
                                             const std::vector<std::vector<int32_t>>& sequences,
                                             ModelPrecision precision = {}) {
  const Checkpoint checkpoint = Checkpoint::open(dir);
  auto model = load_model(checkpoint, backend, precision);
  std::vector<std::vector<double>> out;
  for (const auto& sequence : sequences) {
    auto cache = model->make_cache(1, static_cast<int>(sequence.size()) + 1);
    ForwardBatch batch;
    append(batch, sequence, 0);
    std::vector<float> logits;
    model->forward(batch, *cache, logits);
    out.push_back(next_token_logprobs(logits, model->config().vocab_size, sequence));
  }
  return out;
}

double worst(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b) {
  double w = 0.0;
  for (size_t s = 0; s < a.size(); ++s) {
    for (size_t i = 0; i < a[s].size(); ++i) w = std::max(w, std::abs(a[s][i] - b[s][i]));
  }
  return w;
}

}  // namespace

TEST_CASE("tiny random checkpoints: CUDA log-probs match the CPU's") {
  auto cuda = make_cuda_backend(0);
  auto cpu = make_cpu_backend(2);
  for (const std::string name : {"llama-f32", "llama-f16", "llama-bf16", "llama-f32-sharded",
                                 "gpt2-f32", "gpt2-f16", "gpt2-bf16"}) {
    CAPTURE(name);
    const Reference ref = load_reference(tiny(name));
    // f32 weights: f32 products on both sides; half weights: CUDA rounds activations to the
    // weight dtype for its tensor-core GEMMs.
    const double tolerance = name.find("f32") != std::string::npos ? 1e-4 : 5e-2;
    const double w = worst(logprobs_on(*cuda, tiny(name), ref.sequences),
                           logprobs_on(*cpu, tiny(name), ref.sequences));
    MESSAGE(name << ": max |CUDA - CPU| log-prob = " << w);
    CHECK(w < tolerance);
  }
}

TEST_CASE("bundled models: CUDA log-probs match the CPU's, f32 and bf16 KV caches") {
  auto cuda = make_cuda_backend(0);
  auto cpu = make_cpu_backend(2);
  const std::vector<std::vector<int32_t>> sequences = {{1, 5, 9, 200, 31, 7, 7, 7, 1000, 3},
                                                       {1, 60, 61, 62, 63, 64}};
  for (const std::string model : {"tiny-abc-llama", "tiny-mmm-gpt2"}) {
    for (DType kv : {DType::F32, DType::BF16}) {
      CAPTURE(model);
      const auto dir = source_dir() / "data/models" / model;
      const ModelPrecision p{.weights = std::nullopt, .kv_cache = kv};
      const double w =
          worst(logprobs_on(*cuda, dir, sequences, p), logprobs_on(*cpu, dir, sequences, p));
      MESSAGE(model << " kv " << dtype_name(kv) << ": max |CUDA - CPU| log-prob = " << w);
      CHECK(w < 5e-2);
    }
  }
}

TEST_CASE("MMLU and MusicTheoryBench: the same predictions on CUDA and on the CPU") {
  const auto dir = std::filesystem::temp_directory_path() / "tunebench_cuda_parity";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const std::string device : {"cpu", "cuda"}) {
    const Outcome result =
        run_tunebench("eval --model " + (source_dir() / "data/models/tiny-abc-llama").string() +
                      " --suite mtb,mtb-5shot,mmlu --device " + device + " --db " +
                      (dir / (device + ".sqlite")).string());
    CAPTURE(result.err);
    REQUIRE(result.exit_code == 0);
  }
  // CUDA rounds activations to bf16 for its tensor-core products and the CPU does not: a
  // prediction may differ only where the top two options are within the log-prob tolerance the
  // cases above use, and those are counted.
  const ParityReport r = compare_stores(dir / "cpu.sqlite", dir / "cuda.sqlite", 5e-2);
  for (const std::string& line : r.lines) MESSAGE(line);
  MESSAGE("questions " << r.questions << ", identical " << r.identical << ", within noise "
                       << r.within_noise << ", mismatched " << r.mismatched);
  CHECK(r.runs == 3);
  CHECK(r.questions > 10);
  CHECK(r.mismatched == 0);
  CHECK(r.ok());
}

int main(int argc, char** argv) {
  if (cuda_device_count() == 0) {
    std::printf("test_cuda_parity: no CUDA device visible: skipped\n");
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
