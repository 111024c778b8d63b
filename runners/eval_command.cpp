#include "runners/eval_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "harness/core/error.hpp"
#include "harness/core/timer.hpp"
#include "harness/io/json_file.hpp"
#include "reports/render_json.hpp"
#include "reports/render_table.hpp"
#include "reports/store.hpp"
#include "runners/git_sha.hpp"
#include "runners/model_loading.hpp"
#include "runners/option_checks.hpp"
#include "runners/progress.hpp"
#include "runners/request_dispatch.hpp"
#include "suites/registry.hpp"

namespace tb {

namespace {

struct EvalArgs {
  ModelOptions model;
  std::vector<std::string> suites;
  std::vector<std::string> data;  // "suite=path"
  std::string db = "tunebench.sqlite";
  int chunk_docs = 32;
  int64_t limit = 0;
  int64_t seed = 1234;
  bool json = false;
};

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

std::string weights_dtype(const Checkpoint& checkpoint) {
  const std::vector<std::string> names = checkpoint.names();
  return names.empty() ? "?" : std::string(dtype_name(checkpoint.tensor(names.front()).dtype));
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
  p.phase = "chunk";
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
    if (p.phase != "chunk") continue;
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

SuiteOutcome evaluate_suite(const EvalArgs& args, Suite& suite, LoadedModel& loaded, Store& store) {
  LanguageModel& lm = *loaded.lm;
  RunInfo info;
  info.model_path = args.model.dir.string();
  info.model_hash = loaded.checkpoint->content_hash();
  info.config = read_json_file(args.model.dir / "config.json");
  info.tokenizer = lm.tokenizer().kind() + "; specials: " + lm.tokenizer().specials().source;
  info.tunebench_git_sha = tunebench_git_sha();
  info.device = loaded.backend->name();
  info.dtype = "f32 compute, " + weights_dtype(*loaded.checkpoint) + " weights";
  info.batch_tokens = args.model.lm.max_batch_tokens;
  info.seed = args.seed;
  info.suite = suite.name();
  info.suite_version = suite.version();
  info.options = {{"suite", suite.options()},
                  {"limit", args.limit},
                  {"chunk_docs", args.chunk_docs},
                  {"context_window", lm.context_window()},
                  {"rolling_stride", args.model.lm.rolling_stride},
                  {"seed", args.seed}};

  SuiteOutcome outcome;
  const int64_t run_id = store.begin_run(info);
  std::vector<const Doc*> docs;
  for (const Doc& d : suite.docs()) {
    if (args.limit > 0 && static_cast<int64_t>(docs.size()) >= args.limit) break;
    docs.push_back(&d);
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
    for (const auto& chunk : make_chunks(docs, static_cast<size_t>(args.chunk_docs))) {
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
      profile.tflops =
          2.0 * static_cast<double>(lm.model().parameter_count()) * profile.tokens_per_s / 1e12;
      profile.mfu = std::numeric_limits<double>::quiet_NaN();
      profile.mbu = std::numeric_limits<double>::quiet_NaN();
      profile.raw = {{"requested_tokens", outcome.sharing.requested_tokens},
                     {"computed_tokens", outcome.sharing.computed_tokens},
                     {"forward_calls", outcome.sharing.forward_calls},
                     {"requests", outcome.sharing.requests},
                     {"seconds", outcome.seconds}};
      store.add_profile(run_id, profile);
    }
    outcome.generation = difference(lm.generation_stats(), generation_before);
    if (outcome.generation.generated_tokens > 0 && outcome.generation.seconds > 0) {
      const GenerationStats& gen = outcome.generation;
      ProfileRow profile;
      profile.phase = "generate";
      profile.batch = args.model.lm.generation_batch;
      profile.tokens_per_s = static_cast<double>(gen.generated_tokens) / gen.seconds;
      profile.tflops = 2.0 * static_cast<double>(lm.model().parameter_count()) *
                       static_cast<double>(gen.generated_tokens + gen.prompt_tokens) / gen.seconds /
                       1e12;
      profile.mfu = std::numeric_limits<double>::quiet_NaN();
      profile.mbu = std::numeric_limits<double>::quiet_NaN();
      profile.raw = {{"generated_tokens", gen.generated_tokens},
                     {"prompt_tokens", gen.prompt_tokens},
                     {"forward_calls", gen.forward_calls},
                     {"requests", gen.requests},
                     {"seconds", gen.seconds}};
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

void run_eval(const EvalArgs& args) {
  if (args.chunk_docs < 1) throw Error(ErrorKind::BadInput, "--chunk-docs must be positive");
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
  Store store = Store::open(args.db);
  LoadedModel loaded = load_language_model(args.model);

  std::vector<RunMetrics> all;
  for (auto& suite : suites) {
    const SuiteOutcome o = evaluate_suite(args, *suite, loaded, store);
    all.push_back({o.run, o.metrics});
    if (args.json) continue;
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
  if (args.json) fmt::print("{}\n", render_lm_eval_json(all).dump(2));
  fmt::print(stderr, "results in {}\n", args.db);
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate suites into the SQLite store (resumable)");
  cmd->add_option("--model", args->model.dir, "Hugging Face checkpoint directory")->required();
  cmd->add_option("--suite", args->suites, "Suites, comma-separated: built-in names or spec files")
      ->required();
  cmd->add_option("--data", args->data, "SUITE=PATH: data file or directory for a suite");
  cmd->add_option("--db", args->db, "SQLite results file (default tunebench.sqlite)");
  cmd->add_option("--device", args->model.device, "auto, cpu or cuda[:N]");
  cmd->add_option("--threads", args->model.threads, "CPU threads (0: all cores)")
      ->check(CLI::Range(0, 1 << 16));
  cmd->add_option("--context", args->model.lm.context_window,
                  "Context window in tokens (0: the model's maximum)")
      ->check(context_window_validator());
  cmd->add_option("--batch-tokens", args->model.lm.max_batch_tokens, "Tokens per forward call");
  cmd->add_option("--chunk-docs", args->chunk_docs, "Documents per stored chunk");
  cmd->add_option("--gen-batch", args->model.lm.generation_batch,
                  "Sequences generated together (one KV-cache slot each; results do not "
                  "depend on it)");
  cmd->add_option("--limit", args->limit, "Only the first N documents of each suite");
  cmd->add_option("--seed", args->seed, "Seed recorded with the run");
  cmd->add_flag("--json", args->json, "Print lm-eval style JSON instead of tables");
  cmd->callback([args] { run_eval(*args); });
}

}  // namespace tb
