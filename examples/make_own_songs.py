#!/usr/bin/env python3
"""Write a folder of songs as a producer's own would be: GM MIDI files with drums (kick,
snare, hi-hat) on channel 10 and a fingered bass (program 34), composed here from a few
groove families (four on the floor, backbeat rock, funk sixteenths, half-time, shuffle),
each song its own tempo, key, kick pattern and variations every fourth bar. They are the
material of the README's "Your own songs" path (`kickgen features` and a fine-tune).

    .venv/bin/python examples/make_own_songs.py OUT_DIR [--songs 20] [--seed 0]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import mido
import numpy as np

TPB = 480
SIXTEENTH = TPB // 4
KICK, SNARE, HAT = 36, 38, 42
DRUMS, BASS_CHANNEL, BASS_PROGRAM = 9, 1, 33
FAMILIES = {  # kick steps, snare steps, hi-hat step, swing (share of a sixteenth), bpm range
    "four on the floor": ((0, 4, 8, 12), (4, 12), 2, 0.0, (118, 128)),
    "backbeat rock": ((0, 8, 10), (4, 12), 2, 0.0, (96, 140)),
    "funk sixteenths": ((0, 3, 6, 10), (4, 12), 1, 0.0, (92, 108)),
    "half-time": ((0, 7, 10), (8,), 2, 0.0, (70, 86)),
    "shuffle": ((0, 6, 10), (4, 12), 2, 0.33, (100, 124)),
}


def compose(rng: np.random.Generator, family: str, *, bars: int) -> mido.MidiFile:
    """One song of `family`: its grooves varied at random, the bass following the kick."""
    kick_steps, snare_steps, hat_every, swing, (low, high) = FAMILIES[family]
    kick = set(kick_steps) | {int(s) for s in rng.choice(16, size=rng.integers(0, 3), replace=False) if s % 2 == 0}
    root = int(rng.integers(36, 48))
    roots = [root + int(i) for i in rng.choice((0, 3, 5, 7, 8, 10), size=4)]
    messages = []

    def note(step: int, bar: int, channel: int, pitch: int, velocity: int, length: int) -> None:
        tick = (bar * 16 + step) * SIXTEENTH + (round(swing * SIXTEENTH) if step % 2 else 0)
        messages.append((tick, mido.Message("note_on", channel=channel, note=pitch, velocity=velocity)))
        messages.append((tick + length, mido.Message("note_off", channel=channel, note=pitch, velocity=0)))

    for bar in range(bars):
        varied = bar % 4 == 3
        bar_kick = kick | ({14} if varied else set())
        for step in range(16):
            if step in bar_kick:
                note(step, bar, DRUMS, KICK, int(rng.integers(100, 124)), SIXTEENTH // 2)
                if rng.random() < 0.8:
                    note(step, bar, BASS_CHANNEL, roots[bar % 4], int(rng.integers(80, 110)), SIXTEENTH * 2)
            elif rng.random() < 0.12:
                note(step, bar, BASS_CHANNEL, roots[bar % 4] + 12, int(rng.integers(70, 95)), SIXTEENTH)
            if step in snare_steps or (varied and step >= 13):
                note(step, bar, DRUMS, SNARE, int(rng.integers(96, 120)), SIXTEENTH // 2)
            elif rng.random() < 0.05:
                note(step, bar, DRUMS, SNARE, 40, SIXTEENTH // 2)  # a ghost note
            if step % hat_every == 0:
                note(step, bar, DRUMS, HAT, 60 + 20 * (step % 4 == 0), SIXTEENTH // 2)
    track = mido.MidiTrack([
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(float(rng.integers(low, high + 1))), time=0),
        mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0),
        mido.Message("program_change", channel=BASS_CHANNEL, program=BASS_PROGRAM, time=0),
    ])
    now = 0
    for tick, message in sorted(messages, key=lambda m: (m[0], m[1].type == "note_on")):
        track.append(message.copy(time=tick - now))
        now = tick
    song = mido.MidiFile(ticks_per_beat=TPB)
    song.tracks.append(track)
    return song


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--songs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    names = list(FAMILIES)
    for i in range(args.songs):
        family = names[i % len(names)]
        path = args.out / f"{i + 1:02d} {family}.mid"
        compose(rng, family, bars=int(rng.integers(24, 41))).save(path)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
