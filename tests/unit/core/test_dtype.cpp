#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "harness/core/dtype.hpp"

using namespace tb;

// Bit patterns from the IEEE 754 binary16 / bfloat16 definitions (checked with numpy/torch).
TEST_CASE("f16 round trips known values") {
  CHECK(f32_to_f16(1.0f) == 0x3c00);
  CHECK(f32_to_f16(-2.0f) == 0xc000);
  CHECK(f32_to_f16(65504.0f) == 0x7bff);
  CHECK(f32_to_f16(65520.0f) == 0x7c00);  // rounds up to inf
  CHECK(f32_to_f16(0.1f) == 0x2e66);
  CHECK(f32_to_f16(std::ldexp(1.0f, -24)) == 0x0001);  // smallest subnormal
  CHECK(f32_to_f16(std::ldexp(1.0f, -25)) == 0x0000);  // half of it: ties to even (zero)
  CHECK(f32_to_f16(std::ldexp(3.0f, -26)) == 0x0001);  // 0.75 ulp rounds up
  CHECK(f32_to_f16(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);  // tie, even stays
  CHECK(f32_to_f16(1.0f + std::ldexp(3.0f, -11)) == 0x3c02);  // tie, odd rounds up
  CHECK(f16_to_f32(0x3c00) == 1.0f);
  CHECK(f16_to_f32(0x0001) == std::ldexp(1.0f, -24));
  CHECK(f16_to_f32(0x03ff) == std::ldexp(1023.0f, -24));
  CHECK(std::isinf(f16_to_f32(0xfc00)));
  CHECK(std::isnan(f16_to_f32(0x7e00)));
  for (uint32_t h = 0; h < 0x7c00; ++h) {  // every finite positive f16 survives a round trip
    REQUIRE(f32_to_f16(f16_to_f32(static_cast<uint16_t>(h))) == h);
  }
}

TEST_CASE("bf16 round trips known values") {
  CHECK(f32_to_bf16(1.0f) == 0x3f80);
  CHECK(f32_to_bf16(3.14159274f) == 0x4049);
  CHECK(f32_to_bf16(-0.1f) == 0xbdcd);
  CHECK(bf16_to_f32(0x4049) == 3.140625f);
  CHECK(std::isnan(bf16_to_f32(f32_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST_CASE("convert_to_f32 widens unaligned half-precision buffers") {
  unsigned char bytes[7] = {0, 0x00, 0x3c, 0x00, 0xc0, 0, 0};
  float out[2];
  convert_to_f32(bytes + 1, DType::F16, 2, out);
  CHECK(out[0] == 1.0f);
  CHECK(out[1] == -2.0f);
  CHECK(parse_dtype("BF16") == DType::BF16);
  CHECK_FALSE(parse_dtype("I64").has_value());
}
