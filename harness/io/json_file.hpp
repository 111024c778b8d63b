#pragma once
// Strict JSON parsing for the small JSON files of a checkpoint directory (config.json, the
// shard index) and for safetensors headers: one-line errors naming the file, duplicate
// top-level keys rejected (the last one would otherwise silently win), nesting deeper than
// limits::kJsonDepth rejected (nlohmann's dump and copy recurse), linear time in the text.
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tb {

// Parses `text` as one JSON value that must be an object. `file` and `field` name the source
// in messages: "FILE: FIELD: what" (ErrorKind::BadInput).
nlohmann::json parse_json_object(std::string_view text, const std::string& file,
                                 const std::string& field);

// Reads a whole file (ErrorKind::Io naming the path when it cannot be read) and parses it with
// parse_json_object(text, path, "json").
nlohmann::json read_json_file(const std::filesystem::path& path);

// The value as compact JSON, cut to 80 characters ("...") for messages.
std::string json_excerpt(const nlohmann::json& value);

// A name from a file (a tensor, a key) made safe for a one-line message: returned as is unless
// it holds control characters, else as an escaped JSON string.
std::string printable_name(const std::string& name);

// A short description of a JSON value's type for messages: "a string", "null", ...
std::string json_type_name(const nlohmann::json& value);

}  // namespace tb
