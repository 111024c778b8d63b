// A safetensors file: header parse and validation, then every tensor's bytes are read (ASan
// reports any read outside the mapping).
#include "harness/io/safetensors_file.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = tb::fuzz::write_scratch("model.safetensors", tb::fuzz::as_text(data, size));
  tb::fuzz::expect_clean([&] {
    const auto file = tb::SafetensorsFile::open(path);
    unsigned sum = 0;
    for (const auto& t : file->tensors()) {
      for (size_t i = 0; i < t.nbytes; ++i) sum += static_cast<unsigned>(t.data[i]);
    }
    for (const auto& [key, value] : file->metadata()) sum += static_cast<unsigned>(value.size());
    if (sum == 0xdeadbeef) std::fprintf(stderr, "\n");  // keeps the reads
  });
  return 0;
}
