#pragma once
// `tunebench report --db DB [--runs ...] -o FILE`: the leaderboard report (reports/
// render_report.hpp) in the format FILE's extension names; for HTML, engraved scores, MIDI and
// audio of generated ABC tunes (abcm2ps, abc2midi, fluidsynth when installed) and piano rolls of
// MIDI-token pieces, written beside it in FILE_files/.
#include <CLI/CLI.hpp>

namespace tb {

void add_report_command(CLI::App& app);

}  // namespace tb
