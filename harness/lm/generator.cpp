#include "harness/lm/generator.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <optional>

#include "harness/backend/backend.hpp"
#include "harness/core/error.hpp"
#include "harness/core/timer.hpp"

namespace tb {

namespace {

struct Sequence {
  size_t request = 0;
  int slot = 0;
  std::vector<int32_t> tokens;  // prompt (with BOS) then generated
  size_t prompt_size = 0;
  size_t fed = 0;                      // tokens already in the slot's cache
  size_t skip = 0;                     // leading tokens left out of the decoded text (BOS)
  std::string prompt_text;             // decode of the prompt tokens after `skip`, before healing
  std::vector<int32_t> first_allowed;  // token healing's candidates for the first token
  std::vector<size_t> text_end;        // completion length after each generated token
  std::vector<double> logprobs;
  bool wants_row = false;
  size_t row = 0;      // this step's logit row
  int candidates = 0;  // this step's token comes from the device's top `candidates`; 0: all
};

// How many of the largest logits decide the next token, or 0 when the whole row is needed
// (token healing's masked step, the repetition penalty, sampling without top-k). One more than
// top_k is fetched to see whether the k-th value is tied (HF keeps ties).
int candidates_needed(const Sequence& s, const SamplingParams& p, int64_t vocab) {
  const size_t step = s.tokens.size() - s.prompt_size;
  if ((step == 0 && !s.first_allowed.empty()) || p.repetition_penalty != 1.0) return 0;
  if (p.temperature == 0.0) return 1;
  if (p.top_k > 0) return static_cast<int>(std::min<int64_t>(vocab, int64_t{p.top_k} + 1));
  return 0;
}

double log_softmax_at(std::span<const float> row, int32_t token) {
  double max = -INFINITY;
  for (float x : row) max = std::max(max, static_cast<double>(x));
  double sum = 0.0;
  for (float x : row) sum += std::exp(static_cast<double>(x) - max);
  return static_cast<double>(row[static_cast<size_t>(token)]) - max - std::log(sum);
}

// The earliest position of any stop string in `text`, or npos.
size_t first_stop(const std::string& text, const std::vector<std::string>& stops) {
  size_t cut = std::string::npos;
  for (const std::string& s : stops) cut = std::min(cut, text.find(s));
  return cut;
}

}  // namespace

const char* to_string(FinishReason reason) {
  switch (reason) {
    case FinishReason::Eos:
      return "eos";
    case FinishReason::Stop:
      return "stop";
    case FinishReason::Length:
      return "length";
  }
  return "?";
}

Generator::Generator(Model& model, const Tokenizer& tokenizer, int window, int max_batch_tokens,
                     int max_sequences)
    : model_(model),
      tokenizer_(tokenizer),
      window_(window),
      max_batch_tokens_(max_batch_tokens),
      max_sequences_(max_sequences),
      healer_(tokenizer, static_cast<int32_t>(model.config().vocab_size)) {
  if (max_sequences_ < 1) throw Error(ErrorKind::BadInput, "generation batch must be positive");
  if (max_batch_tokens_ < 1) throw Error(ErrorKind::BadInput, "max batch tokens must be positive");
}

std::vector<GenerationResult> Generator::generate(std::span<const GenerationRequest> requests,
                                                  int32_t prefix_token, int32_t fallback_token) {
  Timer timer;
  const int64_t vocab = model_.config().vocab_size;
  const int32_t eos = tokenizer_.specials().eos;
  std::vector<GenerationResult> results(requests.size());
  for (const GenerationRequest& r : requests) check_sampling_params(r.params);

  // Finishes a sequence: the completion text cut at the first stop string, and the tokens
  // whose text lies before the cut.
  auto finish = [&](Sequence& s, FinishReason reason, const std::string& completion) {
    GenerationResult& out = results[s.request];
    const SamplingParams& p = requests[s.request].params;
    const size_t cut = first_stop(completion, p.stop);
    out.finish = cut != std::string::npos ? FinishReason::Stop : reason;
    out.text = completion.substr(0, cut);
    out.generated_tokens = static_cast<int64_t>(s.tokens.size() - s.prompt_size);
    out.prompt_tokens = static_cast<int64_t>(s.prompt_size);
    for (size_t i = 0; i < s.text_end.size() && s.text_end[i] <= out.text.size(); ++i) {
      if (reason == FinishReason::Eos && i + 1 == s.text_end.size()) break;  // the EOS itself
      out.tokens.push_back(s.tokens[s.prompt_size + i]);
      out.logprobs.push_back(s.logprobs[i]);
    }
  };
  auto completion_of = [&](const Sequence& s, size_t generated) {
    const std::span<const int32_t> all(s.tokens.data() + s.skip,
                                       s.prompt_size - s.skip + generated);
    std::string text = tokenizer_.decode(all);
    if (text.compare(0, s.prompt_text.size(), s.prompt_text) == 0) {
      return text.substr(s.prompt_text.size());
    }
    // Decoding the whole changed the prompt's text (a merge across the boundary): fall back
    // to the generated tokens alone.
    return tokenizer_.decode(std::span<const int32_t>(s.tokens.data() + s.prompt_size, generated));
  };

  // Every prompt as fed, so that the cache holds just the longest sequence.
  std::vector<Sequence> prepared(requests.size());
  int64_t capacity = 1;
  for (size_t i = 0; i < requests.size(); ++i) {
    Sequence& s = prepared[i];
    s.request = i;
    if (prefix_token >= 0) s.tokens.push_back(prefix_token);
    const std::vector<int32_t> body = tokenizer_.encode(requests[i].prompt);
    s.tokens.insert(s.tokens.end(), body.begin(), body.end());
    if (s.tokens.empty()) {
      if (fallback_token < 0) {
        throw Error(ErrorKind::BadInput,
                    "generation request " + std::to_string(i) +
                        ": empty prompt and no BOS or EOS token to start from");
      }
      s.tokens.push_back(fallback_token);
    }
    for (int32_t t : s.tokens) {
      if (t < 0 || t >= vocab) {
        throw Error(ErrorKind::BadInput, "token id " + std::to_string(t) +
                                             " outside the model's vocabulary of " +
                                             std::to_string(vocab));
      }
    }
    // The first token is left out of the decoded text when it is BOS or the EOS stand-in.
    s.skip = (prefix_token >= 0 || body.empty()) ? 1 : 0;
    // Too long for the window: keep the last tokens, as lm-eval does.
    if (s.tokens.size() > static_cast<size_t>(window_)) {
      s.tokens.erase(s.tokens.begin(), s.tokens.end() - static_cast<std::ptrdiff_t>(window_));
      s.skip = 0;
    }
    s.prompt_text = tokenizer_.decode(std::span<const int32_t>(s.tokens).subspan(s.skip));
    if (requests[i].params.token_healing) {
      HealedPrompt healed = healer_.heal(s.tokens, s.skip);
      if (healed.healed) {
        s.tokens.pop_back();
        s.first_allowed = std::move(healed.allowed);
      }
    }
    s.prompt_size = s.tokens.size();
    capacity =
        std::max(capacity, static_cast<int64_t>(s.prompt_size) + requests[i].params.max_new_tokens);
  }
  capacity = std::min<int64_t>(capacity, window_);
  if (requests.empty()) return results;

  const int slots =
      std::min<int>(max_sequences_, std::max<int>(1, static_cast<int>(requests.size())));
  if (!cache_ || cache_->num_slots() < slots || cache_->capacity() < capacity) {
    cache_.reset();
    cache_ = model_.make_cache(slots, static_cast<int>(capacity));
  }
  std::vector<int> free_slots;
  for (int s = slots - 1; s >= 0; --s) free_slots.push_back(s);
  std::deque<Sequence> live;
  size_t next_request = 0;

  auto admit = [&] {
    while (!free_slots.empty() && next_request < requests.size()) {
      Sequence s = std::move(prepared[next_request++]);
      ++stats_.requests;
      if (requests[s.request].params.max_new_tokens == 0) {
        finish(s, FinishReason::Length, "");
        continue;
      }
      s.slot = free_slots.back();
      free_slots.pop_back();
      cache_->set_length(s.slot, 0);
      live.push_back(std::move(s));
    }
  };

  std::vector<float> logits;  // the whole batch's rows, brought back only when a row needs them
  std::vector<float> sparse(static_cast<size_t>(vocab));
  admit();
  while (!live.empty()) {
    ForwardBatch batch;
    // Decoding sequences first (one token each), then prompt chunks in the remaining budget.
    for (int pass = 0; pass < 2; ++pass) {
      for (Sequence& s : live) {
        const size_t remaining = s.tokens.size() - s.fed;
        const bool decoding = s.fed >= s.prompt_size;
        if ((pass == 0) != decoding) continue;
        s.wants_row = false;
        const auto budget =
            static_cast<int64_t>(max_batch_tokens_) - static_cast<int64_t>(batch.tokens.size());
        const size_t feed =
            decoding ? remaining
                     : static_cast<size_t>(std::clamp<int64_t>(budget, batch.tokens.empty() ? 1 : 0,
                                                               static_cast<int64_t>(remaining)));
        for (size_t i = 0; i < feed; ++i) {
          if (s.fed + i + 1 == s.tokens.size()) {
            s.row = batch.logit_rows.size();
            batch.logit_rows.push_back(static_cast<int32_t>(batch.tokens.size()));
            s.wants_row = true;
          }
          batch.tokens.push_back(s.tokens[s.fed + i]);
          batch.positions.push_back(static_cast<int32_t>(s.fed + i));
          batch.slots.push_back(s.slot);
        }
        if (!decoding) stats_.prompt_tokens += static_cast<int64_t>(feed);
        s.fed += feed;
      }
    }
    const Tensor& device_logits = model_.forward_logits(batch, *cache_);
    ++stats_.forward_calls;
    // Rows whose token depends only on the largest logits are drawn from the device's top-k;
    // the others (and ties at the k-th value) bring the whole batch's logits back.
    int fetch = 0;
    bool need_rows = false;
    for (Sequence& s : live) {
      if (!s.wants_row) continue;
      s.candidates = candidates_needed(s, requests[s.request].params, vocab);
      fetch = std::max(fetch, s.candidates);
      need_rows = need_rows || s.candidates == 0;
    }
    TopK top;
    if (fetch > 0) top = model_.backend().top_k(device_logits, fetch);
    for (Sequence& s : live) {
      if (!s.wants_row || s.candidates <= 1) continue;
      const int k = requests[s.request].params.top_k;
      const float* values = top.values.data() + s.row * static_cast<size_t>(top.k);
      if (k < vocab && values[k] == values[k - 1]) {
        s.candidates = 0;
        need_rows = true;
      }
    }
    if (need_rows) {
      logits.assign(static_cast<size_t>(device_logits.numel()), 0.0f);
      Tensor host =
          Tensor::view(logits.data(), device_logits.shape(), DType::F32, Device::Cpu, nullptr);
      model_.backend().download(device_logits, host);
    }

    for (auto it = live.begin(); it != live.end();) {
      Sequence& s = *it;
      if (!s.wants_row) {
        ++it;
        continue;
      }
      const GenerationRequest& r = requests[s.request];
      const size_t step = s.tokens.size() - s.prompt_size;
      int32_t token = 0;
      if (s.candidates > 0) {
        // The same draw over a row holding only the candidates: every other token is below the
        // k-th value, so top-k would have removed it anyway.
        const int kept = s.candidates == 1 ? 1 : std::min(r.params.top_k, top.k);
        const size_t base = s.row * static_cast<size_t>(top.k);
        std::fill(sparse.begin(), sparse.end(), -INFINITY);
        for (int j = 0; j < kept; ++j) {
          sparse[static_cast<size_t>(top.indices[base + j])] = top.values[base + j];
        }
        token = select_token(sparse, s.tokens, r.params, step);
        s.logprobs.push_back(double{sparse[static_cast<size_t>(token)]} - top.logsumexp[s.row]);
      } else {
        const std::span<const float> logit_row(logits.data() + static_cast<int64_t>(s.row) * vocab,
                                               static_cast<size_t>(vocab));
        if (step == 0 && !s.first_allowed.empty()) {
          std::vector<float> healing(logit_row.size(), -INFINITY);
          for (int32_t t : s.first_allowed)
            healing[static_cast<size_t>(t)] = logit_row[static_cast<size_t>(t)];
          token = select_token(healing, s.tokens, r.params, step);
        } else {
          token = select_token(logit_row, s.tokens, r.params, step);
        }
        s.logprobs.push_back(log_softmax_at(logit_row, token));
      }
      s.tokens.push_back(token);
      ++stats_.generated_tokens;
      const size_t generated = step + 1;
      const bool is_eos = r.params.stop_at_eos && eos >= 0 && token == eos;
      // The text of the completion so far; the EOS itself adds none.
      const std::string completion = completion_of(s, is_eos ? generated - 1 : generated);
      s.text_end.push_back(completion.size());
      std::optional<FinishReason> reason;
      if (is_eos) {
        reason = FinishReason::Eos;
      } else if (first_stop(completion, r.params.stop) != std::string::npos) {
        reason = FinishReason::Stop;
      } else if (generated >= static_cast<size_t>(r.params.max_new_tokens) ||
                 s.tokens.size() > static_cast<size_t>(window_)) {
        reason = FinishReason::Length;  // the next token would need a position past the window
      }
      if (!reason) {
        ++it;
        continue;
      }
      finish(s, *reason, completion);
      free_slots.push_back(s.slot);
      it = live.erase(it);
    }
    admit();
  }
  stats_.seconds += timer.seconds();
  return results;
}

}  // namespace tb
