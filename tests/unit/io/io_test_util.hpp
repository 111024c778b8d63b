#pragma once
// Helpers for the io tests: a scratch directory, raw safetensors bytes (so that malformed files
// can be written), and error assertions.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "harness/core/error.hpp"
#include "tests/unit/test_paths.hpp"

namespace tb::test {

// A fresh directory under the build tree, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    std::string name = std::to_string(rd());
    name += '_';
    name += std::to_string(counter++);
    path_ = binary_dir() / "test_io_tmp" / name;
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

inline std::string le64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

// A safetensors file as the format defines it: 8-byte little-endian header length, header, data.
inline std::string safetensors_bytes(const std::string& header, const std::string& data) {
  return le64(header.size()) + header + data;
}

template <typename T>
std::string raw(std::initializer_list<T> values) {
  std::string out(values.size() * sizeof(T), '\0');
  size_t i = 0;
  for (T v : values) std::memcpy(out.data() + sizeof(T) * i++, &v, sizeof(T));
  return out;
}

inline std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs `fn` and checks that it throws tb::Error of `kind` whose one-line message contains every
// fragment.
template <typename Fn>
void expect_error(Fn&& fn, ErrorKind kind, std::initializer_list<std::string> fragments) {
  try {
    fn();
    FAIL("no error thrown; expected one containing " << *fragments.begin());
  } catch (const Error& e) {
    const std::string message = e.what();
    INFO("message: " << message);
    CHECK(static_cast<int>(e.kind()) == static_cast<int>(kind));
    CHECK(message.find('\n') == std::string::npos);
    for (const auto& fragment : fragments) CHECK(message.find(fragment) != std::string::npos);
  }
}

}  // namespace tb::test
