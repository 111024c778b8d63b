#include "reports/render_json.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace tb {

namespace {

std::string task_name(const Run& run, const std::string& subset) {
  if (subset.empty()) return run.info.suite;
  std::string name = run.info.suite + "_" + subset;
  std::replace(name.begin(), name.end(), ' ', '_');
  return name;
}

nlohmann::json value_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

nlohmann::json model_config(const Run& run) {
  const RunInfo& info = run.info;
  return {{"model", "tunebench"},
          {"model_args", "pretrained=" + info.model_path},
          {"model_path", info.model_path},
          {"model_hash", info.model_hash},
          {"checkpoint_step",
           run.checkpoint_step ? nlohmann::json(*run.checkpoint_step) : nlohmann::json(nullptr)},
          {"tokenizer", info.tokenizer},
          {"device", info.device},
          {"dtype", info.dtype},
          {"batch_tokens", info.batch_tokens},
          {"random_seed", info.seed},
          {"tunebench_git_sha", info.tunebench_git_sha}};
}

}  // namespace

nlohmann::json render_lm_eval_json(std::span<const RunMetrics> runs) {
  nlohmann::json out = {
      {"results", nlohmann::json::object()},
      {"group_subtasks", nlohmann::json::object()},
      {"configs", nlohmann::json::object()},
      {"versions", nlohmann::json::object()},
      {"n-shot", nlohmann::json::object()},
      {"higher_is_better", nlohmann::json::object()},
      {"n-samples", nlohmann::json::object()},
      {"config", runs.empty() ? nlohmann::json::object() : model_config(runs.front().run)}};
  for (const RunMetrics& rm : runs) {
    const Run& run = rm.run;
    const std::string& suite = run.info.suite;
    auto& subtasks = out["group_subtasks"][suite];
    if (subtasks.is_null()) subtasks = nlohmann::json::array();
    for (const MetricValue& m : rm.metrics) {
      const std::string task = task_name(run, m.subset);
      auto& result = out["results"][task];
      if (result.is_null()) {
        result["alias"] = m.subset.empty() ? suite : " - " + m.subset;
        if (!m.subset.empty()) subtasks.push_back(task);
        out["versions"][task] = run.info.suite_version;
        out["configs"][task] = {
            {"task", task}, {"version", run.info.suite_version}, {"options", run.info.options}};
        const auto& options = run.info.options;
        out["n-shot"][task] =
            options.is_object() ? options.value("shots", nlohmann::json(0)) : nlohmann::json(0);
      }
      result[m.name + ",none"] = value_or_null(m.value);
      result[m.name + "_stderr,none"] = std::isfinite(m.standard_error)
                                            ? nlohmann::json(m.standard_error)
                                            : nlohmann::json("N/A");
      out["higher_is_better"][task][m.name] = m.higher_is_better;
      auto& samples = out["n-samples"][task];
      const int64_t seen = samples.is_object() ? samples.value("original", int64_t{0}) : 0;
      const int64_t n = std::max(m.n, seen);
      samples = {{"original", n}, {"effective", n}};
    }
  }
  return out;
}

}  // namespace tb
