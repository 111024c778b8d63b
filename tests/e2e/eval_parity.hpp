#pragma once
// Compares two stores of the same evaluations, one run on the CPU and one on CUDA (the GPU
// check's `tunebench eval --device cpu|cuda`, test_cuda_parity): for every finished run of the
// CPU store, the run of the other store with the same model and suite.
//  - Choice questions: identical predictions, except where either side's top two options are
//    within `noise` of each other (bf16 activations move scores by that much): those are
//    counted apart, not failed.
//  - Perplexity metrics: within 1% of each other.
//  - Generated texts (greedy): identical, or their first divergence reported; with a
//    `Divergence` callback, the log-probs of both continuations under both backends are
//    printed, and the divergence fails only when the two are further apart than `noise`.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tb::test {

struct ContinuationLogprobs {
  double cpu_text = 0.0, cuda_text = 0.0;  // log p(CPU's continuation), log p(CUDA's), one backend
};

// Scores the two continuations after `context` with the model at `model_path`, on each backend.
struct DivergenceScores {
  ContinuationLogprobs on_cpu, on_cuda;
};
using Divergence = std::function<std::optional<DivergenceScores>(
    const std::string& model_path, const std::string& context, const std::string& cpu_next,
    const std::string& cuda_next)>;

struct ParityReport {
  int runs = 0, questions = 0, identical = 0, within_noise = 0, mismatched = 0;
  int perplexities = 0, perplexity_off = 0;
  int texts = 0, texts_identical = 0, texts_diverged = 0, texts_failed = 0;
  int missing_runs = 0;
  std::vector<std::string> lines;  // one per finding, printable
  bool ok() const {
    return runs > 0 && mismatched == 0 && perplexity_off == 0 && texts_failed == 0 &&
           missing_runs == 0;
  }
};

ParityReport compare_stores(const std::filesystem::path& cpu_store,
                            const std::filesystem::path& cuda_store, double noise,
                            const Divergence& divergence = {});

}  // namespace tb::test
