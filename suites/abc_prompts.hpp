#pragma once
// Prompts for ABC generation from held-out tunes of the tiny-abc-llama corpus. The tune texts
// are re-extracted from the ABC collection (../shared/data/abc) with the rules of
// tools/abc_corpus.py, the contract the bundled model was trained under:
//   extraction: "%" lines dropped; a tune starts at a line beginning "X:" (its index is the
//     0-based count of X: lines before it in the file) and ends before the first line that is
//     empty once trailing spaces/tabs are removed, before the next X: line, or at end of file;
//     kept lines lose their trailing spaces/tabs.
//   model text: header reduced to the first X:, T:, R:, M:, L:, K: (values stripped, in that
//     order; a missing L: gets 1/16 below a 3/4 meter, else 1/8); body keeps K:/L:/M: field
//     lines (values stripped) and music lines with each run of blanks made one space and no
//     leading blank; every other field line and empty lines go.
#include <filesystem>
#include <string>
#include <vector>

namespace tb::suites {

struct CorpusTune {
  std::string relpath;  // relative to the collection root, e.g. "nottingham/jigs.abc"
  std::string xnum;     // text after "X:", stripped
  int index = 0;        // 0-based ordinal of its X: line in the file
  std::string text;     // normalised text ending in "\n" (extraction rules above)
};

// The tunes of one file's content.
std::vector<CorpusTune> corpus_tunes(const std::string& relpath, const std::string& content);

// The model text of a tune (rules above).
std::string model_text(const std::string& tune_text);

// The header lines of a model text, up to and including the first K: line.
std::string header_prompt(const std::string& model_text);

// The header and the music up to and including the second bar line after the start of the
// body (a bar line opening the body, as in "|:", is not counted). Bar lines: runs of '|', ':',
// ']' and "[|" holding a '|', or "::"; text in quotes ("Am") and !decorations! is skipped.
// When the body has fewer than two bar lines, the whole model text.
std::string bars_prompt(const std::string& model_text);

// The held-out tunes listed in a heldout.tsv (columns path, x, index; header line), re-extracted
// from `abc_root`, as model texts (or as extracted when `as_model_text` is false). Throws tb::Error
// naming the TSV file and line when a row is malformed or names a tune that is not there.
std::vector<CorpusTune> load_heldout_tunes(const std::filesystem::path& abc_root,
                                           const std::filesystem::path& heldout_tsv,
                                           bool as_model_text = true);

}  // namespace tb::suites
