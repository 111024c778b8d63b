#!/usr/bin/python3
"""Golden notes of real MIDI files, read with mido, for the C++ reader (metrics/notes/midi_file).

Regenerate (from the repository root, with ../shared present):

    /usr/bin/python3 tools/midi_notes_golden.py

It reads the 20 JS Fake Chorales 0.mid .. 19.mid and 3 openttd-openmsx files from
../shared/data/midi and writes data/golden/notes/<set>/<name>.notes, one line per item:

    ticks_per_quarter TPQ
    tempo TICK MICROSECONDS_PER_QUARTER              (every set_tempo, by tick, file order)
    time_signature TICK NUMERATOR DENOMINATOR
    track INDEX PROGRAM END_TICK                      (every MTrk; PROGRAM = first program_change)
    note PITCH VELOCITY START DURATION CHANNEL TRACK PROGRAM

Notes are listed per track in note_on order and paired as metrics/notes/MMM.md says (FIFO per
channel and pitch, velocity-0 note_on closes, open notes close at the track's last event tick);
a note's PROGRAM is the last program_change on its channel in its track before the note_on.
Only mido parses the bytes here; the pairing is tools/mmm.py read_midi_notes.
"""

import os
import sys

import mido

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mmm  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_MIDI = os.path.join(ROOT, "..", "shared", "data", "midi")
OUT = os.path.join(ROOT, "data", "golden", "notes")

FILES = [("js-fakes", "js-fakes/midi/{}.mid".format(i)) for i in range(20)] + [
    # v0 note-offs and program changes in mid-track; note_off (0x80) messages; unmatched offs.
    ("debian-openmsx", "debian-openmsx/5432gone_redfarn.mid"),
    ("debian-openmsx", "debian-openmsx/coconut_run2.mid"),
    ("debian-openmsx", "debian-openmsx/keep_on_rolling.mid"),
]


def golden_lines(path):
    mid = mido.MidiFile(path)
    tpq, tracks = mmm.read_midi_notes(path)
    tempos, signatures, track_lines = [], [], []
    for index, track in enumerate(mid.tracks):
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempos.append((tick, index, msg.tempo))
            elif msg.type == "time_signature":
                signatures.append((tick, index, msg.numerator, msg.denominator))
        track_lines.append("track {} {} {}".format(index, tracks[index].program, tick))
    lines = ["ticks_per_quarter {}".format(tpq)]
    # sorted() is stable on (tick, track index): file order within a tick, as the reader does.
    lines += ["tempo {} {}".format(t, us) for t, _, us in sorted(tempos, key=lambda x: x[:2])]
    lines += ["time_signature {} {} {}".format(t, n, d)
              for t, _, n, d in sorted(signatures, key=lambda x: x[:2])]
    lines += track_lines
    for track in tracks:
        for n in track.notes:
            lines.append("note {} {} {} {} {} {} {}".format(
                n.pitch, n.velocity, n.start, n.duration, n.channel, n.track, n.program))
    return lines


def main():
    for subset, rel in FILES:
        path = os.path.join(SHARED_MIDI, rel)
        out_dir = os.path.join(OUT, subset)
        os.makedirs(out_dir, exist_ok=True)
        name = os.path.splitext(os.path.basename(rel))[0] + ".notes"
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as out:
            out.write("\n".join(golden_lines(path)) + "\n")
    print("wrote {} files under {}".format(len(FILES), os.path.relpath(OUT, ROOT)))


if __name__ == "__main__":
    main()
