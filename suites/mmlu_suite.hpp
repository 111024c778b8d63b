#pragma once
// The "mmlu" suite. Template "lm-eval" (default): one shared context per question and the four
// continuations " A".." D", argmax of summed log-probs. Template "opencompass": four
// empty-context full texts, lowest mean loss (as MusicTheoryBench). Shots are the first `shots`
// dev rows of the question's subject. Metrics: "acc" per subject, per lm-eval category (stem,
// other, social_sciences, humanities; size-weighted, lm-eval's pooled stderr), overall ("acc",
// subset "": the micro average over all questions, pooled over the categories as lm-eval nests
// them) and "acc_macro" (unweighted mean over subjects).
#include <memory>

#include "suites/suite.hpp"
#include "suites/suite_spec.hpp"

namespace tb::suites {

std::unique_ptr<Suite> make_mmlu_suite(const SuiteSpec& spec);

}  // namespace tb::suites
