// The report as one HTML page (render_report.hpp): inline CSS and SVG, no script.
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "reports/render_report.hpp"
#include "reports/svg_chart.hpp"
#include "reports/xml_escape.hpp"

namespace tb {
namespace {

constexpr const char* kStyle = R"(
body{font-family:sans-serif;margin:24px;max-width:1300px;color:#222}
h1{margin-bottom:4px} h2{margin-top:36px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:8px 0} td,th{border:1px solid #ccc;padding:3px 8px}
th{background:#f3f3f3} td.num{text-align:right;font-variant-numeric:tabular-nums}
td.leader{background:#d9ecf7;font-weight:bold} td.tie{background:#eef6fb}
.charts{display:flex;flex-wrap:wrap;gap:16px} figure{margin:0} .note{color:#666;font-size:90%}
pre{background:#f7f7f7;padding:8px;overflow-x:auto;max-height:320px}
details{margin:8px 0;border:1px solid #ddd;padding:6px} summary{cursor:pointer;font-weight:bold}
.score svg{max-width:100%;height:auto;background:#fff}
pre .prompt{color:#888} pre .completion{color:#000}
)";

// Option index as its letter (0 -> A); "-" when there is none.
std::string option_letter(int index) {
  if (index < 0 || index >= 26) return "-";
  return std::string(1, static_cast<char>('A' + index));
}

std::string value_cell(double v, const char* cls = "num") {
  return fmt::format("<td class=\"{}\">{}</td>", cls, format_report_value(v));
}

std::string short_name(const std::string& path) {
  return path.size() > 48 ? "…" + path.substr(path.size() - 47) : path;
}

void leaderboard(std::string& out, const Leaderboard& board) {
  out += "<h2 id=\"leaderboard-heading\">Leaderboard</h2>";
  if (board.rows.empty()) {
    out += "<p class=\"note\">No finished evaluation runs.</p>";
    return;
  }
  out += "<table id=\"leaderboard\"><thead><tr><th>rank</th><th>model</th><th>step</th>";
  for (const std::string& s : board.suites) {
    std::string metric, direction;
    for (const LeaderboardRow& row : board.rows) {
      const auto it = row.cells.find(s);
      if (it == row.cells.end()) continue;
      metric = it->second.metric;
      direction = it->second.direction == Direction::Lower ? "↓" : "↑";
      break;
    }
    out += fmt::format("<th>{}<br><span class=\"note\">{} {}</span></th>", xml_escape(s),
                       xml_escape(metric), direction);
  }
  out += "<th>mean rank</th></tr></thead><tbody>";
  for (size_t r = 0; r < board.rows.size(); ++r) {
    const LeaderboardRow& row = board.rows[r];
    out += fmt::format(
        "<tr class=\"model-row\"><td class=\"num\">{}</td><td title=\"{}\">{}</td>"
        "<td class=\"num\">{}</td>",
        r + 1, xml_escape(row.model), xml_escape(short_name(row.model)),
        row.step ? std::to_string(*row.step) : "");
    for (const std::string& s : board.suites) {
      const auto it = row.cells.find(s);
      if (it == row.cells.end()) {
        out += "<td>-</td>";
        continue;
      }
      const LeaderboardCell& c = it->second;
      const char* cls = c.leader ? "num leader" : c.tie ? "num tie" : "num";
      std::string text = format_report_value(c.value);
      if (std::isfinite(c.standard_error)) text += " ± " + format_report_value(c.standard_error);
      if (c.tie) text += " ≈";
      std::string title = "run " + std::to_string(c.run_id);
      if (!c.test.empty())
        title += fmt::format(", {} p = {:.3g} against the best", c.test, c.p_value);
      out +=
          fmt::format("<td class=\"{}\" data-suite=\"{}\" data-value=\"{}\" title=\"{}\">{}</td>",
                      cls, xml_escape(s), format_report_value(c.value), xml_escape(title), text);
    }
    out += fmt::format("<td class=\"num\">{:.2f}</td></tr>", row.mean_rank);
  }
  out +=
      "</tbody></table><p class=\"note\">Best first by mean rank over the suites. Bold: the "
      "best of a column; ≈: within noise of it (the paired test <code>tunebench compare</code> "
      "uses on the shared documents, p ≥ 0.05). ± is the standard error.</p>";
}

void curves(std::string& out, const std::vector<Curve>& curves) {
  out += "<h2 id=\"curves-heading\">Metrics over training steps</h2>";
  if (curves.empty()) {
    out +=
        "<p class=\"note\">No run's model path names a training step "
        "(checkpoint-N, iter_N, step-N).</p>";
    return;
  }
  out += "<div class=\"charts\" id=\"curves\">";
  for (const Curve& c : curves) {
    svg::LineChart chart;
    chart.title = c.suite + ": " + c.metric +
                  (c.direction == Direction::Lower ? " (lower is better)" : " (higher is better)");
    chart.x_label = "training step";
    chart.y_label = c.metric;
    for (const auto& [name, points] : c.series) {
      svg::LineSeries s{short_name(name), {}};
      for (const CurvePoint& p : points)
        s.points.push_back({static_cast<double>(p.step), p.value, p.standard_error});
      chart.series.push_back(std::move(s));
    }
    out += fmt::format("<figure class=\"curve\" data-suite=\"{}\" data-metric=\"{}\">{}</figure>",
                       xml_escape(c.suite), xml_escape(c.metric), svg::line_chart(chart));
  }
  out += "</div><p class=\"note\">Bands: ± one standard error.</p>";
}

void subsets(std::string& out, const std::vector<SubsetTable>& tables) {
  if (tables.empty()) return;
  out += "<h2 id=\"subsets-heading\">By subset</h2><div id=\"subsets\">";
  for (const SubsetTable& t : tables) {
    out += fmt::format("<h3>{}: {} by subset</h3>", xml_escape(t.suite), xml_escape(t.metric));
    if (t.subsets.size() <= 16) {
      svg::BarChart chart;
      chart.title = t.suite + ": " + t.metric + " by subset";
      chart.value_label = t.metric;
      chart.categories = t.subsets;
      for (const std::string& m : t.models) chart.series.push_back(short_name(m));
      chart.values.assign(t.models.size(), std::vector<double>(t.subsets.size()));
      for (size_t m = 0; m < t.models.size(); ++m) chart.values[m] = t.values[m];
      chart.max_value = t.metric.find("acc") != std::string::npos ? 1.0 : 0.0;
      out += svg::bar_chart(chart);
    }
    out += "<table class=\"subset-table\"><tr><th>model</th>";
    for (const std::string& s : t.subsets) out += "<th>" + xml_escape(s) + "</th>";
    out += "</tr>";
    for (size_t m = 0; m < t.models.size(); ++m) {
      out += "<tr><td>" + xml_escape(short_name(t.models[m])) + "</td>";
      for (double v : t.values[m]) out += value_cell(v);
      out += "</tr>";
    }
    out += "</table>";
  }
  out += "</div>";
}

void generation(std::string& out, const std::vector<GenerationPanel>& panels) {
  out += "<h2 id=\"generation-heading\">Generation</h2>";
  if (panels.empty()) {
    out += "<p class=\"note\">No generation runs.</p>";
    return;
  }
  out += "<div class=\"charts\" id=\"generation\">";
  // Validity: ABC levels stacked per run; MIDI-token checks as rates.
  svg::StackedBars levels{"ABC validity levels (share of tunes)", {}, {}, {}};
  svg::BarChart checks{"MIDI-token validity checks", "rate", {}, {}, {}, 1.0};
  svg::BarChart repetition{"Repetition and loops", "rate", {}, {}, {}, 1.0};
  std::set<std::string> check_names, repetition_names;
  for (const GenerationPanel& p : panels) {
    for (const auto& [k, v] : p.repetition) repetition_names.insert(k);
    if (!p.validity_is_levels)
      for (const auto& [k, v] : p.validity) check_names.insert(k);
  }
  checks.categories.assign(check_names.begin(), check_names.end());
  repetition.categories.assign(repetition_names.begin(), repetition_names.end());
  auto lookup = [](const std::vector<std::pair<std::string, double>>& values,
                   const std::string& key) {
    for (const auto& [k, v] : values)
      if (k == key) return v;
    return std::nan("");
  };
  for (const GenerationPanel& p : panels) {
    const std::string label = p.suite + " · " + short_name(p.model);
    if (p.validity_is_levels) {
      levels.rows.push_back(label);
      std::vector<double> row;
      if (levels.parts.empty())
        for (const auto& [k, v] : p.validity) levels.parts.push_back(k);
      for (const auto& [k, v] : p.validity) row.push_back(v);
      levels.values.push_back(row);
    } else {
      checks.series.push_back(label);
      std::vector<double> row;
      for (const std::string& c : checks.categories) row.push_back(lookup(p.validity, c));
      checks.values.push_back(row);
    }
    repetition.series.push_back(label);
    std::vector<double> row;
    for (const std::string& c : repetition.categories) row.push_back(lookup(p.repetition, c));
    repetition.values.push_back(row);
  }
  out += "<figure class=\"validity\">";
  if (!levels.rows.empty()) out += svg::stacked_bars(levels);
  if (!checks.series.empty()) out += svg::bar_chart(checks);
  out += "</figure>";
  if (!repetition.categories.empty())
    out += "<figure class=\"repetition\">" + svg::bar_chart(repetition) + "</figure>";
  out += "</div>";
  out +=
      "<p class=\"note\">ABC level k: tiers 1..k all met (1: parses with no error; 2: the "
      "tune header as ABC 2.1 defines it; 3: every inner bar matches the meter; 4: all voices "
      "have the same number of bars); level 0 fails tier 1. loop: ends in a repeated cycle; "
      "seq_rep_4: share of repeated 4-grams; lrs_ratio: longest repeated substring over "
      "length.</p>";
  for (const GenerationPanel& p : panels) {
    if (p.kl.empty() && p.oa.empty()) continue;
    out += fmt::format("<h3>{} · {}: pitch and rhythm against the reference set</h3>",
                       xml_escape(p.suite), xml_escape(short_name(p.model)));
    svg::BarChart oa{"Overlap area with the reference (higher is closer)",
                     "overlap area",
                     {},
                     {"overlap area"},
                     {{}},
                     1.0};
    out += "<table class=\"kl-oa\"><tr><th>feature</th><th>KL ↓</th><th>overlap area ↑</th></tr>";
    for (const auto& [feature, v] : p.oa) {
      oa.categories.push_back(feature);
      oa.values[0].push_back(v);
      out += "<tr><td>" + xml_escape(feature) + "</td>" + value_cell(lookup(p.kl, feature)) +
             value_cell(v) + "</tr>";
    }
    out += "</table>";
    if (!oa.categories.empty()) out += "<figure class=\"oa\">" + svg::bar_chart(oa) + "</figure>";
  }
}

void throughput(std::string& out, const std::vector<ThroughputRow>& rows) {
  if (rows.empty()) return;
  out +=
      "<h2 id=\"throughput-heading\">Throughput</h2><table id=\"throughput\"><tr><th>model</th>"
      "<th>suite</th><th>phase</th><th>batch</th><th>tokens</th><th>device</th><th>dtype</th>"
      "<th>commit</th><th>tokens/s</th><th>TFLOP/s</th><th>MFU</th></tr>";
  for (const ThroughputRow& t : rows) {
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{:.1f}</td>{}{}</tr>",
        xml_escape(short_name(t.model)), xml_escape(t.suite), xml_escape(t.phase), t.batch, t.seq,
        xml_escape(t.device), xml_escape(t.dtype), xml_escape(t.commit.substr(0, 10)),
        t.tokens_per_s, value_cell(t.tflops), value_cell(t.mfu));
  }
  out +=
      "</table><p class=\"note\">MFU against the device table's peak for the run's dtype; "
      "nan where the device's peak is unknown.</p>";
}

void drill_down(std::string& out, const std::vector<RunDrillDown>& runs,
                const ReportAssets& assets) {
  out += "<h2 id=\"runs-heading\">Runs</h2>";
  for (const RunDrillDown& d : runs) {
    out += fmt::format(
        "<details class=\"run\" id=\"run-{}\"><summary>run {} · {} · {}{}</summary>", d.run.id,
        d.run.id, xml_escape(d.run.info.suite), xml_escape(short_name(d.model)),
        d.run.checkpoint_step ? " · step " + std::to_string(*d.run.checkpoint_step) : "");
    out += "<table><tr><th>metric</th><th>subset</th><th>value</th><th>stderr</th><th>n</th></tr>";
    for (const MetricValue& m : d.metrics) {
      out += "<tr><td>" + xml_escape(m.name) + "</td><td>" + xml_escape(m.subset) + "</td>" +
             value_cell(m.value) + value_cell(m.standard_error) +
             fmt::format("<td class=\"num\">{}</td></tr>", m.n);
    }
    out += "</table>";
    if (!d.hardest.empty()) {
      out +=
          "<h4>Hardest questions</h4><table class=\"hardest\"><tr><th>question</th>"
          "<th>gold</th><th>predicted</th><th>option scores (log-prob)</th><th>margin</th></tr>";
      for (const HardQuestion& q : d.hardest) {
        std::string scores;
        for (size_t i = 0; i < q.option_scores.size(); ++i) {
          const std::string v = fmt::format("{:.3f}", q.option_scores[i]);
          scores += static_cast<int>(i) == q.gold ? "<b>" + v + "</b> " : v + " ";
        }
        out += fmt::format(
            "<tr><td><pre>{}</pre></td><td>{} {}</td><td>{}</td><td>{}</td><td class=\"num\">"
            "{:.3f}</td></tr>",
            xml_escape(q.question), option_letter(q.gold), xml_escape(q.target),
            option_letter(q.prediction), scores, q.margin);
      }
      out += "</table>";
    }
    for (size_t i = 0; i < d.generations.size(); ++i) {
      const SampleResult& s = d.generations[i].result;
      // The prompt, greyed, then what the model wrote.
      out += fmt::format(
          "<div class=\"piece\"><h4>piece {}</h4><pre><span class=\"prompt\" title=\"prompt\">"
          "{}</span><span class=\"completion\" title=\"generated\">{}</span></pre>",
          xml_escape(s.doc_id), xml_escape(s.prompt), xml_escape(s.response));
      const auto it = assets.pieces.find({d.run.id, i});
      if (it != assets.pieces.end()) {
        const PieceAssets& a = it->second;
        if (!a.score_svg.empty()) out += "<div class=\"score\">" + a.score_svg + "</div>";
        if (!a.roll_svg.empty()) out += "<div class=\"roll\">" + a.roll_svg + "</div>";
        if (!a.midi_href.empty())
          out += "<p><a href=\"" + xml_escape(a.midi_href) + "\">MIDI file</a></p>";
        if (!a.audio_href.empty())
          out +=
              "<audio controls preload=\"none\" src=\"" + xml_escape(a.audio_href) + "\"></audio>";
      }
      out += "</div>";
    }
    out += "</details>";
  }
}

}  // namespace

std::string render_report_html(const ReportData& data, const ReportAssets& assets) {
  std::string out =
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>tunebench report</title><style>";
  out += kStyle;
  out += "</style></head><body><h1>tunebench report</h1>";
  out += "<p class=\"note\">Store <code>" + xml_escape(data.store_path) + "</code>.</p>";
  leaderboard(out, data.leaderboard);
  curves(out, data.curves);
  subsets(out, data.subsets);
  generation(out, data.generation);
  throughput(out, data.throughput);
  drill_down(out, data.runs, assets);
  if (!assets.notes.empty()) {
    out += "<h2>Notes</h2><ul id=\"report-notes\">";
    for (const std::string& n : assets.notes) out += "<li>" + xml_escape(n) + "</li>";
    out += "</ul>";
  }
  out += "</body></html>\n";
  return out;
}

}  // namespace tb
