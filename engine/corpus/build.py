"""Building the training corpus: songs planned over mma's hand-written grooves
(`corpus.plans`) and, on request, human-written songs (`corpus.human_songs`), each
rendered to a GM MIDI file (kick, snare and bass parts) and three 44.1 kHz audio stems
(`corpus.sound`), in the folder layout `corpus.manifest` describes."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

from kickgen.engine.corpus.grooves import (
    MMA_LIBRARY,
    MMA_LICENCE,
    GrooveProbe,
    MmaError,
    StyleFile,
    discover_styles,
    probe_groove,
)
from kickgen.engine.corpus.human_songs import FREEDOOM_LICENCE, HumanSongPlan, plan_human_songs
from kickgen.engine.corpus.manifest import (
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    PLAN_NAME,
    PROBES_NAME,
    SONGS_DIR,
    STEM_SUFFIX,
)
from kickgen.engine.corpus.plans import VALIDATION_SHARE, SongPlan, plan_corpus
from kickgen.engine.corpus.sound import StemSound, render_stems
from kickgen.engine.signals.fluidsynth import SOUNDFONTS, check_synth
from kickgen.engine.signals.frames import SAMPLE_RATE
from kickgen.engine.signals.hydrogen import HYDROGEN_LICENCE
from kickgen.engine.signals.parts import extract_parts, read_parts_midi
from kickgen.engine.util.atomic import atomic_path, creation_mode
from kickgen.engine.util.parallel import run_parallel

TAIL_S = 1.0  # audio kept after the last note-off, for release tails


def _probe(item: tuple[str, str]) -> GrooveProbe:
    return probe_groove(*item)


def probe_library(styles: list[StyleFile], cache: Path, *, jobs: int, progress: bool) -> dict[tuple[str, str], GrooveProbe]:
    """Probe every groove of `styles`, reusing and extending the JSON cache at `cache`."""
    known: dict[tuple[str, str], GrooveProbe] = {}
    if cache.exists():
        for entry in json.loads(cache.read_text()):
            probe = GrooveProbe(**{**entry, "meter": tuple(entry["meter"])})
            known[(probe.style, probe.groove)] = probe
    todo = [(s.name, g) for s in styles for g in s.grooves if (s.name, g) not in known]
    for probe in run_parallel(_probe, todo, jobs=jobs, desc="probing grooves", unit="groove",
                              progress=progress):
        known[(probe.style, probe.groove)] = probe
    with atomic_path(cache, force=True) as tmp:
        tmp.write_text(json.dumps([asdict(p) for p in known.values()], indent=1))
    return known


def sources(songs: list[dict], library: Path) -> dict[str, str]:
    """Where the songs' material comes from, with licences: only what the songs use."""
    used = {"grooves": any(s["source_package"] == "mma" for s in songs),
            "songs": any(s["source_package"] == "freedoom" for s in songs),
            "drum kits": any(s["drum_kit"] for s in songs)}
    found = {"grooves": f"Debian package mma, {library}; licence {MMA_LICENCE}",
             "songs": f"Debian package freedoom (its MIDI music); licence {FREEDOOM_LICENCE}",
             "drum kits": f"Debian package hydrogen-drumkits (kick and snare samples); licence {HYDROGEN_LICENCE}"}
    for name in sorted({s["soundfont"] for s in songs}):
        path, package, licence = SOUNDFONTS[name]
        found[f"soundfont {name}"] = f"Debian package {package}, {path.name}; licence {licence}"
    return {key: value for key, value in found.items() if used.get(key, True)}


def render_song(job: tuple[SongPlan | HumanSongPlan, Path]) -> dict:
    """Write one song's folder (in a staging folder, renamed when complete); returns its
    manifest entry. A finished folder of the same plan is kept (builds resume)."""
    plan, songs_dir = job
    final = songs_dir / plan.song_id
    plan_json = json.dumps(asdict(plan), indent=1)
    done = (final / PLAN_NAME).exists() and (final / PLAN_NAME).read_text() == plan_json
    if not done:
        songs_dir.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(dir=songs_dir, prefix=f".{plan.song_id}."))
        stage.chmod(creation_mode(directory=True))
        try:
            plan.write_arrangement(stage / "arrangement.mid")
            extract_parts(stage / "arrangement.mid", stage / "song.mid")
            (stage / "arrangement.mid").unlink()
            n_samples = round((read_parts_midi(stage / "song.mid").duration_s + TAIL_S) * SAMPLE_RATE)
            render_stems(stage / "song.mid", stage, StemSound(plan.soundfont, plan.drum_kit), n_samples=n_samples,
                         suffix=STEM_SUFFIX)
            (stage / PLAN_NAME).write_text(plan_json)
            shutil.rmtree(final, ignore_errors=True)
            stage.rename(final)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    summary = read_parts_midi(final / "song.mid")
    entry = {
        **asdict(plan),
        "duration_s": round(summary.duration_s, 3),
        "notes": {"kick": summary.kick, "snare": summary.snare, "bass": summary.bass},
        "path": f"{SONGS_DIR}/{plan.song_id}",
    }
    if isinstance(plan, HumanSongPlan):
        return {**entry, "sections": [], "grooves": [], "licence": FREEDOOM_LICENCE}
    return {**entry, "sections": [list(s) for s in plan.sections], "grooves": sorted({g for g, _ in plan.sections}),
            "source_package": "mma", "licence": MMA_LICENCE}


def build_corpus(
    out: Path, *, n_songs: int, seed: int = 0, jobs: int = 2, only_styles: tuple[str, ...] = (),
    library: Path = MMA_LIBRARY, human_songs: bool = False, progress: bool = True,
) -> list[dict]:
    """Probe the grooves, plan `n_songs` songs over them (and, with `human_songs`, add the
    human-written songs of the installed packages: `corpus.human_songs`) and render them
    into `out`; writes and returns the manifest's song entries."""
    if shutil.which("mma") is None:
        raise MmaError("mma is not installed (apt-get install mma; see `make corpus`)")
    check_synth()
    styles = discover_styles(library, only=only_styles)
    out.mkdir(parents=True, exist_ok=True)
    probes = probe_library(styles, out / PROBES_NAME, jobs=jobs, progress=progress)
    plans: list[SongPlan | HumanSongPlan] = plan_corpus(styles, probes, n_songs=n_songs, seed=seed)
    if human_songs:
        plans += plan_human_songs(first_index=len(plans), seed=seed, validation_share=VALIDATION_SHARE)
    songs = run_parallel(render_song, [(p, out / SONGS_DIR) for p in plans], jobs=jobs,
                         desc="rendering songs", progress=progress)
    manifest = {"format": MANIFEST_FORMAT, "seed": seed, "sources": sources(songs, library), "songs": songs}
    with atomic_path(out / MANIFEST_NAME, force=True) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1))
    return songs
