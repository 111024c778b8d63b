#!/usr/bin/env python3
"""Goldens for metrics/statistics from the reference libraries themselves.

MusPy's metrics are MusPy's own functions (muspy.metrics) on muspy.read_midi of each file, with
the tracks' annotations (control changes) dropped: MusPy counts a control change after the
last note in the song's length (empty_beat_rate, polyphony_rate, groove_consistency), and a
tunebench NoteSequence holds notes, tempos and time signatures only.
mgeval is not on PyPI and its core.py reads one track with python-midi (Python 2); its formulas
for the features tunebench adds (total_used_note, bar_used_pitch, bar_used_note,
bar_pitch_class_histogram) are re-implemented here on the same muspy notes, over every pitched
track and with musical bars, as metrics/statistics/features.hpp defines them (tick piano rolls
in numpy; seconds through pretty_midi's tick_to_time of muspy.to_pretty_midi). KL and overlap
area are mgeval utils.py's kl_dist and overlap_area (scipy gaussian_kde, entropy, quad) on the
intra/inter-set distances of metrics/statistics/set_comparison.hpp. Nottingham ABC tunes:
music21 reads them (music21 9.1.0), their notes become a muspy Music (abc_tunes below).

Pinned: pip install muspy==0.5.0 music21==9.1.0 (brings numpy, scipy, pretty_midi, mido).
Regenerate (from the repository root):
    python3 tools/metrics_golden.py ../shared/data data/golden/statistics/reference_libraries.json
"""
import json
import math
import re
import os
import sys

import muspy
import numpy as np
from scipy import integrate, stats

JS_FAKES = [f"{i}.mid" for i in range(24)]
SET_A = [f"{i}.mid" for i in range(0, 10)]
SET_B = [f"{i}.mid" for i in range(10, 24)]
MAX_HISTOGRAM_BARS = 20
ABC_FILE = "abc/nottingham/jigs.abc"
ABC_TUNES = 30
COMPARED = ["total_used_note", "n_pitch_classes_used", "polyphony_rate", "pitch_range",
            "pitch_entropy", "scale_consistency"]


def clean(x):
    x = float(x)
    return None if math.isnan(x) else x


def first_bar(music):
    sig = music.time_signatures[0] if music.time_signatures else None
    num, den = (sig.numerator, sig.denominator) if sig else (4, 4)
    return max(1, int(round(num * 4 * music.resolution / den)))


def muspy_metrics(music):
    m = muspy.metrics
    out = {
        "total_used_pitch": m.n_pitches_used(music),
        "n_pitch_classes_used": m.n_pitch_classes_used(music),
        "pitch_range": m.pitch_range(music),
        "empty_beat_rate": m.empty_beat_rate(music),
        "polyphony": m.polyphony(music),
        "polyphony_rate": m.polyphony_rate(music),
        "pitch_in_scale_rate": [m.pitch_in_scale_rate(music, r, mode)
                                for mode in ("major", "minor") for r in range(12)],
        "scale_consistency": m.scale_consistency(music),
        "drum_in_pattern_rate": [m.drum_in_pattern_rate(music, "duple"),
                                 m.drum_in_pattern_rate(music, "triple")],
        "drum_pattern_consistency": m.drum_pattern_consistency(music),
        "pitch_entropy": m.pitch_entropy(music),
        "pitch_class_entropy": m.pitch_class_entropy(music),
        "groove_consistency": m.groove_consistency(music, first_bar(music)),
    }
    return {k: [clean(x) for x in v] if isinstance(v, list) else [clean(v)]
            for k, v in out.items()}


def mgeval_bar_features(music):
    pm = muspy.to_pretty_midi(music)
    notes = [n for t in music.tracks if not t.is_drum for n in t.notes]
    bar = first_bar(music)
    length = max([max(n.end, n.time + 1) for n in notes], default=0)
    bars = -(-length // bar)
    used_note = np.zeros(bars)
    pitch_sets = [set() for _ in range(bars)]
    hist = np.zeros((bars, 12))
    for n in notes:
        b = n.time // bar
        used_note[b] += 1
        pitch_sets[b].add(n.pitch)
        if n.duration <= 0:
            continue
        for k in range(b, bars):
            lo, hi = max(n.time, k * bar), min(n.end, (k + 1) * bar)
            if lo >= hi:
                break
            hist[k, n.pitch % 12] += n.velocity * (pm.tick_to_time(hi) - pm.tick_to_time(lo))
    sums = hist.sum(axis=1, keepdims=True)
    hist = np.divide(hist, sums, out=np.zeros_like(hist), where=sums > 0)
    out = {
        "total_used_note": [float(len(notes))],
        "bar_used_note": used_note.tolist(),
        "bar_used_pitch": [float(len(s)) for s in pitch_sets],
    }
    if bars <= MAX_HISTOGRAM_BARS:  # keeps the golden small
        out["bar_pitch_class_histogram"] = hist.reshape(-1).tolist()
    return out


def distances(a, b=None):
    if b is None:
        return [abs(x - y) for i, x in enumerate(a) for j, y in enumerate(a) if i != j]
    return [abs(x - y) for x in a for y in b]


def comparison(features):
    out = {}
    for name in COMPARED:
        a = [features[f][name][0] for f in SET_A if features[f][name][0] is not None]
        b = [features[f][name][0] for f in SET_B if features[f][name][0] is not None]
        intra, inter = np.array(distances(a)), np.array(distances(a, b))
        pa, pb = stats.gaussian_kde(intra), stats.gaussian_kde(inter)
        kl = stats.entropy(pa(np.linspace(intra.min(), intra.max(), 1000)),
                           pb(np.linspace(inter.min(), inter.max(), 1000)))
        lo, hi = min(intra.min(), inter.min()), max(intra.max(), inter.max())
        oa = integrate.quad(lambda x: min(pa(x)[0], pb(x)[0]), lo, hi, limit=200,
                            epsabs=1e-11, epsrel=1e-11)[0]
        out[name] = {"kl": float(kl), "overlap": float(oa)}
    return out


def accidental_held_in_bar(tune_text):
    """True when an explicit accidental should hold for a later note of the same letter and
    octave in its bar (ABC 2.1 section 4.2): music21 9.1 does not carry it, tunebench does."""
    body = tune_text.split("\nK:", 1)[-1].split("\n", 1)[-1]
    body = re.sub(r'"[^"]*"|![^!]*!|^[A-Za-z]:.*$', "", body, flags=re.M)
    for bar in re.split(r"[|\n]", body):
        marked = set()
        for acc, letter, octave in re.findall(r"([_^=]*)([A-Ga-g])([,']*)", bar):
            if acc:
                marked.add(letter + octave)
            elif letter + octave in marked:
                return True
    return False


def abc_tunes(path, count):
    """The first `count` tunes of an ABC file as muspy Music, notes as music21 reads them (480
    ticks per quarter, velocity 80, one track per part; ties merged, grace notes and chord
    symbols left out, repeats not unfolded), keyed by X: number. Tunes whose ties join two
    different pitches (music21 merges those), or with an accidental that ABC 2.1 holds to the
    end of the bar (music21 does not), are left out."""
    import music21
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from musicxml_golden import ties_join_other_pitches
    with open(path, encoding="latin-1") as fh:
        text = fh.read()
    out = {}
    for chunk in re.split(r"\n\s*\n", text):
        m = re.search(r"^X:\s*(\d+)", chunk, re.M)
        if not m:
            continue
        if accidental_held_in_bar(chunk[m.start():]):
            continue
        score = music21.converter.parse(chunk[m.start():], format="abc")
        if ties_join_other_pitches(score):
            continue
        music = muspy.Music(resolution=480)
        sigs = list(score.recurse().getElementsByClass(music21.meter.TimeSignature))
        if sigs:
            music.time_signatures.append(muspy.TimeSignature(
                time=0, numerator=sigs[0].numerator, denominator=sigs[0].denominator))
        for part in score.parts:
            track = muspy.Track()
            for n in part.stripTies().flatten().notes:
                if n.duration.isGrace or isinstance(n, music21.harmony.Harmony):
                    continue
                time = int(round(float(n.offset) * 480))
                length = int(round(float(n.quarterLength) * 480))
                for p in (n.pitches if n.isChord else [n.pitch]):
                    track.notes.append(muspy.Note(time=time, pitch=p.midi, duration=length,
                                                  velocity=80))
            track.notes.sort(key=lambda x: (x.time, x.pitch))
            music.tracks.append(track)
        out[int(m.group(1))] = music
        if len(out) >= count:
            break
    return out


def main():
    shared, out_path = sys.argv[1], sys.argv[2]
    files = [("midi/js-fakes/midi", f) for f in JS_FAKES]
    debian = os.path.join(shared, "midi/debian-openmsx")
    files += [("midi/debian-openmsx", f) for f in sorted(os.listdir(debian)) if f.endswith(".mid")]
    features, abc_features = {}, {}
    for folder, name in files:
        music = muspy.read_midi(os.path.join(shared, folder, name))
        for track in music.tracks:
            track.annotations = []  # see the docstring
        f = muspy_metrics(music)
        f.update(mgeval_bar_features(music))
        features[f"{folder}/{name}"] = f
    for number, music in abc_tunes(os.path.join(shared, ABC_FILE), ABC_TUNES).items():
        f = muspy_metrics(music)
        f.update(mgeval_bar_features(music))
        abc_features[str(number)] = f
    js = {f: features[f"midi/js-fakes/midi/{f}"] for f in JS_FAKES}
    golden = {
        "command": "python3 tools/metrics_golden.py ../shared/data "
                   "data/golden/statistics/reference_libraries.json",
        "versions": {"muspy": muspy.__version__, "numpy": np.__version__,
                     "scipy": __import__("scipy").__version__},
        "features": features,
        "abc_file": ABC_FILE,
        "abc_features": abc_features,
        "set_a": ["midi/js-fakes/midi/" + f for f in SET_A],
        "set_b": ["midi/js-fakes/midi/" + f for f in SET_B],
        "comparison": comparison(js),
    }
    with open(out_path, "w") as fh:
        json.dump(golden, fh, indent=0, sort_keys=True, separators=(",", ":"))
        fh.write("\n")


if __name__ == "__main__":
    main()
