// metrics/flops against figures derived by hand from the architectures, not from the code's own
// formulas: each expected value below is written out term by term.
#include <doctest/doctest.h>

#include "metrics/flops.hpp"

using tb::flops::Family;
using tb::flops::ModelShape;

namespace {

ModelShape llama2_7b() {
  // meta-llama/Llama-2-7b-hf config.json.
  return {Family::Llama, 32000, 4096, 32, 32, 32, 128, 11008, 4096, false};
}

// MuPT-1.3B as the shape table gives it: LLaMA, 48 layers, 1536 wide, 24 heads of 64, SwiGLU
// 6144, vocab 50000, untied (1.97B with embeddings).
ModelShape mupt_1_3b() {
  return {Family::Llama, 50000, 1536, 48, 24, 24, 64, 6144, 8192, false};
}

// The DGX GPT-2: 6 layers, 8 heads, 512 wide, 2048 positions, 4x MLP, tied head, vocab 407.
ModelShape dgx_gpt2() {
  return {Family::Gpt2, 407, 512, 6, 8, 8, 64, 2048, 2048, true};
}

}  // namespace

TEST_CASE("LLaMA-2 7B: 6,738,415,616 parameters and 512 KiB of bf16 KV cache per token") {
  const auto c = tb::flops::parameter_counts(llama2_7b());
  CHECK(c.total == 6'738'415'616);
  // Embedding 32000 x 4096; head the same (untied).
  CHECK(c.embedding == 131'072'000);
  // Per layer: q,k,v,o 4 x 4096^2 = 67,108,864; gate, up, down 3 x 4096 x 11008 = 135,266,304.
  CHECK(c.matmul == 32LL * (67'108'864 + 135'266'304) + 131'072'000);
  CHECK(c.other == 32 * 2 * 4096 + 4096);
  // K and V: 2 x 32 layers x 32 heads x 128 x 2 bytes.
  CHECK(tb::flops::kv_bytes_per_token(llama2_7b(), 2) == 524'288);
}

TEST_CASE("MuPT-1.3B parameters and forward FLOPs") {
  const ModelShape s = mupt_1_3b();
  const auto c = tb::flops::parameter_counts(s);
  // Per layer: attention 4 x 1536^2 = 9,437,184; MLP 3 x 1536 x 6144 = 28,311,552; norms 3072.
  const int64_t per_layer_matmul = 9'437'184 + 28'311'552;
  const int64_t embedding = 50000LL * 1536;  // 76,800,000
  CHECK(c.matmul == 48 * per_layer_matmul + embedding);
  CHECK(c.total == 48 * (per_layer_matmul + 3072) + 1536 + 2 * embedding);
  CHECK(c.total == 1'965'688'320);

  // Prefill of 512 tokens, every token's logits: 2 x matmul params x 512, plus causal attention
  // 4 x 48 x 24 x 64 x (1 + 2 + ... + 512) = 294,912 x 131,328.
  const double attention = 4.0 * 48 * 24 * 64 * (512.0 * 513 / 2);
  CHECK(tb::flops::forward_flops(s, 512, 0) ==
        doctest::Approx(2.0 * static_cast<double>(48 * per_layer_matmul + embedding) * 512 +
                        attention));
  // Only the last row's logits: the head once.
  CHECK(tb::flops::forward_flops(s, 512, 0, 1) ==
        doctest::Approx(2.0 * (48.0 * per_layer_matmul * 512 + embedding) + attention));
  // Decode at context 1000: the new token attends to 1001 positions.
  CHECK(tb::flops::decode_flops(s, 1000) ==
        doctest::Approx(2.0 * static_cast<double>(48 * per_layer_matmul + embedding) +
                        4.0 * 48 * 24 * 64 * 1001));
  // A prefill after a cache: positions 100..109 attend to 101..110 positions.
  CHECK(tb::flops::forward_flops(s, 10, 100) ==
        doctest::Approx(2.0 * static_cast<double>(48 * per_layer_matmul + embedding) * 10 +
                        4.0 * 48 * 24 * 64 *
                            (101 + 102 + 103 + 104 + 105 + 106 + 107 + 108 + 109 + 110)));
  // PaLM: 6N + 12 L H Q T at T = 8192.
  CHECK(tb::flops::training_flops_per_token(s, 8192) ==
        doctest::Approx(6.0 * static_cast<double>(48 * per_layer_matmul + embedding) +
                        12.0 * 48 * 24 * 64 * 8192));
}

TEST_CASE("DGX GPT-2 parameters, tied head, decode bytes") {
  const ModelShape s = dgx_gpt2();
  const auto c = tb::flops::parameter_counts(s);
  // wte 407 x 512 = 208,384; wpe 2048 x 512 = 1,048,576.
  CHECK(c.embedding == 208'384 + 1'048'576);
  // Per layer: c_attn 512 x 1536 + 1536, c_proj 512^2 + 512, c_fc 512 x 2048 + 2048,
  // mlp c_proj 2048 x 512 + 512, ln_1 and ln_2 2 x 1024.
  const int64_t per_layer =
      (786'432 + 1536) + (262'144 + 512) + (1'048'576 + 2048) + (1'048'576 + 512) + 2048;
  CHECK(per_layer == 3'152'384);
  CHECK(c.total == 208'384 + 1'048'576 + 6 * per_layer + 1024);  // ln_f; the head is wte
  CHECK(c.total == 20'172'288);
  // The head is a matrix product even though it is tied.
  CHECK(c.matmul == 6 * (786'432 + 262'144 + 1'048'576 + 1'048'576) + 208'384);

  // Decode of 4 sequences at context 100 in f32: every matmul and norm/bias weight once, and
  // 4 x 100 positions x (2 x 6 x 8 x 64) values of 4 bytes.
  const auto b = tb::flops::decode_bytes(s, 4, 100, 4, 4);
  CHECK(b.weights == doctest::Approx(4.0 * static_cast<double>(c.matmul + c.other)));
  CHECK(b.kv == doctest::Approx(4.0 * 100 * 6144 * 4));
  CHECK(tb::flops::kv_bytes_per_token(s, 4) == 6144 * 4);
}

TEST_CASE("GQA shrinks k/v projections and the KV cache") {
  ModelShape s = llama2_7b();
  s.kv_heads = 8;
  const auto c = tb::flops::parameter_counts(s);
  // k and v become 4096 x 1024 each: 2 x 4096 x (4096 - 1024) fewer per layer.
  CHECK(c.total == 6'738'415'616 - 32LL * 2 * 4096 * 3072);
  CHECK(tb::flops::kv_bytes_per_token(s, 2) == 524'288 / 4);
}
