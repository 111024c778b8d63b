#pragma once
// The "pvdt-gen" suite: the model writes n pieces of "p:v:d:t" note text (pvdt_text.hpp, with
// the optional ":b<bend>" field), which are checked field by field and measured for repetition
// and pitch/rhythm statistics. Spec fields (suites/specs/pvdt-gen.json; all optional except
// name/kind/version):
//   "n": pieces to generate (default 64)
//   "prompt": "unconditional" (the text of "prefix", default "": BOS only) or "first_notes"
//     (the first "prompt_notes" notes, default 8, of held-out piece i % count, at 480 ticks per
//     quarter, followed by a space)
//   "data": the MIDI collection (default ../shared/data/midi); "heldout": TSV whose first column
//     is a path under `data`
//   "temperature" 1.0, "top_k" 50, "top_p" 1.0, "repetition_penalty" 1.0, "max_new_tokens" 512,
//   "stop" ["\n\n"], "seed" 1234 (document i uses seed + i)
//   "reference": "heldout" (default: when `data` exists, the held-out pieces' notes are the
//     reference set of the statistics) or "none"
//
// Per sample (response = prompt + completion): the checks of metrics/notes/pvdt_validity.hpp as
// 0/1 values (valid, nonempty, well_formed, pitch_in_range, velocity_in_range,
// duration_positive, bend_in_range: "_in_range" keeps them apart from the pitch_range
// statistic), note_count, bend_rate (share of tokens with a bend field), the completion's
// repetition and loop values and the scalar statistics of the well-formed notes.
#include <memory>

#include "suites/suite.hpp"
#include "suites/suite_spec.hpp"

namespace tb::suites {

std::unique_ptr<Suite> make_pvdt_gen_suite(const SuiteSpec& spec);

}  // namespace tb::suites
