// A SentencePiece model (tokenizer.model) through libsentencepiece. Control pieces written in
// the text (<s>, </s>) are recognised as tokens, as the Hugging Face LlamaTokenizer does.
#include <sentencepiece_processor.h>

#include "harness/core/error.hpp"
#include "harness/core/text_file.hpp"
#include "harness/tokenizer/added_tokens.hpp"
#include "harness/tokenizer/json_fields.hpp"
#include "harness/tokenizer/specials.hpp"
#include "harness/tokenizer/tokenizer.hpp"

namespace tb {
namespace {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  explicit SentencePieceTokenizer(const std::filesystem::path& file) {
    // Read the bytes ourselves so a missing file is an Io error and a corrupt one BadInput.
    const std::string bytes = read_text_file(file);
    const auto status = sp_.LoadFromSerializedProto(bytes);
    if (!status.ok()) {
      throw bad_input(file.string(), "ModelProto",
                      "not a SentencePiece model: " + std::string(status.message()));
    }
    for (int id = 0; id < sp_.GetPieceSize(); ++id) {
      if (sp_.IsControl(id) || sp_.IsUnknown(id)) {
        AddedToken t;
        t.content = sp_.IdToPiece(id);
        t.id = id;
        t.special = true;
        added_.add(std::move(t));
      }
    }
    SpecialTokens s;
    s.bos = sp_.bos_id();
    s.eos = sp_.eos_id();
    s.unk = sp_.unk_id();
    s.pad = sp_.pad_id();
    s.add_bos = true;
    s.source = "defaults(sentencepiece)";
    set_specials(std::move(s));
  }

  std::vector<int32_t> encode(std::string_view text) const override {
    std::vector<int32_t> out;
    std::vector<int> ids;
    for (const TextSegment& seg : added_.split(text)) {
      if (seg.id >= 0) {
        out.push_back(seg.id);
        continue;
      }
      const auto status = sp_.Encode(seg.text, &ids);
      if (!status.ok()) {
        throw Error(ErrorKind::BadInput, "sentencepiece: encode: " + std::string(status.message()));
      }
      out.insert(out.end(), ids.begin(), ids.end());
    }
    return out;
  }

  std::string decode(std::span<const int32_t> ids) const override {
    std::vector<int> v(ids.begin(), ids.end());
    for (int id : v) {
      if (id < 0 || id >= sp_.GetPieceSize()) {
        throw Error(ErrorKind::BadInput, "sentencepiece: decode: id " + std::to_string(id) +
                                             " is not in the vocabulary (size " +
                                             std::to_string(sp_.GetPieceSize()) + ")");
      }
    }
    std::string text;
    const auto status = sp_.Decode(v, &text);
    if (!status.ok()) {
      throw Error(ErrorKind::BadInput, "sentencepiece: decode: " + std::string(status.message()));
    }
    return text;
  }

  int32_t vocab_size() const override { return sp_.GetPieceSize(); }
  std::string kind() const override { return "sentencepiece"; }
  int32_t token_to_id(std::string_view token) const override {
    const int id = sp_.PieceToId(token);
    // PieceToId answers unk for anything unknown; only the unk piece itself maps there.
    return id == sp_.unk_id() && token != sp_.IdToPiece(id) ? -1 : id;
  }
  std::string id_to_token(int32_t id) const override {
    return id >= 0 && id < sp_.GetPieceSize() ? sp_.IdToPiece(id) : std::string();
  }

 private:
  sentencepiece::SentencePieceProcessor sp_;
  AddedTokens added_;
};

}  // namespace

std::unique_ptr<Tokenizer> load_sentencepiece(const std::filesystem::path& model_file) {
  return std::make_unique<SentencePieceTokenizer>(model_file);
}

}  // namespace tb
