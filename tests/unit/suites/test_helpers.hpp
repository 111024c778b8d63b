#pragma once
// Small helpers for the suite tests: temporary files and error-message checks.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "harness/core/error.hpp"
#include "tests/unit/test_paths.hpp"

namespace tb::test {

// Writes `text` to <build>/test_suites_tmp/<name> and returns the path.
inline std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  const auto dir = binary_dir() / "test_suites_tmp";
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// The message of the tb::Error (BadInput) that `fn` throws; fails the test otherwise.
template <typename Fn>
std::string bad_input_message(Fn&& fn) {
  try {
    fn();
  } catch (const tb::Error& e) {
    CHECK(e.kind() == tb::ErrorKind::BadInput);
    return e.what();
  }
  FAIL("expected a tb::Error");
  return "";
}

}  // namespace tb::test
