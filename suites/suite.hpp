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

// One item of a suite, as loaded from its data files.
struct Doc {
  std::string id;      // stable across runs: the resume key
  std::string subset;  // subject / category used for per-subset metrics
  nlohmann::json data;
};

// The outcome of one document: what is stored as a sample.
struct SampleResult {
  std::string doc_id;
  std::string subset;
  std::string prompt;    // the exact rendered text (first option's full text for ppl modes)
  std::string target;    // gold answer text
  std::string response = {};  // generated text (generation suites); "" otherwise
  std::vector<double> option_scores;  // per option, as the protocol ranks them (higher better)
  int prediction = -1;
  int gold = -1;
  std::map<std::string, double> values;  // per-sample metric values, e.g. {"acc": 1}
};

struct MetricValue {
  std::string name;    // "acc", "ppl", "bits_per_byte", ...
  std::string subset;  // "" for the whole suite
  double value = 0.0;
  double standard_error = 0.0;  // NaN when not defined
  int64_t n = 0;
  bool higher_is_better = true;
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
