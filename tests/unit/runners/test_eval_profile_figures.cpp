// eval's throughput rows: MFU against the peak of the dtype the weights are in (a bf16 run on an
// H100 by the tensor-core rate, not the f32 rate, which overstated it 15x), MBU from the bytes
// the weights really take (2 per bf16 weight, not 4).
#include <doctest/doctest.h>

#include <cmath>

#include "runners/eval_profile_figures.hpp"

using namespace tb;

namespace {

ModelConfig small_llama() {
  ModelConfig c;
  c.architecture = Architecture::Llama;
  c.model_type = "llama";
  c.vocab_size = 1000;
  c.hidden_size = 256;
  c.num_layers = 2;
  c.num_heads = 4;
  c.num_kv_heads = 4;
  c.head_dim = 64;
  c.intermediate_size = 512;
  c.max_positions = 512;
  c.activation = "silu";
  return c;
}

}  // namespace

TEST_CASE("eval MFU and MBU take the run's weight dtype and bytes") {
  const ModelConfig c = small_llama();
  const std::string h100 = "NVIDIA H100 80GB HBM3";
  ProfileRow f32, bf16;
  // Same tokens and time: the same TFLOP/s; only the denominators differ.
  set_flop_figures(f32, c, h100, 0, {1e6, 10.0, 1.0, DType::F32, 4e6});
  set_flop_figures(bf16, c, h100, 0, {1e6, 10.0, 1.0, DType::BF16, 2e6});
  CHECK(f32.tflops == doctest::Approx(bf16.tflops));
  CHECK(f32.mfu == doctest::Approx(f32.tflops / 66.9));
  CHECK(bf16.mfu == doctest::Approx(bf16.tflops / 989.4));
  CHECK(bf16.raw["peak_dtype"] == "bf16");
  // 10 passes over the weights in 1 s over 3350 GB/s.
  CHECK(f32.mbu == doctest::Approx(4e6 * 10 / 1e9 / 3350));
  CHECK(bf16.mbu == doctest::Approx(2e6 * 10 / 1e9 / 3350));
}

TEST_CASE("a CPU has no bf16 peak: it widens half weights, so its f32 peak is the denominator") {
  ProfileRow row;
  set_flop_figures(row, small_llama(), "cpu: Intel(R) Xeon(R) Platinum", 2,
                   {1e6, 0.0, 1.0, DType::BF16, 2e6});
  REQUIRE(row.raw.contains("peak"));
  CHECK(row.raw["peak_dtype"] == "f32");
  CHECK(row.mfu == doctest::Approx(row.tflops / (2 * 0.15)));  // the Xeon row: 0.15 per core
  CHECK(std::isnan(row.mbu));  // no weight passes (a scoring run): no MBU
}
