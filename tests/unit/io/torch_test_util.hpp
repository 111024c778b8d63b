#pragma once
// Helpers for the torch.save tests: hand-assembled pickle streams (protocol 2, the opcodes
// torch.save emits) and zip files written with minizip's writer, stored or deflated.
#include <doctest/doctest.h>
#include <minizip/zip.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace tb::test::pickle {

inline std::string u32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i)
    out[static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}
// Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string temporaries.
inline std::string str(const std::string& s) {
  std::string out = "X";
  out += u32(static_cast<uint32_t>(s.size()));
  out += s;
  return out;
}
inline std::string int1(int v) {
  std::string out = "K";
  out += static_cast<char>(v);
  return out;
}
inline std::string global(const std::string& module, const std::string& name) {
  std::string out = "c";
  out += module;
  out += '\n';
  out += name;
  out += '\n';
  return out;
}
inline std::string ints_tuple(const std::vector<int>& values) {
  std::string out = "(";
  for (int v : values) out += int1(v);
  out += 't';
  return out;
}
// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()) with the
// storage as the persistent id ('storage', torch.<type>, key, 'cpu', numel).
inline std::string tensor(const std::string& storage_type, const std::string& key, int numel,
                          int offset, const std::vector<int>& shape,
                          const std::vector<int>& stride) {
  return global("torch._utils", "_rebuild_tensor_v2") + std::string("((") + str("storage") +
         global("torch", storage_type) + str(key) + str("cpu") + int1(numel) + "tQ" + int1(offset) +
         ints_tuple(shape) + ints_tuple(stride) + "\x89" + global("collections", "OrderedDict") +
         ")RtR";
}
// A protocol-2 pickle of a dict {name: value-opcodes}, closed with STOP.
inline std::string state_dict(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string out("\x80\x02}q\x00(", 6);  // PROTO 2, EMPTY_DICT, BINPUT 0, MARK
  for (const auto& [name, value] : items) {
    out += str(name);
    out += value;
  }
  out += "u.";
  return out;
}

}  // namespace tb::test::pickle

namespace tb::test {

struct ZipEntry {
  std::string name;
  std::string bytes;
  bool deflate = false;
};

inline void write_zip(const std::filesystem::path& path, const std::vector<ZipEntry>& entries) {
  zipFile zf = zipOpen64(path.string().c_str(), APPEND_STATUS_CREATE);
  REQUIRE(zf != nullptr);
  for (const ZipEntry& e : entries) {
    REQUIRE(zipOpenNewFileInZip64(zf, e.name.c_str(), nullptr, nullptr, 0, nullptr, 0, nullptr,
                                  e.deflate ? Z_DEFLATED : 0, e.deflate ? 6 : 0, 0) == ZIP_OK);
    REQUIRE(zipWriteInFileInZip(zf, e.bytes.data(), static_cast<unsigned>(e.bytes.size())) ==
            ZIP_OK);
    REQUIRE(zipCloseFileInZip(zf) == ZIP_OK);
  }
  REQUIRE(zipClose(zf, nullptr) == ZIP_OK);
}

}  // namespace tb::test
