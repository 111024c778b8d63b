#pragma once
// Every limit tunebench puts on its input, stated once. Each is far above what any real file
// needs and low enough that hostile input cannot make a parser recurse, allocate or loop without
// bound. A file over a limit is bad input: exit code 2, naming the file, the field and the limit.
// Header-only constants, so that metrics/ (standard library only) can use them too.
#include <cstddef>
#include <cstdint>

namespace tb::limits {

// JSON files (config.json, tokenizer.json, safetensors headers, suite specs, data rows): real
// ones nest fewer than 10 levels; the parsers above nlohmann walk values recursively.
inline constexpr int kJsonDepth = 64;
// Safetensors header bytes (the reference implementation's cap: 100 MB).
inline constexpr uint64_t kSafetensorsHeaderBytes = 100'000'000;
// config.json sizes (hidden size, layers, vocabulary, ...): products of these must not overflow.
inline constexpr int64_t kModelDimension = int64_t{1} << 31;
// config.json max_position_embeddings / n_positions: 16M positions (real models: up to ~10M).
inline constexpr int64_t kPositionEmbeddings = int64_t{1} << 24;
// config.json rope_theta: below 1 the RoPE frequencies theta^(-2i/d) exceed 1 and overflow.
inline constexpr double kMinRopeTheta = 1.0;
// Token ids in tokenizer files (vocab.json, tokenizer.json): 64M entries.
inline constexpr int64_t kVocabularyIds = int64_t{1} << 26;
// ABC: bytes of one tune (the largest of the shared corpora is 10 kB); music past it is not
// parsed and the tune fails tier 1 (metrics/abc).
inline constexpr size_t kAbcTuneBytes = size_t{1} << 18;
// Suite data (MMLU rows): bytes of one text field, a question or an option (the longest real
// MMLU question is under 5 kB). A 50 MB field took 29 CPU s and 2.5 GB to tokenize and score.
inline constexpr size_t kSuiteFieldBytes = size_t{1} << 20;
// MMM encoding (metrics/notes/mmm): bars of 16 steps, 100k (55 hours of 4/4 at 120 bpm).
inline constexpr int64_t kMmmBars = 100'000;
// Values one pickle stream (a torch.save data.pkl) may make: a state dict makes about 15 per
// tensor, so this is 500k tensors; at about 300 bytes a value it bounds the unpickler at 2.5 GB.
inline constexpr uint64_t kPickleValues = uint64_t{1} << 23;
// Bytes a zip archive (pytorch_model.bin) may inflate in all, per byte of the file: deflate's
// own maximum ratio (1032:1), so that entries sharing one compressed stream (an overlapping
// zip bomb) cannot inflate more than the file could hold once.
inline constexpr uint64_t kZipInflateRatio = 1032;
// --context: a rolling window needs one token of context and one token to score.
inline constexpr int kMinContextWindow = 2;

}  // namespace tb::limits
