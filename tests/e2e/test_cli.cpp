// End-to-end tests of the tunebench binary: exit codes, one-line messages, printed figures.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <unistd.h>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/e2e/run_tunebench.hpp"
#include "tests/unit/test_paths.hpp"

namespace fs = std::filesystem;
namespace test = tb::test;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// A WordLevel tokenizer over "w0".."w299" so the tiny random checkpoints can score text.
std::string word_tokenizer_json() {
  nlohmann::json vocab = nlohmann::json::object();
  for (int i = 0; i < 300; ++i) {
    std::string word = "w";
    word += std::to_string(i);
    vocab[word] = i;
  }
  nlohmann::json j = {{"version", "1.0"},
                      {"added_tokens", nlohmann::json::array()},
                      {"normalizer", nullptr},
                      {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
                      {"post_processor", nullptr},
                      {"decoder", nullptr},
                      {"model", {{"type", "WordLevel"}, {"vocab", vocab}, {"unk_token", "w0"}}}};
  return j.dump();
}

// A scratch copy of a tiny random checkpoint with a word tokenizer, removed at scope exit.
struct ModelDir {
  fs::path path;
  explicit ModelDir(const std::string& fixture) {
    path = fs::temp_directory_path() / ("tb_cli_" + fixture + "_" + std::to_string(getpid()) + "_" +
                                        std::to_string(counter()++));
    fs::remove_all(path);
    fs::create_directories(path);
    for (const auto& e :
         fs::directory_iterator(test::source_dir() / "data/golden/tiny-random" / fixture)) {
      fs::copy_file(e.path(), path / e.path().filename());
    }
    write_file(path / "tokenizer.json", word_tokenizer_json());
    write_file(path / "tokenizer_config.json", R"({"add_bos_token": false})");
  }
  ~ModelDir() { fs::remove_all(path); }
  static int& counter() {
    static int c = 0;
    return c;
  }
  fs::path weights() const { return path / "model.safetensors"; }

  // Rewrites the safetensors header through `edit`, keeping the data section.
  template <typename Edit>
  void edit_header(Edit edit) const {
    const std::string bytes = read_file(weights());
    uint64_t length;
    std::memcpy(&length, bytes.data(), 8);
    nlohmann::json header = nlohmann::json::parse(bytes.substr(8, length));
    edit(header);
    const std::string text = header.dump();
    const uint64_t new_length = text.size();
    std::string out(8, '\0');
    std::memcpy(out.data(), &new_length, 8);
    write_file(weights(), out + text + bytes.substr(8 + length));
  }
};

}  // namespace

TEST_CASE("score prints per-text and corpus figures") {
  ModelDir dir("llama-f32");
  const fs::path text = dir.path / "text.txt";
  write_file(text, "w5 w17 w33 w250 w4 w4 w9");
  const test::Outcome o =
      test::run_tunebench("score --model " + dir.path.string() + " --json " + text.string());
  REQUIRE(o.exit_code == 0);
  const auto j = nlohmann::json::parse(o.out);
  CHECK(j["texts"][0]["tokens"] == 7);  // no BOS added: conditioned on EOS, as lm-eval
  CHECK(j["corpus"]["tokens"] == 7);
  const double logprob = j["corpus"]["logprob"];
  CHECK(logprob < 0.0);
  CHECK(j["corpus"]["perplexity"].get<double>() == doctest::Approx(std::exp(-logprob / 7)));
  const test::Outcome table =
      test::run_tunebench("score --model " + dir.path.string() + " " + text.string());
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("corpus: 7 tokens") != std::string::npos);
}

TEST_CASE("bad input: one line naming the file and the field, exit code 2") {
  struct Case {
    std::string name;
    std::function<void(const ModelDir&)> damage;
    std::vector<std::string> expected;  // substrings of the message
  };
  const std::vector<Case> cases = {
      {"truncated file",
       [](const ModelDir& d) {
         const std::string b = read_file(d.weights());
         write_file(d.weights(), b.substr(0, b.size() - 100));
       },
       {"model.safetensors"}},
      {"header length past the end",
       [](const ModelDir& d) {
         std::string b = read_file(d.weights());
         const uint64_t huge = b.size() + 10;
         std::memcpy(b.data(), &huge, 8);
         write_file(d.weights(), b);
       },
       {"model.safetensors", "header"}},
      {"dtype/shape/byte-range mismatch",
       [](const ModelDir& d) {
         d.edit_header([](nlohmann::json& h) { h["model.norm.weight"]["dtype"] = "F16"; });
       },
       {"model.safetensors", "model.norm.weight"}},
      {"overlapping ranges",
       [](const ModelDir& d) {
         d.edit_header([](nlohmann::json& h) {
           h["model.norm.weight"]["data_offsets"] = h["lm_head.weight"]["data_offsets"];
           h["model.norm.weight"]["shape"] = h["lm_head.weight"]["shape"];
         });
       },
       {"model.safetensors", "overlap"}},
      {"missing tensor",
       [](const ModelDir& d) {
         d.edit_header([](nlohmann::json& h) { h.erase("model.layers.1.mlp.up_proj.weight"); });
       },
       {"model.layers.1.mlp.up_proj.weight", "missing"}},
      {"unknown architecture",
       [](const ModelDir& d) {
         auto config = nlohmann::json::parse(read_file(d.path / "config.json"));
         config["model_type"] = "mamba";
         write_file(d.path / "config.json", config.dump());
       },
       {"config.json", "model_type", "mamba"}},
      {"config with fewer layers than the checkpoint holds",
       [](const ModelDir& d) {
         auto config = nlohmann::json::parse(read_file(d.path / "config.json"));
         config["num_hidden_layers"] = 1;
         write_file(d.path / "config.json", config.dump());
       },
       {"config.json", "model.layers.1.", "num_hidden_layers"}},
      {"tokenizer larger than the checkpoint's vocabulary",
       [](const ModelDir& d) {
         auto config = nlohmann::json::parse(read_file(d.path / "config.json"));
         config["vocab_size"] = 10;
         write_file(d.path / "config.json", config.dump());
       },
       {"config.json", "vocab_size", "disagree"}},
      {"NaN weights",
       [](const ModelDir& d) {
         std::string b = read_file(d.weights());
         uint64_t length;
         std::memcpy(&length, b.data(), 8);
         const auto header = nlohmann::json::parse(b.substr(8, length));
         const auto begin = header["model.norm.weight"]["data_offsets"][0].get<size_t>();
         const uint32_t nan = 0x7fc00000u;
         std::memcpy(b.data() + 8 + length + begin, &nan, 4);
         write_file(d.weights(), b);
       },
       {"config.json", "non-finite"}},
      {"malformed tokenizer.json",
       [](const ModelDir& d) { write_file(d.path / "tokenizer.json", R"({"model": {"type": )"); },
       {"tokenizer.json"}},
      {"tokenizer.json without a model",
       [](const ModelDir& d) { write_file(d.path / "tokenizer.json", R"({"version": "1.0"})"); },
       {"tokenizer.json", "model"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    ModelDir dir("llama-f32");
    const fs::path text = dir.path / "text.txt";
    write_file(text, "w1 w2 w3");
    c.damage(dir);
    const test::Outcome o =
        test::run_tunebench("score --model " + dir.path.string() + " " + text.string());
    CAPTURE(o.err);
    CHECK(o.exit_code == 2);
    CHECK(o.out.empty());
    CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);
    for (const std::string& s : c.expected) CHECK(o.err.find(s) != std::string::npos);
  }
  SUBCASE("a missing text file and a bad option") {
    ModelDir dir("llama-f32");
    const test::Outcome missing =
        test::run_tunebench("score --model " + dir.path.string() + " /nonexistent/t.txt");
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("/nonexistent/t.txt") != std::string::npos);
    CHECK(test::run_tunebench("score --model " + dir.path.string() + " --device tpu x").exit_code ==
          2);
    CHECK(test::run_tunebench("frobnicate").exit_code == 2);
    // Issue 17: these were accepted (or failed later without naming the flag).
    for (const char* bad : {"--context -5", "--context 1", "--threads -3", "--context x"}) {
      for (const char* command : {"score", "eval --suite mtb"}) {
        const test::Outcome o = test::run_tunebench(std::string(command) + " --model " +
                                                    dir.path.string() + " " + bad + " x");
        INFO(command << " " << bad << ": " << o.err);
        CHECK(o.exit_code == 2);
        CHECK(o.err.find(std::string(bad).substr(0, std::string(bad).find(' '))) !=
              std::string::npos);
      }
    }
    // No GPU here (CUDA compiled or not): asking for one is a clear error, auto falls back.
    const fs::path text = dir.path / "text.txt";
    write_file(text, "w1 w2 w3");
    if (std::getenv("CUDA_VISIBLE_DEVICES") == nullptr ||
        std::string(std::getenv("CUDA_VISIBLE_DEVICES")).empty()) {
      const test::Outcome cuda = test::run_tunebench("score --model " + dir.path.string() +
                                                     " --device cuda " + text.string());
      if (cuda.exit_code != 0) {
        CHECK(cuda.exit_code == 2);
        CHECK(cuda.err.find("cuda:0") != std::string::npos);
      }
    }
    CHECK(test::run_tunebench("score --model " + dir.path.string() + " --device auto " +
                              text.string())
              .exit_code == 0);
  }
}

TEST_CASE("a context window whose KV cache alone exceeds the memory there is: exit 2 naming it") {
  // tiny-abc-llama keeps 3 KiB of f32 keys and values per position; 2^24 positions (the limit
  // config.json may declare) need 48 GiB, more than these 24 GiB machines have.
  const fs::path dir = fs::temp_directory_path() / ("tb_cli_kv_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::copy(test::source_dir() / "data/models/tiny-abc-llama", dir);
  auto config = nlohmann::json::parse(read_file(dir / "config.json"));
  config["max_position_embeddings"] = 1 << 24;
  write_file(dir / "config.json", config.dump());
  write_file(dir / "text.txt", "X:1\nK:G\nGABc|\n");
  const test::Outcome o = test::run_tunebench("score --device cpu --model " + dir.string() + " " +
                                              (dir / "text.txt").string());
  CAPTURE(o.err);
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("config.json: max_position_embeddings 16777216") != std::string::npos);
  CHECK(o.err.find("GiB") != std::string::npos);
  // With a window that fits, the same checkpoint scores.
  CHECK(test::run_tunebench("score --device cpu --context 512 --model " + dir.string() + " " +
                            (dir / "text.txt").string())
            .exit_code == 0);
  fs::remove_all(dir);
}

TEST_CASE("eval with a misspelt suite spec key: exit 2 naming the key and the nearest one") {
  const fs::path spec = fs::temp_directory_path() / "tunebench_typo_spec.json";
  write_file(spec, R"({"name": "typo", "kind": "mtb", "version": "1", "data": "data/suites/mtb",
                       "shot": 5})");
  const fs::path db = fs::temp_directory_path() / "tunebench_typo_spec.sqlite";
  fs::remove(db);
  const test::Outcome r = test::run_tunebench(
      "eval --model " + (test::source_dir() / "data/models/tiny-abc-llama").string() + " --suite " +
      spec.string() + " --db " + db.string());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("tunebench_typo_spec.json: shot: unknown key for a mtb suite (did you mean "
                   "\"shots\"?") != std::string::npos);
  fs::remove(spec);
  fs::remove(db);
}
