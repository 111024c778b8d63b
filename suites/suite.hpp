#pragma once
// Suite: spec + data -> LM requests; per-document scoring; aggregation. Suites never see tensors:
// they talk to the LanguageModel through LmRequest / LmResponse only.
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/core/records.hpp"  // Doc, SampleResult, MetricValue
#include "harness/lm/sampler.hpp"

namespace tb {

// One call of the language model.
struct LmRequest {
  enum class Type {
    Loglikelihood,  // log P(continuation | context), lm-eval semantics; an empty context means
                    // the whole continuation is scored from BOS (or EOS when there is no BOS)
    Rolling,        // log P(continuation) of a text of any length (context unused)
    Generate,       // a continuation of `context` (the prompt) sampled with `sampling`
                    // (continuation unused); the runner batches these across documents
  };
  Type type = Type::Loglikelihood;
  std::string context;
  std::string continuation;
  SamplingParams sampling = {};  // Generate only
};

struct LmResponse {
  double logprob = 0.0;
  int64_t num_tokens = 0;  // tokens scored (Generate: tokens of `text`)
  bool greedy = false;     // every scored token was the argmax (Loglikelihood only)
  // Generate only: the completion (prompt excluded, cut before a stop string), its token ids
  // and why generation ended: "eos", "stop" or "length". `logprob` is then the model's
  // log-probability of `tokens` without the sampling processors.
  std::string text = {};
  std::vector<int32_t> tokens = {};
  std::string finish = {};
};

class Suite {
 public:
  virtual ~Suite() = default;
  virtual std::string name() const = 0;     // "mtb", "mmlu", "abc-ppl"
  virtual std::string version() const = 0;  // bumped whenever prompts or scoring change
  // The spec and options that decide results, stored with the run.
  virtual nlohmann::json options() const = 0;
  virtual const std::vector<Doc>& docs() const = 0;
  virtual std::vector<LmRequest> requests(const Doc& doc) const = 0;
  virtual SampleResult score(const Doc& doc, std::span<const LmResponse> responses) const = 0;
  virtual std::vector<MetricValue> aggregate(std::span<const SampleResult> samples) const = 0;
};

}  // namespace tb
