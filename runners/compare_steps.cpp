#include "runners/compare_steps.hpp"

#include <algorithm>

#include "harness/core/error.hpp"
#include "runners/run_selector.hpp"

namespace tb {

std::vector<ComparisonStep> compare_selected(const Store& store, const std::string& baseline,
                                             const std::string& candidate,
                                             const std::vector<std::string>& suites,
                                             const CompareOptions& options) {
  const std::vector<Run> a = select_runs(store, baseline);
  const std::vector<Run> b = select_runs(store, candidate);
  const bool single = a.size() == 1 && b.size() == 1;  // two run ids: compare them as given
  std::vector<ComparisonStep> steps;
  for (const Run& x : a) {
    if (!suites.empty() && std::find(suites.begin(), suites.end(), x.info.suite) == suites.end())
      continue;
    for (const Run& y : b) {
      if (y.info.suite != x.info.suite && !single) continue;
      RunData base = load_run_data(store, x.id);
      RunData cand = load_run_data(store, y.id);
      base.run = x;  // with the selector's path and step
      cand.run = y;
      steps.push_back({x, y, compare_runs(base, cand, options)});
    }
  }
  if (steps.empty())
    throw Error(ErrorKind::BadInput, "runs '" + baseline + "' and '" + candidate +
                                         "' have no suite in common" +
                                         (suites.empty() ? "" : " among --suite"));
  return steps;
}

CompareFormat parse_compare_format(const std::string& text) {
  if (text == "table" || text == "text") return CompareFormat::Table;
  if (text == "markdown" || text == "md") return CompareFormat::Markdown;
  if (text == "csv") return CompareFormat::Csv;
  if (text == "json") return CompareFormat::Json;
  throw Error(ErrorKind::BadInput, "--format " + text + ": expected table, markdown, csv or json");
}

}  // namespace tb
