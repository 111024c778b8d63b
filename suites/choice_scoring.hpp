#pragma once
// How the two published protocols turn per-option model scores into a prediction, and the
// accuracy aggregation the multiple-choice suites share.
#include <span>
#include <string>
#include <vector>

#include "suites/suite.hpp"

namespace tb::suites {

inline constexpr const char* kLetters[4] = {"A", "B", "C", "D"};

// Index of the first largest value (numpy argmax, lm-eval's choice). -1 when empty.
int first_argmax(std::span<const double> values);

// Index of the first smallest value (OpenCompass PPLInferencer: labels[ppl.index(min(ppl))]).
int first_argmin(std::span<const double> values);

// OpenCompass's perplexity-mode loss of one option text from an empty-context Loglikelihood
// response. HuggingFaceCausalLM._get_ppl sums the cross-entropy of every token after BOS and
// divides by the count of non-pad input ids, BOS included: loss = -logprob / (num_tokens + 1).
// (Exact for tokenizers that prepend BOS, as LLaMA/ChatMusician's does.)
double opencompass_mean_nll(const LmResponse& response);

// Fills prediction, option_scores (higher is better), values["acc"] of `result` from per-option
// log-likelihoods (lm-eval: argmax of summed log-probs).
void score_by_loglikelihood(SampleResult& result, std::span<const LmResponse> responses);

// Same for OpenCompass perplexity mode: option_scores are -mean NLL, prediction the lowest loss;
// values also get "nll_<letter>" (the mean NLL of each option).
void score_by_mean_nll(SampleResult& result, std::span<const LmResponse> responses);

// "acc" for the whole suite (subset "") and for each subset in `subset_order` that has samples,
// with lm-eval's mean_stderr.
std::vector<MetricValue> accuracy_by_subset(std::span<const SampleResult> samples,
                                            const std::vector<std::string>& subset_order,
                                            const std::string& metric = "acc");

// Throws tb::Error (Internal) unless there are exactly `expected` responses.
void check_response_count(const std::string& suite, const Doc& doc,
                          std::span<const LmResponse> responses, size_t expected);

}  // namespace tb::suites
