#include "metrics/abc/validity.hpp"

#include <string_view>

namespace tb::metrics::abc {

int validity_tier(DiagKind kind) {
  if (kind == DiagKind::MissingMeter || kind == DiagKind::MissingUnitLength) return 0;
  return tier_of(kind);
}

namespace {

// The letter of the field line a diagnostic points at, 0 when it points at none.
char field_letter_at(const Tune& tune, const Position& pos) {
  for (const Event& e : tune.events) {
    if (e.kind == EventKind::Field && e.pos == pos && !e.text.empty()) return e.text[0];
  }
  return 0;
}

// A field the parser reports after K: (before the first music) that ABC 2.1 allows in a tune
// body (its field table: T:, M:, L:, Q:, R:, N:, P:, among others): body, not a late header.
bool body_field_after_key(const Tune& tune, const Diagnostic& d) {
  if (d.kind != DiagKind::FieldAfterKey) return false;
  const char letter = field_letter_at(tune, d.pos);
  return letter != 0 && std::string_view("TMLQRNPIKUVWwmrs").find(letter) != std::string_view::npos;
}

}  // namespace

Validity validity(const Tune& tune) {
  Validity v;
  for (int k = 1; k <= 4; ++k) v.tier[k] = true;
  for (const Diagnostic& d : tune.diagnostics) {
    if (!body_field_after_key(tune, d)) v.tier[validity_tier(d.kind)] = false;
  }
  v.all_header_fields = true;
  for (const char* field : {"X", "T", "M", "L", "K"}) {
    v.all_header_fields = v.all_header_fields && tune.header.count(field) != 0;
  }
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
    r.all_header_fields += v.all_header_fields ? 1 : 0;
  }
  const double n = static_cast<double>(tunes.size());
  for (int k = 1; k <= 4; ++k) {
    r.tier[k] /= n;
    r.level_at_least[k] /= n;
  }
  r.uses_repeats /= n;
  r.truncated /= n;
  r.all_header_fields /= n;
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
