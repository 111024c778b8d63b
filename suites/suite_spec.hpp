#pragma once
// SuiteSpec: one suite variant as written in suites/specs/<name>.json.
//
//   { "name": "mtb-5shot", "kind": "mtb", "version": "mtb-ppl-1", "template": "opencompass-ppl",
//     "shots": 5, "permutations": 0, "split": "test", "data": "data/suites/mtb",
//     "description": "..." }
//
// Relative "data" paths are resolved against the repository root (the spec's data ships with
// the repository); a data override given on the command line is used as it is.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace tb::suites {

struct SuiteSpec {
  std::string name;
  std::string kind;
  std::string version;
  std::string template_name;  // "" when the kind has only one
  int shots = 0;
  int permutations = 0;  // mtb: option-shuffle rounds (0 = the published order only)
  std::string split = "test";
  std::filesystem::path data;  // resolved
  std::string source;          // the spec file, for messages
  nlohmann::json raw;          // the whole spec, stored with the run
};

// Parses a spec; throws tb::Error (BadInput) naming `source` and the field.
SuiteSpec parse_suite_spec(const nlohmann::json& spec, const std::string& source,
                           const std::filesystem::path& repo_root);

// Reads and parses a spec file.
SuiteSpec read_suite_spec(const std::filesystem::path& path,
                          const std::filesystem::path& repo_root);

}  // namespace tb::suites
