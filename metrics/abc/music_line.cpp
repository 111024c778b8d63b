// Scanning one music line of the body into events, and adding note lengths to the bars.
#include <cctype>

#include "metrics/abc/tune_parser.hpp"

namespace tb::metrics::abc::detail {
namespace {

constexpr int64_t kMaxLength = 4096;

bool is_note_letter(char c) {
  return (c >= 'A' && c <= 'G') || (c >= 'a' && c <= 'g');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
// The standard's default decoration symbols (ABC 2.1 section 4.14).
bool is_deco_char(char c) {
  return std::string_view(".~HLMOPSTuv").find(c) != std::string_view::npos;
}
// Letters H-W and h-w that are not default decorations are reserved for U: redefinitions;
// like abc2midi, they are skipped. So are the reserved characters # * ; ? @ and the ` spacer.
bool is_ignored(char c) {
  if ((c >= 'H' && c <= 'W') || (c >= 'h' && c <= 'w')) return true;
  return std::string_view("#*;?@`").find(c) != std::string_view::npos;
}
// Broken rhythm factors for the note before and after ">", ">>", ">>>".
Rational broken_long(int n) {
  return Rational((int64_t{2} << n) - 1, int64_t{1} << n);
}
Rational broken_short(int n) {
  return Rational(1, int64_t{1} << n);
}

}  // namespace

// Reads a length "2", "/2", "/", "//", "3/2", "3/" at i; returns the index after it.
size_t TuneParser::scan_length(std::string_view s, size_t i, Position at, Rational& out) {
  const size_t start = i;
  int64_t num = 1;
  int64_t den = 1;
  bool bad = false;
  if (i < s.size() && is_digit(s[i])) {
    num = 0;
    while (i < s.size() && is_digit(s[i])) {
      num = num * 10 + (s[i] - '0');
      if (num > kMaxLength) bad = true, num = kMaxLength;
      ++i;
    }
    if (num == 0) bad = true;
  }
  if (i < s.size() && s[i] == '/') {
    int slashes = 0;
    while (i < s.size() && s[i] == '/') ++slashes, ++i;
    if (slashes == 1 && i < s.size() && is_digit(s[i])) {
      den = 0;
      while (i < s.size() && is_digit(s[i])) {
        den = den * 10 + (s[i] - '0');
        if (den > kMaxLength) bad = true, den = kMaxLength;
        ++i;
      }
      if (den == 0) bad = true;
      if (i < s.size() && s[i] == '/') bad = true;  // "C/2/"
      while (i < s.size() && (s[i] == '/' || is_digit(s[i]))) ++i;
    } else {
      if (slashes > 12) bad = true;
      den = int64_t{1} << std::min(slashes, 12);
    }
  }
  if (bad) {
    const Position p{at.line, at.column + static_cast<int>(start), at.offset + start};
    diag(DiagKind::BadLength, p, "bad note length " + std::string(s.substr(start, i - start)));
    num = num == 0 ? 1 : num;
    den = den == 0 ? 1 : den;
  }
  out = Rational(num, den);
  return i;
}

void TuneParser::add_duration(Rational units, Position pos, bool is_note) {
  VoiceState& v = voice();
  Rational eff = units * v.unit;
  if (v.tuplet_left > 0) {
    eff = eff * v.tuplet_factor;
    --v.tuplet_left;
  }
  if (v.broken_pending) {
    eff = eff * v.broken_next;
    v.broken_pending = false;
  }
  if (!v.bar_start_set) v.bar_start = pos;
  v.bar_start_set = true;
  v.content = true;
  if (!v.overlay) v.sum += eff;
  v.last_len = eff;
  v.last_is_note = is_note;
  seen_music_ = true;
  tune_.has_music = true;
}

void TuneParser::mark_bar_start(Position pos) {
  VoiceState& v = voice();
  if (!v.bar_start_set) v.bar_start = pos;
  v.bar_start_set = true;
}

void TuneParser::close_bar(Position pos, bool closed, BarLineKind kind) {
  VoiceState& v = voice();
  Segment seg;
  seg.duration = v.sum - v.segment_base;
  seg.meter = v.meter.free ? Rational(0) : v.meter.bar;
  seg.measures = v.measures;
  seg.content = v.content;
  seg.closing = kind;
  seg.start = v.content ? v.bar_start : pos;
  seg.end = pos;
  v.segments.push_back(seg);
  if (v.content) {
    Bar b;
    b.start = v.bar_start;
    b.end = pos;
    b.duration = v.sum;
    b.units = v.sum / v.unit;
    b.free_meter = v.meter.free;
    b.meter = v.meter.free ? Rational(0) : v.meter.bar;
    b.measures = v.measures;
    b.after_repeat = v.next_after_repeat;
    b.starts_repeat = v.next_starts_repeat;
    b.ending = v.next_ending;
    b.closed = closed;
    tune_.voices[v.index].bars.push_back(b);
    v.next_after_repeat = v.next_starts_repeat = false;
    v.next_ending.clear();
  }
  v.sum = Rational(0);
  v.segment_base = Rational(0);
  v.content = false;
  v.bar_start_set = false;
  v.overlay = false;
  v.measures = 1;
  v.last_len = Rational(0);
  v.last_is_note = false;
}

void TuneParser::start_ending(std::string_view digits, Position pos) {
  VoiceState& v = voice();
  tune_.uses_repeats = true;
  emit(EventKind::Ending, pos, digits);
  v.next_ending = std::string(digits);
  // The ending opens after the last bar line (the bar check plays endings per pass).
  if (!v.content && !v.segments.empty()) {
    v.segments.back().ending_after = std::string(digits);
  } else if (v.content) {
    // In mid-bar: the notes so far form a segment of their own, followed by the ending.
    Segment seg;
    seg.duration = v.sum - v.segment_base;
    seg.meter = v.meter.free ? Rational(0) : v.meter.bar;
    seg.content = true;
    seg.closing = BarLineKind::None;
    seg.start = v.bar_start;
    seg.end = pos;
    seg.ending_after = std::string(digits);
    v.segments.push_back(seg);
    v.segment_base = v.sum;
  }
  if (digits.starts_with("1") && (digits.size() == 1 || !is_digit(digits[1]))) {
    // As abc2midi, only the tune's first ending is held to this (later sections may rely on
    // the ":|" of the previous one).
    if (!v.repeat_open && v.seen_end_repeat && !v.seen_ending) {
      diag(DiagKind::UnbalancedRepeat, pos, "first ending after :| without a new |:");
    }
    v.ending = 1;
    v.ending_pos = pos;
    v.first_ending_closed = false;
  } else {
    if (!v.first_ending_closed) {
      diag(DiagKind::EndingWithoutRepeat, pos,
           "ending " + std::string(digits) + " without [1 ... :|");
    }
    v.ending = 2;
  }
  v.seen_ending = true;
}

void TuneParser::bar_line(std::string_view text, Position pos) {
  VoiceState& v = voice();
  if (v.broken_pending) {
    diag(DiagKind::BadBrokenRhythm, v.broken_pos, "no note after > or < in the bar");
    v.broken_pending = false;
  }
  emit(EventKind::BarLine, pos, text);
  // A lone ":" is a dotted bar line.
  const bool end_repeat = text.starts_with(":") && text.size() >= 2;
  const bool start_repeat = text.ends_with(":") && text.size() >= 2;
  // The bar lines abc2midi reads in the run: "|:" "||" "|]" "|" ":|" "::" ":" (dotted).
  std::vector<BarLineKind> kinds;
  for (size_t k = 0; k < text.size();) {
    const char a = text[k];
    const char b = k + 1 < text.size() ? text[k + 1] : '\0';
    if (a == '[' || a == '.' || a == ']') {
      kinds.push_back(BarLineKind::Double);
      k += 2;
      continue;
    }
    if (a == '|') {
      kinds.push_back(b == ':'                 ? BarLineKind::StartRepeat
                      : (b == '|' || b == ']') ? BarLineKind::Double
                                               : BarLineKind::Single);
      k += b == ':' || b == '|' || b == ']' ? 2 : 1;
    } else {
      kinds.push_back(b == ':'   ? BarLineKind::DoubleRepeat
                      : b == '|' ? BarLineKind::EndRepeat
                                 : BarLineKind::Double);
      k += b == ':' || b == '|' ? 2 : 1;
      if (b == '|' && k < text.size() && text[k] == ']') ++k;
    }
  }
  for (size_t k = 0; k + 1 < kinds.size(); ++k) close_bar(pos, true, kinds[k]);
  const BarLineKind kind = kinds.empty() ? BarLineKind::Single : kinds.back();
  close_bar(pos, true, kind);
  if (end_repeat) {
    tune_.uses_repeats = true;
    v.repeat_open = false;
    v.seen_end_repeat = true;
    if (v.ending == 1) v.first_ending_closed = true;
    v.ending = 0;
    v.next_after_repeat = true;
  }
  if (start_repeat) {
    tune_.uses_repeats = true;
    if (v.repeat_open) diag(DiagKind::UnbalancedRepeat, pos, "|: while a |: is still open");
    v.repeat_open = true;
    v.repeat_pos = pos;
    v.ending = 0;
    v.first_ending_closed = false;
    v.next_starts_repeat = true;
  }
}

void TuneParser::music_line(std::string_view s, Position at) {
  auto P = [&](size_t i) {
    return Position{at.line, at.column + static_cast<int>(i), at.offset + i};
  };
  auto fail = [&](DiagKind k, size_t i, std::string msg) { diag(k, P(i), std::move(msg)); };
  seen_music_ = true;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const size_t start = i;
    // A decoration must be followed by a note, rest, chord or more decorations.
    if (deco_pending_ && c != ' ' && c != '\t' && !is_deco_char(c) && c != '!' && c != '+' &&
        c != '"' && c != '^' && c != '_' && c != '=' && !is_note_letter(c) && !is_ignored(c) &&
        std::string_view("zxZX[{y|:%\\").find(c) == std::string_view::npos) {
      diag(DiagKind::DecorationWithoutNote, deco_pos_, "decoration not followed by a note");
      deco_pending_ = false;
    }
    if (c == ' ' || c == '\t') {
      ++i;
    } else if (c == '%') {
      break;
    } else if (c == '\\') {
      size_t j = i + 1;
      while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
      if (j < s.size() && s[j] != '%')
        fail(DiagKind::BadContinuation, i, "\\ in the middle of a line");
      i = j;
    } else if (c == '"') {
      const size_t close = s.find('"', i + 1);
      if (close == std::string_view::npos) {
        fail(DiagKind::UnclosedQuote, i, "\" is never closed on its line");
        break;
      }
      const std::string_view body = s.substr(i + 1, close - i - 1);
      const bool annotation =
          !body.empty() && std::string_view("^_<>@").find(body[0]) != std::string_view::npos;
      mark_bar_start(P(i));
      emit(annotation ? EventKind::Annotation : EventKind::ChordSymbol, P(i),
           s.substr(i, close - i + 1));
      i = close + 1;
    } else if (c == '!' || c == '+') {
      const size_t close = s.find(c, i + 1);
      if (close == std::string_view::npos) {
        // A "!" that ends the line is ABC 2.0's line-break mark (abc2midi reads it so too).
        size_t rest = i + 1;
        while (rest < s.size() && (s[rest] == ' ' || s[rest] == '\t')) ++rest;
        if (c == '!' && (rest == s.size() || s[rest] == '%')) break;
        fail(DiagKind::UnclosedDecoration, i, std::string(1, c) + " decoration is never closed");
        break;
      }
      mark_bar_start(P(i));
      emit(EventKind::Decoration, P(i), s.substr(i, close - i + 1));
      deco_pending_ = true;
      deco_pos_ = P(i);
      i = close + 1;
    } else if (is_deco_char(c)) {
      if (c == '.' && i + 1 < s.size() && (s[i + 1] == '(' || s[i + 1] == '-')) {
        ++i;  // ".(" and ".-": dotted slur and tie (ABC 2.1 section 4.11)
        continue;
      }
      if (c == '.' && i + 1 < s.size() && s[i + 1] == '|') {  // dotted bar line
        bar_line(".|", P(i));
        i += 2;
        continue;
      }
      mark_bar_start(P(i));
      emit(EventKind::Decoration, P(i), s.substr(i, 1));
      deco_pending_ = true;
      deco_pos_ = P(i);
      ++i;
    } else if (c == '^' || c == '_' || c == '=' || is_note_letter(c)) {
      deco_pending_ = false;
      int acc = 0;
      if (c == '^' || c == '_') {
        const char a = c;
        while (i < s.size() && s[i] == a && i - start < 3) ++i;
        const int n = static_cast<int>(i - start);
        if (n > 2) {
          fail(DiagKind::BadAccidental, start, "too many accidentals");
          while (i < s.size() && s[i] == a) ++i;
          continue;
        }
        acc = a == '^' ? n : -n;
        while (n == 1 && i < s.size() && (is_digit(s[i]) || s[i] == '/')) ++i;  // microtone
      } else if (c == '=') {
        acc = 3;
        ++i;
      }
      if (i >= s.size() || !is_note_letter(s[i])) {
        fail(DiagKind::BadAccidental, start, "accidental not followed by a note letter");
        continue;
      }
      const char letter = s[i++];
      int up = 0, down = 0;
      while (i < s.size() && (s[i] == '\'' || s[i] == ',')) (s[i++] == '\'' ? up : down)++;
      if (up > 0 && down > 0) fail(DiagKind::BadOctave, start, "both ' and , on one note");
      Rational len;
      i = scan_length(s, i, at, len);
      Event& e = emit(EventKind::Note, P(start), s.substr(start, i - start));
      e.letter = letter;
      e.accidental = acc;
      e.octave = up - down;
      e.length = len;
      if (in_grace_) {
        ++grace_notes_;
      } else if (in_chord_) {
        if (chord_notes_++ == 0) chord_first_ = len;
      } else {
        add_duration(len, P(start), true);
      }
    } else if (c == 'z' || c == 'x') {
      deco_pending_ = false;
      ++i;
      Rational len;
      i = scan_length(s, i, at, len);
      Event& e = emit(EventKind::Rest, P(start), s.substr(start, i - start));
      e.letter = c;
      e.length = len;
      if (in_chord_ || in_grace_) {
        fail(DiagKind::UnknownCharacter, start, "rest inside a chord or grace group");
      } else {
        add_duration(len, P(start), false);
      }
    } else if (c == 'Z' || c == 'X') {
      deco_pending_ = false;
      ++i;
      int64_t n = 0;
      while (i < s.size() && is_digit(s[i]) && n < 10000) n = n * 10 + (s[i++] - '0');
      if (i > start + 1 && n == 0) fail(DiagKind::BadLength, start + 1, "Z0");
      if (n == 0) n = 1;
      Event& e = emit(EventKind::Rest, P(start), s.substr(start, i - start));
      e.letter = c;
      e.count = static_cast<int>(n);
      VoiceState& v = voice();
      add_duration(Rational(0), P(start), false);
      if (!v.meter.free) v.sum += v.meter.bar * Rational(n);
      v.measures = static_cast<int>(n);
    } else if (c == '[' && i + 1 < s.size() && s[i + 1] == '|') {
      size_t j = i + 2;
      while (j < s.size() && (s[j] == '|' || s[j] == ':')) ++j;
      bar_line(s.substr(i, j - i), P(i));
      i = j;
    } else if (c == '[' && i + 2 < s.size() && std::isalpha(static_cast<unsigned char>(s[i + 1])) &&
               s[i + 2] == ':') {
      const size_t close = s.find(']', i);
      const size_t bar = s.find('|', i);
      if (close == std::string_view::npos || bar < close) {
        fail(DiagKind::UnclosedField, i, "inline field is never closed");
        break;
      }
      emit(EventKind::Field, P(i), s.substr(i, close - i + 1));
      const char letter = s[i + 1];
      if (std::string_view("ABCDFGHOSXZTw").find(letter) != std::string_view::npos) {
        fail(DiagKind::MisplacedField, i, std::string(1, letter) + ": cannot be inline");
      }
      apply_field(letter, s.substr(i + 3, close - i - 3), P(i));
      i = close + 1;
    } else if (c == '[' && i + 1 < s.size() && is_digit(s[i + 1])) {
      size_t j = i + 1;
      while (j < s.size() && (is_digit(s[j]) || s[j] == ',' || s[j] == '-')) ++j;
      start_ending(s.substr(i + 1, j - i - 1), P(i));
      i = j;
    } else if (c == '[') {
      deco_pending_ = false;
      if (in_chord_) fail(DiagKind::NestedChord, i, "[ inside a chord");
      // Chords are allowed inside grace groups (ABC 2.1 section 4.12).
      mark_bar_start(P(i));
      emit(EventKind::ChordStart, P(i), "[");
      in_chord_ = true;
      chord_pos_ = P(i);
      chord_notes_ = 0;
      ++i;
    } else if (c == ']') {
      if (!in_chord_) {
        fail(DiagKind::UnmatchedBracket, i, "] closes no chord");
        ++i;
        continue;
      }
      in_chord_ = false;
      ++i;
      Rational mult;
      i = scan_length(s, i, at, mult);
      emit(EventKind::ChordEnd, P(start), s.substr(start, i - start)).length = mult;
      if (chord_notes_ == 0) {
        diag(DiagKind::EmptyChord, chord_pos_, "empty chord");
      } else if (!in_grace_) {
        add_duration(chord_first_ * mult, chord_pos_, true);
      }
    } else if (c == '{') {
      if (in_grace_ || in_chord_) fail(DiagKind::NestedChord, i, "{ inside a chord or grace group");
      mark_bar_start(P(i));
      in_grace_ = true;
      grace_pos_ = P(i);
      grace_notes_ = 0;
      ++i;
      if (i < s.size() && s[i] == '/') ++i;
      emit(EventKind::GraceStart, P(start), s.substr(start, i - start));
    } else if (c == '}') {
      ++i;
      if (!in_grace_) {
        fail(DiagKind::UnmatchedBracket, start, "} closes no grace group");
        continue;
      }
      in_grace_ = false;
      emit(EventKind::GraceEnd, P(start), "}");
      if (grace_notes_ == 0) diag(DiagKind::EmptyChord, grace_pos_, "empty grace group");
    } else if (c == '|' || c == ':') {
      size_t j = i;
      while (j < s.size() && (s[j] == '|' || s[j] == ':')) ++j;
      if (j < s.size() && s[j] == ']' && s[j - 1] == '|') ++j;
      const std::string_view text = s.substr(i, j - i);
      if (in_chord_) {
        diag(DiagKind::UnclosedChord, chord_pos_, "[ is not closed before the bar line");
        in_chord_ = false;
      }
      bar_line(text, P(i));
      i = j;
      // "|1", ":|2", "|1,3": an ending right after the bar line.
      if (text.back() == '|' && i < s.size() && is_digit(s[i])) {
        size_t k = i;
        while (k < s.size() && (is_digit(s[k]) || s[k] == ',' || s[k] == '-')) ++k;
        start_ending(s.substr(i, k - i), P(i));
        i = k;
      }
    } else if (c == '(') {
      if (i + 1 < s.size() && is_digit(s[i + 1])) {
        size_t j = i + 1;
        int64_t nums[3] = {0, 0, 0};
        bool given[3] = {false, false, false};
        for (int k = 0; k < 3; ++k) {
          if (k > 0) {
            if (j >= s.size() || s[j] != ':') break;
            ++j;
          }
          while (j < s.size() && is_digit(s[j]) && nums[k] < 1000) {
            nums[k] = nums[k] * 10 + (s[j++] - '0');
            given[k] = true;
          }
        }
        const int64_t p = nums[0];
        VoiceState& v = voice();
        mark_bar_start(P(i));
        emit(EventKind::Tuplet, P(i), s.substr(i, j - i));
        if (p < 2 || p > 9 || (given[1] && nums[1] == 0) || (given[2] && nums[2] == 0)) {
          fail(DiagKind::BadTuplet, i, "bad tuplet " + std::string(s.substr(i, j - i)));
        } else if (v.tuplet_left > 0) {
          fail(DiagKind::BadTuplet, i, "tuplet inside a tuplet");
        } else {
          int64_t q = nums[1];
          if (!given[1]) {
            if (p == 2 || p == 4 || p == 8)
              q = 3;
            else if (p == 3 || p == 6)
              q = 2;
            else
              q = v.meter.compound ? 3 : 2;
          }
          v.tuplet_factor = Rational(q, p);
          v.tuplet_left = static_cast<int>(given[2] ? nums[2] : p);
          v.tuplet_pos = P(i);
        }
        i = j;
      } else {
        mark_bar_start(P(i));
        slurs_.push_back(P(i));
        emit(EventKind::SlurStart, P(i), "(");
        ++i;
      }
    } else if (c == ')') {
      if (slurs_.empty()) {
        fail(DiagKind::UnmatchedSlur, i, ") closes no slur");
      } else {
        slurs_.pop_back();
      }
      emit(EventKind::SlurEnd, P(i), ")");
      ++i;
    } else if (c == '-') {
      if (!voice().last_is_note && !in_chord_)
        fail(DiagKind::TieWithoutNote, i, "- follows no note");
      emit(EventKind::Tie, P(i), "-");
      ++i;
    } else if (c == '>' || c == '<') {
      size_t j = i;
      while (j < s.size() && s[j] == c) ++j;
      const int n = static_cast<int>(j - i);
      VoiceState& v = voice();
      emit(EventKind::BrokenRhythm, P(i), s.substr(i, j - i));
      if (n > 3 || v.last_len == Rational(0) || in_chord_ || in_grace_) {
        fail(DiagKind::BadBrokenRhythm, i, "broken rhythm without a note before it");
      } else {
        const Rational before = c == '>' ? broken_long(n) : broken_short(n);
        v.broken_next = c == '>' ? broken_short(n) : broken_long(n);
        if (!v.overlay) v.sum += v.last_len * before - v.last_len;
        v.broken_pending = true;
        v.broken_pos = P(i);
        v.last_len = Rational(0);
      }
      i = j;
    } else if (c == '&') {
      voice().overlay = true;
      emit(EventKind::VoiceOverlay, P(i), "&");
      ++i;
    } else if (c == 'y') {
      emit(EventKind::Spacer, P(i), "y");
      ++i;
    } else if (is_ignored(c)) {
      ++i;
    } else if (c == '\'' || c == ',') {
      fail(DiagKind::BadOctave, i, std::string(1, c) + " follows no note");
      ++i;
    } else if (c == '/' || is_digit(c)) {
      fail(DiagKind::BadLength, i, "length follows no note");
      ++i;
      while (i < s.size() && (is_digit(s[i]) || s[i] == '/')) ++i;
    } else {
      fail(DiagKind::UnknownCharacter, i, "unknown character '" + std::string(1, c) + "'");
      ++i;
      // One diagnostic for a multi-byte UTF-8 character.
      while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    }
  }
  if (in_chord_) {
    diag(DiagKind::UnclosedChord, chord_pos_, "[ is never closed on its line");
    in_chord_ = false;
  }
  if (in_grace_) {
    diag(DiagKind::UnclosedGrace, grace_pos_, "{ is never closed on its line");
    in_grace_ = false;
  }
}

}  // namespace tb::metrics::abc::detail
