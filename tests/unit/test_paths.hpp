#pragma once
// Where tests find the project's fixtures and the read-only ../shared data.
#include <cstdlib>
#include <filesystem>
#include <string>

namespace tb::test {

// The build's paths, unless the environment names others: a prebuilt bundle (tools/gpu-bundle.sh)
// runs on a machine where the checkout and the build sit elsewhere.
inline std::filesystem::path path_from_env(const char* variable, const char* built_in) {
  const char* value = std::getenv(variable);
  return value != nullptr && *value != '\0' ? value : built_in;
}
inline std::filesystem::path source_dir() {
  return path_from_env("TB_SOURCE_DIR", TB_SOURCE_DIR);
}
inline std::filesystem::path binary_dir() {
  return path_from_env("TB_BINARY_DIR", TB_BINARY_DIR);
}
inline std::filesystem::path shared_data() {
  return path_from_env("TB_SHARED_DIR", TB_SHARED_DIR) / "data";
}
// True when ../shared/data is present; callers skip their case otherwise (MESSAGE + return).
inline bool have_shared() {
  return std::filesystem::is_directory(shared_data());
}

}  // namespace tb::test
