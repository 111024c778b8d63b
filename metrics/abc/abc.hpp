#pragma once
// ABC 2.1 tunes (https://abcnotation.com/wiki/abc:standard:v2.1) parsed to a stream of events
// with source positions, per-voice bars with exact durations, and positioned diagnostics.
// The parser never throws on malformed music: every fault is a Diagnostic, so a generated tune
// can be measured however broken it is.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/abc/rational.hpp"

namespace tb::metrics::abc {

// 1-based line and column (in bytes) of the file, and the 0-based byte offset in the file.
struct Position {
  int line = 0;
  int column = 0;
  size_t offset = 0;
  friend bool operator==(const Position&, const Position&) = default;
};

// What is wrong. The validity tier a kind breaks is given by tier_of() (0: a warning that
// breaks no tier).
enum class DiagKind {
  // Tier 1: the text is not valid ABC music.
  UnclosedChord,          // "[CEG" without "]" on the line
  UnclosedQuote,          // chord symbol or annotation without its closing '"'
  UnclosedSlur,           // "(" never closed by ")" in the tune (a warning: tier 0)
  UnmatchedSlur,          // ")" without an open slur (a warning: tier 0)
  UnclosedGrace,          // "{" without "}" on the line
  UnclosedDecoration,     // "!trill" or "+trill" without the closing mark on the line
  UnclosedField,          // "[K:G" without "]"
  NestedChord,            // "[" inside a chord, "{" inside a grace group
  EmptyChord,             // "[]" or "{}"
  UnmatchedBracket,       // "]" or "}" that closes nothing
  BadLength,              // "C/0", "C0", lengths beyond 1/4096..4096
  BadAccidental,          // an accidental not followed by a note letter ("^z", "^^^C")
  BadOctave,              // "'" or "," not right after a note letter, or both on one note
  BadTuplet,              // "(1", "(0", "(3:0", nested or unfinished tuplets
  BadBrokenRhythm,        // ">" or "<" without a note on both sides in the bar
  TieWithoutNote,         // "-" that follows no note
  DecorationWithoutNote,  // a decoration that is not followed by a note, rest or chord
  UnknownCharacter,       // a character with no meaning in ABC music ("$", a stray digit)
  BadContinuation,        // "\" in the middle of a line
  BadField,               // a K:, M:, L: or V: value that cannot be read
  TuneTooLong,            // over limits::kAbcTuneBytes: the rest is not parsed
  MissingKey,             // no K: field before the music
  // Tier 2: header incomplete or out of order.
  MissingNumber,  // X: missing, not first, or not a number
  MissingTitle,
  MissingMeter,
  MissingUnitLength,  // no L: (ABC 2.1 defaults it from the meter; the header is still incomplete)
  FieldAfterKey,      // K: is not the last header field (checked in the header only)
  MisplacedField,     // a header-only field in the body, or a body-only field in the header
  // Tier 3: bars against the meter, repeats and endings.
  BarTooLong,
  BarTooShort,
  UnbalancedRepeat,     // "|:" after an open "|:", or "|:" never closed by ":|"
  EndingWithoutRepeat,  // "[2" without "[1 ... :|", or "[1" never followed by ":|"
  // Tier 4: voices.
  VoicesMisaligned,  // voices with different bar counts
};

const char* to_string(DiagKind kind);
int tier_of(DiagKind kind);

struct Diagnostic {
  DiagKind kind;
  std::string message;
  Position pos;
};

enum class EventKind {
  Field,         // header or body field line (text = "K:G"); also inline fields "[K:G]"
  Note,          // letter, accidental, octave, length
  Rest,          // z, x (length), Z, X (measures in `count`)
  ChordStart,    // "["
  ChordEnd,      // "]" with the chord's length multiplier
  GraceStart,    // "{" or "{/"
  GraceEnd,      // "}"
  Tuplet,        // "(p:q:r": count = p, q in length.num, r in length.den
  Tie,           // "-"
  SlurStart,     // "("
  SlurEnd,       // ")"
  BrokenRhythm,  // ">" ">>" "<" ...
  Decoration,    // ".", "~", "!trill!", "+trill+"
  ChordSymbol,   // "\"Am\""
  Annotation,    // "\"^text\""
  BarLine,       // "|", "||", "|]", "[|", "|:", ":|", "::", with an ending in `ending`
  Ending,        // "[1", "[2", "[1,3"
  VoiceOverlay,  // "&"
  Spacer,        // "y"
};

struct Event {
  EventKind kind;
  Position pos;
  std::string text;    // the source text of the event
  char letter = 0;     // Note: 'A'..'G' or 'a'..'g'; Rest: 'z' 'x' 'Z' 'X'
  int accidental = 0;  // -2 "__", -1 "_", 0 none, 1 "^", 2 "^^", 3 "=" natural
  int octave = 0;      // number of "'" minus number of ","
  Rational length{1};  // in units of L: (notes, rests, chord multiplier)
  int count = 0;       // Z/X measures; tuplet p
  std::string voice;   // the voice the event belongs to
};

// One bar of one voice: the music between two bar lines.
struct Bar {
  Position start;              // the first event of the bar
  Position end;                // the bar line that closes it (start when unclosed)
  Rational duration;           // sum of note and rest lengths, as a fraction of a whole note
  Rational units;              // the same in units of the L: length in force at the bar's start
  Rational meter;              // the meter's bar length (whole notes); 0 for free meter
  bool free_meter = false;     // M:none
  int measures = 1;            // Z4 / X4 multi-measure rests count as 4
  bool after_repeat = false;   // the bar line before it ends a repeat (":|" or "::")
  bool starts_repeat = false;  // the bar line before it starts one ("|:" or "::")
  std::string ending;          // "1", "2", "1,3" when the bar opens an ending
  bool closed = false;         // a bar line ends it
};

struct Voice {
  std::string id;
  std::vector<Bar> bars;
};

struct Tune {
  int number = -1;                                 // X:, -1 when absent or not a number
  Position start;                                  // the X: line
  std::multimap<std::string, std::string> header;  // field letter -> value, header only
  std::vector<std::string> header_order;           // field letters in the order seen
  std::vector<Event> events;
  std::vector<Voice> voices;  // in order of first appearance
  std::vector<Diagnostic> diagnostics;
  bool uses_repeats = false;  // any "|:", ":|", "::" or ending
  bool truncated = false;     // the music ends mid-bar, no final bar line
  bool has_music = false;
};

// The text of one tune in a file: from an "X:" line to the first blank line.
struct TuneText {
  std::string text;
  int first_line = 1;  // line of the X: line in the file
  size_t offset = 0;   // byte offset of the X: line in the file
  std::string number;  // X: value as written, trimmed
};

// Splits a file into tunes. Text outside tunes (file header, free text) is skipped.
std::vector<TuneText> split_tunes(std::string_view file_text);

// Parses one tune; positions are shifted by first_line / offset so they name the file.
Tune parse_tune(std::string_view text, int first_line = 1, size_t offset = 0);
inline Tune parse_tune(const TuneText& t) {
  return parse_tune(t.text, t.first_line, t.offset);
}

}  // namespace tb::metrics::abc
