"""Kick notes to MIDI: the target's tempo map, explicit note-offs, merging, no overwrite."""

import mido
import numpy as np
import pytest

from kickgen.engine.errors import OutputExistsError
from kickgen.engine.producer.kick_midi import KickStyle, TimeBase, write_kick_midi
from kickgen.engine.signals.frames import Onsets
from kickgen.engine.signals.midi import absolute_events, tempo_map


def two_tempo_song(path):
    """Two bars at 120 bpm then two at 90 bpm; drums with a kick, and a bass track."""
    midi = mido.MidiFile(ticks_per_beat=480)
    midi.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500_000),
                                       mido.MetaMessage("time_signature", numerator=4, denominator=4),
                                       mido.MetaMessage("set_tempo", tempo=666_667, time=3840)]))
    drums = mido.MidiTrack([mido.MetaMessage("track_name", name="Drums")])
    for beat in range(16):
        drums.append(mido.Message("note_on", channel=9, note=36 if beat % 2 == 0 else 38, velocity=100,
                                  time=0 if beat == 0 else 400))
        drums.append(mido.Message("note_off", channel=9, note=36 if beat % 2 == 0 else 38, time=80))
    bass = mido.MidiTrack([mido.MetaMessage("track_name", name="Bass"),
                           mido.Message("program_change", channel=1, program=33)])
    for beat in range(16):
        bass.append(mido.Message("note_on", channel=1, note=40, velocity=90, time=0 if beat == 0 else 240))
        bass.append(mido.Message("note_off", channel=1, note=40, time=240))
    midi.tracks += [drums, bass]
    midi.save(path)
    return midi


def test_kicks_follow_the_tempo_map_and_every_note_ends(tmp_path):
    song = two_tempo_song(tmp_path / "song.mid")
    base = TimeBase.from_midi(song)
    times = np.array([0.0, 1.0, 4.0, 4.0 + 2 / 3])  # beat 0, beat 2, bar 3 (after the change), beat 1 of it
    write_kick_midi(tmp_path / "kick.mid", Onsets(times, np.array([1.0, 0.7, 0.85, 0.5])), base,
                    style=KickStyle(note=35, channel=10))
    out = mido.MidiFile(tmp_path / "kick.mid")
    events = absolute_events(out)
    ons = [(t, m) for t, _, m in events if m.type == "note_on"]
    offs = [(t, m) for t, _, m in events if m.type == "note_off"]
    assert [t for t, _ in ons] == [0, 960, 3840, 4320]
    assert len(offs) == 4 and all(m.note == 35 and m.channel == 9 for _, m in ons + offs)
    assert [m.velocity for _, m in ons] == [127, 89, 108, 64]
    recovered = tempo_map(events, ticks_per_beat=out.ticks_per_beat).seconds(np.array([t for t, _ in ons]))
    assert np.allclose(recovered, times, atol=1e-3)
    assert [t.name for t in out.tracks] == ["Tempo", "Kick"]


def test_merge_replaces_only_the_old_kick(tmp_path):
    two_tempo_song(tmp_path / "song.mid")
    song = mido.MidiFile(tmp_path / "song.mid")
    write_kick_midi(tmp_path / "merged.mid", Onsets(np.array([0.5]), np.array([1.0])), TimeBase.from_midi(song),
                    merge_with=song)
    merged = mido.MidiFile(tmp_path / "merged.mid")
    assert [t.name for t in merged.tracks][-1] == "Kick" and len(merged.tracks) == len(song.tracks) + 1

    def without_kick(track):
        return [(t, m.copy(time=0)) for t, _, m in absolute_events(mido.MidiFile(tracks=[track]))
                if not (m.type in ("note_on", "note_off") and m.note == 36)]
    for old, new in zip(song.tracks, merged.tracks):
        assert without_kick(old) == without_kick(new)
    kicks_left = [m for m in merged.tracks[1] if m.type == "note_on" and m.note == 36]
    assert kicks_left == []


def test_an_existing_output_is_kept_without_force(tmp_path):
    song = two_tempo_song(tmp_path / "song.mid")
    (tmp_path / "kick.mid").write_text("mine")
    with pytest.raises(OutputExistsError):
        write_kick_midi(tmp_path / "kick.mid", Onsets(np.zeros(1), np.ones(1)), TimeBase.from_midi(song))
    assert (tmp_path / "kick.mid").read_text() == "mine"


def test_time_base_from_audio_beats():
    beats = np.arange(0, 8, 0.6)
    base = TimeBase.from_beats(beats, beats[::3])
    assert base.tempo.tempos_us[0] == pytest.approx(600_000)
    assert [m.numerator for _, m in base.meta if m.type == "time_signature"] == [3]
