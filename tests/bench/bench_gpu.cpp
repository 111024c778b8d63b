// GPU benchmark on a LLaMA shape of data/shapes/ (bench_gpu [SHAPE], default llama2-7b: hidden
// 4096, 32 layers, 32 heads, ffn 11008, vocab 32000; mupt-1.3b: hidden 1536, 48 layers, 24 heads
// of 64, ffn 6144, vocab 50000; or a config.json path) with random bf16 weights and a bf16 KV
// cache, on CUDA device 0. Every figure is a ratio
// against a reference measured on the same device in this process:
//  - prefill of 8 sequences x 2048 tokens (logits of each sequence's last token): achieved
//    FLOP/s against a raw cuBLAS bf16 GEMM of 8192^3 (target >= 60%). FLOPs counted: 2 x the
//    parameters of the layers' matrix products x tokens, plus 2 x the head's parameters x the
//    8 rows it runs on, plus causal attention 2 x 2 x layers x heads x head_dim x sum(p + 1)
//    (Q K^T and P V over positions 0..p of each row); measured on the flash attention path (the
//    default) and again on the gemm path (TB_CUDA_ATTENTION=gemm), printed side by side;
//  - decode at batch 1 with 512 tokens in the cache: bytes read per token (every linear weight,
//    the head included, not the embedding table, plus the K and V of positions 0..512 of every
//    layer) / time, against a device-to-device cudaMemcpy counted as bytes read + written
//    (target >= 75%).
// Prints "figure NAME VALUE" and "target PASS|FAIL WHAT" lines for tools/gpu-check.sh. Exit code
// 77 (skipped) without a CUDA device. Not a Google Benchmark program: each figure is one timed
// loop with a median, and the model takes 13 GB, so it is built once.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "harness/backend/backend.hpp"
#include "harness/backend/cuda_backend.hpp"
#include "harness/core/dtype.hpp"
#include "harness/core/error.hpp"
#include "harness/io/model_config.hpp"
#include "harness/model/model.hpp"

namespace {

constexpr int kBatch = 8, kSeq = 2048, kDecodeContext = 512;

// The shape's config.json: the one description of each architecture, which `tunebench profile
// --shape` reads too. Relative to TB_SOURCE_DIR when set (the GPU check), else to the working
// directory.
tb::ModelConfig shape_config(const std::string& shape) {
  std::filesystem::path path = shape;
  if (!shape.ends_with(".json")) {
    const char* root = std::getenv("TB_SOURCE_DIR");
    path = std::filesystem::path(root != nullptr ? root : ".") / "data/shapes" / (shape + ".json");
  }
  tb::ModelConfig c = tb::load_model_config(path);
  // The random weights below are d x d for q, k, v and o.
  if (c.architecture != tb::Architecture::Llama || c.num_kv_heads != c.num_heads ||
      c.num_heads * c.head_dim != c.hidden_size) {
    throw tb::Error(
        tb::ErrorKind::Unsupported,
        path.string() + ": bench_gpu builds LLaMA-style shapes without grouped queries only");
  }
  return c;
}

// Uniform values in [-scale, scale) from a hash of (seed, index), so the weights are the same
// on every run whatever the thread count; filled on every core (6.7e9 values).
tb::Tensor random_tensor(const tb::Shape& shape, tb::DType dtype, uint64_t seed, float scale) {
  tb::Tensor t = tb::Tensor::zeros(shape, dtype);
  const int64_t n = t.numel();
  const auto threads = static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int64_t w = 0; w < threads; ++w) {
    pool.emplace_back([&, w] {
      for (int64_t i = n * w / threads; i < n * (w + 1) / threads; ++i) {
        uint64_t h = (seed << 40) ^ static_cast<uint64_t>(i);
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 33;
        const float u = static_cast<float>(h >> 40) / static_cast<float>(1 << 24);  // [0, 1)
        const float v = (2.0f * u - 1.0f) * scale;
        if (dtype == tb::DType::F32) {
          t.data_as<float>()[i] = v;
        } else {
          t.data_as<uint16_t>()[i] = tb::f32_to_bf16(v);
        }
      }
    });
  }
  for (std::thread& th : pool) th.join();
  return t;
}

std::map<std::string, tb::Tensor> random_weights(const tb::ModelConfig& c) {
  const int64_t d = c.hidden_size, f = c.intermediate_size, v = c.vocab_size;
  const tb::DType bf16 = tb::DType::BF16;
  uint64_t seed = 1;
  std::map<std::string, tb::Tensor> w;
  w["model.embed_tokens.weight"] = random_tensor({v, d}, bf16, seed++, 1.0f);
  w["lm_head.weight"] = random_tensor({v, d}, bf16, seed++, 0.03f);
  w["model.norm.weight"] = random_tensor({d}, tb::DType::F32, seed++, 1.0f);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    for (const char* n : {"q_proj", "k_proj", "v_proj", "o_proj"}) {
      w[p + "self_attn." + n + ".weight"] = random_tensor({d, d}, bf16, seed++, 0.03f);
    }
    w[p + "mlp.gate_proj.weight"] = random_tensor({f, d}, bf16, seed++, 0.03f);
    w[p + "mlp.up_proj.weight"] = random_tensor({f, d}, bf16, seed++, 0.03f);
    w[p + "mlp.down_proj.weight"] = random_tensor({d, f}, bf16, seed++, 0.02f);
    w[p + "input_layernorm.weight"] = random_tensor({d}, tb::DType::F32, seed++, 1.0f);
    w[p + "post_attention_layernorm.weight"] = random_tensor({d}, tb::DType::F32, seed++, 1.0f);
  }
  return w;
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Median seconds of `reps` calls of `run` after `warmup` untimed ones; `run` must end with the
// device idle (it synchronises).
template <typename F>
double median_seconds(int warmup, int reps, F&& run) {
  for (int i = 0; i < warmup; ++i) run();
  std::vector<double> times;
  for (int i = 0; i < reps; ++i) {
    const double start = now();
    run();
    times.push_back(now() - start);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void figure(const char* name, double value) {
  std::printf("figure %s %.4g\n", name, value);
}
void target(bool ok, const std::string& what) {
  std::printf("target %s %s\n", ok ? "PASS" : "FAIL", what.c_str());
}

int run(const std::string& shape) {
  // The shape first: a bad one is the user's error (exit 2) with or without a device.
  const tb::ModelConfig c = shape_config(shape);
  if (tb::cuda_device_count() == 0) {
    std::printf("bench_gpu: skipped, no CUDA device\n");
    return 77;
  }
  const tb::CudaReferenceRates rates = tb::measure_cuda_reference_rates(0);
  std::printf("device: %s\n", rates.device.c_str());
  figure("reference_bf16_gemm_tflops", rates.bf16_gemm_flops / 1e12);
  figure("reference_copy_gb_per_s", rates.copy_bytes_per_s / 1e9);

  std::printf(
      "shape: %s (hidden %lld, %lld layers, %lld heads of %lld, %lld kv heads, vocab %lld)\n",
      shape.c_str(), static_cast<long long>(c.hidden_size), static_cast<long long>(c.num_layers),
      static_cast<long long>(c.num_heads), static_cast<long long>(c.head_dim),
      static_cast<long long>(c.num_kv_heads), static_cast<long long>(c.vocab_size));
  auto backend = tb::make_backend("cuda:0");
  std::unique_ptr<tb::Model> model;
  {
    const double start = now();
    const auto weights = random_weights(c);
    std::printf("random bf16 weights generated in %.1f s\n", now() - start);
    model =
        tb::make_model(c, weights, *backend,
                       tb::ModelPrecision{.weights = tb::DType::BF16, .kv_cache = tb::DType::BF16});
    std::printf("model on %s in %.1f s: %lld parameters, %.2f GB of weights\n",
                backend->name().c_str(), now() - start,
                static_cast<long long>(model->parameter_count()),
                static_cast<double>(model->weight_bytes()) / 1e9);
  }
  const int64_t d = c.hidden_size, f = c.intermediate_size, L = c.num_layers;
  const double layer_params = static_cast<double>(L * (4 * d * d + 3 * d * f));
  const double head_params = static_cast<double>(c.vocab_size * d);
  const double attention_width = static_cast<double>(L * c.num_heads * c.head_dim);

  // ---- prefill: the flash attention path (the default), then the gemm path for A/B ----
  {
    tb::ForwardBatch batch;
    for (int s = 0; s < kBatch; ++s) {
      for (int p = 0; p < kSeq; ++p) {
        batch.tokens.push_back(static_cast<int32_t>((s * 7919 + p * 104729) % c.vocab_size));
        batch.positions.push_back(p);
        batch.slots.push_back(s);
      }
      batch.logit_rows.push_back((s + 1) * kSeq - 1);
    }
    auto cache = model->make_cache(kBatch, kSeq);
    const double tokens = double{kBatch} * kSeq;
    const double positions_sum = double{kBatch} * kSeq * (kSeq + 1) / 2;  // sum of (p + 1)
    const double flops = 2.0 * layer_params * tokens + 2.0 * head_params * kBatch +
                         2.0 * 2.0 * attention_width * positions_sum;
    auto prefill_seconds = [&](tb::CudaAttentionPath path) {
      tb::set_cuda_attention_path(*backend, path);
      return median_seconds(1, 3, [&] {
        model->forward_logits(batch, *cache);
        backend->synchronize();
      });
    };
    const double seconds = prefill_seconds(tb::CudaAttentionPath::Flash);
    const double gemm_seconds = prefill_seconds(tb::CudaAttentionPath::Gemm);
    tb::set_cuda_attention_path(*backend, tb::CudaAttentionPath::Flash);
    const double fraction = flops / seconds / rates.bf16_gemm_flops;
    const double gemm_fraction = flops / gemm_seconds / rates.bf16_gemm_flops;
    figure("prefill_seconds", seconds);
    figure("prefill_tokens_per_s", tokens / seconds);
    figure("prefill_tflops", flops / seconds / 1e12);
    figure("prefill_fraction_of_gemm", fraction);
    figure("prefill_gemm_path_seconds", gemm_seconds);
    figure("prefill_gemm_path_fraction_of_gemm", gemm_fraction);
    std::printf(
        "prefill 8 x 2048 side by side: flash attention %.3f s (%.1f%% of the GEMM rate), "
        "gemm attention %.3f s (%.1f%%): flash %.2fx\n",
        seconds, 100.0 * fraction, gemm_seconds, 100.0 * gemm_fraction, gemm_seconds / seconds);
    char what[200];
    std::snprintf(what, sizeof what,
                  "prefill 8 x 2048: %.1f TFLOP/s = %.1f%% of the cuBLAS bf16 GEMM rate "
                  "(target >= 60%%)",
                  flops / seconds / 1e12, 100.0 * fraction);
    target(fraction >= 0.60, what);
  }

  // ---- decode ----
  {
    auto cache = model->make_cache(1, kDecodeContext + 1);
    tb::ForwardBatch prompt;
    for (int p = 0; p < kDecodeContext; ++p) {
      prompt.tokens.push_back(static_cast<int32_t>((p * 104729) % c.vocab_size));
      prompt.positions.push_back(p);
      prompt.slots.push_back(0);
    }
    prompt.logit_rows = {kDecodeContext - 1};
    model->forward_logits(prompt, *cache);
    tb::ForwardBatch step;
    step.tokens = {17};
    step.positions = {kDecodeContext};  // rewritten every step: the context stays 512 + 1
    step.slots = {0};
    const double seconds = median_seconds(3, 20, [&] {
      model->forward_logits(step, *cache);
      backend->synchronize();
    });
    const double kv_bytes = 2.0 * static_cast<double>(L) * (kDecodeContext + 1) *
                            static_cast<double>(c.num_kv_heads * c.head_dim) * 2.0;
    const double weight_bytes = 2.0 * (layer_params + head_params);
    const double bandwidth = (weight_bytes + kv_bytes) / seconds;
    const double fraction = bandwidth / rates.copy_bytes_per_s;
    figure("decode_ms_per_token", seconds * 1e3);
    figure("decode_gb_per_s", bandwidth / 1e9);
    figure("decode_fraction_of_copy", fraction);
    char what[200];
    std::snprintf(what, sizeof what,
                  "decode batch 1 at 512: %.0f GB/s = %.1f%% of the device-to-device copy rate "
                  "(target >= 75%%)",
                  bandwidth / 1e9, 100.0 * fraction);
    target(fraction >= 0.75, what);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2) {
    std::fprintf(stderr, "usage: bench_gpu [SHAPE (llama2-7b, mupt-1.3b) | config.json]\n");
    return 2;
  }
  try {
    return run(argc == 2 ? argv[1] : "llama2-7b");
  } catch (const tb::Error& e) {  // a bad shape file, or the device out of memory: exit 2
    std::fprintf(stderr, "bench_gpu: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_gpu: %s\n", e.what());
    return 1;
  }
}
