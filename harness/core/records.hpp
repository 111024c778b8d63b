#pragma once
// The records a run produces, shared by the suites that make them and the store and renderers
// that keep and show them (reports/ needs these plain structs, not the Suite interface).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tb {

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
  std::string prompt;  // the exact rendered text (first option's full text for ppl modes)
  std::string target;  // gold answer text
  // The completion alone (generation suites), as lm-eval's resps hold it: the text that follows
  // the prompt, separator included; "" for scoring suites.
  std::string response = {};
  std::vector<double> option_scores;  // per option, as the protocol ranks them (higher better)
  int prediction = -1;
  int gold = -1;
  std::map<std::string, double> values;  // per-sample metric values, e.g. {"acc": 1}

  // The whole generated piece, prompt then completion: what validity and statistics measure.
  std::string piece() const { return prompt + response; }
};

struct MetricValue {
  std::string name;    // "acc", "ppl", "bits_per_byte", ...
  std::string subset;  // "" for the whole suite
  double value = 0.0;
  double standard_error = 0.0;  // NaN when not defined
  int64_t n = 0;
  bool higher_is_better = true;
};

}  // namespace tb
