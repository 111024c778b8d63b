// The report's tables as Markdown, CSV and JSON (render_report.hpp).
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "reports/render_report.hpp"

namespace tb {
namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string step_text(const std::optional<int64_t>& step) {
  return step ? std::to_string(*step) : "";
}

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

std::string cell_text(const LeaderboardCell& c) {
  std::string s = format_report_value(c.value);
  if (std::isfinite(c.standard_error)) s += " ± " + format_report_value(c.standard_error);
  if (c.leader) s += " (best)";
  if (c.tie) s += " ≈";
  return s;
}

}  // namespace

std::string format_report_value(double value) {
  if (std::isnan(value)) return "nan";
  return fmt::format("{:.4f}", value);
}

std::string render_report_markdown(const ReportData& data) {
  const Leaderboard& board = data.leaderboard;
  std::string out = "# tunebench leaderboard\n\nStore: `" + data.store_path + "`\n\n";
  out += "| rank | model | step |";
  for (const std::string& s : board.suites) out += " " + s + " |";
  out += " mean rank |\n|---:|---|---:|";
  for (size_t i = 0; i < board.suites.size(); ++i) out += "---:|";
  out += "---:|\n";
  for (size_t r = 0; r < board.rows.size(); ++r) {
    const LeaderboardRow& row = board.rows[r];
    out += fmt::format("| {} | {} | {} |", r + 1, row.model, step_text(row.step));
    for (const std::string& s : board.suites) {
      const auto it = row.cells.find(s);
      out += fmt::format(" {} |", it == row.cells.end() ? std::string("-") : cell_text(it->second));
    }
    out += fmt::format(" {:.2f} |\n", row.mean_rank);
  }
  out += "\nHeadline metric per suite: ";
  for (const std::string& s : board.suites) {
    for (const LeaderboardRow& row : board.rows) {
      const auto it = row.cells.find(s);
      if (it == row.cells.end()) continue;
      out += fmt::format("{} {} ({} is better); ", s, it->second.metric,
                         to_string(it->second.direction));
      break;
    }
  }
  out += "≈: within noise of the best (paired test, p >= 0.05).\n";
  for (const Curve& c : data.curves) {
    out +=
        fmt::format("\n## {} {} by step\n\n| run | step | value | stderr |\n|---|---:|---:|---:|\n",
                    c.suite, c.metric);
    for (const auto& [name, points] : c.series) {
      for (const CurvePoint& p : points) {
        out += fmt::format("| {} | {} | {} | {} |\n", name, p.step, format_report_value(p.value),
                           format_report_value(p.standard_error));
      }
    }
  }
  for (const SubsetTable& t : data.subsets) {
    out += fmt::format("\n## {} {} by subset\n\n| model |", t.suite, t.metric);
    for (const std::string& s : t.subsets) out += " " + s + " |";
    out += "\n|---|";
    for (size_t i = 0; i < t.subsets.size(); ++i) out += "---:|";
    out += "\n";
    for (size_t m = 0; m < t.models.size(); ++m) {
      out += "| " + t.models[m] + " |";
      for (double v : t.values[m]) out += fmt::format(" {} |", format_report_value(v));
      out += "\n";
    }
  }
  if (!data.throughput.empty()) {
    out +=
        "\n## Throughput\n\n| model | suite | phase | device | tokens/s | TFLOP/s | MFU |\n"
        "|---|---|---|---|---:|---:|---:|\n";
    for (const ThroughputRow& t : data.throughput) {
      out += fmt::format("| {} | {} | {} | {} | {:.1f} | {} | {} |\n", t.model, t.suite, t.phase,
                         t.device, t.tokens_per_s, format_report_value(t.tflops),
                         format_report_value(t.mfu));
    }
  }
  return out;
}

std::string render_report_csv(const ReportData& data) {
  std::string out = "section,model,step,suite,metric,value,stderr,leader,tie,p_value,rank\n";
  const Leaderboard& board = data.leaderboard;
  for (size_t r = 0; r < board.rows.size(); ++r) {
    const LeaderboardRow& row = board.rows[r];
    for (const std::string& s : board.suites) {
      const auto it = row.cells.find(s);
      if (it == row.cells.end()) continue;
      const LeaderboardCell& c = it->second;
      out += fmt::format("leaderboard,{},{},{},{},{},{},{},{},{},{}\n", csv_field(row.model),
                         step_text(row.step), csv_field(s), c.metric, format_report_value(c.value),
                         format_report_value(c.standard_error), c.leader ? 1 : 0, c.tie ? 1 : 0,
                         format_report_value(c.p_value), r + 1);
    }
  }
  for (const Curve& c : data.curves) {
    for (const auto& [name, points] : c.series) {
      for (const CurvePoint& p : points) {
        out += fmt::format("curve,{},{},{},{},{},{},,,,\n", csv_field(name), p.step,
                           csv_field(c.suite), c.metric, format_report_value(p.value),
                           format_report_value(p.standard_error));
      }
    }
  }
  for (const SubsetTable& t : data.subsets) {
    for (size_t m = 0; m < t.models.size(); ++m) {
      for (size_t s = 0; s < t.subsets.size(); ++s) {
        out += fmt::format("subset,{},,{},{},{},,,,,\n", csv_field(t.models[m]),
                           csv_field(t.suite + "/" + t.subsets[s]), t.metric,
                           format_report_value(t.values[m][s]));
      }
    }
  }
  return out;
}

std::string render_report_json(const ReportData& data) {
  nlohmann::json out;
  out["store"] = data.store_path;
  out["suites"] = data.leaderboard.suites;
  nlohmann::json rows = nlohmann::json::array();
  for (const LeaderboardRow& row : data.leaderboard.rows) {
    nlohmann::json cells = nlohmann::json::object();
    for (const auto& [suite, c] : row.cells) {
      cells[suite] = {{"run", c.run_id},
                      {"metric", c.metric},
                      {"direction", to_string(c.direction)},
                      {"value", number_or_null(c.value)},
                      {"value_text", format_report_value(c.value)},
                      {"stderr", number_or_null(c.standard_error)},
                      {"leader", c.leader},
                      {"tie", c.tie},
                      {"test", c.test},
                      {"p_value", number_or_null(c.p_value)}};
    }
    rows.push_back({{"model", row.model},
                    {"step", row.step ? nlohmann::json(*row.step) : nlohmann::json(nullptr)},
                    {"mean_rank", row.mean_rank},
                    {"cells", cells}});
  }
  out["leaderboard"] = rows;
  nlohmann::json curves = nlohmann::json::array();
  for (const Curve& c : data.curves) {
    nlohmann::json series = nlohmann::json::object();
    for (const auto& [name, points] : c.series) {
      nlohmann::json ps = nlohmann::json::array();
      for (const CurvePoint& p : points)
        ps.push_back({{"step", p.step},
                      {"value", number_or_null(p.value)},
                      {"stderr", number_or_null(p.standard_error)},
                      {"run", p.run_id}});
      series[name] = ps;
    }
    curves.push_back({{"suite", c.suite}, {"metric", c.metric}, {"series", series}});
  }
  out["curves"] = curves;
  nlohmann::json generation = nlohmann::json::array();
  for (const GenerationPanel& g : data.generation) {
    nlohmann::json validity = nlohmann::json::object(), repetition = nlohmann::json::object();
    for (const auto& [k, v] : g.validity) validity[k] = number_or_null(v);
    for (const auto& [k, v] : g.repetition) repetition[k] = number_or_null(v);
    generation.push_back({{"run", g.run_id},
                          {"model", g.model},
                          {"suite", g.suite},
                          {"validity", validity},
                          {"repetition", repetition}});
  }
  out["generation"] = generation;
  nlohmann::json throughput = nlohmann::json::array();
  for (const ThroughputRow& t : data.throughput) {
    throughput.push_back({{"run", t.run_id},
                          {"model", t.model},
                          {"suite", t.suite},
                          {"phase", t.phase},
                          {"device", t.device},
                          {"commit", t.commit},
                          {"tokens_per_s", number_or_null(t.tokens_per_s)},
                          {"tflops", number_or_null(t.tflops)},
                          {"mfu", number_or_null(t.mfu)}});
  }
  out["throughput"] = throughput;
  return out.dump(2) + "\n";
}

}  // namespace tb
