#pragma once
// Comparisons of runs rendered as a text table, Markdown, CSV or JSON.
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/compare.hpp"

namespace tb {

enum class CompareFormat { Table, Markdown, Csv, Json };

// One baseline -> candidate step of a comparison.
struct ComparisonStep {
  Run baseline;
  Run candidate;
  std::vector<ComparedMetric> metrics;
};

// "run 3 (checkpoint-1000, step 1000)": how a run is named in headings and reports.
std::string describe_run(const Run& run);

// Table and Markdown: a heading per step, then one row per metric: Suite, Subset, Metric (with
// its direction arrow), Baseline, Candidate, Delta, both stderrs, the paired test, its p-value
// and "yes" when the move is beyond noise. CSV: one header line, one row per (step, metric).
// JSON: an array of steps, each with both runs and the rows as objects.
std::string render_comparison(std::span<const ComparisonStep> steps, CompareFormat format);
nlohmann::json comparison_json(std::span<const ComparisonStep> steps);

}  // namespace tb
