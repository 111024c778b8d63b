#pragma once
// PEFT LoRA adapters merged into a base checkpoint at load: W + scaling * B A for every module
// the adapter trains (B A transposed when fan_in_fan_out, as GPT-2's Conv1D stores [in, out]),
// scaling = lora_alpha / r, or lora_alpha / sqrt(r) with use_rslora (PEFT's LoraLayer), applied
// in f32 and kept as f32 tensors so that no rounding to the base dtype is added. Tensors saved
// whole (modules_to_save, trained embeddings) replace the base's. Adapters apply in order. Each
// adapter's content enters Checkpoint::content_hash, so a run's identity names it.
//
// adapter_config.json fields read: peft_type (LORA only), r, lora_alpha, use_rslora,
// target_modules (a list: names matched as module-name suffixes; a string: a regex matched
// against the whole module name), fan_in_fan_out, bias ("none" only), use_dora (false only),
// modules_to_save, rank_pattern / alpha_pattern / layers_to_transform (absent or empty only).
// Weights: adapter_model.safetensors, else adapter_model.bin (read by the restricted unpickler).
#include <filesystem>
#include <string>
#include <vector>

#include "harness/io/checkpoint.hpp"

namespace tb {

struct LoraMergeReport {
  std::filesystem::path dir;
  int r = 0;
  double scaling = 0.0;
  int merged = 0;    // modules W + scaling * B A
  int replaced = 0;  // tensors taken whole from the adapter
};

// Throws tb::Error naming the adapter file and the field or tensor: BadInput (malformed),
// Unsupported (another PEFT type, DoRA, bias training, per-layer patterns).
std::vector<LoraMergeReport> merge_lora_adapters(Checkpoint& checkpoint,
                                                 const std::vector<std::filesystem::path>& dirs);

}  // namespace tb
