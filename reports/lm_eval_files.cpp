#include "reports/lm_eval_files.hpp"

#include <fmt/format.h>

#include <cmath>
#include <ctime>
#include <fstream>

#include "harness/core/error.hpp"

namespace tb {

namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& path, const std::string& text) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw Error(ErrorKind::Io, temporary.string() + ": cannot write");
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) throw Error(ErrorKind::Io, path.string() + ": cannot write (" + ec.message() + ")");
}

nlohmann::json number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

}  // namespace

std::string lm_eval_date_id(double unix_seconds) {
  const auto whole = static_cast<std::time_t>(std::floor(unix_seconds));
  const auto micros = static_cast<int64_t>((unix_seconds - std::floor(unix_seconds)) * 1e6);
  std::tm tm{};
  gmtime_r(&whole, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}-{:02}-{:02}.{:06}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
}

nlohmann::json lm_eval_sample(const SampleRow& row, int64_t position) {
  const SampleResult& r = row.result;
  nlohmann::json sample = {{"doc_id", position},
                           {"doc", row.doc},
                           {"target", r.target},
                           {"doc_hash", row.doc_hash},
                           {"prompt_hash", row.prompt_hash},
                           {"target_hash", row.target_hash},
                           {"tb_doc_id", r.doc_id},
                           {"tb_subset", r.subset}};
  nlohmann::json arguments = nlohmann::json::object();
  nlohmann::json resps = nlohmann::json::array();
  nlohmann::json filtered = nlohmann::json::array();
  if (!r.response.empty() || r.option_scores.empty()) {
    // A generation: one request, the prompt, answered with the text.
    arguments["gen_args_0"] = {{"arg_0", r.prompt}};
    resps.push_back(nlohmann::json::array({r.response}));
    filtered.push_back(r.response);
  } else {
    // Multiple choice: one request per option, answered with its score as the protocol ranks
    // it and whether it was the pick (lm-eval: [loglikelihood, is_greedy]).
    for (size_t i = 0; i < r.option_scores.size(); ++i) {
      arguments[fmt::format("gen_args_{}", i)] = {{"arg_0", r.prompt}, {"arg_1", i}};
      const nlohmann::json pair = {number(r.option_scores[i]), static_cast<int>(i) == r.prediction};
      resps.push_back(nlohmann::json::array({pair}));
      filtered.push_back(pair);
    }
    sample["gold"] = r.gold;
    sample["prediction"] = r.prediction;
  }
  sample["arguments"] = arguments;
  sample["resps"] = resps;
  sample["filtered_resps"] = filtered;
  for (const auto& [name, value] : r.values) sample[name] = number(value);
  return sample;
}

std::vector<fs::path> write_lm_eval_files(const fs::path& dir, std::span<const RunFiles> runs,
                                          bool log_samples, const std::string& date_id) {
  std::vector<fs::path> written;
  if (runs.empty()) return written;
  const fs::path out_dir = dir / sanitize_model_name(runs.front().metrics.run.info.model_path);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw Error(ErrorKind::Io, out_dir.string() + ": cannot create (" + ec.message() + ")");
  std::vector<RunMetrics> metrics;
  for (const RunFiles& r : runs) metrics.push_back(r.metrics);
  const fs::path results = out_dir / ("results_" + date_id + ".json");
  write_file(results, render_lm_eval_json(metrics).dump(2) + "\n");
  written.push_back(results);
  if (!log_samples) return written;
  for (const RunFiles& r : runs) {
    std::string text;
    int64_t position = 0;
    for (const SampleRow& row : r.samples) text += lm_eval_sample(row, position++).dump() + "\n";
    const fs::path samples =
        out_dir / ("samples_" + r.metrics.run.info.suite + "_" + date_id + ".jsonl");
    write_file(samples, text);
    written.push_back(samples);
  }
  return written;
}

}  // namespace tb
