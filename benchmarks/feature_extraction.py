#!/usr/bin/env python3
"""Feature-extraction cost per minute of music, audio domain (with madmom's share) and
MIDI domain.

Builds one synthetic 120 bpm song in a temporary directory, --seconds long: kick
(low decaying sine) on beats 1 and 3, snare (decaying noise bursts) on beats 2 and 4,
bass (decaying sine tones) on eighths. It is written as three mono WAV stems
(pedalboard) and as a standard MIDI file (mido): drums on channel 10 (index 9), kick
note 36 and snare note 38; bass on channel 1 (index 0) with program 33, in a track
named "Bass"; a 120 bpm tempo meta event.

Timed with time.perf_counter: one warm-up call of each part, then --repeats calls each
(medians):
  (a) signals_from_audio(snare=, bass=, kick=) on the WAV stems, file reading included;
  (b) madmom alone: downbeat_activations on the mono sum of the stems + track_downbeats;
  (c) complex_domain_odf on one (already loaded) stem;
  (d) signals_from_midi on the MIDI file.
The warm-up madmom call comes first and also loads madmom and its networks; it is
reported on its own as madmom_first_call_s.

Prints one JSON object to stdout; progress goes to stderr. Run from the repository root:

    .venv/bin/python benchmarks/feature_extraction.py [--seconds 60] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import mido
import numpy as np
import pedalboard.io

from kickgen.engine.signals.audio import (
    complex_domain_odf,
    load_audio,
    signals_from_audio,
    track_beats,
)
from kickgen.engine.signals.midi import signals_from_midi

SAMPLE_RATE = 44100
BPM = 120.0
BEAT_S = 60.0 / BPM
TICKS_PER_BEAT = 480
KICK_NOTE, SNARE_NOTE = 36, 38
BASS_LINE = (33, 33, 45, 33, 40, 40, 43, 38)  # MIDI notes of one bar's eighths (A1 ... D2)
DRUM_CHANNEL, BASS_CHANNEL, BASS_PROGRAM = 9, 0, 33
NOTE_S = 0.2  # length of every note, audio and MIDI


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the song")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls of each part")
    return parser.parse_args()


def song_notes(seconds: float) -> dict[str, list[tuple[float, int]]]:
    """(onset s, MIDI note) per role: kick on beats 1/3, snare on 2/4, bass on eighths."""
    beats = np.arange(0.0, seconds - NOTE_S, BEAT_S)
    eighths = np.arange(0.0, seconds - NOTE_S, BEAT_S / 2)
    return {
        "kick": [(t, KICK_NOTE) for i, t in enumerate(beats) if i % 2 == 0],
        "snare": [(t, SNARE_NOTE) for i, t in enumerate(beats) if i % 2 == 1],
        "bass": [(t, BASS_LINE[i % len(BASS_LINE)]) for i, t in enumerate(eighths)],
    }


def note_hz(note: int) -> float:
    return 440.0 * 2.0 ** ((note - 69) / 12)


def hit(role: str, note: int, rng: np.random.Generator) -> np.ndarray:
    """One decaying note of `role`, NOTE_S long; (n,) float32."""
    n = np.arange(int(NOTE_S * SAMPLE_RATE))
    if role == "snare":
        body, decay_s = rng.standard_normal(len(n)), 0.04
    elif role == "kick":
        body, decay_s = np.sin(2 * np.pi * 50.0 * n / SAMPLE_RATE), 0.08
    else:
        body, decay_s = np.sin(2 * np.pi * note_hz(note) * n / SAMPLE_RATE), 0.1
    return (0.3 * body * np.exp(-n / (decay_s * SAMPLE_RATE))).astype(np.float32)


def render_stem(role: str, notes: list[tuple[float, int]], seconds: float, seed: int) -> np.ndarray:
    """The role's notes mixed into a silent stem; (n_samples,) float32."""
    rng = np.random.default_rng(seed)
    audio = np.zeros(int(seconds * SAMPLE_RATE), np.float32)
    for onset_s, note in notes:
        piece = hit(role, note, rng)
        start = round(onset_s * SAMPLE_RATE)
        audio[start : start + len(piece)] += piece[: len(audio) - start]
    return audio


def write_wav(path: Path, audio: np.ndarray) -> Path:
    with pedalboard.io.AudioFile(str(path), "w", samplerate=SAMPLE_RATE, num_channels=1) as f:
        f.write(audio[None, :])
    return path


def midi_track(name: str, events: list[tuple[int, mido.Message]]) -> mido.MidiTrack:
    """A named track from (absolute tick, message) events, note-offs first at equal ticks."""
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name, time=0)])
    tick = 0
    for at, msg in sorted(events, key=lambda e: (e[0], e[1].type != "note_off")):
        track.append(msg.copy(time=at - tick))
        tick = at
    return track


def note_events(notes: list[tuple[float, int]], channel: int) -> list[tuple[int, mido.Message]]:
    ticks_per_s = TICKS_PER_BEAT / BEAT_S
    events = []
    for onset_s, note in notes:
        on = round(onset_s * ticks_per_s)
        events.append((on, mido.Message("note_on", channel=channel, note=note, velocity=100)))
        off = on + round(NOTE_S * ticks_per_s)
        events.append((off, mido.Message("note_off", channel=channel, note=note, velocity=0)))
    return events


def write_midi(path: Path, notes: dict[str, list[tuple[float, int]]]) -> Path:
    """Type-1 file: a tempo track, a drum track (channel 10) and a "Bass" track."""
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(
        mido.MidiTrack(
            [
                mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(BPM), time=0),
                mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0),
            ]
        )
    )
    drums = note_events(notes["kick"] + notes["snare"], DRUM_CHANNEL)
    midi.tracks.append(midi_track("Drums", drums))
    program = mido.Message("program_change", channel=BASS_CHANNEL, program=BASS_PROGRAM)
    midi.tracks.append(
        midi_track("Bass", [(0, program), *note_events(notes["bass"], BASS_CHANNEL)])
    )
    midi.save(str(path))
    return path


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def madmom_beats(mix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return track_beats(mix)[1:]


def measure(parts: dict[str, Callable[[], object]], repeats: int) -> tuple[dict, dict]:
    """One warm-up call of each part in order, then `repeats` timed calls of each.

    Returns ({name: (seconds, result) of the warm-up call}, {name: median seconds}).
    """
    warm = {}
    for name, fn in parts.items():
        warm[name] = timed(fn)
        log(f"{name}: warm-up {warm[name][0]:.3f} s")
    medians = {}
    for name, fn in parts.items():
        seconds = [timed(fn)[0] for _ in range(repeats)]
        log(f"{name}: " + " ".join(f"{s:.3f}" for s in seconds) + " s")
        medians[name] = statistics.median(seconds)
    return warm, medians


def main() -> None:
    args = parse_args()
    notes = song_notes(args.seconds)
    with tempfile.TemporaryDirectory(prefix="kickgen-bench-") as tmp:
        log(f"rendering a {args.seconds:g} s song in {tmp}")
        stems = {
            role: write_wav(
                Path(tmp) / f"{role}.wav", render_stem(role, role_notes, args.seconds, seed)
            )
            for seed, (role, role_notes) in enumerate(notes.items())
        }
        midi_path = write_midi(Path(tmp) / "song.mid", notes)
        audio = {role: load_audio(path) for role, path in stems.items()}
        mix = sum(audio.values())
        parts = {
            "madmom": lambda: madmom_beats(mix),  # first, so that its warm-up loads the networks
            "audio": lambda: signals_from_audio(
                snare=stems["snare"], bass=stems["bass"], kick=stems["kick"]
            ),
            "odf": lambda: complex_domain_odf(audio["snare"]),
            "midi": lambda: signals_from_midi(midi_path),
        }
        warm, medians = measure(parts, args.repeats)
        audio_min = len(mix) / SAMPLE_RATE / 60
        midi_min = mido.MidiFile(str(midi_path)).length / 60

    beat_times_s = warm["audio"][1].beat_times_s
    print(
        json.dumps(
            {
                "benchmark": "feature_extraction",
                "repeats": args.repeats,
                "audio_duration_s": audio_min * 60,
                "midi_duration_s": midi_min * 60,
                "audio_s_per_min_audio": medians["audio"] / audio_min,
                "madmom_s_per_min_audio": medians["madmom"] / audio_min,
                "madmom_share": medians["madmom"] / medians["audio"],
                "odf_s_per_stem_min": medians["odf"] / audio_min,
                "midi_s_per_min": medians["midi"] / midi_min,
                "madmom_first_call_s": warm["madmom"][0],
                "audio_beats_tracked": len(beat_times_s),
                "audio_median_beat_interval_s": float(np.median(np.diff(beat_times_s))),
                "load_avg_1m_at_end": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
