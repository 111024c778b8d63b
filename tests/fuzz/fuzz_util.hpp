#pragma once
// What every fuzz target shares: the contract under test is that hostile input ends in a
// tb::Error (or, inside metrics/, a notes::ParseError) with a one-line message, and never in a
// crash, a hang, another exception or a sanitizer report. Anything else aborts, so libFuzzer
// records the input.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "harness/core/error.hpp"
#include "metrics/notes/parse_error.hpp"

namespace tb::fuzz {

[[noreturn]] inline void contract_broken(const char* what, const std::string& message) {
  std::fprintf(stderr, "fuzz: contract broken: %s: %s\n", what, message.c_str());
  std::abort();
}

inline void check_one_line(const std::string& message) {
  if (message.find('\n') != std::string::npos) contract_broken("message of two lines", message);
}

// Runs `f`; expected errors are fine, anything else aborts.
template <class F>
void expect_clean(F&& f) {
  try {
    f();
  } catch (const tb::Error& e) {
    if (e.kind() == ErrorKind::Internal) contract_broken("internal error", e.what());
    check_one_line(e.what());
  } catch (const tb::notes::ParseError& e) {
    check_one_line(e.what());
  } catch (const std::bad_alloc&) {
    contract_broken("std::bad_alloc", "out of memory");
  } catch (const std::exception& e) {
    contract_broken("unexpected exception", e.what());
  }
}

// A file holding `bytes` in a per-process scratch directory, for loaders that take a path.
inline std::filesystem::path write_scratch(const std::string& name, std::string_view bytes) {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("tb_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  const auto path = dir / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace tb::fuzz
