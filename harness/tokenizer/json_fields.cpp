#include "harness/tokenizer/json_fields.hpp"

#include "harness/core/error.hpp"
#include "harness/core/strict_json.hpp"
#include "harness/core/text_file.hpp"

namespace tb::json_fields {

Json parse_file(const std::filesystem::path& file) {
  // Depth-limited: the pipeline parsers recurse into Sequence steps (40,000 nested normalizers
  // crashed them), and nlohmann's message names the line and column.
  return parse_strict_json(read_text_file(file), file.string(), "(document)");
}

std::string printable(std::string_view s, size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u == 0x7F) {
      const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xF];
    } else {
      out += c;
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

void Reader::fail(const std::string& field, const std::string& what) const {
  throw bad_input(file_, printable(field), printable(what, 400));
}

void Reader::expect_object(const Json& obj, const std::string& path) const {
  if (!obj.is_object()) fail(path.empty() ? "(document)" : path, "expected an object");
}

const Json* Reader::find(const Json& obj, const std::string& path, std::string_view key) const {
  expect_object(obj, path);
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

const Json& Reader::require(const Json& obj, const std::string& path, std::string_view key) const {
  const Json* v = find(obj, path, key);
  if (v == nullptr) fail(join(path, key), "missing");
  return *v;
}

std::string Reader::string(const Json& obj, const std::string& path, std::string_view key) const {
  const Json& v = require(obj, path, key);
  if (!v.is_string()) fail(join(path, key), "expected a string");
  return v.get<std::string>();
}

std::optional<std::string> Reader::optional_string(const Json& obj, const std::string& path,
                                                   std::string_view key) const {
  const Json* v = find(obj, path, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) fail(join(path, key), "expected a string");
  return v->get<std::string>();
}

bool Reader::boolean(const Json& obj, const std::string& path, std::string_view key,
                     bool fallback) const {
  const Json* v = find(obj, path, key);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) fail(join(path, key), "expected true or false");
  return v->get<bool>();
}

int64_t Reader::integer(const Json& value, const std::string& field) const {
  if (!value.is_number_integer()) fail(field, "expected an integer");
  return value.get<int64_t>();
}

const Json& Reader::array(const Json& obj, const std::string& path, std::string_view key) const {
  const Json& v = require(obj, path, key);
  if (!v.is_array()) fail(join(path, key), "expected an array");
  return v;
}

}  // namespace tb::json_fields
