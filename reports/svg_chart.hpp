#pragma once
// Inline SVG charts for the HTML report: no script, no external resource. Every chart has a
// title, labelled axes with units where they have one, and a legend; series colours come from
// the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies) and lines
// also differ in their marker shape.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tb::svg {

// The i-th palette colour ("#0072B2", ...), cycling.
const char* colour(size_t i);

struct LinePoint {
  double x = 0.0;
  double y = 0.0;
  double err = 0.0;  // half-width of the band drawn around y (0 or NaN: none)
};
struct LineSeries {
  std::string name;
  std::vector<LinePoint> points;  // by x
};
struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<LineSeries> series;
};
std::string line_chart(const LineChart& chart);

// Horizontal bars: one group per category, one bar per series within it.
struct BarChart {
  std::string title;
  std::string value_label;
  std::vector<std::string> categories;
  std::vector<std::string> series;
  std::vector<std::vector<double>> values;  // [series][category]; NaN: no bar
  double max_value = 0.0;                   // 0: the largest value
};
std::string bar_chart(const BarChart& chart);

// One horizontal bar per row, split into parts that sum to (at most) 1.
struct StackedBars {
  std::string title;
  std::vector<std::string> rows;
  std::vector<std::string> parts;           // legend, in stacking order
  std::vector<std::vector<double>> values;  // [row][part], fractions
};
std::string stacked_bars(const StackedBars& chart);

struct RollNote {
  double start = 0.0;  // in beats
  double duration = 0.0;
  int pitch = 60;
  int track = 0;
};
// A piano roll: time in beats across, MIDI pitch up, a colour per track.
std::string piano_roll(const std::string& title, const std::vector<RollNote>& notes);

}  // namespace tb::svg
