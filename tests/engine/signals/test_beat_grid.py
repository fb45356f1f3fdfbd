"""A beat grid the producer gives: a steady tempo and meter, or a MIDI file's tempo map,
drawn as the MIDI domain draws it, and audio stems that use it instead of madmom."""

import numpy as np
import pedalboard.io
import pytest

from kickgen.engine.signals import audio
from kickgen.engine.signals.audio import signals_from_audio
from kickgen.engine.signals.beat_grid import (
    BeatGrid,
    GridSpec,
    grid_from_midi,
    steady_grid,
    with_beat_grid,
)
from kickgen.engine.signals.frames import CONTEXT_CHANNELS
from kickgen.engine.signals.midi import signals_from_midi


def test_a_steady_grid_counts_bars_from_the_first_downbeat_and_keeps_a_pickup():
    grid = steady_grid(bpm=120, meter=(4, 4), first_downbeat_s=0.5, duration_s=5.0)
    np.testing.assert_allclose(grid.downbeat_times_s, [0.5, 2.5, 4.5])
    np.testing.assert_allclose(grid.beat_times_s, np.arange(0.0, 5.01, 0.5))


def test_a_beat_is_one_denominator_note():
    grid = steady_grid(bpm=120, meter=(6, 8), first_downbeat_s=0.0, duration_s=3.0)
    np.testing.assert_allclose(grid.downbeat_times_s, [0.0, 1.5, 3.0])
    np.testing.assert_allclose(np.diff(grid.beat_times_s), 0.25)


def test_a_midi_files_grid_is_the_one_its_song_is_read_with_and_runs_on(example_song):
    signals = signals_from_midi(example_song / "song.mid")
    duration_s = signals.n_frames / signals.fps + 10
    grid = grid_from_midi(example_song / "song.mid", duration_s=duration_s)
    n = len(signals.beat_times_s)
    np.testing.assert_allclose(grid.beat_times_s[:n], signals.beat_times_s)
    np.testing.assert_allclose(grid.downbeat_times_s[: len(signals.downbeat_times_s)], signals.downbeat_times_s)
    assert duration_s - 1.0 < grid.beat_times_s[-1] <= duration_s  # 100 bpm: a beat every 0.6 s


def test_a_songs_own_grid_redrawn_changes_nothing(example_song):
    signals = signals_from_midi(example_song / "song.mid")
    redrawn = with_beat_grid(signals, BeatGrid(signals.beat_times_s, signals.downbeat_times_s))
    np.testing.assert_array_equal(redrawn.context, signals.context)
    assert redrawn.silent_channels == signals.silent_channels


def test_stems_with_a_known_grid_skip_the_beat_tracker(tmp_path, monkeypatch):
    noise = np.random.default_rng(0).uniform(-0.3, 0.3, (2, 44100 * 8)).astype(np.float32)
    for role, stem in zip(("snare", "bass"), noise):
        with pedalboard.io.AudioFile(str(tmp_path / f"{role}.wav"), "w", 44100, 1) as f:
            f.write(stem[None])

    def refuse(_):
        raise AssertionError("madmom ran although the grid was given")

    monkeypatch.setattr(audio, "track_beats", refuse)
    signals = signals_from_audio(snare=tmp_path / "snare.wav", bass=tmp_path / "bass.wav",
                                 grid=GridSpec(bpm=120, meter=(3, 4), first_downbeat_s=0.25))
    np.testing.assert_allclose(signals.downbeat_times_s, np.arange(0.25, 8.0, 1.5))
    downbeat = signals.context[CONTEXT_CHANNELS.index("downbeat")]
    rises = np.flatnonzero(np.diff(downbeat) > downbeat.max() / 2) + 1
    np.testing.assert_array_equal(rises, np.round(signals.downbeat_times_s * signals.fps).astype(int))


def test_an_odd_meter_keeps_even_beats_and_every_downbeat_on_one():
    grid = GridSpec(bpm=97.5, meter=(7, 8), first_downbeat_s=1.3).grid(30.0)
    np.testing.assert_allclose(np.diff(grid.beat_times_s), 60 / 97.5 / 2)
    np.testing.assert_allclose(np.diff(grid.downbeat_times_s), 7 * 60 / 97.5 / 2)
    assert np.isin(np.round(grid.downbeat_times_s, 9), np.round(grid.beat_times_s, 9)).all()
    assert grid.downbeat_times_s[0] == pytest.approx(1.3) and grid.beat_times_s[0] < 0.31
