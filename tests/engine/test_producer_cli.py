"""`kickgen render`, `sample` and `preset` as a producer runs them, on the shipped model
and the example song: outputs, determinism, and one-line errors (exit 2) for bad input."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import mido
import numpy as np
import pedalboard.io
import pytest

from kickgen.engine.corpus.build import build_corpus
from kickgen.engine.evaluation.metrics import onset_scores
from kickgen.engine.signals.midi import absolute_events, midi_song, tempo_map

ROOT = Path(__file__).resolve().parents[2]
SONG = ROOT / "examples" / "demo-song"
KICKGEN = [sys.executable, "-m", "kickgen.engine.cli"]


def kickgen(*args, **kwargs):
    return subprocess.run([*KICKGEN, *map(str, args)], capture_output=True, text=True, timeout=300, **kwargs)


def one_line_error(result, *needles):
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("render")
    result = kickgen("render", SONG / "song.mid", "--preset", "funk sixteenths", "-o", out / "kick.mid",
                     "--wav", out / "kick.wav", "--mix", out / "mix.wav", "--plot", out / "kick.png",
                     "--snare", SONG / "snare.flac", "--bass", SONG / "bass.flac")
    assert result.returncode == 0, result.stderr
    return out


def test_render_writes_kicks_on_the_songs_tempo_map(rendered):
    out = mido.MidiFile(rendered / "kick.mid")
    song = mido.MidiFile(SONG / "song.mid")
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


def test_the_same_seed_gives_the_same_kicks(tmp_path):
    for name in ("a", "b"):
        assert kickgen("render", SONG / "song.mid", "--seed", "7", "-o", tmp_path / f"{name}.mid").returncode == 0
    assert (tmp_path / "a.mid").read_bytes() == (tmp_path / "b.mid").read_bytes()


def test_merge_keeps_every_other_track(tmp_path):
    result = kickgen("render", SONG / "song.mid", "--seed", "1", "--merge", "-o", tmp_path / "merged.mid")
    assert result.returncode == 0, result.stderr
    merged, song = mido.MidiFile(tmp_path / "merged.mid"), mido.MidiFile(SONG / "song.mid")
    assert [t.name for t in merged.tracks] == [t.name for t in song.tracks] + ["Kick"]
    assert list(merged.tracks[2]) == list(song.tracks[2])  # the bass, untouched
    old_kicks = [m for m in merged.tracks[1] if m.type == "note_on" and m.note == 36]
    assert old_kicks == []


def preset_round_trip_f(reference: Path, tmp_path: Path) -> float:
    """Save a preset from `reference` (a MIDI song), render the song under it, and score
    the rendered kicks against the song's own (F, 50 ms)."""
    saved = kickgen("preset", "save", "--from", reference, "--name", "demo groove", "--preset-dir", tmp_path,
                    "--plot", tmp_path / "path.png")
    assert saved.returncode == 0, saved.stderr
    assert (tmp_path / "demo-groove.json").exists() and (tmp_path / "path.png").exists()
    rendered = kickgen("render", reference, "--preset", "demo groove", "--preset-dir", tmp_path,
                       "-o", tmp_path / "k.mid")
    assert rendered.returncode == 0, rendered.stderr
    listed = kickgen("preset", "list", "--preset-dir", tmp_path)
    assert "demo groove" in listed.stdout and "factory" in listed.stdout
    _, original = midi_song(reference)
    out = mido.MidiFile(tmp_path / "k.mid")
    events = absolute_events(out)
    ticks = np.array([t for t, _, m in events if m.type == "note_on" and m.velocity > 0])
    times = tempo_map(events, ticks_per_beat=out.ticks_per_beat).seconds(ticks)
    return onset_scores(original["kick"].times_s, times).f_measure


def test_a_preset_saved_from_a_held_out_corpus_song_gives_back_most_of_its_kicks(tmp_path):
    # A corpus song built from a style file of the validation split ("rock eighths"),
    # which the shipped model never trained on.
    build_corpus(tmp_path / "corpus", n_songs=1, seed=0, jobs=1, only_styles=("yamaha/w-rock",), progress=False)
    (reference,) = (tmp_path / "corpus").glob("songs/*/song.mid")
    assert preset_round_trip_f(reference, tmp_path) >= 0.7
    shown = json.loads(kickgen("preset", "show", "demo groove", "--preset-dir", tmp_path).stdout)
    assert shown["clustering"]["k"] >= 1 and len(shown["code"]) == 16
    one_line_error(kickgen("preset", "save", "--from", reference, "--name", "demo groove", "--preset-dir", tmp_path),
                   "already exists")
    assert kickgen("preset", "delete", "demo groove", "--preset-dir", tmp_path).returncode == 0
    assert not (tmp_path / "demo-groove.json").exists()


@pytest.mark.xfail(strict=True, reason="issue 5: the shipped model gives F 0.55 on the example song: it plays "
                   "the 'and' of 3 where the song has the 'a' of 3, and drops beat 3")
def test_a_preset_saved_from_the_example_song_gives_back_most_of_its_kicks(tmp_path):
    assert preset_round_trip_f(SONG / "song.mid", tmp_path) >= 0.7


def test_the_audio_path_on_the_example_stems(tmp_path):
    result = kickgen("render", SONG, "--seed", "2", "-o", tmp_path / "k.mid", "--wav", tmp_path / "k.wav")
    assert result.returncode == 0, result.stderr
    out = mido.MidiFile(tmp_path / "k.mid")
    tempo = tempo_map(absolute_events(out), ticks_per_beat=out.ticks_per_beat).tempos_us[0]
    assert abs(60e6 / tempo - 100) < 3  # the song's 100 bpm, found by madmom
    assert sum(m.type == "note_on" for m in out.tracks[1]) >= 8


def test_sample_keeps_the_most_varied(tmp_path):
    result = kickgen("sample", SONG / "song.mid", "-o", tmp_path / "v", "-n", "6", "--pick", "3")
    assert result.returncode == 0, result.stderr
    codes = json.loads((tmp_path / "v" / "codes.json").read_text())
    assert codes["files"] == ["variation-01.mid", "variation-02.mid", "variation-03.mid"]
    assert len(codes["codes"]) == 3 and 0 <= codes["diversity"] <= 1
    assert (tmp_path / "v" / "overview.png").exists()
    saved = kickgen("preset", "save", "--code-from", tmp_path / "v" / "codes.json", "--index", "1", "--name", "v1",
                    "--preset-dir", tmp_path / "presets")
    assert saved.returncode == 0, saved.stderr


def write_midi(path, tracks):
    midi = mido.MidiFile()
    for name, messages in tracks:
        midi.tracks.append(mido.MidiTrack([mido.MetaMessage("track_name", name=name), *messages]))
    midi.save(path)


def test_errors_are_one_line_and_leave_nothing_behind(tmp_path):
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
    one_line_error(kickgen("render", SONG / "song.mid", "--preset", "no such preset", "-o", out),
                   "no such preset")
    shutil.copy(SONG / "song.mid", tmp_path / "song.mid")
    foreign = json.loads(next((ROOT / "presets").glob("*.json")).read_text())
    (tmp_path / "foreign.json").write_text(json.dumps({**foreign, "model_id": "f" * 64}))
    one_line_error(kickgen("render", SONG / "song.mid", "--preset", tmp_path / "foreign.json", "-o", out),
                   "made for model ffffffffffff")
    out.write_text("keep me")
    one_line_error(kickgen("render", SONG / "song.mid", "-o", out), "already exists")
    assert out.read_text() == "keep me"
    (tmp_path / "a-file").write_text("")
    one_line_error(kickgen("render", SONG / "song.mid", "-o", tmp_path / "a-file" / "k.mid"), "is not a folder")
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
