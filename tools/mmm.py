#!/usr/bin/python3
"""MMM (MultiTrack Music Machine) tokens for Standard MIDI Files: the Python reference encoder.

The encoding is specified in metrics/notes/MMM.md; the C++ encoder in metrics/notes/mmm.cpp must
produce byte-identical samples (tests/unit/notes checks every JS Fake Chorale).

Library use (e.g. a training script that puts tools/ on sys.path):

    import mmm
    samples = mmm.encode_file("piece.mid")    # list[str], one 4-bar sample each
    notes = mmm.decode(samples[0])            # list[mmm.Note], steps as ticks (tpq 4)
    vocab = mmm.vocabulary()                  # every token the encoder can emit

Command line (run with /usr/bin/python3, which has mido):

    /usr/bin/python3 tools/mmm.py [--output OUT.txt] FILE_OR_DIR... > out.txt

prints `<relative path>\\t<sample>` per sample, sorted by path (a directory argument is searched
recursively for *.mid / *.midi and paths are relative to it; a file argument prints its name as
given). Files that cannot be read are reported on stderr and make the exit status 1.
"""

import collections
import os
import sys

import mido

STEPS_PER_QUARTER = 4
STEPS_PER_BAR = 16
BARS_PER_SAMPLE = 4
DECODE_VELOCITY = 80

Note = collections.namedtuple("Note", "pitch velocity start duration track program channel")


class MidiTrackNotes(collections.namedtuple("MidiTrackNotes", "index program notes")):
    """The notes of one MTrk chunk; program = its first program_change (0 if none)."""


def read_midi_notes(path):
    """Returns (ticks_per_quarter, [MidiTrackNotes]) for every track of the file, in file order.

    Notes are paired per track: note_on velocity > 0 opens (channel, pitch); note_off or
    note_on velocity 0 closes the earliest open one (FIFO); unmatched offs are ignored; notes
    still open close at the track's last event tick. A note's program is the last
    program_change on its channel in the same track before its note_on (0 if none). Notes are
    listed in note_on order.
    """
    mid = mido.MidiFile(path)
    if mid.type == 2:
        raise ValueError("{}: MIDI format 2 (independent sequences) is not supported".format(path))
    tpq = mid.ticks_per_beat
    if tpq <= 0:
        raise ValueError("{}: SMPTE time division is not supported".format(path))
    tracks = []
    for index, track in enumerate(mid.tracks):
        tick = 0
        first_program = None
        channel_program = [0] * 16
        open_notes = collections.defaultdict(collections.deque)
        notes = []  # [pitch, velocity, start, end, channel, program]; end None while open
        for msg in track:
            tick += msg.time
            if msg.type == "program_change":
                if first_program is None:
                    first_program = msg.program
                channel_program[msg.channel] = msg.program
            elif msg.type == "note_on" and msg.velocity > 0:
                open_notes[(msg.channel, msg.note)].append(len(notes))
                notes.append([msg.note, msg.velocity, tick, None, msg.channel,
                              channel_program[msg.channel]])
            elif msg.type in ("note_on", "note_off"):
                queue = open_notes.get((msg.channel, msg.note))
                if queue:
                    notes[queue.popleft()][3] = tick
        result = []
        for pitch, velocity, start, end, channel, program in notes:
            if end is None:
                end = tick
            result.append(Note(pitch, velocity, start, end - start, index, program, channel))
        tracks.append(MidiTrackNotes(index, first_program or 0, result))
    return tpq, tracks


def step(tick, tpq):
    """Nearest sixteenth step, halves rounded up, integers only: floor(4*tick/tpq + 1/2)."""
    return (8 * tick + tpq) // (2 * tpq)


def _bar_events(pieces, bar):
    """Sorted (time, kind, pitch) events of one bar; kind 0 = NOTE_OFF, 1 = NOTE_ON."""
    lo = bar * STEPS_PER_BAR
    hi = lo + STEPS_PER_BAR
    events = []
    for pitch, start, end in pieces:
        if start < hi and end > lo:
            events.append((max(start, lo) - lo, 1, pitch))
            events.append((min(end, hi) - lo, 0, pitch))
    events.sort()
    return events


def _bar_tokens(pieces, bar):
    tokens = ["BAR_START"]
    time = 0
    for t, kind, pitch in _bar_events(pieces, bar):
        if t > time:
            tokens.append("TIME_DELTA={}".format(t - time))
            time = t
        tokens.append("{}={}".format("NOTE_ON" if kind else "NOTE_OFF", pitch))
    tokens.append("BAR_END")
    return tokens


def encode_tracks(tpq, tracks):
    """MMM samples (list of token strings) for ([MidiTrackNotes]) read with tick resolution tpq."""
    quantised = []  # (program, [(pitch, start_step, end_step)])
    for track in tracks:
        if not track.notes:
            continue
        pieces = []
        for note in track.notes:
            start = step(note.start, tpq)
            end = step(note.start + note.duration, tpq)
            if end <= start:
                end = start + 1
            pieces.append((note.pitch, start, end))
        quantised.append((track.program, pieces))
    max_end = max((end for _, pieces in quantised for _, _, end in pieces), default=0)
    bars = (max_end + STEPS_PER_BAR - 1) // STEPS_PER_BAR
    samples = []
    for first in range(0, bars, BARS_PER_SAMPLE):
        tokens = ["PIECE_START"]
        for program, pieces in quantised:
            tokens += ["TRACK_START", "INST={}".format(program)]
            for bar in range(first, first + BARS_PER_SAMPLE):
                tokens += _bar_tokens(pieces, bar)
            tokens.append("TRACK_END")
        samples.append(" ".join(tokens))
    return samples


def encode_file(path):
    """MMM samples of a Standard MIDI File: one string of space-separated tokens per 4 bars."""
    tpq, tracks = read_midi_notes(path)
    return encode_tracks(tpq, tracks)


def vocabulary():
    """Every token the encoder can emit, in a fixed order."""
    vocab = ["PIECE_START", "TRACK_START", "TRACK_END", "BAR_START", "BAR_END"]
    vocab += ["INST={}".format(i) for i in range(128)]
    vocab += ["NOTE_ON={}".format(i) for i in range(128)]
    vocab += ["NOTE_OFF={}".format(i) for i in range(128)]
    vocab += ["TIME_DELTA={}".format(i) for i in range(1, STEPS_PER_BAR + 1)]
    return vocab


def _int_value(token, prefix, lo, hi):
    """The integer after `prefix` when token is prefix + decimal in [lo, hi], else None."""
    if not token.startswith(prefix):
        return None
    text = token[len(prefix):]
    if not text.isdigit() or not text.isascii() or len(text) > 3:
        return None
    value = int(text)
    return value if lo <= value <= hi else None


def decode(tokens, ticks_per_quarter=STEPS_PER_QUARTER, diagnostics=None, first_bar=0):
    """Notes of one MMM sample (string or list of tokens); never raises on malformed input.

    Steps become ticks at `ticks_per_quarter` (4: one tick per step); bar k of a track starts
    at step 16 * (first_bar + k), so sample j of a piece decodes in place with first_bar = 4*j.

    Problems are appended to `diagnostics` (a list) as "token N: what" when one is given.
    Notes are sorted by (track, start, pitch, duration); track = index of TRACK_START.
    """
    if isinstance(tokens, str):
        tokens = tokens.split()
    diags = diagnostics if diagnostics is not None else []
    notes = []
    state = {"track": -1, "in_track": False, "program": 0, "bar": 0, "in_bar": False,
             "time": 0}
    open_notes = collections.defaultdict(collections.deque)

    def report(i, what):
        diags.append("token {}: {}".format(i, what))

    def close_bar(i):
        bar_end = (first_bar + state["bar"] + 1) * STEPS_PER_BAR
        for pitch in sorted(open_notes):
            for start in open_notes[pitch]:
                add_note(i, pitch, start, bar_end)
        open_notes.clear()
        state["in_bar"] = False
        state["bar"] += 1

    def add_note(i, pitch, start, end):
        if end <= start:
            report(i, "zero-length note {} dropped".format(pitch))
            return
        s = start * ticks_per_quarter // STEPS_PER_QUARTER
        e = end * ticks_per_quarter // STEPS_PER_QUARTER
        notes.append(Note(pitch, DECODE_VELOCITY, s, e - s, state["track"], state["program"], 0))

    for i, token in enumerate(tokens):
        if i == 0 and token != "PIECE_START":
            report(0, "missing PIECE_START")
        if token == "PIECE_START":
            if i != 0:
                report(i, "unexpected PIECE_START")
        elif token == "TRACK_START":
            if state["in_bar"]:
                report(i, "missing BAR_END")
                close_bar(i)
            if state["in_track"]:
                report(i, "missing TRACK_END")
            state.update(track=state["track"] + 1, in_track=True, program=0, bar=0, time=0)
        elif token == "TRACK_END":
            if state["in_bar"]:
                report(i, "missing BAR_END")
                close_bar(i)
            if not state["in_track"]:
                report(i, "TRACK_END outside a track")
            state["in_track"] = False
        elif token == "BAR_START":
            if not state["in_track"]:
                report(i, "BAR_START outside a track")
                continue
            if state["in_bar"]:
                report(i, "missing BAR_END")
                close_bar(i)
            state["in_bar"] = True
            state["time"] = (first_bar + state["bar"]) * STEPS_PER_BAR
        elif token == "BAR_END":
            if not state["in_bar"]:
                report(i, "BAR_END without BAR_START")
                continue
            close_bar(i)
        elif _int_value(token, "INST=", 0, 127) is not None:
            if not state["in_track"]:
                report(i, "INST outside a track")
                continue
            state["program"] = _int_value(token, "INST=", 0, 127)
        elif _int_value(token, "TIME_DELTA=", 1, STEPS_PER_BAR) is not None:
            if not state["in_bar"]:
                report(i, "TIME_DELTA outside a bar")
                continue
            bar_end = (first_bar + state["bar"] + 1) * STEPS_PER_BAR
            state["time"] += _int_value(token, "TIME_DELTA=", 1, STEPS_PER_BAR)
            if state["time"] > bar_end:
                report(i, "TIME_DELTA beyond the bar")
                state["time"] = bar_end
        elif _int_value(token, "NOTE_ON=", 0, 127) is not None:
            if not state["in_bar"]:
                report(i, "NOTE_ON outside a bar")
                continue
            if state["time"] == (first_bar + state["bar"] + 1) * STEPS_PER_BAR:
                report(i, "NOTE_ON at the bar's end")
                continue
            open_notes[_int_value(token, "NOTE_ON=", 0, 127)].append(state["time"])
        elif _int_value(token, "NOTE_OFF=", 0, 127) is not None:
            if not state["in_bar"]:
                report(i, "NOTE_OFF outside a bar")
                continue
            pitch = _int_value(token, "NOTE_OFF=", 0, 127)
            if not open_notes.get(pitch):
                report(i, "NOTE_OFF={} with no open note".format(pitch))
                continue
            add_note(i, pitch, open_notes[pitch].popleft(), state["time"])
            if not open_notes[pitch]:
                del open_notes[pitch]
        else:
            report(i, "unknown token '{}'".format(token))
    end = len(tokens)
    if state["in_bar"]:
        report(end, "missing BAR_END")
        close_bar(end)
    if state["in_track"]:
        report(end, "missing TRACK_END")
    notes.sort(key=lambda n: (n.track, n.start, n.pitch, n.duration))
    return notes


def _midi_files(arg):
    """(relative name, path) pairs for a file or a directory argument."""
    if os.path.isdir(arg):
        found = []
        for root, _, files in os.walk(arg):
            for name in files:
                if name.lower().endswith((".mid", ".midi")):
                    path = os.path.join(root, name)
                    found.append((os.path.relpath(path, arg), path))
        return found
    return [(arg, arg)]


def main(argv):
    args = argv[1:]
    output = None
    if len(args) >= 2 and args[0] == "--output":
        output, args = args[1], args[2:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__.strip().split("\n\n")[0], file=sys.stderr)
        print("usage: /usr/bin/python3 tools/mmm.py [--output OUT.txt] FILE_OR_DIR...",
              file=sys.stderr)
        return 2
    files = sorted(pair for arg in args for pair in _midi_files(arg))
    status = 0
    out = open(output, "w", encoding="utf-8") if output else sys.stdout
    for name, path in files:
        try:
            samples = encode_file(path)
        except (OSError, EOFError, ValueError, KeyError) as error:
            print("{}: {}".format(path, error), file=sys.stderr)
            status = 1
            continue
        for sample in samples:
            out.write("{}\t{}\n".format(name, sample))
    if output:
        out.close()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
