// Shards from --shard and from the launchers' environment, their store files and GPUs; --limit.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <map>

#include "harness/core/error.hpp"
#include "runners/doc_limit.hpp"
#include "runners/shard.hpp"

namespace {

// The message of the tb::Error `f` throws, "" when it throws none.
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const tb::Error& e) {
    CHECK(e.exit_code() == 2);
    return e.what();
  }
  return "";
}

tb::EnvLookup env(std::map<std::string, std::string> vars) {
  return [vars](const char* name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("--shard K/N, else OpenMPI, PMI, Slurm, else no sharding") {
  const tb::Shard none = tb::resolve_shard("", env({}));
  CHECK_FALSE(none.active());
  CHECK(none.source.empty());

  const tb::Shard flag = tb::resolve_shard("2/8", env({{"SLURM_LOCALID", "5"}}));
  CHECK(flag.index == 2);
  CHECK(flag.count == 8);
  CHECK(flag.local_rank == 5);
  CHECK(flag.source == "--shard");

  const tb::Shard mpi = tb::resolve_shard("", env({{"OMPI_COMM_WORLD_RANK", "3"},
                                                   {"OMPI_COMM_WORLD_SIZE", "4"},
                                                   {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
                                                   {"SLURM_PROCID", "0"},
                                                   {"SLURM_NTASKS", "1"}}));
  CHECK(mpi.index == 3);
  CHECK(mpi.count == 4);
  CHECK(mpi.local_rank == 1);
  CHECK(mpi.source == "OpenMPI");

  const tb::Shard pmi = tb::resolve_shard("", env({{"PMI_RANK", "1"}, {"PMI_SIZE", "2"}}));
  CHECK(pmi.source == "PMI");
  CHECK_FALSE(pmi.local_rank.has_value());

  const tb::Shard slurm = tb::resolve_shard(
      "", env({{"SLURM_PROCID", "9"}, {"SLURM_NTASKS", "16"}, {"SLURM_LOCALID", "1"}}));
  CHECK(slurm.index == 9);
  CHECK(slurm.count == 16);
  CHECK(slurm.local_rank == 1);
  CHECK(slurm.source == "Slurm");
  // Rank without size is not a launch.
  CHECK_FALSE(tb::resolve_shard("", env({{"SLURM_PROCID", "3"}})).active());
}

TEST_CASE("malformed shards are bad input naming the flag or variable") {
  for (const char* bad : {"3", "4/4", "-1/4", "1/0", "a/b", "1/4x"}) {
    CAPTURE(bad);
    try {
      tb::resolve_shard(bad, env({}));
      FAIL("accepted");
    } catch (const tb::Error& e) {
      CHECK(e.exit_code() == 2);
      CHECK(std::string(e.what()).starts_with(fmt::format("--shard {}", bad)));
    }
  }
  CHECK(error_of([] {
          tb::resolve_shard("", env({{"SLURM_PROCID", "x"}, {"SLURM_NTASKS", "4"}}));
        }).starts_with("SLURM_PROCID"));
  CHECK_THROWS_AS(tb::resolve_shard("", env({{"PMI_RANK", "5"}, {"PMI_SIZE", "2"}})), tb::Error);
}

TEST_CASE("shard store files and GPUs") {
  tb::Shard s;
  CHECK(tb::shard_store_path("out/r.sqlite", s) == "out/r.sqlite");
  s.index = 2;
  s.count = 8;
  CHECK(tb::shard_store_path("out/r.sqlite", s) == "out/r.shard-2-of-8.sqlite");
  CHECK(tb::shard_store_path("results", s) == "results.shard-2-of-8.sqlite");
  CHECK(tb::shard_device("auto", s, 8) == "auto");  // no local rank known
  s.local_rank = 5;
  CHECK(tb::shard_device("auto", s, 8) == "cuda:5");
  CHECK(tb::shard_device("cuda", s, 4) == "cuda:1");
  CHECK(tb::shard_device("auto", s, 0) == "auto");  // no GPU: the CPU
  CHECK(tb::shard_device("cpu", s, 8) == "cpu");
  CHECK(tb::shard_device("cuda:0", s, 8) == "cuda:0");  // an explicit device wins
}

TEST_CASE("--limit: a count or a fraction per subset, as lm-eval's") {
  std::vector<tb::Doc> docs;
  // Ids built with fmt: GCC 12's -Wrestrict misfires on "a" + std::to_string(i).
  for (int i = 0; i < 7; ++i) docs.push_back({fmt::format("a{}", i), "a", {}});
  for (int i = 0; i < 3; ++i) docs.push_back({fmt::format("b{}", i), "b", {}});
  auto ids = [&](const std::string& limit) {
    std::string out;
    for (const tb::Doc* d : tb::apply_doc_limit(docs, tb::parse_doc_limit(limit))) out += d->id;
    return out;
  };
  CHECK(ids("0") == "a0a1a2a3a4a5a6b0b1b2");
  CHECK(ids("2") == "a0a1b0b1");
  CHECK(ids("0.5") == "a0a1a2a3b0b1");  // ceil(3.5) = 4, ceil(1.5) = 2
  CHECK(ids("0.1") == "a0b0");          // ceil(0.7) = 1, ceil(0.3) = 1
  CHECK(ids("1") == "a0b0");            // 1 is a count, as in lm-eval
  CHECK(tb::parse_doc_limit("0.25").to_json() == 0.25);
  CHECK(tb::parse_doc_limit("40").to_json() == 40);
  for (const char* bad : {"-1", "-0.5", "1.5", "", "x", "2e"}) {
    CAPTURE(bad);
    CHECK(error_of([&] { tb::parse_doc_limit(bad); }).starts_with("--limit"));
  }
}
