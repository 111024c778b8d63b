// Lines, fields and voices of one tune; the end-of-tune checks (unclosed slurs, repeats,
// bars against the meter, voice alignment).
#include "metrics/abc/tune_parser.hpp"

#include <algorithm>
#include <cctype>

#include "harness/core/limits.hpp"

namespace tb::metrics::abc {

const char* to_string(DiagKind kind) {
  switch (kind) {
    case DiagKind::UnclosedChord:
      return "unclosed-chord";
    case DiagKind::UnclosedQuote:
      return "unclosed-quote";
    case DiagKind::UnclosedSlur:
      return "unclosed-slur";
    case DiagKind::UnmatchedSlur:
      return "unmatched-slur";
    case DiagKind::UnclosedGrace:
      return "unclosed-grace";
    case DiagKind::UnclosedDecoration:
      return "unclosed-decoration";
    case DiagKind::UnclosedField:
      return "unclosed-field";
    case DiagKind::NestedChord:
      return "nested-chord";
    case DiagKind::EmptyChord:
      return "empty-chord";
    case DiagKind::UnmatchedBracket:
      return "unmatched-bracket";
    case DiagKind::BadLength:
      return "bad-length";
    case DiagKind::BadAccidental:
      return "bad-accidental";
    case DiagKind::BadOctave:
      return "bad-octave";
    case DiagKind::BadTuplet:
      return "bad-tuplet";
    case DiagKind::BadBrokenRhythm:
      return "bad-broken-rhythm";
    case DiagKind::TieWithoutNote:
      return "tie-without-note";
    case DiagKind::DecorationWithoutNote:
      return "decoration-without-note";
    case DiagKind::UnknownCharacter:
      return "unknown-character";
    case DiagKind::BadContinuation:
      return "bad-continuation";
    case DiagKind::BadField:
      return "bad-field";
    case DiagKind::TuneTooLong:
      return "tune-too-long";
    case DiagKind::MissingKey:
      return "missing-key";
    case DiagKind::MissingNumber:
      return "missing-number";
    case DiagKind::MissingTitle:
      return "missing-title";
    case DiagKind::MissingMeter:
      return "missing-meter";
    case DiagKind::MissingUnitLength:
      return "missing-unit-length";
    case DiagKind::FieldAfterKey:
      return "field-after-key";
    case DiagKind::MisplacedField:
      return "misplaced-field";
    case DiagKind::BarTooLong:
      return "bar-too-long";
    case DiagKind::BarTooShort:
      return "bar-too-short";
    case DiagKind::UnbalancedRepeat:
      return "unbalanced-repeat";
    case DiagKind::EndingWithoutRepeat:
      return "ending-without-repeat";
    case DiagKind::VoicesMisaligned:
      return "voices-misaligned";
  }
  return "?";
}

int tier_of(DiagKind kind) {
  // Unbalanced slurs are phrasing marks: reported, but players and engravers (abc2midi,
  // abcm2ps) accept them, so they break no tier.
  if (kind == DiagKind::UnclosedSlur || kind == DiagKind::UnmatchedSlur) return 0;
  if (kind >= DiagKind::VoicesMisaligned) return 4;
  if (kind >= DiagKind::BarTooLong) return 3;
  if (kind >= DiagKind::MissingNumber) return 2;
  return 1;
}

Tune parse_tune(std::string_view text, int first_line, size_t offset) {
  return detail::TuneParser(text, first_line, offset).run();
}

namespace detail {
namespace {

bool is_field_line(std::string_view line) {
  if (line.size() < 2 || line[1] != ':') return false;
  const char c = line[0];
  if (!std::isalpha(static_cast<unsigned char>(c)) && c != '+') return false;
  // "A:|" is music (a note before an end repeat), not a field.
  const bool note = (c >= 'A' && c <= 'G') || (c >= 'a' && c <= 'g');
  return !(note && line.size() > 2 && line[2] == '|');
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool header_only(char c) {
  return std::string_view("ABCDFGHOSXZ").find(c) != std::string_view::npos;
}

}  // namespace

TuneParser::TuneParser(std::string_view text, int first_line, size_t offset)
    : text_(text), first_line_(first_line), offset_(offset) {}

void TuneParser::diag(DiagKind kind, Position pos, std::string message) {
  tune_.diagnostics.push_back({kind, std::move(message), pos});
}

Event& TuneParser::emit(EventKind kind, Position pos, std::string_view text) {
  Event e;
  e.kind = kind;
  e.pos = pos;
  e.text = std::string(text);
  if (current_ != SIZE_MAX) e.voice = tune_.voices[voices_[current_].index].id;
  tune_.events.push_back(std::move(e));
  return tune_.events.back();
}

Tune TuneParser::run() {
  tune_.start = {first_line_, 1, offset_};
  // Real tunes are a few kB and each byte of music can become an event of ~150 bytes: a 5 MB
  // line took 1.1 GB. Music past the limit is not parsed (the tune fails tier 1).
  if (text_.size() > limits::kAbcTuneBytes) {
    diag(DiagKind::TuneTooLong, tune_.start,
         "tune of " + std::to_string(text_.size()) + " bytes is longer than the limit of " +
             std::to_string(limits::kAbcTuneBytes) + "; the rest is not parsed");
    text_ = text_.substr(0, limits::kAbcTuneBytes);
  }
  size_t pos = 0;
  int line_no = first_line_;
  bool in_block = false;
  bool skip_next = false;  // %%beginps ... %%endps and the like hold no ABC
  Position last{first_line_, 1, offset_};
  while (pos < text_.size()) {
    size_t nl = text_.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? text_.size() : nl;
    std::string_view line = text_.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const Position at{line_no, 1, offset_ + pos};
    last = at;
    pos = end + 1;
    ++line_no;
    if (in_block) {
      if (line.starts_with("%%end")) in_block = false;
      continue;
    }
    if (skip_next) {
      skip_next = line.ends_with("\\");
      continue;
    }
    if (line.starts_with("%")) {
      if (line.starts_with("%%begin")) in_block = true;
      skip_next = line.ends_with("\\");  // a directive continued on the next line
      continue;
    }
    if (trim(line).empty()) continue;
    if (at.line == first_line_ && !line.starts_with("X:")) {
      diag(DiagKind::MissingNumber, at, "the tune does not start with X:");
    }
    if (in_header_) {
      if (is_field_line(line)) {
        header_line(line, at);
        continue;
      }
      diag(DiagKind::MissingKey, at, "music before the K: field");
      in_header_ = false;
    }
    if (is_field_line(line)) {
      body_field(line[0], line.substr(2), at, false);
      continue;
    }
    music_line(line, at);
  }
  if (in_header_) diag(DiagKind::MissingKey, last, "the tune has no K: field");
  finish();
  return std::move(tune_);
}

void TuneParser::header_line(std::string_view line, Position pos) {
  const char letter = line[0];
  const std::string_view value = line.substr(2);
  tune_.header.emplace(std::string(1, letter), std::string(trim(value)));
  tune_.header_order.push_back(std::string(1, letter));
  emit(EventKind::Field, pos, line);
  switch (letter) {
    case 'X': {
      const std::string_view v = trim(value);
      const bool digits =
          !v.empty() && v.size() < 10 &&
          std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (tune_.header_order.size() != 1) {
        // Reported at the tune's first line.
      } else if (!digits) {
        diag(DiagKind::MissingNumber, pos, "X: is not a number");
      } else {
        tune_.number = std::stoi(std::string(v));
      }
      break;
    }
    case 'M':
      if (auto m = parse_meter(value)) {
        header_meter_ = *m;
      } else {
        diag(DiagKind::BadField, pos, "unreadable meter M:" + std::string(value));
      }
      break;
    case 'L':
      if (auto u = parse_unit_length(value)) {
        header_unit_ = *u;
        header_unit_set_ = true;
      } else {
        diag(DiagKind::BadField, pos, "unreadable unit length L:" + std::string(value));
      }
      break;
    case 'V':
      select_voice(value, pos);
      break;
    case 'w':
    case 's':
      diag(DiagKind::MisplacedField, pos, std::string(1, letter) + ": belongs in the body");
      break;
    case 'K': {
      if (!valid_key(value))
        diag(DiagKind::BadField, pos, "unreadable key K:" + std::string(value));
      in_header_ = false;
      if (tune_.header.count("T") == 0) diag(DiagKind::MissingTitle, pos, "no T: before K:");
      if (tune_.header.count("M") == 0) diag(DiagKind::MissingMeter, pos, "no M: before K:");
      if (!header_unit_set_) diag(DiagKind::MissingUnitLength, pos, "no L: before K:");
      // Voices declared in the header start with the header's meter and unit.
      for (auto& v : voices_) {
        v.meter = header_meter_;
        v.unit = header_unit_set_ ? header_unit_ : default_unit_length(header_meter_);
      }
      current_ = SIZE_MAX;
      break;
    }
    default:
      break;
  }
}

void TuneParser::body_field(char letter, std::string_view value, Position pos, bool inline_field) {
  if (!inline_field) emit(EventKind::Field, pos, std::string(1, letter) + ":" + std::string(value));
  if (!seen_music_ && !inline_field &&
      std::string_view("TMLQRCOAZNSBDFGH").find(letter) != std::string_view::npos) {
    diag(DiagKind::FieldAfterKey, pos, std::string(1, letter) + ": after K:");
  } else if (header_only(letter)) {
    diag(DiagKind::MisplacedField, pos, std::string(1, letter) + ": is a header field");
  }
  apply_field(letter, value, pos);
}

void TuneParser::apply_field(char letter, std::string_view value, Position pos) {
  switch (letter) {
    case 'K':
      if (!valid_key(value))
        diag(DiagKind::BadField, pos, "unreadable key K:" + std::string(value));
      break;
    case 'M':
      if (auto m = parse_meter(value)) {
        voice().meter = *m;
      } else {
        diag(DiagKind::BadField, pos, "unreadable meter M:" + std::string(value));
      }
      break;
    case 'L':
      if (auto u = parse_unit_length(value)) {
        voice().unit = *u;
      } else {
        diag(DiagKind::BadField, pos, "unreadable unit length L:" + std::string(value));
      }
      break;
    case 'V':
      select_voice(value, pos);
      break;
    default:
      break;
  }
}

void TuneParser::select_voice(std::string_view value, Position pos) {
  std::string_view v = trim(value);
  size_t end = 0;
  while (end < v.size() && !std::isspace(static_cast<unsigned char>(v[end])) && v[end] != ']' &&
         v[end] != '%') {
    ++end;
  }
  const std::string id(v.substr(0, end));
  if (id.empty()) {
    diag(DiagKind::BadField, pos, "V: without a voice id");
    return;
  }
  // A map, not a scan of the voices: 10^4 voices made every V: line a linear search.
  const auto [it, added] = voice_by_id_.try_emplace(id, voices_.size());
  if (!added) {
    current_ = it->second;
    return;
  }
  VoiceState s;
  s.index = tune_.voices.size();
  s.meter = header_meter_;
  s.unit = header_unit_set_ ? header_unit_ : default_unit_length(header_meter_);
  tune_.voices.push_back({id, {}});
  voices_.push_back(s);
  current_ = voices_.size() - 1;
}

VoiceState& TuneParser::voice() {
  if (current_ == SIZE_MAX) {
    if (voices_.empty()) {
      VoiceState s;
      s.meter = header_meter_;
      s.unit = header_unit_set_ ? header_unit_ : default_unit_length(header_meter_);
      tune_.voices.push_back({"", {}});
      voices_.push_back(s);
    }
    current_ = 0;
  }
  return voices_[current_];
}

void TuneParser::finish() {
  for (size_t i = 0; i < voices_.size(); ++i) {
    current_ = i;
    VoiceState& v = voices_[i];
    if (v.broken_pending) diag(DiagKind::BadBrokenRhythm, v.broken_pos, "no note after > or <");
    if (v.content) {
      close_bar(v.bar_start, false, BarLineKind::End);
      tune_.truncated = true;
    }
    if (v.tuplet_left > 0) diag(DiagKind::BadTuplet, v.tuplet_pos, "the tuplet is unfinished");
    if (v.repeat_open) diag(DiagKind::UnbalancedRepeat, v.repeat_pos, "|: is never closed by :|");
    if (v.ending == 1) {
      diag(DiagKind::EndingWithoutRepeat, v.ending_pos, "first ending is never closed by :|");
    }
  }
  for (const Position& p : slurs_) diag(DiagKind::UnclosedSlur, p, "( is never closed");
  check_bars();
  std::stable_sort(
      tune_.diagnostics.begin(), tune_.diagnostics.end(),
      [](const Diagnostic& a, const Diagnostic& b) { return a.pos.offset < b.pos.offset; });
}

void TuneParser::check_bars() {
  int reference = -1;
  for (const VoiceState& vs : voices_) {
    check_voice_bars(vs);
    const Voice& v = tune_.voices[vs.index];
    int count = 0;
    for (const Bar& b : v.bars) count += b.measures;
    if (v.bars.empty()) continue;
    if (reference < 0) {
      reference = count;
    } else if (count != reference) {
      diag(DiagKind::VoicesMisaligned, v.bars.front().start,
           "voice " + v.id + " has " + std::to_string(count) + " bars, the first voice " +
               std::to_string(reference));
    }
  }
}

}  // namespace detail
}  // namespace tb::metrics::abc
