// GPT-2's original files: vocab.json (token -> id) and merges.txt ("a b" per line after a
// "#version" header), run as the byte-level BPE pipeline HF builds from them.
#include "harness/core/error.hpp"
#include "harness/core/limits.hpp"
#include "harness/core/text_file.hpp"
#include "harness/tokenizer/bpe_model.hpp"
#include "harness/tokenizer/hf_pipeline.hpp"
#include "harness/tokenizer/json_fields.hpp"
#include "harness/tokenizer/specials.hpp"

namespace tb {

std::unique_ptr<Tokenizer> load_gpt2_vocab_merges(const std::filesystem::path& vocab_json,
                                                  const std::filesystem::path& merges_txt) {
  const auto doc = json_fields::parse_file(vocab_json);
  const std::string vfile = vocab_json.string();
  if (!doc.is_object()) throw bad_input(vfile, "(document)", "expected an object of token: id");
  Vocab vocab;
  for (const auto& [token, id] : doc.items()) {
    const std::string field = "[\"" + json_fields::printable(token) + "\"]";
    if (!id.is_number_integer()) throw bad_input(vfile, field, "expected an integer id");
    // The check on the JSON value itself: 2^64-1 read as int64_t was "id -1".
    const bool in_range =
        id.is_number_unsigned()
            ? id.get<uint64_t>() < static_cast<uint64_t>(limits::kVocabularyIds)
            : id.get<int64_t>() >= 0 && id.get<int64_t>() < limits::kVocabularyIds;
    if (!in_range) {
      throw bad_input(
          vfile, field,
          "id " + id.dump() + " out of range [0, " + std::to_string(limits::kVocabularyIds) + ")");
    }
    const auto value = id.get<int64_t>();
    if (!vocab.add(token, static_cast<int32_t>(value))) {
      throw bad_input(vfile, field, "id " + std::to_string(value) + " used by another token");
    }
  }

  HfPipeline p;
  const int32_t eot = vocab.find("<|endoftext|>");
  p.model = std::make_unique<BpeModel>(std::move(vocab), BpeModel::Options{});
  auto& bpe = static_cast<BpeModel&>(*p.model);

  const std::string text = read_text_file(merges_txt);
  const std::string mfile = merges_txt.string();
  size_t line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || (line_no == 1 && line.starts_with("#version"))) continue;
    const std::string field = "line " + std::to_string(line_no);
    const size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string_view::npos) {
      throw bad_input(mfile, field, "expected \"a b\"");
    }
    if (!bpe.add_merge(line.substr(0, space), line.substr(space + 1))) {
      throw bad_input(
          mfile, field,
          "'" + json_fields::printable(line) + "': a token or their merge is not in " + vfile);
    }
  }

  PreTokenizerStep pre{};
  pre.kind = PreTokenizerStep::Kind::ByteLevel;
  pre.regex = gpt2_regex();
  p.pre_tokenizer.push_back(std::move(pre));
  p.decoder.push_back(
      DecoderStep{DecoderStep::Kind::ByteLevel, "", "", 0, 0, PrependScheme::Always});
  p.has_decoder = true;
  if (eot >= 0) p.added.add(AddedToken{"<|endoftext|>", eot, true, false, false, false});
  p.kind = "gpt2-vocab-merges";
  auto tok = std::make_unique<HfTokenizer>(std::move(p));
  tok->set_specials(default_specials(*tok));
  return tok;
}

}  // namespace tb
