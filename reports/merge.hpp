#pragma once
// Combines the store files written by the shards of a distributed run (DESIGN.md, Scale-out).
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace tb {

struct MergedRun {
  int64_t run_id = 0;  // in the output store
  std::string run_key;
  int64_t samples_added = 0;
  int64_t samples_total = 0;
  int inputs = 0;  // input files that held this run
};

// Merges every run of every input into `output` (created when absent), in one transaction: on
// any error the output is left as it was. Runs with the same run_key become one run whose
// samples are the union of the shards'. A doc_id stored by two inputs (or already in the
// output) must have identical samples, else tb::Error (BadInput) names the doc, the run and both
// files. Metrics are not merged: a run that gains samples loses its stored metrics and is set
// back to 'running', and the caller recomputes its aggregates (Suite::aggregate) and calls
// Store::finish_run. Profiles are copied, skipping exact duplicates. Run metadata (device, git
// sha, ...) comes from the first file that holds the run; started_at is the earliest.
std::vector<MergedRun> merge_stores(const std::filesystem::path& output,
                                    std::span<const std::filesystem::path> inputs);

}  // namespace tb
