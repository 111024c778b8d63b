#include "runners/metrics_table.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "metrics/statistics/features.hpp"

namespace tb {
namespace {

namespace st = metrics::statistics;

// RFC 4180: quote a field holding a comma, a quote or a line break.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::vector<MetricsColumn> MetricsTable::standard_columns(bool abc) {
  std::vector<MetricsColumn> cols;
  if (abc) {
    for (const char* name : {"tier1", "tier2", "tier3", "tier4", "level", "all_header_fields",
                             "uses_repeats", "truncated"}) {
      cols.push_back({name, "abc", name});
    }
  }
  for (int n = 1; n <= 4; ++n) {
    const std::string name = fmt::format("seq_rep_{}", n);
    cols.push_back({name, "repetition", name});
  }
  for (const char* name : {"rep_w16", "rep_r", "longest_repeat", "loop_rate"}) {
    cols.push_back({name, "repetition", name});
  }
  if (abc) cols.push_back({"bar_repetition", "repetition", "bar_repetition"});
  for (size_t k = 0; k < st::kFeatureCount; ++k) {
    const st::Feature f = st::feature_at(k);
    const std::string name(st::feature_name(f));
    const size_t size = st::feature_size(f);
    for (size_t i = 0; i < size; ++i) {
      cols.push_back({size == 1 ? name : fmt::format("{}[{}]", name, i), "statistics", name});
    }
  }
  return cols;
}

size_t MetricsTable::index(const std::string& column) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == column) return i;
  }
  throw std::out_of_range("no metrics column " + column);
}

std::vector<double> MetricsTable::column_values(size_t column) const {
  std::vector<double> v;
  v.reserve(rows.size());
  for (const MetricsRow& r : rows) v.push_back(r.values[column]);
  return v;
}

st::Summary MetricsTable::summary(size_t column) const {
  return st::summarize(column_values(column));
}

void write_csv(const MetricsTable& table, std::ostream& out) {
  out << "file,piece";
  for (const MetricsColumn& c : table.columns) out << ',' << csv_field(c.name);
  out << '\n';
  for (const MetricsRow& r : table.rows) {
    out << csv_field(r.file) << ',' << r.piece;
    for (double x : r.values) {
      out << ',';
      if (std::isfinite(x)) out << fmt::format("{}", x);  // shortest exact form
    }
    out << '\n';
  }
}

void write_jsonl(const MetricsTable& table, std::ostream& out) {
  for (const MetricsRow& r : table.rows) {
    nlohmann::ordered_json j;
    j["file"] = r.file;
    j["piece"] = r.piece;
    // A vector feature's name[i] columns become one array.
    for (size_t i = 0; i < table.columns.size(); ++i) {
      const MetricsColumn& c = table.columns[i];
      const double x = r.values[i];
      const nlohmann::ordered_json value =
          std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr);
      if (c.name == c.feature) {
        j[c.name] = value;
      } else {
        j[c.feature].push_back(value);
      }
    }
    out << j.dump() << '\n';
  }
}

}  // namespace tb
