#pragma once
// Running the optional music tools the report uses (abcm2ps, abc2midi, fluidsynth): found on
// PATH, run without a shell, output discarded, killed when they take too long. A tool that is
// missing or fails is a note in the report, never an error.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tb {

// The program's path on PATH, or nullopt.
std::optional<std::filesystem::path> find_program(const std::string& name);

// Runs args[0] (a path) with the arguments, stdin from /dev/null and stdout/stderr discarded;
// true when it exits 0 within `timeout_s` seconds (it is killed otherwise).
bool run_program(const std::vector<std::string>& args, double timeout_s);

}  // namespace tb
