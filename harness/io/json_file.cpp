#include "harness/io/json_file.hpp"

#include <set>

#include "harness/core/error.hpp"
#include "harness/core/text_file.hpp"

namespace tb {
namespace {

constexpr int kMaxDepth = 64;
constexpr size_t kMaxExcerpt = 80;

}  // namespace

nlohmann::json parse_json_object(std::string_view text, const std::string& file,
                                 const std::string& field) {
  // Duplicate keys of the top-level object are a classic way to make two readers disagree
  // about a file, so they are an error here.
  std::set<std::string> top_keys;
  std::string duplicate;
  auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    // Deep nesting is never legitimate here, and some of nlohmann's operations (dump, copy)
    // recurse: stop hostile input before such a value exists.
    if (depth > kMaxDepth) {
      throw bad_input(file, field,
                      "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    if (event == nlohmann::json::parse_event_t::key && depth == 1 && duplicate.empty()) {
      const std::string key = parsed.get<std::string>();
      if (!top_keys.insert(key).second) duplicate = key;
    }
    return true;
  };
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(text.begin(), text.end(), callback);
  } catch (const nlohmann::json::exception& e) {
    // nlohmann's messages are one line: "[json.exception.parse_error.101] parse error at ...".
    throw bad_input(file, field, std::string("invalid JSON: ") + e.what());
  }
  if (!value.is_object()) {
    throw bad_input(file, field, "expected a JSON object, found " + json_type_name(value));
  }
  if (!duplicate.empty()) throw bad_input(file, field, "duplicate key '" + duplicate + "'");
  return value;
}

nlohmann::json read_json_file(const std::filesystem::path& path) {
  const std::string text = read_text_file(path);
  return parse_json_object(text, path.string(), "json");
}

std::string json_excerpt(const nlohmann::json& value) {
  std::string text = value.dump();
  if (text.size() > kMaxExcerpt) {
    text.resize(kMaxExcerpt);
    text += "...";
  }
  return text;
}

std::string printable_name(const std::string& name) {
  for (const char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return nlohmann::json(name).dump();
  }
  return name;
}

std::string json_type_name(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "an integer";
    case nlohmann::json::value_t::number_float:
      return "a floating-point number";
    default:
      return "an unexpected value";
  }
}

}  // namespace tb
