#pragma once
// Strict JSON parsing for the small JSON files of a checkpoint directory (config.json, the
// shard index) and for safetensors headers: one-line errors naming the file, duplicate
// top-level keys rejected (the last one would otherwise silently win).
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

// A short description of a JSON value's type for messages: "a string", "null", ...
std::string json_type_name(const nlohmann::json& value);

}  // namespace tb
