// Batching and the KV cache: a sequence scored alone equals the same sequence inside a batch of
// mixed-length sequences in one forward call; incremental decoding (token by token, in chunks,
// after copy_prefix) equals a full prefill; bad checkpoints and bad positions throw tb::Error.
#include <doctest/doctest.h>

#include <filesystem>
#include <random>

#include "harness/backend/cpu/cpu_backend.hpp"
#include "harness/core/error.hpp"
#include "harness/io/checkpoint.hpp"
#include "harness/io/safetensors_writer.hpp"
#include "tests/unit/model/model_fixtures.hpp"

using namespace tb;
using namespace tb::test;

namespace {

constexpr double kSame = 1e-5;

std::vector<float> prefill(Model& model, const std::vector<int32_t>& tokens) {
  auto cache = model.make_cache(1, 64);
  ForwardBatch batch;
  append(batch, tokens, 0);
  std::vector<float> logits;
  model.forward(batch, *cache, logits);
  return logits;
}

struct Loaded {
  Checkpoint checkpoint;
  std::unique_ptr<Backend> backend = make_cpu_backend(2);
  std::unique_ptr<Model> model;
  explicit Loaded(const std::string& name) : checkpoint(Checkpoint::open(tiny(name))) {
    model = load_model(checkpoint, *backend);
  }
};

}  // namespace

TEST_CASE("batch invariance: alone vs. inside a mixed-length batch, one forward call") {
  for (const std::string name : {"llama-f32", "gpt2-f32"}) {
    CAPTURE(name);
    Loaded m(name);
    const Reference ref = load_reference(tiny(name));
    const int64_t vocab = m.model->config().vocab_size;
    // Slots in a scrambled order, one sequence repeated (40, 5, 17, 40 tokens).
    const std::vector<int> order = {2, 0, 1, 2};
    const std::vector<int32_t> slots = {3, 0, 2, 1};
    auto cache = m.model->make_cache(4, 64);
    ForwardBatch batch;
    for (size_t i = 0; i < order.size(); ++i) append(batch, ref.sequences[order[i]], slots[i]);
    std::vector<float> logits;
    m.model->forward(batch, *cache, logits);
    size_t row = 0;
    double worst = 0.0;
    for (size_t i = 0; i < order.size(); ++i) {
      const auto& seq = ref.sequences[order[i]];
      const auto alone = next_token_logprobs(prefill(*m.model, seq), vocab, seq);
      worst = std::max(worst, max_abs_diff(next_token_logprobs(logits, vocab, seq, row), alone));
      CHECK(cache->length(slots[i]) == static_cast<int>(seq.size()));
      row += seq.size();
    }
    MESSAGE(name << ": batch vs alone max |diff| = " << worst);
    CHECK(worst < kSame);

    // logit_rows picks rows: the last row of each sequence.
    batch.logit_rows = {39, 44};
    std::vector<float> picked;
    m.model->forward(batch, *cache, picked);
    REQUIRE(picked.size() == 2 * static_cast<size_t>(vocab));
    CHECK(max_abs_diff(std::vector<float>(picked.begin(), picked.begin() + vocab),
                       std::vector<float>(logits.begin() + 39 * vocab,
                                          logits.begin() + 40 * vocab)) < kSame);
  }
}

TEST_CASE("incremental decoding matches a full prefill: token by token, in chunks, shared prefix") {
  for (const std::string name : {"llama-f32", "gpt2-f32"}) {
    CAPTURE(name);
    Loaded m(name);
    const auto seq = load_reference(tiny(name)).sequences[2];  // 40 tokens
    const auto full = prefill(*m.model, seq);
    const auto n = static_cast<int32_t>(seq.size());
    for (int32_t chunk : {1, 7, 16}) {
      CAPTURE(chunk);
      auto cache = m.model->make_cache(2, 64);
      std::vector<float> all, logits;
      for (int32_t start = 0; start < n; start += chunk) {
        ForwardBatch batch;
        const int32_t end = std::min(n, start + chunk);
        append(batch, std::vector<int32_t>(seq.begin() + start, seq.begin() + end), 1, start);
        m.model->forward(batch, *cache, logits);
        all.insert(all.end(), logits.begin(), logits.end());
      }
      CHECK(cache->length(1) == n);
      CHECK(max_abs_diff(all, full) < kSame);
    }
    // Prefix sharing: prefill 25 tokens in slot 0, copy 20 to slot 2, continue slot 2 from 20.
    auto cache = m.model->make_cache(3, 64);
    ForwardBatch batch;
    append(batch, std::vector<int32_t>(seq.begin(), seq.begin() + 25), 0);
    std::vector<float> logits;
    m.model->forward(batch, *cache, logits);
    cache->copy_prefix(0, 2, 20);
    CHECK(cache->length(2) == 20);
    batch = {};
    append(batch, std::vector<int32_t>(seq.begin() + 20, seq.end()), 2, 20);
    m.model->forward(batch, *cache, logits);
    CHECK(max_abs_diff(logits, std::vector<float>(full.begin() + 20 * 300, full.end())) < kSame);
    // Truncation: set_length(0, 10) then rewrite positions 10.. with the sequence's tokens.
    cache->set_length(0, 10);
    batch = {};
    append(batch, std::vector<int32_t>(seq.begin() + 10, seq.end()), 0, 10);
    m.model->forward(batch, *cache, logits);
    CHECK(max_abs_diff(logits, std::vector<float>(full.begin() + 10 * 300, full.end())) < kSame);
  }
}

TEST_CASE("positions past the cache or the model, and malformed batches, throw tb::Error") {
  Loaded gpt2("gpt2-f32");  // n_positions 128
  auto cache = gpt2.model->make_cache(2, 200);
  std::vector<float> logits;
  auto expect_bad = [&](const ForwardBatch& batch, const std::string& needle) {
    try {
      gpt2.model->forward(batch, *cache, logits);
      FAIL("expected tb::Error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::BadInput);
      CHECK(std::string(e.what()).find(needle) != std::string::npos);
    }
  };
  ForwardBatch batch;
  append(batch, std::vector<int32_t>(130, 1), 0);
  expect_bad(batch, "max_positions 128");
  auto small = gpt2.model->make_cache(1, 8);
  batch = {};
  append(batch, std::vector<int32_t>(9, 1), 0);
  try {
    gpt2.model->forward(batch, *small, logits);
    FAIL("expected tb::Error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("capacity 8") != std::string::npos);
  }
  batch = {};
  append(batch, {1, 2}, 0, 5);  // slot 0 is empty: position 5 has no history
  expect_bad(batch, "holds only 0");
  batch = {};
  append(batch, {1, 2}, 0);
  append(batch, {1, 2}, 1);
  append(batch, {3}, 0, 2);
  expect_bad(batch, "two separate runs");
  batch = {};
  append(batch, {1, 300}, 0);
  expect_bad(batch, "token id 300");
  CHECK(cache->length(0) == 0);  // nothing above reached the cache lengths
}

TEST_CASE(
    "a checkpoint missing a tensor or holding a wrong shape surfaces the checkpoint's error") {
  const Checkpoint good = Checkpoint::open(tiny("llama-f32"));
  std::map<std::string, Tensor> weights;
  for (const auto& n : good.names()) weights[n] = good.load_f32(n, good.tensor(n).shape);
  const auto dir = std::filesystem::temp_directory_path() /
                   ("tb_test_model_" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(tiny("llama-f32") / "config.json", dir / "config.json");
  auto backend = make_cpu_backend(1);
  auto expect_error = [&](const std::string& needle) {
    const Checkpoint bad = Checkpoint::open(dir);
    try {
      load_model(bad, *backend);
      FAIL("expected tb::Error");
    } catch (const Error& e) {
      MESSAGE(std::string(e.what()));
      CHECK(std::string(e.what()).find(needle) != std::string::npos);
    }
  };
  const std::string victim = "model.layers.1.mlp.up_proj.weight";
  auto missing = weights;
  missing.erase(victim);
  write_safetensors(dir / "model.safetensors", missing);
  expect_error(victim);

  auto reshaped = weights;
  reshaped[victim] = Tensor::zeros({96, 63}, DType::F32);
  write_safetensors(dir / "model.safetensors", reshaped);
  expect_error(victim);
  std::filesystem::remove_all(dir);
}
