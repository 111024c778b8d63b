#pragma once
// The measurements behind `tunebench profile`: llama-bench's tests for these models, timed with
// warm-up repetitions discarded and every kept sample returned.
//   pp N      prefill of N tokens per sequence with every token's log-probability, through the
//             scorer that `score` and `eval` use (an empty cache, as scoring starts)
//   tg N @d   N decode steps, one token per sequence, after an untimed prefill of d tokens
//   pg N+M    a prefill of N tokens (last row's logits, as generation does) then M decode steps
// plus the reference rates measured in the same process: a GEMM at the model's MLP shape and
// a GEMV over the head's weight matrix.
#include <cstdint>
#include <string>
#include <vector>

#include "harness/backend/backend.hpp"
#include "harness/model/model.hpp"
#include "metrics/flops.hpp"

namespace tb {

enum class TestKind { Prefill, Decode, PrefillDecode };

struct ProfileTest {
  TestKind kind = TestKind::Prefill;
  int64_t n_prompt = 0;       // pp, pg
  int64_t n_gen = 0;          // tg, pg
  int64_t depth = 0;          // tg: tokens already in the cache
  int64_t batch = 1;          // sequences
  std::string name() const;   // "pp512", "tg128", "tg128@d512", "pg512+128"
  const char* phase() const;  // "pp", "tg", "pg"
};

struct ProfileMeasurement {
  ProfileTest test;
  std::vector<double> seconds;  // one per kept repetition
  double tokens = 0.0;          // per repetition
  double flops = 0.0;           // per repetition (metrics/flops conventions)
  double bytes = 0.0;           // per repetition: decode steps' weight and KV reads; 0 for pp
};

struct ProfileSettings {
  int repetitions = 5;
  int warmup = 1;
  int batch_tokens = 2048;  // the scorer's tokens per forward call (pp)
  uint32_t seed = 1;
  int weight_bytes = 4;  // bytes per weight and per cached key/value element
};

ProfileMeasurement run_profile_test(Model& model, const flops::ModelShape& shape,
                                    const ProfileTest& test, const ProfileSettings& settings);

struct ReferenceRates {
  double gemm_tflops = 0.0;  // best of several at [m, intermediate] x [intermediate... ]
  std::string gemm_shape;    // "512x3072x768"
  double gemv_gbps = 0.0;    // weight bytes read per second by a one-row product
  std::string gemv_shape;
};
ReferenceRates measure_reference_rates(Backend& backend, const flops::ModelShape& shape,
                                       int64_t rows);

}  // namespace tb
