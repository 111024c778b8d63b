// Issue 31: the holes a second hostile run found in the torch.save readers. Each input is made
// here, small; growth is checked by counting work (the unpickler's steps, the zip reader's
// inflated bytes) at n and 10n, never by timing.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <vector>

#include "harness/core/limits.hpp"
#include "harness/io/megatron_checkpoint.hpp"
#include "harness/io/torch_checkpoint_file.hpp"
#include "harness/io/torch_pickle.hpp"
#include "harness/io/zip_archive.hpp"
#include "tests/unit/io/io_test_util.hpp"
#include "tests/unit/io/torch_test_util.hpp"

using namespace tb;
using namespace tb::test;
namespace pk = tb::test::pickle;

namespace {

const std::string kProto2 = std::string("\x80\x02");

std::string u16(uint32_t v) {
  return {static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff)};
}

// A dict of n string keys (each to None) in one SETITEMS, as torch.save writes a state dict.
std::string dict_of(size_t n) {
  std::string out = kProto2 + "}(";
  for (size_t i = 0; i < n; ++i) out += pk::str("layers." + std::to_string(i) + ".weight") + "N";
  return out + "u.";
}

// Megatron's args: argparse.Namespace() with a state dict of n fields (BUILD).
std::string namespace_of(size_t n) {
  std::string out = kProto2 + pk::global("argparse", "Namespace") + ")\x81}(";
  for (size_t i = 0; i < n; ++i) out += pk::str("field_" + std::to_string(i)) + "K\x01";
  return out + "ub.";
}

// 2^levels references to `leaf` through dicts that share their children: level k is
// {'a': level k-1, 'b': level k-1}, each level memoized and fetched twice.
std::string shared_levels(const std::string& leaf, int levels) {
  std::string out = kProto2 + leaf + "q" + std::string(1, '\0') + "0";
  for (int k = 1; k <= levels; ++k) {
    std::string get = "h";
    get += static_cast<char>(k - 1);
    out += "}(" + pk::str("a") + get + pk::str("b") + get + "uq" +
           std::string(1, static_cast<char>(k));
    if (k < levels) out += "0";
  }
  return out + ".";
}

UnpickleStats stats_of(const std::string& stream, const UnpicklePolicy& policy = {}) {
  UnpickleStats stats;
  try {
    unpickle(stream, "mem", policy, &stats);
  } catch (const Error&) {
  }
  return stats;
}

// Runs `fn` on a thread and reports whether it finished within 10 s. A reader blocked on a FIFO
// is released by opening the FIFO's other end, so that a failing test ends instead of hanging.
template <class Fn>
bool finishes(const std::filesystem::path& fifo, Fn&& fn) {
  auto done = std::async(std::launch::async, std::forward<Fn>(fn));
  if (done.wait_for(std::chrono::seconds(10)) == std::future_status::ready) return true;
  const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
  if (fd >= 0) ::close(fd);
  done.wait();
  return false;
}

// A zip whose `count` central-directory entries all point at one local header: one deflate
// stream of `size` zero bytes, inflated once per entry before issue 31 (the overlapping bomb).
std::string overlapping_zip(size_t count, size_t size) {
  const std::string data(size, '\0');
  z_stream z{};
  REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string packed(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(packed.data());
  z.avail_out = static_cast<uInt>(packed.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  packed.resize(z.total_out);
  deflateEnd(&z);
  const auto crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
  auto name = [](size_t i) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "archive/data/%04zu", i);
    return std::string(buf);
  };
  const std::string sizes = pk::u32(crc) + pk::u32(static_cast<uint32_t>(packed.size())) +
                            pk::u32(static_cast<uint32_t>(data.size()));
  std::string out = pk::u32(0x04034b50) + u16(20) + u16(0) + u16(8) + u16(0) + u16(0) + sizes +
                    u16(static_cast<uint32_t>(name(0).size())) + u16(0) + name(0) + packed;
  const size_t directory_at = out.size();
  for (size_t i = 0; i < count; ++i) {
    out += pk::u32(0x02014b50) + u16(20) + u16(20) + u16(0) + u16(8) + u16(0) + u16(0) + sizes +
           u16(static_cast<uint32_t>(name(i).size())) + u16(0) + u16(0) + u16(0) + u16(0) +
           pk::u32(0) + pk::u32(0) + name(i);
  }
  const size_t directory_size = out.size() - directory_at;
  out += pk::u32(0x06054b50) + u16(0) + u16(0) + u16(static_cast<uint32_t>(count)) +
         u16(static_cast<uint32_t>(count)) + pk::u32(static_cast<uint32_t>(directory_size)) +
         pk::u32(static_cast<uint32_t>(directory_at)) + u16(0);
  return out;
}

}  // namespace

TEST_CASE("zip, torch file: a FIFO named pytorch_model.bin is refused at once") {
  TempDir tmp;
  const auto fifo = tmp / "pytorch_model.bin";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(finishes(fifo, [&] {
    expect_error([&] { ZipArchive::open(fifo); }, ErrorKind::Io,
                 {"pytorch_model.bin", "not a regular file"});
  }));
  CHECK(finishes(fifo, [&] {
    expect_error([&] { TorchCheckpointFile::open(fifo); }, ErrorKind::Io,
                 {"pytorch_model.bin", "not a regular file"});
  }));
}

TEST_CASE("unpickler: SETITEMS and a Namespace's BUILD are linear in the keys") {
  const UnpickleStats small = stats_of(dict_of(2000));
  const UnpickleStats large = stats_of(dict_of(20000));
  REQUIRE(small.work > 0);
  CHECK(large.work <= 12 * small.work);  // quadratic: 100x
  const PickleRef dict = unpickle(dict_of(20000), "mem");
  REQUIRE(dict->entries.size() == 20000);
  CHECK(dict->entries[12345].first->text == "layers.12345.weight");

  const UnpicklePolicy megatron = megatron_unpickle_policy();
  const UnpickleStats ns_small = stats_of(namespace_of(2000), megatron);
  const UnpickleStats ns_large = stats_of(namespace_of(20000), megatron);
  CHECK(ns_large.work <= 12 * ns_small.work);
  CHECK(unpickle(namespace_of(20000), "mem", megatron)->entries.size() == 20000);

  // Repeated keys still replace (Python's dict), in a small dict and in an indexed large one.
  for (size_t n : {3, 100}) {
    std::string stream = kProto2 + "}(";
    for (size_t i = 0; i < n; ++i) {
      std::string key = "k";
      key += std::to_string(i);
      stream += pk::str(key) + "N";
    }
    stream += pk::str("k1") + pk::int1(7) + "u" + pk::str("k2") + pk::int1(9) + "s.";
    const PickleRef d = unpickle(stream, "mem");
    CHECK(d->entries.size() == n);
    CHECK(d->find("k1")->integer == 7);
    CHECK(d->find("k2")->integer == 9);
  }
}

TEST_CASE("unpickler: dicts sharing their children cannot multiply what the result names") {
  // 24 levels: 2^24 references to one tensor from a stream of about 1 KB (out of memory at
  // 7.4 GB once the state dict reader named them all).
  const std::string leaf = pk::tensor("FloatStorage", "0", 6, 0, {6}, {1});
  const std::string bomb = shared_levels(leaf, 24);
  CHECK(bomb.size() < 2000);
  expect_error([&] { unpickle(bomb, "mem"); }, ErrorKind::BadInput,
               {"more values than the stream has bytes"});
  const UnpickleStats stats = stats_of(bomb);
  CHECK(stats.work < 10 * bomb.size());
  // The same through the reader of pytorch_model.bin.
  TempDir tmp;
  const std::string floats(24, '\0');
  write_zip(tmp / "pytorch_model.bin", {{"archive/data.pkl", bomb}, {"archive/data/0", floats}});
  expect_error([&] { TorchCheckpointFile::open(tmp / "pytorch_model.bin"); }, ErrorKind::BadInput,
               {"pytorch_model.bin", "data.pkl", "more values than the stream has bytes"});
  // Sharing that does not multiply (two names, one tensor; a few levels) is fine.
  CHECK(unpickle(shared_levels(leaf, 1), "mem")->entries.size() == 2);
  CHECK(unpickle(shared_levels(leaf, 3), "mem")->is(PickleValue::Kind::Dict));
}

TEST_CASE("unpickler: values dropped from the stack are freed, not kept to the end") {
  // `N0` 20M times (a 39 KB deflated data.pkl) kept 5.8 GB of Nones; `]0` made lists.
  auto repeated = [](const std::string& unit, size_t n) {
    std::string out = kProto2;
    for (size_t i = 0; i < n; ++i) out += unit;
    return out + "N.";
  };
  const UnpickleStats nones = stats_of(repeated("N0", 100000));
  CHECK(nones.values == 0);
  CHECK(nones.peak_retained == 0);
  const UnpickleStats lists_small = stats_of(repeated("]0", 10000));
  const UnpickleStats lists_large = stats_of(repeated("]0", 100000));
  CHECK(lists_large.values == 100000);
  CHECK(lists_large.peak_retained <= 2048);
  CHECK(lists_large.peak_retained <= lists_small.peak_retained + 1024);
  CHECK(lists_large.work <= 12 * lists_small.work);
  // Memoized values are kept (the memo refers to them), and still counted against the limit.
  CHECK(repeated("K\x01\x94"
                 "0",
                 1000)
            .size() > 0);
  CHECK(stats_of(repeated(std::string("K\x01\x94", 3) + "0", 1000)).values == 1000);
}

TEST_CASE("zip: entries sharing one deflate stream are refused before the second inflates") {
  TempDir tmp;
  const size_t entry = size_t{1} << 20;
  uint64_t inflated[2] = {0, 0};
  size_t at = 0;
  for (size_t count : {4, 40}) {
    const auto path = tmp / ("bomb" + std::to_string(count) + ".zip");
    write_bytes(path, overlapping_zip(count, entry));
    expect_error([&] { ZipArchive::open(path); }, ErrorKind::BadInput,
                 {"entry archive/data/0001", "overlaps that of entry archive/data/0000"});
    inflated[at++] = ZipArchive::last_inflated_bytes();
  }
  CHECK(inflated[0] == entry);  // the first entry only: 4 and 40 entries inflate the same
  CHECK(inflated[1] == inflated[0]);
  // One such entry alone is a plain archive.
  write_bytes(tmp / "one.zip", overlapping_zip(1, entry));
  const auto zip = ZipArchive::open(tmp / "one.zip");
  CHECK(zip->bytes("archive/data/0000").size() == entry);
  CHECK(zip->inflated_bytes() == entry);
  CHECK(zip->inflated_bytes() <= limits::kZipInflateRatio * zip->file_size());
}

TEST_CASE("unpickler: the files torch itself wrote (the fuzz seeds) stay within every bound") {
  const auto seeds = source_dir() / "tests/fuzz/seeds/torch_checkpoint";
  // Their data.pkl name each value about once: below one value per byte.
  for (const char* name : {"state_dict.pkl", "megatron.pkl"}) {
    CAPTURE(name);
    const std::string bytes = read_all(seeds / name);
    UnpickleStats stats;
    CHECK_NOTHROW(unpickle(bytes, name, megatron_unpickle_policy(), &stats));
    CHECK(stats.result_values > 0);
    CHECK(stats.result_values < bytes.size());
  }
  CHECK(TorchCheckpointFile::open(seeds / "state_dict.bin")->tensors().size() == 3);
  for (const char* name : {"megatron_legacy_llama.pt", "megatron_mcore_llama.pt"}) {
    CAPTURE(name);
    CHECK_NOTHROW(open_megatron(seeds / name, std::nullopt));
  }
}
