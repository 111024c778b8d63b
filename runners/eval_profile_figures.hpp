#pragma once
// TFLOP/s, MFU and MBU for eval's profile rows, from token counts alone: eval does not know each
// request's length, so attention (a few percent at eval's contexts) is left out and the figure
// counts the linear layers, the head included, per computed token (metrics/flops conventions).
#include <string>

#include "harness/core/dtype.hpp"
#include "harness/io/model_config.hpp"
#include "reports/store.hpp"

namespace tb {

struct EvalWork {
  double tokens = 0.0;         // tokens run through the model
  double weight_passes = 0.0;  // forward calls that each read every weight (decode); 0 for none
  double seconds = 0.0;
  DType weight_dtype = DType::F32;  // the linear weights as placed (Model::weight_dtype)
  double weight_bytes = 0.0;        // every weight as placed (Model::weight_bytes)
};

// Sets row.tflops, row.mfu and row.mbu (NaN without weight passes). MFU divides by the
// device's peak for the weights' dtype (data/devices.json): a bf16 run on a GPU by its
// tensor-core rate; where the row has no figure for that dtype (CPUs, which widen half weights
// and compute in f32) by its f32 peak, and raw["peak_dtype"] says which. MBU counts the bytes
// the weights really take (2 per bf16 weight), over the table's bandwidth.
void set_flop_figures(ProfileRow& row, const ModelConfig& config, const std::string& device,
                      int threads, const EvalWork& work);

}  // namespace tb
