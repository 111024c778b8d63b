#include "runners/request_dispatch.hpp"

namespace tb {

std::vector<std::vector<LmResponse>> answer_requests(
    LanguageModel& lm, const std::vector<std::vector<LmRequest>>& per_doc) {
  std::vector<LoglikelihoodRequest> pairs;
  std::vector<std::string> texts;
  for (const auto& requests : per_doc) {
    for (const LmRequest& r : requests) {
      if (r.type == LmRequest::Type::Loglikelihood) {
        pairs.push_back({r.context, r.continuation});
      } else {
        texts.push_back(r.continuation);
      }
    }
  }
  const std::vector<LoglikelihoodResult> pair_results = lm.loglikelihood(pairs);
  const std::vector<RollingResult> text_results = lm.loglikelihood_rolling(texts);
  std::vector<std::vector<LmResponse>> responses(per_doc.size());
  size_t next_pair = 0, next_text = 0;
  for (size_t d = 0; d < per_doc.size(); ++d) {
    for (const LmRequest& r : per_doc[d]) {
      LmResponse out;
      if (r.type == LmRequest::Type::Loglikelihood) {
        const LoglikelihoodResult& p = pair_results[next_pair++];
        out.logprob = p.logprob;
        out.num_tokens = p.num_tokens;
        out.greedy = p.greedy;
      } else {
        const RollingResult& t = text_results[next_text++];
        out.logprob = t.logprob;
        out.num_tokens = t.num_tokens;
      }
      responses[d].push_back(out);
    }
  }
  return responses;
}

}  // namespace tb
