#pragma once
// MusicTheoryBench perplexity-mode texts, exactly as ChatMusician's released OpenCompass configs
// (hf-lin/ChatMusician eval/configs/datasets/music_theory_bench/music_theory_bench_ppl_*.py)
// build them:
//   zero-shot, per label X: "{hint}\n{input}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\nAnswer: X"
//   few-shot:  "{hint}\n</E>{input}\n...Answer: X", </E> replaced by the in-context block: each
//              dev item as "{input}\nA. {A}\n...D. {D}\nAnswer: {gold}\n", joined with "\n",
//              plus a final "\n" (OpenCompass BaseRetriever.generate_ice defaults).
// Placeholders are then filled by OpenCompass's sequential safe_format in the reader's column
// order (input, A, B, C, D, target); see opencompass_safe_format.
#include <string>
#include <utility>
#include <vector>

#include "suites/mtb_items.hpp"

namespace tb::suites {

// The config's hint. Note the final period, which the dataset's own "instruction" lacks.
inline constexpr const char* kMtbHint =
    "Read the following questions from the four options (A, B, C and D) given in each question. "
    "Choose the best option.";

// The in-context block for `shots` (empty when there are none).
std::string mtb_ice(const std::vector<MtbItem>& shots);

// The full text scored for option `label` (0..3) of `item`: the zero-shot template when `shots`
// is empty, the few-shot template with their in-context block otherwise.
std::string mtb_option_text(const MtbItem& item, int label, const std::vector<MtbItem>& shots);

}  // namespace tb::suites
