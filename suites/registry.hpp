#pragma once
// The suite registry: an explicit list of suite kinds (DESIGN.md: no static self-registration)
// and load_suite, which turns a suite name or spec file into a ready Suite.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "suites/suite.hpp"
#include "suites/suite_spec.hpp"

namespace tb {

// The kinds a spec's "kind" may name: "mtb", "mmlu", "abc-ppl", "abc-gen".
std::vector<std::string> suite_kinds();

// The repository root that relative spec data paths are resolved against: $TUNEBENCH_ROOT when
// set, else the source tree this library was built from.
std::filesystem::path suites_repo_root();

// Where built-in specs live: <root>/suites/specs.
std::filesystem::path suites_specs_dir();

// The names of the built-in specs (file names without .json), sorted.
std::vector<std::string> builtin_suite_names();

// Builds the suite a parsed spec describes; tb::Error (BadInput) for an unknown kind.
std::unique_ptr<Suite> make_suite(const suites::SuiteSpec& spec);

// `name_or_spec_path` is a built-in name ("mtb-5shot") or a path to a spec .json file.
// `data_override` (a file or directory; empty for none) replaces the spec's data path. Throws
// tb::Error (BadInput) for an unknown name or a bad spec, and for bad data files naming the
// file, the line or item and the field.
std::unique_ptr<Suite> load_suite(const std::string& name_or_spec_path,
                                  const std::string& data_override = "");

}  // namespace tb
