#pragma once
// The leaderboard report as one self-contained HTML page (inline SVG charts, inline CSS, no
// script, no network), or its tables as Markdown, CSV or JSON. Every format prints a leaderboard
// value with format_report_value, so the numbers are the same strings everywhere.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "reports/report_data.hpp"

namespace tb {

// What the music tools made for one generated piece (paths relative to the HTML file).
struct PieceAssets {
  std::string score_svg;   // the engraved score (abcm2ps), inline SVG
  std::string midi_href;   // abc2midi's file
  std::string audio_href;  // fluidsynth's rendering
  std::string roll_svg;    // a piano roll of MIDI-token pieces
};

struct ReportAssets {
  std::map<std::pair<int64_t, size_t>, PieceAssets> pieces;  // (run id, generation index)
  std::vector<std::string> notes;  // what was left out and why ("abcm2ps not installed: ...")
};

// "0.4375", or "nan".
std::string format_report_value(double value);

std::string render_report_html(const ReportData& data, const ReportAssets& assets);
std::string render_report_markdown(const ReportData& data);
// The leaderboard, then the curve points, one row per (section, model, suite, metric, ...).
std::string render_report_csv(const ReportData& data);
std::string render_report_json(const ReportData& data);

}  // namespace tb
