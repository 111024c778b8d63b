#include "runners/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace tb {

namespace {

std::string clock_text(double seconds) {
  const auto s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace

Progress::Progress(std::string label, int64_t total, int64_t already_done)
    : label_(std::move(label)),
      total_(total),
      done_(already_done),
      start_done_(already_done),
      terminal_(isatty(STDERR_FILENO) != 0) {}

void Progress::advance(int64_t count) {
  done_ += count;
  draw(false);
}

void Progress::finish() {
  draw(true);
}

void Progress::draw(bool final) {
  const double elapsed = timer_.seconds();
  const double rate = elapsed > 0 ? static_cast<double>(done_ - start_done_) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : 0.0;
  const double fraction =
      total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  if (terminal_) {
    if (!final && elapsed - last_print_ < 0.1) return;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    fmt::print(stderr, "\r{} [{}{}] {}/{} {:.1f}/s ETA {}  ", label_, std::string(filled, '#'),
               std::string(kWidth - filled, ' '), done_, total_, rate, clock_text(eta));
    if (final) fmt::print(stderr, "\n");
  } else {
    const auto decile = static_cast<int64_t>(fraction * 10);
    if (decile == last_decile_ && (final || elapsed - last_print_ < 30.0)) return;
    last_decile_ = decile;
    fmt::print(stderr, "{}: {}/{} ({:.0f}%), {:.1f}/s, ETA {}\n", label_, done_, total_,
               fraction * 100, rate, clock_text(eta));
  }
  last_print_ = elapsed;
  std::fflush(stderr);
}

}  // namespace tb
