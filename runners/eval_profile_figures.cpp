#include "runners/eval_profile_figures.hpp"

#include <algorithm>
#include <limits>
#include <thread>

#include "runners/device_table.hpp"
#include "runners/model_shape.hpp"

namespace tb {

void set_flop_figures(ProfileRow& row, const ModelConfig& config, const std::string& device,
                      int threads, const EvalWork& work) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const flops::ParameterCounts counts = flops::parameter_counts(model_shape(config));
  const int used =
      threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::string peak_dtype(dtype_name(work.weight_dtype));
  auto peak = find_device_peak(default_device_table(), device, peak_dtype, used);
  if (!peak && peak_dtype != "f32") {
    peak_dtype = "f32";
    peak = find_device_peak(default_device_table(), device, peak_dtype, used);
  }
  const double seconds = std::max(work.seconds, 1e-12);
  row.tflops = 2.0 * static_cast<double>(counts.matmul) * work.tokens / seconds / 1e12;
  row.mfu = peak ? row.tflops / peak->tflops : kNaN;
  const double bytes = work.weight_bytes * work.weight_passes;
  row.mbu =
      peak && peak->memory_gbps > 0 && bytes > 0 ? bytes / seconds / 1e9 / peak->memory_gbps : kNaN;
  row.raw["flops_convention"] = "2 x matmul parameters per computed token; attention excluded";
  row.raw["matmul_parameters"] = counts.matmul;
  if (peak) {
    row.raw["peak"] = peak->name;
    row.raw["peak_dtype"] = peak_dtype;
  }
  row.raw["weight_bytes"] = work.weight_bytes;
}

}  // namespace tb
