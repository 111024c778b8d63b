#pragma once
// Picks stored runs the way `compare`, `gate` and `export` are given them: a run id ("7" or
// "id:7"), a checkpoint step ("step:1000") or a model path ("path:DIR" or any other text).
#include <string>
#include <vector>

#include "reports/store.hpp"

namespace tb {

// The finished runs the selector names, one per suite (the newest when a model has several runs
// of one suite), by suite name. A run reached through another directory with the same weights
// carries that directory's path and step. Throws tb::Error (BadInput) naming the selector when
// nothing matches, or when a step matches several model paths.
std::vector<Run> select_runs(const Store& store, const std::string& selector);

}  // namespace tb
