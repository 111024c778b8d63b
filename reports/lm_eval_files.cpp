#include "reports/lm_eval_files.hpp"

#include <fmt/format.h>

#include <cmath>
#include <ctime>
#include <fstream>
#include <functional>
#include <ostream>

#include "harness/core/error.hpp"

namespace tb {

namespace fs = std::filesystem;

namespace {

// Writes through `fill` to a temporary name, then renames it into place.
void write_file(const fs::path& path, const std::function<void(std::ostream&)>& fill) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    fill(out);
    out.close();
    if (!out) throw Error(ErrorKind::Io, temporary.string() + ": cannot write");
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) throw Error(ErrorKind::Io, path.string() + ": cannot write (" + ec.message() + ")");
}

// A generation: one request, the prompt, answered with the text.
bool is_generation(const SampleResult& r) {
  return !r.response.empty() || r.option_scores.empty();
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

namespace {

// The sample without its "arguments" (null there): in a multiple-choice sample they repeat the
// prompt once per option, which only the writer below spells out, straight into the file.
nlohmann::json sample_skeleton(const SampleRow& row, int64_t position) {
  const SampleResult& r = row.result;
  nlohmann::json sample = {{"doc_id", position},
                           {"doc", row.doc},
                           {"target", r.target},
                           {"doc_hash", row.doc_hash},
                           {"prompt_hash", row.prompt_hash},
                           {"target_hash", row.target_hash},
                           {"tb_doc_id", r.doc_id},
                           {"tb_subset", r.subset},
                           {"arguments", nullptr}};
  nlohmann::json resps = nlohmann::json::array();
  nlohmann::json filtered = nlohmann::json::array();
  if (is_generation(r)) {
    resps.push_back(nlohmann::json::array({r.response}));
    filtered.push_back(r.response);
  } else {
    // One request per option, answered with its score as the protocol ranks it and whether it
    // was the pick (lm-eval: [loglikelihood, is_greedy]).
    for (size_t i = 0; i < r.option_scores.size(); ++i) {
      const nlohmann::json pair = {number(r.option_scores[i]), static_cast<int>(i) == r.prediction};
      resps.push_back(nlohmann::json::array({pair}));
      filtered.push_back(pair);
    }
    sample["gold"] = r.gold;
    sample["prediction"] = r.prediction;
  }
  sample["resps"] = resps;
  sample["filtered_resps"] = filtered;
  for (const auto& [name, value] : r.values) sample[name] = number(value);
  return sample;
}

// Data files need not be UTF-8 (a Latin-1 ABC file); invalid sequences are written as U+FFFD.
std::string dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// One line of the samples file, written as lm_eval_sample(row, position).dump() would be (keys in
// order, no spaces) but with the prompt escaped once and repeated on the stream: memory stays
// the size of one prompt, not prompt x options.
void write_sample_line(std::ostream& out, const SampleRow& row, int64_t position) {
  const SampleResult& r = row.result;
  const nlohmann::json sample = sample_skeleton(row, position);
  const std::string prompt = dump(nlohmann::json(r.prompt));
  bool first = true;
  out << '{';
  for (const auto& [key, value] : sample.items()) {
    out << (first ? "" : ",") << dump(nlohmann::json(key)) << ':';
    first = false;
    if (key != "arguments") {
      out << dump(value);
    } else if (is_generation(r)) {
      out << "{\"gen_args_0\":{\"arg_0\":" << prompt << "}}";
    } else {
      out << '{';
      for (size_t i = 0; i < r.option_scores.size(); ++i) {
        out << (i == 0 ? "" : ",") << "\"gen_args_" << i << "\":{\"arg_0\":" << prompt
            << ",\"arg_1\":" << i << '}';
      }
      out << '}';
    }
  }
  out << "}\n";
}

}  // namespace

nlohmann::json lm_eval_sample(const SampleRow& row, int64_t position) {
  const SampleResult& r = row.result;
  nlohmann::json sample = sample_skeleton(row, position);
  nlohmann::json arguments = nlohmann::json::object();
  if (is_generation(r)) {
    arguments["gen_args_0"] = {{"arg_0", r.prompt}};
  } else {
    for (size_t i = 0; i < r.option_scores.size(); ++i)
      arguments[fmt::format("gen_args_{}", i)] = {{"arg_0", r.prompt}, {"arg_1", i}};
  }
  sample["arguments"] = arguments;
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
  write_file(results,
             [&](std::ostream& out) { out << render_lm_eval_json(metrics).dump(2) << "\n"; });
  written.push_back(results);
  if (!log_samples) return written;
  for (const RunFiles& r : runs) {
    const fs::path samples =
        out_dir / ("samples_" + r.metrics.run.info.suite + "_" + date_id + ".jsonl");
    write_file(samples, [&](std::ostream& out) {
      int64_t position = 0;
      for (const SampleRow& row : r.samples) write_sample_line(out, row, position++);
    });
    written.push_back(samples);
  }
  return written;
}

}  // namespace tb
