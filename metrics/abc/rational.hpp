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

  // Arithmetic that would overflow (only adversarial input gets there: thousands of notes with
  // coprime denominators in one bar) gives this value instead of undefined behaviour. It is
  // larger than any real bar, so such a bar is reported as too long.
  static constexpr Rational saturated() {
    Rational r;
    r.num = int64_t{1} << 40;
    r.den = 1;
    return r;
  }

  constexpr void normalize() {
    if (den == 0 || num == INT64_MIN || den == INT64_MIN) {
      *this = saturated();
      return;
    }
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
  friend constexpr Rational operator+(Rational a, Rational b) { return add(a, b, 1); }
  friend constexpr Rational operator-(Rational a, Rational b) { return add(a, b, -1); }
  friend constexpr Rational operator*(Rational a, Rational b) {
    int64_t n = 0, d = 0;
    if (__builtin_mul_overflow(a.num, b.num, &n) || __builtin_mul_overflow(a.den, b.den, &d)) {
      return saturated();
    }
    return {n, d};
  }
  friend constexpr Rational operator/(Rational a, Rational b) {
    int64_t n = 0, d = 0;
    if (__builtin_mul_overflow(a.num, b.den, &n) || __builtin_mul_overflow(a.den, b.num, &d)) {
      return saturated();
    }
    return {n, d};
  }
  Rational& operator+=(Rational b) { return *this = *this + b; }
  friend constexpr bool operator==(Rational a, Rational b) {
    return a.num == b.num && a.den == b.den;
  }
  friend constexpr std::strong_ordering operator<=>(Rational a, Rational b) {
    int64_t x = 0, y = 0;
    if (__builtin_mul_overflow(a.num, b.den, &x) || __builtin_mul_overflow(b.num, a.den, &y)) {
      const long double l = static_cast<long double>(a.num) / static_cast<long double>(a.den);
      const long double r = static_cast<long double>(b.num) / static_cast<long double>(b.den);
      return l < r ? std::strong_ordering::less
                   : (l > r ? std::strong_ordering::greater : std::strong_ordering::equal);
    }
    return x <=> y;
  }
  std::string str() const {
    return den == 1 ? std::to_string(num) : std::to_string(num) + "/" + std::to_string(den);
  }

 private:
  static constexpr Rational add(Rational a, Rational b, int64_t sign) {
    int64_t x = 0, y = 0, n = 0, d = 0;
    if (__builtin_mul_overflow(a.num, b.den, &x) ||
        __builtin_mul_overflow(b.num * sign, a.den, &y) || __builtin_add_overflow(x, y, &n) ||
        __builtin_mul_overflow(a.den, b.den, &d)) {
      return saturated();
    }
    return {n, d};
  }
};

}  // namespace tb::metrics::abc
