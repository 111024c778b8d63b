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
  const auto peak = find_device_peak(default_device_table(), device, "f32", used);
  const double seconds = std::max(work.seconds, 1e-12);
  row.tflops = 2.0 * static_cast<double>(counts.matmul) * work.tokens / seconds / 1e12;
  row.mfu = peak ? row.tflops / peak->tflops : kNaN;
  const double bytes = static_cast<double>(counts.matmul + counts.other) * 4.0 * work.weight_passes;
  row.mbu = peak && peak->memory_gbps > 0 && work.weight_passes > 0
                ? bytes / seconds / 1e9 / peak->memory_gbps
                : kNaN;
  row.raw["flops_convention"] = "2 x matmul parameters per computed token; attention excluded";
  row.raw["matmul_parameters"] = counts.matmul;
  if (peak) row.raw["peak"] = peak->name;
}

}  // namespace tb
