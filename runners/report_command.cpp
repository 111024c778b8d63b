#include "runners/report_command.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/core/error.hpp"
#include "metrics/notes/mmm.hpp"
#include "metrics/notes/pvdt_text.hpp"
#include "reports/render_report.hpp"
#include "reports/report_data.hpp"
#include "reports/store.hpp"
#include "reports/svg_chart.hpp"
#include "runners/external_tool.hpp"
#include "runners/run_selector.hpp"

namespace tb {
namespace {

namespace fs = std::filesystem;

struct ReportArgs {
  std::string db = "tunebench.sqlite";
  std::vector<std::string> runs;
  std::string output;
  int samples = 4;
  int hardest = 5;
};

constexpr double kToolTimeout = 20.0;  // seconds per tool call: an engraving or a rendering
constexpr size_t kAudioPerRun = 2;     // WAV files are large: the first pieces of a run only

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw Error(ErrorKind::Io, path.string() + ": cannot write");
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<fs::path> general_midi_soundfont() {
  for (const char* p :
       {"/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/default-GM.sf2",
        "/usr/share/soundfonts/default.sf2"}) {
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return fs::path(p);
  }
  return std::nullopt;
}

// The engraved first page of a tune, as SVG to inline (the XML prolog and doctype dropped).
std::string engrave(const fs::path& abcm2ps, const fs::path& abc, const fs::path& dir,
                    const std::string& stem) {
  const fs::path out = dir / (stem + ".svg");
  if (!run_program({abcm2ps.string(), "-q", "-g", "-O", out.string(), abc.string()}, kToolTimeout))
    return "";
  const fs::path page = dir / (stem + "001.svg");
  std::string svg = read_text(page);
  const size_t at = svg.find("<svg");
  return at == std::string::npos ? "" : svg.substr(at);
}

std::vector<svg::RollNote> roll_notes(const notes::NoteSequence& seq) {
  std::vector<svg::RollNote> out;
  const double tpq = static_cast<double>(std::max<int64_t>(1, seq.ticks_per_quarter));
  for (const notes::NoteEvent& n : seq.notes) {
    out.push_back({static_cast<double>(n.start) / tpq, static_cast<double>(n.duration) / tpq,
                   n.pitch, n.track});
  }
  return out;
}

// Engraved scores, MIDI and audio for ABC pieces; piano rolls for MIDI-token pieces. Files go
// to <report>_files/ beside the HTML and are linked relatively.
ReportAssets make_assets(const ReportData& data, const fs::path& html) {
  ReportAssets assets;
  const std::string dir_name = html.stem().string() + "_files";
  const fs::path dir = html.parent_path() / dir_name;
  const auto abcm2ps = find_program("abcm2ps");
  const auto abc2midi = find_program("abc2midi");
  const auto fluidsynth = find_program("fluidsynth");
  const auto soundfont = general_midi_soundfont();
  bool any_abc = false;
  for (const RunDrillDown& d : data.runs) {
    const bool abc = d.run.info.suite.starts_with("abc");
    const bool mmm = d.run.info.suite.starts_with("mmm");
    const bool pvdt = d.run.info.suite.starts_with("pvdt");
    for (size_t i = 0; i < d.generations.size(); ++i) {
      const SampleResult& s = d.generations[i].result;
      const std::string text = s.piece();
      const std::string stem = fmt::format("run{}_{}", d.run.id, i + 1);
      PieceAssets a;
      if (abc) {
        any_abc = true;
        fs::create_directories(dir);
        const fs::path abc_file = dir / (stem + ".abc");
        write_text(abc_file, text);
        if (abcm2ps) a.score_svg = engrave(*abcm2ps, abc_file, dir, stem);
        const fs::path midi = dir / (stem + ".mid");
        if (abc2midi &&
            run_program({abc2midi->string(), abc_file.string(), "-o", midi.string()},
                        kToolTimeout) &&
            fs::exists(midi)) {
          a.midi_href = dir_name + "/" + stem + ".mid";
          const fs::path wav = dir / (stem + ".wav");
          if (fluidsynth && soundfont && i < kAudioPerRun &&
              run_program({fluidsynth->string(), "-ni", "-F", wav.string(), "-r", "22050",
                           soundfont->string(), midi.string()},
                          kToolTimeout))
            a.audio_href = dir_name + "/" + stem + ".wav";
        }
      } else if (mmm || pvdt) {
        const notes::NoteSequence seq =
            mmm ? notes::mmm_decode(text).sequence : notes::read_pvdt(text).sequence;
        a.roll_svg = svg::piano_roll("piece " + s.doc_id, roll_notes(seq));
      }
      assets.pieces[{d.run.id, i}] = std::move(a);
    }
  }
  if (any_abc) {
    if (!abcm2ps) assets.notes.push_back("abcm2ps is not installed: no engraved scores.");
    if (!abc2midi) assets.notes.push_back("abc2midi is not installed: no MIDI files.");
    if (!fluidsynth || !soundfont)
      assets.notes.push_back(
          "fluidsynth or a General MIDI soundfont (fluid-soundfont-gm) is not installed: no "
          "audio.");
  }
  return assets;
}

void run_report(const ReportArgs& args) {
  if (!fs::exists(args.db)) throw Error(ErrorKind::Io, args.db + ": no such results file");
  const Store store = Store::open_read_only(args.db);
  ReportOptions options;
  options.generations_per_run = args.samples;
  options.hardest_questions = args.hardest;
  for (const std::string& selector : args.runs) {
    for (const Run& r : select_runs(store, selector)) options.run_ids.push_back(r.id);
  }
  const ReportData data = gather_report(store, options);
  const fs::path out(args.output);
  const std::string ext = out.extension().string();
  std::string text;
  if (ext == ".html" || ext == ".htm") {
    text = render_report_html(data, make_assets(data, out));
  } else if (ext == ".md") {
    text = render_report_markdown(data);
  } else if (ext == ".csv") {
    text = render_report_csv(data);
  } else if (ext == ".json") {
    text = render_report_json(data);
  } else {
    throw Error(
        ErrorKind::BadInput,
        "-o " + args.output + ": the extension picks the format: .html, .md, .csv or .json");
  }
  // Written whole under a temporary name, then renamed: never a half-written report.
  const fs::path partial = out.string() + ".partial";
  write_text(partial, text);
  fs::rename(partial, out);
  fmt::print("report: {} ({} models, {} suites, {} runs) written to {}\n", ext.substr(1),
             data.leaderboard.rows.size(), data.leaderboard.suites.size(), data.runs.size(),
             out.string());
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Leaderboard report of a results file: HTML (charts, scores, audio), md, csv, json");
  cmd->add_option("--db", args->db, "SQLite results file (default tunebench.sqlite)");
  cmd->add_option("--runs", args->runs,
                  "Runs to include (ids, step:N or model paths; default: every finished run)")
      ->delimiter(',');
  cmd->add_option("-o,--output", args->output, "Report file: .html, .md, .csv or .json")
      ->required();
  cmd->add_option("--samples", args->samples, "Generated pieces shown per generation run")
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--hardest", args->hardest, "Hardest questions shown per run")
      ->check(CLI::Range(0, 1000));
  cmd->callback([args] { run_report(*args); });
}

}  // namespace tb
