#pragma once
// MusicTheoryBench items in the Hugging Face schema (m-a-p/MusicTheoryBench): id, instruction,
// stem, options{A..D}, subject ("knowledge" | "reasoning"), answer (a letter), split ("dev" |
// "test"), abc_score (may be empty or null), analysis. Read from a JSON array or JSON Lines file,
// or from every *.json / *.jsonl file of a directory (sorted by name).
#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace tb::suites {

struct MtbItem {
  std::string id;
  std::string stem;
  std::array<std::string, 4> options;
  std::string subject;
  int answer = 0;  // 0..3 for A..D
  std::string split;
  std::string abc_score;
  std::string where;  // "FILE: line N" for messages
};

// Loads every row. A row without "split" takes it from its file name ("dev" or "test" in the
// name). Throws tb::Error (BadInput) naming the file, the row and the field for a missing or
// malformed field, an answer other than A-D, or a duplicate id.
std::vector<MtbItem> load_mtb_items(const std::filesystem::path& path);

// ChatMusician's convert_dataset (eval/opencompass/datasets/music_theory_bench.py): when
// abc_score is non-empty, the stem loses "Use the example below to answer the question that
// follows.", is stripped, and gets "\n" + abc_score; otherwise the stem is used unchanged.
std::string mtb_input(const MtbItem& item);

// The item with its options reordered: option i of the result is option perm[i] of `item`; the
// answer follows its option.
MtbItem permute_options(const MtbItem& item, const std::array<int, 4>& perm);

// The k-th option order of the shuffle protocol for question `id`: a Fisher-Yates shuffle driven
// by SplitMix64 seeded with FNV-1a(id) + k, the same on every platform and run.
std::array<int, 4> shuffle_permutation(const std::string& id, int round);

}  // namespace tb::suites
