#include "harness/io/json_file.hpp"

#include "harness/core/error.hpp"
#include "harness/core/strict_json.hpp"
#include "harness/core/text_file.hpp"

namespace tb {
namespace {

constexpr size_t kMaxExcerpt = 80;

}  // namespace

nlohmann::json parse_json_object(std::string_view text, const std::string& file,
                                 const std::string& field) {
  // Duplicate keys of the top-level object are a classic way to make two readers disagree
  // about a file, so they are an error here.
  nlohmann::json value = parse_strict_json(text, file, field, {.reject_duplicate_keys = true});
  if (!value.is_object()) {
    throw bad_input(file, field, "expected a JSON object, found " + json_type_name(value));
  }
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
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      // Invalid UTF-8 beside a control character is shown as U+FFFD rather than thrown on.
      return nlohmann::json(name).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
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
