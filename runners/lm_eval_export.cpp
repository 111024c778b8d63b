#include "runners/lm_eval_export.hpp"

#include <chrono>

#include "reports/lm_eval_files.hpp"
#include "suites/mmlu_categories.hpp"

namespace tb {

RunMetrics lm_eval_run_metrics(const Store& store, int64_t run_id) {
  RunMetrics rm{store.run(run_id), store.metrics(run_id)};
  const nlohmann::json& options = rm.run.info.options;
  const bool mmlu = options.is_object() && options.contains("suite") &&
                    options["suite"].is_object() && options["suite"].value("kind", "") == "mmlu";
  if (mmlu) {
    for (const MetricValue& m : rm.metrics) {
      const std::string category = suites::mmlu_category(m.subset);
      if (!category.empty()) rm.parents[m.subset] = category;
    }
  }
  for (const ProfileRow& p : store.profiles(run_id)) {
    if (p.phase != kDocumentsPhase) continue;
    const nlohmann::json original = p.raw.value("original", nlohmann::json::object());
    const nlohmann::json effective = p.raw.value("effective", nlohmann::json::object());
    for (const auto& [subset, n] : original.items()) rm.original_docs[subset] = n.get<int64_t>();
    for (const auto& [subset, n] : effective.items()) rm.effective_docs[subset] = n.get<int64_t>();
    break;
  }
  // A suite with one subset reports it as the suite (lm-eval's single task).
  if (rm.original_docs.size() == 1 && !rm.original_docs.count("")) {
    rm.original_docs[""] = rm.original_docs.begin()->second;
    rm.effective_docs[""] = rm.effective_docs.begin()->second;
  }
  return rm;
}

std::vector<std::filesystem::path> write_lm_eval_output(const Store& store,
                                                        std::span<const int64_t> run_ids,
                                                        const std::filesystem::path& dir,
                                                        bool log_samples) {
  std::vector<RunFiles> runs;
  for (const int64_t id : run_ids) {
    RunFiles files{lm_eval_run_metrics(store, id), {}};
    if (log_samples) files.samples = store.samples(id);
    runs.push_back(std::move(files));
  }
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return write_lm_eval_files(dir, runs, log_samples, lm_eval_date_id(now));
}

}  // namespace tb
