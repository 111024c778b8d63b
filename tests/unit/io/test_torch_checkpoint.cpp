// The torch.save reader: the zip container (minizip), the restricted unpickler and the state
// dict's tensors as views into the mapping, on hand-assembled files; the files torch itself
// writes are checked in tests/e2e/test_torch_bin.cpp.
#include <doctest/doctest.h>

#include "harness/io/checkpoint.hpp"
#include "harness/io/megatron_checkpoint.hpp"
#include "harness/io/torch_checkpoint_file.hpp"
#include "harness/io/torch_pickle.hpp"
#include "harness/io/zip_archive.hpp"
#include "tests/unit/io/io_test_util.hpp"
#include "tests/unit/io/torch_test_util.hpp"

using namespace tb;
using namespace tb::test;
namespace pk = tb::test::pickle;

namespace {

const std::string kProto2 = std::string("\x80\x02");
const std::string kFloats = raw<float>({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f});

// archive/data.pkl + archive/data/0 (six floats) + archive/byteorder.
std::filesystem::path write_torch(const TempDir& tmp, const std::string& pickle,
                                  bool deflate = false, const std::string& byteorder = "little") {
  const auto path = tmp / "pytorch_model.bin";
  write_zip(path, {{"archive/data.pkl", pickle},
                   {"archive/byteorder", byteorder},
                   {"archive/data/0", kFloats, deflate}});
  return path;
}

}  // namespace

TEST_CASE("zip: stored entries are views into the mapping, deflated ones are inflated") {
  TempDir tmp;
  const std::string text(5000, 'x');
  write_zip(tmp / "a.zip", {{"stored", "hello"}, {"packed", text, true}});
  const auto zip = ZipArchive::open(tmp / "a.zip");
  CHECK(zip->names() == std::vector<std::string>{"stored", "packed"});
  CHECK(zip->bytes("stored") == "hello");
  CHECK(zip->is_mapped("stored"));
  const auto* base = reinterpret_cast<const char*>(zip->file_data());
  CHECK(zip->bytes("stored").data() >= base);
  CHECK(zip->bytes("stored").data() < base + zip->file_size());
  CHECK_FALSE(zip->is_mapped("packed"));
  CHECK(zip->bytes("packed") == text);
  expect_error([&] { zip->bytes("absent"); }, ErrorKind::BadInput,
               {"a.zip", "entry absent", "missing"});
}

TEST_CASE("zip: files that are not zip archives, truncated and corrupted ones") {
  TempDir tmp;
  write_bytes(tmp / "text.zip", "not a zip at all");
  expect_error([&] { ZipArchive::open(tmp / "text.zip"); }, ErrorKind::BadInput,
               {"text.zip", "not a zip archive"});
  write_bytes(tmp / "empty.zip", "");
  expect_error([&] { ZipArchive::open(tmp / "empty.zip"); }, ErrorKind::BadInput, {"empty"});
  expect_error([&] { ZipArchive::open(tmp / "absent.zip"); }, ErrorKind::Io, {"absent.zip"});
  write_zip(tmp / "ok.zip", {{"a", std::string(3000, 'y'), true}});
  std::string bytes = read_all(tmp / "ok.zip");
  // Flip a byte of the deflated data (it starts after the 30-byte local header and the name).
  bytes[31 + 5] = static_cast<char>(bytes[31 + 5] ^ 0x55);
  write_bytes(tmp / "bad.zip", bytes);
  expect_error([&] { ZipArchive::open(tmp / "bad.zip"); }, ErrorKind::BadInput,
               {"bad.zip", "entry a"});
  write_bytes(tmp / "cut.zip", read_all(tmp / "ok.zip").substr(0, 40));
  expect_error([&] { ZipArchive::open(tmp / "cut.zip"); }, ErrorKind::BadInput, {"cut.zip"});
}

TEST_CASE("unpickler: a state dict of tensors, with OrderedDict, memo and _metadata BUILD") {
  // OrderedDict() REDUCE, BINPUT, items, then BUILD with {'_metadata': {...}}: what
  // nn.Module.state_dict() pickles to.
  const std::string stream = kProto2 + pk::global("collections", "OrderedDict") + ")Rq" +
                             std::string(1, '\0') + "(" + pk::str("w") +
                             pk::tensor("FloatStorage", "0", 6, 2, {2, 2}, {2, 1}) + pk::str("n") +
                             pk::int1(7) + "u}q\x01" + pk::str("_metadata") + "}sb.";
  const PickleRef root = unpickle(stream, "mem");
  REQUIRE(root->is(PickleValue::Kind::Dict));
  REQUIRE(root->entries.size() == 2);
  const PickleValue* w = root->find("w");
  REQUIRE(w != nullptr);
  REQUIRE(w->is(PickleValue::Kind::Tensor));
  CHECK(w->tensor.storage_type == "FloatStorage");
  CHECK(w->tensor.storage_key == "0");
  CHECK(w->tensor.storage_numel == 6);
  CHECK(w->tensor.offset == 2);
  CHECK(w->tensor.shape == std::vector<int64_t>{2, 2});
  CHECK(w->tensor.stride == std::vector<int64_t>{2, 1});
  CHECK(root->find("n")->integer == 7);
}

TEST_CASE("unpickler: any other global is refused by name, before anything runs") {
  // os.system('touch x') as pickle.dumps writes it for a __reduce__ returning (os.system, ...).
  const std::string evil = kProto2 + pk::global("os", "system") + pk::str("touch x") + "\x85R.";
  expect_error([&] { unpickle(evil, "f.bin: entry archive/data.pkl"); }, ErrorKind::BadInput,
               {"f.bin: entry archive/data.pkl", "global os.system is not allowed"});
  // STACK_GLOBAL (protocol 4) names are checked the same way.
  const std::string stacked =
      "\x80\x04\x8c\x08"
      "builtins"
      "\x8c\x04"
      "eval"
      "\x93)R.";
  expect_error([&] { unpickle(stacked, "mem"); }, ErrorKind::BadInput, {"global builtins.eval"});
  // A torch global that is not a storage type or _rebuild_tensor_v2.
  expect_error([&] { unpickle(kProto2 + pk::global("torch", "load") + ".", "mem"); },
               ErrorKind::BadInput, {"global torch.load"});
  // INST, OBJ and EXT1 would construct objects: refused as opcodes.
  expect_error([&] { unpickle("(ios\nsystem\n.", "mem"); }, ErrorKind::BadInput,
               {"opcode 0x69 is not allowed"});
  expect_error([&] { unpickle("\x80\x02\x82\x01.", "mem"); }, ErrorKind::BadInput, {"opcode 0x82"});
  // A plain-data class only where the caller allows it; its instance is inert data.
  const std::string ns = kProto2 + pk::global("argparse", "Namespace") + ")R}" +
                         pk::str("hidden_size") + pk::int1(64) + "sb.";
  expect_error([&] { unpickle(ns, "mem"); }, ErrorKind::BadInput, {"global argparse.Namespace"});
  const PickleRef obj = unpickle(ns, "mem", UnpicklePolicy{{"argparse.Namespace"}, {}});
  REQUIRE(obj->is(PickleValue::Kind::Object));
  CHECK(obj->text == "argparse.Namespace");
  CHECK(obj->find("hidden_size")->integer == 64);
  // Megatron's policy: whole modules by prefix (numpy's RNG state, Megatron's enums) are inert
  // data; a global outside them is still refused by name.
  const UnpicklePolicy megatron = megatron_unpickle_policy();
  const std::string enum_value =
      kProto2 + pk::global("megatron.core.enums", "ModelType") + pk::int1(1) + "\x85R.";
  expect_error([&] { unpickle(enum_value, "mem"); }, ErrorKind::BadInput,
               {"global megatron.core.enums.ModelType"});
  CHECK(unpickle(enum_value, "mem", megatron)->text == "megatron.core.enums.ModelType");
  expect_error([&] { unpickle(evil, "mem", megatron); }, ErrorKind::BadInput,
               {"global os.system is not allowed"});
  expect_error([&] { unpickle(kProto2 + pk::global("megatronx", "run") + ".", "mem", megatron); },
               ErrorKind::BadInput, {"global megatronx.run"});
}

TEST_CASE("unpickler: malformed streams name the problem and the byte offset") {
  expect_error([&] { unpickle("\x80\x02}", "mem"); }, ErrorKind::BadInput, {"truncated stream"});
  expect_error([&] { unpickle("\x80\x02h\x05.", "mem"); }, ErrorKind::BadInput,
               {"memo key 5 is not defined", "at byte 2"});
  expect_error([&] { unpickle("\x80\x02s.", "mem"); }, ErrorKind::BadInput, {"stack underflow"});
  expect_error([&] { unpickle("\x80\x02NN.", "mem"); }, ErrorKind::BadInput, {"2 values"});
  expect_error([&] { unpickle(kProto2 + "\x8a\x09" + std::string(9, '\x01') + ".", "mem"); },
               ErrorKind::BadInput, {"does not fit in 64 bits"});
  expect_error([&] { unpickle(kProto2 + pk::str("x") + "Q.", "mem"); }, ErrorKind::BadInput,
               {"persistent id is not a torch storage"});
  // A list appended to itself (EMPTY_LIST, DUP, APPEND) is refused; one that is made and then
  // popped is freed all the same (the sanitizer build's leak check catches either kept).
  expect_error([&] { unpickle("\x80\x02]2a.", "mem"); }, ErrorKind::BadInput,
               {"a value contains itself"});
  CHECK(unpickle("\x80\x02]2a0N.", "mem")->is(PickleValue::Kind::None));
  // Lists nested 64 deep are fine; 65 are refused (and the 10^5-deep one frees without
  // recursing 10^5 frames).
  auto nested = [](size_t depth) {
    return "\x80\x02" + std::string(depth, ']') + std::string(depth - 1, 'a') + ".";
  };
  CHECK(unpickle(nested(64), "mem")->is(PickleValue::Kind::List));
  expect_error([&] { unpickle(nested(65), "mem"); }, ErrorKind::BadInput,
               {"nested more than 64 deep"});
  expect_error([&] { unpickle(nested(100000), "mem"); }, ErrorKind::BadInput,
               {"nested more than 64 deep"});
  // A global named with a control character and a byte that is not UTF-8 is still named, the
  // byte shown as U+FFFD (found by fuzz_torch_checkpoint: the quoting threw type_error.316).
  expect_error([&] { unpickle(kProto2 + "cos\x01\x80\nsystem\n.", "mem"); }, ErrorKind::BadInput,
               {"global \"os\\u0001\xef\xbf\xbd.system\" is not allowed"});
  // Negative one-byte and two-byte longs (LONG1) are sign-extended.
  CHECK(unpickle("\x80\x02\x8a\x01\xff.", "mem")->integer == -1);
  CHECK(unpickle(std::string("\x80\x02\x8a\x02\x00\x80.", 7), "mem")->integer == -32768);
}

TEST_CASE("torch file: tensors are views of the stored storage, offsets and dtypes honoured") {
  TempDir tmp;
  const auto path =
      write_torch(tmp, pk::state_dict({{"a", pk::tensor("FloatStorage", "0", 6, 0, {2, 3}, {3, 1})},
                                       {"b", pk::tensor("FloatStorage", "0", 6, 4, {2}, {1})},
                                       {"c", pk::tensor("LongStorage", "0", 3, 0, {3}, {1})},
                                       {"d", pk::int1(3)}}));
  const auto file = TorchCheckpointFile::open(path);
  REQUIRE(file->tensors().size() == 2);
  const TensorInfo& a = file->tensors()[0];
  const TensorInfo& b = file->tensors()[1];
  CHECK(a.name == "a");
  CHECK(a.shape == Shape{2, 3});
  CHECK(a.nbytes == 24);
  CHECK(a.file == path.string());
  const auto* base = file->archive().file_data();
  CHECK(a.data >= base);
  CHECK(a.data + a.nbytes <= base + file->archive().file_size());
  float values[2];
  std::memcpy(values, b.data, sizeof values);
  CHECK(values[0] == 5.0f);
  CHECK(values[1] == 6.0f);
  REQUIRE(file->unsupported().size() == 2);
  CHECK(file->unsupported()[0].name == "c");
  CHECK(file->unsupported()[0].dtype == "I64");
  CHECK(file->unsupported()[1].dtype == "int");

  // Deflated storages (torch never writes them, zip tools may) are inflated, same values.
  TempDir tmp2;
  const auto packed = write_torch(
      tmp2, pk::state_dict({{"a", pk::tensor("FloatStorage", "0", 6, 0, {6}, {1})}}), true);
  const auto file2 = TorchCheckpointFile::open(packed);
  CHECK_FALSE(file2->archive().is_mapped("archive/data/0"));
  CHECK(std::string(reinterpret_cast<const char*>(file2->tensors()[0].data), 24) == kFloats);
}

TEST_CASE("torch file: inconsistent storages, views and containers are refused by name") {
  TempDir tmp;
  auto open_with = [&](const std::string& pickle, const std::string& byteorder = "little") {
    return [&tmp, pickle, byteorder] {
      TorchCheckpointFile::open(write_torch(tmp, pickle, false, byteorder));
    };
  };
  expect_error(open_with(pk::state_dict({{"w", pk::tensor("FloatStorage", "0", 7, 0, {7}, {1})}})),
               ErrorKind::BadInput, {"tensor w", "holds 24 bytes, not 7 elements"});
  expect_error(open_with(pk::state_dict({{"w", pk::tensor("FloatStorage", "9", 6, 0, {6}, {1})}})),
               ErrorKind::BadInput, {"tensor w", "no entry archive/data/9"});
  expect_error(
      open_with(pk::state_dict({{"w", pk::tensor("FloatStorage", "0", 6, 3, {2, 2}, {2, 1})}})),
      ErrorKind::BadInput, {"tensor w", "extends past the end of storage 0"});
  expect_error(
      open_with(pk::state_dict({{"w", pk::tensor("FloatStorage", "0", 6, 0, {2, 3}, {1, 2})}})),
      ErrorKind::Unsupported, {"tensor w", "non-contiguous"});
  expect_error(open_with("\x80\x02]."), ErrorKind::BadInput,
               {"state dict", "must be a dict of tensors, found list"});
  expect_error(open_with(pk::state_dict({}), "big"), ErrorKind::Unsupported, {"little-endian"});
  // A dict that contains itself (memo 0 is the top-level dict) is refused, and freed: the
  // sanitizer build's leak check fails this case if the cycle is kept.
  expect_error(open_with(pk::state_dict({{"self", std::string("h\0", 2)}})), ErrorKind::BadInput,
               {"data.pkl", "a value contains itself"});
  write_zip(tmp / "plain.zip", {{"readme.txt", "hi"}});
  expect_error([&] { TorchCheckpointFile::open(tmp / "plain.zip"); }, ErrorKind::BadInput,
               {"plain.zip", "no <archive>/data.pkl"});
  write_bytes(tmp / "legacy.bin",
              "\x80\x02\x8a\x0a"
              "l\xfc\x9c"
              "F\xf9 j\xa8"
              "P\x19.");
  expect_error([&] { TorchCheckpointFile::open(tmp / "legacy.bin"); }, ErrorKind::Unsupported,
               {"legacy.bin", "legacy (before PyTorch 1.6)"});
}

TEST_CASE("checkpoint: pytorch_model.bin when no safetensors file exists, safetensors first") {
  TempDir tmp;
  write_bytes(
      tmp / "config.json",
      R"({"model_type": "llama", "vocab_size": 8, "hidden_size": 4, "intermediate_size": 8,)"
      R"( "num_hidden_layers": 1, "num_attention_heads": 2, "max_position_embeddings": 16,)"
      R"( "rms_norm_eps": 1e-6})");
  write_torch(tmp, pk::state_dict({{"w", pk::tensor("FloatStorage", "0", 6, 0, {6}, {1})}}));
  const Checkpoint ckpt = Checkpoint::open(tmp.path());
  CHECK(ckpt.names() == std::vector<std::string>{"w"});
  CHECK(ckpt.load_f32("w", {6}).data_as<float>()[5] == 6.0f);
  const std::string hash = ckpt.content_hash();
  CHECK(hash.size() == 16);
  // The hash follows the weights.
  write_torch(tmp, pk::state_dict({{"w", pk::tensor("FloatStorage", "0", 6, 0, {3, 2}, {2, 1})}}));
  CHECK(Checkpoint::open(tmp.path()).content_hash() != hash);
  // A safetensors file wins over pytorch_model.bin, as in transformers.
  write_bytes(tmp / "model.safetensors",
              safetensors_bytes(R"({"s":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                                raw<float>({1.0f})));
  CHECK(Checkpoint::open(tmp.path()).names() == std::vector<std::string>{"s"});
}
