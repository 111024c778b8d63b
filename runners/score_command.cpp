#include "runners/score_command.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "harness/core/error.hpp"
#include "harness/core/text_file.hpp"
#include "harness/core/timer.hpp"
#include "runners/model_loading.hpp"
#include "runners/option_checks.hpp"

namespace tb {

namespace {

struct ScoreArgs {
  ModelOptions model;
  std::vector<std::string> files;
  bool json = false;
};

double perplexity(double logprob, int64_t tokens) {
  return tokens > 0 ? std::exp(-logprob / static_cast<double>(tokens)) : 0.0;
}

void run_score(const ScoreArgs& args) {
  std::vector<std::string> texts;
  texts.reserve(args.files.size());
  for (const std::string& file : args.files) texts.push_back(read_text_file(file));

  LoadedModel loaded = load_language_model(args.model);
  LanguageModel& lm = *loaded.lm;
  Timer timer;
  const std::vector<RollingResult> results = lm.loglikelihood_rolling(texts);
  const double seconds = timer.seconds();

  double total_logprob = 0.0;
  int64_t total_tokens = 0, total_bytes = 0;
  for (const RollingResult& r : results) {
    total_logprob += r.logprob;
    total_tokens += r.num_tokens;
    total_bytes += r.num_bytes;
  }
  const double bits_per_byte =
      total_bytes > 0 ? -total_logprob / (std::log(2.0) * static_cast<double>(total_bytes)) : 0.0;
  const int stride =
      args.model.lm.rolling_stride > 0 ? args.model.lm.rolling_stride : lm.context_window();

  if (args.json) {
    nlohmann::json out;
    out["model"] = args.model.dir.string();
    out["tokenizer"] = lm.tokenizer().kind();
    out["specials"] = lm.tokenizer().specials().source;
    out["context_window"] = lm.context_window();
    out["stride"] = stride;
    out["score_eos"] = args.model.lm.score_eos;
    out["texts"] = nlohmann::json::array();
    for (size_t i = 0; i < results.size(); ++i) {
      out["texts"].push_back(
          {{"file", args.files[i]},
           {"tokens", results[i].num_tokens},
           {"bytes", results[i].num_bytes},
           {"logprob", results[i].logprob},
           {"perplexity", perplexity(results[i].logprob, results[i].num_tokens)}});
    }
    out["corpus"] = {
        {"tokens", total_tokens},         {"bytes", total_bytes},
        {"logprob", total_logprob},       {"perplexity", perplexity(total_logprob, total_tokens)},
        {"bits_per_byte", bits_per_byte}, {"seconds", seconds}};
    fmt::print("{}\n", out.dump(2));
    return;
  }
  size_t width = 4;
  for (const std::string& f : args.files) width = std::max(width, f.size());
  fmt::print("{:<{}}  {:>8}  {:>14}  {:>10}\n", "file", width, "tokens", "logprob", "perplexity");
  for (size_t i = 0; i < results.size(); ++i) {
    fmt::print("{:<{}}  {:>8}  {:>14.4f}  {:>10.4f}\n", args.files[i], width, results[i].num_tokens,
               results[i].logprob, perplexity(results[i].logprob, results[i].num_tokens));
  }
  fmt::print(
      "corpus: {} tokens, {} bytes, perplexity {:.4f}, bits per byte {:.4f} "
      "(window {}, stride {}, {:.0f} tokens/s)\n",
      total_tokens, total_bytes, perplexity(total_logprob, total_tokens), bits_per_byte,
      lm.context_window(), stride, seconds > 0 ? static_cast<double>(total_tokens) / seconds : 0.0);
}

}  // namespace

void add_score_command(CLI::App& app) {
  auto args = std::make_shared<ScoreArgs>();
  CLI::App* cmd = app.add_subcommand("score", "Per-text log-probabilities and corpus perplexity");
  cmd->add_option("--model", args->model.dir,
                  "Checkpoint directory (Hugging Face, or a Megatron-LM iter_N)")
      ->required();
  cmd->add_option("--device", args->model.device, "auto, cpu or cuda[:N]");
  cmd->add_option("--threads", args->model.threads,
                  "CPU threads, at most the idle cores (0: all cores)")
      ->check(CLI::Range(0, 1 << 16));
  add_precision_options(*cmd, args->model);
  add_model_source_options(*cmd, args->model);
  cmd->add_option("--context", args->model.lm.context_window,
                  "Context window in tokens (0: the model's maximum)")
      ->check(context_window_validator());
  cmd->add_option("--stride", args->model.lm.rolling_stride,
                  "Rolling-window stride in tokens (0: the window, as lm-eval)");
  cmd->add_option("--adapter", args->model.adapters,
                  "PEFT LoRA adapter directory merged into the model (repeatable, in order)");
  cmd->add_option("--newline-symbol", args->model.newline_symbol,
                  "The vocabulary's symbol for a newline, e.g. MuPT's <n> (default: "
                  "tokenizer_config.json newline_symbol)");
  cmd->add_option("--batch-tokens", args->model.lm.max_batch_tokens, "Tokens per forward call");
  cmd->add_flag("--eos", args->model.lm.score_eos, "Also score an EOS token after each text");
  cmd->add_flag("--json", args->json, "Print JSON instead of a table");
  cmd->add_option("files", args->files, "Text files to score")->required();
  cmd->callback([args] { run_score(*args); });
}

}  // namespace tb
