#pragma once
// Element types of checkpoints and tensors, and exact conversions to and from f32.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tb {

// I32 holds token ids, positions and rows on a device; it is never a weight dtype.
enum class DType { F32, F16, BF16, I32 };

size_t dtype_size(DType dtype);
std::string_view dtype_name(DType dtype);  // "f32", "f16", "bf16"
// Parses safetensors names ("F32", "F16", "BF16") and tunebench names ("f32", ...).
std::optional<DType> parse_dtype(std::string_view name);

float f16_to_f32(uint16_t bits);
uint16_t f32_to_f16(float value);  // round to nearest even, as torch
float bf16_to_f32(uint16_t bits);
uint16_t f32_to_bf16(float value);  // round to nearest even, as torch

// Widens `count` elements of a float dtype at `src` (any alignment) into `dst`.
void convert_to_f32(const void* src, DType dtype, size_t count, float* dst);
// Rounds `count` floats to a float dtype (nearest even, as torch) at `dst` (any alignment).
void convert_from_f32(const float* src, DType dtype, size_t count, void* dst);
// True for the dtypes weights, caches and activations may have (f32, f16, bf16).
bool is_float_dtype(DType dtype);

}  // namespace tb
