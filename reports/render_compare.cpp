#include "reports/render_compare.hpp"

#include <fmt/format.h>

#include <cmath>

namespace tb {

namespace {

std::string number(double v, int decimals = 4) {
  return std::isfinite(v) ? fmt::format("{:.{}f}", v, decimals) : "N/A";
}

std::string p_text(double p) {
  if (!std::isfinite(p)) return "-";
  return p < 1e-4 ? fmt::format("{:.2e}", p) : fmt::format("{:.4f}", p);
}

const char* arrow(Direction d) {
  return d == Direction::Higher ? " \u2191" : d == Direction::Lower ? " \u2193" : "";
}

// Whether the delta moved the metric the good way: "better", "worse" or "" (no direction).
std::string verdict(const ComparedMetric& c) {
  if (c.direction == Direction::None || c.delta == 0.0 || !std::isfinite(c.delta)) return "";
  const bool up = c.delta > 0;
  return up == (c.direction == Direction::Higher) ? "better" : "worse";
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (const char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

nlohmann::json json_number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json run_json(const Run& run) {
  return {{"id", run.id},
          {"model", run.info.model_path},
          {"model_hash", run.info.model_hash},
          {"checkpoint_step",
           run.checkpoint_step ? nlohmann::json(*run.checkpoint_step) : nlohmann::json(nullptr)},
          {"suite", run.info.suite},
          {"suite_version", run.info.suite_version}};
}

// Built with fmt::format: GCC 12's -Wrestrict misfires on concatenating short literals.
std::vector<std::string> row_cells(const Run& baseline, const ComparedMetric& c) {
  std::vector<std::string> cells;
  cells.push_back(baseline.info.suite);
  cells.push_back(c.subset.empty() ? std::string("(all)") : c.subset);
  cells.push_back(fmt::format("{}{}", c.metric, arrow(c.direction)));
  cells.push_back(number(c.baseline));
  cells.push_back(number(c.candidate));
  cells.push_back(fmt::format("{}{}", c.delta > 0 ? "+" : "", number(c.delta)));
  cells.push_back(number(c.baseline_stderr));
  cells.push_back(number(c.candidate_stderr));
  cells.push_back(c.test.empty() ? std::string("-") : fmt::format("{} (n={})", c.test, c.pairs));
  cells.push_back(p_text(c.p_value));
  cells.push_back(c.test.empty() ? "-" : (c.significant ? "yes" : "no"));
  cells.push_back(verdict(c));
  return cells;
}

const std::vector<std::string> kHeader = {"Suite",       "Subset", "Metric",       "Baseline",
                                          "Candidate",   "Delta",  "Stderr A",     "Stderr B",
                                          "Paired test", "p",      "Beyond noise", "Move"};

size_t width(const std::string& s) {
  size_t n = 0;  // code points, so that the arrows line up
  for (const unsigned char ch : s) n += (ch & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::string table(const std::vector<std::vector<std::string>>& rows, bool markdown) {
  std::vector<size_t> widths(kHeader.size(), 0);
  for (size_t i = 0; i < kHeader.size(); ++i) widths[i] = width(kHeader[i]);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], width(r[i]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = markdown ? "|" : "";
    for (size_t i = 0; i < cells.size(); ++i) {
      const std::string pad(widths[i] - width(cells[i]), ' ');
      out += markdown ? " " + cells[i] + pad + " |" : (i ? "  " : "") + cells[i] + pad;
    }
    while (!markdown && !out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(kHeader);
  if (markdown) {
    std::string sep = "|";
    for (const size_t w : widths) sep += std::string(w + 2, '-') + "|";
    out += sep + "\n";
  }
  for (const auto& r : rows) out += line(r);
  return out;
}

}  // namespace

std::string describe_run(const Run& run) {
  std::string out = fmt::format("run {} ({}", run.id, run.info.model_path);
  if (run.checkpoint_step) out += fmt::format(", step {}", *run.checkpoint_step);
  return out + ")";
}

nlohmann::json comparison_json(std::span<const ComparisonStep> steps) {
  nlohmann::json out = nlohmann::json::array();
  for (const ComparisonStep& step : steps) {
    nlohmann::json rows = nlohmann::json::array();
    for (const ComparedMetric& c : step.metrics) {
      rows.push_back({{"metric", c.metric},
                      {"subset", c.subset},
                      {"direction", to_string(c.direction)},
                      {"baseline", json_number(c.baseline)},
                      {"candidate", json_number(c.candidate)},
                      {"delta", json_number(c.delta)},
                      {"baseline_stderr", json_number(c.baseline_stderr)},
                      {"candidate_stderr", json_number(c.candidate_stderr)},
                      {"baseline_n", c.baseline_n},
                      {"candidate_n", c.candidate_n},
                      {"test", c.test.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.test)},
                      {"pairs", c.pairs},
                      {"only_baseline", c.only_baseline},
                      {"only_candidate", c.only_candidate},
                      {"ci_low", c.test == "bootstrap" ? json_number(c.ci_low) : nullptr},
                      {"ci_high", c.test == "bootstrap" ? json_number(c.ci_high) : nullptr},
                      {"p_value", json_number(c.p_value)},
                      {"beyond_noise", c.significant}});
    }
    out.push_back({{"baseline", run_json(step.baseline)},
                   {"candidate", run_json(step.candidate)},
                   {"metrics", rows}});
  }
  return out;
}

std::string render_comparison(std::span<const ComparisonStep> steps, CompareFormat format) {
  if (format == CompareFormat::Json) return comparison_json(steps).dump(2) + "\n";
  std::string out;
  if (format == CompareFormat::Csv) {
    out =
        "baseline_run,baseline_step,candidate_run,candidate_step,suite,subset,metric,direction,"
        "baseline,candidate,delta,baseline_stderr,candidate_stderr,test,pairs,p_value,"
        "beyond_noise\n";
    for (const ComparisonStep& s : steps) {
      for (const ComparedMetric& c : s.metrics) {
        auto step = [](const Run& r) {
          return r.checkpoint_step ? std::to_string(*r.checkpoint_step) : std::string();
        };
        auto raw = [](double v) { return std::isfinite(v) ? fmt::format("{}", v) : ""; };
        out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", s.baseline.id,
                           step(s.baseline), s.candidate.id, step(s.candidate),
                           csv_cell(s.baseline.info.suite), csv_cell(c.subset), csv_cell(c.metric),
                           to_string(c.direction), raw(c.baseline), raw(c.candidate), raw(c.delta),
                           raw(c.baseline_stderr), raw(c.candidate_stderr), c.test, c.pairs,
                           raw(c.p_value), c.test.empty() ? "" : (c.significant ? "1" : "0"));
      }
    }
    return out;
  }
  const bool markdown = format == CompareFormat::Markdown;
  for (const ComparisonStep& s : steps) {
    if (!out.empty()) out += "\n";
    out += fmt::format("{}{} -> {}\n", markdown ? "### " : "", describe_run(s.baseline),
                       describe_run(s.candidate));
    if (markdown) out += "\n";
    std::vector<std::vector<std::string>> rows;
    for (const ComparedMetric& c : s.metrics) rows.push_back(row_cells(s.baseline, c));
    out += table(rows, markdown);
  }
  return out;
}

}  // namespace tb
