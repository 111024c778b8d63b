#include "suites/registry.hpp"

#include <algorithm>
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

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
using Keys = std::span<const char* const>;

struct Kind {
  const char* name;
  Factory make;
  Keys keys;  // the spec keys this kind reads, beside kCommonKeys
};

// Every spec key a kind reads: anything else is a typo that would silently fall back to a
// default while still changing the run key, so it is refused.
constexpr const char* kCommonKeys[] = {"name", "kind", "version", "data", "description"};
constexpr const char* kChoiceKeys[] = {"template", "shots", "permutations", "split"};
constexpr const char* kMmluKeys[] = {"template", "shots", "split"};
constexpr const char* kAbcGenKeys[] = {"n",
                                       "prompt",
                                       "temperature",
                                       "top_k",
                                       "top_p",
                                       "repetition_penalty",
                                       "max_new_tokens",
                                       "seed",
                                       "stop",
                                       "token_healing",
                                       "layout",
                                       "reference",
                                       "heldout"};
constexpr const char* kMmmGenKeys[] = {"n",
                                       "prompt",
                                       "prompt_bars",
                                       "seed",
                                       "reference",
                                       "heldout",
                                       "temperature",
                                       "top_k",
                                       "top_p",
                                       "stop",
                                       "repetition_penalty",
                                       "max_new_tokens",
                                       "token_healing"};
constexpr const char* kPvdtGenKeys[] = {"n",
                                        "prompt",
                                        "prompt_notes",
                                        "seed",
                                        "prefix",
                                        "reference",
                                        "heldout",
                                        "temperature",
                                        "top_k",
                                        "top_p",
                                        "stop",
                                        "repetition_penalty",
                                        "max_new_tokens",
                                        "token_healing"};

// The one list of suite kinds.
constexpr Kind kKinds[] = {
    {"mtb", suites::make_mtb_suite, kChoiceKeys},
    {"mmlu", suites::make_mmlu_suite, kMmluKeys},
    {"abc-ppl", suites::make_abc_ppl_suite, {}},
    {"abc-gen", suites::make_abc_gen_suite, kAbcGenKeys},
    {"mmm-gen", suites::make_mmm_gen_suite, kMmmGenKeys},
    {"pvdt-gen", suites::make_pvdt_gen_suite, kPvdtGenKeys},
};

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

void refuse_unknown_keys(const suites::SuiteSpec& spec, const Kind& kind) {
  std::vector<std::string_view> known(std::begin(kCommonKeys), std::end(kCommonKeys));
  known.insert(known.end(), kind.keys.begin(), kind.keys.end());
  for (const auto& item : spec.raw.items()) {
    const std::string& key = item.key();
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const auto nearest = std::min_element(known.begin(), known.end(), [&](auto a, auto b) {
      return edit_distance(key, a) < edit_distance(key, b);
    });
    std::string list;
    for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    throw bad_input(spec.source, key,
                    "unknown key for a " + std::string(kind.name) + " suite (did you mean \"" +
                        std::string(*nearest) + "\"? known: " + list + ")");
  }
}

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
    if (spec.kind != k.name) continue;
    refuse_unknown_keys(spec, k);
    return k.make(spec);
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
