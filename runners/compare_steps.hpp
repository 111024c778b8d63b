#pragma once
// The baseline -> candidate steps `compare` and `gate` render: the runs two selectors name,
// paired by suite.
#include <string>
#include <vector>

#include "reports/render_compare.hpp"

namespace tb {

// One step per suite both selectors have (only `suites` when not empty). Throws tb::Error
// (BadInput) when they share no suite.
std::vector<ComparisonStep> compare_selected(const Store& store, const std::string& baseline,
                                             const std::string& candidate,
                                             const std::vector<std::string>& suites,
                                             const CompareOptions& options);

CompareFormat parse_compare_format(const std::string& text);  // table, markdown, csv, json

}  // namespace tb
