#pragma once
// Internal to metrics/abc: the state of one tune being parsed. tune_parser.cpp handles lines,
// fields and voices; music_line.cpp scans music lines into events and bars.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "metrics/abc/abc.hpp"
#include "metrics/abc/fields.hpp"

namespace tb::metrics::abc::detail {

// The music between two bar lines of one voice, as the bar check plays it back.
// None: no bar line, the segment ends where an ending starts in mid-bar ("G2 [1 G2:|").
enum class BarLineKind { Single, Double, StartRepeat, EndRepeat, DoubleRepeat, End, None };
struct Segment {
  Rational duration;  // whole notes
  Rational meter;     // 0 for free meter
  int measures = 1;   // Z/X multi-measure rests
  bool content = false;
  BarLineKind closing = BarLineKind::End;
  Position start;            // first event
  Position end;              // closing bar line
  std::string ending_after;  // an ending ("1", "2", "1,3") opens right after the bar line
};

// Per-voice state: the bar being filled, tuplets, broken rhythm, repeats.
struct VoiceState {
  size_t index = 0;  // into Tune::voices
  Meter meter;
  Rational unit{1, 8};
  // The bar being filled.
  Rational sum;
  Rational segment_base;  // sum at the last mid-bar ending (the segment starts there)
  bool content = false;
  bool overlay = false;  // after "&": the overlaid voice does not add to the bar
  Position bar_start;
  bool bar_start_set = false;  // the first event of the bar (a tuplet, a decoration...) is seen
  bool next_after_repeat = false;
  bool next_starts_repeat = false;
  std::string next_ending;
  int measures = 1;
  // The last note, rest or chord of this bar (for ties and broken rhythm).
  Rational last_len;
  bool last_is_note = false;
  Rational broken_next{1};
  bool broken_pending = false;
  Position broken_pos;
  // Tuplets.
  int tuplet_left = 0;
  Rational tuplet_factor{1};
  Position tuplet_pos;
  // Repeats and endings.
  bool repeat_open = false;
  bool seen_end_repeat = false;
  bool seen_ending = false;
  Position repeat_pos;
  int ending = 0;  // the ending being played: 0 none, 1 first, 2+ later
  Position ending_pos;
  bool first_ending_closed = false;  // a ":|" closed a "[1": "[2" may follow
  std::vector<Segment> segments;
};

class TuneParser {
 public:
  TuneParser(std::string_view text, int first_line, size_t offset);
  Tune run();

 private:
  // tune_parser.cpp
  void header_line(std::string_view line, Position pos);
  void body_field(char letter, std::string_view value, Position pos, bool inline_field);
  void apply_field(char letter, std::string_view value, Position pos);
  void select_voice(std::string_view value, Position pos);
  VoiceState& voice();
  void finish();
  void check_bars();
  void check_voice_bars(const VoiceState& v);  // bar_check.cpp
  void diag(DiagKind kind, Position pos, std::string message);
  Event& emit(EventKind kind, Position pos, std::string_view text);

  // music_line.cpp
  void music_line(std::string_view line, Position pos);
  size_t scan_length(std::string_view s, size_t i, Position at, Rational& out);
  void add_duration(Rational units, Position pos, bool is_note);
  void mark_bar_start(Position pos);
  void bar_line(std::string_view text, Position pos);
  void close_bar(Position pos, bool closed, BarLineKind kind);
  void start_ending(std::string_view digits, Position pos);

  std::string_view text_;
  int first_line_;
  size_t offset_;
  Tune tune_;
  bool in_header_ = true;
  bool seen_music_ = false;
  Meter header_meter_{true, Rational(1), false};
  bool header_unit_set_ = false;
  Rational header_unit_{1, 8};
  std::vector<VoiceState> voices_;
  std::unordered_map<std::string, size_t> voice_by_id_;  // V: id -> index in voices_
  size_t current_ = SIZE_MAX;
  std::vector<Position> slurs_;
  // Chords and grace groups never span lines.
  bool in_chord_ = false;
  Position chord_pos_;
  int chord_notes_ = 0;
  Rational chord_first_;
  bool in_grace_ = false;
  Position grace_pos_;
  int grace_notes_ = 0;
  bool deco_pending_ = false;
  Position deco_pos_;
};

}  // namespace tb::metrics::abc::detail
