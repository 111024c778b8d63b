// PEFT LoRA adapters on tiny-abc-llama and tiny-mmm-gpt2 (tools/make_lora_adapters.py, CTest
// fixture lora_adapters): tunebench's merged load scores as the PyTorch reference that applies
// the adapter unmerged, on the fly, within 1e-4 per token; rsLoRA scaling, a regex
// target_modules, modules_to_save and GPT-2's fan_in_fan_out included; unsupported PEFT variants
// are exit 2 naming the field.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "harness/backend/cpu/cpu_backend.hpp"
#include "harness/core/error.hpp"
#include "harness/io/checkpoint.hpp"
#include "harness/model/lora_merge.hpp"
#include "harness/model/model.hpp"
#include "tests/e2e/run_tunebench.hpp"
#include "tests/unit/test_paths.hpp"

namespace fs = std::filesystem;
using namespace tb;

namespace {

fs::path adapters() {
  return test::binary_dir() / "lora-adapters";
}
fs::path base_dir() {
  return test::source_dir() / "data/models/tiny-abc-llama";
}

bool have_fixture() {
  if (fs::exists(adapters() / "reference.json")) return true;
  MESSAGE("SKIP: " << adapters().string()
                   << " missing (needs /usr/bin/python3 with torch: tools/make_lora_adapters.py)");
  return false;
}

// log p(t[i+1] | t[..i]) of each sequence.
std::vector<std::vector<double>> logprobs(const Checkpoint& ckpt,
                                          const std::vector<std::vector<int32_t>>& seqs) {
  auto backend = make_cpu_backend(2, CpuKernels::Fast);
  auto model = load_model(ckpt, *backend);
  const int64_t vocab = model->config().vocab_size;
  std::vector<std::vector<double>> out;
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
    std::vector<double> lp;
    for (size_t i = 0; i + 1 < seq.size(); ++i) {
      const float* row = logits.data() + i * static_cast<size_t>(vocab);
      double max_value = -INFINITY, total = 0.0;
      for (int64_t v = 0; v < vocab; ++v) max_value = std::max(max_value, double{row[v]});
      for (int64_t v = 0; v < vocab; ++v) total += std::exp(row[v] - max_value);
      lp.push_back(row[seq[i + 1]] - max_value - std::log(total));
    }
    out.push_back(std::move(lp));
  }
  return out;
}

double max_diff(const std::vector<std::vector<double>>& a,
                const std::vector<std::vector<double>>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0.0;
  for (size_t s = 0; s < a.size(); ++s) {
    REQUIRE(a[s].size() == b[s].size());
    for (size_t i = 0; i < a[s].size(); ++i) worst = std::max(worst, std::abs(a[s][i] - b[s][i]));
  }
  return worst;
}

}  // namespace

TEST_CASE("LoRA: the merged load scores as the unmerged PyTorch reference within 1e-4") {
  if (!have_fixture()) return;
  std::ifstream in(adapters() / "reference.json");
  const auto ref = nlohmann::json::parse(in);
  // Modules merged per adapter: 6 LLaMA layers x 2, 4 GPT-2 layers x 2 (c_attn, c_fc).
  const std::map<std::string, int> merged = {{"plain", 12}, {"rslora", 12}, {"gpt2-conv1d", 8}};
  const std::map<std::string, double> scaling = {
      {"plain", 16.0 / 8.0}, {"rslora", 8.0 / std::sqrt(4.0)}, {"gpt2-conv1d", 8.0 / 4.0}};
  int checked = 0;
  for (const auto& model : ref.at("models")) {
    const fs::path dir = test::source_dir() / model.at("base_dir").get<std::string>();
    CAPTURE(dir);
    const auto seqs = model.at("sequences").get<std::vector<std::vector<int32_t>>>();
    const Checkpoint base = Checkpoint::open(dir);
    const auto base_lp = logprobs(base, seqs);
    CHECK(max_diff(base_lp, model.at("base").get<std::vector<std::vector<double>>>()) < 1e-4);
    std::set<std::string> hashes{base.content_hash()};
    for (const auto& [name, expected_json] : model.at("adapters").items()) {
      CAPTURE(name);
      Checkpoint ckpt = Checkpoint::open(dir);
      const auto reports = merge_lora_adapters(ckpt, {adapters() / name});
      REQUIRE(reports.size() == 1);
      CHECK(reports[0].merged == merged.at(name));
      CHECK(reports[0].replaced == (name == "rslora" ? 1 : 0));  // modules_to_save lm_head
      CHECK(reports[0].scaling == doctest::Approx(scaling.at(name)));
      const auto expected = expected_json.get<std::vector<std::vector<double>>>();
      const auto got = logprobs(ckpt, seqs);
      const double worst = max_diff(got, expected);
      MESSAGE(name << ": max |log-prob - unmerged PyTorch| = " << worst
                   << "; against the base: " << max_diff(got, base_lp));
      CHECK(worst < 1e-4);
      CHECK(max_diff(got, base_lp) > 0.1);  // the adapter matters
      hashes.insert(ckpt.content_hash());
      ++checked;
    }
    CHECK(hashes.size() == model.at("adapters").size() + 1);  // the adapter is in the identity
  }
  CHECK(checked == 3);
}

TEST_CASE("LoRA: --adapter on the command line; other PEFT types and DoRA are exit 2") {
  if (!have_fixture()) return;
  const std::string text = (test::source_dir() / "data/samples/tunes.abc").string();
  const std::string model = " --model " + base_dir().string();
  const auto plain = test::run_tunebench("score --json" + model + " " + text);
  const auto merged = test::run_tunebench("score --json" + model + " --adapter " +
                                          (adapters() / "plain").string() + " " + text);
  REQUIRE(plain.exit_code == 0);
  REQUIRE(merged.exit_code == 0);
  const double a = nlohmann::json::parse(plain.out)["corpus"]["logprob"];
  const double b = nlohmann::json::parse(merged.out)["corpus"]["logprob"];
  CHECK(a != b);
  const auto prefix = test::run_tunebench("score" + model + " --adapter " +
                                          (adapters() / "prefix").string() + " " + text);
  CHECK(prefix.exit_code == 2);
  CHECK(prefix.err.find("adapter_config.json: peft_type: PREFIX_TUNING is not supported") !=
        std::string::npos);
  const auto dora = test::run_tunebench("score" + model + " --adapter " +
                                        (adapters() / "dora").string() + " " + text);
  CHECK(dora.exit_code == 2);
  CHECK(dora.err.find("use_dora") != std::string::npos);
  const auto missing = test::run_tunebench("score" + model + " --adapter " +
                                           (adapters() / "nope").string() + " " + text);
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("no adapter_config.json") != std::string::npos);
}

// Issue 31: adapter_config.json fields that were read wrong. No weights are needed: the config is
// refused before adapter_model.* is looked for.
TEST_CASE("LoRA: r beyond int and a numeric peft_type are exit-2 errors naming the field") {
  const fs::path dir = fs::temp_directory_path() / "tb_lora_bad_config";
  fs::create_directories(dir);
  auto refused = [&](const std::string& config) -> std::string {
    std::ofstream(dir / "adapter_config.json") << config;
    Checkpoint ckpt = Checkpoint::open(base_dir());
    try {
      merge_lora_adapters(ckpt, {dir});
    } catch (const Error& e) {
      CHECK(e.exit_code() == 2);
      return e.what();
    }
    return "accepted";
  };
  const std::string rest = R"(, "lora_alpha": 16, "target_modules": ["q_proj"]})";
  // 2^32 + 4 was read as 4 (and merged with alpha / 4); 2^31 printed as -2147483648.
  for (const char* r : {"4294967300", "2147483648", "18446744073709551615", "0", "-3", "2.5"}) {
    CAPTURE(r);
    const std::string what = refused(std::string(R"({"peft_type": "LORA", "r": )") + r + rest);
    CHECK(what.find("adapter_config.json: r: must be a positive integer") != std::string::npos);
  }
  // A number where the type's name belongs was nlohmann's type_error: an internal error (70).
  const std::string what = refused(R"({"peft_type": 5, "r": 4)" + rest);
  CHECK(what.find("adapter_config.json: peft_type: missing or not a string") != std::string::npos);
  fs::remove_all(dir);
}
