// Acceptance of the torch.save reader on files torch itself wrote: tools/torch_bin_checkpoints.py
// (CTest fixture torch_bin_checkpoints) saves every bundled and tiny-random checkpoint as
// pytorch_model.bin, sharded where the original is; each must score exactly (bit for bit) as
// its safetensors twin, and a pickle that calls os.system is refused with exit 2 without running.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness/backend/cpu/cpu_backend.hpp"
#include "harness/io/checkpoint.hpp"
#include "harness/model/model.hpp"
#include "tests/e2e/run_tunebench.hpp"
#include "tests/unit/test_paths.hpp"

namespace fs = std::filesystem;
using namespace tb;

namespace {

fs::path bin_dir() {
  return test::binary_dir() / "torch-bin";
}

// The fixture is absent when /usr/bin/python3 has no torch: the cases say so and skip.
bool have_fixture() {
  if (fs::exists(bin_dir() / "evil/pytorch_model.bin")) return true;
  MESSAGE(
      "SKIP: " << bin_dir().string()
               << " missing (needs /usr/bin/python3 with torch: tools/torch_bin_checkpoints.py)");
  return false;
}

// Logits of the tiny-random reference sequences, all positions.
std::vector<float> logits_of(const fs::path& dir, const std::vector<std::vector<int32_t>>& seqs) {
  const Checkpoint checkpoint = Checkpoint::open(dir);
  auto backend = make_cpu_backend(2, CpuKernels::Fast);
  auto model = load_model(checkpoint, *backend);
  std::vector<float> all;
  for (const auto& seq : seqs) {
    auto cache = model->make_cache(1, 64);
    ForwardBatch batch;
    for (size_t i = 0; i < seq.size(); ++i) {
      batch.tokens.push_back(seq[i]);
      batch.positions.push_back(static_cast<int32_t>(i));
      batch.slots.push_back(0);
    }
    std::vector<float> logits;
    model->forward(batch, *cache, logits);
    all.insert(all.end(), logits.begin(), logits.end());
  }
  return all;
}

void check_same_tensors(const fs::path& st_dir, const fs::path& bin) {
  const Checkpoint a = Checkpoint::open(st_dir);
  const Checkpoint b = Checkpoint::open(bin);
  REQUIRE(a.names() == b.names());
  for (const std::string& name : a.names()) {
    CAPTURE(name);
    const TensorInfo& x = a.tensor(name);
    const TensorInfo& y = b.tensor(name);
    CHECK(x.dtype == y.dtype);
    CHECK(x.shape == y.shape);
    REQUIRE(x.nbytes == y.nbytes);
    CHECK(std::memcmp(x.data, y.data, x.nbytes) == 0);
    CHECK(fs::path(y.file).extension() == ".bin");
  }
  CHECK(a.content_hash() != b.content_hash());  // a run's identity names the weight files
}

}  // namespace

TEST_CASE("torch.save twins of the tiny-random checkpoints give bit-identical logits") {
  if (!have_fixture()) return;
  const fs::path golden = test::source_dir() / "data/golden/tiny-random";
  for (const std::string name : {"llama-f32", "llama-f32-sharded", "llama-f16", "llama-bf16",
                                 "gpt2-f32", "gpt2-f16", "gpt2-bf16"}) {
    CAPTURE(name);
    check_same_tensors(golden / name, bin_dir() / name);
    std::ifstream in(golden / name / "reference.json");
    const auto seqs =
        nlohmann::json::parse(in).at("sequences").get<std::vector<std::vector<int32_t>>>();
    const auto expected = logits_of(golden / name, seqs);
    const auto got = logits_of(bin_dir() / name, seqs);
    REQUIRE(expected.size() == got.size());
    CHECK(std::memcmp(expected.data(), got.data(), got.size() * sizeof(float)) == 0);
  }
  CHECK(fs::exists(bin_dir() / "llama-f32-sharded/pytorch_model.bin.index.json"));
  // Views into one shared storage (non-zero offsets) and an int64 buffer the model ignores.
  const Checkpoint views = Checkpoint::open(bin_dir() / "views");
  CHECK_FALSE(views.has("position_ids"));
  std::ifstream in(golden / "llama-f32/reference.json");
  const auto seqs =
      nlohmann::json::parse(in).at("sequences").get<std::vector<std::vector<int32_t>>>();
  const auto expected = logits_of(golden / "llama-f32", seqs);
  const auto got = logits_of(bin_dir() / "views", seqs);
  CHECK(std::memcmp(expected.data(), got.data(), got.size() * sizeof(float)) == 0);
}

TEST_CASE("the bundled models saved as pytorch_model.bin score exactly as their safetensors") {
  if (!have_fixture()) return;
  const fs::path text = bin_dir() / "mmm_text.txt";
  std::ofstream(text) << "PIECE_START TRACK_START INST=0 BAR_START NOTE_ON=60 TIME_DELTA=4 "
                         "NOTE_OFF=60 NOTE_ON=64 TIME_DELTA=4 NOTE_OFF=64 BAR_END TRACK_END";
  const std::vector<std::pair<std::string, fs::path>> cases = {
      {"tiny-abc-llama", test::source_dir() / "data/samples/tunes.abc"}, {"tiny-mmm-gpt2", text}};
  for (const auto& [name, file] : cases) {
    CAPTURE(name);
    const auto st = test::run_tunebench("score --json --model " +
                                        (test::source_dir() / "data/models" / name).string() + " " +
                                        file.string());
    const auto bin = test::run_tunebench("score --json --model " + (bin_dir() / name).string() +
                                         " " + file.string());
    REQUIRE(st.exit_code == 0);
    REQUIRE(bin.exit_code == 0);
    auto a = nlohmann::json::parse(st.out)["corpus"];
    auto b = nlohmann::json::parse(bin.out)["corpus"];
    a.erase("seconds");  // wall time, the one field that may differ
    b.erase("seconds");
    MESSAGE(name << ": " << a.dump() << " vs " << b.dump());
    CHECK(a["tokens"].get<int>() > 10);
    CHECK(a == b);  // the same doubles, printed identically
  }
}

TEST_CASE("a pytorch_model.bin whose pickle calls os.system is refused, nothing executed") {
  if (!have_fixture()) return;
  const fs::path dir = bin_dir() / "evil";
  const fs::path text = test::source_dir() / "data/samples/tunes.abc";
  const auto o = test::run_tunebench("score --model " + dir.string() + " " + text.string());
  CHECK(o.exit_code == 2);
  INFO("stderr: " << o.err);
  CHECK(o.err.find((dir / "pytorch_model.bin").string()) != std::string::npos);
  CHECK(o.err.find("global posix.system is not allowed") != std::string::npos);
  CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);
  CHECK_FALSE(fs::exists(dir / "EXECUTED"));
}
