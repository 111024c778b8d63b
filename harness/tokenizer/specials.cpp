#include "harness/tokenizer/specials.hpp"

#include <initializer_list>
#include <vector>

#include "harness/tokenizer/json_fields.hpp"

namespace tb {
namespace {

using json_fields::Json;
using json_fields::Reader;

int32_t first_present(const Tokenizer& tok, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const int32_t id = tok.token_to_id(name);
    if (id >= 0) return id;
  }
  return -1;
}

struct Slot {
  const char* token_key;  // in tokenizer_config.json
  const char* id_key;     // in generation_config.json / config.json
  int32_t SpecialTokens::*member;
  bool decided = false;
};

}  // namespace

SpecialTokens default_specials(const Tokenizer& tok) {
  SpecialTokens s;
  const std::string kind = tok.kind();
  if (kind == "sentencepiece" || kind == "hf-bpe-spm") {
    s.bos = first_present(tok, {"<s>"});
    s.eos = first_present(tok, {"</s>"});
    s.unk = first_present(tok, {"<unk>"});
    s.pad = first_present(tok, {"<pad>"});
    s.add_bos = true;
  } else if (kind == "hf-bpe-byte-level" || kind == "gpt2-vocab-merges") {
    // GPT2Tokenizer's bos, eos and unk are all <|endoftext|>.
    s.bos = s.eos = s.unk = first_present(tok, {"<|endoftext|>"});
  } else {
    s.bos = first_present(tok, {"[BOS]", "<s>", "<|endoftext|>"});
    s.eos = first_present(tok, {"[EOS]", "</s>", "<|endoftext|>"});
    s.unk = first_present(tok, {"[UNK]", "<unk>"});
    s.pad = first_present(tok, {"[PAD]", "<pad>"});
  }
  s.source = "defaults(" + kind + ")";
  return s;
}

SpecialTokens resolve_specials(const Tokenizer& tok, const std::filesystem::path& dir) {
  SpecialTokens s = tok.specials();
  std::vector<Slot> slots = {{"bos_token", "bos_token_id", &SpecialTokens::bos},
                             {"eos_token", "eos_token_id", &SpecialTokens::eos},
                             {"pad_token", "pad_token_id", &SpecialTokens::pad},
                             {"unk_token", "unk_token_id", &SpecialTokens::unk}};

  const auto tc_path = dir / "tokenizer_config.json";
  if (std::filesystem::exists(tc_path)) {
    const Json doc = json_fields::parse_file(tc_path);
    const Reader r(tc_path.string());
    r.expect_object(doc, "");
    std::string fields;
    auto note = [&](const char* f) {
      if (!fields.empty()) fields += ',';
      fields += f;
    };
    for (const char* key : {"add_bos_token", "add_eos_token"}) {
      if (r.find(doc, "", key) == nullptr) continue;
      const bool value = r.boolean(doc, "", key, false);
      (std::string_view(key) == "add_bos_token" ? s.add_bos : s.add_eos) = value;
      note(key);
    }
    for (Slot& slot : slots) {
      const auto it = doc.find(slot.token_key);
      if (it == doc.end()) continue;
      slot.decided = true;
      note(slot.token_key);
      if (it->is_null()) {
        s.*slot.member = -1;
        continue;
      }
      const Json* content = &*it;
      std::string field = slot.token_key;
      if (it->is_object()) {
        content = &r.require(*it, field, "content");
        field += ".content";
      }
      if (!content->is_string()) r.fail(field, "expected a string or {\"content\": string}");
      const auto& text = content->get_ref<const std::string&>();
      const int32_t id = tok.token_to_id(text);
      if (id < 0) r.fail(field, "'" + text + "' is not a token of this tokenizer");
      s.*slot.member = id;
    }
    if (!fields.empty()) s.source += "; tokenizer_config.json(" + fields + ")";
  }

  for (const char* name : {"generation_config.json", "config.json"}) {
    const auto path = dir / name;
    if (!std::filesystem::exists(path)) continue;
    const Json doc = json_fields::parse_file(path);
    const Reader r(path.string());
    r.expect_object(doc, "");
    std::string fields;
    for (Slot& slot : slots) {
      if (slot.decided) continue;
      const Json* v = r.find(doc, "", slot.id_key);
      if (v == nullptr) continue;
      std::string field = slot.id_key;
      if (v->is_array()) {  // e.g. several EOS ids: the first is the canonical one
        if (v->empty()) r.fail(field, "empty list");
        v = &(*v)[0];
        field += "[0]";
      }
      const int64_t id = r.integer(*v, field);
      if (id < 0 || id >= tok.vocab_size()) {
        r.fail(field, "id " + std::to_string(id) + " outside the vocabulary (size " +
                          std::to_string(tok.vocab_size()) + ")");
      }
      s.*slot.member = static_cast<int32_t>(id);
      slot.decided = true;
      if (!fields.empty()) fields += ',';
      fields += slot.id_key;
    }
    if (!fields.empty()) s.source += "; " + std::string(name) + "(" + fields + ")";
  }
  return s;
}

}  // namespace tb
