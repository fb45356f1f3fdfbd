"""The corpus pipeline on two real mma style files: build, features of both domains,
`kickgen eval` with a tiny model, factory presets and the report. Needs mma,
fluidsynth and fluid-soundfont-gm (installed by `make test`)."""

import json
import subprocess
import sys

import mido
import numpy as np
import pytest

from kickgen.engine.corpus.build import build_corpus, split_styles
from kickgen.engine.corpus.features import extract_corpus_features
from kickgen.engine.corpus.grooves import StyleFile, family_of, groove_role
from kickgen.engine.corpus.manifest import MANIFEST_NAME
from kickgen.engine.evaluation.report import by_style_file, write_report
from kickgen.engine.model.checkpoint import CHECKPOINT_NAME
from kickgen.engine.model.demo import quick_train
from kickgen.engine.producer.factory_presets import make_factory_presets
from kickgen.engine.producer.preset_format import load_preset
from kickgen.engine.runtime.bundle import ModelBundle
from kickgen.engine.signals.audio import load_audio
from kickgen.engine.signals.feature_files import feature_files, load_features
from kickgen.engine.signals.parts import extract_parts, read_parts_midi
from kickgen.export.onnx_export import export_checkpoint

STYLES = ("casio/house", "stdlib/waltz")
KICKGEN = [sys.executable, "-m", "kickgen.engine.cli"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    build_corpus(out, n_songs=3, seed=0, jobs=2, only_styles=STYLES, progress=False)
    return out


@pytest.fixture(scope="module")
def features(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("features")
    extract_corpus_features(corpus, out, jobs=2, progress=False)
    return out


@pytest.fixture(scope="module")
def bundle_dir(features, tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    songs = [load_features(p) for split in ("train", "validation") if (features / split).exists()
             for p in feature_files(features / split)]
    quick_train(songs, out_dir=run, epochs=3, progress=False)
    out = tmp_path_factory.mktemp("bundles") / "tiny"
    export_checkpoint(run / CHECKPOINT_NAME, out)
    return out


def test_songs_have_all_parts_and_equal_length_stems(corpus):
    manifest = json.loads((corpus / MANIFEST_NAME).read_text())
    assert len(manifest["songs"]) == 3 and "GPL-2+" in manifest["sources"]["grooves"]
    assert {s["style"] for s in manifest["songs"]} == set(STYLES)
    for entry in manifest["songs"]:
        song_dir = corpus / entry["path"]
        parts = read_parts_midi(song_dir / "song.mid")
        assert parts.kick > 0 and parts.snare > 0 and parts.bass > 0
        assert entry["meter"] == ("3/4" if entry["style"] == "stdlib/waltz" else "4/4")
        assert 70 <= entry["tempo_bpm"] <= 180 and entry["licence"].startswith("GPL-2+")
        lengths = {len(load_audio(song_dir / f"{part}.flac")) for part in ("kick", "snare", "bass")}
        assert len(lengths) == 1
        assert abs(lengths.pop() / 44100 - (entry["duration_s"] + 1.0)) < 0.01
        names = [t.name for t in mido.MidiFile(song_dir / "song.mid").tracks]
        assert names == ["Meta", "Kick", "Snare", "Bass"]


def test_a_second_build_reuses_every_song(corpus):
    before = {p: p.stat().st_mtime_ns for p in (corpus / "songs").rglob("*.flac")}
    build_corpus(corpus, n_songs=3, seed=0, jobs=1, only_styles=STYLES, progress=False)
    assert before == {p: p.stat().st_mtime_ns for p in (corpus / "songs").rglob("*.flac")}


def test_every_build_of_a_song_writes_the_same_midi(corpus, tmp_path):
    build_corpus(tmp_path, n_songs=3, seed=0, jobs=2, only_styles=STYLES, progress=False)
    songs = sorted((corpus / "songs").glob("*/song.mid"))
    assert len(songs) == 3
    assert all(song.read_bytes() == (tmp_path / "songs" / song.parent.name / "song.mid").read_bytes() for song in songs)


def test_a_song_whose_plan_changed_is_built_again(tmp_path):
    first = build_corpus(tmp_path, n_songs=1, seed=0, jobs=1, only_styles=("casio/house",), progress=False)
    second = build_corpus(tmp_path, n_songs=1, seed=1, jobs=1, only_styles=("casio/house",), progress=False)
    assert first[0]["song_id"] == second[0]["song_id"] and first[0]["tempo_bpm"] != second[0]["tempo_bpm"]
    plan = json.loads((tmp_path / second[0]["path"] / "plan.json").read_text())
    assert plan["tempo_bpm"] == second[0]["tempo_bpm"]


def test_features_of_both_domains_align_with_the_song(corpus, features):
    files = sorted(features.rglob("*.npz"))
    assert len(files) == 6
    for midi_file in [f for f in files if f.name.endswith(".midi.npz")]:
        midi = load_features(midi_file)
        audio = load_features(midi_file.with_name(midi_file.name.replace(".midi.", ".audio.")))
        assert midi.kick is not None and audio.kick is not None and not audio.silent_channels
        # the audio runs one second longer (release tails); kicks agree where both run
        n = midi.n_frames
        lag = np.argmax(np.correlate(audio.kick[0, :n], midi.kick[0], mode="full")) - (n - 1)
        assert abs(lag) <= 1
    written = extract_corpus_features(corpus, features, jobs=1, progress=False)
    assert written == 0  # everything cached


def test_bass_is_chosen_by_program_not_by_track_name(tmp_path):
    midi = mido.MidiFile(ticks_per_beat=480)
    for name, channel, program, note in (("Bass", 1, 27, 50), ("Low part", 2, 33, 40)):
        track = mido.MidiTrack([mido.MetaMessage("track_name", name=name),
                                mido.Message("program_change", channel=channel, program=program)])
        track += [mido.Message("note_on", channel=channel, note=note, velocity=90, time=0),
                  mido.Message("note_off", channel=channel, note=note, velocity=0, time=480)]
        midi.tracks.append(track)
    drums = mido.MidiTrack([mido.Message("note_on", channel=9, note=36, velocity=100),
                            mido.Message("note_off", channel=9, note=36, time=10),
                            mido.Message("note_on", channel=9, note=38, velocity=100),
                            mido.Message("note_off", channel=9, note=38, time=10)])
    midi.tracks.append(drums)
    midi.save(tmp_path / "in.mid")
    extract_parts(tmp_path / "in.mid", tmp_path / "parts.mid")
    bass = next(t for t in mido.MidiFile(tmp_path / "parts.mid").tracks if t.name == "Bass")
    assert [m.note for m in bass if m.type == "note_on"] == [40]
    assert [m.program for m in bass if m.type == "program_change"] == [33]


def test_splits_go_by_style_file_and_families_are_named():
    styles = [StyleFile(f"casio/rock{i}", ("Rock",)) for i in range(12)] + [StyleFile("zoom/house", ("H",))]
    split = split_styles(styles, seed=0)
    assert sum(v == "validation" for v in split.values()) == 2 and split["zoom/house"] == "train"
    assert family_of("casio/hip-hop")[0] == "hip-hop" and family_of("stdlib/rockballad")[0] == "ballad"
    assert [groove_role(g) for g in ("HouseIntro", "House", "HouseEnd", "RockFill")] == [
        "intro", "main", "ending", "fill"]


def test_eval_json_and_report(corpus, features, bundle_dir, tmp_path):
    result = subprocess.run(
        [*KICKGEN, "eval", str(corpus), "--split", "train", "--model", str(bundle_dir), "--json",
         str(tmp_path / "eval-midi.json"), "--tempo-png", str(tmp_path / "tempo-midi.png"), "--tempo-songs", "1",
         "--sampling-png", str(tmp_path / "sampling-midi.png"), "--quiet"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "style transfer to self" in result.stdout
    document = json.loads((tmp_path / "eval-midi.json").read_text())
    n_train = sum(1 for p in (features / "train").glob("*.midi.npz"))
    assert document["n_songs"] == len(document["songs"]) == n_train
    for name in ("ground_truth", "self_transfer"):
        assert set(document["mean"][name]) == {"precision", "recall", "f"}
    baselines = document["mean"]["baselines"]
    assert set(baselines) == {"four_on_the_floor", "bass_onsets", "looped_bar"}
    assert all(0 <= s["f"] <= 1 for s in baselines.values())
    assert baselines["looped_bar"]["f"] >= 0.8  # mma grooves repeat their bars
    kicks_by_position = document["by_position"]["ground_truth"]
    n_kicks = sum(read_parts_midi(corpus / entry["path"] / "song.mid").kick
                  for entry in json.loads((corpus / MANIFEST_NAME).read_text())["songs"] if entry["split"] == "train")
    assert 0.9 * n_kicks <= sum(p["kicks"] for p in kicks_by_position.values()) <= n_kicks
    assert kicks_by_position["beat"]["share"] > 0.3 and "recall by position, ground-truth codes" in result.stdout
    assert set(document["tempo_invariance"]["mean_f"]) == {"0.8", "0.9", "1.1", "1.2"}
    assert 0 <= document["sampling"]["mean_diversity_picked"] <= 1
    for png in ("tempo-midi.png", "sampling-midi.png"):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"
    (tmp_path / "history.json").write_text(json.dumps(
        [{"epoch": e, "seconds": 10.0, "frames_per_s": 100.0, "mse": mse, "const": 0.1, "std": 0.5, "adv": 0.2,
          "gp": 0.01} for e, mse in ((1, 0.5), (2, 1.0))]))
    (tmp_path / "eval-midi-train.json").write_text((tmp_path / "eval-midi.json").read_text())
    write_report(tmp_path, tmp_path / "results.md")
    report = (tmp_path / "results.md").read_text()
    assert "| ground-truth codes |" in report and "Tempo invariance over 1 songs" in report
    styles = {song["style"] for song in document["songs"]}
    assert f"Mean F over the {len(styles)} style files" in report
    assert all(f"| {style} |" in report for style in styles)
    assert f"| training ({n_train}) |" in report and f"| validation ({n_train}) |" in report
    assert (tmp_path / "songs.png").read_bytes()[:4] == b"\x89PNG"
    assert "| training, midi | ground truth |" in report and "| sixteenth off-beats |" in report
    assert "2 epochs" in report and "The bundle holds epoch 1, the lowest training mse (0.5)" in report


def test_style_files_are_averaged_over_their_songs_worst_first():
    def song(style, gt, self_f, loop):
        return {"song": style, "style": style, "family": "pop", "ground_truth": {"f": gt},
                "self_transfer": {"f": self_f}, "baselines": {"looped_bar": {"f": loop}}}

    rows = by_style_file({"songs": [song("a/x", 0.9, 0.8, 1.0), song("a/x", 0.7, 0.6, 0.8), song("b/y", 0.5, 0.4, 0.9)]})
    assert [r["style"] for r in rows] == ["b/y", "a/x"] and rows[1]["songs"] == 2
    assert rows[1]["ground_truth"] == pytest.approx(0.8) and rows[1]["self_transfer"] == pytest.approx(0.7)
    assert rows[1]["looped_bar"] == pytest.approx(0.9)


def test_audio_domain_eval_uses_cached_features(corpus, features, bundle_dir, tmp_path):
    result = subprocess.run(
        [*KICKGEN, "eval", str(corpus), "--split", "train", "--domain", "audio", "--features", str(features),
         "--model", str(bundle_dir), "--json", str(tmp_path / "eval.json"), "--quiet", "--jobs", "1"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "eval.json").read_text())
    assert document["domain"] == "audio" and document["mean"]["baselines"]["looped_bar"]["f"] >= 0.8


def test_factory_presets_are_tied_to_the_bundle(corpus, bundle_dir, tmp_path):
    bundle = ModelBundle.load(bundle_dir)
    paths = make_factory_presets(corpus, bundle, tmp_path, factory=(("house", "casio/house", "four on the floor"),))
    preset = load_preset(paths[0])
    assert paths[0].name == "house.json" and preset.model_id == bundle.id
    assert len(preset.code) == bundle.info.code_size and preset.clustering["k"] >= 1
    assert preset.source["file"].endswith("song.mid") and len(preset.source["sha256"]) == 64
    with pytest.raises(Exception, match="already exists"):
        make_factory_presets(corpus, bundle, tmp_path, factory=(("house", "casio/house", ""),))


def test_corpus_build_refuses_an_unknown_style_in_one_line(tmp_path):
    result = subprocess.run([*KICKGEN, "corpus", "build", "--out", str(tmp_path / "c"), "--styles", "casio/nope"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "casio/nope" in result.stderr

