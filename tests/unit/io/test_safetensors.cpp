// SafetensorsFile: valid files map to the right views; every malformed header is a one-line
// BadInput naming the file and the tensor or "header". Files are written byte by byte here, so
// the expected layout does not come from tunebench's own writer.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdint>
#include <limits>
#include <string>

#include "harness/core/dtype.hpp"
#include "harness/core/error.hpp"
#include "harness/io/safetensors_file.hpp"
#include "tests/unit/io/io_test_util.hpp"

namespace tb {
namespace {

using test::expect_error;
using test::raw;
using test::safetensors_bytes;
using test::TempDir;
using test::write_bytes;

// Writes a one-tensor file "bad.safetensors" and opens it.
void open_header(const TempDir& tmp, const std::string& header, const std::string& data) {
  write_bytes(tmp / "bad.safetensors", safetensors_bytes(header, data));
  SafetensorsFile::open(tmp / "bad.safetensors");
}

TEST_CASE("a valid file exposes each tensor's dtype, shape and bytes") {
  TempDir tmp;
  // Hand-written bytes: f32 [1.5, -2], f16 [1, -2] (0x3C00, 0xC000), bf16 [1] (0x3F80).
  const std::string data =
      raw<float>({1.5f, -2.0f}) + raw<uint16_t>({0x3C00, 0xC000}) + raw<uint16_t>({0x3F80});
  const std::string header = R"({"__metadata__":{"format":"pt"},)"
                             R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("h":{"dtype":"F16","shape":[1,2],"data_offsets":[8,12]},)"
                             R"("b":{"dtype":"BF16","shape":[],"data_offsets":[12,14]},)"
                             R"("e":{"dtype":"F32","shape":[0,3],"data_offsets":[14,14]}}   )";
  write_bytes(tmp / "ok.safetensors", safetensors_bytes(header, data));
  const auto file = SafetensorsFile::open(tmp / "ok.safetensors");
  CHECK(file->header() == header);
  CHECK(file->data_size() == data.size());
  CHECK(file->metadata().at("format") == "pt");
  const auto& t = file->tensors();
  REQUIRE(t.size() == 4);
  // Sorted by name: b, e, h, w.
  CHECK(t[0].name == "b");
  CHECK(t[0].dtype == DType::BF16);
  CHECK(t[0].shape == Shape{});
  CHECK(t[0].nbytes == 2);
  CHECK(t[1].name == "e");
  CHECK(t[1].shape == Shape{0, 3});
  CHECK(t[1].nbytes == 0);
  CHECK(t[2].name == "h");
  CHECK(t[2].dtype == DType::F16);
  CHECK(t[2].shape == Shape{1, 2});
  CHECK(t[3].name == "w");
  CHECK(t[3].file == (tmp / "ok.safetensors").string());
  CHECK(t[3].data == file->data_section());
  CHECK(t[2].data == file->data_section() + 8);
  float w[2];
  convert_to_f32(t[3].data, DType::F32, 2, w);
  CHECK(w[0] == 1.5f);
  CHECK(w[1] == -2.0f);
  float h[2];
  convert_to_f32(t[2].data, DType::F16, 2, h);
  CHECK(h[0] == 1.0f);
  CHECK(h[1] == -2.0f);
}

TEST_CASE("dtypes tunebench does not compute with are validated and listed apart") {
  TempDir tmp;
  write_bytes(tmp / "i.safetensors",
              safetensors_bytes(R"({"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})",
                                std::string(16, '\0')));
  const auto file = SafetensorsFile::open(tmp / "i.safetensors");
  CHECK(file->tensors().empty());
  REQUIRE(file->unsupported().size() == 1);
  CHECK(file->unsupported()[0].name == "ids");
  CHECK(file->unsupported()[0].dtype == "I64");
  // Its byte range is still checked: 2 x I64 is 16 bytes, not 8.
  expect_error(
      [&] {
        open_header(tmp, R"({"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,8]}})",
                    std::string(16, '\0'));
      },
      ErrorKind::BadInput, {"bad.safetensors", "tensor ids", "16 bytes"});
}

TEST_CASE("files that cannot be read are Io errors naming the path") {
  TempDir tmp;
  expect_error([&] { SafetensorsFile::open(tmp / "absent.safetensors"); }, ErrorKind::Io,
               {"absent.safetensors"});
  write_bytes(tmp / "empty.safetensors", "");
  expect_error([&] { SafetensorsFile::open(tmp / "empty.safetensors"); }, ErrorKind::Io,
               {"empty.safetensors", "empty"});
  expect_error([&] { SafetensorsFile::open(tmp.path()); }, ErrorKind::Io, {tmp.path().string()});
}

TEST_CASE("a broken header is BadInput naming the file and 'header'") {
  TempDir tmp;
  const auto file = (tmp / "bad.safetensors").string();
  SUBCASE("shorter than the length field") {
    write_bytes(tmp / "bad.safetensors", "abc");
    expect_error([&] { SafetensorsFile::open(file); }, ErrorKind::BadInput, {file, "header"});
  }
  SUBCASE("header length past the end of the file") {
    write_bytes(tmp / "bad.safetensors", test::le64(100) + "{}");
    expect_error([&] { SafetensorsFile::open(file); }, ErrorKind::BadInput,
                 {file, "header", "past the end"});
  }
  SUBCASE("hostile header length 2^63") {
    write_bytes(tmp / "bad.safetensors", test::le64(uint64_t{1} << 63) + "{}");
    expect_error([&] { SafetensorsFile::open(file); }, ErrorKind::BadInput, {file, "header"});
  }
  SUBCASE("header length 2^64 - 1") {
    write_bytes(tmp / "bad.safetensors", test::le64(~uint64_t{0}) + "{}");
    expect_error([&] { SafetensorsFile::open(file); }, ErrorKind::BadInput, {file, "header"});
  }
  SUBCASE("header not JSON") {
    expect_error([&] { open_header(tmp, "{\"w\": [1, 2", ""); }, ErrorKind::BadInput,
                 {file, "header", "malformed JSON"});
  }
  SUBCASE("header JSON but not an object") {
    expect_error([&] { open_header(tmp, "[1, 2]", ""); }, ErrorKind::BadInput,
                 {file, "header", "an array"});
  }
  SUBCASE("a tensor named twice") {
    expect_error(
        [&] {
          open_header(tmp,
                      R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                      R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                      std::string(8, '\0'));
        },
        ErrorKind::BadInput, {file, "header", "duplicate key 'w'"});
  }
  SUBCASE("__metadata__ with a non-string value") {
    expect_error([&] { open_header(tmp, R"({"__metadata__":{"step":3}})", ""); },
                 ErrorKind::BadInput, {file, "__metadata__.step"});
  }
}

TEST_CASE("a broken tensor entry is BadInput naming the file and the tensor") {
  TempDir tmp;
  const auto file = (tmp / "bad.safetensors").string();
  const std::string data(16, '\0');
  auto entry = [](const std::string& body) { return "{\"w\":{" + body + "}}"; };
  auto check = [&](const std::string& body, const std::string& what) {
    INFO("entry: " << body);
    expect_error([&] { open_header(tmp, entry(body), data); }, ErrorKind::BadInput,
                 {file, "tensor w", what});
  };
  check(R"("dtype":"Q4","shape":[1],"data_offsets":[0,4])", "unknown dtype 'Q4'");
  check(R"("dtype":7,"shape":[1],"data_offsets":[0,4])", "dtype must be a string");
  check(R"("shape":[1],"data_offsets":[0,4])", "missing 'dtype'");
  check(R"("dtype":"F32","data_offsets":[0,4])", "missing 'shape'");
  check(R"("dtype":"F32","shape":[1])", "missing 'data_offsets'");
  check(R"("dtype":"F32","shape":[3],"data_offsets":[0,8])", "needs 12 bytes");
  check(R"("dtype":"F32","shape":[2],"data_offsets":[12,20])", "past the end");
  check(R"("dtype":"F32","shape":[1],"data_offsets":[8,4])", "end before begin");
  check(R"("dtype":"F32","shape":[-1],"data_offsets":[0,4])", "non-negative integers");
  check(R"("dtype":"F32","shape":[1.5],"data_offsets":[0,4])", "non-negative integers");
  check(R"("dtype":"F32","shape":["2"],"data_offsets":[0,8])", "non-negative integers");
  check(R"("dtype":"F32","shape":2,"data_offsets":[0,8])", "shape must be an array");
  // Products that overflow 64 bits, with or without the dtype width.
  check(R"("dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4])",
        "too many elements");
  check(R"("dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,4])", "too many elements");
  check(R"("dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,4])",
        "non-negative integers");
  check(R"("dtype":"F32","shape":[99999999999999999999999],"data_offsets":[0,4])",
        "non-negative integers");
  check(R"("dtype":"F32","shape":[1],"data_offsets":[0.0,4])", "two non-negative integers");
  check(R"("dtype":"F32","shape":[1],"data_offsets":["0","4"])", "two non-negative integers");
  check(R"("dtype":"F32","shape":[1],"data_offsets":[-4,0])", "two non-negative integers");
  check(R"("dtype":"F32","shape":[1],"data_offsets":[0,4,8])", "two non-negative integers");
  check(R"("dtype":"F32","shape":[1],"data_offsets":{"begin":0})", "two non-negative integers");
  check(R"("dtype":"F32","shape":[0],"data_offsets":[18446744073709551615,18446744073709551615])",
        "past the end");
  expect_error([&] { open_header(tmp, R"({"w":[1,2]})", data); }, ErrorKind::BadInput,
               {file, "tensor w", "expected an object"});
}

TEST_CASE("hostile JSON: deep nesting, huge values, control characters") {
  TempDir tmp;
  const auto file = (tmp / "bad.safetensors").string();
  // nlohmann's dump() recurses: a million nested arrays must be refused while parsing.
  const std::string deep(1'000'000, '[');
  expect_error(
      [&] {
        open_header(tmp,
                    R"({"w":{"dtype":"F32","shape":)" + deep + std::string(1'000'000, ']') +
                        R"(,"data_offsets":[0,4]}})",
                    std::string(4, '\0'));
      },
      ErrorKind::BadInput, {file, "header", "nested deeper than 64"});
  // A very long shape is quoted only in part, so the message stays short.
  std::string long_shape = "[1";
  for (int i = 0; i < 100000; ++i) long_shape += ",1";
  long_shape += ",-1]";
  try {
    open_header(tmp, R"({"w":{"dtype":"F32","shape":)" + long_shape + R"(,"data_offsets":[0,4]}})",
                std::string(4, '\0'));
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).size() < 400);
    CHECK(std::string(e.what()).find("tensor w: shape [1,1,1") != std::string::npos);
  }
  // A tensor name with a newline is escaped, keeping the message on one line.
  expect_error(
      [&] {
        open_header(tmp, R"({"a\nb":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})",
                    std::string(4, '\0'));
      },
      ErrorKind::BadInput, {file, R"(tensor "a\nb")"});
}

TEST_CASE("a file cut inside its data section is BadInput") {
  TempDir tmp;
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})";
  const std::string whole = safetensors_bytes(header, raw<float>({1, 2, 3, 4}));
  write_bytes(tmp / "cut.safetensors", whole.substr(0, whole.size() - 3));
  expect_error([&] { SafetensorsFile::open(tmp / "cut.safetensors"); }, ErrorKind::BadInput,
               {"cut.safetensors", "tensor b", "past the end"});
}

TEST_CASE("overlapping byte ranges are BadInput naming both tensors") {
  TempDir tmp;
  expect_error(
      [&] {
        open_header(tmp,
                    R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                    std::string(12, '\0'));
      },
      ErrorKind::BadInput, {"bad.safetensors", "tensor b", "overlap", "tensor a"});
  // Identical ranges overlap too; adjacent ones and empty ones do not.
  expect_error(
      [&] {
        open_header(tmp,
                    R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                    R"("b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                    std::string(4, '\0'));
      },
      ErrorKind::BadInput, {"overlap"});
  CHECK_NOTHROW(open_header(tmp,
                            R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                            R"("z":{"dtype":"F32","shape":[0],"data_offsets":[2,2]},)"
                            R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                            std::string(8, '\0')));
}

}  // namespace
}  // namespace tb

namespace tb {
namespace {

TEST_CASE("a FIFO named model.safetensors is refused at once (issue 17)") {
  test::TempDir tmp;
  const auto fifo = tmp / "model.safetensors";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Before O_NONBLOCK, open() waited for a writer forever.
  test::expect_error([&] { SafetensorsFile::open(fifo); }, ErrorKind::Io,
                     {fifo.string(), "not a regular file"});
}

}  // namespace
}  // namespace tb
