#include "runners/profile_command.hpp"

#include "runners/system_memory.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <numeric>

#include "harness/backend/backend.hpp"
#include "harness/core/error.hpp"
#include "harness/io/checkpoint.hpp"
#include "harness/io/json_file.hpp"
#include "harness/model/model.hpp"
#include "reports/hashing.hpp"
#include "reports/store.hpp"
#include "runners/device_table.hpp"
#include "runners/git_sha.hpp"
#include "runners/model_shape.hpp"
#include "runners/profile_output.hpp"
#include "runners/profile_tests.hpp"
#include "runners/random_weights.hpp"
#include "suites/registry.hpp"

namespace tb {

namespace {

namespace fs = std::filesystem;

struct ProfileArgs {
  fs::path model;
  std::string shape;
  std::string dtype = "f32";
  std::string device = "auto";
  int threads = 0;
  std::vector<int64_t> n_prompt{512};
  std::vector<int64_t> n_gen{128};
  std::vector<std::string> pg;  // "512,128" pairs
  std::vector<int64_t> depth{0};
  std::vector<int64_t> batch{1};
  int repetitions = 5;
  int warmup = 1;
  int batch_tokens = 2048;
  std::string output = "md";
  std::string db = "tunebench.sqlite";
  bool no_store = false;
  fs::path device_table;
};

// The model under test and what describes it.
struct ProfiledModel {
  std::unique_ptr<Backend> backend;
  std::unique_ptr<Model> model;
  ModelConfig config;
  nlohmann::json config_json;
  std::string label;  // the directory or "shape:NAME"
  std::string hash;
};

const char* kShapeNames =
    "mupt-110m, mupt-345m, mupt-770m, mupt-1.3b, llama2-7b, llama-24m, dgx-gpt2";

fs::path shape_path(const std::string& shape) {
  if (shape.ends_with(".json") || shape.find('/') != std::string::npos) return shape;
  const fs::path path = suites_repo_root() / "data" / "shapes" / (shape + ".json");
  if (!fs::exists(path)) {
    throw Error(ErrorKind::BadInput, "--shape: unknown shape '" + shape +
                                         "' (known: " + kShapeNames + ", or a config.json path)");
  }
  return path;
}

ProfiledModel build_model(const ProfileArgs& args) {
  const auto dtype = parse_dtype(args.dtype);
  if (!dtype || !is_float_dtype(*dtype)) {
    throw Error(ErrorKind::BadInput, "--dtype " + args.dtype + ": expected f32, bf16 or f16");
  }
  // Weights in the asked dtype (f32 activations and accumulation, as eval's --dtype).
  const ModelPrecision precision{.weights = *dtype, .kv_cache = DType::F32};
  if (args.model.empty() == args.shape.empty()) {
    throw Error(ErrorKind::BadInput, "profile: give exactly one of --model DIR and --shape NAME");
  }
  ProfiledModel p;
  p.backend = make_backend(args.device, args.threads);
  if (!args.model.empty()) {
    const Checkpoint checkpoint = Checkpoint::open(args.model);
    p.model = load_model(checkpoint, *p.backend, precision);
    p.config = checkpoint.config();
    p.config_json = checkpoint.config_json();
    p.label = args.model.string();
    p.hash = checkpoint.content_hash();
    return p;
  }
  const fs::path path = shape_path(args.shape);
  p.config = load_model_config(path);
  p.config_json = read_json_file(path);
  p.label = "shape:" + args.shape;
  p.hash = hash_text(p.config_json.dump());
  // The host copy and the backend's copy exist together while the model is built.
  const auto params = static_cast<double>(flops::parameter_counts(model_shape(p.config)).total);
  const double needed = 2.0 * params * 4.0;
  const double available =
      static_cast<double>(available_memory_bytes().value_or(std::numeric_limits<int64_t>::max()));
  if (needed > available) {
    throw Error(ErrorKind::BadInput,
                fmt::format("--shape {}: random f32 weights of {:.0f} M parameters need {:.1f} GB "
                            "(host and model copies), {:.1f} GB is available",
                            args.shape, params / 1e6, needed / 1e9, available / 1e9));
  }
  const auto weights = random_weights(p.config, 7);
  p.model = make_model(p.config, weights, *p.backend, precision);
  return p;
}

std::vector<ProfileTest> test_grid(const ProfileArgs& args) {
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (const std::string& text : args.pg) {
    const size_t comma = text.find(',');
    try {
      if (comma == std::string::npos) throw std::invalid_argument(text);
      pairs.emplace_back(std::stoll(text.substr(0, comma)), std::stoll(text.substr(comma + 1)));
    } catch (const std::exception&) {
      throw Error(ErrorKind::BadInput, "--pg: '" + text + "' is not PROMPT,GEN (e.g. 512,128)");
    }
  }
  auto positive = [](const std::vector<int64_t>& values, const char* flag, bool zero_ok) {
    for (int64_t v : values) {
      if (v < 0 || (v == 0 && !zero_ok)) {
        throw Error(ErrorKind::BadInput, std::string(flag) + ": " + std::to_string(v) +
                                             " must be " + (zero_ok ? "0 or more" : "positive"));
      }
    }
  };
  positive(args.n_prompt, "-p", true);
  positive(args.n_gen, "-n", true);
  positive(args.depth, "-d", true);
  positive(args.batch, "-b", false);
  for (const auto& [p, g] : pairs) positive({p, g}, "--pg", false);
  if (args.repetitions < 1) throw Error(ErrorKind::BadInput, "-r: must be positive");
  if (args.warmup < 0) throw Error(ErrorKind::BadInput, "--warmup: must be 0 or more");

  std::vector<ProfileTest> tests;
  for (int64_t b : args.batch) {
    for (int64_t p : args.n_prompt) {
      if (p > 0) tests.push_back({TestKind::Prefill, p, 0, 0, b});
    }
    for (int64_t n : args.n_gen) {
      for (int64_t d : args.depth) {
        if (n > 0) tests.push_back({TestKind::Decode, 0, n, d, b});
      }
    }
    for (const auto& [p, g] : pairs) tests.push_back({TestKind::PrefillDecode, p, g, 0, b});
  }
  if (tests.empty()) throw Error(ErrorKind::BadInput, "profile: no tests (every -p and -n is 0)");
  return tests;
}

double mean(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double stddev(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  const double m = mean(v);
  double squares = 0.0;
  for (double x : v) squares += (x - m) * (x - m);
  return std::sqrt(squares / static_cast<double>(v.size() - 1));
}

std::string now_utc() {
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

ProfileRecord make_record(const ProfileMeasurement& m, const ReferenceRates& reference,
                          const std::optional<DevicePeak>& peak) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  ProfileRecord r;
  r.test = m.test.name();
  r.phase = m.test.phase();
  r.n_prompt = m.test.n_prompt;
  r.n_gen = m.test.n_gen;
  r.depth = m.test.depth;
  r.batch = m.test.batch;
  r.repetitions = static_cast<int64_t>(m.seconds.size());
  r.samples_s = m.seconds;
  std::vector<double> rates;
  for (double s : m.seconds) rates.push_back(m.tokens / s);
  r.avg_ts = mean(rates);
  r.stddev_ts = stddev(rates);
  const double seconds = mean(m.seconds);
  r.tflops = m.flops / seconds / 1e12;
  r.mfu_peak = peak ? r.tflops / peak->tflops : kNaN;
  r.mfu_gemm = reference.gemm_tflops > 0 ? r.tflops / reference.gemm_tflops : kNaN;
  const double gbps = m.bytes / seconds / 1e9;
  const bool decode = m.test.kind == TestKind::Decode;
  r.mbu_peak = decode && peak && peak->memory_gbps > 0 ? gbps / peak->memory_gbps : kNaN;
  r.mbu_gemv = decode && reference.gemv_gbps > 0 ? gbps / reference.gemv_gbps : kNaN;
  r.gemm_tflops = reference.gemm_tflops;
  r.gemm_shape = reference.gemm_shape;
  r.gemv_gbps = reference.gemv_gbps;
  r.gemv_shape = reference.gemv_shape;
  r.flops_per_rep = m.flops;
  r.bytes_per_rep = m.bytes;
  r.tokens_per_rep = m.tokens;
  return r;
}

void store_records(const ProfileArgs& args, const ProfiledModel& p,
                   const std::vector<ProfileRecord>& records) {
  Store store = Store::open(args.db);
  RunInfo info;
  info.model_path = p.label;
  info.model_hash = p.hash;
  info.config = p.config_json;
  info.tokenizer = "";
  info.tunebench_git_sha = tunebench_git_sha();
  info.device = records.front().device;
  info.dtype = args.dtype;
  info.batch_tokens = args.batch_tokens;
  info.seed = 0;
  info.suite = "profile";
  info.suite_version = "1";
  // Every invocation is its own run: the time and process make the run key unique.
  info.options = {{"tests", nlohmann::json::array()},
                  {"repetitions", args.repetitions},
                  {"warmup", args.warmup},
                  {"threads", records.front().threads},
                  {"driver", records.front().driver},
                  {"started", now_utc()},
                  {"pid", static_cast<int64_t>(getpid())}};
  for (const ProfileRecord& r : records) info.options["tests"].push_back(r.test);
  const int64_t run_id = store.begin_run(info);
  for (const ProfileRecord& r : records) {
    ProfileRow row;
    row.phase = r.phase;
    row.batch = r.batch;
    row.seq = r.phase == "tg" ? r.n_gen : r.n_prompt;
    row.tokens_per_s = r.avg_ts;
    row.tflops = r.tflops;
    row.mfu = r.mfu_peak;
    row.mbu = r.mbu_peak;
    row.raw = nlohmann::json::parse(render_profile({r}, ProfileFormat::Jsonl));
    store.add_profile(run_id, row);
  }
  store.finish_run(run_id, {});
  fmt::print(stderr, "profile: stored as run {} in {}\n", run_id, args.db);
}

void run_profile(const ProfileArgs& args) {
  const ProfileFormat format = parse_profile_format(args.output);
  const std::vector<ProfileTest> tests = test_grid(args);
  ProfiledModel p = build_model(args);
  const flops::ModelShape shape = model_shape(p.config);
  for (const ProfileTest& t : tests) {  // before any measuring, so a bad grid fails at once
    const int64_t longest = t.depth + t.n_prompt + t.n_gen;
    if (longest > p.config.max_positions) {
      throw Error(ErrorKind::BadInput, "test " + t.name() + " needs " + std::to_string(longest) +
                                           " positions; the model has " +
                                           std::to_string(p.config.max_positions));
    }
  }

  const bool cpu = p.backend->device() == Device::Cpu;
  const std::string device = cpu ? p.backend->name() + " " + cpu_model_name() : p.backend->name();
  const std::string driver = cpu ? cpu_driver_description() : "not queried";
  const int threads =
      cpu ? std::max(1, args.threads > 0 ? args.threads
                                         : static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)))
          : 0;
  const fs::path table = args.device_table.empty() ? default_device_table() : args.device_table;
  const std::optional<DevicePeak> peak = find_device_peak(table, device, args.dtype, threads);

  int64_t gemm_rows = 512;
  for (const ProfileTest& t : tests) {
    if (t.kind == TestKind::Prefill) gemm_rows = std::min<int64_t>(t.n_prompt, args.batch_tokens);
  }
  const ReferenceRates reference = measure_reference_rates(*p.backend, shape, gemm_rows);

  ProfileSettings settings;
  settings.repetitions = args.repetitions;
  settings.warmup = args.warmup;
  settings.batch_tokens = args.batch_tokens;
  std::vector<ProfileRecord> records;
  for (const ProfileTest& t : tests) {
    fmt::print(stderr, "profile: {} batch {}\n", t.name(), t.batch);
    const ProfileMeasurement m = run_profile_test(*p.model, shape, t, settings);
    ProfileRecord r = make_record(m, reference, peak);
    r.commit = tunebench_git_sha();
    r.device = device;
    r.driver = driver;
    r.dtype = args.dtype;
    r.model = p.label;
    r.model_params = p.model->parameter_count();
    r.threads = threads;
    records.push_back(std::move(r));
  }
  fmt::print("{}", render_profile(records, format));
  if (peak && format == ProfileFormat::Markdown) {
    fmt::print("\npeak: {} ({:.4g} TFLOP/s {}, {:.0f} GB/s): {}\n", peak->name, peak->tflops,
               args.dtype, peak->memory_gbps, peak->source);
  }
  if (!args.no_store) store_records(args, p, records);
}

}  // namespace

void add_profile_command(CLI::App& app) {
  auto args = std::make_shared<ProfileArgs>();
  CLI::App* cmd = app.add_subcommand(
      "profile", "Throughput of a model or a named shape: tokens/s, TFLOP/s, MFU, MBU");
  cmd->add_option("--model", args->model, "Hugging Face checkpoint directory");
  cmd->add_option(
      "--shape", args->shape,
      std::string("Random weights of a named shape (") + kShapeNames + ") or a config.json");
  cmd->add_option("--dtype", args->dtype, "Weight dtype: f32, bf16 or f16 (converted at load)")
      ->capture_default_str();
  cmd->add_option("--device", args->device, "auto, cpu or cuda[:N]");
  cmd->add_option("--threads", args->threads, "CPU threads, at most the idle cores (0: all cores)");
  cmd->add_option("-p,--n-prompt", args->n_prompt, "Prefill lengths (pp tests), e.g. 128,512")
      ->delimiter(',');
  cmd->add_option("-n,--n-gen", args->n_gen, "Decode lengths (tg tests)")->delimiter(',');
  cmd->add_option("--pg", args->pg, "Prefill then decode: PROMPT,GEN (repeatable)");
  cmd->add_option("-d,--depth", args->depth, "Tokens in the cache before tg tests")->delimiter(',');
  cmd->add_option("-b,--batch", args->batch, "Sequences per test")->delimiter(',');
  cmd->add_option("-r,--repetitions", args->repetitions, "Timed repetitions per test");
  cmd->add_option("--warmup", args->warmup, "Untimed repetitions before them");
  cmd->add_option("--batch-tokens", args->batch_tokens, "Scorer tokens per forward call (pp)");
  cmd->add_option("-o,--output", args->output, "md, csv, json, jsonl or sql");
  cmd->add_option("--db", args->db, "Results file the rows are stored in");
  cmd->add_flag("--no-store", args->no_store, "Do not store the rows");
  cmd->add_option("--device-table", args->device_table, "Peak table (default data/devices.json)");
  cmd->callback([args] { run_profile(*args); });
}

}  // namespace tb
