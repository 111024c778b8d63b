#include "suites/mmm_gen_suite.hpp"

#include <filesystem>

#include "harness/core/error.hpp"
#include "metrics/notes/abc_notes.hpp"
#include "metrics/notes/midi_file.hpp"
#include "metrics/notes/mmm.hpp"
#include "metrics/notes/mmm_validity.hpp"
#include "metrics/repetition.hpp"
#include "suites/note_gen_common.hpp"
#include "suites/registry.hpp"

namespace tb::suites {

namespace {

namespace fs = std::filesystem;
namespace st = metrics::statistics;

// Statistics are taken at the tick resolution of the other formats, not MMM's 4 per quarter.
constexpr int64_t kTicksPerQuarter = notes::kAbcTicksPerQuarter;

constexpr std::pair<const char*, bool> kValidityValues[] = {
    {"valid", true},        {"piece", true},       {"tracks", true},     {"bars", true},
    {"notes", true},        {"bar_length", true},  {"bar_count", true},  {"known_tokens", true},
    {"decode_clean", true}, {"track_count", true}, {"note_count", true}, {"bar_repetition", false},
};

// The text up to and including the `count`-th occurrence of `token`, or "" when it has fewer.
std::string prefix_through(const std::string& text, const std::string& token, int count) {
  size_t at = 0;
  for (int i = 0; i < count; ++i) {
    at = text.find(token, at);
    if (at == std::string::npos) return "";
    at += token.size();
  }
  return text.substr(0, at);
}

st::PieceFeatures features_of(const std::string& sample) {
  return st::piece_features(notes::mmm_decode(sample, kTicksPerQuarter).sequence);
}

class MmmGenSuite : public Suite {
 public:
  explicit MmmGenSuite(const SuiteSpec& spec) : spec_(spec) {
    n_ = static_cast<int>(spec_number(spec, "n", 64, 1, 1'000'000));
    mode_ = spec_choice(spec, "prompt", {"piece_start", "first_track", "first_bars"});
    prompt_bars_ =
        static_cast<int>(spec_number(spec, "prompt_bars", 2, 1, notes::kMmmBarsPerSample));
    sampling_ = spec_sampling(spec, 480, {"PIECE_START"});
    seed_ = static_cast<uint64_t>(spec_number(spec, "seed", 1234, 0, 9e15));
    const std::string reference = spec_choice(spec, "reference", {"heldout", "none"});
    const bool compare =
        reference == "heldout" && spec.raw.contains("heldout") && fs::is_directory(spec.data);

    // The held-out pieces as MMM samples: prompts come from their first sample.
    std::vector<std::pair<std::string, std::vector<std::string>>> pieces;
    if (mode_ != "piece_start" || compare) {
      if (!spec.raw.contains("heldout") || !spec.raw["heldout"].is_string()) {
        throw bad_input(spec.source, "heldout", "a path is needed for prompt mode " + mode_);
      }
      if (!fs::is_directory(spec.data)) {
        throw Error(ErrorKind::Io, spec.source + ": data: " + spec.data.string() +
                                       " is not a directory (prompt mode " + mode_ + ")");
      }
      fs::path tsv = spec.raw["heldout"].get<std::string>();
      if (tsv.is_relative()) tsv = suites_repo_root() / tsv;
      heldout_path_ = tsv;
      for (const fs::path& midi : heldout_midi(spec.data, tsv)) {
        pieces.emplace_back(fs::relative(midi, spec.data).string(),
                            notes::mmm_encode(notes::read_midi_file(midi)));
      }
    }
    if (compare) {
      for (const auto& [path, samples] : pieces) {
        for (const std::string& s : samples) reference_.push_back(features_of(s));
      }
    }
    for (int i = 0; i < n_; ++i) {
      Doc d;
      d.id = "gen:" + std::to_string(i);
      nlohmann::json data = {{"seed", seed_ + static_cast<uint64_t>(i)}};
      if (mode_ == "piece_start") {
        data["prompt"] = "PIECE_START";
      } else {
        const auto& [path, samples] = pieces[static_cast<size_t>(i) % pieces.size()];
        if (samples.empty()) throw bad_input(path, "notes", "the piece has no notes");
        const std::string& first = samples.front();
        data["prompt"] = mode_ == "first_track" ? prefix_through(first, "TRACK_END", 1)
                                                : prefix_through(first, "BAR_END", prompt_bars_);
        data["source"] = path;
        data["sample"] = first;
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
    if (mode_ == "first_bars") out["prompt_bars"] = prompt_bars_;
    out["sampling"] = sampling_json(sampling_, seed_);
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
    if (doc.data.contains("sample")) out.target = doc.data.at("sample").get<std::string>();
    // Whitespace-split tokens: the completion keeps the prompt's last token apart from the first
    // generated one (its separator is part of the text that follows the prompt).
    const bool separate =
        !r.text.empty() && !out.prompt.empty() && r.text.front() != ' ' && out.prompt.back() != ' ';
    out.response = (separate ? " " : "") + r.text;
    score_sample(out.piece(), out.values);
    add_completion_values(r, out.values);
    return out;
  }

  std::vector<MetricValue> aggregate(std::span<const SampleResult> samples) const override {
    std::vector<MetricValue> out;
    for (const auto& [name, higher] : kValidityValues) add_mean(samples, name, out);
    for (const auto& [name, higher] : completion_value_names()) add_mean(samples, name, out);
    for (const std::string& name : scalar_statistic_names()) add_mean(samples, name, out);
    std::vector<st::PieceFeatures> generated;
    for (const SampleResult& s : samples) generated.push_back(features_of(s.piece()));
    for (MetricValue& m : compare_features(generated, reference_)) out.push_back(std::move(m));
    return out;
  }

  // The validity, bar repetition and statistics values of one sample's text.
  static void score_sample(const std::string& text, std::map<std::string, double>& v) {
    const notes::MmmValidity validity = notes::mmm_validity(text);
    v["valid"] = validity.valid;
    v["piece"] = validity.piece;
    v["tracks"] = validity.tracks;
    v["bars"] = validity.bars;
    v["notes"] = validity.notes;
    v["bar_length"] = validity.bar_length;
    v["bar_count"] = validity.bar_count;
    v["known_tokens"] = validity.known_tokens;
    v["track_count"] = validity.track_count;
    if (!validity.bar_texts.empty()) {
      v["bar_repetition"] = metrics::bar_repetition_rate(validity.bar_texts);
    }
    const notes::MmmDecodeResult decoded = notes::mmm_decode(text, kTicksPerQuarter);
    v["decode_clean"] = decoded.diagnostics.empty();
    v["note_count"] = static_cast<double>(decoded.sequence.notes.size());
    add_note_statistics(decoded.sequence, v);
  }

 private:
  SuiteSpec spec_;
  std::string mode_;
  int n_ = 64;
  int prompt_bars_ = 2;
  uint64_t seed_ = 1234;
  SamplingParams sampling_;
  fs::path heldout_path_;
  std::vector<st::PieceFeatures> reference_;  // empty: no comparison
  std::vector<Doc> docs_;
};

}  // namespace

std::unique_ptr<Suite> make_mmm_gen_suite(const SuiteSpec& spec) {
  return std::make_unique<MmmGenSuite>(spec);
}

}  // namespace tb::suites
