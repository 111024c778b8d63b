#include "runners/device_table.hpp"

#include <cblas.h>
#include <sys/utsname.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness/core/error.hpp"
#include "harness/io/json_file.hpp"
#include "suites/registry.hpp"

namespace tb {

namespace {

double number_or_zero(const nlohmann::json& j) {
  return j.is_number() ? j.get<double>() : 0.0;
}

}  // namespace

std::filesystem::path default_device_table() {
  return suites_repo_root() / "data" / "devices.json";
}

std::optional<DevicePeak> find_device_peak(const std::filesystem::path& table,
                                           const std::string& device_name, const std::string& dtype,
                                           int threads) {
  const nlohmann::json doc = read_json_file(table);
  if (!doc.contains("devices") || !doc["devices"].is_array()) {
    throw Error(ErrorKind::BadInput, table.string() + ": field 'devices' must be an array");
  }
  for (size_t i = 0; i < doc["devices"].size(); ++i) {
    const nlohmann::json& row = doc["devices"][i];
    const std::string where = table.string() + ": devices[" + std::to_string(i) + "]";
    if (!row.is_object() || !row.contains("match") || !row["match"].is_array() ||
        !row.contains("peak_tflops") || !row["peak_tflops"].is_object()) {
      throw Error(ErrorKind::BadInput, where + " needs a 'match' array and a 'peak_tflops' object");
    }
    bool matched = false;
    for (const nlohmann::json& m : row["match"]) {
      matched =
          matched || (m.is_string() && device_name.find(m.get<std::string>()) != std::string::npos);
    }
    if (!matched) continue;
    const double scale = row.value("per_core", false) ? std::max(1, threads) : 1;
    const double tflops = number_or_zero(row["peak_tflops"].value(dtype, nlohmann::json()));
    if (tflops <= 0.0) return std::nullopt;
    DevicePeak peak;
    peak.name = row.value("name", std::string("?"));
    peak.tflops = tflops * scale;
    peak.memory_gbps = number_or_zero(row.value("memory_gbps", nlohmann::json())) * scale;
    peak.source = row.value("source", std::string());
    return peak;
  }
  return std::nullopt;
}

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos && colon + 2 <= line.size()) return line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

std::string cpu_driver_description() {
  std::string out = "linux";
  utsname u{};
  if (uname(&u) == 0) out += std::string(" ") + u.release;
  out += std::string("; ") + openblas_get_config() + " (kernels " + openblas_get_corename() + ")";
  if (const char* core = std::getenv("OPENBLAS_CORETYPE"); core != nullptr && *core != '\0') {
    out += std::string("; OPENBLAS_CORETYPE=") + core;
  }
  return out;
}

}  // namespace tb
