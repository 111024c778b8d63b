#pragma once
// TFLOP/s, MFU and MBU for eval's profile rows, from token counts alone: eval does not know each
// request's length, so attention (a few percent at eval's contexts) is left out and the figure
// counts the linear layers, the head included, per computed token (metrics/flops conventions).
#include <string>

#include "harness/io/model_config.hpp"
#include "reports/store.hpp"

namespace tb {

struct EvalWork {
  double tokens = 0.0;         // tokens run through the model
  double weight_passes = 0.0;  // forward calls that each read every weight (decode); 0 for none
  double seconds = 0.0;
};

// Sets row.tflops, row.mfu (against data/devices.json; NaN when the device is not there) and
// row.mbu (weight bytes read per second over the table's bandwidth; NaN without weight passes).
void set_flop_figures(ProfileRow& row, const ModelConfig& config, const std::string& device,
                      int threads, const EvalWork& work);

}  // namespace tb
