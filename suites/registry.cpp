#include "suites/registry.hpp"

#include <algorithm>
#include <cstdlib>

#include "harness/core/error.hpp"
#include "suites/abc_gen_suite.hpp"
#include "suites/abc_ppl_suite.hpp"
#include "suites/mmlu_suite.hpp"
#include "suites/mmm_gen_suite.hpp"
#include "suites/mtb_suite.hpp"
#include "suites/pvdt_gen_suite.hpp"

namespace tb {

namespace {

namespace fs = std::filesystem;

using Factory = std::unique_ptr<Suite> (*)(const suites::SuiteSpec&);

struct Kind {
  const char* name;
  Factory make;
};

// The one list of suite kinds.
constexpr Kind kKinds[] = {
    {"mtb", suites::make_mtb_suite},         {"mmlu", suites::make_mmlu_suite},
    {"abc-ppl", suites::make_abc_ppl_suite}, {"abc-gen", suites::make_abc_gen_suite},
    {"mmm-gen", suites::make_mmm_gen_suite}, {"pvdt-gen", suites::make_pvdt_gen_suite},
};

}  // namespace

std::vector<std::string> suite_kinds() {
  std::vector<std::string> out;
  for (const Kind& k : kKinds) out.emplace_back(k.name);
  return out;
}

fs::path suites_repo_root() {
  if (const char* root = std::getenv("TUNEBENCH_ROOT"); root != nullptr && *root != '\0') {
    return root;
  }
  return TB_REPO_ROOT;
}

fs::path suites_specs_dir() {
  return suites_repo_root() / "suites" / "specs";
}

std::vector<std::string> builtin_suite_names() {
  std::vector<std::string> names;
  const fs::path dir = suites_specs_dir();
  if (!fs::is_directory(dir)) return names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      names.push_back(entry.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::unique_ptr<Suite> make_suite(const suites::SuiteSpec& spec) {
  for (const Kind& k : kKinds) {
    if (spec.kind == k.name) return k.make(spec);
  }
  std::string known;
  for (const Kind& k : kKinds) known += std::string(known.empty() ? "" : ", ") + k.name;
  throw bad_input(spec.source, "kind",
                  "unknown suite kind \"" + spec.kind + "\" (known: " + known + ")");
}

std::unique_ptr<Suite> load_suite(const std::string& name_or_spec_path,
                                  const std::string& data_override) {
  fs::path spec_path = name_or_spec_path;
  const bool looks_like_path =
      spec_path.extension() == ".json" || name_or_spec_path.find('/') != std::string::npos;
  if (!looks_like_path) spec_path = suites_specs_dir() / (name_or_spec_path + ".json");
  if (!fs::is_regular_file(spec_path)) {
    if (looks_like_path) throw Error(ErrorKind::Io, spec_path.string() + ": no such spec file");
    std::string known;
    for (const std::string& n : builtin_suite_names()) known += (known.empty() ? "" : ", ") + n;
    throw Error(ErrorKind::BadInput,
                "unknown suite \"" + name_or_spec_path + "\" (built-in: " + known + ")");
  }
  suites::SuiteSpec spec = suites::read_suite_spec(spec_path, suites_repo_root());
  if (!data_override.empty()) {
    spec.data = fs::absolute(data_override);
    spec.raw["data"] = spec.data.string();
  }
  return make_suite(spec);
}

}  // namespace tb
