// MusicXML to notes with pugixml (DOM, with byte offsets for messages) and libzip for .mxl;
// both are Debian packages (libpugixml-dev, libzip-dev). See musicxml.hpp for the semantics.
#include "metrics/notes/musicxml.hpp"

#include <zip.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <pugixml.hpp>
#include <sstream>

namespace tb::notes {
namespace {

constexpr int64_t kMaxTicksPerQuarter = int64_t{1} << 24;
constexpr uint64_t kMaxScoreBytes = uint64_t{1} << 28;  // a decompressed .mxl score
constexpr int kDefaultVelocity = 64;

class Reader {
 public:
  Reader(const pugi::xml_document& doc, std::string name) : doc_(doc), name_(std::move(name)) {}
  NoteSequence run();

 private:
  [[noreturn]] void fail(const pugi::xml_node& at, const std::string& what) const {
    throw ParseError(name_, static_cast<uint64_t>(std::max<ptrdiff_t>(at.offset_debug(), 0)), what);
  }
  double number(const pugi::xml_node& node, const char* what) const;
  int64_t divisions_of(const pugi::xml_node& node) const;
  int64_t ticks(const pugi::xml_node& node, int64_t divisions) const;
  void read_part(const pugi::xml_node& part, int track);

  const pugi::xml_document& doc_;
  std::string name_;
  NoteSequence seq_;
  std::map<std::string, int> channel_of_part_;  // score-part id -> 0-based MIDI channel
  std::map<std::string, std::string> name_of_part_;
};

double Reader::number(const pugi::xml_node& node, const char* what) const {
  const std::string text = node.child_value();
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end == text.c_str() || !std::isfinite(v) || v < 0 ||
      std::string_view(end).find_first_not_of(" \t\r\n") != std::string_view::npos) {
    fail(node, std::string("<") + what + "> is not a non-negative number: '" + text + "'");
  }
  return v;
}

// A <divisions> value: a whole number of ticks per quarter, 1 to kMaxTicksPerQuarter.
int64_t Reader::divisions_of(const pugi::xml_node& node) const {
  const double v = std::round(number(node, "divisions"));
  if (v < 1) fail(node, "<divisions> must be at least 1");
  if (v > static_cast<double>(kMaxTicksPerQuarter)) {
    fail(node, "<divisions> is above " + std::to_string(kMaxTicksPerQuarter));
  }
  return static_cast<int64_t>(v);
}

// A <duration> (or backup/forward) in ticks at the current <divisions>.
int64_t Reader::ticks(const pugi::xml_node& node, int64_t divisions) const {
  const double d = number(node, node.name());
  const double t = d * static_cast<double>(seq_.ticks_per_quarter) / static_cast<double>(divisions);
  if (t > 1e15) fail(node, std::string("<") + node.name() + "> is too long");
  return std::llround(t);
}

void Reader::read_part(const pugi::xml_node& part, int track) {
  const std::string id = part.attribute("id").value();
  const int channel = channel_of_part_.count(id) ? channel_of_part_[id] : 0;
  TrackInfo info;
  info.name = name_of_part_.count(id) ? name_of_part_[id] : "";
  int64_t divisions = 1;
  int64_t measure_start = 0;
  int velocity = kDefaultVelocity;
  std::map<int, size_t> tied;  // pitch -> the note a "tie stop" continues
  for (const pugi::xml_node& measure : part.children("measure")) {
    int64_t cursor = measure_start, reached = measure_start, last_onset = measure_start;
    for (const pugi::xml_node& e : measure.children()) {
      const std::string_view kind = e.name();
      if (kind == "attributes") {
        if (auto d = e.child("divisions")) divisions = divisions_of(d);
        for (const pugi::xml_node& t : e.children("time")) {
          const int beats = std::atoi(t.child_value("beats"));
          const int beat_type = std::atoi(t.child_value("beat-type"));
          if (beats > 0 && beat_type > 0)
            seq_.time_signatures.push_back({cursor, beats, beat_type});
        }
      } else if (kind == "backup" || kind == "forward") {
        const pugi::xml_node d = e.child("duration");
        if (!d) fail(e, std::string("<") + e.name() + "> without <duration>");
        cursor += kind == "backup" ? -ticks(d, divisions) : ticks(d, divisions);
        cursor = std::max(cursor, measure_start);
        reached = std::max(reached, cursor);
      } else if (kind == "direction" || kind == "sound") {
        const pugi::xml_node sound = kind == "sound" ? e : e.child("sound");
        if (auto tempo = sound.attribute("tempo"); tempo && tempo.as_double() > 0) {
          seq_.tempos.push_back({cursor, std::llround(60e6 / tempo.as_double())});
        }
        if (auto dyn = sound.attribute("dynamics"); dyn && dyn.as_double() > 0) {
          velocity = std::clamp(static_cast<int>(std::lround(dyn.as_double() * 0.9)), 1, 127);
        }
      } else if (kind == "note") {
        if (e.child("grace")) continue;  // no duration of its own
        const bool chord = static_cast<bool>(e.child("chord"));
        const pugi::xml_node dur = e.child("duration");
        const int64_t length = dur ? ticks(dur, divisions) : 0;
        const int64_t onset = chord ? last_onset : cursor;
        if (!chord) {
          last_onset = cursor;
          cursor += length;
          reached = std::max(reached, cursor);
        }
        if (e.child("rest") || e.child("cue")) continue;
        int pitch = -1;
        bool drum = false;
        if (auto p = e.child("pitch")) {
          constexpr int kStep[7] = {9, 11, 0, 2, 4, 5, 7};  // A..G
          const std::string step = p.child_value("step");
          if (step.size() != 1 || step[0] < 'A' || step[0] > 'G') fail(p, "<step> is not A..G");
          const int alter = static_cast<int>(std::lround(std::atof(p.child_value("alter"))));
          pitch = (std::atoi(p.child_value("octave")) + 1) * 12 + kStep[step[0] - 'A'] + alter;
        } else if (auto u = e.child("unpitched")) {
          const std::string step = u.child_value("display-step");
          if (step.size() == 1 && step[0] >= 'A' && step[0] <= 'G') {
            constexpr int kStep[7] = {9, 11, 0, 2, 4, 5, 7};
            pitch = (std::atoi(u.child_value("display-octave")) + 1) * 12 + kStep[step[0] - 'A'];
          }
          drum = channel == 9;
        }
        if (pitch < 0 || pitch > 127) continue;
        bool tie_start = false, tie_stop = false;
        for (const pugi::xml_node& tie : e.children("tie")) {
          const std::string_view type = tie.attribute("type").value();
          tie_start = tie_start || type == "start";
          tie_stop = tie_stop || type == "stop";
        }
        int vel = velocity;
        if (auto dyn = e.attribute("dynamics"); dyn && dyn.as_double() > 0) {
          vel = std::clamp(static_cast<int>(std::lround(dyn.as_double() * 0.9)), 1, 127);
        }
        auto open = tied.find(pitch);
        if (tie_stop && open != tied.end()) {
          NoteEvent& n = seq_.notes[open->second];
          n.duration = std::max(n.duration, onset + length - n.start);
          if (!tie_start) tied.erase(open);
          continue;
        }
        NoteEvent n;
        n.pitch = pitch;
        n.velocity = vel;
        n.start = onset;
        n.duration = length;
        n.track = track;
        n.channel = drum ? 9 : channel;
        seq_.notes.push_back(n);
        if (tie_start) tied[pitch] = seq_.notes.size() - 1;
      }
    }
    measure_start = reached;
  }
  info.end_tick = measure_start;
  seq_.tracks.push_back(info);
}

NoteSequence Reader::run() {
  const pugi::xml_node root = doc_.document_element();
  // pugixml reads a document with several top-level elements; XML allows one.
  for (pugi::xml_node n = root.next_sibling(); n; n = n.next_sibling()) {
    if (n.type() == pugi::node_element) {
      fail(n, std::string("a second root element <") + n.name() + "> (XML has one)");
    }
  }
  if (std::string_view(root.name()) == "score-timewise") {
    fail(root, "score-timewise MusicXML is not supported (convert it to score-partwise)");
  }
  if (std::string_view(root.name()) != "score-partwise") {
    fail(root, std::string("root element <") + root.name() + "> is not <score-partwise>");
  }
  // Every <divisions> of the file, so that one tick grid holds them all. Each value is checked
  // before the lcm, whose product would otherwise overflow (3 and 2^62 made a garbage grid).
  int64_t tpq = 1;
  for (const pugi::xpath_node& x : root.select_nodes("part/measure/attributes/divisions")) {
    const int64_t d = divisions_of(x.node());
    tpq = tpq / std::gcd(tpq, d) * d;  // both at most 2^24: no overflow
    if (tpq > kMaxTicksPerQuarter) fail(x.node(), "<divisions> values have no common grid");
  }
  seq_.ticks_per_quarter = tpq;
  for (const pugi::xml_node& sp : root.child("part-list").children("score-part")) {
    const std::string id = sp.attribute("id").value();
    name_of_part_[id] = sp.child_value("part-name");
    const int ch = std::atoi(sp.child("midi-instrument").child_value("midi-channel"));
    if (ch >= 1 && ch <= 16) channel_of_part_[id] = ch - 1;
  }
  int track = 0;
  for (const pugi::xml_node& part : root.children("part")) read_part(part, track++);
  // One global timeline: the first signature or tempo given at a tick wins.
  auto by_tick = [](const auto& a, const auto& b) { return a.tick < b.tick; };
  auto same_tick = [](const auto& a, const auto& b) { return a.tick == b.tick; };
  std::stable_sort(seq_.time_signatures.begin(), seq_.time_signatures.end(), by_tick);
  seq_.time_signatures.erase(
      std::unique(seq_.time_signatures.begin(), seq_.time_signatures.end(), same_tick),
      seq_.time_signatures.end());
  std::stable_sort(seq_.tempos.begin(), seq_.tempos.end(), by_tick);
  seq_.tempos.erase(std::unique(seq_.tempos.begin(), seq_.tempos.end(), same_tick),
                    seq_.tempos.end());
  return std::move(seq_);
}

// The bytes of one zip entry, or nullopt when it is absent.
std::optional<std::string> zip_entry(zip_t* archive, const std::string& entry,
                                     const std::string& name) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(archive, entry.c_str(), 0, &st) != 0) return std::nullopt;
  if ((st.valid & ZIP_STAT_SIZE) == 0 || st.size > kMaxScoreBytes) {
    throw ParseError(name, 0, "zip entry " + entry + " is larger than 256 MiB or of unknown size");
  }
  std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> f(zip_fopen(archive, entry.c_str(), 0),
                                                      zip_fclose);
  if (!f) throw ParseError(name, 0, "zip entry " + entry + " cannot be opened");
  std::string out(static_cast<size_t>(st.size), '\0');
  const zip_int64_t got = zip_fread(f.get(), out.data(), out.size());
  if (got < 0 || static_cast<zip_uint64_t>(got) != st.size) {
    throw ParseError(name, 0, "zip entry " + entry + " is corrupt");
  }
  return out;
}

// The score of an .mxl: META-INF/container.xml's first rootfile, else the first .xml/.musicxml
// outside META-INF.
std::string mxl_score(const std::string& bytes, const std::string& name) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (src == nullptr) throw ParseError(name, 0, "cannot read the zip archive");
  zip_t* raw = zip_open_from_source(src, ZIP_RDONLY, &error);
  if (raw == nullptr) {
    zip_source_free(src);
    const std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw ParseError(name, 0, "not a valid .mxl zip archive: " + why);
  }
  std::unique_ptr<zip_t, void (*)(zip_t*)> archive(raw, zip_discard);
  if (auto container = zip_entry(archive.get(), "META-INF/container.xml", name)) {
    pugi::xml_document doc;
    if (doc.load_buffer(container->data(), container->size())) {
      const std::string path = doc.select_node("//rootfile").node().attribute("full-path").value();
      if (!path.empty()) {
        if (auto score = zip_entry(archive.get(), path, name)) return *score;
        throw ParseError(name, 0, "META-INF/container.xml names " + path + ", absent from the zip");
      }
    }
  }
  const zip_int64_t n = zip_get_num_entries(archive.get(), 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    const std::string entry = zip_get_name(archive.get(), static_cast<zip_uint64_t>(i), 0);
    if (entry.starts_with("META-INF/")) continue;
    if (entry.ends_with(".xml") || entry.ends_with(".musicxml")) {
      return *zip_entry(archive.get(), entry, name);
    }
  }
  throw ParseError(name, 0, "the .mxl archive holds no MusicXML score");
}

}  // namespace

NoteSequence parse_musicxml(std::string_view bytes, const std::string& name) {
  if (bytes.starts_with("PK\x03\x04")) {
    const std::string score = mxl_score(std::string(bytes), name);
    return parse_musicxml_text(score, name);
  }
  return parse_musicxml_text(bytes, name);
}

NoteSequence parse_musicxml_text(std::string_view xml, const std::string& name) {
  pugi::xml_document doc;
  const pugi::xml_parse_result r = doc.load_buffer(xml.data(), xml.size());
  if (!r) {
    throw ParseError(name, static_cast<uint64_t>(std::max<ptrdiff_t>(r.offset, 0)),
                     std::string("not well-formed XML: ") + r.description());
  }
  return Reader(doc, name).run();
}

NoteSequence read_musicxml_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ParseError(path.string(), 0, "cannot open the file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_musicxml(ss.str(), path.string());
}

}  // namespace tb::notes
