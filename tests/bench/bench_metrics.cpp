// ABC corpus throughput: parse + notes + all statistics of every tune of ../shared/data/abc,
// one thread. Prints tunes/s and the CPU seconds one pass over the whole corpus takes.
// Skips (prints a line, exits 0) when ../shared is absent.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "metrics/abc/abc.hpp"
#include "metrics/notes/abc_notes.hpp"
#include "metrics/statistics/features.hpp"

namespace {

namespace fs = std::filesystem;

std::vector<std::string>& corpus() {
  static std::vector<std::string> files = [] {
    std::vector<std::string> out;
    const fs::path dir = fs::path(TB_SHARED_DIR) / "data/abc";
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return out;
    std::vector<fs::path> paths;
    for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
      if (e.is_regular_file() && e.path().extension() == ".abc") paths.push_back(e.path());
    }
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) {
      std::ifstream in(p, std::ios::binary);
      std::ostringstream s;
      s << in.rdbuf();
      out.push_back(s.str());
    }
    return out;
  }();
  return files;
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// One pass over the corpus; returns the number of tunes.
size_t pass(bool statistics) {
  size_t tunes = 0;
  for (const std::string& text : corpus()) {
    for (const auto& t : tb::metrics::abc::split_tunes(text)) {
      const auto tune = tb::metrics::abc::parse_tune(t);
      const auto seq = tb::notes::abc_to_notes(tune);
      if (statistics) benchmark::DoNotOptimize(tb::metrics::statistics::piece_features(seq));
      benchmark::DoNotOptimize(seq.notes.data());
      ++tunes;
    }
  }
  return tunes;
}

void run_corpus(benchmark::State& state, bool statistics) {
  if (corpus().empty()) {
    state.SkipWithError("../shared/data/abc is absent");
    return;
  }
  size_t tunes = 0;
  const double cpu0 = cpu_seconds();
  for (auto _ : state) tunes += pass(statistics);
  const double cpu = cpu_seconds() - cpu0;
  state.counters["tunes/s"] =
      benchmark::Counter(static_cast<double>(tunes), benchmark::Counter::kIsRate);
  state.counters["cpu_s_per_corpus"] = cpu / static_cast<double>(state.iterations());
  state.counters["tunes"] = static_cast<double>(tunes) / static_cast<double>(state.iterations());
}

void BM_ParseAndNotes(benchmark::State& state) {
  run_corpus(state, false);
}
void BM_ParseNotesStatistics(benchmark::State& state) {
  run_corpus(state, true);
}
BENCHMARK(BM_ParseAndNotes)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_ParseNotesStatistics)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

int main(int argc, char** argv) {
  if (corpus().empty()) {
    std::printf("bench_metrics: skipped, %s/data/abc is absent\n", TB_SHARED_DIR);
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
