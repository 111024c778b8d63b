// A torch.save file (pytorch_model.bin, Megatron's model_optim_rng.pt): the input is unpickled as
// a data.pkl stream (under Megatron's policy, so that its plain-data objects and BUILD paths are
// reached), then opened as the zip container whose state dict is resolved and whose tensor
// bytes are all read (ASan reports any read outside the mapping), then as a Megatron checkpoint
// (args to a config, fused tensors split and transposed).
// Seeds (seeds/torch_checkpoint): torch.save (Debian's torch 1.13) of a three-tensor OrderedDict
// (F32, F16, a view) and of a Megatron-like {'model': {...}, 'args': Namespace, 'iteration'}
// dict, each with its data.pkl taken out of the zip; and two one-layer LLaMA Megatron checkpoints
// (legacy and Megatron-Core layouts) written by tools/megatron_checkpoints.py's save_megatron.
#include "harness/io/megatron_checkpoint.hpp"
#include "harness/io/torch_checkpoint_file.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes = tb::fuzz::as_text(data, size);
  const tb::UnpicklePolicy megatron = tb::megatron_unpickle_policy();
  tb::fuzz::expect_clean([&] { tb::unpickle(bytes, "fuzz data.pkl", megatron); });
  const auto path = tb::fuzz::write_scratch("pytorch_model.bin", bytes);
  tb::fuzz::expect_clean([&] {
    const auto file = tb::TorchCheckpointFile::open(path, megatron);
    unsigned sum = 0;
    for (const auto& t : file->tensors()) {
      for (size_t i = 0; i < t.nbytes; ++i) sum += static_cast<unsigned>(t.data[i]);
    }
    if (sum == 0xdeadbeef) std::fprintf(stderr, "\n");  // keeps the reads
  });
  tb::fuzz::expect_clean([&] {
    const tb::MegatronCheckpoint m = tb::open_megatron(path, std::nullopt);
    unsigned sum = 0;
    for (const auto& t : m.tensors) {
      for (size_t i = 0; i < t.nbytes; ++i) sum += static_cast<unsigned>(t.data[i]);
    }
    if (sum == 0xdeadbeef) std::fprintf(stderr, "\n");
  });
  return 0;
}
