#pragma once
// Answers suites' requests with a LanguageModel: all log-likelihood pairs in one call, all
// rolling texts in another and all generation prompts in a third, so the model can sort, batch
// and share prefixes across documents.
#include <vector>

#include "harness/lm/language_model.hpp"
#include "suites/suite.hpp"

namespace tb {

// One response per request, per document, in the order given.
std::vector<std::vector<LmResponse>> answer_requests(
    LanguageModel& lm, const std::vector<std::vector<LmRequest>>& per_doc);

}  // namespace tb
