#include <doctest/doctest.h>

#include "harness/core/error.hpp"
#include "harness/core/tensor.hpp"

using namespace tb;

TEST_CASE("tensor zeros, reshape and shape strings") {
  Tensor t = Tensor::zeros({2, 3}, DType::F16);
  CHECK(t.numel() == 6);
  CHECK(t.nbytes() == 12);
  CHECK(reinterpret_cast<uintptr_t>(t.data()) % 64 == 0);
  CHECK(t.data_as<uint16_t>()[5] == 0);
  CHECK(shape_string(t.shape()) == "[2, 3]");
  Tensor r = t.reshaped({3, 2});
  CHECK(r.data() == t.data());
  CHECK_THROWS_AS(t.reshaped({4}), Error);
}

TEST_CASE("bad_input names the file and the field") {
  Error e = bad_input("m/config.json", "hidden_size", "must be positive");
  CHECK(std::string(e.what()) == "m/config.json: hidden_size: must be positive");
  CHECK(e.exit_code() == 2);
}
