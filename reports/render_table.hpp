#pragma once
// A run's metrics as a table: plain text for terminals, Markdown for reports and CI comments.
#include <span>
#include <string>

#include "reports/run_info.hpp"
#include "harness/core/records.hpp"

namespace tb {

enum class TableFormat { Text, Markdown };

// Columns Suite, Version, Subset ("(all)" for the whole suite), Metric (with an arrow: up when
// higher is better), Value, Stderr ("N/A" when not defined) and N, one row per metric in the
// given order; the suite and version appear on the first row only. Numbers have 4 decimals.
// Cells are padded so that the text lines up in both formats; every line ends with '\n'.
std::string render_metric_table(const Run& run, std::span<const MetricValue> metrics,
                                TableFormat format);

}  // namespace tb
