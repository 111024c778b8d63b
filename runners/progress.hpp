#pragma once
// A progress line for long runs: a redrawn bar with rate and ETA on a terminal, plain lines
// every 10% (or 30 s) otherwise, always on stderr so stdout stays machine-readable.
#include <cstdint>
#include <string>

#include "harness/core/timer.hpp"

namespace tb {

class Progress {
 public:
  Progress(std::string label, int64_t total, int64_t already_done);
  void advance(int64_t count);
  void finish();

 private:
  void draw(bool final);

  std::string label_;
  int64_t total_;
  int64_t done_;
  int64_t start_done_;
  bool terminal_;
  Timer timer_;
  double last_print_ = -1.0;
  int64_t last_decile_ = -1;
};

}  // namespace tb
