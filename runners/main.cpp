// tunebench: the command-line entry point. Subcommands are an explicit list here.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <exception>

#include "harness/core/error.hpp"
#include "metrics/notes/parse_error.hpp"
#include "runners/compare_command.hpp"
#include "runners/compare_profiles_command.hpp"
#include "runners/eval_command.hpp"
#include "runners/export_command.hpp"
#include "runners/merge_command.hpp"
#include "runners/metrics_command.hpp"
#include "runners/profile_command.hpp"
#include "runners/report_command.hpp"
#include "runners/runs_command.hpp"
#include "runners/score_command.hpp"
#include "runners/sweep_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"tunebench: evaluation and benchmarking of symbolic-music language models"};
  app.require_subcommand(1);
  tb::add_score_command(app);
  tb::add_eval_command(app);
  tb::add_runs_commands(app);
  tb::add_metrics_command(app);
  tb::add_sweep_command(app);
  tb::add_compare_command(app);
  tb::add_gate_command(app);
  tb::add_merge_command(app);
  tb::add_export_command(app);
  tb::add_profile_command(app);
  tb::add_compare_profiles_command(app);
  tb::add_report_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const tb::Error& e) {
    fmt::print(stderr, "tunebench: {}\n", e.what());
    return e.exit_code();
  } catch (const tb::notes::ParseError& e) {
    // The metrics readers' own exception ("FILE: byte N: what"): bad input wherever it escapes.
    fmt::print(stderr, "tunebench: {}\n", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "tunebench: out of memory\n");
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "tunebench: internal error: {}\n", e.what());
    return 70;
  } catch (...) {
    fmt::print(stderr, "tunebench: internal error: an unknown exception\n");
    return 70;
  }
  return 0;
}
