#pragma once
// Where tests find the project's fixtures and the read-only ../shared data.
#include <filesystem>
#include <string>

namespace tb::test {

inline std::filesystem::path source_dir() { return TB_SOURCE_DIR; }
inline std::filesystem::path binary_dir() { return TB_BINARY_DIR; }
inline std::filesystem::path shared_data() {
  return std::filesystem::path(TB_SHARED_DIR) / "data";
}
// True when ../shared/data is present; callers skip their case otherwise (MESSAGE + return).
inline bool have_shared() { return std::filesystem::is_directory(shared_data()); }

}  // namespace tb::test
