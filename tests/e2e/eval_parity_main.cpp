// eval_parity CPU.sqlite CUDA.sqlite [NOISE]: the GPU check's comparison of `tunebench eval`
// run on both devices (tests/e2e/eval_parity.hpp says what is compared). A divergence of
// generated texts is scored on both backends with the model the run names. Exit 0 when the two
// agree, 1 when they do not, 2 on a bad argument or store.
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <string>

#include "harness/core/error.hpp"
#include "runners/model_loading.hpp"
#include "tests/e2e/eval_parity.hpp"

namespace {

tb::test::ContinuationLogprobs score_both(tb::LoadedModel& loaded, const std::string& context,
                                          const std::string& cpu_next,
                                          const std::string& cuda_next) {
  const std::vector<tb::LoglikelihoodRequest> requests = {{context, cpu_next},
                                                          {context, cuda_next}};
  const auto results = loaded.lm->loglikelihood(requests);
  return {results[0].logprob, results[1].logprob};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: eval_parity CPU.sqlite CUDA.sqlite [NOISE (default 0.05)]\n");
    return 2;
  }
  try {
    const double noise = argc == 4 ? std::stod(argv[3]) : 0.05;
    std::map<std::string, std::pair<tb::LoadedModel, tb::LoadedModel>> models;
    const tb::test::Divergence divergence =
        [&](const std::string& model, const std::string& context, const std::string& cpu_next,
            const std::string& cuda_next) -> std::optional<tb::test::DivergenceScores> {
      auto it = models.find(model);
      if (it == models.end()) {
        tb::ModelOptions cpu, cuda;
        cpu.dir = cuda.dir = model;
        cpu.device = "cpu";
        cuda.device = "cuda";
        it = models
                 .emplace(model,
                          std::pair{tb::load_language_model(cpu), tb::load_language_model(cuda)})
                 .first;
      }
      return tb::test::DivergenceScores{
          score_both(it->second.first, context, cpu_next, cuda_next),
          score_both(it->second.second, context, cpu_next, cuda_next)};
    };
    const tb::test::ParityReport r = tb::test::compare_stores(argv[1], argv[2], noise, divergence);
    for (const std::string& line : r.lines) std::printf("  %s\n", line.c_str());
    std::printf(
        "eval_parity: %d runs; questions %d identical %d, within noise %d, mismatched %d; "
        "perplexities %d, over 1%% %d; texts %d identical %d, diverged %d, failed %d; "
        "runs missing on CUDA %d\n",
        r.runs, r.questions, r.identical, r.within_noise, r.mismatched, r.perplexities,
        r.perplexity_off, r.texts, r.texts_identical, r.texts_diverged, r.texts_failed,
        r.missing_runs);
    std::printf("eval_parity: %s\n", r.ok() ? "PASS" : "FAIL");
    return r.ok() ? 0 : 1;
  } catch (const tb::Error& e) {
    std::fprintf(stderr, "eval_parity: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_parity: %s\n", e.what());
    return 2;
  }
}
