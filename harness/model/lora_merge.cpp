#include "harness/model/lora_merge.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cblas.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "harness/core/error.hpp"
#include "harness/io/json_file.hpp"
#include "harness/io/safetensors_file.hpp"
#include "harness/io/torch_checkpoint_file.hpp"

namespace tb {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPrefix = "base_model.model.";
constexpr std::string_view kLoraA = ".lora_A.weight";
constexpr std::string_view kLoraB = ".lora_B.weight";
// lora_A is [r, in]: a rank above int's range cannot fit a matrix BLAS takes.
constexpr int64_t kMaxRank = std::numeric_limits<int>::max();

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct AdapterConfig {
  int r = 0;
  double alpha = 8.0;
  bool rslora = false;
  bool fan_in_fan_out = false;
  std::vector<std::string> target_list;
  std::string target_regex;  // used when target_list is empty
  bool by_regex = false;
};

AdapterConfig read_config(const fs::path& path) {
  const std::string file = path.string();
  const nlohmann::json j = read_json_file(path);
  if (!j.is_object()) throw bad_input(file, "", "must be a JSON object");
  auto unsupported = [&](const std::string& field, const std::string& what) {
    return Error(ErrorKind::Unsupported, file + ": " + field + ": " + what);
  };
  if (!j.contains("peft_type") || !j["peft_type"].is_string()) {
    throw bad_input(file, "peft_type", "missing or not a string");
  }
  const std::string peft_type = j["peft_type"].get<std::string>();
  if (peft_type != "LORA") {
    throw unsupported("peft_type", printable_name(peft_type) + " is not supported (only LORA)");
  }
  if (j.contains("use_dora") && !j["use_dora"].is_null()) {
    if (!j["use_dora"].is_boolean()) throw bad_input(file, "use_dora", "must be true or false");
    if (j["use_dora"].get<bool>()) throw unsupported("use_dora", "DoRA adapters are not supported");
  }
  if (j.contains("bias") && !(j["bias"].is_string() && j["bias"] == "none")) {
    throw unsupported("bias", "only \"none\" is supported (no trained biases)");
  }
  for (const char* field : {"rank_pattern", "alpha_pattern"}) {
    if (j.contains(field) && !j[field].is_null() && !(j[field].is_object() && j[field].empty())) {
      throw unsupported(field, "per-module ranks and alphas are not supported");
    }
  }
  if (j.contains("layers_to_transform") && !j["layers_to_transform"].is_null()) {
    throw unsupported("layers_to_transform", "must be null");
  }
  AdapterConfig c;
  // The rank is an int here (and in BLAS): one past it (2^31) or 2^32 + 4 must not wrap to a
  // negative or a small rank that would merge with the wrong alpha / r.
  const auto r = j.find("r");
  const bool r_ok =
      r != j.end() && r->is_number_integer() &&
      (r->is_number_unsigned() ? r->get<uint64_t>() >= 1 && r->get<uint64_t>() <= uint64_t{kMaxRank}
                               : r->get<int64_t>() >= 1 && r->get<int64_t>() <= kMaxRank);
  if (!r_ok) {
    throw bad_input(file, "r",
                    "must be a positive integer of at most " + std::to_string(kMaxRank) +
                        (r == j.end() ? std::string(" (missing)") : " (found " + r->dump() + ")"));
  }
  c.r = static_cast<int>(r->get<int64_t>());
  if (j.contains("lora_alpha")) {
    if (!j["lora_alpha"].is_number()) throw bad_input(file, "lora_alpha", "must be a number");
    c.alpha = j["lora_alpha"].get<double>();
  }
  for (auto [field, target] :
       {std::pair{"use_rslora", &c.rslora}, {"fan_in_fan_out", &c.fan_in_fan_out}}) {
    if (!j.contains(field) || j[field].is_null()) continue;
    if (!j[field].is_boolean()) throw bad_input(file, field, "must be true or false");
    *target = j[field].get<bool>();
  }
  const auto targets = j.find("target_modules");
  if (targets == j.end() || targets->is_null()) {
    throw bad_input(file, "target_modules", "missing");
  } else if (targets->is_string()) {
    c.by_regex = true;
    c.target_regex = targets->get<std::string>();
  } else if (targets->is_array()) {
    for (const auto& t : *targets) {
      if (!t.is_string()) throw bad_input(file, "target_modules", "must hold module names");
      c.target_list.push_back(t.get<std::string>());
    }
  } else {
    throw bad_input(file, "target_modules", "must be a list of names or a regex string");
  }
  return c;
}

// Python's re.fullmatch, which PEFT uses, through PCRE2 (Perl-compatible like Python's re; the
// project's regex library already): anchored at both ends.
bool full_match(const std::string& pattern, const std::string& text, const std::string& file) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  std::unique_ptr<pcre2_code, decltype(&pcre2_code_free)> code(
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                    PCRE2_ANCHORED | PCRE2_ENDANCHORED, &error, &offset, nullptr),
      pcre2_code_free);
  if (!code) throw bad_input(file, "target_modules", "not a valid regular expression");
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> match(
      pcre2_match_data_create_from_pattern(code.get(), nullptr), pcre2_match_data_free);
  const int rc = pcre2_match(code.get(), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0,
                             0, match.get(), nullptr);
  if (rc >= 0) return true;
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  throw bad_input(file, "target_modules",
                  "the regular expression failed to match (PCRE2 code " + std::to_string(rc) + ")");
}

// PEFT's check_target_module_exists: a regex must match the whole name; a list entry matches the
// name itself or its last dotted components.
bool is_target(const AdapterConfig& c, const std::string& module, const std::string& file) {
  if (c.by_regex) return full_match(c.target_regex, module, file);
  for (const std::string& t : c.target_list) {
    if (module == t || ends_with(module, "." + t)) return true;
  }
  return false;
}

uint64_t fnv1a(uint64_t hash, std::string_view bytes) {
  for (unsigned char b : bytes) {
    hash ^= b;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::Io, path.string() + ": cannot open");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<float> widen(const TensorInfo& t) {
  size_t n = 1;
  for (int64_t d : t.shape) n *= static_cast<size_t>(d);
  std::vector<float> out(n);
  if (n != 0) convert_to_f32(t.data, t.dtype, n, out.data());
  return out;
}

}  // namespace

std::vector<LoraMergeReport> merge_lora_adapters(Checkpoint& checkpoint,
                                                 const std::vector<fs::path>& dirs) {
  std::vector<LoraMergeReport> reports;
  for (const fs::path& dir : dirs) {
    const fs::path config_path = dir / "adapter_config.json";
    std::error_code ec;
    if (!fs::is_regular_file(config_path, ec)) {
      throw Error(ErrorKind::Io, dir.string() + ": not a PEFT adapter (no adapter_config.json)");
    }
    const AdapterConfig config = read_config(config_path);
    // The weights, as views that live while `st` or `pt` does.
    std::shared_ptr<const SafetensorsFile> st;
    std::shared_ptr<const TorchCheckpointFile> pt;
    fs::path weights = dir / "adapter_model.safetensors";
    std::vector<TensorInfo> tensors;
    if (fs::exists(weights, ec)) {
      st = SafetensorsFile::open(weights);
      tensors = st->tensors();
    } else if (fs::exists(weights = dir / "adapter_model.bin", ec)) {
      pt = TorchCheckpointFile::open(weights);
      tensors = pt->tensors();
    } else {
      throw Error(ErrorKind::Io,
                  dir.string() + ": no adapter_model.safetensors or adapter_model.bin");
    }
    const std::string file = weights.string();
    LoraMergeReport report;
    report.dir = dir;
    report.r = config.r;
    report.scaling = config.rslora ? config.alpha / std::sqrt(static_cast<double>(config.r))
                                   : config.alpha / config.r;

    std::map<std::string, std::pair<const TensorInfo*, const TensorInfo*>> pairs;  // module: A, B
    for (const TensorInfo& t : tensors) {
      const std::string field = "tensor " + printable_name(t.name);
      if (t.name.rfind(kPrefix, 0) != 0) {
        throw bad_input(file, field, "is not under base_model.model. (not a PEFT state dict)");
      }
      std::string name = t.name.substr(kPrefix.size());
      if (ends_with(name, kLoraA) || ends_with(name, kLoraB)) {
        const bool is_a = ends_with(name, kLoraA);
        const std::string module = name.substr(0, name.size() - kLoraA.size());
        (is_a ? pairs[module].first : pairs[module].second) = &t;
        continue;
      }
      if (name.find("lora_") != std::string::npos) {
        throw Error(ErrorKind::Unsupported,
                    file + ": " + field + ": only lora_A / lora_B weights are supported");
      }
      // Saved whole: modules_to_save or trained embeddings.
      const std::string marker = ".modules_to_save";
      if (const size_t at = name.find(marker); at != std::string::npos)
        name.erase(at, marker.size());
      const TensorInfo& base = checkpoint.tensor(name);
      if (base.shape != t.shape) {
        throw bad_input(file, field,
                        "shape " + shape_string(t.shape) + " but the base's " + name + " is " +
                            shape_string(base.shape));
      }
      checkpoint.replace_with_f32(name, widen(t));
      ++report.replaced;
    }
    for (const auto& [module, ab] : pairs) {
      const std::string field = "module " + printable_name(module);
      if (ab.first == nullptr || ab.second == nullptr) {
        throw bad_input(file, field,
                        ab.first == nullptr ? "lora_B without lora_A" : "lora_A without lora_B");
      }
      if (!is_target(config, module, config_path.string())) {
        throw bad_input(file, field, "is not one of the adapter's target_modules");
      }
      const TensorInfo& a = *ab.first;
      const TensorInfo& b = *ab.second;
      const TensorInfo& w = checkpoint.tensor(module + ".weight");
      if (w.shape.size() != 2 || a.shape.size() != 2 || b.shape.size() != 2) {
        throw bad_input(file, field, "lora_A, lora_B and the base weight must be matrices");
      }
      // W is [out, in] (or [in, out] with fan_in_fan_out); A [r, in]; B [out, r].
      const int64_t out = config.fan_in_fan_out ? w.shape[1] : w.shape[0];
      const int64_t in = config.fan_in_fan_out ? w.shape[0] : w.shape[1];
      if (a.shape != Shape{config.r, in} || b.shape != Shape{out, config.r}) {
        throw bad_input(file, field,
                        "lora_A " + shape_string(a.shape) + " and lora_B " + shape_string(b.shape) +
                            " do not fit r " + std::to_string(config.r) + " and the base weight " +
                            shape_string(w.shape));
      }
      std::vector<float> merged = widen(w);
      const std::vector<float> av = widen(a);
      const std::vector<float> bv = widen(b);
      const auto alpha = static_cast<float>(report.scaling);
      const int r = config.r;
      if (config.fan_in_fan_out) {  // W[in, out] += s * (B A)^T = s * A^T B^T
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasTrans, static_cast<int>(in),
                    static_cast<int>(out), r, alpha, av.data(), static_cast<int>(in), bv.data(), r,
                    1.0f, merged.data(), static_cast<int>(out));
      } else {  // W[out, in] += s * B A
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(out),
                    static_cast<int>(in), r, alpha, bv.data(), r, av.data(), static_cast<int>(in),
                    1.0f, merged.data(), static_cast<int>(in));
      }
      checkpoint.replace_with_f32(module + ".weight", std::move(merged));
      ++report.merged;
    }
    if (report.merged == 0 && report.replaced == 0) {
      throw bad_input(file, "tensors", "the adapter holds no lora_A / lora_B weights");
    }
    uint64_t hash = 0xcbf29ce484222325ULL;
    hash = fnv1a(hash, read_all(config_path));
    hash = fnv1a(hash, read_all(weights));
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
    checkpoint.add_identity("lora:" + std::string(hex));
    reports.push_back(std::move(report));
  }
  return reports;
}

}  // namespace tb
