#pragma once
// The metric registry: one list of every metric tunebench reports, with its direction (which
// way is better, or none for descriptive figures), how per-sample values aggregate, how the
// standard error is computed and which paired test compares two runs. Suites, the store, `show`,
// `compare` and `gate` read directions from here, never from their own tables.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tb {

enum class Direction { Higher, Lower, None };

enum class Aggregation {
  Mean,       // mean of the per-sample values
  MicroMean,  // mean over every sample of the member subsets (MMLU categories, the suite)
  MacroMean,  // mean of the subset means
  Ratio,      // a ratio of sums (perplexity = exp(sum nll / sum tokens), bits per byte)
  Sum,        // a total (token and byte counts)
  SetCompare  // a distance between two sets of pieces (KL divergence, overlap area)
};

enum class StderrRule {
  SampleMean,  // sample standard deviation / sqrt(n) (Bernoulli for 0/1 values)
  None         // not defined (ratios, totals, set distances)
};

enum class PairedTest {
  McNemar,    // exact McNemar on per-document 0/1 correctness
  Bootstrap,  // seeded paired bootstrap of the mean per-document difference
  None
};

struct MetricInfo {
  std::string name;
  Direction direction = Direction::None;
  Aggregation aggregation = Aggregation::Mean;
  StderrRule stderr_rule = StderrRule::None;
  PairedTest paired_test = PairedTest::None;
  // The per-sample value the paired test reads ("acc" for acc, "nll" for perplexity).
  std::string sample_value;
};

// Every registered metric, in registration order. Names ending in '*' are prefixes
// ("kl_*" covers kl_pitch_range).
const std::vector<MetricInfo>& metric_registry();

// The entry for `name` (exact names first, then prefixes); std::nullopt when unregistered.
std::optional<MetricInfo> find_metric(std::string_view name);

// The entry for `name`; throws tb::Error (Internal) for an unregistered metric, so a suite
// cannot report a metric whose direction nobody decided.
MetricInfo metric_info(std::string_view name);

Direction metric_direction(std::string_view name);  // None for an unregistered name
// direction == Higher; throws tb::Error (Internal) for an unregistered metric (metric_info).
bool higher_is_better(std::string_view name);
const char* to_string(Direction direction);  // "higher", "lower", "none"

}  // namespace tb
