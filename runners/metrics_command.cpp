// `tunebench metrics`: reads pieces (every tune of an ABC file, a MIDI file, every PIECE_START
// sample of an MMM token file, a p:v:d:t text) and prints per-set aggregates.
//
// Repetition is measured on the stream a model would have produced: for ABC the characters of
// the tune's music (the lines after K:, without spaces and line breaks) plus the bar repetition
// rate of its bars (metrics/abc bar_texts); for MMM the sample's tokens; for MIDI and p:v:d:t
// the pitches in onset order (all tracks). An ABC tune that breaks the rules is data: it counts
// in the validity rates and is measured like the others. A file that cannot be read, an invalid
// MIDI file or a file whose format cannot be told is an error (exit 2).
#include "runners/metrics_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/core/error.hpp"
#include "harness/core/text_file.hpp"
#include "metrics/abc/abc.hpp"
#include "metrics/abc/validity.hpp"
#include "metrics/notes/abc_notes.hpp"
#include "metrics/notes/midi_file.hpp"
#include "metrics/notes/mmm.hpp"
#include "metrics/notes/parse_error.hpp"
#include "metrics/notes/pvdt_text.hpp"
#include "metrics/repetition.hpp"
#include "metrics/statistics/features.hpp"
#include "metrics/statistics/set_comparison.hpp"

namespace tb {
namespace {

namespace fs = std::filesystem;
namespace st = metrics::statistics;

struct MetricsArgs {
  std::vector<std::string> files;
  std::vector<std::string> reference;
  std::string format = "auto";
  size_t max_pieces = st::kDefaultMaxPieces;
  bool json = false;
};

// Everything measured on one set of inputs.
struct PieceSet {
  size_t files = 0;
  std::vector<metrics::abc::Tune> tunes;  // ABC only, for the validity rates
  std::vector<st::PieceFeatures> features;
  std::vector<metrics::RepetitionStats> repetition;
  std::vector<double> bar_repetition;  // ABC tunes with bars
};

std::string lower_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

bool known_extension(const fs::path& p) {
  const std::string ext = lower_extension(p);
  return ext == ".abc" || ext == ".mid" || ext == ".midi" || ext == ".mmm" || ext == ".txt" ||
         ext == ".pvdt";
}

// The format of a file: from --format, else the extension, else the content.
std::string detect_format(const fs::path& path, const std::string& forced,
                          const std::string& text) {
  if (forced != "auto") return forced;
  const std::string ext = lower_extension(path);
  if (ext == ".abc") return "abc";
  if (ext == ".mid" || ext == ".midi") return "midi";
  if (ext == ".mmm") return "mmm";
  if (text.find("PIECE_START") != std::string::npos) return "mmm";
  if (text.starts_with("X:") || text.find("\nX:") != std::string::npos) return "abc";
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == 'p' && first + 1 < text.size() &&
      std::isdigit(static_cast<unsigned char>(text[first + 1]))) {
    return "pvdt";
  }
  return "";
}

std::vector<int32_t> pitch_stream(const notes::NoteSequence& seq) {
  std::vector<const notes::NoteEvent*> order;
  for (const auto& n : seq.notes) order.push_back(&n);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto* a, const auto* b) { return a->start < b->start; });
  std::vector<int32_t> out;
  for (const auto* n : order) out.push_back(n->pitch);
  return out;
}

// The music of a tune as characters: the lines after its first K: line, without blanks.
std::vector<int32_t> abc_music_chars(std::string_view tune) {
  size_t body = 0;
  for (size_t pos = 0; pos < tune.size();) {
    const size_t nl = std::min(tune.find('\n', pos), tune.size());
    if (tune.substr(pos).starts_with("K:")) {
      body = nl;
      break;
    }
    pos = nl + 1;
  }
  std::vector<int32_t> out;
  for (size_t i = body; i < tune.size(); ++i) {
    const char c = tune[i];
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
      out.push_back(static_cast<unsigned char>(c));
  }
  return out;
}

void add_abc(const std::string& text, PieceSet& set) {
  for (const metrics::abc::TuneText& t : metrics::abc::split_tunes(text)) {
    metrics::abc::Tune tune = metrics::abc::parse_tune(t);
    set.features.push_back(st::piece_features(notes::abc_to_notes(tune)));
    set.repetition.push_back(metrics::repetition_stats(abc_music_chars(t.text)));
    const std::vector<std::string> bars = metrics::abc::bar_texts(tune);
    if (!bars.empty()) set.bar_repetition.push_back(metrics::bar_repetition_rate(bars));
    set.tunes.push_back(std::move(tune));
  }
}

void add_notes(const notes::NoteSequence& seq, PieceSet& set) {
  set.features.push_back(st::piece_features(seq));
  set.repetition.push_back(metrics::repetition_stats(pitch_stream(seq)));
}

void add_mmm(const std::string& text, PieceSet& set) {
  for (size_t at = text.find("PIECE_START"); at != std::string::npos;) {
    const size_t next = text.find("PIECE_START", at + 1);
    const std::string_view sample = std::string_view(text).substr(
        at, next == std::string::npos ? std::string::npos : next - at);
    const notes::MmmDecodeResult decoded = notes::mmm_decode(sample, notes::kAbcTicksPerQuarter);
    set.features.push_back(st::piece_features(decoded.sequence));
    std::vector<std::string> tokens;
    std::istringstream in{std::string(sample)};
    for (std::string tok; in >> tok;) tokens.push_back(tok);
    set.repetition.push_back(metrics::repetition_stats(tokens));
    at = next;
  }
}

// A file named on the command line must be music; one found in a directory is skipped when its
// format cannot be told (a licence or README .txt).
void add_file(const fs::path& path, const std::string& forced, PieceSet& set, bool listed) {
  const std::string text = read_text_file(path.string());
  const std::string format = detect_format(path, forced, text);
  if (format.empty()) {
    if (listed) return;
    throw bad_input(path.string(), "format",
                    "cannot tell ABC, MIDI, MMM or p:v:d:t text apart (use --format)");
  }
  ++set.files;
  if (format == "abc") {
    add_abc(text, set);
  } else if (format == "midi") {
    try {
      const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text.data()),
                                           text.size());
      add_notes(notes::parse_midi(bytes, path.string()), set);
    } catch (const notes::ParseError& e) {
      throw Error(ErrorKind::BadInput, e.what());
    }
  } else if (format == "mmm") {
    add_mmm(text, set);
  } else {
    add_notes(notes::read_pvdt(text).sequence, set);
  }
}

PieceSet load(const std::vector<std::string>& inputs, const std::string& format) {
  PieceSet set;
  for (const std::string& input : inputs) {
    const fs::path p(input);
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::recursive_directory_iterator(p, ec)) {
        if (e.is_regular_file() && known_extension(e.path())) files.push_back(e.path());
      }
      if (ec) throw Error(ErrorKind::Io, input + ": cannot list: " + ec.message());
      std::sort(files.begin(), files.end());
      for (const fs::path& f : files) add_file(f, format, set, true);
    } else {
      add_file(p, format, set, false);
    }
  }
  return set;
}

// Mean over the pieces where the value is defined, per component.
std::vector<double> mean_feature(const PieceSet& set, st::Feature f, size_t& n) {
  std::vector<double> sum(st::feature_size(f), 0.0);
  n = 0;
  for (const st::PieceFeatures& p : set.features) {
    const auto& v = p[f];
    if (v.empty() || std::any_of(v.begin(), v.end(), [](double x) { return std::isnan(x); }))
      continue;
    for (size_t i = 0; i < v.size(); ++i) sum[i] += v[i];
    ++n;
  }
  for (double& x : sum) x = n > 0 ? x / static_cast<double>(n) : std::nan("");
  return sum;
}

double mean_of(const std::vector<double>& v) {
  if (v.empty()) return std::nan("");
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

nlohmann::json number(double x) {
  return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr);
}

// name -> value pairs of the repetition aggregates, in print order.
std::vector<std::pair<std::string, double>> repetition_means(const PieceSet& set) {
  auto mean_by = [&](auto get) {
    std::vector<double> v;
    for (const auto& r : set.repetition) v.push_back(get(r));
    return mean_of(v);
  };
  std::vector<std::pair<std::string, double>> out;
  for (int n = 1; n <= 4; ++n) {
    out.emplace_back(fmt::format("seq_rep_{}", n),
                     mean_by([n](const auto& r) { return r.seq_rep[n]; }));
  }
  out.emplace_back("rep_w16", mean_by([](const auto& r) { return r.rep_w; }));
  out.emplace_back("rep_r", mean_by([](const auto& r) { return r.rep_r; }));
  out.emplace_back("longest_repeat", mean_by([](const auto& r) { return r.longest_repeat; }));
  out.emplace_back("loop_rate", mean_by([](const auto& r) { return r.loop.found ? 1.0 : 0.0; }));
  if (!set.bar_repetition.empty()) out.emplace_back("bar_repetition", mean_of(set.bar_repetition));
  return out;
}

void run_metrics(const MetricsArgs& args) {
  const PieceSet set = load(args.files, args.format);
  std::optional<PieceSet> reference;
  std::vector<st::FeatureComparison> comparison;
  if (!args.reference.empty()) {
    reference = load(args.reference, args.format);
    comparison = st::compare_sets(set.features, reference->features, args.max_pieces);
  }
  const metrics::abc::ValidityRates rates = metrics::abc::validity_rates(set.tunes);
  const auto repetition = repetition_means(set);

  if (args.json) {
    nlohmann::json out;
    out["files"] = set.files;
    out["pieces"] = set.features.size();
    if (!set.tunes.empty()) {
      out["abc"] = {{"tunes", rates.tunes},
                    {"tier1", rates.tier[1]},
                    {"tier2", rates.tier[2]},
                    {"tier3", rates.tier[3]},
                    {"tier4", rates.tier[4]},
                    {"level_at_least",
                     {rates.level_at_least[1], rates.level_at_least[2], rates.level_at_least[3],
                      rates.level_at_least[4]}},
                    {"header_complete", rates.tier[2]},
                    {"uses_repeats", rates.uses_repeats},
                    {"truncated", rates.truncated}};
    }
    for (const auto& [name, value] : repetition) out["repetition"][name] = number(value);
    for (size_t k = 0; k < st::kFeatureCount; ++k) {
      const st::Feature f = st::feature_at(k);
      size_t n = 0;
      const std::vector<double> m = mean_feature(set, f, n);
      nlohmann::json mean = nlohmann::json::array();
      for (double x : m) mean.push_back(number(x));
      out["statistics"][std::string(st::feature_name(f))] = {
          {"mean", m.size() == 1 ? mean[0] : mean}, {"n", n}};
    }
    if (reference) {
      out["reference_pieces"] = reference->features.size();
      out["max_pieces"] = args.max_pieces;
      for (const auto& c : comparison) {
        out["comparison"][std::string(st::feature_name(c.feature))] = {
            {"kl", number(c.kl)},
            {"overlap", number(c.overlap)},
            {"intra_generated", number(c.intra_generated_mean)},
            {"intra_reference", number(c.intra_reference_mean)},
            {"inter", number(c.inter_mean)},
            {"generated", c.generated},
            {"reference", c.reference}};
      }
    }
    fmt::print("{}\n", out.dump(2));
    return;
  }

  fmt::print("{} pieces from {} files\n", set.features.size(), set.files);
  if (!set.tunes.empty()) {
    fmt::print("\nABC validity ({} tunes)\n", rates.tunes);
    fmt::print("  {:<28} {:>8.4f}\n", "tier1 (parses)", rates.tier[1]);
    fmt::print("  {:<28} {:>8.4f}\n", "tier2 (header complete)", rates.tier[2]);
    fmt::print("  {:<28} {:>8.4f}\n", "tier3 (bars match meter)", rates.tier[3]);
    fmt::print("  {:<28} {:>8.4f}\n", "tier4 (voices aligned)", rates.tier[4]);
    fmt::print("  {:<28} {:>8.4f}\n", "all tiers", rates.level_at_least[4]);
    fmt::print("  {:<28} {:>8.4f}\n", "uses repeats", rates.uses_repeats);
    fmt::print("  {:<28} {:>8.4f}\n", "truncated", rates.truncated);
  }
  fmt::print("\nRepetition (mean per piece)\n");
  for (const auto& [name, value] : repetition) fmt::print("  {:<28} {:>8.4f}\n", name, value);
  fmt::print("\nStatistics (mean over pieces where defined)\n");
  for (size_t k = 0; k < st::kFeatureCount; ++k) {
    const st::Feature f = st::feature_at(k);
    size_t n = 0;
    const std::vector<double> m = mean_feature(set, f, n);
    if (m.size() == 1) {
      fmt::print("  {:<30} {:>10.4f}  (n={})\n", st::feature_name(f), m[0], n);
    } else if (m.size() == 12) {
      fmt::print("  {:<30} {:.3f}  (n={})\n", st::feature_name(f), fmt::join(m, " "), n);
    }
  }
  if (reference) {
    fmt::print("\nAgainst the reference ({} pieces; at most {} per set): KL(intra || inter), OA\n",
               reference->features.size(), args.max_pieces);
    fmt::print("  {:<30} {:>10} {:>10}\n", "feature", "KL", "OA");
    for (const auto& c : comparison) {
      fmt::print("  {:<30} {:>10.4f} {:>10.4f}\n", st::feature_name(c.feature), c.kl, c.overlap);
    }
  }
}

}  // namespace

void add_metrics_command(CLI::App& app) {
  auto args = std::make_shared<MetricsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "metrics", "ABC validity, repetition and pitch/rhythm statistics of a set of pieces");
  cmd->add_option("files", args->files, "ABC, MIDI, MMM or p:v:d:t files or directories")
      ->required();
  cmd->add_option("--reference", args->reference, "Reference files or directories (KL and OA)");
  cmd->add_option("--format", args->format, "abc, midi, mmm, pvdt or auto (by extension)")
      ->check(CLI::IsMember({"abc", "midi", "mmm", "pvdt", "auto"}));
  cmd->add_option("--max-pieces", args->max_pieces,
                  "Pieces per set in the KL/OA comparison (evenly spaced subsample)")
      ->check(CLI::Range(size_t{2}, size_t{100000}));
  cmd->add_flag("--json", args->json, "Print JSON instead of tables");
  cmd->callback([args] { run_metrics(*args); });
}

}  // namespace tb
