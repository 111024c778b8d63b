#pragma once
// Fixtures for the reports tests: fresh temporary store paths and small runs and samples.
#include <unistd.h>
#include <filesystem>
#include <string>

#include "reports/store.hpp"

namespace tb::test {

// A directory of its own under the system temp dir, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("tb_reports_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline RunInfo sample_run_info(const std::string& model_path = "/models/mupt/checkpoint-1000") {
  // Designated initialisers construct each string in place (GCC 12's -Wrestrict misfires on
  // assigning short literals to members after inlining).
  return RunInfo{.model_path = model_path,
                 .model_hash = "0123456789abcdef",
                 .config = {{"model_type", "llama"}, {"hidden_size", 64}},
                 .tokenizer = "sentencepiece; specials: tokenizer_config.json",
                 .tunebench_git_sha = "64fca1f",
                 .device = "cpu",
                 .dtype = "f32",
                 .batch_tokens = 4096,
                 .seed = 1234,
                 .suite = "mtb",
                 .suite_version = "1",
                 .options = {{"shots", 0}, {"mode", "ppl"}}};
}

inline SampleRow sample_row(const std::string& doc_id, int prediction, int gold,
                            const std::string& subset = "knowledge") {
  Doc doc{doc_id, subset, {{"question", "Q " + doc_id}, {"answer", gold}}};
  SampleResult r;
  r.doc_id = doc_id;
  r.subset = subset;
  r.prompt = "Question " + doc_id + "\nAnswer:";
  r.target = std::string(1, static_cast<char>('A' + gold));
  r.option_scores = {-1.25, -0.5, -3.0, -2.0};
  r.prediction = prediction;
  r.gold = gold;
  r.values = {{"acc", prediction == gold ? 1.0 : 0.0}};
  return make_sample_row(doc, std::move(r));
}

}  // namespace tb::test
