#include "runners/request_dispatch.hpp"

#include <numeric>

namespace tb {

std::vector<std::vector<LmResponse>> answer_requests(
    LanguageModel& lm, const std::vector<std::vector<LmRequest>>& per_doc) {
  std::vector<LoglikelihoodRequest> pairs;
  std::vector<std::string> texts;
  std::vector<GenerationRequest> prompts;
  for (const auto& requests : per_doc) {
    for (const LmRequest& r : requests) {
      if (r.type == LmRequest::Type::Loglikelihood) {
        pairs.push_back({r.context, r.continuation});
      } else if (r.type == LmRequest::Type::Rolling) {
        texts.push_back(r.continuation);
      } else {
        prompts.push_back({r.context, r.sampling});
      }
    }
  }
  const std::vector<LoglikelihoodResult> pair_results = lm.loglikelihood(pairs);
  const std::vector<RollingResult> text_results = lm.loglikelihood_rolling(texts);
  const std::vector<GenerationResult> generated = lm.generate(prompts);
  std::vector<std::vector<LmResponse>> responses(per_doc.size());
  size_t next_pair = 0, next_text = 0, next_prompt = 0;
  for (size_t d = 0; d < per_doc.size(); ++d) {
    for (const LmRequest& r : per_doc[d]) {
      LmResponse out;
      if (r.type == LmRequest::Type::Loglikelihood) {
        const LoglikelihoodResult& p = pair_results[next_pair++];
        out.logprob = p.logprob;
        out.num_tokens = p.num_tokens;
        out.greedy = p.greedy;
      } else if (r.type == LmRequest::Type::Rolling) {
        const RollingResult& t = text_results[next_text++];
        out.logprob = t.logprob;
        out.num_tokens = t.num_tokens;
      } else {
        const GenerationResult& g = generated[next_prompt++];
        out.text = g.text;
        out.tokens = g.tokens;
        out.finish = to_string(g.finish);
        out.num_tokens = static_cast<int64_t>(g.tokens.size());
        out.logprob = std::accumulate(g.logprobs.begin(), g.logprobs.end(), 0.0);
      }
      responses[d].push_back(out);
    }
  }
  return responses;
}

}  // namespace tb
