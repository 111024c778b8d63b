#pragma once
// Running the tunebench binary from the flow tests: a quiet child process to kill at will, or a
// command whose exit code, stdout and stderr are captured.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace tb::test {

// Starts `args` (args[0] is the program) with stdout and stderr discarded.
inline pid_t spawn_quiet(const std::vector<std::string>& args) {
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// The exit code, or 128 + the signal that ended the process.
inline int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// The tunebench binary: the build's, unless TB_TUNEBENCH_BIN names another (a prebuilt bundle).
inline std::string tunebench_bin() {
  const char* value = std::getenv("TB_TUNEBENCH_BIN");
  return value != nullptr && *value != '\0' ? value : TB_TUNEBENCH_BIN;
}

// Runs `tunebench_bin() args` through the shell.
inline Outcome run_tunebench(const std::string& args) {
  static std::atomic<int> calls{0};
  const std::filesystem::path err_file =
      std::filesystem::temp_directory_path() /
      ("tb_err_" + std::to_string(getpid()) + "_" + std::to_string(calls++));
  const std::string command = tunebench_bin() + " " + args + " 2>" + err_file.string();
  Outcome o;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) o.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream err(err_file);
  o.err.assign(std::istreambuf_iterator<char>(err), {});
  std::filesystem::remove(err_file);
  return o;
}

}  // namespace tb::test
