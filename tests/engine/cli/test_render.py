"""`kickgen render` and `kickgen sample` as a producer runs them, on the shipped model and
the example song: outputs, determinism, role overrides, and one-line errors (exit 2) for
bad input that leave nothing behind."""

import json
import shutil

import mido
import numpy as np
import pedalboard.io
import pytest

from kickgen.engine.signals.midi import absolute_events, tempo_map


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, kickgen, example_song):
    out = tmp_path_factory.mktemp("render")
    result = kickgen("render", example_song / "song.mid", "--preset", "funk sixteenths", "-o", out / "kick.mid",
                     "--wav", out / "kick.wav", "--mix", out / "mix.wav", "--plot", out / "kick.png",
                     "--snare", example_song / "snare.flac", "--bass", example_song / "bass.flac")
    assert result.returncode == 0, result.stderr
    return out


def test_render_writes_kicks_on_the_songs_tempo_map(rendered, example_song):
    out = mido.MidiFile(rendered / "kick.mid")
    song = mido.MidiFile(example_song / "song.mid")
    events = absolute_events(out)
    assert tempo_map(events, ticks_per_beat=out.ticks_per_beat).tempos_us.tolist() == [600_000.0]
    ons = [(t, m) for t, _, m in events if m.type == "note_on" and m.velocity > 0]
    offs = [(t, m) for t, _, m in events if m.type == "note_off" or (m.type == "note_on" and m.velocity == 0)]
    assert len(ons) == len(offs) >= 16
    assert all(m.note == 36 and m.channel == 9 and 89 <= m.velocity <= 127 for _, m in ons)
    end = max(t for t, _, _ in absolute_events(song))
    assert all(0 <= t <= end for t, _ in ons)
    with pedalboard.io.AudioFile(str(rendered / "mix.wav")) as f:
        assert f.samplerate == 44100 and f.frames > 44100 * 30
    assert (rendered / "kick.png").read_bytes()[:4] == b"\x89PNG"


def test_the_same_seed_gives_the_same_kicks(tmp_path, kickgen, example_song):
    for name in ("a", "b"):
        assert kickgen("render", example_song / "song.mid", "--seed", "7", "-o", tmp_path / f"{name}.mid").returncode == 0
    assert (tmp_path / "a.mid").read_bytes() == (tmp_path / "b.mid").read_bytes()


def test_merge_keeps_every_other_track(tmp_path, kickgen, example_song):
    result = kickgen("render", example_song / "song.mid", "--seed", "1", "--merge", "-o", tmp_path / "merged.mid")
    assert result.returncode == 0, result.stderr
    merged, song = mido.MidiFile(tmp_path / "merged.mid"), mido.MidiFile(example_song / "song.mid")
    assert [t.name for t in merged.tracks] == [t.name for t in song.tracks] + ["Kick"]
    assert list(merged.tracks[2]) == list(song.tracks[2])  # the bass, untouched
    old_kicks = [m for m in merged.tracks[1] if m.type == "note_on" and m.note == 36]
    assert old_kicks == []


def test_the_audio_path_on_the_example_stems(tmp_path, kickgen, example_song):
    result = kickgen("render", example_song, "--seed", "2", "-o", tmp_path / "k.mid", "--wav", tmp_path / "k.wav")
    assert result.returncode == 0, result.stderr
    out = mido.MidiFile(tmp_path / "k.mid")
    tempo = tempo_map(absolute_events(out), ticks_per_beat=out.ticks_per_beat).tempos_us[0]
    assert abs(60e6 / tempo - 100) < 3  # the song's 100 bpm, found by madmom
    assert sum(m.type == "note_on" for m in out.tracks[1]) >= 8


@pytest.mark.parametrize("grid", [["--grid-from", "song.mid"], ["--bpm", "100", "--meter", "4/4"]])
def test_stems_with_the_grid_a_producer_knows_land_on_it(tmp_path, kickgen, example_song, grid):
    """Quantized kicks from stems with a known grid sit on the song's own sixteenths."""
    args = [a if a != "song.mid" else example_song / a for a in grid]
    result = kickgen("render", example_song, "--seed", "2", "--quantize", "1/16", "-o", tmp_path / "k.mid", *args)
    assert result.returncode == 0, result.stderr
    out = mido.MidiFile(tmp_path / "k.mid")
    events = absolute_events(out)
    assert tempo_map(events, ticks_per_beat=out.ticks_per_beat).tempos_us.tolist() == [600_000.0]
    ons = [t for t, _, m in events if m.type == "note_on" and m.velocity > 0]
    assert len(ons) >= 16 and all(t % (out.ticks_per_beat // 4) == 0 for t in ons)


def test_sample_keeps_the_most_varied(tmp_path, kickgen, example_song):
    result = kickgen("sample", example_song / "song.mid", "-o", tmp_path / "v", "-n", "6", "--pick", "3")
    assert result.returncode == 0, result.stderr
    codes = json.loads((tmp_path / "v" / "codes.json").read_text())
    assert codes["files"] == ["variation-01.mid", "variation-02.mid", "variation-03.mid"]
    assert len(codes["codes"]) == 3 and 0 <= codes["diversity"] <= 1
    assert (tmp_path / "v" / "overview.png").exists()


def write_midi(path, tracks):
    midi = mido.MidiFile()
    for name, messages in tracks:
        midi.tracks.append(mido.MidiTrack([mido.MetaMessage("track_name", name=name), *messages]))
    midi.save(path)


def freely_named_song(path):
    """Two bars at 120 bpm: a snare on channel 10, and a bass line played by a piano
    (program 0) on a track named "Low end", so General MIDI finds no bass."""
    snare = [m for beat in range(8) for m in (
        mido.Message("note_on", channel=9, note=38, velocity=100, time=0 if beat == 0 else 460),
        mido.Message("note_off", channel=9, note=38, time=20))]
    low = [mido.Message("program_change", channel=2, program=0)] + [m for beat in range(8) for m in (
        mido.Message("note_on", channel=2, note=40, velocity=90, time=0 if beat == 0 else 240),
        mido.Message("note_off", channel=2, note=40, time=240))]
    write_midi(path, [("Drums", snare), ("Low end", low)])


def test_role_flags_find_a_bass_the_file_names_freely(tmp_path, kickgen, one_line_error):
    song = tmp_path / "song.mid"
    freely_named_song(song)
    one_line_error(kickgen("render", song, "-o", tmp_path / "none.mid"), "no bass notes", "--bass-track")
    for i, flags in enumerate((["--bass-track", "low end"], ["--bass-track", "1"], ["--bass-channels", "3"])):
        result = kickgen("render", song, "-o", tmp_path / f"k{i}.mid", *flags)
        assert result.returncode == 0, (flags, result.stderr)
    assert (tmp_path / "k0.mid").read_bytes() == (tmp_path / "k1.mid").read_bytes() == (tmp_path / "k2.mid").read_bytes()
    one_line_error(kickgen("render", song, "-o", tmp_path / "x.mid", "--drum-channel", "17"), "--drum-channel")


def test_errors_are_one_line_and_leave_nothing_behind(tmp_path, kickgen, one_line_error, example_song):
    out = tmp_path / "out.mid"
    one_line_error(kickgen("render", tmp_path / "missing.mid", "-o", out), "missing.mid", "no such file")
    (tmp_path / "junk.mid").write_bytes(b"not a midi file at all")
    one_line_error(kickgen("render", tmp_path / "junk.mid", "-o", out), "junk.mid", "not a readable")
    (tmp_path / "notes.txt").write_text("hello")
    one_line_error(kickgen("render", tmp_path / "notes.txt", "-o", out), "neither a MIDI file nor an audio file")
    piano = [mido.Message("program_change", program=0)] + [
        mido.Message("note_on", note=60, velocity=80, time=240 if i else 0) for i in range(32)]
    write_midi(tmp_path / "piano.mid", [("Piano", piano)])
    one_line_error(kickgen("render", tmp_path / "piano.mid", "-o", out), "no snare and no bass",
                   "'Piano': channel 1", "--snare-notes", "--bass-channels")
    one_line_error(kickgen("render", example_song / "song.mid", "--preset", "no such preset", "-o", out),
                   "no such preset")
    shutil.copy(example_song / "song.mid", tmp_path / "song.mid")
    foreign = json.loads(next((example_song.parents[1] / "presets").glob("*.json")).read_text())
    (tmp_path / "foreign.json").write_text(json.dumps({**foreign, "model_id": "f" * 64}))
    one_line_error(kickgen("render", example_song / "song.mid", "--preset", tmp_path / "foreign.json", "-o", out),
                   "made for model ffffffffffff")
    out.write_text("keep me")
    one_line_error(kickgen("render", example_song / "song.mid", "-o", out), "already exists")
    assert out.read_text() == "keep me"
    (tmp_path / "a-file").write_text("")
    one_line_error(kickgen("render", example_song / "song.mid", "-o", tmp_path / "a-file" / "k.mid"),
                   "is not a folder")
    silent = np.zeros((1, 44100 * 4), np.float32)
    for name in ("snare", "bass"):
        with pedalboard.io.AudioFile(str(tmp_path / f"{name}.wav"), "w", 44100, 1) as f:
            f.write(silent)
    one_line_error(kickgen("render", "--snare", tmp_path / "snare.wav", "--bass", tmp_path / "bass.wav",
                           "-o", tmp_path / "s.mid"), "silent")
    short = [mido.Message("note_on", channel=9, note=38, velocity=90), mido.Message("note_off", channel=9, note=38,
                                                                                   time=100)]
    bass = [mido.Message("program_change", channel=1, program=33), mido.Message("note_on", channel=1, note=40,
                                                                                velocity=90),
            mido.Message("note_off", channel=1, note=40, time=200)]
    write_midi(tmp_path / "short.mid", [("Drums", short), ("Bass", bass)])
    one_line_error(kickgen("render", tmp_path / "short.mid", "-o", tmp_path / "x.mid"), "shorter than one bar")
    assert not list(tmp_path.glob(".*tmp*")) and not (tmp_path / "x.mid").exists()
