#include "reports/render_json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <string>

namespace tb {

namespace {

std::string task_name(const std::string& suite, const std::string& subset) {
  if (subset.empty()) return suite;
  std::string name = suite + "_" + subset;
  std::replace(name.begin(), name.end(), ' ', '_');
  return name;
}

nlohmann::ordered_json value_or_null(double value) {
  return std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
}

// The suite's few-shot count: "shots" in its options (the spec), 0 when it has none.
int64_t shots_of(const Run& run) {
  const nlohmann::json& options = run.info.options;
  if (!options.is_object()) return 0;
  const nlohmann::json* spec = &options;
  if (options.contains("suite") && options["suite"].is_object()) spec = &options["suite"];
  const auto it = spec->find("shots");
  return it != spec->end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

nlohmann::ordered_json limit_of(const Run& run) {
  const nlohmann::json& options = run.info.options;
  if (!options.is_object() || !options.contains("limit")) return nullptr;
  const nlohmann::json& limit = options["limit"];
  if (limit.is_number() && limit.get<double>() == 0.0) return nullptr;  // 0: no limit
  return limit;
}

nlohmann::ordered_json model_config(const Run& run) {
  const RunInfo& info = run.info;
  return {{"model", "tunebench"},
          {"model_args", "pretrained=" + info.model_path},
          {"model_path", info.model_path},
          {"model_hash", info.model_hash},
          {"checkpoint_step", run.checkpoint_step ? nlohmann::ordered_json(*run.checkpoint_step)
                                                  : nlohmann::ordered_json(nullptr)},
          {"tokenizer", info.tokenizer},
          {"batch_size", info.batch_tokens},
          {"device", info.device},
          {"dtype", info.dtype},
          {"batch_tokens", info.batch_tokens},
          {"limit", limit_of(run)},
          {"random_seed", info.seed},
          {"tunebench_git_sha", info.tunebench_git_sha}};
}

// One run's tasks in lm-eval's order: the suite, then depth-first its groups and their members.
struct Task {
  std::string subset;
  int depth = 0;
  std::vector<std::string> members;  // subsets
};

std::vector<Task> task_tree(const RunMetrics& rm) {
  std::vector<std::string> order;  // subsets in first-seen order
  for (const MetricValue& m : rm.metrics)
    if (std::find(order.begin(), order.end(), m.subset) == order.end()) order.push_back(m.subset);
  auto parent = [&](const std::string& subset) {
    const auto it = rm.parents.find(subset);
    return it == rm.parents.end() ? std::string() : it->second;
  };
  std::vector<Task> out;
  auto visit = [&](auto&& self, const std::string& subset, int depth) -> void {
    Task task{subset, depth, {}};
    for (const std::string& s : order)
      if (s != subset && !s.empty() && parent(s) == subset) task.members.push_back(s);
    out.push_back(task);
    for (const std::string& s : task.members) self(self, s, depth + 1);
  };
  visit(visit, "", 0);
  return out;
}

std::string alias(const Run& run, const Task& task) {
  if (task.depth == 0) return run.info.suite;
  return std::string(static_cast<size_t>(task.depth - 1), ' ') + " - " + task.subset;
}

}  // namespace

double unix_seconds(const std::string& iso) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  double s = 0;
  if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%lf", &y, &mo, &d, &h, &mi, &s) != 6)
    return std::numeric_limits<double>::quiet_NaN();
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return static_cast<double>(timegm(&tm)) + s;
}

std::string sanitize_model_name(const std::string& name) {
  std::string out;
  for (const char ch : name) {
    if (ch == '/')
      out += "__";
    else if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.')
      out += ch;
    else
      out += '_';
  }
  return out;
}

nlohmann::ordered_json render_lm_eval_json(std::span<const RunMetrics> runs) {
  nlohmann::ordered_json out = {
      {"results", nlohmann::ordered_json::object()},
      {"groups", nlohmann::ordered_json::object()},
      {"group_subtasks", nlohmann::ordered_json::object()},
      {"configs", nlohmann::ordered_json::object()},
      {"versions", nlohmann::ordered_json::object()},
      {"n-shot", nlohmann::ordered_json::object()},
      {"higher_is_better", nlohmann::ordered_json::object()},
      {"n-samples", nlohmann::ordered_json::object()},
      {"config", runs.empty() ? nlohmann::ordered_json::object() : model_config(runs.front().run)}};
  double start = std::numeric_limits<double>::infinity();
  double end = -std::numeric_limits<double>::infinity();
  for (const RunMetrics& rm : runs) {
    const Run& run = rm.run;
    const std::string& suite = run.info.suite;
    start = std::min(start, unix_seconds(run.started_at));
    if (run.finished_at) end = std::max(end, unix_seconds(*run.finished_at));
    const int64_t shots = shots_of(run);
    for (const Task& t : task_tree(rm)) {
      const std::string task = task_name(suite, t.subset);
      nlohmann::ordered_json result = {{"alias", alias(run, t)}};
      for (const MetricValue& m : rm.metrics) {
        if (m.subset != t.subset) continue;
        result[m.name + ",none"] = value_or_null(m.value);
        result[m.name + "_stderr,none"] = std::isfinite(m.standard_error)
                                              ? nlohmann::ordered_json(m.standard_error)
                                              : nlohmann::ordered_json("N/A");
        out["higher_is_better"][task][m.name] = m.higher_is_better;
      }
      out["results"][task] = result;
      out["versions"][task] = run.info.suite_version;
      out["n-shot"][task] = shots;
      out["configs"][task] = {{"task", task},
                              {"version", run.info.suite_version},
                              {"num_fewshot", shots},
                              {"options", nlohmann::ordered_json(run.info.options)}};
      if (t.depth == 0 && t.members.empty())
        out["group_subtasks"][task] = nlohmann::ordered_json::array();
      if (!t.members.empty()) {
        out["groups"][task] = result;
        nlohmann::ordered_json members = nlohmann::ordered_json::array();
        for (const std::string& s : t.members) members.push_back(task_name(suite, s));
        out["group_subtasks"][task] = members;
      } else {
        int64_t n = 0;
        for (const MetricValue& m : rm.metrics)
          if (m.subset == t.subset) n = std::max(n, m.n);
        const auto o = rm.original_docs.find(t.subset);
        const auto e = rm.effective_docs.find(t.subset);
        out["n-samples"][task] = {{"original", o == rm.original_docs.end() ? n : o->second},
                                  {"effective", e == rm.effective_docs.end() ? n : e->second}};
      }
    }
  }
  if (!runs.empty()) {
    const Run& first = runs.front().run;
    out["git_hash"] = first.info.tunebench_git_sha;
    out["model_name"] = first.info.model_path;
    out["model_name_sanitized"] = sanitize_model_name(first.info.model_path);
    out["model_source"] = "tunebench";
    out["date"] = value_or_null(start);
    out["start_time"] = value_or_null(start);
    out["end_time"] = value_or_null(end);
    out["total_evaluation_time_seconds"] =
        std::isfinite(end - start) ? std::to_string(end - start) : std::string("N/A");
  }
  return out;
}

}  // namespace tb
