#pragma once
// The "mmm-gen" suite: the model writes n MMM samples (metrics/notes/MMM.md), which are checked
// for structure and measured for repetition and pitch/rhythm statistics. Spec fields
// (suites/specs/mmm-gen.json; all optional except name/kind/version):
//   "n": samples to generate (default 64)
//   "prompt": "piece_start" ("PIECE_START"), "first_track" (a held-out piece's first sample up
//     to its first TRACK_END) or "first_bars" (up to the first track's "prompt_bars"-th BAR_END,
//     default 2); held-out piece i % count of `heldout`
//   "data": the MIDI collection (default ../shared/data/midi); "heldout": TSV whose first column
//     is a path under `data` (data/models/tiny-mmm-gpt2/heldout.tsv)
//   "temperature" 1.0, "top_k" 50, "top_p" 1.0, "repetition_penalty" 1.0, "max_new_tokens" 480,
//   "stop" ["PIECE_START"], "seed" 1234 (document i uses seed + i)
//   "reference": "heldout" (default: when `data` exists, every MMM sample of the held-out pieces
//     is the reference set of the statistics) or "none"
//
// Per sample (response = prompt + completion): the structural checks of
// metrics/notes/mmm_validity.hpp as 0/1 values (piece, tracks, bars, notes, bar_length,
// bar_count, known_tokens, valid), decode_clean (the decoder reports nothing), track_count,
// note_count, bar_repetition over the bars' event texts, the completion's repetition and loop
// values (suites/note_gen_common.hpp), and the scalar statistics of the decoded notes (480 ticks
// per quarter). Metrics: the mean of each with its standard error; with a reference, kl_ and
// oa_ of every feature.
#include <memory>

#include "suites/suite.hpp"
#include "suites/suite_spec.hpp"

namespace tb::suites {

std::unique_ptr<Suite> make_mmm_gen_suite(const SuiteSpec& spec);

}  // namespace tb::suites
