#pragma once
// Builds Standard MIDI File bytes by hand for the reader tests.
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace tb::test {

using Bytes = std::vector<uint8_t>;

inline void append_be(Bytes& out, uint32_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

// "MThd", length 6, format, track count, division.
inline Bytes midi_header(uint16_t format, uint16_t tracks, uint16_t division) {
  Bytes out = {'M', 'T', 'h', 'd'};
  append_be(out, 6, 4);
  append_be(out, format, 2);
  append_be(out, tracks, 2);
  append_be(out, division, 2);
  return out;
}

// A chunk with the given id and body; `length` overrides the stored length when >= 0.
inline void append_chunk(Bytes& out, const char* id, const Bytes& body, int64_t length = -1) {
  out.insert(out.end(), id, id + 4);
  append_be(out, static_cast<uint32_t>(length >= 0 ? length : static_cast<int64_t>(body.size())),
            4);
  out.insert(out.end(), body.begin(), body.end());
}

// A whole file: header + one MTrk chunk per body.
inline Bytes midi_file(uint16_t format, uint16_t division, std::initializer_list<Bytes> tracks) {
  Bytes out = midi_header(format, static_cast<uint16_t>(tracks.size()), division);
  for (const Bytes& t : tracks) append_chunk(out, "MTrk", t);
  return out;
}

}  // namespace tb::test
