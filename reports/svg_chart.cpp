#include "reports/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "reports/xml_escape.hpp"

namespace tb::svg {
namespace {

constexpr const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                    "#CC79A7", "#56B4E9", "#000000", "#F0E442"};
constexpr const char* kFont = "font-family=\"sans-serif\" font-size=\"12\"";

// About five round tick values covering [low, high].
std::vector<double> ticks(double low, double high) {
  if (!(high > low)) high = low + 1.0;
  const double raw = (high - low) / 5.0;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  std::vector<double> out;
  for (double t = std::ceil(low / step) * step; t <= high + step * 1e-9; t += step)
    out.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return out;
}

std::string number(double v) {
  if (std::abs(v) >= 1e5)
    return v == std::floor(v) ? fmt::format("{:.0f}", v) : fmt::format("{:.3g}", v);
  if (std::abs(v) < 1e-3 && v != 0.0) return fmt::format("{:.2g}", v);
  return fmt::format("{:.6g}", v);
}

// A marker of shape `i` centred at (x, y): circle, square, triangle, diamond.
std::string marker(size_t i, double x, double y, const char* fill) {
  switch (i % 4) {
    case 0:
      return fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\"/>", x, y, fill);
    case 1:
      return fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"8\" height=\"8\" fill=\"{}\"/>",
                         x - 4, y - 4, fill);
    case 2:
      return fmt::format("<path d=\"M{:.1f} {:.1f}l5 9h-10z\" fill=\"{}\"/>", x, y - 5, fill);
    default:
      return fmt::format("<path d=\"M{:.1f} {:.1f}l5 5l-5 5l-5 -5z\" fill=\"{}\"/>", x, y - 5,
                         fill);
  }
}

std::string open_svg(int width, int height, const std::string& title, const char* kind) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart {}\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\"><title>{}</title>"
      "<text x=\"{}\" y=\"18\" text-anchor=\"middle\" {} font-weight=\"bold\">{}</text>",
      kind, width, height, width, height, xml_escape(title), xml_escape(title), width / 2, kFont,
      xml_escape(title));
}

}  // namespace

const char* colour(size_t i) {
  return kPalette[i % (sizeof kPalette / sizeof kPalette[0])];
}

std::string line_chart(const LineChart& chart) {
  const int width = 640, left = 70, right = 20, top = 30, plot_h = 220;
  const int legend_rows = static_cast<int>(chart.series.size());
  const int height = top + plot_h + 50 + 16 * legend_rows;
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const LineSeries& s : chart.series) {
    for (const LinePoint& p : s.points) {
      const double e = std::isfinite(p.err) ? p.err : 0.0;
      x0 = std::min(x0, p.x);
      x1 = std::max(x1, p.x);
      y0 = std::min(y0, p.y - e);
      y1 = std::max(y1, p.y + e);
    }
  }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 == x0) x0 -= 1, x1 += 1;
  if (y1 == y0)
    y0 -= std::max(1e-3, std::abs(y0) * 0.05), y1 += std::max(1e-3, std::abs(y1) * 0.05);
  const std::vector<double> yt = ticks(y0, y1), xt = ticks(x0, x1);
  y0 = std::min(y0, yt.front());
  y1 = std::max(y1, yt.back());
  const int plot_w = width - left - right;
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * plot_w; };
  auto py = [&](double y) { return top + plot_h - (y - y0) / (y1 - y0) * plot_h; };

  std::string out = open_svg(width, height, chart.title, "line");
  out += fmt::format("<g {}>", kFont);
  for (double t : yt) {
    out += fmt::format(
        "<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>",
        left, left + plot_w, py(t), py(t), left - 6, py(t) + 4, number(t));
  }
  for (double t : xt) {
    if (t < x0 || t > x1) continue;
    out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", px(t),
                       top + plot_h + 16, number(t));
  }
  out += fmt::format(
      "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#333\"/>"
      "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#333\"/>",
      left, left + plot_w, top + plot_h, top + plot_h, left, left, top, top + plot_h);
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", left + plot_w / 2,
                     top + plot_h + 34, xml_escape(chart.x_label));
  out += fmt::format(
      "<text transform=\"translate(16 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
      top + plot_h / 2, xml_escape(chart.y_label));
  for (size_t i = 0; i < chart.series.size(); ++i) {
    const LineSeries& s = chart.series[i];
    const char* c = colour(i);
    // The band: y + err forwards, y - err backwards.
    std::string band, line;
    bool any_band = false;
    for (const LinePoint& p : s.points) {
      const double e = std::isfinite(p.err) ? p.err : 0.0;
      any_band = any_band || e > 0;
      band += fmt::format("{}{:.1f},{:.1f}", band.empty() ? "" : " ", px(p.x), py(p.y + e));
    }
    for (auto p = s.points.rbegin(); p != s.points.rend(); ++p) {
      const double e = std::isfinite(p->err) ? p->err : 0.0;
      band += fmt::format(" {:.1f},{:.1f}", px(p->x), py(p->y - e));
    }
    if (any_band)
      out += fmt::format("<polygon class=\"band\" points=\"{}\" fill=\"{}\" opacity=\"0.18\"/>",
                         band, c);
    for (const LinePoint& p : s.points)
      line += fmt::format("{}{:.1f},{:.1f}", line.empty() ? "" : " ", px(p.x), py(p.y));
    out += fmt::format(
        "<polyline class=\"series\" data-series=\"{}\" points=\"{}\" fill=\"none\" "
        "stroke=\"{}\" stroke-width=\"2\"/>",
        xml_escape(s.name), line, c);
    for (const LinePoint& p : s.points) out += marker(i, px(p.x), py(p.y), c);
    const int ly = top + plot_h + 50 + 16 * static_cast<int>(i);
    out += marker(i, left + 6, ly - 4, c);
    out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>", left + 18, ly, xml_escape(s.name));
  }
  out += "</g></svg>";
  return out;
}

std::string bar_chart(const BarChart& chart) {
  const int width = 640, left = 200, right = 60, top = 30;
  const int bar = 12, gap = 10;
  const int groups = static_cast<int>(chart.categories.size());
  const int per = static_cast<int>(chart.series.size());
  const int plot_h = groups * (per * bar + gap);
  const int height = top + plot_h + 40 + 16 * per;
  double vmax = chart.max_value;
  for (const auto& row : chart.values)
    for (double v : row)
      if (std::isfinite(v) && chart.max_value <= 0) vmax = std::max(vmax, v);
  if (!(vmax > 0)) vmax = 1.0;
  const int plot_w = width - left - right;
  std::string out = open_svg(width, height, chart.title, "bars");
  out += fmt::format("<g {}>", kFont);
  for (double t : ticks(0.0, vmax)) {
    const double x = left + t / vmax * plot_w;
    if (t > vmax * (1 + 1e-9)) continue;
    out += fmt::format(
        "<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{}\" y2=\"{}\" stroke=\"#ddd\"/>"
        "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        x, x, top, top + plot_h, x, top + plot_h + 14, number(t));
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", left + plot_w / 2,
                     top + plot_h + 30, xml_escape(chart.value_label));
  for (int g = 0; g < groups; ++g) {
    const int gy = top + g * (per * bar + gap);
    out +=
        fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", left - 6,
                    gy + per * bar / 2 + 4, xml_escape(chart.categories[static_cast<size_t>(g)]));
    for (int s = 0; s < per; ++s) {
      const double v = chart.values[static_cast<size_t>(s)][static_cast<size_t>(g)];
      if (!std::isfinite(v)) continue;
      const double w = std::max(0.0, v) / vmax * plot_w;
      out += fmt::format(
          "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\">"
          "<title>{}: {}</title></rect><text x=\"{:.1f}\" y=\"{}\">{}</text>",
          left, gy + s * bar, w, bar - 1, colour(static_cast<size_t>(s)),
          xml_escape(chart.series[static_cast<size_t>(s)]), number(v), left + w + 4,
          gy + s * bar + bar - 2, number(v));
    }
  }
  out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#333\"/>", left, left,
                     top, top + plot_h);
  for (int s = 0; s < per; ++s) {
    const int ly = top + plot_h + 48 + 16 * s;
    out += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"{}\">{}</text>",
        left, ly - 9, colour(static_cast<size_t>(s)), left + 16, ly,
        xml_escape(chart.series[static_cast<size_t>(s)]));
  }
  out += "</g></svg>";
  return out;
}

std::string stacked_bars(const StackedBars& chart) {
  const int width = 640, left = 200, right = 20, top = 30, bar = 18, gap = 8;
  const int rows = static_cast<int>(chart.rows.size());
  const int plot_h = rows * (bar + gap);
  const int height = top + plot_h + 40 + 16;
  const int plot_w = width - left - right;
  std::string out = open_svg(width, height, chart.title, "stacked");
  out += fmt::format("<g {}>", kFont);
  for (int r = 0; r < rows; ++r) {
    const int y = top + r * (bar + gap);
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", left - 6,
                       y + bar / 2 + 4, xml_escape(chart.rows[static_cast<size_t>(r)]));
    double at = 0.0;
    const auto& values = chart.values[static_cast<size_t>(r)];
    for (size_t p = 0; p < values.size(); ++p) {
      const double v = std::clamp(std::isfinite(values[p]) ? values[p] : 0.0, 0.0, 1.0 - at);
      out += fmt::format(
          "<rect class=\"part\" x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" "
          "fill=\"{}\"><title>{}: {:.1f}%</title></rect>",
          left + at * plot_w, y, v * plot_w, bar, colour(p), xml_escape(chart.parts[p]), 100 * v);
      at += v;
    }
  }
  for (double t : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{:.0f}%</text>",
                       left + t * plot_w, top + plot_h + 12, 100 * t);
  }
  int lx = left;
  for (size_t p = 0; p < chart.parts.size(); ++p) {
    out += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"{}\">{}</text>",
        lx, top + plot_h + 26, colour(p), lx + 14, top + plot_h + 35, xml_escape(chart.parts[p]));
    lx += 24 + 8 * static_cast<int>(chart.parts[p].size());
  }
  out += "</g></svg>";
  return out;
}

std::string piano_roll(const std::string& title, const std::vector<RollNote>& notes) {
  const int width = 640, left = 44, right = 10, top = 26, plot_h = 160;
  const int height = top + plot_h + 34;
  double end = 1.0;
  int low = 127, high = 0;
  for (const RollNote& n : notes) {
    end = std::max(end, n.start + n.duration);
    low = std::min(low, n.pitch);
    high = std::max(high, n.pitch);
  }
  if (low > high) low = 60, high = 72;
  low -= 1;
  high += 1;
  const int plot_w = width - left - right;
  const double row = static_cast<double>(plot_h) / (high - low + 1);
  std::string out = open_svg(width, height, title, "roll");
  out += fmt::format("<g {}>", kFont);
  out += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fafafa\" stroke=\"#333\"/>", left,
      top, plot_w, plot_h);
  for (int p = low; p <= high; ++p) {
    if (p % 12 != 0) continue;  // a label per C
    const double y = top + (high - p) * row;
    out += fmt::format(
        "<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">C{}</text>",
        left, left + plot_w, y + row, y + row, left - 4, y + row, p / 12 - 1);
  }
  for (const RollNote& n : notes) {
    out += fmt::format(
        "<rect class=\"note\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
        "fill=\"{}\"/>",
        left + n.start / end * plot_w, top + (high - n.pitch) * row,
        std::max(1.0, n.duration / end * plot_w), std::max(1.0, row - 0.5),
        colour(static_cast<size_t>(std::max(0, n.track))));
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">time (beats)</text>",
                     left + plot_w / 2, top + plot_h + 16);
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.0f}</text>", left + plot_w,
                     top + plot_h + 16, end);
  out += "</g></svg>";
  return out;
}

}  // namespace tb::svg
