// `tunebench metrics`: reads pieces (every tune of an ABC file, a MIDI file, every PIECE_START
// sample of an MMM token file, a p:v:d:t text) and prints per-set aggregates.
//
// Repetition is measured on the stream a model would have produced: for ABC the characters of
// the tune's music (the lines after K:, without spaces and line breaks) plus the bar repetition
// rate of its bars (metrics/abc bar_texts); for MMM the sample's tokens; for MIDI and p:v:d:t
// the pitches in onset order (all tracks). An ABC tune that breaks the rules is data: it counts
// in the validity rates and is measured like the others. A file that cannot be read, an invalid
// MIDI file or a file whose format cannot be told is an error (exit 2).
//
// Every piece is a row of a MetricsTable (runners/metrics_table.hpp); the aggregates (mean,
// standard deviation, median, quartiles) are the table's column summaries, and --per-piece
// writes the rows themselves.
#include "runners/metrics_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "harness/core/error.hpp"
#include "harness/core/limits.hpp"
#include "harness/core/text_file.hpp"
#include "metrics/abc/abc.hpp"
#include "metrics/abc/validity.hpp"
#include "metrics/notes/abc_notes.hpp"
#include "metrics/notes/midi_file.hpp"
#include "metrics/notes/mmm.hpp"
#include "metrics/notes/musicxml.hpp"
#include "metrics/notes/parse_error.hpp"
#include "metrics/notes/pvdt_text.hpp"
#include "metrics/repetition.hpp"
#include "metrics/statistics/features.hpp"
#include "metrics/statistics/set_comparison.hpp"
#include "runners/metrics_table.hpp"

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
  std::string per_piece;  // .csv or .jsonl path
};

// Everything measured on one set of inputs.
struct PieceSet {
  size_t files = 0;
  std::vector<metrics::abc::Tune> tunes;  // ABC only, for the validity rates
  std::vector<st::PieceFeatures> features;
  MetricsTable table{MetricsTable::standard_columns(true), {}};
};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One piece: its features for the set comparison, its row for the table.
void add_piece(PieceSet& set, const fs::path& file, size_t piece, st::PieceFeatures features,
               const metrics::RepetitionStats& rep, const metrics::abc::Tune* tune,
               double bar_repetition) {
  MetricsRow row;
  row.file = file.string();
  row.piece = piece;
  const auto& cols = set.table.columns;
  row.values.assign(cols.size(), kNaN);
  auto put = [&](const std::string& name, double v) { row.values[set.table.index(name)] = v; };
  if (tune != nullptr) {
    const metrics::abc::Validity v = metrics::abc::validity(*tune);
    for (int k = 1; k <= 4; ++k) put(fmt::format("tier{}", k), v.tier[k] ? 1 : 0);
    put("level", v.level);
    put("all_header_fields", v.all_header_fields ? 1 : 0);
    put("uses_repeats", v.uses_repeats ? 1 : 0);
    put("truncated", v.truncated ? 1 : 0);
    put("bar_repetition", bar_repetition);
  }
  for (int n = 1; n <= 4; ++n) put(fmt::format("seq_rep_{}", n), rep.seq_rep[n]);
  put("rep_w16", rep.rep_w);
  put("rep_r", rep.rep_r);
  put("longest_repeat", rep.longest_repeat);
  put("loop_rate", rep.loop.found ? 1.0 : 0.0);
  size_t at = 0;
  while (at < cols.size() && cols[at].group != "statistics") ++at;
  for (size_t k = 0; k < st::kFeatureCount; ++k) {
    const st::Feature f = st::feature_at(k);
    for (double x : st::piece_summary(f, features[f])) row.values[at++] = x;
  }
  set.table.rows.push_back(std::move(row));
  set.features.push_back(std::move(features));
}

// Without ABC tunes the ABC-only columns go.
void drop_abc_columns(MetricsTable& table) {
  std::vector<size_t> keep;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (table.columns[i].group != "abc" && table.columns[i].name != "bar_repetition") {
      keep.push_back(i);
    }
  }
  std::vector<MetricsColumn> cols;
  for (size_t i : keep) cols.push_back(table.columns[i]);
  for (MetricsRow& r : table.rows) {
    std::vector<double> v;
    for (size_t i : keep) v.push_back(r.values[i]);
    r.values = std::move(v);
  }
  table.columns = std::move(cols);
}

std::string lower_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

bool known_extension(const fs::path& p) {
  const std::string ext = lower_extension(p);
  return ext == ".abc" || ext == ".mid" || ext == ".midi" || ext == ".mmm" || ext == ".txt" ||
         ext == ".pvdt" || ext == ".musicxml" || ext == ".mxl" || ext == ".xml";
}

// The format of a file: from --format, else the extension, else the content.
std::string detect_format(const fs::path& path, const std::string& forced,
                          const std::string& text) {
  if (forced != "auto") return forced;
  const std::string ext = lower_extension(path);
  if (ext == ".abc") return "abc";
  if (ext == ".mid" || ext == ".midi") return "midi";
  if (ext == ".mmm") return "mmm";
  if (ext == ".musicxml" || ext == ".mxl" || ext == ".xml") return "musicxml";
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

// The music of a tune as characters: the lines after its first K: line, without blanks. Only
// the part the parser reads (limits::kAbcTuneBytes): a tune that is one 50 MB line made the
// repetition metrics' suffix array take 90 CPU s and 2.4 GB for music that fails tier 1.
std::vector<int32_t> abc_music_chars(std::string_view tune) {
  tune = tune.substr(0, std::min(tune.size(), limits::kAbcTuneBytes));
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

void add_abc(const fs::path& file, const std::string& text, PieceSet& set) {
  size_t piece = 0;
  for (const metrics::abc::TuneText& t : metrics::abc::split_tunes(text)) {
    metrics::abc::Tune tune = metrics::abc::parse_tune(t);
    const std::vector<std::string> bars = metrics::abc::bar_texts(tune);
    add_piece(set, file, ++piece, st::piece_features(notes::abc_to_notes(tune)),
              metrics::repetition_stats(abc_music_chars(t.text)), &tune,
              bars.empty() ? kNaN : metrics::bar_repetition_rate(bars));
    set.tunes.push_back(std::move(tune));
  }
}

void add_notes(const fs::path& file, const notes::NoteSequence& seq, PieceSet& set) {
  add_piece(set, file, 1, st::piece_features(seq), metrics::repetition_stats(pitch_stream(seq)),
            nullptr, kNaN);
}

void add_mmm(const fs::path& file, const std::string& text, PieceSet& set) {
  size_t piece = 0;
  for (size_t at = text.find("PIECE_START"); at != std::string::npos;) {
    const size_t next = text.find("PIECE_START", at + 1);
    const std::string_view sample = std::string_view(text).substr(
        at, next == std::string::npos ? std::string::npos : next - at);
    const notes::MmmDecodeResult decoded = notes::mmm_decode(sample, notes::kAbcTicksPerQuarter);
    std::vector<std::string> tokens;
    std::istringstream in{std::string(sample)};
    for (std::string tok; in >> tok;) tokens.push_back(tok);
    add_piece(set, file, ++piece, st::piece_features(decoded.sequence),
              metrics::repetition_stats(tokens), nullptr, kNaN);
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
    add_abc(path, text, set);
  } else if (format == "midi") {
    try {
      const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text.data()),
                                           text.size());
      add_notes(path, notes::parse_midi(bytes, path.string()), set);
    } catch (const notes::ParseError& e) {
      throw Error(ErrorKind::BadInput, e.what());
    }
  } else if (format == "musicxml") {
    try {
      add_notes(path, notes::parse_musicxml(text, path.string()), set);
    } catch (const notes::ParseError& e) {
      throw Error(ErrorKind::BadInput, e.what());
    }
  } else if (format == "mmm") {
    add_mmm(path, text, set);
  } else {
    add_notes(path, notes::read_pvdt(text).sequence, set);
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
  if (set.tunes.empty()) drop_abc_columns(set.table);
  return set;
}

nlohmann::json number(double x) {
  return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr);
}

// The columns of one feature or value: [first, first + count).
struct ColumnRange {
  std::string name;
  std::string group;
  size_t first = 0;
  size_t count = 0;
};

std::vector<ColumnRange> column_ranges(const MetricsTable& table) {
  std::vector<ColumnRange> out;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const MetricsColumn& c = table.columns[i];
    if (!out.empty() && out.back().name == c.feature && c.name != c.feature) {
      ++out.back().count;
    } else {
      out.push_back({c.feature, c.group, i, 1});
    }
  }
  return out;
}

// {"mean", "std", "median", "q1", "q3", "n"}: numbers for one column, arrays for several.
nlohmann::json summary_json(const MetricsTable& table, const ColumnRange& r) {
  std::vector<st::Summary> s;
  for (size_t i = 0; i < r.count; ++i) s.push_back(table.summary(r.first + i));
  auto field = [&](double st::Summary::*member) {
    if (r.count == 1) return number(s[0].*member);
    nlohmann::json a = nlohmann::json::array();
    for (const auto& x : s) a.push_back(number(x.*member));
    return a;
  };
  return {{"mean", field(&st::Summary::mean)},     {"std", field(&st::Summary::std)},
          {"median", field(&st::Summary::median)}, {"q1", field(&st::Summary::q1)},
          {"q3", field(&st::Summary::q3)},         {"n", s[0].n}};
}

void write_per_piece(const MetricsTable& table, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(ErrorKind::Io, path + ": cannot write the per-piece table");
  if (lower_extension(path) == ".csv") {
    write_csv(table, out);
  } else {
    write_jsonl(table, out);
  }
  out.close();
  if (!out) throw Error(ErrorKind::Io, path + ": write failed");
}

// A table cell: "-" where no piece defines the value.
std::string cell(double x, int width = 10) {
  return std::isnan(x) ? fmt::format("{:>{}}", "-", width) : fmt::format("{:>{}.4f}", x, width);
}

void print_summary_row(const std::string& name, const st::Summary& s) {
  fmt::print("  {:<30} {} {} {} {} {} {:>6}\n", name, cell(s.mean), cell(s.std), cell(s.median),
             cell(s.q1), cell(s.q3), s.n);
}

void print_text(const PieceSet& set, const metrics::abc::ValidityRates& rates,
                const std::optional<PieceSet>& reference,
                const std::vector<st::FeatureComparison>& comparison, size_t max_pieces) {
  fmt::print("{} pieces from {} files\n", set.features.size(), set.files);
  if (!set.tunes.empty()) {
    fmt::print("\nABC validity ({} tunes)\n", rates.tunes);
    fmt::print("  {:<28} {:>8.4f}\n", "tier1 (parses)", rates.tier[1]);
    fmt::print("  {:<28} {:>8.4f}\n", "tier2 (ABC 2.1 header)", rates.tier[2]);
    fmt::print("  {:<28} {:>8.4f}\n", "tier3 (bars match meter)", rates.tier[3]);
    fmt::print("  {:<28} {:>8.4f}\n", "tier4 (voices aligned)", rates.tier[4]);
    fmt::print("  {:<28} {:>8.4f}\n", "all tiers", rates.level_at_least[4]);
    fmt::print("  {:<28} {:>8.4f}\n", "X/T/M/L/K all present", rates.all_header_fields);
    fmt::print("  {:<28} {:>8.4f}\n", "uses repeats", rates.uses_repeats);
    fmt::print("  {:<28} {:>8.4f}\n", "truncated", rates.truncated);
  }
  const auto ranges = column_ranges(set.table);
  const std::string head = fmt::format("  {:<30} {:>10} {:>10} {:>10} {:>10} {:>10} {:>6}\n", "",
                                       "mean", "std", "median", "q1", "q3", "n");
  fmt::print("\nRepetition (per piece)\n{}", head);
  for (const ColumnRange& r : ranges) {
    if (r.group == "repetition") print_summary_row(r.name, set.table.summary(r.first));
  }
  fmt::print("\nStatistics (over pieces where defined; per-bar features: mean over bars)\n{}",
             head);
  for (const ColumnRange& r : ranges) {
    if (r.group != "statistics") continue;
    if (r.count == 1) {
      print_summary_row(r.name, set.table.summary(r.first));
    } else if (r.count <= 24) {
      std::vector<std::string> mean;
      for (size_t i = 0; i < r.count; ++i) {
        mean.push_back(cell(set.table.summary(r.first + i).mean, 5));
      }
      fmt::print("  {:<30} mean {}\n", r.name, fmt::join(mean, " "));
    }
  }
  if (reference) {
    fmt::print("\nAgainst the reference ({} pieces; at most {} per set): KL(intra || inter), OA\n",
               reference->features.size(), max_pieces);
    fmt::print("  {:<30} {:>10} {:>10}\n", "feature", "KL", "OA");
    for (const auto& c : comparison) {
      if (std::isnan(c.kl) || std::isnan(c.overlap)) {
        fmt::print("  {:<30} undefined: {}\n", st::feature_name(c.feature), c.undefined);
      } else {
        fmt::print("  {:<30} {:>10.4f} {:>10.4f}{}\n", st::feature_name(c.feature), c.kl, c.overlap,
                   c.undefined.empty() ? "" : "  (" + c.undefined + ")");
      }
    }
  }
}

void run_metrics(const MetricsArgs& args) {
  if (!args.per_piece.empty()) {
    const std::string ext = lower_extension(args.per_piece);
    if (ext != ".csv" && ext != ".jsonl") {
      throw bad_input(args.per_piece, "--per-piece", "must end in .csv or .jsonl");
    }
  }
  const PieceSet set = load(args.files, args.format);
  std::optional<PieceSet> reference;
  std::vector<st::FeatureComparison> comparison;
  if (!args.reference.empty()) {
    reference = load(args.reference, args.format);
    comparison = st::compare_sets(set.features, reference->features, args.max_pieces);
  }
  const metrics::abc::ValidityRates rates = metrics::abc::validity_rates(set.tunes);
  if (!args.per_piece.empty()) write_per_piece(set.table, args.per_piece);

  if (!args.json) {
    print_text(set, rates, reference, comparison, args.max_pieces);
    return;
  }
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
                  {"all_header_fields", rates.all_header_fields},
                  {"header_complete", rates.all_header_fields},
                  {"uses_repeats", rates.uses_repeats},
                  {"truncated", rates.truncated}};
  }
  for (const ColumnRange& r : column_ranges(set.table)) {
    if (r.group == "repetition") out["repetition"][r.name] = summary_json(set.table, r);
    if (r.group == "statistics") out["statistics"][r.name] = summary_json(set.table, r);
  }
  if (reference) {
    out["reference_pieces"] = reference->features.size();
    out["max_pieces"] = args.max_pieces;
    for (const auto& c : comparison) {
      nlohmann::json j = {{"kl", number(c.kl)},
                          {"overlap", number(c.overlap)},
                          {"intra_generated", number(c.intra_generated_mean)},
                          {"intra_reference", number(c.intra_reference_mean)},
                          {"inter", number(c.inter_mean)},
                          {"generated", c.generated},
                          {"reference", c.reference}};
      if (!c.undefined.empty()) j["undefined"] = c.undefined;
      out["comparison"][std::string(st::feature_name(c.feature))] = j;
    }
  }
  fmt::print("{}\n", out.dump(2));
}

}  // namespace

void add_metrics_command(CLI::App& app) {
  auto args = std::make_shared<MetricsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "metrics", "ABC validity, repetition and pitch/rhythm statistics of a set of pieces");
  cmd->add_option(
         "files", args->files,
         "ABC, MIDI, MusicXML (.musicxml, .xml, .mxl), MMM or p:v:d:t files or directories")
      ->required();
  cmd->add_option("--reference", args->reference, "Reference files or directories (KL and OA)");
  cmd->add_option("--format", args->format, "abc, midi, musicxml, mmm, pvdt or auto (by extension)")
      ->check(CLI::IsMember({"abc", "midi", "musicxml", "mmm", "pvdt", "auto"}));
  cmd->add_option("--max-pieces", args->max_pieces,
                  "Pieces per set in the KL/OA comparison (evenly spaced subsample)")
      ->check(CLI::Range(size_t{2}, size_t{100000}));
  cmd->add_flag("--json", args->json, "Print JSON instead of tables");
  cmd->add_option("--per-piece", args->per_piece,
                  "Also write one row per piece to FILE (.csv, or .jsonl for JSON lines)");
  cmd->callback([args] { run_metrics(*args); });
}

}  // namespace tb
