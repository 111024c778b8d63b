#pragma once
// The per-piece table behind `tunebench metrics`: one row per piece (an ABC tune, a MIDI file,
// an MMM sample, a p:v:d:t text), one column per value, named as in the aggregate table, so
// that the mean of a column over the rows where it is defined is the aggregate's mean. Columns:
//   abc group (ABC pieces only): tier1..tier4, level, all_header_fields, uses_repeats, truncated;
//   repetition group: seq_rep_1..4, rep_w16, rep_r, longest_repeat, loop_rate (0 or 1 per
//     piece), bar_repetition (ABC tunes with bars);
//   statistics group: each mgeval/MusPy feature; a vector feature as name[i] columns; a per-bar
//     feature as its mean over the piece's bars (metrics/statistics piece_summary).
// Undefined values are NaN: an empty CSV cell, a JSON null. In JSONL a vector feature is one
// array under its name.
#include <ostream>
#include <string>
#include <vector>

#include "metrics/statistics/summary.hpp"

namespace tb {

struct MetricsColumn {
  std::string name;   // "pitch_range", "total_pitch_class_histogram[3]"
  std::string group;  // "abc", "repetition" or "statistics"
  std::string
      feature;  // the feature or value the column belongs to ("total_pitch_class_histogram")
};

struct MetricsRow {
  std::string file;
  size_t piece = 0;            // 1-based within the file
  std::vector<double> values;  // one per column
};

struct MetricsTable {
  std::vector<MetricsColumn> columns;
  std::vector<MetricsRow> rows;

  // The columns of a set; `abc` adds the ABC validity columns.
  static std::vector<MetricsColumn> standard_columns(bool abc);
  size_t index(const std::string& column) const;  // throws std::out_of_range when absent
  std::vector<double> column_values(size_t column) const;
  metrics::statistics::Summary summary(size_t column) const;
};

void write_csv(const MetricsTable& table, std::ostream& out);
void write_jsonl(const MetricsTable& table, std::ostream& out);

}  // namespace tb
