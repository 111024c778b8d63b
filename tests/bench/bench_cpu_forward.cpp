// CPU forward pass of a ~34M-parameter LLaMA shape with random weights, 2 threads:
// - sgemm at the model's matrix shapes (OpenBLAS, measured in this same run),
// - prefill of 512-token sequences at batch 1 and 4 (logits for every token, as scoring needs),
//   with achieved FLOP/s and its fraction of the sgemm FLOP/s,
// - decoding one token per sequence at batch 1 and 8 over a 512-token cache.
// A summary line per figure is printed after the benchmark table.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "harness/backend/cpu/cpu_backend.hpp"
#include "harness/model/model.hpp"

namespace {

// TB_BENCH_THREADS overrides the default of 2 threads.
int threads() {
  static const int n = [] {
    const char* env = std::getenv("TB_BENCH_THREADS");
    return env ? std::max(1, std::atoi(env)) : 2;
  }();
  return n;
}
constexpr int kSeq = 512;

tb::ModelConfig bench_config() {
  tb::ModelConfig c;
  c.architecture = tb::Architecture::Llama;
  c.model_type = "llama";
  c.vocab_size = 8000;
  c.hidden_size = 512;
  c.num_layers = 8;
  c.num_heads = 8;
  c.num_kv_heads = 8;
  c.head_dim = 64;
  c.intermediate_size = 1408;
  c.max_positions = 2048;
  c.rope_theta = 10000.0;
  c.norm_eps = 1e-5;
  c.activation = "silu";
  return c;
}

tb::Tensor random_tensor(const tb::Shape& shape, std::mt19937& rng, float scale) {
  tb::Tensor t = tb::Tensor::zeros(shape, tb::DType::F32);
  std::normal_distribution<float> dist(0.0f, scale);
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = dist(rng);
  return t;
}

std::map<std::string, tb::Tensor> random_llama(const tb::ModelConfig& c) {
  std::mt19937 rng(7);
  const int64_t d = c.hidden_size, i = c.intermediate_size, v = c.vocab_size;
  std::map<std::string, tb::Tensor> w;
  w["model.embed_tokens.weight"] = random_tensor({v, d}, rng, 1.0f);
  w["lm_head.weight"] = random_tensor({v, d}, rng, 0.04f);
  w["model.norm.weight"] = random_tensor({d}, rng, 1.0f);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    for (const char* n : {"q_proj", "k_proj", "v_proj", "o_proj"}) {
      w[p + "self_attn." + n + ".weight"] = random_tensor({d, d}, rng, 0.04f);
    }
    w[p + "mlp.gate_proj.weight"] = random_tensor({i, d}, rng, 0.04f);
    w[p + "mlp.up_proj.weight"] = random_tensor({i, d}, rng, 0.04f);
    w[p + "mlp.down_proj.weight"] = random_tensor({d, i}, rng, 0.03f);
    w[p + "input_layernorm.weight"] = random_tensor({d}, rng, 1.0f);
    w[p + "post_attention_layernorm.weight"] = random_tensor({d}, rng, 1.0f);
  }
  return w;
}

struct Fixture {
  tb::ModelConfig config = bench_config();
  std::unique_ptr<tb::Backend> backend = tb::make_cpu_backend(threads());
  std::unique_ptr<tb::Model> model;
  int64_t matmul_params = 0;  // weights that take part in a matrix product per token
  Fixture() {
    const auto weights = random_llama(config);
    model = tb::make_model(config, weights, *backend);
    matmul_params = model->parameter_count() - config.vocab_size * config.hidden_size -
                    (2 * config.num_layers + 1) * config.hidden_size;
    std::printf("model: %lld parameters (%lld in matrix products per token)\n",
                static_cast<long long>(model->parameter_count()),
                static_cast<long long>(matmul_params));
  }
  // 2 * matmul params per token + causal attention: QK^T and PV over positions 0..p.
  double prefill_flops(int batch, int seq) const {
    const auto width = static_cast<double>(config.num_layers * config.num_heads * config.head_dim);
    const double attention = 4.0 * width * (static_cast<double>(seq) * (seq + 1) / 2);
    return batch * (2.0 * static_cast<double>(matmul_params) * seq + attention);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

tb::ForwardBatch make_batch(int batch, int seq, int start, std::mt19937& rng) {
  tb::ForwardBatch b;
  std::uniform_int_distribution<int32_t> token(0, 7999);
  for (int s = 0; s < batch; ++s) {
    for (int p = start; p < start + seq; ++p) {
      b.tokens.push_back(token(rng));
      b.positions.push_back(p);
      b.slots.push_back(s);
    }
  }
  return b;
}

double g_sgemm_flops = 0.0;  // the best sgemm rate of this run
struct Figure {
  std::string name;
  double tokens_per_s = 0.0, flops = 0.0;
};
std::vector<Figure> g_figures;

void BM_sgemm(benchmark::State& state) {
  const auto m = static_cast<int>(state.range(0)), n = static_cast<int>(state.range(1)),
             k = static_cast<int>(state.range(2));
  fixture();  // sets the thread counts
  std::mt19937 rng(1);
  const tb::Tensor a = random_tensor({m, k}, rng, 1.0f), b = random_tensor({n, k}, rng, 1.0f);
  tb::Tensor c = tb::Tensor::zeros({m, n}, tb::DType::F32);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a.data_as<float>(), k,
                b.data_as<float>(), k, 0.0f, c.data_as<float>(), n);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["FLOP/s"] =
      benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_prefill(benchmark::State& state) {
  Fixture& f = fixture();
  const auto batch = static_cast<int>(state.range(0));
  std::mt19937 rng(2);
  const tb::ForwardBatch b = make_batch(batch, kSeq, 0, rng);
  auto cache = f.model->make_cache(batch, kSeq);
  std::vector<float> logits;
  for (auto _ : state) {
    f.model->forward(b, *cache, logits);
    benchmark::DoNotOptimize(logits.data());
  }
  const double tokens = static_cast<double>(batch) * kSeq;
  state.counters["tokens/s"] =
      benchmark::Counter(tokens, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["FLOP/s"] = benchmark::Counter(f.prefill_flops(batch, kSeq),
                                                benchmark::Counter::kIsIterationInvariantRate);
}

void BM_decode(benchmark::State& state) {
  Fixture& f = fixture();
  const auto batch = static_cast<int>(state.range(0));
  std::mt19937 rng(3);
  auto cache = f.model->make_cache(batch, kSeq + 1);
  std::vector<float> logits;
  tb::ForwardBatch prompt = make_batch(batch, kSeq, 0, rng);
  prompt.logit_rows = {0};
  f.model->forward(prompt, *cache, logits);
  const tb::ForwardBatch step = make_batch(batch, 1, kSeq, rng);
  for (auto _ : state) {
    f.model->forward(step, *cache, logits);  // position 512 of every slot, rewritten each time
    benchmark::DoNotOptimize(logits.data());
  }
  state.counters["tokens/s"] =
      benchmark::Counter(batch, benchmark::Counter::kIsIterationInvariantRate);
}

// Reports each run's figures for the summary printed at the end.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      const auto flops = run.counters.find("FLOP/s");
      const auto tokens = run.counters.find("tokens/s");
      const double f = flops == run.counters.end() ? 0.0 : flops->second.value;
      if (run.benchmark_name().starts_with("BM_sgemm")) {
        g_sgemm_flops = std::max(g_sgemm_flops, f);
      } else if (tokens != run.counters.end()) {
        g_figures.push_back({run.benchmark_name(), tokens->second.value, f});
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

}  // namespace

// The model's GEMM shapes at 512 rows: QKV/O (512x512x512 per projection, fused 1536), the MLP
// (gate+up fused 2816, down with k 1408) and the head (8000).
BENCHMARK(BM_sgemm)
    ->Args({512, 1536, 512})
    ->Args({512, 2816, 512})
    ->Args({512, 512, 1408})
    ->Args({512, 8000, 512})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
// Wall-clock rates: the work runs on several threads.
BENCHMARK(BM_prefill)->Arg(1)->Arg(4)->Iterations(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_decode)->Arg(1)->Arg(8)->UseRealTime()->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  std::printf("\nsummary (%d threads): best sgemm at the model's shapes %.1f GFLOP/s\n", threads(),
              g_sgemm_flops / 1e9);
  for (const Figure& fig : g_figures) {
    if (fig.flops > 0.0) {
      std::printf("  %-16s %9.1f tokens/s  %6.1f GFLOP/s  = %5.1f%% of sgemm\n", fig.name.c_str(),
                  fig.tokens_per_s, fig.flops / 1e9,
                  g_sgemm_flops > 0 ? 100.0 * fig.flops / g_sgemm_flops : 0.0);
    } else {
      std::printf("  %-16s %9.1f tokens/s\n", fig.name.c_str(), fig.tokens_per_s);
    }
  }
  return 0;
}
