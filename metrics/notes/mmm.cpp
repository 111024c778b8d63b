#include "metrics/notes/mmm.hpp"

#include <algorithm>
#include <charconv>
#include <deque>
#include <map>
#include <optional>
#include <tuple>

#include "harness/core/limits.hpp"
#include "metrics/notes/parse_error.hpp"

namespace tb::notes {
namespace {

// A quantised note of one track, in steps.
struct Piece {
  int pitch;
  int64_t start;
  int64_t end;
};

struct QuantisedTrack {
  int program;
  std::vector<Piece> pieces;
};

// One track's pieces swept bar by bar in increasing order: each bar sees only the pieces that
// overlap it, so encoding costs the size of its output (scanning every piece for every bar was
// bars x notes).
class BarSweep {
 public:
  explicit BarSweep(std::vector<Piece> pieces) : pieces_(std::move(pieces)) {
    std::sort(pieces_.begin(), pieces_.end(),
              [](const Piece& a, const Piece& b) { return a.start < b.start; });
  }

  // Appends the tokens of bar `bar` (never less than the previous call's): its pieces clipped
  // to the bar, events sorted by (time, NOTE_OFF before NOTE_ON, pitch), TIME_DELTA before
  // each later time.
  void append_bar(std::string& out, int64_t bar) {
    const int64_t lo = bar * kMmmStepsPerBar;
    const int64_t hi = lo + kMmmStepsPerBar;
    while (next_ < pieces_.size() && pieces_[next_].start < hi) active_.push_back(pieces_[next_++]);
    std::erase_if(active_, [&](const Piece& p) { return p.end <= lo; });
    std::vector<std::tuple<int64_t, int, int>> events;  // (time, kind 0 off / 1 on, pitch)
    for (const Piece& p : active_) {
      events.emplace_back(std::max(p.start, lo) - lo, 1, p.pitch);
      events.emplace_back(std::min(p.end, hi) - lo, 0, p.pitch);
    }
    std::sort(events.begin(), events.end());
    out += " BAR_START";
    int64_t time = 0;
    for (const auto& [t, kind, pitch] : events) {
      if (t > time) {
        out += " TIME_DELTA=" + std::to_string(t - time);
        time = t;
      }
      out += kind ? " NOTE_ON=" : " NOTE_OFF=";
      out += std::to_string(pitch);
    }
    out += " BAR_END";
  }

 private:
  std::vector<Piece> pieces_;
  size_t next_ = 0;            // the first piece not yet started
  std::vector<Piece> active_;  // started pieces that may overlap the current bar
};

// The integer after `prefix` when `token` is prefix + 1..3 decimal digits within [lo, hi].
std::optional<int> int_value(std::string_view token, std::string_view prefix, int lo, int hi) {
  if (!token.starts_with(prefix)) return std::nullopt;
  const std::string_view digits = token.substr(prefix.size());
  if (digits.empty() || digits.size() > 3) return std::nullopt;
  int value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < lo || value > hi) return std::nullopt;
  return value;
}

// The decoder's state machine (see MMM.md, "Decoding"); problems become diagnostics.
class Decoder {
 public:
  Decoder(int64_t ticks_per_quarter, int64_t first_bar)
      : tpq_(ticks_per_quarter), first_bar_(first_bar) {
    result_.sequence.ticks_per_quarter = ticks_per_quarter;
  }

  void token(size_t i, std::string_view tok) {
    i_ = i;
    if (i == 0 && tok != "PIECE_START") report("missing PIECE_START");
    if (tok == "PIECE_START") {
      if (i != 0) report("unexpected PIECE_START");
    } else if (tok == "TRACK_START") {
      end_bar_if_open();
      if (in_track_) report("missing TRACK_END");
      in_track_ = true;
      result_.sequence.tracks.push_back(TrackInfo{});
      bar_ = 0;
    } else if (tok == "TRACK_END") {
      end_bar_if_open();
      if (!in_track_) report("TRACK_END outside a track");
      in_track_ = false;
    } else if (tok == "BAR_START") {
      if (!in_track_) return report("BAR_START outside a track");
      end_bar_if_open();
      in_bar_ = true;
      time_ = (first_bar_ + bar_) * kMmmStepsPerBar;
    } else if (tok == "BAR_END") {
      if (!in_bar_) return report("BAR_END without BAR_START");
      close_bar();
    } else if (auto inst = int_value(tok, "INST=", 0, 127)) {
      if (!in_track_) return report("INST outside a track");
      result_.sequence.tracks.back().program = *inst;
    } else if (auto delta = int_value(tok, "TIME_DELTA=", 1, kMmmStepsPerBar)) {
      if (!in_bar_) return report("TIME_DELTA outside a bar");
      time_ += *delta;
      if (time_ > bar_end()) {
        report("TIME_DELTA beyond the bar");
        time_ = bar_end();
      }
    } else if (auto on = int_value(tok, "NOTE_ON=", 0, 127)) {
      if (!in_bar_) return report("NOTE_ON outside a bar");
      if (time_ == bar_end()) return report("NOTE_ON at the bar's end");
      open_[*on].push_back(time_);
    } else if (auto off = int_value(tok, "NOTE_OFF=", 0, 127)) {
      if (!in_bar_) return report("NOTE_OFF outside a bar");
      auto it = open_.find(*off);
      if (it == open_.end())
        return report("NOTE_OFF=" + std::to_string(*off) + " with no open note");
      add_note(*off, it->second.front(), time_);
      it->second.pop_front();
      if (it->second.empty()) open_.erase(it);
    } else {
      report("unknown token '" + std::string(tok) + "'");
    }
  }

  MmmDecodeResult finish(size_t token_count) {
    i_ = token_count;
    if (in_bar_) {
      report("missing BAR_END");
      close_bar();
    }
    if (in_track_) report("missing TRACK_END");
    auto& notes = result_.sequence.notes;
    std::sort(notes.begin(), notes.end(), [](const NoteEvent& a, const NoteEvent& b) {
      return std::tie(a.track, a.start, a.pitch, a.duration) <
             std::tie(b.track, b.start, b.pitch, b.duration);
    });
    return std::move(result_);
  }

 private:
  int64_t bar_end() const { return (first_bar_ + bar_ + 1) * kMmmStepsPerBar; }

  void report(const std::string& what) {
    result_.diagnostics.push_back("token " + std::to_string(i_) + ": " + what);
  }

  void end_bar_if_open() {
    if (!in_bar_) return;
    report("missing BAR_END");
    close_bar();
  }

  // Notes still open at the bar's end close there (a held note is re-struck in the next bar).
  void close_bar() {
    for (const auto& [pitch, starts] : open_)
      for (const int64_t start : starts) add_note(pitch, start, bar_end());
    open_.clear();
    in_bar_ = false;
    ++bar_;
  }

  void add_note(int pitch, int64_t start, int64_t end) {
    if (end <= start) return report("zero-length note " + std::to_string(pitch) + " dropped");
    const int64_t s = start * tpq_ / 4;
    const int64_t e = end * tpq_ / 4;
    const int track = static_cast<int>(result_.sequence.tracks.size()) - 1;
    const int program = result_.sequence.tracks.back().program;
    result_.sequence.notes.push_back(
        NoteEvent{pitch, kMmmDecodeVelocity, s, e - s, track, program, 0});
  }

  int64_t tpq_;
  int64_t first_bar_;
  MmmDecodeResult result_;
  size_t i_ = 0;
  bool in_track_ = false;
  bool in_bar_ = false;
  int64_t bar_ = 0;                          // BAR_STARTs seen in the current track
  int64_t time_ = 0;                         // steps
  std::map<int, std::deque<int64_t>> open_;  // pitch -> onsets, earliest first
};

}  // namespace

int64_t mmm_step(int64_t tick, int64_t ticks_per_quarter) {
  // Python's // floors; ticks are never negative, so C++ truncation agrees.
  return (8 * tick + ticks_per_quarter) / (2 * ticks_per_quarter);
}

std::vector<std::string> mmm_encode(const NoteSequence& seq, const std::string& source) {
  std::map<int, QuantisedTrack> by_track;  // ordered by track index
  int64_t max_end = 0;
  for (const NoteEvent& note : seq.notes) {
    auto [it, added] = by_track.try_emplace(note.track);
    if (added) {
      const bool known = note.track >= 0 && static_cast<size_t>(note.track) < seq.tracks.size();
      it->second.program = known ? seq.tracks[note.track].program : 0;
    }
    const int64_t start = mmm_step(note.start, seq.ticks_per_quarter);
    int64_t end = mmm_step(note.start + note.duration, seq.ticks_per_quarter);
    if (end <= start) end = start + 1;
    it->second.pieces.push_back({note.pitch, start, end});
    max_end = std::max(max_end, end);
  }
  const int64_t bars = (max_end + kMmmStepsPerBar - 1) / kMmmStepsPerBar;
  // The samples are as long as the piece: one note held for 2^28 ticks made gigabytes of them.
  if (bars > limits::kMmmBars) {
    throw ParseError(source, 0,
                     "the notes span " + std::to_string(bars) +
                         " bars of 16 steps, over the "
                         "limit of " +
                         std::to_string(limits::kMmmBars) + " for MMM encoding");
  }
  std::vector<BarSweep> sweeps;
  std::vector<int> programs;
  for (auto& [index, track] : by_track) {
    sweeps.emplace_back(std::move(track.pieces));
    programs.push_back(track.program);
  }
  std::vector<std::string> samples;
  for (int64_t first = 0; first < bars; first += kMmmBarsPerSample) {
    std::string sample = "PIECE_START";
    for (size_t t = 0; t < sweeps.size(); ++t) {
      sample += " TRACK_START INST=" + std::to_string(programs[t]);
      for (int64_t bar = first; bar < first + kMmmBarsPerSample; ++bar)
        sweeps[t].append_bar(sample, bar);
      sample += " TRACK_END";
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

MmmDecodeResult mmm_decode(std::string_view tokens, int64_t ticks_per_quarter, int64_t first_bar) {
  Decoder decoder(ticks_per_quarter, first_bar);
  size_t count = 0;
  size_t pos = 0;
  // Tokens are separated by any ASCII whitespace, as Python's str.split().
  auto is_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (true) {
    while (pos < tokens.size() && is_space(tokens[pos])) ++pos;
    if (pos == tokens.size()) break;
    size_t end = pos;
    while (end < tokens.size() && !is_space(tokens[end])) ++end;
    decoder.token(count++, tokens.substr(pos, end - pos));
    pos = end;
  }
  return decoder.finish(count);
}

std::vector<std::string> mmm_vocabulary() {
  std::vector<std::string> vocab = {"PIECE_START", "TRACK_START", "TRACK_END", "BAR_START",
                                    "BAR_END"};
  for (const char* prefix : {"INST=", "NOTE_ON=", "NOTE_OFF="})
    for (int i = 0; i < 128; ++i) vocab.push_back(prefix + std::to_string(i));
  for (int i = 1; i <= kMmmStepsPerBar; ++i) vocab.push_back("TIME_DELTA=" + std::to_string(i));
  return vocab;
}

}  // namespace tb::notes
