"""`kickgen eval` on a tiny tiny_corpus: the JSON, the tables, the studies' figures and the report written from them."""

import json
import re
import shutil
from pathlib import Path

import mido
import numpy as np
import pytest

from kickgen.engine.corpus.manifest import MANIFEST_NAME
from kickgen.engine.evaluation.calibration import THRESHOLDS
from kickgen.engine.evaluation.reference_songs import load_feature_song
from kickgen.engine.evaluation.report import write_report
from kickgen.engine.evaluation.studies import sampling_study
from kickgen.engine.runtime.bundle import load_bundle
from kickgen.engine.runtime.style import sample_code
from kickgen.engine.signals.parts import read_parts_midi


def test_eval_json_and_report(tiny_corpus, corpus_features, corpus_bundle, tmp_path, kickgen):
    result = kickgen("eval", tiny_corpus, "--split", "train", "--model", corpus_bundle, "--json",
                     tmp_path / "eval-midi.json", "--tempo-png", tmp_path / "tempo-midi.png", "--tempo-songs", "1",
                     "--sampling-png", tmp_path / "sampling-midi.png", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "style transfer to self" in result.stdout
    document = json.loads((tmp_path / "eval-midi.json").read_text())
    n_train = sum(1 for p in (corpus_features / "train").glob("*.midi.npz"))
    assert document["n_songs"] == len(document["songs"]) == n_train
    for name in ("ground_truth", "self_transfer"):
        assert set(document["mean"][name]) == {"precision", "recall", "f"}
    baselines = document["mean"]["baselines"]
    assert set(baselines) == {"four_on_the_floor", "bass_onsets", "looped_bar"}
    assert all(0 <= s["f"] <= 1 for s in baselines.values())
    assert baselines["looped_bar"]["f"] >= 0.8  # mma grooves repeat their bars
    kicks_by_position = document["by_position"]["ground_truth"]
    n_kicks = sum(read_parts_midi(tiny_corpus / entry["path"] / "song.mid").kick
                  for entry in json.loads((tiny_corpus / MANIFEST_NAME).read_text())["songs"] if entry["split"] == "train")
    assert 0.9 * n_kicks <= sum(p["kicks"] for p in kicks_by_position.values()) <= n_kicks
    assert kicks_by_position["beat"]["share"] > 0.3 and "recall by position, ground-truth codes" in result.stdout
    assert set(document["tempo_invariance"]["mean_f"]) == {"0.8", "0.9", "1.1", "1.2"}
    sampling = document["sampling"]
    assert 0 <= sampling["mean_diversity_picked"] <= 1
    own_plausible = [song["own_kicks_plausible"] for song in sampling["songs"]]
    assert sampling["own_kicks_plausible_share"] == round(sum(own_plausible) / len(own_plausible), 4)
    assert "the songs' own kicks" in result.stdout
    assert sampling["codes_from"] == "N(0, I)" and "codes from N(0, I)" in result.stdout  # no style prior yet
    steering = document["steering"]
    assert steering["n_songs"] == n_train and len(steering["songs"]) == n_train
    assert steering["own"] == document["mean"]["self_transfer"]["f"]
    for name in ("other_styles", "zero_code", "bar_shifted"):
        assert 0 <= steering[name] <= 1 and all(0 <= s[name]["f"] <= 1 for s in steering["songs"])
    assert steering["own_minus_other"] == pytest.approx(steering["own"] - steering["other_styles"], abs=1e-3)
    assert "steering: own style F" in result.stdout and "downbeat moved one beat" in result.stdout
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
    assert f"| training ({n_train}; peaks at 0.25) |" in report and f"| validation ({n_train}; peaks at 0.25) |" in report
    assert (tmp_path / "songs.png").read_bytes()[:4] == b"\x89PNG"
    assert "| training, midi | ground truth |" in report and "| sixteenth off-beats |" in report
    assert "2 epochs" in report and "The bundle holds epoch 1, the lowest training mse (0.5)" in report


def test_audio_domain_eval_uses_cached_features(tiny_corpus, corpus_features, corpus_bundle, tmp_path, kickgen):
    result = kickgen("eval", tiny_corpus, "--split", "train", "--domain", "audio", "--features", corpus_features,
                     "--model", corpus_bundle, "--json", tmp_path / "eval.json", "--quiet", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "eval.json").read_text())
    # beats tracked from humanized, swung audio: the looped bar sits less well than on the score (>= 0.8)
    assert document["domain"] == "audio" and document["mean"]["baselines"]["looped_bar"]["f"] >= 0.5


def test_eval_reads_a_freely_named_song_with_the_role_flags(tmp_path, kickgen, one_line_error):
    """The bass of the example song, moved to a piano program on a track named "Low end":
    General MIDI finds no bass until --bass-track names it."""

    song = mido.MidiFile(Path(__file__).resolve().parents[3] / "examples" / "demo-song" / "song.mid")
    for track in song.tracks:
        if "bass" in (track.name or "").lower():
            track.name = "Low end"
            for msg in track:
                if msg.type == "program_change":
                    msg.program = 0
    song.save(tmp_path / "renamed.mid")
    one_line_error(kickgen("eval", tmp_path / "renamed.mid", "--quiet"), "renamed.mid", "no bass notes")
    result = kickgen("eval", tmp_path / "renamed.mid", "--quiet", "--bass-track", "low end")
    assert result.returncode == 0, result.stderr
    assert "1 songs, midi domain" in result.stdout


def test_calibrate_gives_a_bundle_its_training_songs_spread_of_styles_and_best_threshold(
        tiny_corpus, corpus_features, corpus_bundle, tmp_path, kickgen, one_line_error):
    bundle_dir = tmp_path / "bundle"
    shutil.copytree(corpus_bundle, bundle_dir)
    before = load_bundle(bundle_dir)
    assert before.style_prior is None and before.peak_threshold() == 0.25
    result = kickgen("calibrate", tiny_corpus, "--model", bundle_dir, "--features", corpus_features,
                     "--domains", "midi", "audio", "--jobs", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    n_train = sum(1 for _ in (corpus_features / "train").glob("*.midi.npz"))
    assert f"on {2 * n_train} training songs (midi, audio)" in result.stdout
    after = load_bundle(bundle_dir)
    assert after.id == before.id and after.style_prior.songs == 2 * n_train  # the weights, and so the presets, stay
    assert np.all(np.linalg.eigvalsh(after.style_prior.factor @ after.style_prior.factor.T) > 0)
    # the threshold chosen is one of those weighed, and the best by the F the command printed
    assert after.peak_threshold() in THRESHOLDS and after.peak_threshold(0.3) == 0.3
    assert f"threshold: {after.peak_threshold():g} (was 0.25)" in result.stdout
    f_line = next(line for line in result.stdout.splitlines() if line.startswith("F by peak threshold"))
    f = [[float(v) for v in re.findall(r"[\d.]+:([\d.]+)", part)] for part in f_line.split(";")]
    assert THRESHOLDS[int(np.argmax(np.mean(f, axis=0)))] == after.peak_threshold()
    # what `eval` samples (and `render --seed`, variations, the bridge) comes from the prior
    study = sampling_study(after, load_feature_song(next((corpus_features / "train").glob("*.midi.npz")), meta={}),
                           n_samples=3, n_pick=2)
    want, code_size = np.random.default_rng(0), after.info.code_size
    assert np.allclose(study["codes"], [sample_code(want, code_size=code_size, prior=after.style_prior)
                                        for _ in range(3)], atol=1e-6)
    # `eval` picks peaks at the bundle's threshold unless told otherwise
    evaluated = kickgen("eval", tiny_corpus, "--split", "train", "--model", bundle_dir, "--json", tmp_path / "e.json",
                        "--sampling-songs", "1", "--jobs", "1", "--quiet")
    assert evaluated.returncode == 0, evaluated.stderr
    document = json.loads((tmp_path / "e.json").read_text())
    assert document["threshold"] == after.peak_threshold()
    assert document["sampling"]["codes_from"] == f"the style prior ({2 * n_train} songs)"
    one_line_error(kickgen("calibrate", tiny_corpus, "--model", bundle_dir, "--features", corpus_features),
                   "is calibrated already")
