#pragma once
// Shared helpers of the tokenizer tests: scratch directories, golden vector files, paths.
#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/test_paths.hpp"

namespace tb::test {

// A fresh directory removed when the object goes away.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("tb_tokenizer_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct GoldenCase {
  std::string text;
  std::vector<int32_t> ids;
};

// llama.cpp's vocab test files: inputs separated by "\n__ggml_vocab_test__\n" (the file ends
// with one, so the last piece is empty), one line of expected ids per input in `.out`.
inline std::vector<GoldenCase> read_golden(const std::filesystem::path& stem) {
  const std::string inp = read_file(stem.string() + ".inp");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  size_t pos = 0;
  for (size_t hit = inp.find(sep); hit != std::string::npos; hit = inp.find(sep, pos)) {
    texts.push_back(inp.substr(pos, hit - pos));
    pos = hit + sep.size();
  }
  if (pos < inp.size()) texts.push_back(inp.substr(pos));
  std::ifstream out(stem.string() + ".out");
  std::vector<GoldenCase> cases;
  std::string line;
  for (size_t i = 0; i < texts.size() && std::getline(out, line); ++i) {
    GoldenCase c{texts[i], {}};
    std::istringstream ids(line);
    for (int32_t id = 0; ids >> id;) c.ids.push_back(id);
    cases.push_back(std::move(c));
  }
  return cases;
}

inline std::filesystem::path tokenizers_dir() {
  return shared_data() / "tokenizers";
}
// Where the CTest fixture (tools/make_tokenizer_json.py) writes the derived tokenizer.json files.
inline std::filesystem::path generated_json(const std::string& name) {
  return binary_dir() / "tokenizer_json" / (name + ".tokenizer.json");
}

}  // namespace tb::test
