// The out-of-memory wording every backend uses: the bytes asked, what is free, what to change,
// and exit code 2 (the user's limit, not tunebench's bug).
#include <doctest/doctest.h>

#include "harness/core/error.hpp"
#include "harness/core/out_of_memory.hpp"

using namespace tb;

TEST_CASE("device out of memory names the call, the device, the sizes asked and free") {
  const std::string m =
      out_of_memory_message("cublasGemmEx (linear)", MemoryKind::Device, size_t{3} << 30, 1,
                            size_t{512} << 20, size_t{80} << 30);
  CHECK(m ==
        "cuda:1: cublasGemmEx (linear): out of device memory allocating 3072 MiB (512 MiB "
        "free of 81920 MiB); try a smaller --batch-tokens or --context, or a bf16 KV cache");
  CHECK(Error(ErrorKind::OutOfMemory, m).exit_code() == 2);
}

TEST_CASE("cuBLAS's own allocation: no size asked is printed; pinned host memory is said so") {
  const std::string cublas =
      out_of_memory_message("cublasCreate", MemoryKind::Device, 0, -1, 0, size_t{16} << 30);
  CHECK(cublas.find("allocating") == std::string::npos);
  CHECK(cublas.starts_with("cuda: cublasCreate: out of device memory (0 MiB free of 16384 MiB)"));
  const std::string host = out_of_memory_message("cudaHostAlloc (staging)", MemoryKind::PinnedHost,
                                                 size_t{1} << 20, 0, 0, 0);
  CHECK(host ==
        "cuda:0: cudaHostAlloc (staging): out of pinned host memory allocating 1 MiB; "
        "free the host's memory or lower --batch-tokens");
}
