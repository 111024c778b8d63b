#include "reports/run_info.hpp"

#include <charconv>
#include <filesystem>
#include <regex>
#include <vector>

#include "harness/core/error.hpp"
#include "reports/hashing.hpp"

namespace tb {

const char* to_string(RunStatus status) {
  switch (status) {
    case RunStatus::Running:
      return "running";
    case RunStatus::Finished:
      return "finished";
    case RunStatus::Failed:
      return "failed";
  }
  return "?";
}

RunStatus parse_run_status(std::string_view text) {
  if (text == "running") return RunStatus::Running;
  if (text == "finished") return RunStatus::Finished;
  if (text == "failed") return RunStatus::Failed;
  throw Error(ErrorKind::Internal, "unknown run status '" + std::string(text) + "'");
}

std::string run_key(const RunInfo& info) {
  return FieldHasher()
      .add(info.model_hash)
      .add(info.suite)
      .add(info.suite_version)
      .add(info.options.dump())
      .hex();
}

std::optional<int64_t> parse_checkpoint_step(std::string_view model_path) {
  // The step is at the end of a path component, after its start or a separator, so that
  // "global_step500" and "run1-checkpoint-1000" parse but "llama-7b" or "mystep1" do not.
  static const std::regex kStep(R"((?:^|[-_.])(?:checkpoint|global_step|step|iter)[-_]?(\d+)$)");
  std::vector<std::string> components;
  for (const auto& part : std::filesystem::path(model_path)) components.push_back(part.string());
  for (auto it = components.rbegin(); it != components.rend(); ++it) {
    std::smatch match;
    if (!std::regex_search(*it, match, kStep)) continue;
    const std::string digits = match[1].str();
    int64_t step = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), step);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;  // huge
    return step;
  }
  return std::nullopt;
}

}  // namespace tb
