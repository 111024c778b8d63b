#include <algorithm>
#include <cstdio>

#include "harness/core/error.hpp"
#include "harness/tokenizer/byte_level.hpp"
#include "harness/tokenizer/hf_pipeline.hpp"
#include "harness/tokenizer/utf8.hpp"

namespace tb {
namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  std::string out;
  size_t pos = 0;
  for (size_t hit = s.find(from); hit != std::string::npos; hit = s.find(from, pos)) {
    out.append(s, pos, hit - pos);
    out += to;
    pos = hit + from.size();
  }
  if (pos == 0) return;
  out.append(s, pos, std::string::npos);
  s = std::move(out);
}

// prefix + s in a fresh string (GCC 12 warns falsely about insert(0, ...) under -Werror).
std::string prefixed(std::string_view prefix, std::string_view s) {
  std::string out;
  out.reserve(prefix.size() + s.size());
  out += prefix;
  out += s;
  return out;
}

void normalize(const std::vector<NormalizerStep>& steps, std::string& s) {
  for (const auto& step : steps) {
    switch (step.kind) {
      case NormalizerStep::Kind::Prepend:
        if (!s.empty()) s = prefixed(step.content, s);  // HF leaves an empty string alone
        break;
      case NormalizerStep::Kind::Replace:
        replace_all(s, step.pattern, step.content);
        break;
    }
  }
}

void pre_tokenize(const PreTokenizerStep& step, std::string piece, bool at_start,
                  std::vector<std::string>& out) {
  std::vector<std::string_view> parts;
  switch (step.kind) {
    case PreTokenizerStep::Kind::ByteLevel:
      if (step.add_prefix_space && (piece.empty() || piece[0] != ' ')) {
        piece = prefixed(" ", piece);
      }
      if (!step.regex) {
        out.push_back(byte_level::encode(piece));
        return;
      }
      step.regex->split(piece, true, parts);
      for (auto p : parts) out.push_back(byte_level::encode(p));
      return;
    case PreTokenizerStep::Kind::Split:
      step.regex->split(piece, true, parts);
      break;
    case PreTokenizerStep::Kind::Whitespace:
    case PreTokenizerStep::Kind::WhitespaceSplit:
      step.regex->split(piece, false, parts);
      break;
    case PreTokenizerStep::Kind::Metaspace: {
      replace_all(piece, " ", step.replacement);
      const bool prepend = step.prepend == PrependScheme::Always ||
                           (step.prepend == PrependScheme::First && at_start);
      if (prepend && !piece.starts_with(step.replacement))
        piece = prefixed(step.replacement, piece);
      if (!step.split) {
        out.push_back(std::move(piece));
        return;
      }
      // Cut before every replacement character, which stays with the text after it.
      size_t begin = 0;
      for (size_t hit = piece.find(step.replacement, 1); hit != std::string::npos;
           hit = piece.find(step.replacement, hit + step.replacement.size())) {
        if (hit > begin) out.push_back(piece.substr(begin, hit - begin));
        begin = hit;
      }
      if (begin < piece.size()) out.push_back(piece.substr(begin));
      return;
    }
  }
  for (auto p : parts) out.emplace_back(p);
}

// HF's ByteFallback decoder: runs of <0xNN> tokens become their bytes when those form valid
// UTF-8, else one U+FFFD per byte.
std::vector<std::string> byte_fallback(std::vector<std::string> tokens) {
  std::vector<std::string> out;
  std::string bytes;
  size_t count = 0;
  auto flush = [&] {
    if (count == 0) return;
    if (utf8::valid(bytes)) {
      out.push_back(bytes);
    } else {
      for (size_t i = 0; i < count; ++i) out.emplace_back("\xEF\xBF\xBD");
    }
    bytes.clear();
    count = 0;
  };
  for (auto& t : tokens) {
    unsigned value = 0;
    char tail = 0;
    if (t.size() == 6 && t.starts_with("<0x") && t[5] == '>' &&
        std::sscanf(t.c_str() + 3, "%2x%c", &value, &tail) == 2 && tail == '>') {
      bytes += static_cast<char>(value);
      ++count;
      continue;
    }
    flush();
    out.push_back(std::move(t));
  }
  flush();
  return out;
}

std::string strip_char(const std::string& t, const std::string& c, size_t start, size_t stop) {
  size_t begin = 0;
  size_t end = t.size();
  for (size_t i = 0; i < start && t.compare(begin, c.size(), c) == 0 && begin < end; ++i) {
    begin += c.size();
  }
  for (size_t i = 0;
       i < stop && end >= begin + c.size() && t.compare(end - c.size(), c.size(), c) == 0; ++i) {
    end -= c.size();
  }
  return t.substr(begin, end - begin);
}

void decode_step(const DecoderStep& step, std::vector<std::string>& tokens) {
  switch (step.kind) {
    case DecoderStep::Kind::ByteLevel: {
      // Exact bytes (HF shows U+FFFD where the bytes are not valid UTF-8).
      std::string all;
      for (const auto& t : tokens) {
        auto bytes = byte_level::decode(t);
        all += bytes ? *bytes : t;
      }
      tokens.assign(1, std::move(all));
      return;
    }
    case DecoderStep::Kind::Replace:
      for (auto& t : tokens) replace_all(t, step.pattern, step.content);
      return;
    case DecoderStep::Kind::ByteFallback:
      tokens = byte_fallback(std::move(tokens));
      return;
    case DecoderStep::Kind::Fuse: {
      std::string all;
      for (const auto& t : tokens) all += t;
      tokens.assign(1, std::move(all));
      return;
    }
    case DecoderStep::Kind::Strip:
      for (auto& t : tokens) t = strip_char(t, step.pattern, step.start, step.stop);
      return;
    case DecoderStep::Kind::Metaspace:
      for (size_t i = 0; i < tokens.size(); ++i) {
        replace_all(tokens[i], step.pattern, " ");
        if (i == 0 && step.prepend != PrependScheme::Never && tokens[i].starts_with(' ')) {
          tokens[i].erase(0, 1);
        }
      }
      return;
  }
}

}  // namespace

std::vector<int32_t> HfTokenizer::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 1);
  std::vector<std::string> pieces;
  std::vector<std::string> next;
  for (const TextSegment& seg : p_.added.split(text)) {
    if (seg.id >= 0) {
      ids.push_back(seg.id);
      continue;
    }
    std::string s(seg.text);
    normalize(p_.normalizer, s);
    if (s.empty()) continue;
    pieces.clear();
    pieces.push_back(std::move(s));
    for (const auto& step : p_.pre_tokenizer) {
      next.clear();
      for (size_t i = 0; i < pieces.size(); ++i) {
        pre_tokenize(step, std::move(pieces[i]), seg.offset == 0 && i == 0, next);
      }
      pieces.swap(next);
    }
    for (const auto& piece : pieces) p_.model->encode(piece, ids);
  }
  return ids;
}

std::string HfTokenizer::decode(std::span<const int32_t> ids) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (const AddedToken* added = p_.added.by_id(id)) {
      tokens.push_back(added->content);
    } else if (const std::string* t = p_.model->vocab().token(id)) {
      tokens.push_back(*t);
    } else {
      throw Error(ErrorKind::BadInput, "tokenizer: decode: id " + std::to_string(id) +
                                           " is not in the vocabulary (size " +
                                           std::to_string(vocab_size()) + ")");
    }
  }
  std::string out;
  if (!p_.has_decoder) {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) out += ' ';
      out += tokens[i];
    }
    return out;
  }
  for (const auto& step : p_.decoder) decode_step(step, tokens);
  for (const auto& t : tokens) out += t;
  return out;
}

int32_t HfTokenizer::vocab_size() const {
  int32_t n = p_.model->vocab().size();
  for (const auto& t : p_.added.all()) n = std::max(n, t.id + 1);
  return n;
}

int32_t HfTokenizer::token_to_id(std::string_view token) const {
  const int32_t added = p_.added.find(token);
  return added >= 0 ? added : p_.model->vocab().find(token);
}

std::string HfTokenizer::id_to_token(int32_t id) const {
  if (const AddedToken* added = p_.added.by_id(id)) return added->content;
  const std::string* t = p_.model->vocab().token(id);
  return t ? *t : std::string();
}

}  // namespace tb
