// Plays the events of a parsed ABC tune voice by voice: times are exact fractions of a whole
// note until the end, where onsets and ends are rounded to ticks separately (no drift).
#include "metrics/notes/abc_notes.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/abc/fields.hpp"
#include "metrics/notes/abc_key.hpp"

namespace tb::notes {
namespace {

using metrics::abc::Event;
using metrics::abc::EventKind;
using metrics::abc::Meter;
using metrics::abc::Rational;

constexpr int kLetterSemitone[7] = {0, 2, 4, 5, 7, 9, 11};
constexpr int64_t kTicksPerWhole = 4 * kAbcTicksPerQuarter;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

int64_t to_ticks(Rational r) {
  const long double t =
      static_cast<long double>(r.num) * kTicksPerWhole / static_cast<long double>(r.den);
  return std::llround(std::clamp(t, 0.0L, 1e15L));
}

// Numerator and denominator of a meter as written ("6/8" -> 6/8, "C" -> 4/4, "(2+3)/8" -> 5/8).
TimeSignature time_signature(std::string_view value, const Meter& m) {
  TimeSignature ts;
  std::string_view v = trim(value);
  if (v == "C") return ts;
  if (v == "C|") {
    ts.numerator = 2;
    ts.denominator = 2;
    return ts;
  }
  const size_t slash = v.find('/');
  int num = 0, term = 0, den = 0;
  for (size_t i = 0; i < slash && i < v.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(v[i]))) {
      term = term * 10 + (v[i] - '0');
    } else {
      num += term, term = 0;
    }
  }
  num += term;
  for (size_t i = slash + 1; slash != std::string_view::npos && i < v.size() &&
                             std::isdigit(static_cast<unsigned char>(v[i]));
       ++i) {
    den = den * 10 + (v[i] - '0');
  }
  if (num > 0 && den > 0) {
    ts.numerator = num;
    ts.denominator = den;
  } else {
    ts.numerator = static_cast<int>(m.bar.num);
    ts.denominator = static_cast<int>(m.bar.den);
  }
  return ts;
}

// "1/4=120", "1/4 1/8=60", "\"Allegro\" 3/8=40": microseconds per quarter, 0 when unreadable.
int64_t tempo_us_per_quarter(std::string_view value) {
  std::string text(value);
  // Drop quoted text.
  for (size_t q = text.find('"'); q != std::string::npos; q = text.find('"')) {
    const size_t close = text.find('"', q + 1);
    text.erase(q, close == std::string::npos ? std::string::npos : close - q + 1);
  }
  const size_t eq = text.find('=');
  if (eq == std::string::npos) return 0;
  Rational beat(0);
  std::string_view beats = std::string_view(text).substr(0, eq);
  for (size_t i = 0; i < beats.size();) {
    while (i < beats.size() && !std::isdigit(static_cast<unsigned char>(beats[i]))) ++i;
    int64_t n = 0, d = 0;
    while (i < beats.size() && std::isdigit(static_cast<unsigned char>(beats[i])) && n < 10000)
      n = n * 10 + (beats[i++] - '0');
    if (i < beats.size() && beats[i] == '/') {
      ++i;
      while (i < beats.size() && std::isdigit(static_cast<unsigned char>(beats[i])) && d < 10000)
        d = d * 10 + (beats[i++] - '0');
    }
    if (n > 0 && d > 0) beat += Rational(n, d);
  }
  int64_t bpm = 0;
  for (size_t i = eq + 1;
       i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && bpm < 100000; ++i) {
    bpm = bpm * 10 + (text[i] - '0');
  }
  if (beat.num <= 0 || bpm <= 0) return 0;
  // Quarters per minute = bpm * beat * 4.
  const long double qpm = static_cast<long double>(bpm) * 4 * static_cast<long double>(beat.num) /
                          static_cast<long double>(beat.den);
  return std::llround(60e6L / qpm);
}

struct RawNote {
  int pitch = 0;
  Rational start;
  Rational duration;
  int track = 0;
};

// A note waiting to be played with its chord or on its own.
struct PendingNote {
  int pitch = 0;
  int letter = 0;  // 0..6
  int octave = 0;  // 0 for C..B, 1 for c..b, plus ' minus ,
  Rational length;
  bool tied = false;
};

struct TieEnd {
  size_t note = 0;  // index into the raw notes
  int pitch = 0;
  int letter = 0;
  int octave = 0;
};

struct VoicePlayer {
  std::string id;
  int track = 0;
  KeySignature key{};
  Rational unit{1, 8};
  Meter meter;
  Rational time;
  Rational bar_start;
  Rational overlay_end;
  bool overlay = false;
  int bar_alter[7][32] = {};  // accidentals of this bar by letter and octave (+16)
  bool bar_alter_set[7][32] = {};
  int tuplet_left = 0;
  Rational tuplet_factor{1};
  Rational broken_next{1};
  bool broken_pending = false;
  // The last note, chord or rest played in this bar (for broken rhythm and ties).
  std::vector<std::pair<size_t, Rational>> last_notes;  // raw index, length it contributed
  std::vector<TieEnd> last_tie_ends;
  Rational last_advance;
  bool has_last = false;
  std::vector<TieEnd> ties;  // notes tied into the next note of the same pitch
  // The chord being read.
  bool in_chord = false;
  std::vector<PendingNote> chord;

  void clear_bar_accidentals() {
    for (auto& row : bar_alter_set) std::fill(std::begin(row), std::end(row), false);
  }
};

class Player {
 public:
  explicit Player(const metrics::abc::Tune& tune) : tune_(tune) {}

  NoteSequence run() {
    for (const Event& e : tune_.events) event(e);
    return finish();
  }

 private:
  void event(const Event& e) {
    switch (e.kind) {
      case EventKind::Field:
        field(e.text);
        return;
      case EventKind::Note:
        in_header_ = false;
        if (!in_grace_) note(e);
        return;
      case EventKind::Rest:
        in_header_ = false;
        rest(e);
        return;
      case EventKind::ChordStart:
        in_header_ = false;
        voice().in_chord = true;
        voice().chord.clear();
        return;
      case EventKind::ChordEnd:
        chord_end(e);
        return;
      case EventKind::GraceStart:
        in_grace_ = true;
        return;
      case EventKind::GraceEnd:
        in_grace_ = false;
        return;
      case EventKind::Tuplet:
        tuplet(e.text);
        return;
      case EventKind::Tie:
        tie();
        return;
      case EventKind::BrokenRhythm:
        broken(e.text);
        return;
      case EventKind::BarLine:
        bar_line();
        return;
      case EventKind::VoiceOverlay:
        overlay();
        return;
      default:
        return;
    }
  }

  VoicePlayer& voice() {
    if (current_ == SIZE_MAX) {
      if (voices_.empty()) add_voice("");
      current_ = 0;
    }
    return voices_[current_];
  }

  void add_voice(const std::string& id) {
    VoicePlayer v;
    v.id = id;
    v.track = static_cast<int>(voices_.size());
    v.key = header_key_;
    v.meter = header_meter_;
    v.unit = header_unit_ ? *header_unit_ : metrics::abc::default_unit_length(header_meter_);
    voices_.push_back(std::move(v));
  }

  void select_voice(std::string_view value) {
    const std::string_view v = trim(value);
    size_t end = 0;
    while (end < v.size() && !std::isspace(static_cast<unsigned char>(v[end])) && v[end] != ']' &&
           v[end] != '%') {
      ++end;
    }
    if (end == 0) return;
    const std::string id(v.substr(0, end));
    for (size_t i = 0; i < voices_.size(); ++i) {
      if (voices_[i].id == id) {
        current_ = i;
        return;
      }
    }
    add_voice(id);
    current_ = voices_.size() - 1;
  }

  void field(std::string_view text) {
    if (text.starts_with("[")) text = text.substr(1, text.size() >= 2 ? text.size() - 2 : 0);
    if (text.size() < 2 || text[1] != ':') return;
    const char letter = text[0];
    const std::string_view value = text.substr(2);
    if (in_header_) {
      header_field(letter, value);
      return;
    }
    switch (letter) {
      case 'V':
        select_voice(value);
        break;
      case 'K':
        if (auto k = parse_key_signature(value)) {
          voice().key = *k;
          voice().clear_bar_accidentals();
        }
        break;
      case 'L':
        if (auto u = metrics::abc::parse_unit_length(value)) voice().unit = *u;
        break;
      case 'M':
        if (auto m = metrics::abc::parse_meter(value)) {
          VoicePlayer& v = voice();
          v.meter = *m;
          if (v.track == 0 && !m->free) add_time_signature(to_ticks(v.time), value, *m);
        }
        break;
      default:
        break;
    }
  }

  void header_field(char letter, std::string_view value) {
    switch (letter) {
      case 'M':
        if (auto m = metrics::abc::parse_meter(value)) {
          header_meter_ = *m;
          header_meter_text_ = std::string(value);
        }
        break;
      case 'L':
        if (auto u = metrics::abc::parse_unit_length(value)) header_unit_ = *u;
        break;
      case 'Q':
        if (const int64_t us = tempo_us_per_quarter(value); us > 0) seq_.tempos = {{0, us}};
        break;
      case 'V':
        select_voice(value);
        break;
      case 'K': {
        if (auto k = parse_key_signature(value)) header_key_ = *k;
        in_header_ = false;
        current_ = SIZE_MAX;
        // Voices declared in the header start from the header's values (as the parser does).
        for (VoicePlayer& v : voices_) {
          v.key = header_key_;
          v.meter = header_meter_;
          v.unit = header_unit_ ? *header_unit_ : metrics::abc::default_unit_length(header_meter_);
        }
        if (!header_meter_.free) add_time_signature(0, header_meter_text_, header_meter_);
        break;
      }
      default:
        break;
    }
  }

  void add_time_signature(int64_t tick, std::string_view text, const Meter& m) {
    TimeSignature ts = time_signature(text, m);
    ts.tick = tick;
    auto& sigs = seq_.time_signatures;
    if (!sigs.empty() && sigs.back().tick == tick) sigs.pop_back();
    if (!sigs.empty() && sigs.back().numerator == ts.numerator &&
        sigs.back().denominator == ts.denominator) {
      return;
    }
    sigs.push_back(ts);
  }

  void note(const Event& e) {
    VoicePlayer& v = voice();
    const int li = letter_index(e.letter);
    if (li < 0) return;
    PendingNote n;
    n.letter = li;
    n.octave = (std::islower(static_cast<unsigned char>(e.letter)) ? 1 : 0) + e.octave;
    const size_t oct = static_cast<size_t>(std::clamp(n.octave + 16, 0, 31));
    const size_t l = static_cast<size_t>(li);
    int alter = v.key[l];
    if (e.accidental != 0) {
      alter = e.accidental == 3 ? 0 : e.accidental;
      v.bar_alter[l][oct] = alter;
      v.bar_alter_set[l][oct] = true;
    } else if (v.bar_alter_set[l][oct]) {
      alter = v.bar_alter[l][oct];
    }
    n.pitch = 60 + 12 * n.octave + kLetterSemitone[l] + alter;
    if (e.accidental == 0) {
      // A tie into the next bar keeps the tied note's accidental.
      for (const TieEnd& t : v.ties) {
        if (t.letter == n.letter && t.octave == n.octave) n.pitch = t.pitch;
      }
    }
    n.pitch = std::clamp(n.pitch, 0, 127);
    n.length = e.length * v.unit;
    if (v.in_chord) {
      v.chord.push_back(n);
    } else {
      play(v, {n}, n.length);
    }
  }

  void chord_end(const Event& e) {
    VoicePlayer& v = voice();
    v.in_chord = false;
    if (in_grace_ || v.chord.empty()) return;
    std::vector<PendingNote> notes = std::move(v.chord);
    v.chord.clear();
    for (PendingNote& n : notes) n.length = n.length * e.length;
    play(v, notes, notes.front().length);
  }

  // Plays a note or chord (or a rest: no notes) at the voice's time.
  void play(VoicePlayer& v, const std::vector<PendingNote>& notes, Rational advance) {
    Rational factor(1);
    if (v.tuplet_left > 0) {
      factor = factor * v.tuplet_factor;
      --v.tuplet_left;
    }
    if (v.broken_pending) {
      factor = factor * v.broken_next;
      v.broken_pending = false;
    }
    v.last_notes.clear();
    v.last_tie_ends.clear();
    std::vector<TieEnd> next_ties;
    for (const PendingNote& n : notes) {
      const Rational dur = n.length * factor;
      size_t index = raw_.size();
      auto tied = std::find_if(v.ties.begin(), v.ties.end(),
                               [&](const TieEnd& t) { return t.pitch == n.pitch; });
      if (tied != v.ties.end()) {
        index = tied->note;
        raw_[index].duration += dur;
        v.ties.erase(tied);
      } else {
        raw_.push_back({n.pitch, v.time, dur, v.track});
      }
      v.last_notes.emplace_back(index, dur);
      const TieEnd end{index, n.pitch, n.letter, n.octave};
      v.last_tie_ends.push_back(end);
      if (n.tied) next_ties.push_back(end);
    }
    v.ties = std::move(next_ties);
    v.last_advance = advance * factor;
    v.time += v.last_advance;
    v.has_last = true;
  }

  void rest(const Event& e) {
    VoicePlayer& v = voice();
    if (v.in_chord || in_grace_) return;
    if (e.letter == 'Z' || e.letter == 'X') {
      v.ties.clear();
      v.has_last = false;
      v.time += (v.meter.free ? Rational(1) : v.meter.bar) * Rational(std::max(e.count, 1));
      return;
    }
    v.ties.clear();
    play(v, {}, e.length * v.unit);
  }

  void tuplet(std::string_view text) {
    VoicePlayer& v = voice();
    int64_t nums[3] = {0, 0, 0};
    bool given[3] = {false, false, false};
    size_t i = 1;
    for (int k = 0; k < 3 && i <= text.size(); ++k) {
      if (k > 0) {
        if (i >= text.size() || text[i] != ':') break;
        ++i;
      }
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) &&
             nums[k] < 1000) {
        nums[k] = nums[k] * 10 + (text[i++] - '0');
        given[k] = true;
      }
    }
    const int64_t p = nums[0];
    // The parser reports bad and nested tuplets; they are played as plain notes.
    if (p < 2 || p > 9 || (given[1] && nums[1] == 0) || (given[2] && nums[2] == 0) ||
        v.tuplet_left > 0) {
      return;
    }
    int64_t q = nums[1];
    if (!given[1]) {
      if (p == 2 || p == 4 || p == 8) {
        q = 3;
      } else if (p == 3 || p == 6) {
        q = 2;
      } else {
        q = v.meter.compound ? 3 : 2;
      }
    }
    v.tuplet_factor = Rational(q, p);
    v.tuplet_left = static_cast<int>(given[2] ? nums[2] : p);
  }

  void tie() {
    VoicePlayer& v = voice();
    if (v.in_chord) {
      if (!v.chord.empty()) v.chord.back().tied = true;
      return;
    }
    if (v.has_last) v.ties = v.last_tie_ends;
  }

  void broken(std::string_view text) {
    VoicePlayer& v = voice();
    const int n = static_cast<int>(text.size());
    if (!v.has_last || v.in_chord || in_grace_ || n > 3 || n < 1) return;
    const Rational longer((int64_t{2} << n) - 1, int64_t{1} << n);
    const Rational shorter(1, int64_t{1} << n);
    const Rational before = text[0] == '>' ? longer : shorter;
    v.broken_next = text[0] == '>' ? shorter : longer;
    v.broken_pending = true;
    for (auto& [index, dur] : v.last_notes) raw_[index].duration += dur * before - dur;
    v.time += v.last_advance * before - v.last_advance;
    v.has_last = false;
  }

  void bar_line() {
    VoicePlayer& v = voice();
    v.clear_bar_accidentals();
    if (v.overlay) {
      v.time = v.overlay_end;  // the bar ends where its first part ended
      v.overlay = false;
    }
    v.bar_start = v.time;
    v.broken_pending = false;
    v.has_last = false;
    v.in_chord = false;
  }

  void overlay() {
    VoicePlayer& v = voice();
    if (!v.overlay) v.overlay_end = v.time;
    v.overlay = true;
    v.time = v.bar_start;
    v.ties.clear();
    v.has_last = false;
  }

  NoteSequence finish() {
    seq_.ticks_per_quarter = kAbcTicksPerQuarter;
    std::stable_sort(raw_.begin(), raw_.end(), [](const RawNote& a, const RawNote& b) {
      return a.track != b.track ? a.track < b.track : a.start < b.start;
    });
    seq_.tracks.resize(voices_.size());
    for (size_t i = 0; i < voices_.size(); ++i) seq_.tracks[i].name = voices_[i].id;
    seq_.notes.reserve(raw_.size());
    for (const RawNote& r : raw_) {
      NoteEvent n;
      n.pitch = r.pitch;
      n.velocity = kAbcVelocity;
      n.start = to_ticks(r.start);
      n.duration = to_ticks(r.start + r.duration) - n.start;
      n.track = r.track;
      seq_.notes.push_back(n);
      TrackInfo& t = seq_.tracks[static_cast<size_t>(r.track)];
      t.end_tick = std::max(t.end_tick, n.end());
    }
    return std::move(seq_);
  }

  const metrics::abc::Tune& tune_;
  NoteSequence seq_;
  std::vector<RawNote> raw_;
  std::vector<VoicePlayer> voices_;
  size_t current_ = SIZE_MAX;
  bool in_header_ = true;
  bool in_grace_ = false;
  KeySignature header_key_{};
  Meter header_meter_{true, Rational(1), false};
  std::string header_meter_text_;
  std::optional<Rational> header_unit_;
};

}  // namespace

NoteSequence abc_to_notes(const metrics::abc::Tune& tune) {
  return Player(tune).run();
}

}  // namespace tb::notes
