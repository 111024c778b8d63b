#include "tests/e2e/eval_parity.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "reports/sqlite_db.hpp"

namespace tb::test {

namespace {

struct RunRow {
  int64_t id = 0;
  std::string model, suite;
};

struct SampleRow {
  std::vector<double> scores;
  int64_t prediction = -1;
  std::string prompt, response;
};

std::vector<RunRow> finished_runs(const sqlite::Database& db) {
  auto stmt =
      db.prepare("SELECT id, model_path, suite FROM runs WHERE status = 'finished' ORDER BY id");
  std::vector<RunRow> out;
  while (stmt.step()) out.push_back({stmt.int64(0), stmt.text(1), stmt.text(2)});
  return out;
}

std::vector<double> parse_scores(const std::string& text) {
  std::vector<double> out;
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_array()) return out;
  for (const auto& v : json) {
    out.push_back(v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN());
  }
  return out;
}

std::map<std::string, SampleRow> samples(const sqlite::Database& db, int64_t run) {
  auto stmt = db.prepare(
      "SELECT doc_id, option_scores, prediction, prompt, response FROM samples "
      "WHERE run_id = ?1");
  stmt.bind(1, run);
  std::map<std::string, SampleRow> out;
  while (stmt.step()) {
    out[stmt.text(0)] = {parse_scores(stmt.text(1)), stmt.int64(2), stmt.text(3), stmt.text(4)};
  }
  return out;
}

std::map<std::string, double> perplexities(const sqlite::Database& db, int64_t run) {
  auto stmt = db.prepare(
      "SELECT name, value FROM metrics WHERE run_id = ?1 AND subset = '' AND "
      "name LIKE '%perplexity%'");
  stmt.bind(1, run);
  std::map<std::string, double> out;
  while (stmt.step()) out[stmt.text(0)] = stmt.real(1);
  return out;
}

// Top score minus the runner-up (infinity with fewer than two options).
double margin(const std::vector<double>& scores) {
  if (scores.size() < 2) return std::numeric_limits<double>::infinity();
  std::vector<double> sorted = scores;
  std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<>());
  return sorted[0] - sorted[1];
}

// The text the model saw and wrote: the response, with the prompt in front when the store
// keeps the completion alone.
std::string full_text(const SampleRow& s) {
  return s.response.starts_with(s.prompt) ? s.response : s.prompt + s.response;
}

void compare_choice(const std::string& what, const std::string& doc, const SampleRow& cpu,
                    const SampleRow& cuda, double noise, ParityReport& report) {
  ++report.questions;
  if (cpu.prediction == cuda.prediction) {
    ++report.identical;
    return;
  }
  const double m = std::min(margin(cpu.scores), margin(cuda.scores));
  const bool close = m <= noise;
  ++(close ? report.within_noise : report.mismatched);
  report.lines.push_back(fmt::format(
      "{} doc {}: prediction cpu {} cuda {}, top-two margin {:.3g} "
      "({})",
      what, doc, cpu.prediction, cuda.prediction, m, close ? "within bf16 noise" : "MISMATCH"));
}

void compare_text(const std::string& what, const std::string& model, const std::string& doc,
                  const SampleRow& cpu, const SampleRow& cuda, double noise,
                  const Divergence& divergence, ParityReport& report) {
  ++report.texts;
  const std::string a = full_text(cpu), b = full_text(cuda);
  if (a == b) {
    ++report.texts_identical;
    return;
  }
  ++report.texts_diverged;
  const size_t at = static_cast<size_t>(
      std::mismatch(a.begin(),
                    a.begin() + static_cast<std::ptrdiff_t>(std::min(a.size(), b.size())),
                    b.begin())
          .first -
      a.begin());
  const std::string context = a.substr(0, at), cpu_next = a.substr(at, 8),
                    cuda_next = b.substr(at, 8);
  std::string line = fmt::format("{} doc {}: texts diverge at byte {} (cpu {:?}, cuda {:?})", what,
                                 doc, at, cpu_next, cuda_next);
  const auto scores = divergence ? divergence(model, context, cpu_next, cuda_next) : std::nullopt;
  if (scores) {
    const auto& c = scores->on_cpu;
    const auto& g = scores->on_cuda;
    line += fmt::format(
        "; log p on the CPU: cpu's {:.4f}, cuda's {:.4f}; on CUDA: cpu's {:.4f}, cuda's {:.4f}",
        c.cpu_text, c.cuda_text, g.cpu_text, g.cuda_text);
    // A fork between two near-equal continuations is bf16 noise; anything else is a fault.
    const bool close =
        std::abs(c.cpu_text - c.cuda_text) <= noise || std::abs(g.cpu_text - g.cuda_text) <= noise;
    if (!close) ++report.texts_failed;
    line += close ? " (a near tie)" : " (MISMATCH)";
  }
  report.lines.push_back(line);
}

}  // namespace

ParityReport compare_stores(const std::filesystem::path& cpu_store,
                            const std::filesystem::path& cuda_store, double noise,
                            const Divergence& divergence) {
  const sqlite::Database cpu_db = sqlite::Database::open_read_only(cpu_store);
  const sqlite::Database cuda_db = sqlite::Database::open_read_only(cuda_store);
  const std::vector<RunRow> cuda_runs = finished_runs(cuda_db);
  ParityReport report;
  for (const RunRow& run : finished_runs(cpu_db)) {
    const std::string what = run.suite + " · " + run.model;
    const auto other = std::find_if(cuda_runs.begin(), cuda_runs.end(), [&](const RunRow& r) {
      return r.model == run.model && r.suite == run.suite;
    });
    if (other == cuda_runs.end()) {
      ++report.missing_runs;
      report.lines.push_back(what + ": no finished run in " + cuda_store.string());
      continue;
    }
    ++report.runs;
    const auto cpu_samples = samples(cpu_db, run.id), cuda_samples = samples(cuda_db, other->id);
    for (const auto& [doc, cpu] : cpu_samples) {
      const auto it = cuda_samples.find(doc);
      if (it == cuda_samples.end()) {
        ++report.mismatched;
        report.lines.push_back(what + " doc " + doc + ": missing on CUDA");
        continue;
      }
      if (cpu.scores.size() >= 2) compare_choice(what, doc, cpu, it->second, noise, report);
      if (!cpu.response.empty() || !it->second.response.empty()) {
        compare_text(what, run.model, doc, cpu, it->second, noise, divergence, report);
      }
    }
    const auto cuda_ppl = perplexities(cuda_db, other->id);
    for (const auto& [name, value] : perplexities(cpu_db, run.id)) {
      ++report.perplexities;
      const auto it = cuda_ppl.find(name);
      const double theirs = it == cuda_ppl.end() ? std::nan("") : it->second;
      const double rel = std::abs(theirs - value) / std::abs(value);
      const bool close = rel <= 0.01;
      if (!close) ++report.perplexity_off;
      report.lines.push_back(fmt::format("{}: {} cpu {:.6g} cuda {:.6g} ({:.3g}% apart{})", what,
                                         name, value, theirs, 100.0 * rel,
                                         close ? "" : ", over 1%: MISMATCH"));
    }
  }
  return report;
}

}  // namespace tb::test
