// Validity tier 2 as ABC 2.1 defines a tune header (X: first, T:, K: last; M: and L: default),
// the separate all-of-X/T/M/L/K rate, and the Nottingham Music Database, which leaves out L:.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "metrics/abc/validity.hpp"
#include "tests/unit/test_paths.hpp"

namespace abc = tb::metrics::abc;
namespace fs = std::filesystem;

namespace {

abc::Validity validity_of(const std::string& text) {
  return abc::validity(abc::parse_tune(text));
}

}  // namespace

TEST_CASE("abc tiers: ABC 2.1 header rules") {
  // Complete and ordered.
  auto v = validity_of("X:1\nT:t\nM:4/4\nL:1/8\nK:C\nC8|]\n");
  CHECK(v.tier[2]);
  CHECK(v.all_header_fields);
  // No L:: 4/4 defaults to 1/8 (ABC 2.1 3.1.7), so C8 fills the bar and tier 3 holds too.
  v = validity_of("X:1\nT:t\nM:4/4\nK:C\nC8|C8|]\n");
  CHECK(v.tier[2]);
  CHECK(v.tier[3]);
  CHECK_FALSE(v.all_header_fields);
  // No L: in 2/4: the default is 1/16, so C8 is a full 2/4 bar and C4 is half of one.
  v = validity_of("X:1\nT:t\nM:2/4\nK:C\nC8|C8|C8|]\n");
  CHECK(v.tier[2]);
  CHECK(v.tier[3]);
  v = validity_of("X:1\nT:t\nM:2/4\nK:C\nC8|C4|C8|]\n");
  CHECK_FALSE(v.tier[3]);
  // No M:: free meter, no bar is checked.
  v = validity_of("X:1\nT:t\nL:1/8\nK:C\nC8|C3|C8|]\n");
  CHECK(v.tier[2]);
  CHECK(v.tier[3]);
  CHECK_FALSE(v.all_header_fields);
  // What ABC 2.1 does require still breaks tier 2: X: first, a title, K: last.
  CHECK_FALSE(validity_of("T:t\nX:1\nM:4/4\nL:1/8\nK:C\nC8|]\n").tier[2]);
  CHECK_FALSE(validity_of("X:1\nM:4/4\nL:1/8\nK:C\nC8|]\n").tier[2]);
  CHECK_FALSE(validity_of("X:x\nT:t\nK:C\nC8|]\n").tier[2]);
  // A header-only field after K: is out of place; M: and L: there are body fields (ABC 2.1).
  CHECK_FALSE(validity_of("X:1\nT:t\nM:4/4\nK:C\nC:Anon\nC8|]\n").tier[2]);
  v = validity_of("X:1\nT:t\nK:D\nM:4/4\nL:1/4\nD4|]\n");
  CHECK(v.tier[2]);
  CHECK(v.tier[3]);
}

TEST_CASE("abc tiers: Nottingham tunes without L: pass tier 2 when otherwise complete" *
          doctest::skip(!tb::test::have_shared())) {
  std::vector<abc::Tune> tunes;
  for (const auto& e : fs::directory_iterator(tb::test::shared_data() / "abc/nottingham")) {
    if (e.path().extension() != ".abc") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    for (abc::Tune& t : abc::parse_file(ss.str())) tunes.push_back(std::move(t));
  }
  REQUIRE(tunes.size() == 1034);
  size_t without_l = 0, without_l_complete = 0, passed = 0;
  for (const abc::Tune& t : tunes) {
    if (t.header.count("L") != 0) continue;
    ++without_l;
    // Otherwise complete: X: first with a number, T:, M:, and K: last.
    const bool complete = t.number >= 0 && !t.header_order.empty() &&
                          t.header_order.front() == "X" && t.header_order.back() == "K" &&
                          t.header.count("T") != 0 && t.header.count("M") != 0;
    if (!complete) continue;
    ++without_l_complete;
    const bool ok = abc::validity(t).tier[2];
    passed += ok ? 1 : 0;
    for (const abc::Diagnostic& d : t.diagnostics) {
      if (!ok && abc::validity_tier(d.kind) == 2) {
        MESSAGE("X:" << t.number << " line " << d.pos.line << ": " << d.message);
        break;
      }
    }
  }
  const abc::ValidityRates r = abc::validity_rates(tunes);
  MESSAGE("Nottingham: " << without_l << " tunes without L:, " << without_l_complete
                         << " otherwise complete, " << passed << " pass tier 2; tier 2 rate "
                         << r.tier[2] << ", all tiers " << r.level_at_least[4]
                         << ", all of X/T/M/L/K " << r.all_header_fields);
  CHECK(without_l == 390);  // of 1034 tunes
  CHECK(without_l_complete == 389);
  CHECK(passed == without_l_complete);
  CHECK(r.tier[2] >= 0.999);
  CHECK(r.all_header_fields < 0.63);
}
