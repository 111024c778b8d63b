#pragma once
// Validity tiers of ABC tunes (each a boolean per tune and a rate over a set):
//   tier 1: parses with no error;
//   tier 2: the tune header as ABC 2.1 defines it (section 2.2.2): X: first with a number, a T:,
//           K: last, no body-only field in it and no header-only field in the body (a field
//           right after K: that ABC 2.1 allows in a body, "K:D\nM:4/4\nL:1/4", is body). M: and L:
//           may be left out: ABC 2.1 takes free meter without M: (abcm2ps's "M:none" default)
//           and derives L: from the meter (3.1.7: 1/16 below 3/4, else 1/8), as abc2midi does;
//   all_header_fields: X:, T:, M:, L: and K: all present in the header, the stricter reading
//           some corpora use, kept as its own rate (it is no tier);
//   tier 3: every bar except the first (pickup) and last matches the meter (M:none skips),
//           no bar is longer than the meter, repeats and endings are balanced;
//   tier 4: all voices have the same number of bars.
// Each tier is judged on its own diagnostics; `level` is the highest k with tiers 1..k all met.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/abc/abc.hpp"

namespace tb::metrics::abc {

struct Validity {
  bool tier[5] = {false, false, false, false, false};  // tier[1]..tier[4]; tier[0] unused
  int level = 0;
  bool uses_repeats = false;
  bool truncated = false;
  bool all_header_fields = false;
};

// The tier a diagnostic breaks under ABC 2.1's header rules: tier_of(), except that a missing
// M: or L: breaks none (the standard gives both a default).
int validity_tier(DiagKind kind);

Validity validity(const Tune& tune);

struct ValidityRates {
  size_t tunes = 0;
  double tier[5] = {0, 0, 0, 0, 0};            // fraction of tunes meeting tier k on its own
  double level_at_least[5] = {0, 0, 0, 0, 0};  // fraction with level >= k (cumulative tiers)
  double uses_repeats = 0;
  double truncated = 0;
  double all_header_fields = 0;
};

ValidityRates validity_rates(std::span<const Tune> tunes);

// The music of each bar as text (notes, rests, chords, grace groups, tuplets, ties and broken
// rhythm; no spaces, chord symbols or decorations), voice after voice, for bar-level repetition
// (metrics/repetition.hpp: bar_repetition_rate).
std::vector<std::string> bar_texts(const Tune& tune);

// All tunes of an ABC file's text, parsed.
std::vector<Tune> parse_file(std::string_view file_text);

}  // namespace tb::metrics::abc
