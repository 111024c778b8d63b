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
  RunInfo info;
  info.model_path = model_path;
  info.model_hash = "0123456789abcdef";
  info.config = {{"model_type", "llama"}, {"hidden_size", 64}};
  info.tokenizer = "sentencepiece; specials: tokenizer_config.json";
  info.tunebench_git_sha = "64fca1f";
  info.device = "cpu";
  info.dtype = "f32";
  info.batch_tokens = 4096;
  info.seed = 1234;
  info.suite = "mtb";
  info.suite_version = "1";
  info.options = {{"shots", 0}, {"mode", "ppl"}};
  return info;
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
