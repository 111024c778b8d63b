#include "runners/profile_output.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "harness/core/error.hpp"

namespace tb {

namespace {

nlohmann::json number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json to_json(const ProfileRecord& r) {
  return {{"build_commit", r.commit},
          {"device", r.device},
          {"driver", r.driver},
          {"dtype", r.dtype},
          {"model", r.model},
          {"model_params", r.model_params},
          {"threads", r.threads},
          {"test", r.test},
          {"phase", r.phase},
          {"n_prompt", r.n_prompt},
          {"n_gen", r.n_gen},
          {"depth", r.depth},
          {"batch", r.batch},
          {"repetitions", r.repetitions},
          {"avg_ts", number(r.avg_ts)},
          {"stddev_ts", number(r.stddev_ts)},
          {"tflops", number(r.tflops)},
          {"mfu_peak", number(r.mfu_peak)},
          {"mfu_gemm", number(r.mfu_gemm)},
          {"mbu_peak", number(r.mbu_peak)},
          {"mbu_gemv", number(r.mbu_gemv)},
          {"gemm_tflops", number(r.gemm_tflops)},
          {"gemm_shape", r.gemm_shape},
          {"gemv_gbps", number(r.gemv_gbps)},
          {"gemv_shape", r.gemv_shape},
          {"flops_per_rep", number(r.flops_per_rep)},
          {"bytes_per_rep", number(r.bytes_per_rep)},
          {"tokens_per_rep", number(r.tokens_per_rep)},
          {"samples_s", r.samples_s}};
}

std::string percent(double v) {
  return std::isfinite(v) ? fmt::format("{:.1f}%", 100.0 * v) : "-";
}

std::string markdown(const std::vector<ProfileRecord>& rows) {
  std::string out;
  if (!rows.empty()) {
    const ProfileRecord& r = rows.front();
    out += fmt::format("model {} ({} parameters, {}), {}, {} threads, commit {}\n", r.model,
                       r.model_params, r.dtype, r.device, r.threads, r.commit);
    out += fmt::format("driver: {}\n", r.driver);
    out += fmt::format("reference GEMM {}: {:.4f} TFLOP/s; GEMV {}: {:.2f} GB/s\n\n", r.gemm_shape,
                       r.gemm_tflops, r.gemv_shape, r.gemv_gbps);
  }
  out +=
      "| test | batch | t/s | TFLOP/s | MFU (peak) | MFU (GEMM) | MBU (peak) | MBU (GEMV) |\n"
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const ProfileRecord& r : rows) {
    out += fmt::format("| {} | {} | {:.2f} ± {:.2f} | {:.4f} | {} | {} | {} | {} |\n", r.test,
                       r.batch, r.avg_ts, r.stddev_ts, r.tflops, percent(r.mfu_peak),
                       percent(r.mfu_gemm), percent(r.mbu_peak), percent(r.mbu_gemv));
  }
  return out;
}

std::string csv_field(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string quoted = "\"";
    for (char c : s) {
      if (c == '"') quoted += '"';
      quoted += c;
    }
    quoted += '"';
    return quoted;
  }
  if (v.is_array()) {  // samples: ';'-separated in one field
    std::string list;
    for (const auto& x : v) {
      if (!list.empty()) list += ';';
      list += x.dump();
    }
    return list;
  }
  return v.dump();
}

// The columns in to_json's (sorted) order, joined by `separator`.
std::string joined(const nlohmann::json& row, const char* separator, bool keys,
                   std::string (*value)(const nlohmann::json&)) {
  std::string out;
  for (const auto& item : row.items()) {
    if (!out.empty()) out += separator;
    out += keys ? item.key() : value(item.value());
  }
  return out;
}

std::string csv(const std::vector<ProfileRecord>& rows) {
  const nlohmann::json header = to_json(ProfileRecord{});
  std::string out = joined(header, ",", true, csv_field) + "\n";
  for (const ProfileRecord& r : rows) {
    const nlohmann::json row = to_json(r);
    out += joined(row, ",", false, csv_field);
    out += "\n";
  }
  return out;
}

std::string sql_value(const nlohmann::json& v) {
  if (v.is_null()) return "NULL";
  if (v.is_string() || v.is_array()) {
    const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
    std::string quoted = "'";
    for (char c : s) {
      if (c == '\'') quoted += '\'';
      quoted += c;
    }
    quoted += '\'';
    return quoted;
  }
  return v.dump();
}

std::string sql(const std::vector<ProfileRecord>& rows) {
  const nlohmann::json header = to_json(ProfileRecord{});
  std::string out = "CREATE TABLE IF NOT EXISTS profile (\n";
  bool first = true;
  for (const auto& item : header.items()) {
    const nlohmann::json& v = item.value();
    const char* type = v.is_number_integer() ? "INTEGER" : v.is_number() ? "REAL" : "TEXT";
    if (!first) out += ",\n";
    out += fmt::format("  {} {}", item.key(), type);
    first = false;
  }
  out += "\n);\n";
  for (const ProfileRecord& r : rows) {
    const nlohmann::json row = to_json(r);
    out += fmt::format("INSERT INTO profile ({}) VALUES ({});\n",
                       joined(row, ", ", true, sql_value), joined(row, ", ", false, sql_value));
  }
  return out;
}

}  // namespace

ProfileFormat parse_profile_format(const std::string& text) {
  if (text == "md") return ProfileFormat::Markdown;
  if (text == "csv") return ProfileFormat::Csv;
  if (text == "json") return ProfileFormat::Json;
  if (text == "jsonl") return ProfileFormat::Jsonl;
  if (text == "sql") return ProfileFormat::Sql;
  throw Error(ErrorKind::BadInput, "-o: '" + text + "' is not one of md, csv, json, jsonl, sql");
}

std::string render_profile(const std::vector<ProfileRecord>& rows, ProfileFormat format) {
  switch (format) {
    case ProfileFormat::Markdown:
      return markdown(rows);
    case ProfileFormat::Csv:
      return csv(rows);
    case ProfileFormat::Json: {
      nlohmann::json all = nlohmann::json::array();
      for (const ProfileRecord& r : rows) all.push_back(to_json(r));
      return all.dump(2) + "\n";
    }
    case ProfileFormat::Jsonl: {
      std::string out;
      for (const ProfileRecord& r : rows) out += to_json(r).dump() + "\n";
      return out;
    }
    case ProfileFormat::Sql:
      return sql(rows);
  }
  return {};
}

}  // namespace tb
