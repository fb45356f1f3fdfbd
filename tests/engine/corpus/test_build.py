"""Building the tiny_corpus from mma's grooves: every part in every song, equal-length stems, builds that resume and repeat, splits by style file."""

import json

import mido

from kickgen.engine.corpus.build import build_corpus
from kickgen.engine.corpus.grooves import StyleFile, family_of, groove_role
from kickgen.engine.corpus.manifest import MANIFEST_NAME
from kickgen.engine.corpus.plans import split_styles
from kickgen.engine.signals.audio import load_audio
from kickgen.engine.signals.parts import read_parts_midi

STYLES = ("casio/house", "stdlib/waltz")


def test_songs_have_all_parts_and_equal_length_stems(tiny_corpus):
    manifest = json.loads((tiny_corpus / MANIFEST_NAME).read_text())
    assert len(manifest["songs"]) == 3 and "GPL-2+" in manifest["sources"]["grooves"]
    assert {s["style"] for s in manifest["songs"]} == set(STYLES)
    for entry in manifest["songs"]:
        song_dir = tiny_corpus / entry["path"]
        parts = read_parts_midi(song_dir / "song.mid")
        assert parts.kick > 0 and parts.snare > 0 and parts.bass > 0
        assert entry["meter"] == ("3/4" if entry["style"] == "stdlib/waltz" else "4/4")
        assert 70 <= entry["tempo_bpm"] <= 180 and entry["licence"].startswith("GPL-2+")
        lengths = {len(load_audio(song_dir / f"{part}.flac")) for part in ("kick", "snare", "bass")}
        assert len(lengths) == 1
        assert abs(lengths.pop() / 44100 - (entry["duration_s"] + 1.0)) < 0.01
        names = [t.name for t in mido.MidiFile(song_dir / "song.mid").tracks]
        assert names == ["Meta", "Kick", "Snare", "Bass"]


def test_a_second_build_reuses_every_song(tiny_corpus):
    before = {p: p.stat().st_mtime_ns for p in (tiny_corpus / "songs").rglob("*.flac")}
    build_corpus(tiny_corpus, n_songs=3, seed=0, jobs=1, only_styles=STYLES, progress=False)
    assert before == {p: p.stat().st_mtime_ns for p in (tiny_corpus / "songs").rglob("*.flac")}


def test_every_build_of_a_song_writes_the_same_midi(tiny_corpus, tmp_path):
    build_corpus(tmp_path, n_songs=3, seed=0, jobs=2, only_styles=STYLES, progress=False)
    songs = sorted((tiny_corpus / "songs").glob("*/song.mid"))
    assert len(songs) == 3
    assert all(song.read_bytes() == (tmp_path / "songs" / song.parent.name / "song.mid").read_bytes() for song in songs)


def test_a_song_whose_plan_changed_is_built_again(tmp_path):
    first = build_corpus(tmp_path, n_songs=1, seed=0, jobs=1, only_styles=("casio/house",), progress=False)
    second = build_corpus(tmp_path, n_songs=1, seed=1, jobs=1, only_styles=("casio/house",), progress=False)
    assert first[0]["song_id"] == second[0]["song_id"] and first[0]["tempo_bpm"] != second[0]["tempo_bpm"]
    plan = json.loads((tmp_path / second[0]["path"] / "plan.json").read_text())
    assert plan["tempo_bpm"] == second[0]["tempo_bpm"]


def test_splits_go_by_style_file_and_families_are_named():
    styles = [StyleFile(f"casio/rock{i}", ("Rock",)) for i in range(12)] + [StyleFile("zoom/house", ("H",))]
    split = split_styles(styles, seed=0)
    assert sum(v == "validation" for v in split.values()) == 2 and split["zoom/house"] == "train"
    assert family_of("casio/hip-hop")[0] == "hip-hop" and family_of("stdlib/rockballad")[0] == "ballad"
    assert [groove_role(g) for g in ("HouseIntro", "House", "HouseEnd", "RockFill")] == [
        "intro", "main", "ending", "fill"]
