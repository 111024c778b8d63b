#pragma once
// Which ids are BOS/EOS/PAD/UNK and whether BOS/EOS are added: the defaults of a tokenizer's
// kind, then a model directory's tokenizer_config.json, generation_config.json, config.json.
#include <filesystem>

#include "harness/tokenizer/tokenizer.hpp"

namespace tb {

// The conventional specials of `tok`'s kind found in its vocabulary: <s>/</s>/<unk> with
// add_bos for SentencePiece-style, <|endoftext|> without add_bos for GPT-2 byte-level.
SpecialTokens default_specials(const Tokenizer& tok);

// `tok.specials()` updated from the config files of `dir` that exist: tokenizer_config.json
// (add_bos_token, add_eos_token, bos/eos/pad/unk_token as a string or {"content": ...}), then
// bos/eos/pad_token_id from generation_config.json and config.json for what is still undecided.
// `source` lists the files and fields that decided. Throws tb::Error naming file and field.
SpecialTokens resolve_specials(const Tokenizer& tok, const std::filesystem::path& dir);

}  // namespace tb
