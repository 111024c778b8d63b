#pragma once
// The peak FLOP/s and memory bandwidth of known devices (data/devices.json), the denominators of
// MFU and MBU, and a description of the machine a profile ran on.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tb {

struct DevicePeak {
  std::string name;
  double tflops = 0.0;       // for the dtype asked, scaled to the threads for per-core rows
  double memory_gbps = 0.0;  // likewise
  std::string source;
};

// The first row of `table` whose `match` strings occur in `device_name`, with its peak for
// `dtype` ("f32", "bf16", "f16"); std::nullopt when no row matches or the row has no figure for
// the dtype. Throws tb::Error (BadInput) naming the file and field when the table is malformed.
std::optional<DevicePeak> find_device_peak(const std::filesystem::path& table,
                                           const std::string& device_name, const std::string& dtype,
                                           int threads);
std::filesystem::path default_device_table();  // data/devices.json of the repository

// "AMD EPYC 9R14" from /proc/cpuinfo, or "unknown CPU".
std::string cpu_model_name();
// The kernel release and the BLAS build with the kernels it chose ("linux 6.1.0; OpenBLAS
// 0.3.21 ... (kernels Haswell)"), and
// OPENBLAS_CORETYPE when it is set, since it decides which kernels run.
std::string cpu_driver_description();

}  // namespace tb
