#pragma once
// One row of `tunebench profile` and its renderings: a Markdown table (llama-bench's look), CSV,
// a JSON array, JSON lines, and SQL statements that `sqlite3 FILE` loads as they are.
#include <cstdint>
#include <string>
#include <vector>

namespace tb {

struct ProfileRecord {
  std::string commit, device, driver, dtype, model;
  int64_t model_params = 0;
  int64_t threads = 0;
  std::string test;   // "pp512", "tg128@d512", ...
  std::string phase;  // "pp", "tg", "pg"
  int64_t n_prompt = 0, n_gen = 0, depth = 0, batch = 0;
  int64_t repetitions = 0;
  double avg_ts = 0.0, stddev_ts = 0.0;   // tokens/s
  double tflops = 0.0;                    // achieved, metrics/flops conventions
  double mfu_peak = 0.0, mfu_gemm = 0.0;  // NaN where unknown
  double mbu_peak = 0.0, mbu_gemv = 0.0;  // NaN where unknown or not a decode test
  double gemm_tflops = 0.0, gemv_gbps = 0.0;
  std::string gemm_shape, gemv_shape;
  double flops_per_rep = 0.0, bytes_per_rep = 0.0, tokens_per_rep = 0.0;
  std::vector<double> samples_s;  // every kept repetition, seconds
};

enum class ProfileFormat { Markdown, Csv, Json, Jsonl, Sql };
// "md", "csv", "json", "jsonl", "sql"; throws tb::Error (BadInput) naming -o otherwise.
ProfileFormat parse_profile_format(const std::string& text);

std::string render_profile(const std::vector<ProfileRecord>& rows, ProfileFormat format);

}  // namespace tb
