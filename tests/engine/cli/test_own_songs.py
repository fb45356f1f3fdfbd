"""A producer's own songs to a fine-tuned model: `kickgen features` on MIDI songs and a
stem folder (split by whole song, one line for every song skipped), `kickgen train
--init-from` the tiny bundle, `kickgen-export`, and `kickgen eval` of both models on the
producer's validation songs."""

import json
import subprocess
import sys

import mido
import numpy as np

from kickgen.engine.corpus.own_songs import split_songs


def write_groove(path, seed: int, *, bars: int = 12, bpm: float = 110, kick: bool = True, bass: bool = True):
    """A GM song of random sixteenth-grid kick, snare and bass parts (one bar looped with
    small changes), as a producer's MIDI export would hold them."""
    rng = np.random.default_rng(seed)
    ticks = 120  # a sixteenth at 480 per beat
    pattern = {"kick": rng.random(16) < 0.3, "snare": np.isin(np.arange(16), (4, 12)) | (rng.random(16) < 0.08),
               "bass": rng.random(16) < 0.4}
    pattern["kick"][0] = True
    notes = []  # (tick, channel, note)
    for bar in range(bars):
        for step in range(16):
            at = (bar * 16 + step) * ticks
            if kick and (pattern["kick"][step] ^ (rng.random() < 0.05)):
                notes.append((at, 9, 36))
            if pattern["snare"][step]:
                notes.append((at, 9, 38))
            if bass and pattern["bass"][step]:
                notes.append((at, 1, 36 + int(rng.integers(0, 12))))
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0),
                            mido.Message("program_change", channel=1, program=33, time=0)])
    events = sorted([(t, 1, c, n) for t, c, n in notes] + [(t + 60, 0, c, n) for t, c, n in notes])
    now = 0
    for t, on, channel, note in events:
        kind = "note_on" if on else "note_off"
        track.append(mido.Message(kind, channel=channel, note=note, velocity=100 if on else 0, time=t - now))
        now = t
    song = mido.MidiFile(ticks_per_beat=480)
    song.tracks.append(track)
    song.save(path)
    return path


def write_stems(folder, *, seconds: float, bpm: float = 120):
    """A stem folder as a DAW bounces it: kick, snare and bass WAVs of equal length."""
    import pedalboard.io

    folder.mkdir()
    sr, beat = 44100, 60 / bpm
    n = np.arange(int(0.12 * sr))
    rng = np.random.default_rng(0)
    hits = {"kick": (np.sin(2 * np.pi * 55 * n / sr), np.arange(0, seconds - 0.2, beat)),
            "snare": (rng.standard_normal(len(n)), np.arange(beat, seconds - 0.2, 2 * beat)),
            "bass": (np.sin(2 * np.pi * 82 * n / sr), np.arange(0, seconds - 0.2, beat / 2))}
    for role, (body, times) in hits.items():
        audio = np.zeros(int(seconds * sr), np.float32)
        for t in times:
            start = round(t * sr)
            audio[start:start + len(n)] += (0.5 * body * np.exp(-n / (0.03 * sr))).astype(np.float32)
        with pedalboard.io.AudioFile(str(folder / f"{role}.wav"), "w", samplerate=sr, num_channels=1) as f:
            f.write(audio[None, :])


def test_the_split_is_whole_songs_seeded_and_keeps_one_of_each():
    assert split_songs(10, validation_share=0.2, seed=0).count("validation") == 2
    assert split_songs(10, validation_share=0.2, seed=0) == split_songs(10, validation_share=0.2, seed=0)
    assert split_songs(10, validation_share=0.2, seed=0) != split_songs(10, validation_share=0.2, seed=1)
    assert split_songs(2, validation_share=0.05, seed=0).count("validation") == 1  # at least one
    assert split_songs(3, validation_share=0.9, seed=0).count("train") == 1  # and one to train on
    assert split_songs(1, validation_share=0.2, seed=0) == ["train"]


def test_own_songs_to_a_fine_tuned_model_and_its_eval(tmp_path, kickgen, tiny_bundle):
    songs = tmp_path / "my songs"
    songs.mkdir()
    for i in range(6):
        write_groove(songs / f"groove {i}.mid", seed=i, bpm=96 + 8 * i)
    write_groove(songs / "no kick.mid", seed=9, kick=False)
    write_stems(songs / "live take", seconds=8.0)
    (songs / "notes.txt").write_text("not a song")
    features = tmp_path / "features"
    made = kickgen("features", str(songs), "--out", str(features), "--validation-share", "0.34", "--seed", "3")
    assert made.returncode == 0, made.stderr
    assert "7 songs (5 train, 2 validation" in made.stdout and "1 skipped" in made.stdout
    skipped = [line for line in made.stderr.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 1 and "no kick.mid" in skipped[0] and "no kick" in skipped[0]
    index = json.loads((features / "songs.json").read_text())
    assert {entry["split"] for entry in index["songs"]} == {"train", "validation"}
    assert all((features / entry["file"]).exists() for entry in index["songs"])
    assert [entry["name"] for entry in index["songs"] if entry["domain"] == "audio"] == ["live take"]
    assert len(list((features / "train").glob("*.npz"))) == 5

    again = kickgen("features", str(songs), "--out", str(features))
    assert again.returncode == 2 and "already exists (use --force" in again.stderr
    other = tmp_path / "other features"
    kickgen("features", str(songs), "--out", str(other))
    (other / "songs.json").unlink()  # an index lost: its feature files still refuse an overwrite
    assert kickgen("features", str(songs), "--out", str(other)).returncode == 2
    fewer = kickgen("features", str(songs / "groove 0.mid"), str(songs / "groove 1.mid"), "--out", str(other), "--force")
    assert fewer.returncode == 0, fewer.stderr
    assert len(list(other.glob("*/*.npz"))) == 2  # the earlier run's other songs are gone, not trained on

    run = tmp_path / "run"
    too_warm = kickgen("train", "--data", str(features / "train"), "--out", str(tmp_path / "warm"), "--init-from",
                       str(tiny_bundle), "--critic-warmup-steps", "1000", "--epochs", "1", "--batch", "4", "--quiet")
    assert too_warm.returncode == 0 and "only the critic learns" in too_warm.stderr  # (a producer's trap: said)
    tuned = kickgen("train", "--data", str(features / "train"), "--validation", str(features / "validation"),
                    "--out", str(run), "--init-from", str(tiny_bundle), "--critic-warmup-steps", "2",
                    "--epochs", "2", "--batch", "4", "--chunk-frames", "512", "--validate-every", "1", "--quiet")
    assert tuned.returncode == 0, tuned.stderr
    exported = subprocess.run([sys.executable, "-m", "kickgen.export.cli", str(run / "best.pt"), "--out",
                               str(tmp_path / "mine")], capture_output=True, text=True)
    assert exported.returncode == 0, exported.stderr
    for model in (tiny_bundle, tmp_path / "mine"):
        scored = kickgen("eval", str(features), "--model", str(model), "--sampling-songs", "0",
                         "--json", str(tmp_path / f"{model.name}.json"), "--quiet", "--force")
        assert scored.returncode == 0, scored.stderr
        document = json.loads((tmp_path / f"{model.name}.json").read_text())
        assert len(document["songs"]) == sum(e["split"] == "validation" and e["domain"] == "midi" for e in index["songs"])
        assert 0.0 <= document["mean"]["ground_truth"]["f"] <= 1.0
