// Issue 31: the commands that only read a store (runs, show, report, compare, gate, export,
// compare-profiles) open it read-only: they work on read-only media (a directory and file
// without write permission; a read-only bind mount when the test runs as root and mount works)
// and never change a byte of it (checksums before and after). compare on a zero-byte file and
// merge given a notes file as a shard refuse them unchanged; a FIFO given as --db is refused at
// once. And a data file that is not UTF-8 (Latin-1 ABC) is scored, stored and exported.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <string>
#include <vector>

#include "reports/sqlite_db.hpp"
#include "reports/store.hpp"
#include "tests/e2e/run_tunebench.hpp"
#include "tests/unit/reports/store_test_util.hpp"

namespace fs = std::filesystem;
using namespace tb;

namespace {

std::string bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// FNV-1a of the file's bytes.
uint64_t checksum(const fs::path& p) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes_of(p)) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string q(const fs::path& p) {
  return "'" + p.string() + "'";
}

// Two finished runs of one suite over the same documents, and a profile row each, closed (its
// WAL checkpointed); `journal` "delete" switches the file back to a rollback journal.
void write_store(const fs::path& path, const std::string& journal = "wal") {
  {
    Store store = Store::open(path);
    for (int k = 0; k < 2; ++k) {
      RunInfo info = test::sample_run_info("/models/m/checkpoint-" + std::to_string(k + 1));
      info.model_hash += std::to_string(k);  // two runs, not one resumed
      const int64_t id = store.begin_run(info);
      std::vector<SampleRow> rows;
      for (int d = 0; d < 8; ++d)
        rows.push_back(test::sample_row("d" + std::to_string(d), (d + k) % 4 == 0 ? 0 : 1, 0));
      store.add_samples(id, rows);
      ProfileRow profile;
      profile.phase = "decode";
      profile.batch = 1;
      profile.tokens_per_s = 100.0 + k;
      store.add_profile(id, profile);
      const std::vector<MetricValue> metrics = {{"acc", "", 0.5, 0.1, 8, true}};
      store.finish_run(id, metrics);
    }
  }
  if (journal != "wal") {
    auto db = sqlite::Database::open(path);
    CHECK(db.query_text(("PRAGMA journal_mode = " + journal).c_str()) == journal);
  }
}

// Every read-only command on `db`: each exits 0, and the file keeps its bytes.
void check_read_commands(const fs::path& db, const fs::path& out_dir) {
  const uint64_t before = checksum(db);
  const std::string d = " --db " + q(db);
  const std::vector<std::string> commands = {
      "runs" + d,
      "show 1" + d,
      "report" + d + " -o " + q(out_dir / "report.md"),
      "compare 1 2" + d,
      "gate --baseline 1 --candidate 2 --max-drop acc=1" + d,
      "export 1" + d + " --output_path " + q(out_dir / "export"),
      "compare-profiles 1 2" + d,
  };
  for (const std::string& c : commands) {
    CAPTURE(c);
    const auto o = test::run_tunebench(c);
    CAPTURE(o.err);
    CHECK(o.exit_code == 0);
    CHECK(checksum(db) == before);
  }
}

}  // namespace

TEST_CASE("read-only store: every reading command works and changes no byte") {
  test::TempDir tmp;
  const fs::path out = tmp / "out";
  fs::create_directories(out);
  SUBCASE("a WAL store in a writable directory") {
    write_store(tmp / "wal.sqlite");
    check_read_commands(tmp / "wal.sqlite", out);
  }
  SUBCASE("a rollback-journal store stays one (compare converted it to WAL)") {
    const fs::path db = tmp / "delete.sqlite";
    write_store(db, "delete");
    check_read_commands(db, out);
    CHECK(sqlite::Database::open_read_only(db).query_text("PRAGMA journal_mode") == "delete");
  }
  SUBCASE("no write permission on the file and its directory") {
    const fs::path dir = tmp / "ro";
    fs::create_directories(dir);
    write_store(dir / "store.sqlite");
    fs::permissions(dir / "store.sqlite",
                    fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                             fs::perms::group_exec | fs::perms::others_read |
                             fs::perms::others_exec);
    check_read_commands(dir / "store.sqlite", out);
    fs::permissions(dir, fs::perms::owner_all);
  }
  SUBCASE("a read-only bind mount (as root, where mount works)") {
    const fs::path src = tmp / "src", ro = tmp / "mnt";
    fs::create_directories(src);
    fs::create_directories(ro);
    write_store(src / "store.sqlite");
    const std::string mount = "mount --bind -o ro " + q(src) + " " + q(ro) + " >/dev/null 2>&1";
    if (::geteuid() != 0 || std::system(mount.c_str()) != 0) {
      MESSAGE("SKIP: mount --bind -o ro is not available here");
      return;
    }
    // A bind mount made read-only in one step on older kernels: check that it is.
    if (::access(ro.c_str(), W_OK) == 0) {
      CHECK(std::system(("mount -o remount,bind,ro " + q(ro) + " >/dev/null 2>&1").c_str()) == 0);
    }
    check_read_commands(ro / "store.sqlite", out);
    CHECK(std::system(("umount " + q(ro)).c_str()) == 0);
  }
}

TEST_CASE("read-only store: files that are not stores are refused unchanged") {
  test::TempDir tmp;
  // compare on a zero-byte file wrote a schema into it.
  const fs::path empty = tmp / "empty.sqlite";
  std::ofstream(empty).close();
  const std::vector<std::string> commands = {"compare 1 2",
                                             "gate --baseline 1 --candidate 2 --max-drop acc=1",
                                             "export 1 --output_path " + q(tmp / "x"), "runs"};
  for (const std::string& c : commands) {
    CAPTURE(c);
    const auto o = test::run_tunebench(c + " --db " + q(empty));
    CHECK(o.exit_code == 2);
    CHECK(o.err.find("empty.sqlite") != std::string::npos);
    CHECK(fs::file_size(empty) == 0);
  }
  // merge OUT S0 notes.txt overwrote the one-byte notes.txt with an empty store.
  write_store(tmp / "s0.sqlite");
  const fs::path notes = tmp / "notes.txt";
  std::ofstream(notes) << "x";
  const auto merged = test::run_tunebench("merge " + q(tmp / "out.sqlite") + " " +
                                          q(tmp / "s0.sqlite") + " " + q(notes));
  CHECK(merged.exit_code == 2);
  CHECK(merged.err.find("notes.txt") != std::string::npos);
  CHECK(bytes_of(notes) == "x");
  CHECK_FALSE(fs::exists(tmp / "out.sqlite"));
}

TEST_CASE("read-only store: a FIFO given as --db is refused at once") {
  test::TempDir tmp;
  const fs::path fifo = tmp / "results.sqlite";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::vector<std::string> commands = {"runs", "show 1", "report -o " + q(tmp / "r.md"),
                                             "compare 1 2"};
  for (const std::string& c : commands) {
    CAPTURE(c);
    auto done =
        std::async(std::launch::async, [&] { return test::run_tunebench(c + " --db " + q(fifo)); });
    if (done.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
      FAIL_CHECK("blocked on the FIFO");
      const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // releases the reader
      if (fd >= 0) ::close(fd);
    }
    const auto o = done.get();
    CHECK(o.exit_code == 2);
    CHECK(o.err.find("not a regular file") != std::string::npos);
  }
}

// Issue 31: the abc-ppl Latin-1 data file was scored whole, then ended in exit 70 when its
// document JSON was dumped strictly into the store.
TEST_CASE("store: a Latin-1 abc-ppl data file is scored, stored and exported") {
  test::TempDir tmp;
  const fs::path abc = tmp / "latin1.abc";
  std::ofstream(abc, std::ios::binary)
      << "X:1\nT:Caf\xe9 au lait\nM:4/4\nL:1/8\nK:C\n"
         "CDEF GABc|\n\nX:2\nT:Ol\xe9\nM:3/4\nL:1/8\nK:G\nGAB cde|\n";
  const fs::path db = tmp / "latin1.sqlite";
  const auto eval = test::run_tunebench(
      "eval --model " + q(fs::path(TB_SOURCE_DIR) / "data/models/tiny-abc-llama") +
      " --suite abc-ppl --data abc-ppl=" + q(abc) + " --threads 1 --db " + q(db));
  CAPTURE(eval.err);
  REQUIRE(eval.exit_code == 0);
  const auto exported =
      test::run_tunebench("export 1 --db " + q(db) + " --output_path " + q(tmp / "export"));
  CAPTURE(exported.err);
  CHECK(exported.exit_code == 0);
}
