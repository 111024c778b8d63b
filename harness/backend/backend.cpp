// make_backend: parses the --device string and picks the backend.
#include "harness/backend/backend.hpp"

#include <charconv>

#include "harness/backend/cpu/cpu_backend.hpp"
#include "harness/backend/cuda_backend.hpp"
#include "harness/core/error.hpp"

namespace tb {

std::unique_ptr<Backend> make_backend(const std::string& device, int threads) {
  if (device == "cpu") return make_cpu_backend(threads);
  if (device == "auto") {
    return cuda_device_count() > 0 ? make_cuda_backend(0) : make_cpu_backend(threads);
  }
  if (device == "cuda") return make_cuda_backend(0);
  if (device.starts_with("cuda:")) {
    int index = -1;
    const char* first = device.data() + 5;
    const char* last = device.data() + device.size();
    const auto [end, ec] = std::from_chars(first, last, index);
    if (ec == std::errc() && end == last && first != last && index >= 0) {
      return make_cuda_backend(index);
    }
  }
  throw Error(ErrorKind::BadInput, "device '" + device + "': expected cpu, cuda, cuda:N or auto");
}

}  // namespace tb
