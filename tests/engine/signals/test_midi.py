"""MIDI domain on files written by the test: roles, tempo changes, 3/4 and 4/4."""

import re

import mido
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from song_bytes import GROOVE, GROOVE_RUNNING_STATUS, smf

from kickgen.engine.errors import InputFileError, MissingRoleError
from kickgen.engine.signals.frames import CONTEXT_CHANNELS, FPS
from kickgen.engine.signals.midi import RoleMap, midi_song, read_midi, signals_from_midi

TPB = 480


def write_song(path, *, tempos=((0, 120),), signatures=((0, 4, 4),), drums=(), bass=(), bass_program=33,
               bass_name="Bass", end_tick=None):
    """drums/bass: (tick, note, velocity). Tempos (tick, bpm); signatures (tick, num, den)."""
    midi = mido.MidiFile(ticks_per_beat=TPB)
    meta = [(t, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))) for t, bpm in tempos]
    meta += [(t, mido.MetaMessage("time_signature", numerator=n, denominator=d)) for t, n, d in signatures]
    if end_tick is not None:
        meta.append((end_tick, mido.MetaMessage("marker", text="end")))
    tracks = [("Conductor", meta)]
    tracks.append(("Drums", [(t, mido.Message("note_on", channel=9, note=n, velocity=v)) for t, n, v in drums]
                   + [(t + 60, mido.Message("note_off", channel=9, note=n)) for t, n, _ in drums]))
    bass_events = [(0, mido.Message("program_change", channel=1, program=bass_program))]
    bass_events += [(t, mido.Message("note_on", channel=1, note=n, velocity=v)) for t, n, v in bass]
    bass_events += [(t + 120, mido.Message("note_off", channel=1, note=n)) for t, n, _ in bass]
    tracks.append((bass_name, bass_events))
    for name, events in tracks:
        track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
        now = 0
        for tick, msg in sorted(events, key=lambda e: e[0]):
            track.append(msg.copy(time=tick - now))
            now = tick
        midi.tracks.append(track)
    midi.save(path)
    return path


def peak_frames(curve):
    c = np.asarray(curve)
    return [i for i in range(1, len(c) - 1) if c[i] > c[i - 1] and c[i] >= c[i + 1] and c[i] > c.min() + 0.5]


def test_roles_and_onset_frames_at_constant_tempo(tmp_path):
    drums = [(0, 36, 100), (TPB, 38, 90), (2 * TPB, 36, 100), (3 * TPB, 40, 80)]
    bass = [(0, 40, 100), (TPB // 2, 43, 70), (2 * TPB, 40, 100)]
    song = signals_from_midi(write_song(tmp_path / "a.mid", drums=drums, bass=bass, end_tick=8 * TPB))
    assert song.context.shape[0] == len(CONTEXT_CHANNELS) and song.kick.shape == (1, song.n_frames)
    assert song.n_frames == int(np.ceil(4.0 * FPS)) + 1  # 8 beats at 120 bpm
    assert peak_frames(song.context[0]) == [round(0.5 * FPS), round(1.5 * FPS)]
    assert peak_frames(song.kick[0]) == [round(1.0 * FPS)]  # frame 0 has no left neighbour
    assert round(0.25 * FPS) in peak_frames(song.context[1]) and round(1.0 * FPS) in peak_frames(song.context[1])
    assert np.allclose(song.beat_times_s, np.arange(9) * 0.5)
    assert np.allclose(song.downbeat_times_s, [0.0, 2.0, 4.0])
    for row in song.context:
        assert abs(row.mean()) < 1e-5 and abs(row.std() - 1) < 1e-4


def test_tempo_change_moves_onsets_and_beats(tmp_path):
    # 120 bpm for two beats (1 s), then 60 bpm: beat 3 at 1 + 1 s = 2 s
    bass = [(0, 40, 100), (3 * TPB, 40, 100)]
    path = write_song(tmp_path / "t.mid", tempos=((0, 120), (2 * TPB, 60)), bass=bass, end_tick=8 * TPB)
    song = signals_from_midi(path)
    assert np.allclose(song.beat_times_s[:5], [0.0, 0.5, 1.0, 2.0, 3.0])
    assert round(2.0 * FPS) in peak_frames(song.context[1])
    assert song.kick is None and song.silent_channels == ("snare",)


def test_three_four_then_four_four(tmp_path):
    # two bars of 3/4 (6 beats) then 4/4, at 120 bpm
    path = write_song(
        tmp_path / "m.mid", signatures=((0, 3, 4), (6 * TPB, 4, 4)), bass=[(0, 40, 100)], end_tick=14 * TPB
    )
    song = signals_from_midi(path)
    assert np.allclose(song.downbeat_times_s, [0.0, 1.5, 3.0, 5.0, 7.0])
    assert np.allclose(song.beat_times_s, np.arange(15) * 0.5)
    downbeat_peaks = peak_frames(song.context[3])
    assert downbeat_peaks == [round(t * FPS) for t in (1.5, 3.0, 5.0)]  # frame 0 has no left neighbour
    # the beat channel holds the beats that are not downbeats
    assert round(0.5 * FPS) in peak_frames(song.context[2]) and round(1.5 * FPS) not in peak_frames(song.context[2])


def test_bass_by_track_name_and_overrides(tmp_path):
    # program 0 (piano) on a track named "Synth Bass" is bass by its name
    path = write_song(tmp_path / "n.mid", bass=[(0, 40, 100)], bass_program=0, bass_name="Synth Bass",
                      drums=[(TPB, 38, 100)], end_tick=4 * TPB)
    assert "bass" not in signals_from_midi(path).silent_channels
    # ... and not when the override says bass tracks are named "low end"
    song = signals_from_midi(path, roles=RoleMap(bass_track_pattern="low end"))
    assert "bass" in song.silent_channels
    # a claps-only snare part counts; with the claps removed from the map it does not
    claps = write_song(tmp_path / "c.mid", drums=[(TPB, 39, 100)], bass=[(0, 40, 90)], end_tick=4 * TPB)
    assert "snare" not in signals_from_midi(claps).silent_channels
    assert "snare" in signals_from_midi(claps, roles=RoleMap(snare_notes=(38,))).silent_channels


def test_missing_roles_is_a_clear_error(tmp_path):
    path = write_song(tmp_path / "kick_only.mid", drums=[(0, 36, 100)], bass_program=0, bass_name="Piano")
    with pytest.raises(MissingRoleError, match=r"kick_only\.mid: no snare and no bass notes"):
        signals_from_midi(path)


def test_unreadable_files(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        signals_from_midi(tmp_path / "absent.mid")
    junk = tmp_path / "junk.mid"
    junk.write_bytes(b"not midi at all")
    with pytest.raises(InputFileError, match=r"junk\.mid: not a readable standard MIDI file"):
        signals_from_midi(junk)


def test_a_file_a_daw_opens_is_read_even_with_an_undecodable_key_signature(tmp_path):
    path = tmp_path / "odd-key.mid"
    path.write_bytes(smf(b"\x00\xff\x59\x02\x14\xff" + GROOVE))  # 20 sharps, mode 255
    signals = signals_from_midi(path)
    assert signals.kick is not None and not signals.silent_channels


def test_running_status_and_a_missing_end_of_track_read_as_the_plain_file(tmp_path):
    (tmp_path / "plain.mid").write_bytes(smf(GROOVE))
    (tmp_path / "running.mid").write_bytes(smf(GROOVE_RUNNING_STATUS, end_of_track=False))
    plain, running = (midi_song(tmp_path / f"{name}.mid")[1] for name in ("plain", "running"))
    for role in ("kick", "snare", "bass"):
        np.testing.assert_array_equal(running[role].times_s, plain[role].times_s)
    assert len(plain["kick"].times_s) == 8 and len(plain["snare"].times_s) == 4


@pytest.mark.parametrize("name, data, problem", [
    ("zero-division", smf(GROOVE, division=0), "time division (0)"),
    ("smpte", smf(GROOVE, division=0xE728), "SMPTE"),
    ("tempo-zero", smf(b"\x00\xff\x51\x03\x00\x00\x00" + GROOVE), "tempo of 0"),
    ("meter-zero", smf(b"\x00\xff\x58\x04\x00\x02\x18\x08" + GROOVE), "impossible meter (0/4)"),
    ("meter-huge", smf(b"\x00\xff\x58\x04\x04\xff\x18\x08" + GROOVE), "impossible meter"),
    ("77-hours", smf(GROOVE + b"\x8f\xff\xff\x7f\x99\x26\x64"), "hours; kickgen reads songs of up to 1 hour"),
])
def test_timing_that_cannot_be_a_song_is_refused_naming_the_file(tmp_path, name, data, problem):
    path = tmp_path / f"{name}.mid"
    path.write_bytes(data)
    with pytest.raises(InputFileError, match=re.escape(problem)) as caught:
        signals_from_midi(path)
    assert str(path) in str(caught.value)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_midi_bytes_are_read_or_refused_in_one_error(tmp_path_factory, data):
    """Any file made from a real song by flipping, cutting or inserting bytes is either read
    or refused with `InputFileError`; nothing else escapes the reader."""
    original = bytearray(smf(b"\x00\xff\x58\x04\x04\x02\x18\x08\x00\xff\x51\x03\x07\xa1\x20" + GROOVE))
    for _ in range(data.draw(st.integers(1, 6))):
        where = data.draw(st.integers(0, len(original) - 1))
        action = data.draw(st.sampled_from(("flip", "cut", "insert")))
        if action == "flip":
            original[where] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del original[where:where + data.draw(st.integers(1, 8))]
        else:
            original[where:where] = bytes(data.draw(st.lists(st.integers(0, 255), min_size=1, max_size=8)))
        if not original:
            break
    path = tmp_path_factory.mktemp("mutated") / "song.mid"
    path.write_bytes(bytes(original))
    try:
        read_midi(path)
    except InputFileError:
        pass
