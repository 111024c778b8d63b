#pragma once
// --limit as lm-eval's: a count N (the first N documents) or a fraction 0 < f < 1 (the first
// ceil(f * n)), applied to each subtask (subset) separately; 0 for no limit.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "suites/suite.hpp"

namespace tb {

struct DocLimit {
  int64_t count = 0;      // 0: no count limit
  double fraction = 0.0;  // 0: no fraction limit
  bool active() const { return count > 0 || fraction > 0.0; }
  // How many of a subset's `n` documents are kept.
  int64_t keep(int64_t n) const;
  // As stored with the run: the count (0 for none) or the fraction.
  nlohmann::json to_json() const;
};

// Throws tb::Error (BadInput) naming --limit for a negative value, a non-integer count of at
// least 1, or anything that is not a number.
DocLimit parse_doc_limit(const std::string& text);

// The documents kept, in the suite's order.
std::vector<const Doc*> apply_doc_limit(const std::vector<Doc>& docs, const DocLimit& limit);

}  // namespace tb
