// Bars against the meter, checked the way a player reads them, following abc2midi's
// genmidi.c/store.c (abcMIDI 2023-02-08): the bar lines become a feature list, missing start
// repeats are placed as abc2midi's fixreps() does, and the music is played back with its
// repeats and endings. A single bar line closes a bar; a short bar before a double bar line or
// a repeat sign is joined with the music played after it (so a pickup and the short bar before
// ":|" make one bar); the first bar of a pass may be short; no bar may be long; the music
// after the last bar line is not checked (so a final bar may be short unless a single bar line
// closes it).
#include <string>

#include "metrics/abc/tune_parser.hpp"

namespace tb::metrics::abc::detail {
namespace {

// True when an ending label ("1", "2", "1,3", "1-3") includes pass `pass`.
bool ending_has(const std::string& label, int pass) {
  size_t i = 0;
  while (i < label.size()) {
    int a = 0;
    while (i < label.size() && label[i] >= '0' && label[i] <= '9' && a < 1000) {
      a = a * 10 + (label[i++] - '0');
    }
    int b = a;
    if (i < label.size() && label[i] == '-') {
      ++i;
      b = 0;
      while (i < label.size() && label[i] >= '0' && label[i] <= '9' && b < 1000) {
        b = b * 10 + (label[i++] - '0');
      }
    }
    if (pass >= a && pass <= b) return true;
    if (i < label.size()) ++i;  // ','
  }
  return false;
}

// VoiceStart: in a tune with V: fields (or a P: field in the header) abc2midi's track begins
// with a voice (part) switch, which it meets again after a repeat back to the start and which
// then closes the bar left over.
enum class F { Notes, Single, Double, StartRep, EndRep, DoubleRep, Ending, VoiceStart };

struct Feature {
  F type;
  const Segment* seg;  // the segment whose notes or closing bar line this is
};

F feature_of(BarLineKind k) {
  switch (k) {
    case BarLineKind::Single:
      return F::Single;
    case BarLineKind::StartRepeat:
      return F::StartRep;
    case BarLineKind::EndRepeat:
      return F::EndRep;
    case BarLineKind::DoubleRepeat:
      return F::DoubleRep;
    default:
      return F::Double;
  }
}

// abc2midi's fixreps(): a ":|" (or "::", or a first ending) with no "|:" before it gets one at
// the last double bar line or ":|" (the start of the music when there is none).
void place_missing_starts(std::vector<Feature>& f) {
  size_t rep_point = 0;
  bool expect = false;
  int nplays = 0;
  auto place = [&](size_t k) {
    if (f[k].type == F::Double || f[k].type == F::Single)
      f[k].type = F::StartRep;
    else if (f[k].type == F::EndRep)
      f[k].type = F::DoubleRep;
  };
  for (size_t j = 0; j < f.size(); ++j) {
    switch (f[j].type) {
      case F::Double:
        rep_point = j;
        break;
      case F::StartRep:
        if (expect) f[j].type = F::DoubleRep;
        expect = true;
        break;
      case F::EndRep:
        if (!expect && nplays < 1) place(rep_point);
        expect = false;
        rep_point = j;
        break;
      case F::Ending:
        if (nplays == 0 && !expect) place(rep_point);
        ++nplays;
        break;
      case F::DoubleRep:
        if (!expect) place(rep_point);
        expect = true;
        break;
      default:
        break;
    }
  }
}

}  // namespace

void TuneParser::check_voice_bars(const VoiceState& v) {
  const std::vector<Segment>& segs = v.segments;
  if (segs.empty()) return;
  // The feature list: a virtual double bar at the start, then notes, bar lines, endings.
  std::vector<Feature> f;
  f.push_back({F::Double, &segs.front()});
  if (!tune_.voices[v.index].id.empty() || tune_.header.count("P") > 0) {
    f.push_back({F::VoiceStart, &segs.front()});
  }
  for (const Segment& s : segs) {
    if (s.content) f.push_back({F::Notes, &s});
    if (s.closing != BarLineKind::End && s.closing != BarLineKind::None) {
      f.push_back({feature_of(s.closing), &s});
    }
    if (!s.ending_after.empty()) f.push_back({F::Ending, &s});
  }
  place_missing_starts(f);

  std::vector<bool> reported(segs.size() + 1, false);
  Rational acc;
  Position acc_start;
  const Segment* acc_seg = nullptr;  // the segment whose notes opened the bar
  int barno = 0, pass = 1, maxpass = 2;
  bool expect = false;
  size_t saved_j = 0;
  int saved_barno = 0;

  auto check = [&](const Segment& at) {
    const Rational want = at.meter * Rational(at.measures > 1 ? at.measures : 1);
    const size_t idx = acc_seg ? static_cast<size_t>(acc_seg - segs.data()) : segs.size();
    if (want != Rational(0) && acc != Rational(0) && acc != want && (pass == 2 || barno != 0) &&
        !reported[idx]) {
      reported[idx] = true;
      diag(acc > want ? DiagKind::BarTooLong : DiagKind::BarTooShort, acc_start,
           "bar " + std::to_string(barno + 1) + " has " + acc.str() +
               " of a whole note, the meter " + want.str() + (pass > 1 ? " (in repeat)" : ""));
    }
    if (acc > Rational(0)) ++barno;
    acc = Rational(0);
    acc_seg = nullptr;
  };
  auto soft = [&](const Segment& at) {
    if (acc >= at.meter || barno <= 0) check(at);
  };

  const size_t n = f.size();
  for (size_t j = 0, steps = 0; j < n && steps < 8 * n + 16; ++j, ++steps) {
    const Segment& s = *f[j].seg;
    switch (f[j].type) {
      case F::Notes:
        if (acc_seg == nullptr) {
          acc_seg = &s;
          acc_start = s.start;
        }
        acc += s.duration;
        break;
      case F::Single:
        check(s);
        break;
      case F::Double:
      case F::VoiceStart:
        soft(s);
        break;
      case F::StartRep:
        soft(s);
        saved_j = j;
        saved_barno = barno;
        expect = true;
        pass = 1;
        maxpass = 2;
        break;
      case F::EndRep:
        soft(s);
        if ((pass == 1 && expect) || (pass > 1 && pass < maxpass)) {
          ++pass;
          j = saved_j;
          barno = saved_barno;
          expect = false;
        }
        break;
      case F::DoubleRep:
        soft(s);
        if (pass > 1 || !expect) {
          expect = true;
          saved_j = j;
          saved_barno = barno;
          pass = 1;
          maxpass = 2;
        } else {
          j = saved_j;
          barno = saved_barno;
          ++pass;
        }
        break;
      case F::Ending: {
        const int passnum = expect || pass > 1 ? pass : 1;
        if (!ending_has(s.ending_after, passnum)) {
          // Not played on this pass: skip to the bar line that closes the ending.
          ++j;
          while (j < n && f[j].type != F::EndRep && f[j].type != F::StartRep &&
                 f[j].type != F::Double && f[j].type != F::Ending) {
            ++j;
          }
          ++barno;
        } else if (maxpass < 4) {
          maxpass = pass + 1;
        }
        break;
      }
    }
  }
}

}  // namespace tb::metrics::abc::detail
