// Megatron-LM checkpoints as their users have them: tools/megatron_checkpoints.py (CTest fixture
// megatron_checkpoints) saves the bundled models with torch in Megatron's legacy and
// Megatron-Core layouts, and converts each back to Hugging Face layout with its own
// re-implementation of the published conversions. tunebench must read the Megatron file as
// exactly that conversion: the same tensors bit for bit, the same scores; sweep must take a
// Megatron save directory's iter_N; broken or hostile ones end in exit 2 naming the file.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "harness/io/checkpoint.hpp"
#include "tests/e2e/run_tunebench.hpp"
#include "tests/unit/test_paths.hpp"

namespace fs = std::filesystem;
using namespace tb;

namespace {

fs::path megatron_dir() {
  return test::binary_dir() / "megatron";
}

// The fixture needs /usr/bin/python3 with torch, which tools/install-deps.sh --test installs.
void require_fixture() {
  INFO("missing " << megatron_dir().string() << ": run tools/megatron_checkpoints.py");
  REQUIRE(fs::exists(megatron_dir() / "hostile/evil"));
}

void check_same_tensors(const Checkpoint& converted, const Checkpoint& megatron) {
  REQUIRE(converted.names() == megatron.names());
  for (const std::string& name : converted.names()) {
    CAPTURE(name);
    const TensorInfo& x = converted.tensor(name);
    const TensorInfo& y = megatron.tensor(name);
    CHECK(x.dtype == y.dtype);
    CHECK(x.shape == y.shape);
    REQUIRE(x.nbytes == y.nbytes);
    CHECK(std::memcmp(x.data, y.data, x.nbytes) == 0);
  }
}

nlohmann::json corpus_score(const fs::path& model, const fs::path& tokenizer,
                            const fs::path& text) {
  const auto o = test::run_tunebench("score --json --threads 1 --model " + model.string() +
                                     " --tokenizer " + tokenizer.string() + " " + text.string());
  INFO("stderr: " << o.err);
  REQUIRE(o.exit_code == 0);
  auto corpus = nlohmann::json::parse(o.out)["corpus"];
  corpus.erase("seconds");  // wall time, the one field that may differ
  return corpus;
}

}  // namespace

TEST_CASE("Megatron checkpoints read as their Hugging Face conversion: tensors and scores") {
  require_fixture();
  const fs::path mmm = megatron_dir() / "mmm.txt";
  std::ofstream(mmm) << "PIECE_START TRACK_START INST=0 BAR_START NOTE_ON=60 TIME_DELTA=4 "
                        "NOTE_OFF=60 NOTE_ON=64 TIME_DELTA=4 NOTE_OFF=64 BAR_END TRACK_END";
  const fs::path abc = test::source_dir() / "data/samples/tunes.abc";
  struct Case {
    std::string megatron, converted;
    fs::path text;
    Architecture architecture;
  };
  const std::vector<Case> cases = {
      {"llama-legacy/iter_0001000", "llama-legacy-hf", abc, Architecture::Llama},
      {"llama-mcore/iter_0001000", "llama-mcore-hf", abc, Architecture::Llama},
      {"gpt2-legacy/iter_0000500", "gpt2-legacy-hf", mmm, Architecture::Gpt2},
  };
  for (const Case& c : cases) {
    CAPTURE(c.megatron);
    const Checkpoint megatron = Checkpoint::open(megatron_dir() / c.megatron);
    const Checkpoint converted = Checkpoint::open(megatron_dir() / c.converted);
    CHECK(megatron.config().architecture == c.architecture);
    CHECK(megatron.config().num_kv_heads == converted.config().num_kv_heads);
    CHECK(megatron.config().vocab_size == converted.config().vocab_size);
    CHECK(megatron.config().activation == converted.config().activation);
    CHECK(megatron.config().norm_eps == converted.config().norm_eps);
    CHECK(megatron.config().tie_word_embeddings == converted.config().tie_word_embeddings);
    check_same_tensors(converted, megatron);
    const fs::path tokenizer = megatron_dir() / c.converted;
    const auto a = corpus_score(megatron_dir() / c.converted, tokenizer, c.text);
    const auto b = corpus_score(megatron_dir() / c.megatron, tokenizer, c.text);
    MESSAGE(c.megatron << ": " << b.dump() << " vs its conversion " << a.dump());
    CHECK(a["tokens"].get<int>() > 8);
    CHECK(a == b);  // the same doubles, printed identically
  }
  // The LLaMA conversions are the bundled model itself (its vocabulary is not padded): the
  // grouped-QKV split is exactly the inverse of what training would have fused.
  const Checkpoint bundled = Checkpoint::open(test::source_dir() / "data/models/tiny-abc-llama");
  check_same_tensors(bundled, Checkpoint::open(megatron_dir() / "llama-mcore/iter_0001000"));
}

TEST_CASE("sweep takes a Megatron save directory's iter_N in step order") {
  require_fixture();
  const fs::path db = megatron_dir() / "sweep.sqlite";
  fs::remove(db);
  const auto o =
      test::run_tunebench("sweep " + (megatron_dir() / "llama-legacy").string() + " --tokenizer " +
                          (megatron_dir() / "llama-legacy-hf").string() +
                          " --suite abc-ppl --limit 2 --threads 1 --db " + db.string());
  INFO("stdout: " << o.out << "\nstderr: " << o.err);
  REQUIRE(o.exit_code == 0);
  const size_t first = o.out.find("iter_0001000 (step 1000)");
  const size_t second = o.out.find("iter_0002000 (step 2000)");
  CHECK(first != std::string::npos);
  CHECK(second != std::string::npos);
  CHECK(first < second);
  const auto runs = test::run_tunebench("runs --json --db " + db.string());
  REQUIRE(runs.exit_code == 0);
  // The two iterations differ (the second's embedding is scaled): two finished runs, not one
  // reused, each with the step of its iter_N.
  std::vector<int64_t> steps;
  std::set<std::string> hashes;
  for (const auto& run : nlohmann::json::parse(runs.out)) {
    CHECK(run["status"] == "finished");
    steps.push_back(run["checkpoint_step"].get<int64_t>());
    hashes.insert(run["model_hash"].get<std::string>());
  }
  std::sort(steps.begin(), steps.end());
  CHECK(steps == std::vector<int64_t>{1000, 2000});
  CHECK(hashes.size() == 2);
}

TEST_CASE("broken and hostile Megatron checkpoints: exit 2 naming the file, nothing executed") {
  require_fixture();
  const fs::path hostile = megatron_dir() / "hostile";
  const std::string tokenizer = " --tokenizer " + (megatron_dir() / "llama-legacy-hf").string();
  const std::string text = " " + (test::source_dir() / "data/samples/tunes.abc").string();
  struct Case {
    std::string dir;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"tp2/iter_0001000", {"mp_rank_01", "tensor-parallel"}},
      {"extra-layer/iter_0001000",
       {"model_optim_rng.pt", "layers.5.input_layernorm.weight", "model has 5 layers"}},
      {"evil/iter_0001000", {"model_optim_rng.pt", "global posix.system is not allowed"}},
      {"mixed/iter_0001000", {"model_optim_rng.pt", "args.swiglu", "normalization=LayerNorm"}},
      {"v1/iter_0001000", {"model_optim_rng.pt", "checkpoint_version", "not supported"}},
      {"tp2", {"latest_checkpointed_iteration.txt", "pass one of its iter_N"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.dir);
    const auto o =
        test::run_tunebench("score --model " + (hostile / c.dir).string() + tokenizer + text);
    INFO("stderr: " << o.err);
    CHECK(o.exit_code == 2);
    CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);
    for (const std::string& part : c.expected) CHECK(o.err.find(part) != std::string::npos);
  }
  CHECK_FALSE(fs::exists(hostile / "EXECUTED"));
  // Without --tokenizer the message says where a tokenizer may come from.
  const auto o = test::run_tunebench(
      "score --model " + (megatron_dir() / "llama-legacy/iter_0001000").string() + text);
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("--tokenizer") != std::string::npos);
}
