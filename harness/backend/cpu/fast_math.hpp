#pragma once
// exp that GCC vectorises inside `#pragma omp simd` loops (libm's expf does not): Cody-Waite
// range reduction and a degree-6 polynomial, within 2 ulp of expf on [-87, 88].
#include <algorithm>
#include <bit>
#include <cstdint>

namespace tb::cpu {

#pragma omp declare simd
inline float fast_exp(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  const float n = __builtin_floorf(x * 1.44269504089f + 0.5f);
  const float r = (x - n * 0.693145751953125f) - n * 1.428606765330187e-06f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const auto scale = std::bit_cast<float>((static_cast<int32_t>(n) + 127) << 23);
  return p * scale;
}

}  // namespace tb::cpu
