#!/usr/bin/python3
"""Golden values for metrics/statistics: per-piece features and the set comparison (KL, OA).

An independent numpy implementation of the definitions in metrics/statistics/features.hpp,
kde.hpp and set_comparison.hpp, written the way the reference libraries compute them:
piano-roll arrays for MusPy's polyphony / empty-beat rate / groove consistency, pretty_midi's
outer end-start distance matrix for the pitch class transitions, scipy.stats.gaussian_kde's
formula (scipy is not installed here) evaluated directly over every data point.

Pieces: JS Fake Chorales MIDI files read with mido (tools/mmm.py read_midi_notes pairs the
notes). Set A ("generated") and set B ("reference") are two fixed lists of files.

Regenerate (from the repository root):
    /usr/bin/python3 tools/statistics_golden.py ../shared/data/midi/js-fakes/midi \
        data/golden/statistics/jsfakes.json
"""
import json
import math
import os
import sys

import mido
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mmm import read_midi_notes  # noqa: E402

SET_A = ["0.mid", "1.mid", "2.mid", "3.mid", "4.mid", "5.mid"]
SET_B = ["100.mid", "101.mid", "102.mid", "103.mid", "104.mid", "105.mid", "106.mid"]
KL_SAMPLES = 1000
OA_INTERVALS = 2000
DRUM = 9

NAMES = ["total_used_pitch", "total_pitch_class_histogram", "pitch_class_transition_matrix",
         "pitch_range", "avg_pitch_shift", "avg_IOI", "note_length_hist",
         "note_length_transition_matrix", "pitch_entropy", "pitch_class_entropy",
         "scale_consistency", "polyphony", "empty_beat_rate", "groove_consistency"]


def read_piece(path):
    tpq, tracks = read_midi_notes(path)
    mid = mido.MidiFile(path)
    tempos, sigs = [], []
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempos.append((tick, msg.tempo))
            elif msg.type == "time_signature":
                sigs.append((tick, msg.numerator, msg.denominator))
    tempos.sort(key=lambda t: t[0])
    sigs.sort(key=lambda t: t[0])
    notes = [n for t in tracks for n in t.notes]
    return {"tpq": tpq, "notes": notes, "tempos": tempos, "sigs": sigs}


def tick_to_seconds(piece, ticks):
    """pretty_midi-style: piecewise linear through the tempo changes (default 120 qpm)."""
    tpq = piece["tpq"]
    bounds = [(0, 0.0, 500000)]
    for tick, tempo in piece["tempos"]:
        t0, s0, us = bounds[-1]
        s = s0 + (tick - t0) * us * 1e-6 / tpq
        if tick == t0:
            bounds[-1] = (tick, s, tempo)
        else:
            bounds.append((tick, s, tempo))
    ticks = np.asarray(ticks, dtype=np.int64)
    out = np.zeros(len(ticks))
    for i, t in enumerate(ticks):
        b = [x for x in bounds if x[0] <= t][-1]
        out[i] = b[1] + (t - b[0]) * b[2] * 1e-6 / tpq
    return out


def entropy_bits(counts):
    total = counts.sum()
    if total < 1:
        return math.nan
    p = counts / total
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(-np.nansum(p * np.log2(p)))


def normalized(v):
    s = v.sum()
    return list(v.reshape(-1) / s) if s > 0 else [math.nan] * v.size


def sig_at(piece, tick):
    sig = (0, 4, 4)
    for s in piece["sigs"]:
        if s[0] <= tick:
            sig = s
    return sig


def length_class(duration, tpq, sig):
    unit = sig[1] * tpq * 4.0 / sig[2] / 96.0
    classes = np.array([96, 48, 24, 12, 6, 72, 36, 18, 9, 32, 16, 8]) * unit
    return int(np.abs(classes - duration).argmin())


def features(piece):
    tpq = piece["tpq"]
    notes = piece["notes"]
    pitched = [n for n in notes if n.channel != DRUM]
    f = {}
    f["total_used_pitch"] = [float(len({n.pitch for n in pitched}))]
    # Piano roll weighting: velocity x seconds.
    hist = np.zeros(12)
    for n in pitched:
        s = tick_to_seconds(piece, [n.start, n.start + n.duration])
        hist[n.pitch % 12] += n.velocity * (s[1] - s[0])
    f["total_pitch_class_histogram"] = normalized(hist)
    # pretty_midi get_pitch_class_transition_matrix, summed over tracks, normalize=2.
    tm = np.zeros((12, 12))
    for t in sorted({n.track for n in pitched}):
        tn = [n for n in pitched if n.track == t]
        if len(tn) <= 1:
            continue
        starts = tick_to_seconds(piece, [n.start for n in tn])
        ends = tick_to_seconds(piece, [n.start + n.duration for n in tn])
        nodes = np.array([n.pitch % 12 for n in tn])
        sources, targets = np.where(np.abs(np.subtract.outer(ends, starts)) < 0.05)
        h, _, _ = np.histogram2d(nodes[sources], nodes[targets], bins=np.arange(13))
        tm += h
    f["pitch_class_transition_matrix"] = normalized(tm)
    f["pitch_range"] = [float(max(n.pitch for n in pitched) - min(n.pitch for n in pitched))
                        if pitched else 0.0]
    shifts = []
    for t in sorted({n.track for n in pitched}):
        tn = sorted([n for n in pitched if n.track == t], key=lambda n: n.start)
        shifts += [abs(b.pitch - a.pitch) for a, b in zip(tn, tn[1:])]
    f["avg_pitch_shift"] = [float(np.mean(shifts)) if shifts else math.nan]
    onsets = np.sort(tick_to_seconds(piece, [n.start for n in notes]))
    f["avg_IOI"] = [float(np.mean(np.diff(onsets))) if len(onsets) > 1 else math.nan]
    lh = np.zeros(12)
    lt = np.zeros((12, 12))
    for t in sorted({n.track for n in pitched}):
        tn = sorted([n for n in pitched if n.track == t], key=lambda n: n.start)
        last = None
        for n in tn:
            k = length_class(n.duration, tpq, sig_at(piece, n.start))
            lh[k] += 1
            if last is not None:
                lt[last][k] += 1
            last = k
    f["note_length_hist"] = normalized(lh)
    f["note_length_transition_matrix"] = normalized(lt)
    pc = np.zeros(128)
    for n in pitched:
        pc[n.pitch] += 1
    f["pitch_entropy"] = [entropy_bits(pc)]
    chroma = np.zeros(12)
    for n in pitched:
        chroma[n.pitch % 12] += 1
    f["pitch_class_entropy"] = [entropy_bits(chroma)]
    major = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1], bool)
    minor = np.array([1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0], bool)
    best = math.nan
    if pitched:
        best = 0.0
        for mask in (major, minor):
            for root in range(12):
                scale = np.roll(mask, root)
                best = max(best, sum(scale[n.pitch % 12] for n in pitched) / len(pitched))
    f["scale_consistency"] = [float(best)]
    length = max(n.start + n.duration for n in notes)
    roll = np.zeros((length, 128), bool)
    for n in pitched:
        roll[n.start:n.start + n.duration, n.pitch] = 1
    den = np.count_nonzero(roll.sum(1) > 0)
    f["polyphony"] = [float(roll.sum() / den) if den else math.nan]
    n_beats = length // tpq + 1
    empty = [True] * n_beats
    for n in notes:
        for beat in range(n.start // tpq, (n.start + n.duration) // tpq + 1):
            empty[beat] = False
    f["empty_beat_rate"] = [1 - (n_beats - sum(empty)) / n_beats]
    sig = sig_at(piece, 0)
    mres = int(round(sig[1] * 4 * tpq / sig[2]))
    n_measures = length // mres + 1
    if n_measures < 2:
        f["groove_consistency"] = [math.nan]
    else:
        g = np.zeros((n_measures, mres), bool)
        for n in notes:
            m, pos = divmod(n.start, mres)
            g[m, pos] = 1
        f["groove_consistency"] = [1 - np.count_nonzero(g[:-1] != g[1:]) / (mres * (n_measures - 1))]
    return f


def kde(data):
    """scipy.stats.gaussian_kde(data) for 1-D data: Scott's factor n**(-1/5), ddof=1."""
    data = np.asarray(data, dtype=float)
    n = len(data)
    var = np.cov(data, ddof=1) * n ** (-2.0 / 5.0)
    if n < 2 or not var > 0:
        return None

    def pdf(x):
        x = np.asarray(x, dtype=float)
        d = x[:, None] - data[None, :]
        return np.exp(-0.5 * d * d / var).sum(1) / (n * np.sqrt(2 * np.pi * var))
    return pdf


def kl_dist(a, b):
    pa, pb = kde(a), kde(b)
    if pa is None or pb is None:
        return math.nan
    p = pa(np.linspace(np.min(a), np.max(a), KL_SAMPLES))
    q = pb(np.linspace(np.min(b), np.max(b), KL_SAMPLES))
    p, q = p / p.sum(), q / q.sum()  # scipy.stats.entropy
    return float(np.sum(np.where(p > 0, p * np.log(p / q), 0.0)))


def overlap_area(a, b):
    pa, pb = kde(a), kde(b)
    if pa is None or pb is None:
        return math.nan
    lo, hi = min(np.min(a), np.min(b)), max(np.max(a), np.max(b))
    x = np.linspace(lo, hi, OA_INTERVALS + 1)
    f = np.minimum(pa(x), pb(x))
    w = np.ones(OA_INTERVALS + 1)
    w[1:-1:2] = 4
    w[2:-1:2] = 2
    return float((f * w).sum() * (hi - lo) / OA_INTERVALS / 3)


def compare(gen, ref, name):
    g = [np.array(p[name]) for p in gen if not np.any(np.isnan(p[name]))]
    r = [np.array(p[name]) for p in ref if not np.any(np.isnan(p[name]))]
    intra = [np.linalg.norm(g[i] - g[j]) for i in range(len(g)) for j in range(len(g)) if i != j]
    intra_r = [np.linalg.norm(r[i] - r[j]) for i in range(len(r)) for j in range(len(r)) if i != j]
    inter = [np.linalg.norm(x - y) for x in g for y in r]
    return {"kl": kl_dist(intra, inter), "overlap": overlap_area(intra, inter),
            "intra_generated_mean": float(np.mean(intra)),
            "intra_reference_mean": float(np.mean(intra_r)), "inter_mean": float(np.mean(inter))}


def no_nan(x):
    """JSON has no NaN: undefined values are written as null."""
    if isinstance(x, dict):
        return {k: no_nan(v) for k, v in x.items()}
    if isinstance(x, list):
        return [no_nan(v) for v in x]
    if isinstance(x, float) and math.isnan(x):
        return None
    return x


def main(argv):
    directory, output = argv[1], argv[2]
    gen = [features(read_piece(os.path.join(directory, f))) for f in SET_A]
    ref = [features(read_piece(os.path.join(directory, f))) for f in SET_B]
    out = {"generated": SET_A, "reference": SET_B,
           "features": {f: p for f, p in zip(SET_A + SET_B, gen + ref)},
           "comparison": {name: compare(gen, ref, name) for name in NAMES}}
    with open(output, "w") as fh:
        json.dump(no_nan(out), fh, indent=1, allow_nan=False)
        fh.write("\n")


if __name__ == "__main__":
    main(sys.argv)
