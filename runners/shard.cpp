#include "runners/shard.hpp"

#include <charconv>
#include <cstdlib>

#include "harness/core/error.hpp"

namespace tb {

namespace {

int parse_int(const std::string& text, const std::string& what) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    throw Error(ErrorKind::BadInput, what + ": '" + text + "' is not an integer");
  return value;
}

Shard checked(int index, int count, const std::string& what) {
  if (count < 1) throw Error(ErrorKind::BadInput, what + ": the shard count must be positive");
  if (index < 0 || index >= count)
    throw Error(ErrorKind::BadInput, what + ": shard " + std::to_string(index) + " is outside 0.." +
                                         std::to_string(count - 1));
  Shard s;
  s.index = index;
  s.count = count;
  return s;
}

struct Launcher {
  const char* name;
  const char* rank;
  const char* size;
  const char* local_rank;
};

constexpr Launcher kLaunchers[] = {
    {"OpenMPI", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK"},
    {"PMI", "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID"},
    {"Slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID"},
};

}  // namespace

std::optional<std::string> process_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Shard resolve_shard(const std::string& flag, const EnvLookup& env) {
  if (!flag.empty()) {
    const size_t slash = flag.find('/');
    const std::string what = "--shard " + flag;
    if (slash == std::string::npos) throw Error(ErrorKind::BadInput, what + ": expected K/N");
    Shard s = checked(parse_int(flag.substr(0, slash), what),
                      parse_int(flag.substr(slash + 1), what), what);
    s.source = "--shard";
    // The launcher may still say which GPU of the node is this process's.
    for (const Launcher& l : kLaunchers) {
      if (const auto local = env(l.local_rank)) {
        s.local_rank = parse_int(*local, l.local_rank);
        break;
      }
    }
    return s;
  }
  for (const Launcher& l : kLaunchers) {
    const auto rank = env(l.rank);
    const auto size = env(l.size);
    if (!rank || !size) continue;
    const std::string what = std::string(l.rank) + "/" + l.size;
    Shard s = checked(parse_int(*rank, l.rank), parse_int(*size, l.size), what);
    s.source = l.name;
    if (const auto local = env(l.local_rank)) s.local_rank = parse_int(*local, l.local_rank);
    return s;
  }
  return Shard{};
}

std::filesystem::path shard_store_path(const std::filesystem::path& db, const Shard& shard) {
  if (!shard.active()) return db;
  std::filesystem::path out = db;
  const std::string ext = db.has_extension() ? db.extension().string() : ".sqlite";
  out.replace_filename(db.stem().string() + ".shard-" + std::to_string(shard.index) + "-of-" +
                       std::to_string(shard.count) + ext);
  return out;
}

std::string shard_device(const std::string& device, const Shard& shard, int visible_gpus) {
  if (!shard.local_rank || visible_gpus <= 0) return device;
  if (device != "auto" && device != "cuda") return device;
  return "cuda:" + std::to_string(*shard.local_rank % visible_gpus);
}

}  // namespace tb
