#include "suites/abc_gen_suite.hpp"

#include <filesystem>
#include <limits>

#include "harness/core/error.hpp"
#include "metrics/abc/validity.hpp"
#include "metrics/classification.hpp"
#include "metrics/repetition.hpp"
#include "suites/abc_gen_statistics.hpp"
#include "suites/abc_prompts.hpp"
#include "suites/metric_registry.hpp"
#include "suites/registry.hpp"

namespace tb::suites {

namespace {

namespace fs = std::filesystem;

// Values in the order they are aggregated (directions: suites/metric_registry.cpp).
constexpr const char* kValues[] = {
    "tier1",
    "tier2",
    "tier3",
    "tier4",
    "level_at_least_1",
    "level_at_least_2",
    "level_at_least_3",
    "level_at_least_4",
    "level",
    "header_complete",
    "uses_repeats",
    "truncated",
    "loop",
    "seq_rep_1",
    "seq_rep_2",
    "seq_rep_3",
    "seq_rep_4",
    "rep_w16",
    "rep_r",
    "lrs_ratio",
    "bar_repetition",
    "tokens",
    "finish_eos",
    "finish_stop",
    "finish_length",
};

double number(const nlohmann::json& raw, const std::string& source, const char* field,
              double fallback, double low, double high) {
  if (!raw.contains(field)) return fallback;
  if (!raw[field].is_number()) throw bad_input(source, field, "must be a number");
  const double v = raw[field].get<double>();
  if (!(v >= low && v <= high)) {
    throw bad_input(source, field,
                    "must be in [" + std::to_string(low) + ", " + std::to_string(high) + "]");
  }
  return v;
}

bool flag(const nlohmann::json& raw, const std::string& source, const char* field, bool fallback) {
  if (!raw.contains(field)) return fallback;
  if (!raw[field].is_boolean()) throw bad_input(source, field, "must be true or false");
  return raw[field].get<bool>();
}

// A string field that must be one of `allowed`; the first is the default.
std::string choice(const nlohmann::json& raw, const std::string& source, const char* field,
                   std::initializer_list<const char*> allowed) {
  if (!raw.contains(field)) return *allowed.begin();
  if (!raw[field].is_string()) throw bad_input(source, field, "must be a string");
  const std::string value = raw[field].get<std::string>();
  std::string names;
  for (const char* a : allowed) {
    if (value == a) return value;
    names += names.empty() ? a : std::string(", ") + a;
  }
  throw bad_input(source, field, "\"" + value + "\" is not one of " + names);
}

class AbcGenSuite : public Suite {
 public:
  explicit AbcGenSuite(const SuiteSpec& spec) : spec_(spec) {
    const nlohmann::json& raw = spec.raw;
    const std::string& src = spec.source;
    n_ = static_cast<int>(number(raw, src, "n", 64, 1, 1'000'000));
    mode_ = choice(raw, src, "prompt", {"unconditional", "header", "bars"});
    sampling_.temperature = number(raw, src, "temperature", 1.0, 0.0, 100.0);
    sampling_.top_k = static_cast<int>(number(raw, src, "top_k", 50, 0, 1e9));
    sampling_.top_p = number(raw, src, "top_p", 1.0, 1e-9, 1.0);
    sampling_.repetition_penalty = number(raw, src, "repetition_penalty", 1.0, 1e-3, 1e3);
    sampling_.max_new_tokens = static_cast<int>(number(raw, src, "max_new_tokens", 512, 1, 1e7));
    seed_ = static_cast<uint64_t>(number(raw, src, "seed", 1234, 0, 9e15));
    sampling_.token_healing = flag(raw, src, "token_healing", true);
    sampling_.stop = {"\n\n", "\nX:"};
    if (raw.contains("stop")) {
      if (!raw["stop"].is_array()) throw bad_input(src, "stop", "must be an array of strings");
      sampling_.stop.clear();
      for (const auto& s : raw["stop"]) {
        if (!s.is_string() || s.get<std::string>().empty()) {
          throw bad_input(src, "stop", "must hold non-empty strings");
        }
        sampling_.stop.push_back(s.get<std::string>());
      }
    }

    std::vector<CorpusTune> heldout;
    const std::string layout = choice(raw, src, "layout", {"model", "raw"});
    const std::string reference = choice(raw, src, "reference", {"heldout", "none"});
    // The statistics reference is optional: without the collection the run measures validity
    // and repetition only (and its options say so, so its key differs).
    const bool compare =
        reference == "heldout" && raw.contains("heldout") && fs::is_directory(spec.data);
    if (mode_ != "unconditional" || compare) {
      if (!raw.contains("heldout") || !raw["heldout"].is_string()) {
        throw bad_input(src, "heldout", "a path is needed for prompt mode " + mode_);
      }
      fs::path tsv = raw["heldout"].get<std::string>();
      if (tsv.is_relative()) tsv = suites_repo_root() / tsv;
      heldout_path_ = tsv;
      heldout = load_heldout_tunes(spec.data, tsv, layout == "model");
      if (heldout.empty()) throw bad_input(tsv.string(), "", "no held-out tunes listed");
    }
    if (compare) {
      std::vector<std::string> texts;
      for (const CorpusTune& t : heldout) texts.push_back(t.text);
      reference_ = tune_features(texts);
    }
    for (int i = 0; i < n_; ++i) {
      Doc d;
      d.id = "gen:" + std::to_string(i);
      nlohmann::json data = {{"seed", seed_ + static_cast<uint64_t>(i)}};
      if (mode_ == "unconditional") {
        data["prompt"] = "X:1\n";
      } else {
        const CorpusTune& t = heldout[static_cast<size_t>(i) % heldout.size()];
        data["prompt"] = mode_ == "header" ? header_prompt(t.text) : bars_prompt(t.text);
        data["source"] = t.relpath + ":" + std::to_string(t.index);
        data["tune"] = t.text;
      }
      d.data = std::move(data);
      docs_.push_back(std::move(d));
    }
  }

  std::string name() const override { return spec_.name; }
  std::string version() const override { return spec_.version; }
  nlohmann::json options() const override {
    nlohmann::json out = spec_.raw;
    if (!heldout_path_.empty()) {
      out["data"] = spec_.data.string();
      out["heldout"] = heldout_path_.string();
    } else {
      out.erase("data");  // not read: runs on different machines share one key
    }
    out["reference"] = reference_.empty() ? "none" : "heldout";
    out["reference_pieces"] = reference_.size();
    out["n"] = n_;
    out["prompt"] = mode_;
    out["sampling"] = {{"temperature", sampling_.temperature},
                       {"top_k", sampling_.top_k},
                       {"top_p", sampling_.top_p},
                       {"repetition_penalty", sampling_.repetition_penalty},
                       {"max_new_tokens", sampling_.max_new_tokens},
                       {"stop", sampling_.stop},
                       {"token_healing", sampling_.token_healing},
                       {"seed", seed_}};
    return out;
  }
  const std::vector<Doc>& docs() const override { return docs_; }

  std::vector<LmRequest> requests(const Doc& doc) const override {
    LmRequest r;
    r.type = LmRequest::Type::Generate;
    r.context = doc.data.at("prompt").get<std::string>();
    r.sampling = sampling_;
    r.sampling.seed = doc.data.at("seed").get<uint64_t>();
    return {r};
  }

  SampleResult score(const Doc& doc, std::span<const LmResponse> responses) const override {
    if (responses.size() != 1) {
      throw Error(ErrorKind::Internal, spec_.name + ": document " + doc.id +
                                           ": expected 1 response, got " +
                                           std::to_string(responses.size()));
    }
    const LmResponse& r = responses[0];
    SampleResult out;
    out.doc_id = doc.id;
    out.prompt = doc.data.at("prompt").get<std::string>();
    if (doc.data.contains("tune")) out.target = doc.data.at("tune").get<std::string>();
    out.response = r.text;
    auto& v = out.values;

    const std::vector<metrics::abc::TuneText> texts = metrics::abc::split_tunes(out.piece());
    metrics::abc::Validity validity;
    double bar_repetition = 0.0;
    if (!texts.empty()) {
      const metrics::abc::Tune tune = metrics::abc::parse_tune(texts.front());
      validity = metrics::abc::validity(tune);
      const std::vector<std::string> bars = metrics::abc::bar_texts(tune);
      bar_repetition = metrics::bar_repetition_rate(bars);
      add_piece_statistics(tune, v);
    }
    for (int k = 1; k <= 4; ++k) v["tier" + std::to_string(k)] = validity.tier[k] ? 1 : 0;
    for (int k = 1; k <= 4; ++k) {
      v["level_at_least_" + std::to_string(k)] = validity.level >= k ? 1 : 0;
    }
    v["level"] = validity.level;
    v["header_complete"] = validity.all_header_fields ? 1 : 0;
    v["uses_repeats"] = validity.uses_repeats ? 1 : 0;
    const bool at_limit = r.finish == "length";
    v["truncated"] = at_limit && validity.truncated ? 1 : 0;
    v["loop"] = at_limit && metrics::detect_loop(r.tokens).found ? 1 : 0;
    const metrics::RepetitionStats rep = metrics::repetition_stats(r.tokens, 16);
    for (int n = 1; n <= 4; ++n) v["seq_rep_" + std::to_string(n)] = rep.seq_rep[n];
    v["rep_w16"] = rep.rep_w;
    v["rep_r"] = rep.rep_r;
    v["lrs_ratio"] = rep.longest_repeat;
    v["bar_repetition"] = bar_repetition;
    v["tokens"] = static_cast<double>(r.tokens.size());
    v["finish_eos"] = r.finish == "eos" ? 1 : 0;
    v["finish_stop"] = r.finish == "stop" ? 1 : 0;
    v["finish_length"] = at_limit ? 1 : 0;
    return out;
  }

  std::vector<MetricValue> aggregate(std::span<const SampleResult> samples) const override {
    std::vector<MetricValue> out;
    // The mean over the tunes that have the value (statistics are left out where undefined).
    auto add_mean = [&](const std::string& name, const std::string& reported) {
      std::vector<double> values;
      for (const SampleResult& s : samples) {
        const auto it = s.values.find(name);
        if (it != s.values.end()) values.push_back(it->second);
      }
      if (values.empty()) return;
      out.push_back({reported, "", metrics::mean(values), metrics::mean_stderr(values),
                     static_cast<int64_t>(values.size()), higher_is_better(reported)});
    };
    // A tune's token count is a descriptive mean here, not abc-ppl's total.
    for (const char* name : kValues)
      add_mean(name, std::string_view(name) == "tokens" ? "tokens_per_tune" : name);
    for (const std::string& name : scalar_feature_names()) add_mean(name, name);
    for (MetricValue& m : compare_with_reference(samples, reference_)) out.push_back(std::move(m));
    return out;
  }

 private:
  SuiteSpec spec_;
  std::string mode_ = "unconditional";
  int n_ = 64;
  uint64_t seed_ = 1234;
  SamplingParams sampling_;
  fs::path heldout_path_;
  std::vector<metrics::statistics::PieceFeatures> reference_;  // empty: no comparison
  std::vector<Doc> docs_;
};

}  // namespace

std::unique_ptr<Suite> make_abc_gen_suite(const SuiteSpec& spec) {
  return std::make_unique<AbcGenSuite>(spec);
}

}  // namespace tb::suites
