#include "suites/note_gen_common.hpp"

#include "suites/metric_registry.hpp"

#include <cmath>
#include <fstream>
#include <limits>

#include "harness/core/error.hpp"
#include "metrics/classification.hpp"
#include "metrics/repetition.hpp"
#include "metrics/statistics/set_comparison.hpp"

namespace tb::suites {

namespace fs = std::filesystem;
namespace st = metrics::statistics;

double spec_number(const SuiteSpec& spec, const char* field, double fallback, double low,
                   double high) {
  if (!spec.raw.contains(field)) return fallback;
  if (!spec.raw[field].is_number()) throw bad_input(spec.source, field, "must be a number");
  const double v = spec.raw[field].get<double>();
  if (!(v >= low && v <= high)) {
    throw bad_input(spec.source, field,
                    "must be in [" + std::to_string(low) + ", " + std::to_string(high) + "]");
  }
  return v;
}

bool spec_flag(const SuiteSpec& spec, const char* field, bool fallback) {
  if (!spec.raw.contains(field)) return fallback;
  if (!spec.raw[field].is_boolean()) throw bad_input(spec.source, field, "must be true or false");
  return spec.raw[field].get<bool>();
}

std::string spec_choice(const SuiteSpec& spec, const char* field,
                        std::initializer_list<const char*> allowed) {
  if (!spec.raw.contains(field)) return *allowed.begin();
  if (!spec.raw[field].is_string()) throw bad_input(spec.source, field, "must be a string");
  const std::string value = spec.raw[field].get<std::string>();
  std::string names;
  for (const char* a : allowed) {
    if (value == a) return value;
    names += names.empty() ? a : std::string(", ") + a;
  }
  throw bad_input(spec.source, field, "\"" + value + "\" is not one of " + names);
}

SamplingParams spec_sampling(const SuiteSpec& spec, int max_new_tokens,
                             std::vector<std::string> stop) {
  SamplingParams s;
  s.temperature = spec_number(spec, "temperature", 1.0, 0.0, 100.0);
  s.top_k = static_cast<int>(spec_number(spec, "top_k", 50, 0, 1e9));
  s.top_p = spec_number(spec, "top_p", 1.0, 1e-9, 1.0);
  s.repetition_penalty = spec_number(spec, "repetition_penalty", 1.0, 1e-3, 1e3);
  s.max_new_tokens = static_cast<int>(spec_number(spec, "max_new_tokens", max_new_tokens, 1, 1e7));
  s.token_healing = spec_flag(spec, "token_healing", false);
  s.stop = std::move(stop);
  if (spec.raw.contains("stop")) {
    const auto& list = spec.raw["stop"];
    if (!list.is_array()) throw bad_input(spec.source, "stop", "must be an array of strings");
    s.stop.clear();
    for (const auto& item : list) {
      if (!item.is_string() || item.get<std::string>().empty()) {
        throw bad_input(spec.source, "stop", "must hold non-empty strings");
      }
      s.stop.push_back(item.get<std::string>());
    }
  }
  return s;
}

nlohmann::json sampling_json(const SamplingParams& s, uint64_t seed) {
  return {{"temperature", s.temperature},
          {"top_k", s.top_k},
          {"top_p", s.top_p},
          {"repetition_penalty", s.repetition_penalty},
          {"max_new_tokens", s.max_new_tokens},
          {"stop", s.stop},
          {"token_healing", s.token_healing},
          {"seed", seed}};
}

std::vector<fs::path> heldout_midi(const fs::path& data, const fs::path& tsv) {
  std::ifstream in(tsv);
  if (!in) throw Error(ErrorKind::Io, tsv.string() + ": cannot open");
  std::vector<fs::path> out;
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string path = line.substr(0, line.find('\t'));
    if (line_no == 1 && path == "path") continue;
    if (path.empty()) continue;
    const fs::path rel(path);
    bool escapes = rel.is_absolute();
    for (const auto& part : rel) escapes = escapes || part == "..";
    if (escapes) {
      throw bad_input(tsv.string(), "line " + std::to_string(line_no),
                      "path must stay inside the data directory");
    }
    out.push_back(data / rel);
  }
  if (out.empty()) throw bad_input(tsv.string(), "", "no held-out pieces listed");
  return out;
}

namespace {

constexpr std::pair<const char*, bool> kCompletionValues[] = {
    {"loop", false},      {"seq_rep_1", false}, {"seq_rep_2", false},  {"seq_rep_3", false},
    {"seq_rep_4", false}, {"rep_w16", false},   {"rep_r", false},      {"lrs_ratio", false},
    {"tokens", true},     {"finish_eos", true}, {"finish_stop", true}, {"finish_length", false},
};

}  // namespace

void add_completion_values(const LmResponse& r, std::map<std::string, double>& v) {
  const bool at_limit = r.finish == "length";
  v["loop"] = at_limit && metrics::detect_loop(r.tokens).found ? 1 : 0;
  const metrics::RepetitionStats rep = metrics::repetition_stats(r.tokens, 16);
  for (int n = 1; n <= 4; ++n) v["seq_rep_" + std::to_string(n)] = rep.seq_rep[n];
  v["rep_w16"] = rep.rep_w;
  v["rep_r"] = rep.rep_r;
  v["lrs_ratio"] = rep.longest_repeat;
  v["tokens"] = static_cast<double>(r.tokens.size());
  v["finish_eos"] = r.finish == "eos" ? 1 : 0;
  v["finish_stop"] = r.finish == "stop" ? 1 : 0;
  v["finish_length"] = at_limit ? 1 : 0;
}

std::span<const std::pair<const char*, bool>> completion_value_names() {
  return kCompletionValues;
}

void add_note_statistics(const notes::NoteSequence& seq, std::map<std::string, double>& values) {
  const st::PieceFeatures features = st::piece_features(seq);
  for (size_t k = 0; k < st::kFeatureCount; ++k) {
    const st::Feature f = st::feature_at(k);
    if (st::feature_size(f) != 1 || st::per_bar(f)) continue;  // per-bar: one value per bar
    const double v = features[f].front();
    if (std::isfinite(v)) values[std::string(st::feature_name(f))] = v;
  }
}

std::vector<std::string> scalar_statistic_names() {
  std::vector<std::string> names;
  for (size_t k = 0; k < st::kFeatureCount; ++k) {
    const st::Feature f = st::feature_at(k);
    if (st::feature_size(f) == 1 && !st::per_bar(f)) names.emplace_back(st::feature_name(f));
  }
  return names;
}

void add_mean(std::span<const SampleResult> samples, const std::string& name,
              std::vector<MetricValue>& out) {
  std::vector<double> values;
  for (const SampleResult& s : samples) {
    const auto it = s.values.find(name);
    if (it != s.values.end()) values.push_back(it->second);
  }
  if (values.empty()) return;
  // A piece's token count is a descriptive mean here, as in abc-gen, not abc-ppl's total.
  const std::string reported = name == "tokens" ? "tokens_per_tune" : name;
  out.push_back({reported, "", metrics::mean(values), metrics::mean_stderr(values),
                 static_cast<int64_t>(values.size()), higher_is_better(reported)});
}

std::vector<MetricValue> compare_features(std::span<const st::PieceFeatures> generated,
                                          std::span<const st::PieceFeatures> reference) {
  if (reference.empty() || generated.empty()) return {};
  std::vector<MetricValue> out;
  const double no_stderr = std::numeric_limits<double>::quiet_NaN();
  for (const st::FeatureComparison& c : st::compare_sets(generated, reference)) {
    const std::string name(st::feature_name(c.feature));
    const auto n = static_cast<int64_t>(c.generated);
    if (std::isfinite(c.kl)) out.push_back({"kl_" + name, "", c.kl, no_stderr, n, false});
    if (std::isfinite(c.overlap)) out.push_back({"oa_" + name, "", c.overlap, no_stderr, n, true});
  }
  return out;
}

}  // namespace tb::suites
