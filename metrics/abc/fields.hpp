#pragma once
// Values of the ABC fields that change how music is measured: M: (meter), L: (unit note
// length) and K: (key; only checked for readability here).
#include <optional>
#include <string_view>

#include "metrics/abc/rational.hpp"

namespace tb::metrics::abc {

struct Meter {
  bool free = false;      // M:none (or a missing M:): bars are not checked
  Rational bar{1};        // the bar's length as a fraction of a whole note
  bool compound = false;  // 6/8, 9/8, 12/8 ...: "(5", "(7", "(9" take q = 3
};

// "C" (4/4), "C|" (2/2), "none", "3/4", "2+3/8", "(2+2+3)/8"; nullopt when unreadable.
std::optional<Meter> parse_meter(std::string_view value);

// "1/8", "1/16", "1", "3/8"; nullopt when unreadable or zero.
std::optional<Rational> parse_unit_length(std::string_view value);

// The standard's default unit length: 1/16 when the meter is below 3/4, else 1/8.
Rational default_unit_length(const Meter& meter);

// True when a K: value names a key: a tonic A-G with # or b and a mode, "HP", "Hp", "none",
// an empty value, or only clef/voice modifiers; explicit accidentals ("^f _b") may follow.
bool valid_key(std::string_view value);

}  // namespace tb::metrics::abc
