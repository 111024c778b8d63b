#pragma once
// What the leaderboard report shows, gathered from a store: the leaderboard (models x suites,
// best first, ties within noise marked by the paired test `compare` uses), metric curves over
// training steps, per-subset tables (MusicTheoryBench knowledge/reasoning, MMLU categories),
// generation panels (validity levels, repetition, KL/OA against the reference set), throughput
// rows, and per-run drill-downs (the hardest questions, sample generations). Renderers turn it
// into HTML, Markdown, CSV or JSON; nothing here formats.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reports/store.hpp"
#include "suites/metric_registry.hpp"

namespace tb {

struct LeaderboardCell {
  int64_t run_id = 0;
  std::string metric;  // the suite's headline: its first whole-suite metric with a direction
  Direction direction = Direction::None;
  double value = 0.0;
  double standard_error = 0.0;  // NaN when not defined
  bool leader = false;          // the best value of its column
  // Within noise of the leader: the paired test found no significant difference.
  bool tie = false;
  std::string test;      // "mcnemar", "bootstrap", or "" when no paired test was possible
  double p_value = 0.0;  // NaN without a test
};

struct LeaderboardRow {
  std::string model;  // the run's model path
  std::optional<int64_t> step;
  std::map<std::string, LeaderboardCell> cells;  // by suite
  double mean_rank = 0.0;                        // over the suites the row has
};

struct Leaderboard {
  std::vector<std::string> suites;   // columns, in order of first appearance
  std::vector<LeaderboardRow> rows;  // best (lowest mean rank) first
};

struct CurvePoint {
  int64_t step = 0;
  double value = 0.0;
  double standard_error = 0.0;
  int64_t run_id = 0;
};

// One metric of one suite against training step; a series per training run (the checkpoint's
// parent directory).
struct Curve {
  std::string suite;
  std::string metric;
  Direction direction = Direction::None;
  std::map<std::string, std::vector<CurvePoint>> series;  // by run directory, points by step
};

// One metric of one suite per subset, for each model: MTB knowledge/reasoning, MMLU subjects.
struct SubsetTable {
  std::string suite;
  std::string metric;
  std::vector<std::string> subsets;
  std::vector<std::string> models;
  std::vector<std::vector<double>> values;  // [model][subset], NaN where absent
};

struct GenerationPanel {
  int64_t run_id = 0;
  std::string model;
  std::string suite;
  // Fractions of pieces at each validity level (ABC: levels 0..4 from level_at_least_k), or
  // the rate of each structural check (MIDI tokens): label -> value.
  std::vector<std::pair<std::string, double>> validity;
  bool validity_is_levels = false;  // stacked (levels sum to 1) or separate rates
  std::vector<std::pair<std::string, double>> repetition;  // loop, seq_rep_4, lrs_ratio, ...
  std::vector<std::pair<std::string, double>> kl;          // per feature, against the reference
  std::vector<std::pair<std::string, double>> oa;
};

struct ThroughputRow {
  int64_t run_id = 0;
  std::string model;
  std::string suite;  // "profile" for `tunebench profile` rows
  std::string phase;  // pp, tg, loglikelihood, generate, ...
  std::string device;
  std::string commit;
  std::string dtype;
  int64_t batch = 0;
  int64_t seq = 0;
  double tokens_per_s = 0.0;
  double tflops = 0.0;  // NaN when unknown
  double mfu = 0.0;     // NaN when the device's peak is unknown
};

// The question a prompt asks: its last block (after the last blank line), without the few-shot
// examples and the header in front of it; the whole prompt when it has no blank line.
std::string question_of_prompt(const std::string& prompt);

struct HardQuestion {
  std::string doc_id;
  std::string subset;
  std::string question;  // the question asked, with its options: the prompt's last block
  std::string target;
  std::vector<double> option_scores;
  int prediction = -1;
  int gold = -1;
  double margin = 0.0;  // gold's score minus the best other option's (most negative: hardest)
};

struct RunDrillDown {
  Run run;
  std::string model;
  std::vector<MetricValue> metrics;
  std::vector<HardQuestion> hardest;   // multiple-choice runs
  std::vector<SampleRow> generations;  // generation runs: the first pieces, in doc order
};

struct ReportData {
  std::string store_path;
  Leaderboard leaderboard;
  std::vector<Curve> curves;
  std::vector<SubsetTable> subsets;
  std::vector<GenerationPanel> generation;
  std::vector<ThroughputRow> throughput;
  std::vector<RunDrillDown> runs;
};

struct ReportOptions {
  std::vector<int64_t> run_ids;  // empty: every finished run
  int hardest_questions = 5;
  int generations_per_run = 4;
};

// Reads the finished runs (or those named) of `store`. Throws BadInput for a named run that
// does not exist or has not finished.
ReportData gather_report(const Store& store, const ReportOptions& options);

}  // namespace tb
