"""Bad input as a new user hands it to kickgen: every case ends with one line on stderr,
exit code 2 and no traceback, leaves every input byte for byte as it was and no new file
behind. Files are generated here; nothing comes from outside the repository."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pedalboard.io
import pytest
from song_bytes import GROOVE, smf

from kickgen.engine.runtime.bundle import load_bundle


def snapshot(folder):
    """Every file under `folder` with its sha256."""
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def workdir(tmp_path, example_song):
    (tmp_path / "song.mid").write_bytes((example_song / "song.mid").read_bytes())
    for name, data in {"tpb0.mid": smf(GROOVE, division=0), "smpte.mid": smf(GROOVE, division=0xE728),
                       "tempo0.mid": smf(b"\x00\xff\x51\x03\x00\x00\x00" + GROOVE),
                       "meter0.mid": smf(b"\x00\xff\x58\x04\x00\x02\x18\x08" + GROOVE),
                       "meter-huge.mid": smf(b"\x00\xff\x58\x04\x04\xff\x18\x08" + GROOVE),
                       "77-hours.mid": smf(GROOVE + b"\x8f\xff\xff\x7f\x99\x26\x64"),
                       "truncated.mid": smf(GROOVE)[:40], "empty.mid": b""}.items():
        (tmp_path / name).write_bytes(data)
    preset = json.loads(next((example_song.parents[1] / "presets").glob("*.json")).read_text())
    bar = preset["code"]  # a factory preset: a bar of 16 codes of 16
    for name, changes in {"short-code": {"code": [step[:15] for step in bar]},
                          "long-code": {"code": [[*step, 0.0] for step in bar]}, "short-bar": {"code": bar[:15]},
                          "ragged-bar": {"code": [*bar[:15], bar[15][:15]]}, "held-in-format-1": {"format_version": 1},
                          "string-code": {"code": "1234567890123456"}, "null-name": {"name": None},
                          "list-source": {"source": []}}.items():
        (tmp_path / f"{name}.json").write_text(json.dumps({**preset, **changes}))
    (tmp_path / "nested.json").write_text("[" * 100000 + "]" * 100000)
    (tmp_path / "codes.json").write_text(json.dumps({"model": load_bundle().id, "codes": [[1.0, 2.0]]}))
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "stems").mkdir()
    for role in ("snare", "bass"):
        (tmp_path / "stems" / f"{role}.flac").write_bytes((example_song / f"{role}.flac").read_bytes())
    (tmp_path / "notes.txt").write_text("kick on one, snare on two\n")
    (tmp_path / "bad-audio").mkdir()
    (tmp_path / "bad-audio" / "snare.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    (tmp_path / "bad-audio" / "bass.wav").write_bytes((example_song / "bass.flac").read_bytes())
    for folder, stems in {"nan-stems": {"snare": np.nan, "bass": 0.1}, "no-bass": {"snare": 0.1},
                          "silent": {"snare": 0.0, "bass": 0.1}}.items():
        (tmp_path / folder).mkdir()
        for role, value in stems.items():
            noise = np.random.default_rng(0).uniform(-0.5, 0.5, (1, 44100 * 4)).astype(np.float32) * value
            with pedalboard.io.AudioFile(str(tmp_path / folder / f"{role}.wav"), "w", 44100, 1, bit_depth=32) as f:
                f.write(noise)
    return tmp_path


CASES = {
    "zero time division": (["render", "tpb0.mid", "-o", "k.mid"], "time division (0)"),
    "SMPTE division": (["render", "smpte.mid", "-o", "k.mid"], "SMPTE"),
    "tempo 0": (["render", "tempo0.mid", "-o", "k.mid"], "tempo of 0"),
    "meter 0": (["render", "meter0.mid", "-o", "k.mid"], "impossible meter"),
    "meter 4/2^255": (["render", "meter-huge.mid", "-o", "k.mid"], "impossible meter"),
    "77-hour song": (["render", "77-hours.mid", "-o", "k.mid"], "up to 1 hour"),
    "truncated MIDI": (["render", "truncated.mid", "-o", "k.mid"], "not a readable"),
    "empty MIDI": (["render", "empty.mid", "-o", "k.mid"], "not a readable"),
    "preset save from a tempo-0 song": (["preset", "save", "--from", "tempo0.mid", "--name", "x", "--preset-dir", "p"],
                                        "tempo of 0"),
    "eval of an SMPTE song": (["eval", "smpte.mid", "--quiet"], "SMPTE"),
    "output over the input": (["render", "song.mid", "-o", "song.mid", "--force"], "reads"),
    "WAV over the input": (["render", "song.mid", "-o", "k.mid", "--wav", "song.mid", "--force"], "reads"),
    "plot over the MIDI": (["render", "song.mid", "-o", "k.mid", "--plot", "k.mid"], "named twice"),
    "WAV and mix the same": (["render", "song.mid", "-o", "k.mid", "--wav", "k.wav", "--mix", "k.wav"], "named twice"),
    "output is a folder": (["render", "song.mid", "-o", "a-folder", "--force"], "not a regular file"),
    "output is a device": (["render", "song.mid", "-o", "/dev/null", "--force"], "not a regular file"),
    "sample into a file": (["sample", "song.mid", "-o", "song.mid"], "is not a folder"),
    "threshold -1": (["render", "song.mid", "-o", "k.mid", "--threshold", "-1"], "--threshold"),
    "threshold 2": (["render", "song.mid", "-o", "k.mid", "--threshold", "2"], "--threshold"),
    "threshold nan": (["render", "song.mid", "-o", "k.mid", "--threshold", "nan"], "--threshold"),
    "threshold inf": (["render", "song.mid", "-o", "k.mid", "--threshold", "inf"], "--threshold"),
    "seed -1": (["render", "song.mid", "-o", "k.mid", "--seed", "-1"], "--seed"),
    "note 200": (["render", "song.mid", "-o", "k.mid", "--note", "200"], "--note"),
    "channel 0": (["render", "song.mid", "-o", "k.mid", "--channel", "0"], "--channel"),
    "channel 17": (["render", "song.mid", "-o", "k.mid", "--channel", "17"], "--channel"),
    "bass channel 0": (["render", "song.mid", "-o", "k.mid", "--bass-channels", "0"], "--bass-channels"),
    "snare note 128": (["render", "song.mid", "-o", "k.mid", "--snare-notes", "128"], "--snare-notes"),
    "sample threshold nan": (["sample", "song.mid", "-o", "v", "--threshold", "nan"], "--threshold"),
    "eval threshold 5": (["eval", "song.mid", "--threshold", "5"], "--threshold"),
    "index -1": (["preset", "save", "--code-from", "codes.json", "--index", "-1", "--name", "x", "--preset-dir", "p"],
                 "--index"),
    "15-dim preset": (["render", "song.mid", "-o", "k.mid", "--preset", "short-code.json"], "15-dim code"),
    "17-dim preset": (["render", "song.mid", "-o", "k.mid", "--preset", "long-code.json"], "17-dim code"),
    "15-step preset": (["render", "song.mid", "-o", "k.mid", "--preset", "short-bar.json"], "16 lists of one length"),
    "ragged preset": (["render", "song.mid", "-o", "k.mid", "--preset", "ragged-bar.json"], "16 lists of one length"),
    "bar in format 1": (["render", "song.mid", "-o", "k.mid", "--preset", "held-in-format-1.json"],
                        "code must be a list of numbers"),
    "string code": (["render", "song.mid", "-o", "k.mid", "--preset", "string-code.json"], "code is str, not list"),
    "null name": (["render", "song.mid", "-o", "k.mid", "--preset", "null-name.json"], "name is NoneType"),
    "list source": (["render", "song.mid", "-o", "k.mid", "--preset", "list-source.json"], "source is list"),
    "self-nested JSON": (["render", "song.mid", "-o", "k.mid", "--preset", "nested.json"], "nested too deep"),
    "codes of the wrong shape": (["preset", "save", "--code-from", "codes.json", "--index", "0", "--name", "x",
                                  "--preset-dir", "p"], "16-number codes"),
    "preset file is a folder": (["render", "song.mid", "-o", "k.mid", "--preset", "a-folder/x.json"], "x.json"),
    "a stem of NaN samples": (["render", "nan-stems", "-o", "k.mid"], "not numbers"),
    "stems without a bass": (["render", "no-bass", "-o", "k.mid"], "no bass stem"),
    "one stem file alone": (["render", "no-bass/snare.wav", "-o", "k.mid"], "no bass stem"),
    "bpm 0": (["render", "stems", "-o", "k.mid", "--bpm", "0"], "--bpm"),
    "bpm nan": (["render", "stems", "-o", "k.mid", "--bpm", "nan"], "--bpm"),
    "meter 5/3": (["render", "stems", "-o", "k.mid", "--bpm", "120", "--meter", "5/3"], "--meter"),
    "first downbeat -1": (["render", "stems", "-o", "k.mid", "--bpm", "120", "--first-downbeat", "-1"],
                          "--first-downbeat"),
    "meter without bpm": (["render", "stems", "-o", "k.mid", "--meter", "3/4"], "needs --bpm"),
    "bpm and grid-from": (["render", "stems", "-o", "k.mid", "--bpm", "120", "--grid-from", "song.mid"], "not both"),
    "bpm for a MIDI song": (["render", "song.mid", "-o", "k.mid", "--bpm", "120"], "its own tempo map"),
    "preset from MIDI with bpm": (["preset", "save", "--from", "song.mid", "--name", "x", "--preset-dir", "p",
                                   "--bpm", "120"], "its own tempo map"),
    "grid from a truncated MIDI": (["render", "stems", "-o", "k.mid", "--grid-from", "truncated.mid"], "not a readable"),
    "grid from a missing file": (["render", "stems", "-o", "k.mid", "--grid-from", "nowhere.mid"], "no such file"),
    "grid from a tempo-0 MIDI": (["render", "stems", "-o", "k.mid", "--grid-from", "tempo0.mid"], "tempo of 0"),
    "eval JSON over its song": (["eval", "song.mid", "--json", "song.mid", "--force"], "reads"),
    "preset plot over its song": (["preset", "save", "--from", "song.mid", "--name", "x", "--preset-dir", "p",
                                   "--plot", "song.mid", "--force"], "reads"),
    "preset name with a slash": (["preset", "save", "--from", "song.mid", "--name", "a/b", "--preset-dir", "p"],
                                 "a/b"),
    "preset save from nothing": (["preset", "save", "--name", "x", "--preset-dir", "p"], "--from"),
    "preset from stems without a kick": (["preset", "save", "--from", "stems", "--name", "x", "--preset-dir", "p"],
                                         "no kick stem"),
    "a text file as the song": (["render", "notes.txt", "-o", "k.mid"], "neither a MIDI file nor an audio file"),
    "a song that is not there": (["render", "nowhere.mid", "-o", "k.mid"], "no such file"),
    "a stem that is not audio": (["render", "bad-audio", "-o", "k.mid"], "not a readable audio file"),
    "a silent stem": (["render", "silent", "-o", "k.mid"], "silent"),
    "zero variations": (["sample", "song.mid", "-o", "v", "-n", "0"], "-n"),
    "eval on no workers": (["eval", "song.mid", "--jobs", "0"], "--jobs"),
    "quantize 1/8": (["render", "song.mid", "-o", "k.mid", "--quantize", "1/8"], "--quantize"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(case, workdir, kickgen, one_line_error):
    args, needle = CASES[case]
    before = snapshot(workdir)
    one_line_error(kickgen(*args, cwd=workdir), needle)
    assert snapshot(workdir) == before  # inputs unchanged, no new file (a temporary one included)


def test_a_terminated_render_says_so_in_one_line_and_leaves_no_temporary_file(workdir, example_song):
    """SIGTERM in the middle of an audio render (madmom takes seconds): exit 143, one line,
    no output and no temporary file."""
    render = subprocess.Popen(
        [sys.executable, "-m", "kickgen.engine.cli", "render", str(example_song), "-o", "k.mid", "--wav", "k.wav"],
        cwd=workdir, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    assert render.poll() is None, "the render finished before it could be stopped"
    os.kill(render.pid, signal.SIGTERM)
    _, stderr = render.communicate(timeout=60)
    assert render.returncode == 143 and stderr == "kickgen: terminated\n", stderr
    assert not (workdir / "k.mid").exists() and not list(workdir.glob(".*tmp*"))
