#pragma once
// Exact non-negative fractions for ABC note lengths and bar durations. Values stay small
// (lengths are capped by the parser), so 64-bit numerators and denominators do not overflow.
#include <compare>
#include <cstdint>
#include <numeric>
#include <string>

namespace tb::metrics::abc {

struct Rational {
  int64_t num = 0;
  int64_t den = 1;

  constexpr Rational() = default;
  constexpr Rational(int64_t n, int64_t d = 1) : num(n), den(d) { normalize(); }

  constexpr void normalize() {
    if (den < 0) {
      num = -num;
      den = -den;
    }
    const int64_t g = std::gcd(num < 0 ? -num : num, den);
    if (g > 1) {
      num /= g;
      den /= g;
    }
  }
  friend constexpr Rational operator+(Rational a, Rational b) {
    return {a.num * b.den + b.num * a.den, a.den * b.den};
  }
  friend constexpr Rational operator-(Rational a, Rational b) {
    return {a.num * b.den - b.num * a.den, a.den * b.den};
  }
  friend constexpr Rational operator*(Rational a, Rational b) {
    return {a.num * b.num, a.den * b.den};
  }
  friend constexpr Rational operator/(Rational a, Rational b) {
    return {a.num * b.den, a.den * b.num};
  }
  Rational& operator+=(Rational b) { return *this = *this + b; }
  friend constexpr bool operator==(Rational a, Rational b) {
    return a.num == b.num && a.den == b.den;
  }
  friend constexpr std::strong_ordering operator<=>(Rational a, Rational b) {
    return a.num * b.den <=> b.num * a.den;
  }
  std::string str() const {
    return den == 1 ? std::to_string(num) : std::to_string(num) + "/" + std::to_string(den);
  }
};

}  // namespace tb::metrics::abc
