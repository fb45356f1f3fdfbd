"""`kickgen eval`: Table 1 on a set of songs with the steering diagnostics, the sampling
study on the first songs and optionally the tempo study, in worker processes, to one
JSON document."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kickgen.engine.errors import InputFileError
from kickgen.engine.evaluation.metrics import OnsetScores
from kickgen.engine.evaluation.reference_songs import (
    ReferenceSong,
    load_feature_song,
    load_reference,
)
from kickgen.engine.evaluation.steering import (
    other_songs,
    other_style_scores,
    steering_scores,
    summarize_steering,
)
from kickgen.engine.evaluation.studies import sampling_study, tempo_invariance
from kickgen.engine.evaluation.table import evaluate_song, scores_json, summarize
from kickgen.engine.runtime.bundle import load_bundle
from kickgen.engine.signals.beat_grid import BeatGrid, with_beat_grid
from kickgen.engine.signals.feature_files import load_features
from kickgen.engine.signals.frames import CONTEXT_CHANNELS
from kickgen.engine.signals.midi import RoleMap
from kickgen.engine.signals.peaks import pick_peaks
from kickgen.engine.util.parallel import run_parallel


@dataclass(frozen=True)
class EvalJob:
    """One song's work: which song, in which domain, on which model, which studies."""

    path: Path
    meta: dict
    domain: str
    bundle_dir: Path | None
    threshold: float
    tempo: bool
    sampling: bool
    features_dir: Path | None = None
    roles: RoleMap = field(default_factory=RoleMap)  # how a MIDI file's notes are read (a corpus song's are GM)
    beat_grid: str = "tracked"  # audio domain: "tracked" by madmom, or the "score"'s grid (a producer's --grid-from)


def load_song(job: EvalJob) -> ReferenceSong:
    """The job's song; a cached feature file from `kickgen corpus features` stands in
    for the audio analysis when there is one. With `beat_grid` "score" the audio song's
    beat channels are the score's grid, as `render --grid-from` draws them."""
    if job.path.suffix == ".npz":  # a features folder's song
        return load_feature_song(job.path, meta=job.meta)
    song = load_reference(job.path, domain="midi", roles=job.roles, meta=job.meta)
    if job.domain == "midi":
        return song
    cached = None
    if job.features_dir and job.meta:
        candidate = job.features_dir / job.meta["split"] / f"{job.meta['song_id']}.audio.npz"
        cached = load_features(candidate) if candidate.exists() else None
    if cached is None:
        heard = load_reference(job.path, domain="audio", meta=job.meta)
        cached, bass_s = heard.signals, heard.bass_s
    else:
        bass_s = pick_peaks(cached.context[CONTEXT_CHANNELS.index("bass")], fps=cached.fps).times_s
    if job.beat_grid == "score":
        cached = with_beat_grid(cached, BeatGrid(song.signals.beat_times_s, song.signals.downbeat_times_s))
    return ReferenceSong(song.name, "audio", song.path, cached, song.notes, bass_s, job.meta, song.score_beats_s)


def run_job(job: EvalJob) -> dict:
    """One song's Table 1 entry, its zero-code and moved-grid scores, and its studies."""
    bundle = load_bundle(job.bundle_dir)
    song = load_song(job)
    table = evaluate_song(bundle, song, threshold=job.threshold)
    own_code = np.asarray(table["style_code"]["code"], dtype=np.float32)
    steering = steering_scores(bundle, song, own_code, threshold=job.threshold)
    result = {"table": table, "steering": {name: scores_json(s) for name, s in steering.items()}}
    if job.tempo:
        result["tempo"] = tempo_invariance(bundle, song, threshold=job.threshold)
    if job.sampling:
        result["sampling"] = sampling_study(bundle, song, threshold=job.threshold)
    return result


def run_other_styles(item: tuple[EvalJob, list[list[float]]]) -> dict:
    """One song's mean scores under other songs' style codes."""
    job, codes = item
    scores = other_style_scores(load_bundle(job.bundle_dir), load_song(job),
                                [np.asarray(c, dtype=np.float32) for c in codes], threshold=job.threshold)
    return scores_json(scores)


def steering_section(work: list[EvalJob], results: list[dict], *, jobs: int, progress: bool) -> dict:
    """The steering diagnostics of every song (other songs' styles need two songs or more)
    and their means (`summarize_steering`)."""
    songs = [{"song": r["table"]["song"], "own": scores_json(OnsetScores(**r["table"]["self_transfer"])),
              **r["steering"]} for r in results]
    if len(results) > 1:
        codes = [r["table"]["style_code"]["code"] for r in results]
        styles = [job.meta.get("style") for job in work]
        items = [(job, [codes[j] for j in other_songs(styles, i)]) for i, job in enumerate(work)]
        for song, other in zip(songs, run_parallel(run_other_styles, items, jobs=jobs,
                                                   desc="eval: other songs' styles", progress=progress)):
            song["other_styles"] = other
    return {**summarize_steering(songs), "songs": songs}


def run_eval(
    songs: list[tuple[Path, dict]], *, domain: str, bundle_dir: Path | None, threshold: float | None,
    tempo_songs: int, sampling_songs: int, jobs: int, features_dir: Path | None = None, progress: bool = True,
    roles: RoleMap = RoleMap(), beat_grid: str = "tracked",
) -> dict:
    """Evaluate `songs` ((path, manifest entry) pairs). The tempo study runs on the first
    `tempo_songs` songs, the sampling study on the first `sampling_songs`; peaks are picked
    at `threshold` (None: the bundle's). Returns the JSON document (see `summarize`), with
    the model's id, a `steering` section and, when run, `tempo_invariance` and `sampling`
    sections."""
    if not songs:
        raise InputFileError("eval", "no songs to evaluate")
    bundle = load_bundle(bundle_dir)
    threshold = bundle.peak_threshold(threshold)
    work = [EvalJob(p, meta, domain, bundle_dir, threshold, i < tempo_songs, i < sampling_songs, features_dir, roles,
                    beat_grid) for i, (p, meta) in enumerate(songs)]
    results = run_parallel(run_job, work, jobs=jobs, desc=f"eval ({domain})", progress=progress)
    document = {"model": bundle.id, "domain": domain, "threshold": threshold,
                **({"beat_grid": beat_grid} if domain == "audio" else {}),
                **summarize([r["table"] for r in results]),
                "steering": steering_section(work, results, jobs=jobs, progress=progress)}
    tempo = [r["tempo"] for r in results if "tempo" in r]
    if tempo:
        factors = list(tempo[0]["agreement_f"])
        document["tempo_invariance"] = {
            "songs": tempo,
            "mean_f": {f: round(sum(t["agreement_f"][f] for t in tempo) / len(tempo), 4) for f in factors},
            "mean_over_factors": round(sum(t["mean_f"] for t in tempo) / len(tempo), 4),
        }
    studies = [r["sampling"] for r in results if "sampling" in r]
    if studies:
        document["sampling"] = {
            "songs": studies,
            "mean_diversity_picked": round(sum(s["diversity_picked"] for s in studies) / len(studies), 4),
            "mean_plausible_share": round(sum(s["plausible_share"] for s in studies) / len(studies), 4),
            "own_kicks_plausible_share": round(sum(s["own_kicks_plausible"] for s in studies) / len(studies), 4),
            "codes_from": (f"the style prior ({bundle.style_prior.songs} songs)" if bundle.style_prior
                           else "N(0, I)"),
        }
    return document
