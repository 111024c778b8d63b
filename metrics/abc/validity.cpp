#include "metrics/abc/validity.hpp"

namespace tb::metrics::abc {

Validity validity(const Tune& tune) {
  Validity v;
  for (int k = 1; k <= 4; ++k) v.tier[k] = true;
  for (const Diagnostic& d : tune.diagnostics) v.tier[tier_of(d.kind)] = false;
  // A tune without a single note is not a tune.
  if (!tune.has_music) v.tier[1] = false;
  while (v.level < 4 && v.tier[v.level + 1]) ++v.level;
  v.uses_repeats = tune.uses_repeats;
  v.truncated = tune.truncated;
  return v;
}

ValidityRates validity_rates(std::span<const Tune> tunes) {
  ValidityRates r;
  r.tunes = tunes.size();
  if (tunes.empty()) return r;
  for (const Tune& t : tunes) {
    const Validity v = validity(t);
    for (int k = 1; k <= 4; ++k) {
      r.tier[k] += v.tier[k] ? 1 : 0;
      r.level_at_least[k] += v.level >= k ? 1 : 0;
    }
    r.uses_repeats += v.uses_repeats ? 1 : 0;
    r.truncated += v.truncated ? 1 : 0;
  }
  const double n = static_cast<double>(tunes.size());
  for (int k = 1; k <= 4; ++k) {
    r.tier[k] /= n;
    r.level_at_least[k] /= n;
  }
  r.uses_repeats /= n;
  r.truncated /= n;
  return r;
}

std::vector<std::string> bar_texts(const Tune& tune) {
  std::vector<std::string> out;
  for (const Voice& voice : tune.voices) {
    std::string bar;
    for (const Event& e : tune.events) {
      if (e.voice != voice.id) continue;
      switch (e.kind) {
        case EventKind::Note:
        case EventKind::Rest:
        case EventKind::ChordStart:
        case EventKind::ChordEnd:
        case EventKind::GraceStart:
        case EventKind::GraceEnd:
        case EventKind::Tuplet:
        case EventKind::Tie:
        case EventKind::BrokenRhythm:
          bar += e.text;
          break;
        case EventKind::BarLine:
          if (!bar.empty()) out.push_back(bar);
          bar.clear();
          break;
        default:
          break;
      }
    }
    if (!bar.empty()) out.push_back(bar);
  }
  return out;
}

std::vector<Tune> parse_file(std::string_view file_text) {
  std::vector<Tune> out;
  for (const TuneText& t : split_tunes(file_text)) out.push_back(parse_tune(t));
  return out;
}

}  // namespace tb::metrics::abc
