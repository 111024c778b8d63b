// Agreement with abc2midi over every tune of ../shared/data/abc: tier-1 and tier-3 verdicts of
// metrics/abc against data/golden/abc/abc2midi_verdicts.tsv (tools/abc2midi_verdicts.py), and
// the list of disagreements with their reasons (data/golden/abc/disagreements.tsv) must be
// exactly the disagreements found.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "metrics/abc/validity.hpp"
#include "tests/unit/test_paths.hpp"

namespace abc = tb::metrics::abc;
namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::vector<std::string>> read_tsv(const fs::path& p) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream f(p);
  std::string line;
  std::getline(f, line);  // header
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    rows.push_back(cols);
  }
  return rows;
}

}  // namespace

TEST_CASE("abc: tier-1 and tier-3 verdicts agree with abc2midi on >= 98% of the corpus" *
          doctest::skip(!tb::test::have_shared())) {
  const fs::path root = tb::test::shared_data() / "abc";
  const auto golden = read_tsv(tb::test::source_dir() / "data/golden/abc/abc2midi_verdicts.tsv");
  REQUIRE(golden.size() > 4000);
  std::map<std::string, std::pair<int, int>> ref;
  for (const auto& r : golden) ref[r[0]] = {std::stoi(r[2]), std::stoi(r[3])};

  // Our verdicts, keyed as the script keys them.
  std::map<std::string, std::pair<int, int>> ours;
  std::map<std::string, std::string> first_diag;
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().extension() == ".abc") files.push_back(e.path());
  }
  for (const auto& path : files) {
    const std::string rel = fs::relative(path, root).generic_string();
    std::map<std::string, int> seen;
    for (const auto& t : abc::split_tunes(read_all(path))) {
      const int k = ++seen[t.number];
      std::string key = rel;
      key += ':';
      key += t.number;
      if (k > 1) key += '#' + std::to_string(k);
      const abc::Tune tune = abc::parse_tune(t);
      const abc::Validity v = abc::validity(tune);
      ours[key] = {v.tier[1] ? 1 : 0, v.tier[1] && v.tier[3] ? 1 : 0};
      for (const auto& d : tune.diagnostics) {
        if (abc::tier_of(d.kind) == 1 || abc::tier_of(d.kind) == 3) {
          std::ostringstream msg;
          msg << abc::to_string(d.kind) << ' ' << d.pos.line << ':' << d.pos.column << ' '
              << d.message;
          first_diag[key] = msg.str();
          break;
        }
      }
    }
  }
  CHECK(ours.size() == ref.size());
  size_t agree = 0;
  std::set<std::string> found;
  std::ofstream out(tb::test::binary_dir() / "abc_disagreements_found.tsv");
  out << "key\tabc2midi_tier1\tabc2midi_tier3\tours_tier1\tours_tier3\tour_first_diagnostic\n";
  for (const auto& [key, r] : ref) {
    auto it = ours.find(key);
    if (it == ours.end()) continue;
    if (it->second == r) {
      ++agree;
    } else {
      found.insert(key);
      out << key << '\t' << r.first << '\t' << r.second << '\t' << it->second.first << '\t'
          << it->second.second << '\t' << first_diag[key] << '\n';
    }
  }
  const double rate = static_cast<double>(agree) / static_cast<double>(ref.size());
  MESSAGE("agreement with abc2midi (tier 1 and tier 3): " << agree << "/" << ref.size() << " = "
                                                          << rate);
  CHECK(rate >= 0.98);

  // Every disagreement is listed with a reason, and the list holds nothing else.
  std::set<std::string> listed;
  for (const auto& r : read_tsv(tb::test::source_dir() / "data/golden/abc/disagreements.tsv")) {
    CHECK_MESSAGE(r.size() >= 2, "a disagreement without a reason: " << r[0]);
    listed.insert(r[0]);
  }
  std::vector<std::string> unlisted, stale;
  for (const auto& k : found) {
    if (listed.count(k) == 0) unlisted.push_back(k);
  }
  for (const auto& k : listed) {
    if (found.count(k) == 0) stale.push_back(k);
  }
  CHECK_MESSAGE(unlisted.empty(), unlisted.size() << " unlisted disagreements, e.g. "
                                                  << (unlisted.empty() ? "" : unlisted[0]));
  CHECK_MESSAGE(stale.empty(), stale.size() << " listed tunes now agree, e.g. "
                                            << (stale.empty() ? "" : stale[0]));
}
