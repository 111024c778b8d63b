#include "metrics/notes/midi_file.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>
#include <utility>
#include <vector>

namespace tb::notes {
namespace {

std::string hex_byte(uint8_t b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return std::string("0x") + kDigits[b >> 4] + kDigits[b & 15];
}

// Reads big-endian fields and MIDI variable-length quantities from [pos, limit) and reports
// every problem as a ParseError at the byte where the offending item starts.
class Cursor {
 public:
  Cursor(std::span<const uint8_t> bytes, const std::string& name) : bytes_(bytes), name_(name) {}

  size_t pos() const { return pos_; }
  size_t limit() const { return limit_; }
  void seek(size_t pos) { pos_ = pos; }
  void set_limit(size_t limit) { limit_ = limit; }
  bool at_limit() const { return pos_ >= limit_; }

  [[noreturn]] void fail(size_t offset, const std::string& what) const {
    throw ParseError(name_, offset, what);
  }

  void need(size_t n, const char* what) const {
    if (limit_ - pos_ < n) fail(pos_, std::string("truncated ") + what);
  }
  uint8_t byte(const char* what) {
    need(1, what);
    return bytes_[pos_++];
  }
  uint32_t be(size_t n, const char* what) {
    need(n, what);
    uint32_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | bytes_[pos_++];
    return v;
  }
  // At most 4 bytes (28 bits), as the SMF specification allows.
  uint32_t vlq(const char* what) {
    const size_t start = pos_;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const uint8_t b = byte(what);
      v = (v << 7) | (b & 0x7fu);
      if (b < 0x80) return v;
    }
    fail(start, std::string(what) + ": variable-length quantity longer than 4 bytes");
  }
  void skip(size_t n, const char* what) {
    need(n, what);
    pos_ += n;
  }
  std::span<const uint8_t> take(size_t n, const char* what) {
    need(n, what);
    pos_ += n;
    return bytes_.subspan(pos_ - n, n);
  }

 private:
  std::span<const uint8_t> bytes_;
  const std::string& name_;
  size_t pos_ = 0;
  size_t limit_ = bytes_.size();
};

// Per-track state while reading events: open notes per (channel, pitch), programs per channel.
struct TrackReader {
  int index = 0;
  int64_t tick = 0;
  int first_program = -1;
  std::array<int, 16> channel_program{};
  std::map<std::pair<int, int>, std::deque<size_t>> open;  // (channel, pitch) -> note indices
  std::vector<NoteEvent> notes;

  void channel_message(uint8_t status, uint8_t d1, uint8_t d2) {
    const int channel = status & 0x0f;
    switch (status & 0xf0) {
      case 0x90:
        if (d2 > 0) {
          open[{channel, d1}].push_back(notes.size());
          notes.push_back(NoteEvent{d1, d2, tick, -1, index, channel_program[channel], channel});
          break;
        }
        [[fallthrough]];  // velocity 0 is a note-off
      case 0x80: {
        auto it = open.find({channel, d1});
        if (it != open.end() && !it->second.empty()) {
          NoteEvent& note = notes[it->second.front()];
          note.duration = tick - note.start;
          it->second.pop_front();
        }
        break;
      }
      case 0xc0:
        if (first_program < 0) first_program = d1;
        channel_program[channel] = d1;
        break;
      default:  // aftertouch, control change, pitch bend: no effect on notes
        break;
    }
  }

  void close_open_notes() {
    for (auto& note : notes)
      if (note.duration < 0) note.duration = tick - note.start;
  }
};

void read_meta(Cursor& in, TrackReader& track, NoteSequence& seq, TrackInfo& info) {
  const size_t start = in.pos() - 1;
  const uint8_t type = in.byte("meta event");
  const uint32_t length = in.vlq("meta event length");
  const auto data = in.take(length, "meta event data");
  switch (type) {
    case 0x03:  // track name
      if (info.name.empty()) info.name.assign(data.begin(), data.end());
      break;
    case 0x51:  // tempo, microseconds per quarter
      if (length != 3) in.fail(start, "tempo meta event of length " + std::to_string(length));
      seq.tempos.push_back({track.tick, (int64_t{data[0]} << 16) | (data[1] << 8) | data[2]});
      break;
    case 0x58:  // time signature: numerator, log2(denominator), clocks, 32nds
      if (length < 2 || data[1] > 30) in.fail(start, "malformed time signature meta event");
      seq.time_signatures.push_back({track.tick, data[0], 1 << data[1]});
      break;
    default:  // end of track, text, key signature...: nothing the notes need
      break;
  }
}

void read_track(Cursor& in, TrackReader& track, NoteSequence& seq, TrackInfo& info) {
  uint8_t running = 0;  // 0: no running status
  while (!in.at_limit()) {
    track.tick += in.vlq("delta time");
    const size_t event_start = in.pos();
    uint8_t status = in.byte("event");
    bool have_first_data = false;
    uint8_t first_data = 0;
    if (status < 0x80) {
      if (running == 0)
        in.fail(event_start, "data byte " + hex_byte(status) +
                                 " where a status byte is needed (no running status)");
      first_data = status;
      have_first_data = true;
      status = running;
    }
    if (status == 0xff) {
      read_meta(in, track, seq, info);
    } else if (status == 0xf0 || status == 0xf7) {
      in.skip(in.vlq("sysex length"), "sysex data");
      running = 0;
    } else if (status >= 0xf0) {
      in.fail(event_start, "system message " + hex_byte(status) + " is not allowed in a MIDI file");
    } else {
      running = status;
      const int count = (status & 0xe0) == 0xc0 ? 1 : 2;  // program change, channel pressure
      uint8_t data[2] = {0, 0};
      for (int i = 0; i < count; ++i) {
        const size_t at = in.pos();
        data[i] = (i == 0 && have_first_data) ? first_data : in.byte("channel message");
        if (data[i] >= 0x80)
          in.fail(at, "data byte " + hex_byte(data[i]) + " of a channel message is >= 0x80");
      }
      track.channel_message(status, data[0], data[1]);
    }
  }
  track.close_open_notes();
}

}  // namespace

NoteSequence parse_midi(std::span<const uint8_t> bytes, const std::string& name) {
  Cursor in(bytes, name);
  if (bytes.size() < 4 || !std::equal(bytes.begin(), bytes.begin() + 4, "MThd"))
    in.fail(0, "not a MIDI file (no MThd header)");
  in.skip(4, "header");
  const uint32_t header_length = in.be(4, "header length");
  if (header_length < 6) in.fail(4, "header length " + std::to_string(header_length) + " < 6");
  if (header_length > bytes.size() - 8)
    in.fail(4, "header chunk of length " + std::to_string(header_length) +
                   " runs past the end of the file");
  const uint32_t format = in.be(2, "format");
  const uint32_t declared_tracks = in.be(2, "track count");
  const uint32_t division = in.be(2, "division");
  if (format == 2) in.fail(8, "MIDI format 2 (independent sequences) is not supported");
  if (format > 2) in.fail(8, "unknown MIDI format " + std::to_string(format));
  if (division & 0x8000) in.fail(12, "SMPTE time division is not supported");
  if (division == 0) in.fail(12, "division of 0 ticks per quarter");
  in.seek(8 + header_length);

  NoteSequence seq;
  seq.ticks_per_quarter = division;
  std::vector<std::vector<NoteEvent>> track_notes;
  while (track_notes.size() < declared_tracks) {
    if (in.at_limit())
      in.fail(in.pos(), "the header declares " + std::to_string(declared_tracks) +
                            " tracks but the file holds " + std::to_string(track_notes.size()));
    const size_t chunk_start = in.pos();
    const auto id = in.take(4, "chunk header");
    const uint32_t length = in.be(4, "chunk header");
    const std::string chunk_name(id.begin(), id.end());
    if (length > bytes.size() - in.pos())
      in.fail(chunk_start, "chunk of length " + std::to_string(length) +
                               " runs past the end of the file (" + std::to_string(bytes.size()) +
                               " bytes)");
    const size_t chunk_end = in.pos() + length;
    if (chunk_name == "MTrk") {
      TrackReader track;
      track.index = static_cast<int>(track_notes.size());
      TrackInfo info;
      in.set_limit(chunk_end);
      read_track(in, track, seq, info);
      in.set_limit(bytes.size());
      info.program = std::max(track.first_program, 0);
      info.end_tick = track.tick;
      seq.tracks.push_back(std::move(info));
      track_notes.push_back(std::move(track.notes));
    }
    in.seek(chunk_end);  // unknown chunk types are skipped
  }
  for (auto& notes : track_notes) seq.notes.insert(seq.notes.end(), notes.begin(), notes.end());
  auto by_tick = [](const auto& a, const auto& b) { return a.tick < b.tick; };
  std::stable_sort(seq.tempos.begin(), seq.tempos.end(), by_tick);
  std::stable_sort(seq.time_signatures.begin(), seq.time_signatures.end(), by_tick);
  return seq;
}

NoteSequence read_midi_file(const std::filesystem::path& path) {
  // A FIFO or device would block in the open below (waiting for a writer) or never end.
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    throw ParseError(path.string(), 0, "not a regular file");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ParseError(path.string(), 0, "cannot open the file");
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                                   std::istreambuf_iterator<char>());
  if (file.bad()) throw ParseError(path.string(), 0, "read error");
  return parse_midi(bytes, path.string());
}

}  // namespace tb::notes
