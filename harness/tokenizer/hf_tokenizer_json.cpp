// Parses a Hugging Face tokenizer.json into an HfPipeline; every malformed or unsupported field
// is reported as "FILE: FIELD: what".
#include <limits>

#include "harness/core/error.hpp"
#include "harness/core/limits.hpp"
#include "harness/tokenizer/bpe_model.hpp"
#include "harness/tokenizer/hf_pipeline.hpp"
#include "harness/tokenizer/json_fields.hpp"
#include "harness/tokenizer/specials.hpp"

namespace tb {
namespace {

using json_fields::at;
using json_fields::join;
using json_fields::Json;
using json_fields::Reader;

// The regex of a {"String": s} or {"Regex": r} pattern object.
std::string pattern_regex(const Reader& r, const Json& parent, const std::string& path) {
  const Json& p = r.require(parent, path, "pattern");
  const std::string field = join(path, "pattern");
  if (auto s = r.optional_string(p, field, "String")) return regex_escape(*s);
  if (auto s = r.optional_string(p, field, "Regex")) return *s;
  r.fail(field, R"(expected {"String": ...} or {"Regex": ...})");
}

std::string pattern_literal(const Reader& r, const Json& parent, const std::string& path) {
  const Json& p = r.require(parent, path, "pattern");
  const std::string field = join(path, "pattern");
  if (auto s = r.optional_string(p, field, "String")) return *s;
  r.fail(field, R"(only {"String": ...} patterns are supported)");
}

std::shared_ptr<RegexSplitter> compile(const Reader& r, const std::string& field,
                                       const std::string& pattern) {
  return std::make_shared<RegexSplitter>(pattern, r.file() + ": " + field);
}

PrependScheme prepend_scheme(const Reader& r, const Json& obj, const std::string& path) {
  if (auto s = r.optional_string(obj, path, "prepend_scheme")) {
    if (*s == "always") return PrependScheme::Always;
    if (*s == "first") return PrependScheme::First;
    if (*s == "never") return PrependScheme::Never;
    r.fail(join(path, "prepend_scheme"), "expected \"always\", \"first\" or \"never\"");
  }
  return r.boolean(obj, path, "add_prefix_space", true) ? PrependScheme::Always
                                                        : PrependScheme::Never;
}

void parse_normalizer(const Reader& r, const Json& n, const std::string& path,
                      std::vector<NormalizerStep>& out) {
  const std::string type = r.string(n, path, "type");
  if (type == "Sequence") {
    const Json& list = r.array(n, path, "normalizers");
    for (size_t i = 0; i < list.size(); ++i) {
      parse_normalizer(r, list[i], at(join(path, "normalizers"), i), out);
    }
  } else if (type == "Prepend") {
    out.push_back({NormalizerStep::Kind::Prepend, "", r.string(n, path, "prepend")});
  } else if (type == "Replace") {
    out.push_back(
        {NormalizerStep::Kind::Replace, pattern_literal(r, n, path), r.string(n, path, "content")});
  } else {
    r.fail(join(path, "type"), "unsupported normalizer '" + type + "'");
  }
}

void parse_pre_tokenizer(const Reader& r, const Json& n, const std::string& path,
                         std::vector<PreTokenizerStep>& out) {
  const std::string type = r.string(n, path, "type");
  PreTokenizerStep step{};
  if (type == "Sequence") {
    const Json& list = r.array(n, path, "pretokenizers");
    for (size_t i = 0; i < list.size(); ++i) {
      parse_pre_tokenizer(r, list[i], at(join(path, "pretokenizers"), i), out);
    }
    return;
  } else if (type == "ByteLevel") {
    step.kind = PreTokenizerStep::Kind::ByteLevel;
    step.add_prefix_space = r.boolean(n, path, "add_prefix_space", true);
    if (r.boolean(n, path, "use_regex", true)) step.regex = gpt2_regex();
  } else if (type == "Split") {
    step.kind = PreTokenizerStep::Kind::Split;
    const std::string behavior = r.string(n, path, "behavior");
    if (behavior != "Isolated") {
      r.fail(join(path, "behavior"), "only \"Isolated\" is supported, got '" + behavior + "'");
    }
    if (r.boolean(n, path, "invert", false)) r.fail(join(path, "invert"), "must be false");
    step.regex = compile(r, join(path, "pattern"), pattern_regex(r, n, path));
  } else if (type == "Metaspace") {
    step.kind = PreTokenizerStep::Kind::Metaspace;
    step.replacement = r.string(n, path, "replacement");
    if (step.replacement.empty()) r.fail(join(path, "replacement"), "must not be empty");
    step.prepend = prepend_scheme(r, n, path);
    step.split = r.boolean(n, path, "split", true);
  } else if (type == "Whitespace") {
    step.kind = PreTokenizerStep::Kind::Whitespace;
    step.regex = compile(r, path, R"(\w+|[^\w\s]+)");
  } else if (type == "WhitespaceSplit") {
    step.kind = PreTokenizerStep::Kind::WhitespaceSplit;
    step.regex = compile(r, path, R"(\S+)");
  } else {
    r.fail(join(path, "type"), "unsupported pre-tokenizer '" + type + "'");
  }
  out.push_back(std::move(step));
}

void parse_decoder(const Reader& r, const Json& n, const std::string& path,
                   std::vector<DecoderStep>& out) {
  const std::string type = r.string(n, path, "type");
  DecoderStep step{};
  if (type == "Sequence") {
    const Json& list = r.array(n, path, "decoders");
    for (size_t i = 0; i < list.size(); ++i) {
      parse_decoder(r, list[i], at(join(path, "decoders"), i), out);
    }
    return;
  } else if (type == "ByteLevel") {
    step.kind = DecoderStep::Kind::ByteLevel;
  } else if (type == "Replace") {
    step.kind = DecoderStep::Kind::Replace;
    step.pattern = pattern_literal(r, n, path);
    step.content = r.string(n, path, "content");
  } else if (type == "ByteFallback") {
    step.kind = DecoderStep::Kind::ByteFallback;
  } else if (type == "Fuse") {
    step.kind = DecoderStep::Kind::Fuse;
  } else if (type == "Strip") {
    step.kind = DecoderStep::Kind::Strip;
    step.pattern = r.string(n, path, "content");
    const int64_t start = r.integer(r.require(n, path, "start"), join(path, "start"));
    const int64_t stop = r.integer(r.require(n, path, "stop"), join(path, "stop"));
    if (start < 0 || stop < 0) r.fail(path, "start and stop must not be negative");
    step.start = static_cast<size_t>(start);
    step.stop = static_cast<size_t>(stop);
  } else if (type == "Metaspace") {
    step.kind = DecoderStep::Kind::Metaspace;
    step.pattern = r.string(n, path, "replacement");
    step.prepend = prepend_scheme(r, n, path);
  } else {
    r.fail(join(path, "type"), "unsupported decoder '" + type + "'");
  }
  out.push_back(std::move(step));
}

int32_t token_id(const Reader& r, const Json& value, const std::string& field) {
  if (value.is_number_unsigned() &&
      value.get<uint64_t>() >= static_cast<uint64_t>(limits::kVocabularyIds)) {
    r.fail(field, "id " + value.dump() + " out of range");  // 2^64-1 was printed as -1
  }
  const int64_t id = r.integer(value, field);
  if (id < 0 || id >= limits::kVocabularyIds) {
    r.fail(field, "id " + std::to_string(id) + " out of range [0, " +
                      std::to_string(limits::kVocabularyIds) + ")");
  }
  return static_cast<int32_t>(id);
}

Vocab parse_vocab(const Reader& r, const Json& model) {
  const Json& v = r.require(model, "model", "vocab");
  if (!v.is_object()) r.fail("model.vocab", "expected an object of token: id");
  Vocab vocab;
  for (const auto& [token, id_value] : v.items()) {
    const std::string field = "model.vocab[\"" + token + "\"]";
    if (!vocab.add(token, token_id(r, id_value, field))) {
      r.fail(field, "id " + id_value.dump() + " used by another token");
    }
  }
  return vocab;
}

void parse_added_tokens(const Reader& r, const Json& doc, AddedTokens& added) {
  const Json* list = r.find(doc, "", "added_tokens");
  if (list == nullptr) return;
  if (!list->is_array()) r.fail("added_tokens", "expected an array");
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& t = (*list)[i];
    const std::string path = at("added_tokens", i);
    AddedToken token;
    token.id = token_id(r, r.require(t, path, "id"), join(path, "id"));
    token.content = r.string(t, path, "content");
    if (token.content.empty()) r.fail(join(path, "content"), "must not be empty");
    token.special = r.boolean(t, path, "special", false);
    token.lstrip = r.boolean(t, path, "lstrip", false);
    token.rstrip = r.boolean(t, path, "rstrip", false);
    token.single_word = r.boolean(t, path, "single_word", false);
    added.add(std::move(token));
  }
}

int32_t unk_id(const Reader& r, const Json& model, const Vocab& vocab, const AddedTokens& added) {
  const auto unk = r.optional_string(model, "model", "unk_token");
  if (!unk) return -1;
  int32_t id = vocab.find(*unk);
  if (id < 0) id = added.find(*unk);
  if (id < 0) r.fail("model.unk_token", "'" + *unk + "' is neither in model.vocab nor added");
  return id;
}

std::unique_ptr<TokenModel> parse_bpe(const Reader& r, const Json& model, const AddedTokens& added,
                                      int32_t& unk) {
  for (const char* affix : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (auto s = r.optional_string(model, "model", affix); s && !s->empty()) {
      r.fail(join("model", affix), "not supported (must be null or empty)");
    }
  }
  if (const Json* d = r.find(model, "model", "dropout");
      d != nullptr && !(d->is_number() && d->get<double>() == 0.0)) {
    r.fail("model.dropout", "BPE dropout is not supported (must be null)");
  }
  Vocab vocab = parse_vocab(r, model);
  BpeModel::Options options;
  options.unk = unk = unk_id(r, model, vocab, added);
  options.byte_fallback = r.boolean(model, "model", "byte_fallback", false);
  options.fuse_unk = r.boolean(model, "model", "fuse_unk", false);
  options.ignore_merges = r.boolean(model, "model", "ignore_merges", false);
  auto bpe = std::make_unique<BpeModel>(std::move(vocab), options);

  const Json& merges = r.array(model, "model", "merges");
  for (size_t i = 0; i < merges.size(); ++i) {
    const Json& m = merges[i];
    std::string left;
    std::string right;
    bool ok = false;
    if (m.is_string()) {
      const auto& s = m.get_ref<const std::string&>();
      const size_t space = s.find(' ');
      ok = space != std::string::npos && s.find(' ', space + 1) == std::string::npos;
      if (ok) {
        left = s.substr(0, space);
        right = s.substr(space + 1);
      }
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      left = m[0].get<std::string>();
      right = m[1].get<std::string>();
      ok = true;
    }
    if (!ok || left.empty() || right.empty()) {
      r.fail(at("model.merges", i), R"(expected "a b" string or [a, b] pair)");
    }
    if (!bpe->add_merge(left, right)) {
      const Vocab& v = bpe->vocab();
      const std::string missing = v.find(left) < 0    ? left
                                  : v.find(right) < 0 ? right
                                                      : left + right;
      r.fail(at("model.merges", i), "'" + missing + "' is not in model.vocab");
    }
  }
  return bpe;
}

std::unique_ptr<TokenModel> parse_word_level(const Reader& r, const Json& model,
                                             const AddedTokens& added, int32_t& unk) {
  Vocab vocab = parse_vocab(r, model);
  unk = unk_id(r, model, vocab, added);
  return std::make_unique<WordLevelModel>(std::move(vocab), unk);
}

HfPipeline parse(const Reader& r, const Json& doc) {
  r.expect_object(doc, "");
  HfPipeline p;
  parse_added_tokens(r, doc, p.added);
  if (const Json* n = r.find(doc, "", "normalizer"))
    parse_normalizer(r, *n, "normalizer", p.normalizer);
  if (const Json* n = r.find(doc, "", "pre_tokenizer")) {
    parse_pre_tokenizer(r, *n, "pre_tokenizer", p.pre_tokenizer);
  }
  if (const Json* n = r.find(doc, "", "decoder")) {
    parse_decoder(r, *n, "decoder", p.decoder);
    p.has_decoder = true;
  }
  const Json& model = r.require(doc, "", "model");
  r.expect_object(model, "model");
  // Old files leave out the type of a BPE model.
  std::string type = r.find(model, "model", "type") || !model.contains("merges")
                         ? r.string(model, "model", "type")
                         : "BPE";
  bool byte_level = false;
  for (const auto& s : p.pre_tokenizer) byte_level |= s.kind == PreTokenizerStep::Kind::ByteLevel;
  for (const auto& s : p.decoder) byte_level |= s.kind == DecoderStep::Kind::ByteLevel;
  if (type == "BPE") {
    p.model = parse_bpe(r, model, p.added, p.unk);
    p.kind = byte_level ? "hf-bpe-byte-level" : "hf-bpe-spm";
  } else if (type == "WordLevel") {
    p.model = parse_word_level(r, model, p.added, p.unk);
    p.kind = "hf-wordlevel";
  } else {
    r.fail("model.type", "unknown or unsupported model type '" + type + "'");
  }
  return p;
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer_json(const std::filesystem::path& json_file) {
  const Json doc = json_fields::parse_file(json_file);
  const Reader reader(json_file.string());
  try {
    HfPipeline pipeline = parse(reader, doc);
    const int32_t unk = pipeline.unk;
    auto tok = std::make_unique<HfTokenizer>(std::move(pipeline));
    SpecialTokens specials = default_specials(*tok);
    if (unk >= 0) specials.unk = unk;
    tok->set_specials(std::move(specials));
    return tok;
  } catch (const Json::exception& e) {
    // A type mismatch the checks above did not foresee; still one line naming the file.
    throw bad_input(json_file.string(), "(document)", e.what());
  }
}

}  // namespace tb
