#pragma once
// The "abc-gen" suite: the model writes n ABC tunes, which are measured for validity and
// repetition. Spec fields (suites/specs/abc-gen.json; all optional except name/kind/version/data):
//   "n": tunes to generate (default 64)
//   "prompt": "unconditional" ("X:1\n"), "header" (a held-out tune's header lines up to and
//     including K:) or "bars" (that header and the tune's first two bars); held-out tune i % count
//     of `heldout` (tools/abc_corpus.py extraction from the collection at `data`)
//   "heldout": TSV of held-out tunes (path, x, index), relative to the repository root
//   "layout": "model" (default: the canonical layout of tools/abc_corpus.py model_text) or "raw"
//     (the tune as extracted), the text prompts are cut from
//   "temperature" 1.0, "top_k" 50, "top_p" 1.0, "repetition_penalty" 1.0,
//   "max_new_tokens" 512, "stop" ["\n\n", "\nX:"], "seed" 1234 (document i uses seed + i)
//   "token_healing" true: every prompt ends in "\n", which BPE tokenizers trained on ABC merge
//     with the next line's start; the model picks that boundary (harness/lm/token_healing.hpp)
//   "reference": "heldout" (default: when `data` exists, the model texts of the `heldout` tunes
//     are the reference set of the pitch/rhythm statistics) or "none"
// The unconditional mode reads no data unless the statistics need the reference.
//
// Per sample (response = prompt + completion, the generated tune): tier1..tier4 (each judged on
// its own diagnostics), level_at_least_1..4 (tiers 1..k all met) and level
// (metrics/abc/validity.hpp, on the first tune of the text), header_complete (X:, T:, M:, L:, K:
// all present, any order), uses_repeats, truncated (generation hit the token limit with the music
// mid-bar), loop (hit the limit with a periodic tail of >= 3 cycles in the tokens), and over the
// completion's model tokens (prompt excluded, as the repetition papers measure model output):
// seq_rep_1..4, rep_w16, rep_r, lrs_ratio; bar_repetition over the tune's bars (abc::bar_texts);
// tokens and finish_eos/finish_stop/finish_length; the scalar mgeval/MusPy statistics of the
// tune's notes (suites/abc_gen_statistics.hpp) where defined. Metrics: the mean of each over the
// tunes with its standard error; with a reference, kl_<feature> and oa_<feature> of every
// feature (Yang & Lerch: generated intra-set distances against generated-to-reference ones).
#include <memory>

#include "suites/suite.hpp"
#include "suites/suite_spec.hpp"

namespace tb::suites {

std::unique_ptr<Suite> make_abc_gen_suite(const SuiteSpec& spec);

}  // namespace tb::suites
