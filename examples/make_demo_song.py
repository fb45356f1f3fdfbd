#!/usr/bin/env python3
"""Write kickgen's example song: 16 bars of funk-pop at 100 bpm in 4/4, composed here.

examples/demo-song/song.mid holds four tracks: drums (kick, snare with ghost notes and
fills, hi-hat) on channel 10 and a syncopated fingered bass (GM program 34) over
Am-F-C-G. snare.flac and bass.flac are those parts rendered with FluidSynth and the
Fluid R3 GM soundfont (MIT), mono 44.1 kHz, of equal length. Run from the repository root:

    .venv/bin/python examples/make_demo_song.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import mido

from kickgen.engine.signals.fluidsynth import render_stem
from kickgen.engine.signals.frames import SAMPLE_RATE
from kickgen.engine.signals.parts import extract_parts, read_parts_midi, to_track, write_part

OUT = Path(__file__).resolve().parent / "demo-song"
TPB, BPM, BARS = 480, 100, 16
SIXTEENTH = TPB // 4
KICK, SNARE, HAT = 36, 38, 42
DRUMS, BASS_CHANNEL, BASS_PROGRAM = 9, 1, 33
CHORD_ROOTS = (45, 41, 48, 43)  # A2, F2, C3, G2: two bars each, twice
KICK_STEPS = (0, 6, 8, 11)  # sixteenths of the bar: 1, the "and" of 2, 3, the "a" of 3
GHOST_STEPS = (7, 14)
BASS_STEPS = ((0, 0, 3), (3, 12, 1), (6, 0, 2), (8, 0, 2), (10, 7, 1), (11, 12, 1), (14, 10, 2))  # step, interval, length


def note(messages: list, tick: int, channel: int, pitch: int, velocity: int, length: int) -> None:
    messages.append((tick, mido.Message("note_on", channel=channel, note=pitch, velocity=velocity)))
    messages.append((tick + length, mido.Message("note_off", channel=channel, note=pitch, velocity=0)))


def compose(bars: int = BARS) -> mido.MidiFile:
    """The song as a MIDI file, `bars` long (the fill comes every eighth bar)."""
    drums, bass = [], [(0, mido.Message("program_change", channel=BASS_CHANNEL, program=BASS_PROGRAM))]
    for bar in range(bars):
        start = bar * 16 * SIXTEENTH
        fill = bar % 8 == 7
        for step in range(16):
            tick = start + step * SIXTEENTH
            if step % 2 == 0:
                note(drums, tick, DRUMS, HAT, 70 if step % 4 else 90, SIXTEENTH)
            if step in KICK_STEPS and not (fill and step > 8):
                note(drums, tick, DRUMS, KICK, 110 if step in (0, 8) else 92, SIXTEENTH)
            if step in (4, 12):
                note(drums, tick, DRUMS, SNARE, 112, SIXTEENTH)
            elif step in GHOST_STEPS and not fill:
                note(drums, tick, DRUMS, SNARE, 38, SIXTEENTH)
            elif fill and step >= 13:
                note(drums, tick, DRUMS, SNARE, 80 + 8 * (step - 13), SIXTEENTH)
        root = CHORD_ROOTS[(bar // 2) % len(CHORD_ROOTS)]
        for step, interval, length in BASS_STEPS:
            note(bass, start + step * SIXTEENTH, BASS_CHANNEL, root + interval, 100 if step == 0 else 88,
                 length * SIXTEENTH - 20)
    meta = [(0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(BPM))),
            (0, mido.MetaMessage("time_signature", numerator=4, denominator=4))]
    midi = mido.MidiFile(type=1, ticks_per_beat=TPB)
    for name, messages in (("Tempo", meta), ("Drums", drums), ("Bass", bass)):
        midi.tracks.append(to_track(name, sorted(messages, key=lambda m: (m[0], m[1].type == "note_on"))))
    return midi


def write_song(out: Path, *, bars: int = BARS) -> None:
    """song.mid, snare.flac and bass.flac of a `bars`-long version into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    compose(bars).save(out / "song.mid")
    with tempfile.TemporaryDirectory() as tmp:
        parts = Path(tmp) / "parts.mid"
        extract_parts(out / "song.mid", parts)
        n_samples = round((read_parts_midi(parts).duration_s + 1.0) * SAMPLE_RATE)
        for part in ("Snare", "Bass"):
            write_part(parts, part, Path(tmp) / f"{part}.mid")
            render_stem(Path(tmp) / f"{part}.mid", out / f"{part.lower()}.flac", n_samples=n_samples)


def main() -> None:
    write_song(OUT)
    print(f"wrote {OUT}/song.mid, snare.flac, bass.flac")


if __name__ == "__main__":
    main()
