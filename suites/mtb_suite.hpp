#pragma once
// The "mtb" suite: MusicTheoryBench in perplexity mode (ChatMusician's OpenCompass protocol).
//
// Each option's full text is one empty-context Loglikelihood request; its loss is
// -logprob / (num_tokens + 1) (OpenCompass divides by the token count with BOS); the prediction
// is the lowest loss, the first on ties. Shots are the first `shots` dev items in file order
// (FixKRetriever fix_id_list [0..4]); the dev items are not filtered by subject, as in the
// original loader. Accuracy is reported overall and per subject (knowledge, reasoning).
//
// Option shuffle (`permutations` = P > 0): every test question becomes P documents
// ("<id>#p<k>"), its options in the k-th order of shuffle_permutation (the gold letter follows
// its option; the shots keep their published order). "acc" is the accuracy over all P x N
// documents; "majority_acc" counts a question correct when more than half of its P orders are
// answered correctly.
#include <memory>

#include "suites/mtb_items.hpp"
#include "suites/suite.hpp"
#include "suites/suite_spec.hpp"

namespace tb::suites {

std::unique_ptr<Suite> make_mtb_suite(const SuiteSpec& spec);

}  // namespace tb::suites
