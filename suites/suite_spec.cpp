#include "suites/suite_spec.hpp"

#include "harness/core/error.hpp"
#include "harness/core/strict_json.hpp"
#include "harness/core/text_file.hpp"
#include "suites/text_util.hpp"

namespace tb::suites {

namespace {

std::string required_string(const nlohmann::json& spec, const std::string& source,
                            const char* field) {
  if (!spec.contains(field)) throw bad_input(source, field, "missing");
  if (!spec[field].is_string() || spec[field].get<std::string>().empty()) {
    throw bad_input(source, field, "must be a non-empty string");
  }
  return spec[field].get<std::string>();
}

int optional_int(const nlohmann::json& spec, const std::string& source, const char* field,
                 int fallback, int low, int high) {
  if (!spec.contains(field)) return fallback;
  if (!spec[field].is_number_integer()) throw bad_input(source, field, "must be an integer");
  const auto value = spec[field].get<int64_t>();
  if (value < low || value > high) {
    throw bad_input(source, field,
                    "must be in [" + std::to_string(low) + ", " + std::to_string(high) + "]");
  }
  return static_cast<int>(value);
}

}  // namespace

SuiteSpec parse_suite_spec(const nlohmann::json& spec, const std::string& source,
                           const std::filesystem::path& repo_root) {
  if (!spec.is_object()) throw bad_input(source, "", "a suite spec must be a JSON object");
  SuiteSpec out;
  out.source = source;
  out.raw = spec;
  out.name = required_string(spec, source, "name");
  out.kind = required_string(spec, source, "kind");
  out.version = required_string(spec, source, "version");
  if (spec.contains("template")) out.template_name = required_string(spec, source, "template");
  if (spec.contains("split")) out.split = required_string(spec, source, "split");
  out.shots = optional_int(spec, source, "shots", 0, 0, 64);
  out.permutations = optional_int(spec, source, "permutations", 0, 0, 24);
  const std::filesystem::path data = required_string(spec, source, "data");
  out.data = data.is_absolute() ? data : repo_root / data;
  return out;
}

SuiteSpec read_suite_spec(const std::filesystem::path& path,
                          const std::filesystem::path& repo_root) {
  const std::string text = read_text_file(path.string());
  const nlohmann::json spec = parse_strict_json(text, path.string(), "");
  return parse_suite_spec(spec, path.string(), repo_root);
}

}  // namespace tb::suites
