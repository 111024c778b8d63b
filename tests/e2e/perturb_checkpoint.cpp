// perturb_checkpoint SRC DST SCALE SEED: copies the checkpoint directory SRC to DST with
// deterministic noise added to every weight of model.safetensors (w += SCALE * u * rms(w), u
// uniform in [-1, 1) from a SplitMix64 stream seeded with SEED), so that the tests have a second,
// weaker checkpoint of the bundled model. F32, F16 and BF16 tensors; other files copied as they
// are. Exit 2 with a message for anything it cannot read.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

float bf16_to_float(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t float_to_bf16(float f) {  // round to nearest even, as torch does
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  bits += 0x7FFF + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

float f16_to_float(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  float v = exp == 0 ? std::ldexp(static_cast<float>(mant), -24)
                     : std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  if (exp == 31) v = mant ? NAN : INFINITY;
  return sign ? -v : v;
}

uint16_t float_to_f16(float f) {
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  f = std::fabs(f);
  if (f >= 65504.0f) return sign | 0x7BFF;
  if (f < std::ldexp(1.0f, -24)) return sign;
  int e;
  const float m = std::frexp(f, &e);  // f = m * 2^e, m in [0.5, 1)
  if (e - 1 < -14) return sign | static_cast<uint16_t>(std::lround(std::ldexp(f, 24)));
  const auto mant = static_cast<uint16_t>(std::lround((m * 2 - 1) * 1024));
  return sign | static_cast<uint16_t>(((e - 1 + 15) << 10) + mant);
}

int fail(const std::string& message) {
  std::fprintf(stderr, "perturb_checkpoint: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) return fail("usage: perturb_checkpoint SRC DST SCALE SEED");
  const fs::path src = argv[1], dst = argv[2];
  const double scale = std::atof(argv[3]);
  uint64_t state = std::strtoull(argv[4], nullptr, 10);
  std::error_code ec;
  fs::create_directories(dst, ec);
  for (const auto& entry : fs::directory_iterator(src, ec)) {
    if (entry.path().filename() == "model.safetensors") continue;
    fs::copy_file(entry.path(), dst / entry.path().filename(), fs::copy_options::overwrite_existing,
                  ec);
    if (ec) return fail(entry.path().string() + ": " + ec.message());
  }
  std::ifstream in(src / "model.safetensors", std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  if (bytes.size() < 8) return fail((src / "model.safetensors").string() + ": too short");
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes.data(), 8);
  if (8 + header_size > bytes.size()) return fail("header length beyond the file");
  const auto header = nlohmann::json::parse(
      bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(header_size), nullptr, false);
  if (header.is_discarded()) return fail("header is not JSON");
  char* data = bytes.data() + 8 + header_size;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string dtype = info.at("dtype");
    const auto begin = info.at("data_offsets")[0].get<size_t>();
    const auto end = info.at("data_offsets")[1].get<size_t>();
    const size_t width = dtype == "F32" ? 4 : 2;
    const size_t n = (end - begin) / width;
    std::vector<float> w(n);
    for (size_t i = 0; i < n; ++i) {
      char* p = data + begin + i * width;
      uint16_t h;
      if (dtype == "F32")
        std::memcpy(&w[i], p, 4);
      else if (std::memcpy(&h, p, 2); dtype == "BF16")
        w[i] = bf16_to_float(h);
      else if (dtype == "F16")
        w[i] = f16_to_float(h);
      else
        return fail(name + ": dtype " + dtype + " not handled");
    }
    double sum = 0;
    for (const float v : w) sum += static_cast<double>(v) * v;
    const double rms = n ? std::sqrt(sum / static_cast<double>(n)) : 0.0;
    for (size_t i = 0; i < n; ++i) {
      const double u = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53 * 2 - 1;
      const auto v = static_cast<float>(w[i] + scale * u * rms);
      char* p = data + begin + i * width;
      if (dtype == "F32") {
        std::memcpy(p, &v, 4);
      } else {
        const uint16_t h = dtype == "BF16" ? float_to_bf16(v) : float_to_f16(v);
        std::memcpy(p, &h, 2);
      }
    }
  }
  std::ofstream out(dst / "model.safetensors", std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return fail((dst / "model.safetensors").string() + ": cannot write");
  return 0;
}
