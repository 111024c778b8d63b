// `tunebench score` on each bundled model's held-out set reproduces the perplexity PyTorch
// computed for the same checkpoint (data/models/*/reference_ppl.json) within 1e-3 relative.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/unit/test_paths.hpp"

namespace fs = std::filesystem;
namespace test = tb::test;

namespace {

nlohmann::json score(const fs::path& model, const fs::path& texts) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(texts)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::string command =
      std::string(TB_TUNEBENCH_BIN) + " score --threads 1 --eos --json --model " + model.string();
  for (const fs::path& f : files) {
    command += ' ';
    command += f.string();
  }
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  std::array<char, 65536> buffer{};
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  REQUIRE(WEXITSTATUS(pclose(pipe)) == 0);
  return nlohmann::json::parse(out);
}

}  // namespace

TEST_CASE("held-out perplexity equals PyTorch's for both bundled models") {
  const fs::path extracted = test::binary_dir() / "heldout";
  for (const std::string name : {"tiny-abc-llama", "tiny-mmm-gpt2"}) {
    CAPTURE(name);
    const fs::path model = test::source_dir() / "data/models" / name;
    if (!fs::is_directory(extracted / name) || fs::is_empty(extracted / name)) {
      MESSAGE("skipped: held-out texts not extracted (../shared or python3-mido absent)");
      continue;
    }
    std::ifstream in(model / "reference_ppl.json");
    const nlohmann::json reference = nlohmann::json::parse(in);
    const nlohmann::json result = score(model, extracted / name);
    const auto& corpus = result.at("corpus");
    CHECK(corpus.at("tokens").get<int64_t>() == reference.at("scored_tokens").get<int64_t>());
    const double ours = corpus.at("perplexity").get<double>();
    const double theirs = reference.at("perplexity").get<double>();
    MESSAGE(name << ": tunebench " << ours << ", PyTorch " << theirs);
    CHECK(std::abs(ours / theirs - 1.0) < 1e-3);
    CHECK(std::abs(-corpus.at("logprob").get<double>() / reference.at("total_nll").get<double>() -
                   1.0) < 1e-3);
  }
}
