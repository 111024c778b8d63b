#include "runners/run_selector.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>

#include "harness/core/error.hpp"

namespace tb {

namespace fs = std::filesystem;

namespace {

std::optional<int64_t> parse_integer(const std::string& text) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string normal(const std::string& path) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(path, ec);
  std::string out = ec ? fs::path(path).lexically_normal().string() : canonical.string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

Error bad(const std::string& selector, const std::string& why) {
  return Error(ErrorKind::BadInput, "run '" + selector + "': " + why);
}

}  // namespace

std::vector<Run> select_runs(const Store& store, const std::string& selector) {
  std::string text = selector;
  enum class Kind { Id, Step, Path } kind = Kind::Path;
  if (text.starts_with("id:")) {
    kind = Kind::Id;
    text = text.substr(3);
  } else if (text.starts_with("step:")) {
    kind = Kind::Step;
    text = text.substr(5);
  } else if (text.starts_with("path:")) {
    text = text.substr(5);
  } else if (parse_integer(text)) {
    kind = Kind::Id;
  }
  if (kind == Kind::Id) {
    const auto id = parse_integer(text);
    if (!id) throw bad(selector, "not a run id");
    return {store.run(*id)};
  }
  std::vector<RunModel> matches;
  if (kind == Kind::Step) {
    const auto step = parse_integer(text);
    if (!step) throw bad(selector, "not a step number");
    std::set<std::string> paths;
    for (const RunModel& m : store.run_models())
      if (m.checkpoint_step == step) matches.push_back(m), paths.insert(m.model_path);
    if (paths.size() > 1)
      throw bad(selector, "several model paths have this step (" + *paths.begin() + ", " +
                              *std::next(paths.begin()) + "); name one with path:DIR");
  } else {
    const std::string wanted = normal(text);
    for (const RunModel& m : store.run_models())
      if (m.model_path == text || normal(m.model_path) == wanted) matches.push_back(m);
  }
  std::map<std::string, Run> by_suite;  // the newest finished run of each suite
  for (const RunModel& m : matches) {
    Run run = store.run(m.run_id);
    if (run.status != RunStatus::Finished) continue;
    run.info.model_path = m.model_path;
    run.checkpoint_step = m.checkpoint_step;
    auto it = by_suite.find(run.info.suite);
    if (it == by_suite.end() || it->second.id < run.id) by_suite[run.info.suite] = run;
  }
  if (by_suite.empty())
    throw bad(selector, "no finished run in " + store.path() +
                            " (a run id, step:N, or a model path as `tunebench runs` lists it)");
  std::vector<Run> out;
  for (auto& [suite, run] : by_suite) out.push_back(std::move(run));
  return out;
}

}  // namespace tb
