#include "reports/report_data.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

#include "harness/core/error.hpp"
#include "reports/compare.hpp"

namespace tb {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The suite's headline: its first whole-suite metric that has a better direction.
const MetricValue* headline(const std::vector<MetricValue>& metrics) {
  for (const MetricValue& m : metrics) {
    if (m.subset.empty() && metric_direction(m.name) != Direction::None) return &m;
  }
  return nullptr;
}

bool better(double a, double b, Direction d) {
  return d == Direction::Lower ? a < b : a > b;
}

// The training run a checkpoint belongs to: its path without the component that names a step.
std::string run_directory(const std::string& model_path) {
  const std::filesystem::path p = std::filesystem::path(model_path).lexically_normal();
  std::filesystem::path out;
  for (const auto& part : p) {
    if (part.empty()) continue;
    if (parse_checkpoint_step(part.string())) break;
    out /= part;
  }
  return out.empty() ? model_path : out.string();
}

double metric_value(const std::vector<MetricValue>& metrics, const std::string& name) {
  for (const MetricValue& m : metrics)
    if (m.subset.empty() && m.name == name) return m.value;
  return kNaN;
}

// Metrics worth a curve: a direction, and not one of the fine-grained generation figures the
// generation panels already show (per-tier rates, every n-gram order, how tunes ended).
bool curve_worthy(const std::string& name) {
  if (metric_direction(name) == Direction::None) return false;
  for (const char* prefix : {"tier", "level_at_least_", "finish_", "seq_rep_1", "seq_rep_2",
                             "seq_rep_3", "rep_w", "rep_r"}) {
    if (name.starts_with(prefix)) return false;
  }
  return true;
}

bool has_metric(const std::vector<MetricValue>& metrics, const std::string& name) {
  return !std::isnan(metric_value(metrics, name));
}

class Gatherer {
 public:
  Gatherer(const Store& store, const ReportOptions& options) : store_(store), options_(options) {}

  ReportData gather() {
    ReportData out;
    out.store_path = store_.path();
    select_runs();
    build_leaderboard(out.leaderboard);
    build_curves(out.curves);
    build_subsets(out.subsets);
    build_generation(out.generation);
    build_throughput(out.throughput);
    build_drill_downs(out.runs);
    return out;
  }

 private:
  void select_runs() {
    const std::vector<Run> all = store_.list_runs();
    std::set<int64_t> wanted(options_.run_ids.begin(), options_.run_ids.end());
    for (const int64_t id : wanted) {
      const Run r = store_.run(id);  // throws for an unknown id
      if (r.status != RunStatus::Finished) {
        throw Error(ErrorKind::BadInput, store_.path() + ": run " + std::to_string(id) +
                                             " has not finished (" + to_string(r.status) + ")");
      }
    }
    for (const Run& r : all) {
      if (r.status != RunStatus::Finished) continue;
      if (!wanted.empty() && !wanted.count(r.id)) continue;
      runs_.push_back(r);
      metrics_[r.id] = store_.metrics(r.id);
    }
  }

  const RunData& data(int64_t id) {
    auto it = data_.find(id);
    if (it == data_.end()) it = data_.emplace(id, load_run_data(store_, id)).first;
    return it->second;
  }

  void build_leaderboard(Leaderboard& board) {
    std::map<std::string, size_t> row_of;
    for (const Run& r : runs_) {
      if (r.info.suite == "profile") continue;
      const MetricValue* h = headline(metrics_[r.id]);
      if (h == nullptr) continue;
      if (std::find(board.suites.begin(), board.suites.end(), r.info.suite) == board.suites.end())
        board.suites.push_back(r.info.suite);
      auto [it, inserted] = row_of.emplace(r.info.model_path, board.rows.size());
      if (inserted) board.rows.push_back({r.info.model_path, r.checkpoint_step, {}, 0.0});
      LeaderboardCell cell;
      cell.run_id = r.id;
      cell.metric = h->name;
      cell.direction = metric_direction(h->name);
      cell.value = h->value;
      cell.standard_error = h->standard_error;
      cell.p_value = kNaN;
      board.rows[it->second].cells[r.info.suite] = cell;  // the latest run of a suite wins
    }
    for (const std::string& suite : board.suites) mark_column(board, suite);
    for (LeaderboardRow& row : board.rows) {
      double total = 0.0;
      for (const auto& [suite, cell] : row.cells) {
        int better_rows = 0;
        for (const LeaderboardRow& other : board.rows) {
          const auto o = other.cells.find(suite);
          if (o != other.cells.end() && better(o->second.value, cell.value, cell.direction))
            ++better_rows;
        }
        total += 1.0 + better_rows;
      }
      row.mean_rank = row.cells.empty() ? kNaN : total / static_cast<double>(row.cells.size());
    }
    std::stable_sort(board.rows.begin(), board.rows.end(),
                     [](const LeaderboardRow& a, const LeaderboardRow& b) {
                       if (a.mean_rank != b.mean_rank) return a.mean_rank < b.mean_rank;
                       return a.model < b.model;
                     });
  }

  // The column's leader, and for every other cell the paired test against it.
  void mark_column(Leaderboard& board, const std::string& suite) {
    LeaderboardCell* leader = nullptr;
    for (LeaderboardRow& row : board.rows) {
      const auto it = row.cells.find(suite);
      if (it == row.cells.end()) continue;
      if (leader == nullptr || better(it->second.value, leader->value, it->second.direction))
        leader = &it->second;
    }
    if (leader == nullptr) return;
    leader->leader = true;
    for (LeaderboardRow& row : board.rows) {
      const auto it = row.cells.find(suite);
      if (it == row.cells.end() || &it->second == leader) continue;
      LeaderboardCell& cell = it->second;
      if (cell.metric != leader->metric) continue;
      for (const ComparedMetric& c :
           compare_runs(data(leader->run_id), data(cell.run_id), CompareOptions{})) {
        if (c.metric != cell.metric || !c.subset.empty() || c.test.empty()) continue;
        cell.test = c.test;
        cell.p_value = c.p_value;
        cell.tie = !c.significant;
      }
    }
  }

  void build_curves(std::vector<Curve>& curves) {
    std::map<std::pair<std::string, std::string>, size_t> index;
    for (const Run& r : runs_) {
      if (!r.checkpoint_step || r.info.suite == "profile") continue;
      for (const MetricValue& m : metrics_[r.id]) {
        if (!m.subset.empty() || !curve_worthy(m.name)) continue;
        const auto key = std::make_pair(r.info.suite, m.name);
        auto [it, inserted] = index.emplace(key, curves.size());
        if (inserted) curves.push_back({r.info.suite, m.name, metric_direction(m.name), {}});
        curves[it->second].series[run_directory(r.info.model_path)].push_back(
            {*r.checkpoint_step, m.value, m.standard_error, r.id});
      }
    }
    for (Curve& c : curves) {
      for (auto& [name, points] : c.series) {
        std::sort(points.begin(), points.end(),
                  [](const CurvePoint& a, const CurvePoint& b) { return a.step < b.step; });
      }
    }
    // A metric seen at one step only has no curve to draw.
    std::erase_if(curves, [](const Curve& c) {
      return std::none_of(c.series.begin(), c.series.end(),
                          [](const auto& s) { return s.second.size() >= 2; });
    });
  }

  void build_subsets(std::vector<SubsetTable>& tables) {
    std::map<std::string, size_t> index;  // by suite
    for (const Run& r : runs_) {
      const MetricValue* h = headline(metrics_[r.id]);
      if (h == nullptr) continue;
      for (const MetricValue& m : metrics_[r.id]) {
        if (m.subset.empty() || m.name != h->name) continue;
        auto [it, inserted] = index.emplace(r.info.suite, tables.size());
        if (inserted) tables.push_back({r.info.suite, h->name, {}, {}, {}});
        SubsetTable& t = tables[it->second];
        auto s = std::find(t.subsets.begin(), t.subsets.end(), m.subset);
        if (s == t.subsets.end()) {
          t.subsets.push_back(m.subset);
          for (auto& row : t.values) row.push_back(kNaN);
          s = t.subsets.end() - 1;
        }
        auto model = std::find(t.models.begin(), t.models.end(), r.info.model_path);
        if (model == t.models.end()) {
          t.models.push_back(r.info.model_path);
          t.values.emplace_back(t.subsets.size(), kNaN);
          model = t.models.end() - 1;
        }
        t.values[static_cast<size_t>(model - t.models.begin())]
                [static_cast<size_t>(s - t.subsets.begin())] = m.value;
      }
    }
  }

  void build_generation(std::vector<GenerationPanel>& panels) {
    for (const Run& r : runs_) {
      const std::vector<MetricValue>& ms = metrics_[r.id];
      const bool abc = has_metric(ms, "level_at_least_1");
      const bool tokens = has_metric(ms, "valid");
      if (!abc && !tokens) continue;
      GenerationPanel p;
      p.run_id = r.id;
      p.model = r.info.model_path;
      p.suite = r.info.suite;
      if (abc) {
        // Level k exactly: at least k minus at least k + 1 (level 0: fails tier 1).
        p.validity_is_levels = true;
        double previous = 1.0;
        for (int k = 1; k <= 4; ++k) {
          const double at_least = metric_value(ms, "level_at_least_" + std::to_string(k));
          if (std::isnan(at_least)) break;
          p.validity.emplace_back("level " + std::to_string(k - 1), previous - at_least);
          previous = at_least;
        }
        p.validity.emplace_back("level 4", previous);
      } else {
        for (const char* check : {"valid", "well_formed", "known_tokens", "decode_clean",
                                  "bar_length", "pitch_in_range", "duration_positive"}) {
          if (has_metric(ms, check)) p.validity.emplace_back(check, metric_value(ms, check));
        }
      }
      for (const char* name :
           {"loop", "seq_rep_4", "lrs_ratio", "bar_repetition", "rep_w16", "truncated"}) {
        if (has_metric(ms, name)) p.repetition.emplace_back(name, metric_value(ms, name));
      }
      for (const MetricValue& m : ms) {
        if (!m.subset.empty()) continue;
        if (m.name.starts_with("kl_")) p.kl.emplace_back(m.name.substr(3), m.value);
        if (m.name.starts_with("oa_")) p.oa.emplace_back(m.name.substr(3), m.value);
      }
      panels.push_back(std::move(p));
    }
  }

  void build_throughput(std::vector<ThroughputRow>& rows) {
    for (const Run& r : runs_) {
      for (const ProfileRow& p : store_.profiles(r.id)) {
        if (p.is_bookkeeping() || !std::isfinite(p.tokens_per_s)) continue;
        ThroughputRow t;
        t.run_id = r.id;
        t.model = r.info.model_path;
        t.suite = r.info.suite;
        t.phase = p.phase;
        t.device = r.info.device;
        t.commit = r.info.tunebench_git_sha;
        t.dtype = r.info.dtype;
        t.batch = p.batch;
        t.seq = p.seq;
        t.tokens_per_s = p.tokens_per_s;
        t.tflops = p.tflops;
        t.mfu = p.mfu;
        rows.push_back(std::move(t));
      }
    }
  }

  void build_drill_downs(std::vector<RunDrillDown>& out) {
    for (const Run& r : runs_) {
      if (r.info.suite == "profile") continue;
      RunDrillDown d;
      d.run = r;
      d.model = r.info.model_path;
      d.metrics = metrics_[r.id];
      const RunData& rd = data(r.id);
      for (const SampleRow& s : rd.samples) {
        const SampleResult& x = s.result;
        if (!x.response.empty() &&
            static_cast<int>(d.generations.size()) < options_.generations_per_run)
          d.generations.push_back(s);
        if (x.gold < 0 || x.option_scores.size() < 2 ||
            static_cast<size_t>(x.gold) >= x.option_scores.size())
          continue;
        double best_other = -std::numeric_limits<double>::infinity();
        for (size_t i = 0; i < x.option_scores.size(); ++i) {
          if (static_cast<int>(i) != x.gold) best_other = std::max(best_other, x.option_scores[i]);
        }
        d.hardest.push_back({x.doc_id, x.subset, question_of_prompt(x.prompt), x.target,
                             x.option_scores, x.prediction, x.gold,
                             x.option_scores[static_cast<size_t>(x.gold)] - best_other});
      }
      std::stable_sort(
          d.hardest.begin(), d.hardest.end(),
          [](const HardQuestion& a, const HardQuestion& b) { return a.margin < b.margin; });
      if (d.hardest.size() > static_cast<size_t>(options_.hardest_questions))
        d.hardest.resize(static_cast<size_t>(options_.hardest_questions));
      out.push_back(std::move(d));
    }
  }

  const Store& store_;
  const ReportOptions& options_;
  std::vector<Run> runs_;
  std::map<int64_t, std::vector<MetricValue>> metrics_;
  std::map<int64_t, RunData> data_;
};

}  // namespace

ReportData gather_report(const Store& store, const ReportOptions& options) {
  return Gatherer(store, options).gather();
}

std::string question_of_prompt(const std::string& prompt) {
  // Trailing newlines and spaces are not a block boundary.
  const size_t last = prompt.find_last_not_of(" \n");
  if (last == std::string::npos) return "";
  const size_t blank = prompt.rfind("\n\n", last);
  const size_t start = blank == std::string::npos ? 0 : blank + 2;
  std::string question = prompt.substr(start, last + 1 - start);
  // Perplexity-mode prompts are the first option's whole text ("...\nAnswer: A"): the question
  // ends at "Answer:", and the option shown after it is not the model's.
  const size_t answer = question.rfind("\nAnswer:");
  if (answer != std::string::npos && question.find('\n', answer + 1) == std::string::npos) {
    question.resize(answer + std::string_view("\nAnswer:").size());
  }
  return question;
}

}  // namespace tb
