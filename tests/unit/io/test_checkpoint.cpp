// Checkpoint: single-file and sharded directories, exact widening of hand-written f32/f16/bf16
// values, require()/tensor() messages, shard-index consistency, content_hash, the writer, and the
// tiny PyTorch-written checkpoints under data/golden/tiny-random.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "harness/core/error.hpp"
#include "harness/io/checkpoint.hpp"
#include "harness/io/safetensors_writer.hpp"
#include "tests/unit/io/io_test_util.hpp"

namespace tb {
namespace {

namespace fs = std::filesystem;
using test::expect_error;
using test::raw;
using test::safetensors_bytes;
using test::TempDir;
using test::write_bytes;

constexpr const char* kConfig = R"({"model_type": "llama", "vocab_size": 8, "hidden_size": 4,
  "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
  "max_position_embeddings": 16, "rms_norm_eps": 1e-6})";

// Hand-computed values of the stored bits (IEEE binary16 / bfloat16 decoding).
const std::string kF16Bits = raw<uint16_t>({0x3C00, 0xC000, 0x3555, 0x7BFF, 0x0001});
const float kF16Values[] = {1.0f, -2.0f, 0.333251953125f, 65504.0f, 5.9604644775390625e-08f};
const std::string kBF16Bits = raw<uint16_t>({0x3F80, 0xC040, 0x4049, 0x0001});
const float kBF16Values[] = {1.0f, -3.0f, 3.140625f, 9.18354961579912e-41f};

// A directory with config.json and model.safetensors holding f32 "a" [2, 2], f16 "h" [5] and
// bf16 "b" [4] (+ optional extra header entries and data).
void write_single(const TempDir& tmp, const std::string& extra_header = "",
                  const std::string& extra_data = "") {
  write_bytes(tmp / "config.json", kConfig);
  const std::string header = R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
                             R"("h":{"dtype":"F16","shape":[5],"data_offsets":[16,26]},)"
                             R"("b":{"dtype":"BF16","shape":[4],"data_offsets":[26,34]})" +
                             extra_header + "}";
  write_bytes(tmp / "model.safetensors",
              safetensors_bytes(header, raw<float>({1.5f, -2.0f, 0.25f, 3.0f}) + kF16Bits +
                                            kBF16Bits + extra_data));
}

template <size_t N>
void check_values(const Tensor& t, const float (&expected)[N]) {
  REQUIRE(t.dtype() == DType::F32);
  REQUIRE(static_cast<size_t>(t.numel()) == N);
  for (size_t i = 0; i < N; ++i) {
    INFO("element " << i);
    CHECK(t.data_as<float>()[i] == expected[i]);
  }
}

TEST_CASE("a single-file checkpoint widens f32, f16 and bf16 values exactly") {
  TempDir tmp;
  write_single(tmp);
  const Checkpoint ckpt = Checkpoint::open(tmp.path());
  CHECK(ckpt.dir() == tmp.path());
  CHECK(ckpt.config().hidden_size == 4);
  CHECK(ckpt.names() == std::vector<std::string>{"a", "b", "h"});
  CHECK(ckpt.has("a"));
  CHECK_FALSE(ckpt.has("z"));
  CHECK(ckpt.tensor("h").dtype == DType::F16);
  CHECK(ckpt.require("a", {2, 2}).nbytes == 16);
  const float a[] = {1.5f, -2.0f, 0.25f, 3.0f};
  check_values(ckpt.load_f32("a", {2, 2}), a);
  check_values(ckpt.load_f32("h", {5}), kF16Values);
  check_values(ckpt.load_f32("b", {4}), kBF16Values);
}

TEST_CASE("require() and tensor() name the file, the tensor and both shapes") {
  TempDir tmp;
  write_single(tmp);
  const Checkpoint ckpt = Checkpoint::open(tmp.path());
  const std::string file = (tmp / "model.safetensors").string();
  expect_error(
      [&] {
        ckpt.require("a", {4, 2});
      },
      ErrorKind::BadInput, {file + ": tensor a: shape [2, 2] but the model needs [4, 2]"});
  expect_error(
      [&] {
        ckpt.load_f32("h", {1, 5});
      },
      ErrorKind::BadInput, {"tensor h: shape [5] but the model needs [1, 5]"});
  expect_error(
      [&] {
        ckpt.require("lm_head.weight", {8, 4});
      },
      ErrorKind::BadInput, {tmp.path().string() + ": tensor lm_head.weight: missing"});
  expect_error([&] { ckpt.tensor("nope"); }, ErrorKind::BadInput, {"tensor nope: missing"});
}

TEST_CASE("a tensor of an unsupported dtype fails only when used") {
  TempDir tmp;
  write_single(tmp, R"(,"ids":{"dtype":"I64","shape":[1],"data_offsets":[34,42]})",
               std::string(8, '\0'));
  const Checkpoint ckpt = Checkpoint::open(tmp.path());
  CHECK(ckpt.names().size() == 3);
  CHECK_FALSE(ckpt.has("ids"));
  expect_error([&] { ckpt.tensor("ids"); }, ErrorKind::Unsupported,
               {(tmp / "model.safetensors").string(), "tensor ids", "dtype I64"});
}

TEST_CASE("directories without a usable checkpoint") {
  TempDir tmp;
  expect_error([&] { Checkpoint::open(tmp / "absent"); }, ErrorKind::Io,
               {"absent", "does not exist"});
  expect_error([&] { Checkpoint::open(tmp.path()); }, ErrorKind::Io, {"config.json"});
  write_bytes(tmp / "config.json", kConfig);
  expect_error([&] { Checkpoint::open(tmp.path()); }, ErrorKind::Io,
               {tmp.path().string(), "no model.safetensors"});
  write_bytes(tmp / "pytorch_model.bin", "PK");
  expect_error([&] { Checkpoint::open(tmp.path()); }, ErrorKind::BadInput,
               {"pytorch_model.bin", "not a zip archive"});
  write_bytes(tmp / "config.json", R"({"model_type": "t5"})");
  expect_error([&] { Checkpoint::open(tmp.path()); }, ErrorKind::Unsupported,
               {"config.json: model_type: unknown architecture 't5'"});
}

// Two shards: "s1" holds a, b; "s2" holds c. `map` is the index's weight_map.
void write_sharded(const TempDir& tmp, const nlohmann::json& map) {
  write_bytes(tmp / "config.json", kConfig);
  write_bytes(tmp / "s1.safetensors",
              safetensors_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                raw<float>({1.0f, 2.0f})));
  write_bytes(tmp / "s2.safetensors",
              safetensors_bytes(R"({"c":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}})",
                                raw<uint16_t>({0x4049})));
  nlohmann::json index = {{"metadata", {{"total_size", 10}}}, {"weight_map", map}};
  write_bytes(tmp / "model.safetensors.index.json", index.dump());
}

const nlohmann::json kGoodMap = {
    {"a", "s1.safetensors"}, {"b", "s1.safetensors"}, {"c", "s2.safetensors"}};

TEST_CASE("a sharded checkpoint gathers the tensors of every shard") {
  TempDir tmp;
  write_sharded(tmp, kGoodMap);
  const Checkpoint ckpt = Checkpoint::open(tmp.path());
  CHECK(ckpt.names() == std::vector<std::string>{"a", "b", "c"});
  CHECK(ckpt.tensor("c").file == (tmp / "s2.safetensors").string());
  const float b[] = {2.0f};
  check_values(ckpt.load_f32("b", {1}), b);
  const float c[] = {3.140625f};
  check_values(ckpt.load_f32("c", {1}), c);
}

TEST_CASE("an inconsistent shard index is an error naming the file and the tensor") {
  TempDir tmp;
  const std::string index = (tmp / "model.safetensors.index.json").string();
  auto map_with = [](const char* name, nlohmann::json value) {
    nlohmann::json map = kGoodMap;
    map[name] = std::move(value);
    return map;
  };
  SUBCASE("a shard that does not exist") {
    write_sharded(tmp, map_with("c", "s3.safetensors"));
    expect_error([&] { Checkpoint::open(tmp.path()); }, ErrorKind::Io,
                 {"s3.safetensors", "tensor c", index});
  }
  SUBCASE("a tensor the named shard lacks") {
    write_sharded(tmp, map_with("d", "s2.safetensors"));
    expect_error([&] { Checkpoint::open(tmp.path()); }, ErrorKind::BadInput,
                 {index, "weight_map.d", "missing from shard s2.safetensors"});
  }
  SUBCASE("a tensor placed in the wrong shard") {
    write_sharded(tmp, map_with("b", "s2.safetensors"));
    expect_error([&] { Checkpoint::open(tmp.path()); }, ErrorKind::BadInput,
                 {"s1.safetensors", "tensor b", "places it in s2.safetensors"});
  }
  SUBCASE("a tensor in a shard but not in the map") {
    nlohmann::json map = kGoodMap;
    map.erase("b");
    write_sharded(tmp, map);
    expect_error([&] { Checkpoint::open(tmp.path()); }, ErrorKind::BadInput,
                 {"s1.safetensors", "tensor b", "not listed in the weight_map"});
  }
  SUBCASE("a tensor present in two shards") {
    write_sharded(tmp, kGoodMap);
    write_bytes(tmp / "s2.safetensors",
                safetensors_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                  R"("c":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]}})",
                                  std::string(6, '\0')));
    expect_error([&] { Checkpoint::open(tmp.path()); }, ErrorKind::BadInput,
                 {"s2.safetensors", "tensor a", "also present in", "s1.safetensors"});
  }
  SUBCASE("a shard path leaving the directory") {
    write_sharded(tmp, map_with("c", "../s2.safetensors"));
    expect_error([&] { Checkpoint::open(tmp.path()); }, ErrorKind::BadInput,
                 {index, "weight_map.c", "not a file name inside"});
  }
  SUBCASE("a shard name that is not a string") {
    write_sharded(tmp, map_with("c", 2));
    expect_error([&] { Checkpoint::open(tmp.path()); }, ErrorKind::BadInput,
                 {index, "weight_map.c", "found an integer"});
  }
  SUBCASE("no weight_map") {
    write_sharded(tmp, kGoodMap);
    write_bytes(tmp / "model.safetensors.index.json", R"({"metadata": {}})");
    expect_error([&] { Checkpoint::open(tmp.path()); }, ErrorKind::BadInput,
                 {index, "weight_map: missing"});
  }
  SUBCASE("index not JSON") {
    write_sharded(tmp, kGoodMap);
    write_bytes(tmp / "model.safetensors.index.json", "{weight_map}");
    expect_error([&] { Checkpoint::open(tmp.path()); }, ErrorKind::BadInput,
                 {index, "malformed JSON"});
  }
  SUBCASE("a broken shard") {
    write_sharded(tmp, kGoodMap);
    write_bytes(tmp / "s2.safetensors",
                safetensors_bytes(R"({"c":{"dtype":"BF16","shape":[2],"data_offsets":[0,2]}})",
                                  std::string(2, '\0')));
    expect_error([&] { Checkpoint::open(tmp.path()); }, ErrorKind::BadInput,
                 {"s2.safetensors", "tensor c", "needs 4 bytes"});
  }
}

TEST_CASE("write_safetensors writes the format byte for byte") {
  TempDir tmp;
  Tensor a = Tensor::zeros({2, 3}, DType::F32);
  for (int i = 0; i < 6; ++i) a.data_as<float>()[i] = static_cast<float>(i) - 2.5f;
  Tensor h = Tensor::zeros({5}, DType::F16);
  std::memcpy(h.data(), kF16Bits.data(), kF16Bits.size());
  Tensor b = Tensor::zeros({2, 2}, DType::BF16);
  std::memcpy(b.data(), kBF16Bits.data(), kBF16Bits.size());
  write_safetensors(tmp / "model.safetensors", {{"w.a", a}, {"w.h", h}, {"w.b", b}},
                    {{"format", "pt"}});

  const std::string bytes = test::read_all(tmp / "model.safetensors");
  REQUIRE(bytes.size() >= 8);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = header_len << 8 | static_cast<unsigned char>(bytes[i]);
  CHECK(header_len % 8 == 0);
  REQUIRE(bytes.size() == 8 + header_len + 24 + 10 + 8);
  const auto header = nlohmann::json::parse(bytes.substr(8, header_len));
  CHECK(header["__metadata__"]["format"] == "pt");
  // Name order: w.a, w.b, w.h.
  CHECK(header["w.a"] ==
        nlohmann::json::parse(R"({"dtype":"F32","shape":[2,3],"data_offsets":[0,24]})"));
  CHECK(header["w.b"] ==
        nlohmann::json::parse(R"({"dtype":"BF16","shape":[2,2],"data_offsets":[24,32]})"));
  CHECK(header["w.h"] ==
        nlohmann::json::parse(R"({"dtype":"F16","shape":[5],"data_offsets":[32,42]})"));
  const std::string data = bytes.substr(8 + header_len);
  CHECK(data.substr(24, 8) == kBF16Bits);
  CHECK(data.substr(32, 10) == kF16Bits);

  write_bytes(tmp / "config.json", kConfig);
  const Checkpoint ckpt = Checkpoint::open(tmp.path());
  check_values(ckpt.load_f32("w.h", {5}), kF16Values);
  check_values(ckpt.load_f32("w.b", {2, 2}), kBF16Values);
  const float expected_a[] = {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f};
  check_values(ckpt.load_f32("w.a", {2, 3}), expected_a);
}

TEST_CASE("content_hash is stable and follows the headers and the weights") {
  TempDir tmp;
  write_single(tmp);
  const std::string hash = Checkpoint::open(tmp.path()).content_hash();
  CHECK(hash.size() == 16);
  CHECK(hash.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(Checkpoint::open(tmp.path()).content_hash() == hash);

  // One weight bit flipped.
  std::string bytes = test::read_all(tmp / "model.safetensors");
  bytes[bytes.size() - 1] = static_cast<char>(bytes[bytes.size() - 1] ^ 1);
  write_bytes(tmp / "model.safetensors", bytes);
  CHECK(Checkpoint::open(tmp.path()).content_hash() != hash);

  // A large file (sampled): the first and the last byte of the data section count.
  TempDir big;
  write_bytes(big / "config.json", kConfig);
  const size_t count = 5 * 1024 * 1024;  // 20 MiB of f32
  Tensor w = Tensor::zeros({static_cast<int64_t>(count)}, DType::F32);
  write_safetensors(big / "model.safetensors", {{"w", w}});
  const std::string big_hash = Checkpoint::open(big.path()).content_hash();
  w.data_as<float>()[0] = 1.0f;
  write_safetensors(big / "model.safetensors", {{"w", w}});
  const std::string first_changed = Checkpoint::open(big.path()).content_hash();
  CHECK(first_changed != big_hash);
  w.data_as<float>()[count - 1] = 1.0f;
  write_safetensors(big / "model.safetensors", {{"w", w}});
  CHECK(Checkpoint::open(big.path()).content_hash() != first_changed);
}

TEST_CASE("the tiny PyTorch-written checkpoints open, sharded or not") {
  const fs::path root = test::source_dir() / "data" / "golden" / "tiny-random";
  if (!fs::is_directory(root)) {
    MESSAGE("skipped: " << root.string() << " is absent");
    return;
  }
  const Checkpoint single = Checkpoint::open(root / "llama-f32");
  const Checkpoint sharded = Checkpoint::open(root / "llama-f32-sharded");
  CHECK(single.config().num_kv_heads == 2);
  CHECK(single.config().head_dim == 16);
  CHECK(single.names().size() == 21);  // embed, 2 x 9 per layer, norm, lm_head
  REQUIRE(sharded.names() == single.names());
  for (const auto& name : single.names()) {
    const TensorInfo& x = single.tensor(name);
    const TensorInfo& y = sharded.tensor(name);
    INFO(name);
    CHECK(x.shape == y.shape);
    REQUIRE(x.nbytes == y.nbytes);
    CHECK(std::memcmp(x.data, y.data, x.nbytes) == 0);
  }
  CHECK(single.require("model.embed_tokens.weight", {300, 64}).dtype == DType::F32);
  CHECK(single.content_hash() != sharded.content_hash());

  for (const char* dir : {"llama-f16", "llama-bf16", "gpt2-f32", "gpt2-f16", "gpt2-bf16"}) {
    INFO(dir);
    CHECK_NOTHROW(Checkpoint::open(root / dir));
  }
  const Checkpoint gpt2 = Checkpoint::open(root / "gpt2-f32");
  CHECK(gpt2.config().architecture == Architecture::Gpt2);
  CHECK(gpt2.config().intermediate_size == 192);
  CHECK(gpt2.config().tie_word_embeddings);
}

}  // namespace
}  // namespace tb
