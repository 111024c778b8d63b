#pragma once
// Data-parallel shards: which part of the documents this process evaluates, from --shard K/N or
// from the launcher's environment (MPI, Slurm), and which GPU its node-local rank takes.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace tb {

struct Shard {
  int index = 0;                  // K, 0-based
  int count = 1;                  // N
  std::optional<int> local_rank;  // the rank on this node, when the launcher says
  std::string source;             // "--shard", "OpenMPI", "PMI", "Slurm" or "" (no sharding)
  bool active() const { return count > 1; }
};

using EnvLookup = std::function<std::optional<std::string>(const char*)>;
std::optional<std::string> process_env(const char* name);

// `flag` is --shard's value ("" when not given): "K/N" with 0 <= K < N. Without it, the first of
// OpenMPI (OMPI_COMM_WORLD_RANK/SIZE, OMPI_COMM_WORLD_LOCAL_RANK), PMI (PMI_RANK/SIZE,
// MPI_LOCALRANKID) and Slurm (SLURM_PROCID/SLURM_NTASKS, SLURM_LOCALID) whose rank and size are
// both set. Throws tb::Error (BadInput) naming the flag or variable for a malformed value.
Shard resolve_shard(const std::string& flag, const EnvLookup& env = process_env);

// The store file of shard K of N: "runs.sqlite" -> "runs.shard-2-of-8.sqlite"; the path itself
// when not sharded.
std::filesystem::path shard_store_path(const std::filesystem::path& db, const Shard& shard);

// --device for this process: "auto" and "cuda" become "cuda:<local rank mod visible GPUs>" when
// the launcher gave a local rank and `visible_gpus` > 0; anything else is left as given.
std::string shard_device(const std::string& device, const Shard& shard, int visible_gpus);

}  // namespace tb
