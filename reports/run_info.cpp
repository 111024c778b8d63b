#include "reports/run_info.hpp"

#include <charconv>
#include <filesystem>
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

namespace {

// The step at the end of one path component: a keyword at the component's start or after a
// separator, an optional '-' or '_', then digits. So "global_step500" and "run1-checkpoint-1000"
// parse, "llama-7b" and "mystep1" do not.
std::optional<int64_t> step_of_component(std::string_view name) {
  size_t digits = name.size();
  while (digits > 0 && name[digits - 1] >= '0' && name[digits - 1] <= '9') --digits;
  if (digits == name.size()) return std::nullopt;
  std::string_view prefix = name.substr(0, digits);
  if (!prefix.empty() && (prefix.back() == '-' || prefix.back() == '_')) prefix.remove_suffix(1);
  for (const std::string_view keyword : {"checkpoint", "global_step", "step", "iter"}) {
    if (!prefix.ends_with(keyword)) continue;
    const size_t at = prefix.size() - keyword.size();
    if (at != 0 && prefix[at - 1] != '-' && prefix[at - 1] != '_' && prefix[at - 1] != '.')
      continue;
    int64_t step = 0;
    const auto [end, ec] = std::from_chars(name.data() + digits, name.data() + name.size(), step);
    if (ec != std::errc() || end != name.data() + name.size()) return std::nullopt;  // huge
    return step;
  }
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> parse_checkpoint_step(std::string_view model_path) {
  std::vector<std::string> components;
  for (const auto& part : std::filesystem::path(model_path)) components.push_back(part.string());
  // The component nearest the end wins: ".../checkpoint-1000/model.safetensors" gives 1000.
  for (auto it = components.rbegin(); it != components.rend(); ++it)
    if (const auto step = step_of_component(*it)) return step;
  return std::nullopt;
}

}  // namespace tb
