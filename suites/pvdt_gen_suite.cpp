#include "suites/pvdt_gen_suite.hpp"

#include <filesystem>

#include "harness/core/error.hpp"
#include "metrics/notes/midi_file.hpp"
#include "metrics/notes/pvdt_text.hpp"
#include "metrics/notes/pvdt_validity.hpp"
#include "suites/note_gen_common.hpp"
#include "suites/registry.hpp"

namespace tb::suites {

namespace {

namespace fs = std::filesystem;
namespace st = metrics::statistics;

constexpr std::pair<const char*, bool> kValidityValues[] = {
    {"valid", true},          {"nonempty", true},          {"well_formed", true},
    {"pitch_in_range", true}, {"velocity_in_range", true}, {"duration_positive", true},
    {"bend_in_range", true},  {"note_count", true},        {"bend_rate", true},
};

notes::NoteSequence notes_of(const std::string& text) {
  return notes::read_pvdt(notes::pvdt_validity(text).notes_text).sequence;
}

// The first `count` notes in onset order, at the p:v:d:t resolution.
std::string first_notes(const notes::NoteSequence& seq, int count) {
  notes::NoteSequence out;
  out.ticks_per_quarter = notes::kPvdtTicksPerQuarter;
  std::vector<notes::NoteEvent> sorted = seq.notes;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.start < b.start; });
  const int64_t tpq = seq.ticks_per_quarter;
  for (size_t i = 0; i < sorted.size() && static_cast<int>(i) < count; ++i) {
    notes::NoteEvent e = sorted[i];
    e.start = e.start * notes::kPvdtTicksPerQuarter / tpq;
    e.duration = std::max<int64_t>(1, e.duration * notes::kPvdtTicksPerQuarter / tpq);
    out.notes.push_back(e);
  }
  return notes::write_pvdt(out);
}

class PvdtGenSuite : public Suite {
 public:
  explicit PvdtGenSuite(const SuiteSpec& spec) : spec_(spec) {
    n_ = static_cast<int>(spec_number(spec, "n", 64, 1, 1'000'000));
    mode_ = spec_choice(spec, "prompt", {"unconditional", "first_notes"});
    prompt_notes_ = static_cast<int>(spec_number(spec, "prompt_notes", 8, 1, 10'000));
    sampling_ = spec_sampling(spec, 512, {"\n\n"});
    seed_ = static_cast<uint64_t>(spec_number(spec, "seed", 1234, 0, 9e15));
    if (spec.raw.contains("prefix") && !spec.raw["prefix"].is_string()) {
      throw bad_input(spec.source, "prefix", "must be a string");
    }
    const std::string prefix = spec.raw.value("prefix", std::string());
    const std::string reference = spec_choice(spec, "reference", {"heldout", "none"});
    const bool compare =
        reference == "heldout" && spec.raw.contains("heldout") && fs::is_directory(spec.data);
    std::vector<std::pair<std::string, notes::NoteSequence>> pieces;
    if (mode_ != "unconditional" || compare) {
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
        pieces.emplace_back(fs::relative(midi, spec.data).string(), notes::read_midi_file(midi));
      }
    }
    if (compare) {
      for (const auto& [path, seq] : pieces) reference_.push_back(st::piece_features(seq));
    }
    for (int i = 0; i < n_; ++i) {
      Doc d;
      d.id = "gen:" + std::to_string(i);
      nlohmann::json data = {{"seed", seed_ + static_cast<uint64_t>(i)}};
      if (mode_ == "unconditional") {
        data["prompt"] = prefix;
      } else {
        const auto& [path, seq] = pieces[static_cast<size_t>(i) % pieces.size()];
        data["prompt"] = first_notes(seq, prompt_notes_) + " ";
        data["source"] = path;
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
      out.erase("data");
    }
    out["reference"] = reference_.empty() ? "none" : "heldout";
    out["reference_pieces"] = reference_.size();
    out["n"] = n_;
    out["prompt"] = mode_;
    if (mode_ == "first_notes") out["prompt_notes"] = prompt_notes_;
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
    out.response = r.text;
    auto& v = out.values;
    const notes::PvdtValidity validity = notes::pvdt_validity(out.piece());
    v["valid"] = validity.valid;
    v["nonempty"] = validity.nonempty;
    v["well_formed"] = validity.well_formed;
    v["pitch_in_range"] = validity.pitch_range;
    v["velocity_in_range"] = validity.velocity_range;
    v["duration_positive"] = validity.duration_positive;
    v["bend_in_range"] = validity.bend_range;
    if (validity.tokens > 0) v["bend_rate"] = static_cast<double>(validity.bends) / validity.tokens;
    const notes::NoteSequence seq = notes::read_pvdt(validity.notes_text).sequence;
    v["note_count"] = static_cast<double>(seq.notes.size());
    add_note_statistics(seq, v);
    add_completion_values(r, v);
    return out;
  }

  std::vector<MetricValue> aggregate(std::span<const SampleResult> samples) const override {
    std::vector<MetricValue> out;
    for (const auto& [name, higher] : kValidityValues) add_mean(samples, name, out);
    for (const auto& [name, higher] : completion_value_names()) add_mean(samples, name, out);
    for (const std::string& name : scalar_statistic_names()) add_mean(samples, name, out);
    std::vector<st::PieceFeatures> generated;
    for (const SampleResult& s : samples)
      generated.push_back(st::piece_features(notes_of(s.piece())));
    for (MetricValue& m : compare_features(generated, reference_)) out.push_back(std::move(m));
    return out;
  }

 private:
  SuiteSpec spec_;
  std::string mode_;
  int n_ = 64;
  int prompt_notes_ = 8;
  uint64_t seed_ = 1234;
  SamplingParams sampling_;
  fs::path heldout_path_;
  std::vector<st::PieceFeatures> reference_;
  std::vector<Doc> docs_;
};

}  // namespace

std::unique_ptr<Suite> make_pvdt_gen_suite(const SuiteSpec& spec) {
  return std::make_unique<PvdtGenSuite>(spec);
}

}  // namespace tb::suites
