#!/usr/bin/env python3
"""MusicXML test files and their notes as music21 reads them (golden for metrics/notes/musicxml).

No Debian package ships MusicXML scores, and CI has no PyPI, so the files are made here: music21
converts real tunes of the shared data (Nottingham, O'Neill's and abcm2ps/abcmidi example ABC,
JS Fake Chorales MIDI) to MusicXML (.musicxml; every fourth one written as compressed .mxl),
then music21 parses each written file again and its notes are the golden: per part (in score
order) every sounding note after stripTies(), chord notes one by one, grace notes and chord symbols
left out:
[part, MIDI pitch, onset, duration], onset and duration in quarter notes as exact fractions.
Scores music21 cannot write, and scores with a tie between two different pitches (stripTies()
would merge them), are left out.

Pinned: pip install music21==9.1.0
Regenerate (from the repository root):
    python3 tools/musicxml_golden.py ../shared/data data/golden/musicxml
"""
import json
import os
import re
import sys
from fractions import Fraction

import music21

SOURCES = [
    ("abc/nottingham/jigs.abc", [1, 5, 9, 14, 22, 30]),
    ("abc/nottingham/reelsa-c.abc", [1, 2, 7, 11]),
    ("abc/nottingham/waltzes.abc", [3, 8, 12]),
    ("abc/nottingham/hpps.abc", [1, 4, 9, 16]),
    ("abc/nottingham/xmas.abc", [2, 5, 7]),
    ("abc/oneills1850/0001-0050.abc", [1, 2, 3, 10]),
    ("abc/debian-examples", None),
    ("midi/js-fakes/midi", ["0.mid", "1.mid", "2.mid", "3.mid"]),
]


def frac(x):
    f = Fraction(x).limit_denominator(1 << 20)
    return f"{f.numerator}/{f.denominator}"


def notes_of(score):
    out = []
    for p, part in enumerate(score.parts):
        flat = part.stripTies().flatten()
        for n in flat.notes:
            # Chord symbols ("Am" above the staff) are Harmony objects in .notes: not notes.
            if n.duration.isGrace or isinstance(n, music21.harmony.Harmony):
                continue
            pitches = n.pitches if n.isChord else [n.pitch]
            for pitch in pitches:
                out.append([p, pitch.midi, frac(n.offset), frac(n.quarterLength)])
    out.sort(key=lambda r: (r[0], Fraction(r[2]), r[1], Fraction(r[3])))
    return out


def ties_join_other_pitches(score):
    """True when a tie start is followed, in its part, by a tie stop of another pitch (a slip in
    the source ABC): music21's stripTies() then merges the two notes, which a tie cannot mean."""
    for part in score.parts:
        open_pitches = []
        for n in part.flatten().notes:
            if isinstance(n, music21.harmony.Harmony) or n.duration.isGrace:
                continue
            for note in (n.notes if n.isChord else [n]):
                tie = note.tie.type if note.tie else None
                if tie in ("stop", "continue"):
                    if note.pitch.midi not in open_pitches:
                        return True
                    if tie == "stop":
                        open_pitches.remove(note.pitch.midi)
                if tie == "start":
                    open_pitches.append(note.pitch.midi)
    return False


def abc_scores(path, numbers, limit=None):
    """The tunes of an ABC file whose X: is in `numbers` (all when None, at most `limit`)."""
    with open(path, encoding="latin-1") as fh:
        text = fh.read()
    picked = []
    for chunk in re.split(r"\n\s*\n", text):
        m = re.search(r"^X:\s*(\d+)", chunk, re.M)
        if not m or (numbers is not None and int(m.group(1)) not in numbers):
            continue
        tune = chunk[m.start():]
        picked.append((int(m.group(1)), music21.converter.parse(tune, format="abc")))
        if limit is not None and len(picked) >= limit:
            break
    return picked


def main():
    shared, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    made = []
    for rel, which in SOURCES:
        path = os.path.join(shared, rel)
        if rel.endswith(".abc"):
            picked = abc_scores(path, which, limit=3 if which is None else None)
            for number, score in picked:
                stem = os.path.splitext(os.path.basename(rel))[0] + f"-{number}"
                made.append((stem, score))
        elif rel == "abc/debian-examples":
            for name in ["coleraine.abc", "voices.abc", "sample.abc", "boys.abc"]:
                f = os.path.join(path, name)
                if os.path.exists(f):
                    for number, score in abc_scores(f, None, limit=2):
                        made.append((os.path.splitext(name)[0] + f"-{number}", score))
        else:
            for name in which:
                made.append(("jsfakes-" + name[:-4], music21.converter.parse(os.path.join(path, name))))
    golden = {"command": "python3 tools/musicxml_golden.py ../shared/data data/golden/musicxml",
              "music21": music21.__version__, "files": {}}
    for i, (stem, score) in enumerate(made):
        fmt = "mxl" if i % 4 == 3 else "musicxml"
        target = os.path.join(out_dir, f"{stem}.{fmt}")
        try:
            score.write(fmt, fp=target)
        except music21.musicxml.xmlObjects.MusicXMLExportException as e:
            print(f"skipped {stem}: music21 cannot write it: {e}", file=sys.stderr)
            continue
        written = music21.converter.parse(target)
        if ties_join_other_pitches(written):
            print(f"skipped {stem}: a tie joins two different pitches", file=sys.stderr)
            os.remove(target)
            continue
        golden["files"][os.path.basename(target)] = notes_of(written)
    with open(os.path.join(out_dir, "music21_notes.json"), "w") as fh:
        json.dump(golden, fh, separators=(",", ":"), sort_keys=True)
        fh.write("\n")


if __name__ == "__main__":
    main()
