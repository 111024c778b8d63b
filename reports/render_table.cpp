#include "reports/render_table.hpp"

#include <array>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "suites/metric_registry.hpp"

namespace tb {

namespace {

constexpr size_t kColumns = 7;
using Row = std::array<std::string, kColumns>;
constexpr Row kHeader = {"Suite", "Version", "Subset", "Metric", "Value", "Stderr", "N"};
constexpr std::array<bool, kColumns> kRightAligned = {false, false, false, false, true, true, true};

// Columns on screen: UTF-8 continuation bytes take none (the arrows are 3 bytes, 1 column).
size_t display_width(const std::string& text) {
  size_t width = 0;
  for (const char c : text)
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++width;
  return width;
}

std::string number(double value) {
  return std::isfinite(value) ? fmt::format("{:.4f}", value) : "N/A";
}

// A literal '|' would end a Markdown cell early.
std::string escape_markdown(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string pad(const std::string& text, size_t width, bool right) {
  const std::string fill(width - std::min(width, display_width(text)), ' ');
  return right ? fill + text : text + fill;
}

std::string trim_right(std::string line) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

// The registry's direction (no arrow for descriptive figures); the stored flag for a metric the
// registry does not know.
std::string arrow(const MetricValue& m) {
  const auto info = find_metric(m.name);
  const Direction d =
      info ? info->direction : (m.higher_is_better ? Direction::Higher : Direction::Lower);
  return d == Direction::Higher ? " \u2191" : d == Direction::Lower ? " \u2193" : "";
}

}  // namespace

std::string render_metric_table(const Run& run, std::span<const MetricValue> metrics,
                                TableFormat format) {
  const bool markdown = format == TableFormat::Markdown;
  std::vector<Row> rows = {kHeader};
  for (const MetricValue& m : metrics) {
    const bool first = rows.size() == 1;
    Row row = {first ? run.info.suite : "",
               first ? run.info.suite_version : "",
               m.subset.empty() ? "(all)" : m.subset,
               m.name + arrow(m),
               number(m.value),
               number(m.standard_error),
               std::to_string(m.n)};
    if (markdown)
      for (auto& cell : row) cell = escape_markdown(cell);
    rows.push_back(std::move(row));
  }
  std::array<size_t, kColumns> widths{};
  for (const Row& row : rows)
    for (size_t c = 0; c < kColumns; ++c) widths[c] = std::max(widths[c], display_width(row[c]));

  std::string out;
  auto emit = [&](const Row& row) {
    std::string line = markdown ? "|" : "";
    for (size_t c = 0; c < kColumns; ++c) {
      const std::string cell = pad(row[c], widths[c], kRightAligned[c]);
      line += markdown ? " " + cell + " |" : (c == 0 ? "" : "  ") + cell;
    }
    out += trim_right(line) + "\n";
  };
  emit(rows[0]);
  // The rule under the header; Markdown marks right-aligned columns with a trailing ':'.
  std::string rule = markdown ? "|" : "";
  for (size_t c = 0; c < kColumns; ++c) {
    if (markdown)
      rule += kRightAligned[c] ? std::string(widths[c] + 1, '-') + ":|"
                               : std::string(widths[c] + 2, '-') + "|";
    else
      rule += (c == 0 ? "" : "  ") + std::string(widths[c], '-');
  }
  out += rule + "\n";
  for (size_t r = 1; r < rows.size(); ++r) emit(rows[r]);
  return out;
}

}  // namespace tb
