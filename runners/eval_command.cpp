#include "runners/eval_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "harness/backend/cuda_backend.hpp"
#include "harness/core/error.hpp"
#include "harness/core/timer.hpp"
#include "harness/io/json_file.hpp"
#include "reports/lm_eval_files.hpp"
#include "reports/render_json.hpp"
#include "reports/render_table.hpp"
#include "reports/store.hpp"
#include "runners/doc_limit.hpp"
#include "runners/eval_profile_figures.hpp"
#include "runners/git_sha.hpp"
#include "runners/lm_eval_export.hpp"
#include "runners/model_loading.hpp"
#include "runners/option_checks.hpp"
#include "runners/progress.hpp"
#include "runners/request_dispatch.hpp"
#include "runners/shard.hpp"
#include "suites/registry.hpp"

namespace tb {

namespace {

// Documents in fixed chunks: grouped by subset (so a chunk shares its few-shot block), cut
// every `size` documents. Chunks are the unit of storage, so a resumed run recomputes exactly
// the chunks an uninterrupted run computes, with the same batches and the same numbers.
std::vector<std::vector<const Doc*>> make_chunks(const std::vector<const Doc*>& docs, size_t size) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const Doc*>> by_subset;
  for (const Doc* d : docs) {
    auto [it, inserted] = by_subset.try_emplace(d->subset);
    if (inserted) order.push_back(d->subset);
    it->second.push_back(d);
  }
  std::vector<std::vector<const Doc*>> chunks;
  for (const std::string& subset : order) {
    const auto& list = by_subset[subset];
    for (size_t i = 0; i < list.size(); i += size) {
      chunks.emplace_back(
          list.begin() + static_cast<std::ptrdiff_t>(i),
          list.begin() + static_cast<std::ptrdiff_t>(std::min(list.size(), i + size)));
    }
  }
  return chunks;
}

ScoringStats difference(const ScoringStats& after, const ScoringStats& before) {
  return {after.requested_tokens - before.requested_tokens,
          after.computed_tokens - before.computed_tokens,
          after.forward_calls - before.forward_calls, after.requests - before.requests};
}

GenerationStats difference(const GenerationStats& after, const GenerationStats& before) {
  GenerationStats d;
  d.prompt_tokens = after.prompt_tokens - before.prompt_tokens;
  d.generated_tokens = after.generated_tokens - before.generated_tokens;
  d.forward_calls = after.forward_calls - before.forward_calls;
  d.requests = after.requests - before.requests;
  d.seconds = after.seconds - before.seconds;
  return d;
}

// What one stored chunk cost, stored with its samples: the run's totals survive interruptions.
ProfileRow chunk_cost(const ScoringStats& scoring, const GenerationStats& generation,
                      int64_t documents, double seconds) {
  ProfileRow p;
  p.phase = kChunkPhase;
  p.tokens_per_s = seconds > 0
                       ? static_cast<double>(scoring.computed_tokens + generation.prompt_tokens +
                                             generation.generated_tokens) /
                             seconds
                       : 0.0;
  p.tflops = std::numeric_limits<double>::quiet_NaN();
  p.mfu = std::numeric_limits<double>::quiet_NaN();
  p.mbu = std::numeric_limits<double>::quiet_NaN();
  p.raw = {{"documents", documents},
           {"requested_tokens", scoring.requested_tokens},
           {"computed_tokens", scoring.computed_tokens},
           {"forward_calls", scoring.forward_calls + generation.forward_calls},
           {"requests", scoring.requests + generation.requests},
           {"generated_tokens", generation.generated_tokens},
           {"prompt_tokens", generation.prompt_tokens},
           {"seconds", seconds}};
  return p;
}

// The scoring totals of every chunk stored for the run, whichever invocation computed it.
struct RunCost {
  ScoringStats scoring;
  int64_t documents = 0;  // documents whose chunk carries its cost
  double seconds = 0.0;
};

RunCost stored_cost(const Store& store, int64_t run_id) {
  RunCost cost;
  for (const ProfileRow& p : store.profiles(run_id)) {
    if (p.phase != kChunkPhase) continue;
    cost.documents += p.raw.value("documents", int64_t{0});
    cost.scoring.requested_tokens += p.raw.value("requested_tokens", int64_t{0});
    cost.scoring.computed_tokens += p.raw.value("computed_tokens", int64_t{0});
    cost.seconds += p.raw.value("seconds", 0.0);
  }
  return cost;
}

struct SuiteOutcome {
  Run run;
  std::vector<MetricValue> metrics;
  ScoringStats sharing;  // this invocation's
  GenerationStats generation;
  RunCost run_cost;  // every stored chunk's
  int64_t documents = 0;
  double seconds = 0.0;
  bool reused = false;
};

// The documents of each subset before and after --limit, stored once per run (phase
// "documents") for lm-eval's n-samples.
void store_document_counts(Store& store, int64_t run_id, const Suite& suite,
                           const std::vector<const Doc*>& kept) {
  for (const ProfileRow& p : store.profiles(run_id))
    if (p.phase == kDocumentsPhase) return;
  std::map<std::string, int64_t> original, effective;
  for (const Doc& d : suite.docs()) ++original[d.subset];
  for (const Doc* d : kept) ++effective[d->subset];
  ProfileRow p;
  p.phase = kDocumentsPhase;
  p.tokens_per_s = p.tflops = p.mfu = p.mbu = std::numeric_limits<double>::quiet_NaN();
  p.raw = {{"original", original}, {"effective", effective}};
  store.add_profile(run_id, p);
}

SuiteOutcome evaluate_suite(const EvalArgs& args, const DocLimit& limit, const Shard& shard,
                            Suite& suite, LoadedModel& loaded, Store& store) {
  LanguageModel& lm = *loaded.lm;
  RunInfo info;
  info.model_path = args.model.dir.string();
  info.model_hash = loaded.checkpoint->content_hash();
  info.config = loaded.checkpoint->config_json();
  info.tokenizer = lm.tokenizer().kind() + "; specials: " + lm.tokenizer().specials().source;
  info.tunebench_git_sha = tunebench_git_sha();
  info.device = loaded.backend->name();
  info.dtype = precision_summary(loaded, args.model);
  info.batch_tokens = args.model.lm.max_batch_tokens;
  info.seed = args.seed;
  info.suite = suite.name();
  info.suite_version = suite.version();
  info.options = {{"suite", suite.options()},
                  {"limit", limit.to_json()},
                  {"chunk_docs", args.chunk_docs},
                  {"context_window", lm.context_window()},
                  {"rolling_stride", args.model.lm.rolling_stride},
                  {"precision", info.dtype},
                  {"seed", args.seed}};

  SuiteOutcome outcome;
  // A finished run of these documents is left as it is: nothing recomputed, nothing rewritten.
  if (const auto existing = store.find_run(run_key(info));
      existing && existing->status == RunStatus::Finished) {
    store.add_run_model(existing->id, info.model_path);  // same weights, maybe another path
    outcome.run = *existing;
    outcome.metrics = store.metrics(existing->id);
    outcome.run_cost = stored_cost(store, existing->id);
    outcome.reused = true;
    return outcome;
  }
  const int64_t run_id = store.begin_run(info);
  const std::vector<const Doc*> kept = apply_doc_limit(suite.docs(), limit);
  store_document_counts(store, run_id, suite, kept);
  // A shard takes every N-th chunk of the whole run's chunks, so its batches (and numbers) are
  // exactly those of one process.
  std::vector<std::vector<const Doc*>> chunks;  // this shard's
  std::vector<const Doc*> docs;
  const auto all_chunks = make_chunks(kept, static_cast<size_t>(args.chunk_docs));
  for (size_t j = 0; j < all_chunks.size(); ++j) {
    if (j % static_cast<size_t>(shard.count) != static_cast<size_t>(shard.index)) continue;
    chunks.push_back(all_chunks[j]);
    docs.insert(docs.end(), all_chunks[j].begin(), all_chunks[j].end());
  }
  const std::set<std::string> done = store.done_doc_ids(run_id);
  Progress progress(suite.name(), static_cast<int64_t>(docs.size()),
                    static_cast<int64_t>(std::count_if(docs.begin(), docs.end(), [&](const Doc* d) {
                      return done.count(d->id) != 0;
                    })));
  const ScoringStats before = lm.stats();
  const GenerationStats generation_before = lm.generation_stats();
  Timer timer;
  try {
    for (const auto& chunk : chunks) {
      std::vector<const Doc*> todo;
      for (const Doc* d : chunk) {
        if (done.count(d->id) == 0) todo.push_back(d);
      }
      if (todo.empty()) continue;
      std::vector<std::vector<LmRequest>> requests;
      for (const Doc* d : todo) requests.push_back(suite.requests(*d));
      const ScoringStats chunk_before = lm.stats();
      const GenerationStats chunk_generation_before = lm.generation_stats();
      Timer chunk_timer;
      const auto responses = answer_requests(lm, requests);
      std::vector<SampleRow> rows;
      for (size_t i = 0; i < todo.size(); ++i) {
        rows.push_back(make_sample_row(*todo[i], suite.score(*todo[i], responses[i])));
      }
      store.add_samples(run_id, rows,
                        chunk_cost(difference(lm.stats(), chunk_before),
                                   difference(lm.generation_stats(), chunk_generation_before),
                                   static_cast<int64_t>(todo.size()), chunk_timer.seconds()));
      progress.advance(static_cast<int64_t>(todo.size()));
    }
    progress.finish();
    // Aggregate from the store in document order, so a resumed run sums exactly as an
    // uninterrupted one.
    std::map<std::string, size_t> position;
    for (size_t i = 0; i < docs.size(); ++i) position[docs[i]->id] = i;
    std::vector<SampleRow> stored = store.samples(run_id);
    std::vector<SampleResult> results;
    for (SampleRow& row : stored) {
      if (position.count(row.result.doc_id)) results.push_back(std::move(row.result));
    }
    std::sort(results.begin(), results.end(), [&](const SampleResult& a, const SampleResult& b) {
      return position[a.doc_id] < position[b.doc_id];
    });
    outcome.metrics = suite.aggregate(results);
    outcome.seconds = timer.seconds();
    outcome.sharing = difference(lm.stats(), before);
    outcome.run_cost = stored_cost(store, run_id);
    outcome.documents = static_cast<int64_t>(docs.size());
    if (outcome.sharing.computed_tokens > 0) {
      ProfileRow profile;
      profile.phase = "score";
      profile.batch = args.model.lm.max_batch_tokens;
      profile.tokens_per_s = static_cast<double>(outcome.sharing.computed_tokens) / outcome.seconds;
      set_flop_figures(profile, lm.model().config(), loaded.backend->name(), args.model.threads,
                       {static_cast<double>(outcome.sharing.computed_tokens), 0.0, outcome.seconds,
                        lm.model().weight_dtype(), static_cast<double>(lm.model().weight_bytes())});
      // Beside what set_flop_figures recorded (its peak and conventions), not instead of it.
      profile.raw.update(nlohmann::json{{"requested_tokens", outcome.sharing.requested_tokens},
                                        {"computed_tokens", outcome.sharing.computed_tokens},
                                        {"forward_calls", outcome.sharing.forward_calls},
                                        {"requests", outcome.sharing.requests},
                                        {"seconds", outcome.seconds}});
      store.add_profile(run_id, profile);
    }
    outcome.generation = difference(lm.generation_stats(), generation_before);
    if (outcome.generation.generated_tokens > 0 && outcome.generation.seconds > 0) {
      const GenerationStats& gen = outcome.generation;
      ProfileRow profile;
      profile.phase = "generate";
      profile.batch = args.model.lm.generation_batch;
      profile.tokens_per_s = static_cast<double>(gen.generated_tokens) / gen.seconds;
      set_flop_figures(profile, lm.model().config(), loaded.backend->name(), args.model.threads,
                       {static_cast<double>(gen.generated_tokens + gen.prompt_tokens),
                        static_cast<double>(gen.forward_calls), gen.seconds,
                        lm.model().weight_dtype(), static_cast<double>(lm.model().weight_bytes())});
      profile.raw.update(nlohmann::json{{"generated_tokens", gen.generated_tokens},
                                        {"prompt_tokens", gen.prompt_tokens},
                                        {"forward_calls", gen.forward_calls},
                                        {"requests", gen.requests},
                                        {"seconds", gen.seconds}});
      store.add_profile(run_id, profile);
    }
    store.finish_run(run_id, outcome.metrics);
  } catch (...) {
    store.fail_run(run_id);
    throw;
  }
  outcome.run = store.run(run_id);
  return outcome;
}

}  // namespace

std::vector<int64_t> run_eval(const EvalArgs& args) {
  if (args.chunk_docs < 1) throw Error(ErrorKind::BadInput, "--chunk-docs must be positive");
  const DocLimit limit = parse_doc_limit(args.limit);
  const Shard shard = resolve_shard(args.shard);
  if (args.model.lm.generation_batch < 1) {
    throw Error(ErrorKind::BadInput, "--gen-batch must be positive");
  }
  std::map<std::string, std::string> overrides;
  for (const std::string& item : args.data) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error(ErrorKind::BadInput, "--data " + item + ": expected SUITE=PATH");
    }
    overrides[item.substr(0, eq)] = item.substr(eq + 1);
  }
  std::vector<std::string> names;
  for (const std::string& list : args.suites) {
    for (size_t begin = 0; begin <= list.size();) {
      const size_t comma = std::min(list.find(',', begin), list.size());
      if (comma > begin) names.push_back(list.substr(begin, comma - begin));
      begin = comma + 1;
    }
  }
  // Load every suite and open the store before the model, so bad files fail fast.
  std::vector<std::unique_ptr<Suite>> suites;
  for (const std::string& name : names) {
    const auto it = overrides.find(name);
    suites.push_back(load_suite(name, it == overrides.end() ? "" : it->second));
  }
  for (const auto& [name, path] : overrides) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      throw Error(ErrorKind::BadInput, "--data " + name + "=" + path + ": no such --suite");
    }
  }
  const std::filesystem::path db = shard_store_path(args.db, shard);
  Store store = Store::open(db);
  ModelOptions model = args.model;
  if (shard.active() || shard.local_rank) {
    model.device = shard_device(model.device, shard, cuda_device_count());
    fmt::print(stderr, "shard {} of {} ({}), device {}, store {}\n", shard.index, shard.count,
               shard.source, model.device, db.string());
  }
  LoadedModel loaded = load_language_model(model);

  std::vector<RunMetrics> all;
  std::vector<int64_t> ids;
  for (auto& suite : suites) {
    const SuiteOutcome o = evaluate_suite(args, limit, shard, *suite, loaded, store);
    all.push_back({o.run, o.metrics});
    ids.push_back(o.run.id);
    if (args.json) continue;
    if (o.reused) {
      fmt::print("{}", render_metric_table(o.run, o.metrics, TableFormat::Text));
      fmt::print("run {}: already finished, nothing recomputed\n\n", o.run.id);
      continue;
    }
    fmt::print("{}", render_metric_table(o.run, o.metrics, TableFormat::Text));
    const ScoringStats& s = o.sharing;
    const GenerationStats& g = o.generation;
    if (g.generated_tokens > 0) {
      fmt::print(
          "run {}: {} prompts, {} tokens generated in {:.1f} s ({:.0f} tokens/s at generation "
          "batch {}), {} prompt tokens, {} forward calls\n",
          o.run.id, g.requests, g.generated_tokens, g.seconds,
          static_cast<double>(g.generated_tokens) / std::max(g.seconds, 1e-9),
          args.model.lm.generation_batch, g.prompt_tokens, g.forward_calls);
    }
    const RunCost& c = o.run_cost;
    if (s.computed_tokens > 0) {
      fmt::print(
          "run {}: {} requests in {:.1f} s; input tokens requested {} (a harness without "
          "prefix sharing computes these), computed {}: {:.1f}x fewer, {:.0f} tokens/s\n",
          o.run.id, s.requests, o.seconds, s.requested_tokens, s.computed_tokens,
          static_cast<double>(s.requested_tokens) / static_cast<double>(s.computed_tokens),
          static_cast<double>(s.computed_tokens) / o.seconds);
    } else if (g.generated_tokens == 0) {
      fmt::print("run {}: already finished, nothing recomputed\n", o.run.id);
    }
    if (c.scoring.computed_tokens > 0) {
      // The whole run, from the costs stored with its chunks: the same figure whether it ran in
      // one invocation or was resumed.
      fmt::print(
          "run {} as stored: {} of {} documents counted; per document {:.1f} input tokens "
          "requested, {:.1f} computed: {:.1f}x fewer; {:.1f} s of compute in all\n",
          o.run.id, c.documents, o.documents,
          static_cast<double>(c.scoring.requested_tokens) / static_cast<double>(c.documents),
          static_cast<double>(c.scoring.computed_tokens) / static_cast<double>(c.documents),
          static_cast<double>(c.scoring.requested_tokens) /
              static_cast<double>(c.scoring.computed_tokens),
          c.seconds);
    }
    fmt::print("\n");
  }
  if (args.json) {
    std::vector<RunMetrics> detailed;
    for (const int64_t id : ids) detailed.push_back(lm_eval_run_metrics(store, id));
    fmt::print("{}\n", render_lm_eval_json(detailed).dump(2));
  }
  if (!args.output_path.empty()) {
    for (const auto& file : write_lm_eval_output(store, ids, args.output_path, args.log_samples))
      fmt::print(stderr, "wrote {}\n", file.string());
  }
  fmt::print(stderr, "results in {}\n", db.string());
  return ids;
}

void add_eval_options(CLI::App& cmd_ref, EvalArgs& a) {
  CLI::App* cmd = &cmd_ref;
  EvalArgs* args = &a;
  cmd->add_option("--suite", args->suites, "Suites, comma-separated: built-in names or spec files")
      ->required();
  cmd->add_option("--data", args->data, "SUITE=PATH: data file or directory for a suite");
  cmd->add_option("--db", args->db, "SQLite results file (default tunebench.sqlite)");
  cmd->add_option("--device", args->model.device, "auto, cpu or cuda[:N]");
  cmd->add_option("--threads", args->model.threads,
                  "CPU threads, at most the idle cores (0: all cores)")
      ->check(CLI::Range(0, 1 << 16));
  add_precision_options(*cmd, args->model);
  add_model_source_options(*cmd, args->model);
  cmd->add_option("--context", args->model.lm.context_window,
                  "Context window in tokens (0: the model's maximum)")
      ->check(context_window_validator());
  cmd->add_option("--adapter", args->model.adapters,
                  "PEFT LoRA adapter directory merged into the model (repeatable, in order)");
  cmd->add_option("--newline-symbol", args->model.newline_symbol,
                  "The vocabulary's symbol for a newline, e.g. MuPT's <n> (default: "
                  "tokenizer_config.json newline_symbol)");
  cmd->add_option("--batch-tokens", args->model.lm.max_batch_tokens, "Tokens per forward call");
  cmd->add_option("--chunk-docs", args->chunk_docs, "Documents per stored chunk");
  cmd->add_option("--gen-batch", args->model.lm.generation_batch,
                  "Sequences generated together (one KV-cache slot each; results do not "
                  "depend on it)");
  cmd->add_option("--limit", args->limit,
                  "Only the first N documents of each subtask, or a fraction 0 < f < 1 of them");
  cmd->add_option("--seed", args->seed, "Seed recorded with the run");
  cmd->add_flag("--json", args->json, "Print lm-eval style JSON instead of tables");
  cmd->add_option("--shard", args->shard,
                  "K/N: evaluate shard K of N into its own store (default: from MPI or Slurm)");
  cmd->add_option("--output_path,--output-path", args->output_path,
                  "Also write lm-eval's results_<date>.json under this directory");
  cmd->add_flag("--log_samples,--log-samples", args->log_samples,
                "With --output_path: also write lm-eval's samples_<suite>_<date>.jsonl");
}

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate suites into the SQLite store (resumable)");
  cmd->add_option("--model", args->model.dir,
                  "Checkpoint directory (Hugging Face, or a Megatron-LM iter_N)")
      ->required();
  add_eval_options(*cmd, *args);
  cmd->callback([args] { run_eval(*args); });
}

}  // namespace tb
