// The hot operations of scoring, each timed next to a reference measured in the same run, and
// summarised as a ratio (machines are noisy; a ratio from one run is comparable, a rate is not):
// - linear at the 24M LLaMA and MuPT-110M shapes (prefill, 512 rows): GFLOP/s against this
//   core's FMA peak, measured by a register-only FMA loop;
// - linear decode (one row): weight GB/s against a plain streaming read of as many bytes;
// - attention (512 causal queries), RMSNorm, log-softmax + gather: fast kernels against the
//   scalar reference kernels;
// - tokenizer encode (the bundled tiny-abc-llama, tokenizer.json) against SentencePiece's own
//   encoder on its tokenizer.model, same text;
// - ABC parse of the bundled sample suite tunes against a newline scan of the same bytes.
// TB_BENCH_THREADS sets the threads (default 1).
#include <benchmark/benchmark.h>
#include <sentencepiece_processor.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "harness/backend/cpu/cpu_backend.hpp"
#include "harness/core/text_file.hpp"
#include "harness/tokenizer/tokenizer.hpp"
#include "metrics/abc/abc.hpp"

namespace {

namespace fs = std::filesystem;

int threads() {
  static const int n = [] {
    const char* env = std::getenv("TB_BENCH_THREADS");
    return env ? std::max(1, std::atoi(env)) : 1;
  }();
  return n;
}

tb::Backend& fast() {
  static auto b = tb::make_cpu_backend(threads(), tb::CpuKernels::Fast);
  return *b;
}
tb::Backend& reference() {
  static auto b = tb::make_cpu_backend(threads(), tb::CpuKernels::Reference);
  return *b;
}

tb::Tensor random_tensor(const tb::Shape& shape, uint32_t seed) {
  tb::Tensor t = tb::Tensor::zeros(shape, tb::DType::F32);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = u(rng);
  return t;
}

std::map<std::string, double> g_rate;  // benchmark name -> its headline rate

// ---- references --------------------------------------------------------------------------

// 16 independent vector FMA chains, registers only: the core's FMA throughput.
void BM_fma_peak(benchmark::State& state) {
  using v16 = float __attribute__((vector_size(64)));
  constexpr int kChains = 16, kSteps = 1 << 14;
  v16 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = v16{} + static_cast<float>(c);
  const v16 a = v16{} + 0.999f, b = v16{} + 0.001f;
  for (auto _ : state) {
    for (int s = 0; s < kSteps; ++s) {
      for (auto& x : acc) x = x * a + b;
    }
    benchmark::DoNotOptimize(acc);
  }
  state.counters["rate"] = benchmark::Counter(2.0 * 16 * kChains * kSteps,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

// Sums as many bytes as a decode step's weight matrix: the read bandwidth a GEMV can reach.
void BM_stream_read(benchmark::State& state) {
  const int64_t n = state.range(0) * state.range(1);
  const tb::Tensor w = random_tensor({n}, 3);
  const float* p = w.data_as<float>();
  for (auto _ : state) {
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < n; ++i) sum += p[i];
    benchmark::DoNotOptimize(sum);
  }
  state.counters["rate"] = benchmark::Counter(4.0 * static_cast<double>(n),
                                              benchmark::Counter::kIsIterationInvariantRate);
}

// ---- linear --------------------------------------------------------------------------------

void BM_linear(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const tb::Tensor x = random_tensor({m, k}, 1), w = random_tensor({n, k}, 2);
  tb::Tensor y = tb::Tensor::zeros({m, n}, tb::DType::F32);
  for (auto _ : state) {
    fast().linear(x, w, tb::Tensor(), y);
    benchmark::DoNotOptimize(y.data());
  }
  // GEMM: FLOP/s; GEMV: weight bytes/s.
  const double work =
      m == 1 ? 4.0 * static_cast<double>(n * k) : 2.0 * static_cast<double>(m * n * k);
  state.counters["rate"] = benchmark::Counter(work, benchmark::Counter::kIsIterationInvariantRate);
}

// ---- attention, RMSNorm, log-softmax + gather: fast against reference ----------------------

void attention(benchmark::State& state, tb::Backend& backend) {
  constexpr int kRows = 512;
  tb::AttentionShape shape{12, 12, 64, 0.125f};
  const tb::Tensor qkv = random_tensor({kRows, shape.qkv_width()}, 4);
  tb::Tensor k = tb::Tensor::zeros({1, kRows, 12, 64}, tb::DType::F32);
  tb::Tensor v = tb::Tensor::zeros({1, kRows, 12, 64}, tb::DType::F32);
  tb::Tensor out = tb::Tensor::zeros({kRows, shape.out_width()}, tb::DType::F32);
  std::vector<int32_t> positions(kRows), slots(kRows, 0);
  for (int i = 0; i < kRows; ++i) positions[i] = i;
  const std::vector<tb::AttentionSegment> segments = {{0, 0, kRows}};
  tb::StagedBatch batch;
  batch.tokens = slots;  // unused by attention
  batch.positions = positions;
  batch.slots = slots;
  batch.segments = segments;
  batch.max_position = kRows - 1;
  backend.stage(batch);
  backend.store_kv(qkv, shape, batch, k, v);
  for (auto _ : state) {
    backend.attention(qkv, shape, batch, k, v, out);
    benchmark::DoNotOptimize(out.data());
  }
  const double flops = 4.0 * 12 * 64 * (kRows * (kRows + 1) / 2.0);
  state.counters["rate"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}
void BM_attention_fast(benchmark::State& s) {
  attention(s, fast());
}
void BM_attention_reference(benchmark::State& s) {
  attention(s, reference());
}

void rmsnorm(benchmark::State& state, tb::Backend& backend) {
  const tb::Tensor x = random_tensor({512, 768}, 5), w = random_tensor({768}, 6);
  tb::Tensor y = tb::Tensor::zeros({512, 768}, tb::DType::F32);
  for (auto _ : state) {
    backend.rmsnorm(x, w, 1e-5f, y);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["rate"] =
      benchmark::Counter(512.0 * 768, benchmark::Counter::kIsIterationInvariantRate);
}
void BM_rmsnorm_fast(benchmark::State& s) {
  rmsnorm(s, fast());
}
void BM_rmsnorm_reference(benchmark::State& s) {
  rmsnorm(s, reference());
}

// 64 rows of MuPT's 50000-token vocabulary, each row's log-probability of one target.
void log_softmax_gather(benchmark::State& state, tb::Backend& backend) {
  constexpr int64_t kRows = 64, kVocab = 50000;
  const tb::Tensor x = random_tensor({kRows, kVocab}, 7);
  std::vector<int32_t> pairs;
  for (int32_t r = 0; r < kRows; ++r) {
    pairs.push_back(r);
    pairs.push_back(static_cast<int32_t>((r * 7919) % kVocab));
  }
  for (auto _ : state) {
    // The scorer's op: per-row argmax and log-normaliser, and the targets' logits.
    const tb::RowScores scores = backend.score_rows(x, pairs);
    double total = 0.0;
    for (int64_t r = 0; r < kRows; ++r) total += scores.values[r] - scores.logsumexp[r];
    benchmark::DoNotOptimize(total);
  }
  state.counters["rate"] = benchmark::Counter(static_cast<double>(kRows * kVocab),
                                              benchmark::Counter::kIsIterationInvariantRate);
}
void BM_log_softmax_gather_fast(benchmark::State& s) {
  log_softmax_gather(s, fast());
}
void BM_log_softmax_gather_reference(benchmark::State& s) {
  log_softmax_gather(s, reference());
}

// ---- tokenizer, ABC ----------------------------------------------------------------------

const fs::path kModel = fs::path(TB_SOURCE_DIR) / "data/models/tiny-abc-llama";

const std::string& sample_text() {
  static const std::string text = [] {
    std::string all;
    for (const auto& e : fs::directory_iterator(fs::path(TB_SOURCE_DIR) / "data/samples")) {
      if (e.path().extension() == ".abc") all += tb::read_text_file(e.path());
    }
    if (all.empty()) all = tb::read_text_file(kModel / "MODEL_CARD.md");
    return all;
  }();
  return text;
}

void BM_tokenizer_encode(benchmark::State& state) {
  const auto tokenizer = tb::load_tokenizer(kModel);
  for (auto _ : state) benchmark::DoNotOptimize(tokenizer->encode(sample_text()));
  state.counters["rate"] = benchmark::Counter(static_cast<double>(sample_text().size()),
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void BM_sentencepiece_encode(benchmark::State& state) {
  sentencepiece::SentencePieceProcessor sp;
  if (!sp.Load((kModel / "tokenizer.model").string()).ok()) {
    state.SkipWithError("tokenizer.model did not load");
    return;
  }
  std::vector<int> ids;
  for (auto _ : state) {
    (void)sp.Encode(sample_text(), &ids);
    benchmark::DoNotOptimize(ids.data());
  }
  state.counters["rate"] = benchmark::Counter(static_cast<double>(sample_text().size()),
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void BM_abc_parse(benchmark::State& state) {
  for (auto _ : state) {
    for (const auto& t : tb::metrics::abc::split_tunes(sample_text())) {
      benchmark::DoNotOptimize(tb::metrics::abc::parse_tune(t));
    }
  }
  state.counters["rate"] = benchmark::Counter(static_cast<double>(sample_text().size()),
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void BM_newline_scan(benchmark::State& state) {
  for (auto _ : state) {
    size_t lines = 0;
    for (char c : sample_text()) lines += c == '\n';
    benchmark::DoNotOptimize(lines);
  }
  state.counters["rate"] = benchmark::Counter(static_cast<double>(sample_text().size()),
                                              benchmark::Counter::kIsIterationInvariantRate);
}

class RateReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      const auto it = run.counters.find("rate");
      if (it != run.counters.end()) g_rate[run.benchmark_name()] = it->second.value;
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

double rate_of(const std::string& prefix) {
  for (const auto& [name, rate] : g_rate) {
    if (name.rfind(prefix, 0) == 0) return rate;
  }
  return 0.0;
}

void ratio(const char* what, const std::string& name, const std::string& against, const char* unit,
           double scale) {
  const double r = rate_of(name), ref = rate_of(against);
  std::printf("  %-34s %10.2f %-8s %6.3fx %s\n", what, r / scale, unit, ref > 0 ? r / ref : 0.0,
              against.c_str());
}

}  // namespace

BENCHMARK(BM_fma_peak)->UseRealTime();
// Decode: one row at the 24M (qkv 1536x512) and 110M (gate+up 6144x768, head 50000x768) shapes.
BENCHMARK(BM_stream_read)->Args({6144, 768})->Args({50000, 768})->UseRealTime();
BENCHMARK(BM_linear)
    ->Args({512, 1536, 512})   // 24M: fused q, k, v
    ->Args({512, 2816, 512})   // 24M: fused gate, up
    ->Args({512, 512, 1408})   // 24M: down
    ->Args({512, 32000, 512})  // 24M: head
    ->Args({512, 2304, 768})   // 110M: fused q, k, v
    ->Args({512, 6144, 768})   // 110M: fused gate, up
    ->Args({512, 768, 3072})   // 110M: down
    ->Args({512, 50000, 768})  // 110M: head
    ->Args({1, 6144, 768})     // 110M decode: gate, up
    ->Args({1, 50000, 768})    // 110M decode: head
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_attention_fast)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_attention_reference)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_rmsnorm_fast)->UseRealTime();
BENCHMARK(BM_rmsnorm_reference)->UseRealTime();
BENCHMARK(BM_log_softmax_gather_fast)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_log_softmax_gather_reference)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_tokenizer_encode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_sentencepiece_encode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_abc_parse)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_newline_scan)->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RateReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  const double peak_threads = static_cast<double>(threads());
  std::printf("\nrates against references from this run (%d threads; FMA peak scaled by them):\n",
              threads());
  for (const auto& [name, rate] : g_rate) {
    if (name.rfind("BM_linear/", 0) != 0) continue;
    const bool gemv = name.rfind("BM_linear/1/", 0) == 0;
    if (gemv) {
      const std::string n = name.substr(std::string("BM_linear/1/").size());
      const std::string stream = "BM_stream_read/" + n.substr(0, n.find('/')) + "/768";
      std::printf("  %-34s %10.2f GB/s     %6.3fx streaming read\n", name.c_str(), rate / 1e9,
                  rate_of(stream) > 0 ? rate / rate_of(stream) : 0.0);
    } else {
      const double peak = rate_of("BM_fma_peak") * peak_threads;
      std::printf("  %-34s %10.2f GFLOP/s  %6.3fx FMA peak\n", name.c_str(), rate / 1e9,
                  peak > 0 ? rate / peak : 0.0);
    }
  }
  ratio("attention fast", "BM_attention_fast", "BM_attention_reference", "GFLOP/s", 1e9);
  ratio("rmsnorm fast", "BM_rmsnorm_fast", "BM_rmsnorm_reference", "Gelem/s", 1e9);
  ratio("log-softmax+gather fast", "BM_log_softmax_gather_fast", "BM_log_softmax_gather_reference",
        "Gelem/s", 1e9);
  ratio("tokenizer encode", "BM_tokenizer_encode", "BM_sentencepiece_encode", "MB/s", 1e6);
  ratio("ABC parse", "BM_abc_parse", "BM_newline_scan", "MB/s", 1e6);
  return 0;
}
