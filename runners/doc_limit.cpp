#include "runners/doc_limit.hpp"

#include <charconv>
#include <cmath>
#include <map>

#include "harness/core/error.hpp"

namespace tb {

int64_t DocLimit::keep(int64_t n) const {
  if (count > 0) return std::min(n, count);
  if (fraction > 0.0)
    return std::min(n, static_cast<int64_t>(std::ceil(fraction * static_cast<double>(n))));
  return n;
}

nlohmann::json DocLimit::to_json() const {
  if (fraction > 0.0) return fraction;
  return count;
}

DocLimit parse_doc_limit(const std::string& text) {
  const std::string what = "--limit " + text;
  double value = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value))
    throw Error(ErrorKind::BadInput, what + ": not a number (a count N or a fraction 0 < f < 1)");
  if (value < 0) throw Error(ErrorKind::BadInput, what + ": must not be negative");
  DocLimit limit;
  if (value > 0 && value < 1) {
    limit.fraction = value;
    return limit;
  }
  if (value != std::floor(value) || value > 1e15)
    throw Error(ErrorKind::BadInput, what + ": a count must be a whole number (or use 0 < f < 1)");
  limit.count = static_cast<int64_t>(value);
  return limit;
}

std::vector<const Doc*> apply_doc_limit(const std::vector<Doc>& docs, const DocLimit& limit) {
  std::map<std::string, int64_t> total, kept;
  for (const Doc& d : docs) ++total[d.subset];
  std::vector<const Doc*> out;
  for (const Doc& d : docs) {
    if (kept[d.subset] >= limit.keep(total[d.subset])) continue;
    ++kept[d.subset];
    out.push_back(&d);
  }
  return out;
}

}  // namespace tb
