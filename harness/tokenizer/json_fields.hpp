#pragma once
// Reading JSON files field by field with errors that name the file and the field path
// ("dir/tokenizer.json: model.merges[12]: expected ...").
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace tb::json_fields {

using Json = nlohmann::json;

// The parsed file; tb::Error (BadInput) naming the file when it is not JSON.
Json parse_file(const std::filesystem::path& file);

inline std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
inline std::string at(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

// `s` with control characters escaped (\n, \xNN) and cut to `max` bytes, so error messages
// that quote tokens stay on one line.
std::string printable(std::string_view s, size_t max = 160);

// Accessors for the member `key` of the object `obj` found at `path` in `file`.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }

  [[noreturn]] void fail(const std::string& field, const std::string& what) const;

  // `obj` must be an object.
  void expect_object(const Json& obj, const std::string& path) const;
  // The member, or nullptr when absent or null.
  const Json* find(const Json& obj, const std::string& path, std::string_view key) const;
  const Json& require(const Json& obj, const std::string& path, std::string_view key) const;
  std::string string(const Json& obj, const std::string& path, std::string_view key) const;
  std::optional<std::string> optional_string(const Json& obj, const std::string& path,
                                             std::string_view key) const;
  bool boolean(const Json& obj, const std::string& path, std::string_view key, bool fallback) const;
  int64_t integer(const Json& value, const std::string& field) const;
  const Json& array(const Json& obj, const std::string& path, std::string_view key) const;

 private:
  std::string file_;
};

}  // namespace tb::json_fields
