// Degenerate ABC input (issue 17): a 5 MB line, 10^4 voices. Both are data (the tune fails a
// tier), never a memory blow-up or a hang.
#include <doctest/doctest.h>

#include <string>

#include "harness/core/limits.hpp"
#include "metrics/abc/validity.hpp"

namespace abc = tb::metrics::abc;

TEST_CASE("abc: a tune over the length limit is parsed up to the limit and fails tier 1") {
  const std::string header = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\n";
  const std::string tune = header + std::string(5'000'000, 'C') + "|]\n";
  const abc::Tune t = abc::parse_tune(tune);
  // Before the limit: 5 million events (1.1 GB). Now at most one per byte of the limit.
  CHECK(t.events.size() <= tb::limits::kAbcTuneBytes);
  REQUIRE_FALSE(t.diagnostics.empty());
  CHECK(t.diagnostics.front().kind == abc::DiagKind::TuneTooLong);
  CHECK(t.diagnostics.front().message ==
        "tune of " + std::to_string(tune.size()) +
            " bytes is longer than the limit of 262144; the rest is not parsed");
  CHECK_FALSE(abc::validity(t).tier[1]);
  CHECK(abc::tier_of(abc::DiagKind::TuneTooLong) == 1);
  // A tune just under the limit is untouched.
  const std::string fits = header + std::string(1000, 'C') + "|]\n";
  for (const auto& d : abc::parse_tune(fits).diagnostics) {
    CHECK(d.kind != abc::DiagKind::TuneTooLong);
  }
}

TEST_CASE("abc: 10^4 voices, each selected twice, keep their own bars") {
  std::string tune = "X:1\nT:t\nM:4/4\nL:1/4\nK:C\n";
  const int voices = 10'000;
  for (int round = 0; round < 2; ++round) {
    // Short lines: 2 x 10^4 of them stay under the tune length limit.
    for (int v = 0; v < voices; ++v) tune += "V:" + std::to_string(v) + "\nC4|\n";
  }
  const abc::Tune t = abc::parse_tune(tune);
  REQUIRE(t.voices.size() == static_cast<size_t>(voices));
  CHECK(t.diagnostics.empty());
  CHECK(t.voices[0].id == "0");
  CHECK(t.voices[9999].id == "9999");
  CHECK(t.voices[4321].bars.size() == 2);  // the second V:v4321 went back to that voice
  CHECK(abc::validity(t).tier[4]);
}
