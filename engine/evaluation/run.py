"""`kickgen eval`: Table 1 on a set of songs, optionally the tempo and sampling studies,
in worker processes, to one JSON document."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kickgen.engine.errors import InputFileError
from kickgen.engine.evaluation.reference_songs import ReferenceSong, load_reference
from kickgen.engine.evaluation.studies import sampling_study, tempo_invariance
from kickgen.engine.evaluation.table import evaluate_song, summarize
from kickgen.engine.runtime.bundle import load_bundle
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


def load_song(job: EvalJob) -> ReferenceSong:
    """The job's song; a cached feature file from `kickgen corpus features` stands in
    for the audio analysis when there is one."""
    song = load_reference(job.path, domain="midi", roles=job.roles, meta=job.meta)
    if job.domain == "midi":
        return song
    cached = None
    if job.features_dir and job.meta:
        candidate = job.features_dir / job.meta["split"] / f"{job.meta['song_id']}.audio.npz"
        cached = load_features(candidate) if candidate.exists() else None
    if cached is None:
        return load_reference(job.path, domain="audio", meta=job.meta)
    bass_s = pick_peaks(cached.context[CONTEXT_CHANNELS.index("bass")], fps=cached.fps).times_s
    return ReferenceSong(song.name, "audio", song.path, cached, song.notes, bass_s, job.meta, song.score_beats_s)


def run_job(job: EvalJob) -> dict:
    bundle = load_bundle(job.bundle_dir)
    song = load_song(job)
    result = {"table": evaluate_song(bundle, song, threshold=job.threshold)}
    if job.tempo:
        result["tempo"] = tempo_invariance(bundle, song, threshold=job.threshold)
    if job.sampling:
        result["sampling"] = sampling_study(bundle, song, threshold=job.threshold)
    return result


def run_eval(
    songs: list[tuple[Path, dict]], *, domain: str, bundle_dir: Path | None, threshold: float,
    tempo_songs: int, sampling: bool, jobs: int, features_dir: Path | None = None, progress: bool = True,
    roles: RoleMap = RoleMap(),
) -> dict:
    """Evaluate `songs` ((path, manifest entry) pairs). The tempo study runs on the first
    `tempo_songs` songs. Returns the JSON document (see `summarize`), with the model's id
    and, when run, `tempo_invariance` and `sampling` sections."""
    if not songs:
        raise InputFileError("eval", "no songs to evaluate")
    bundle = load_bundle(bundle_dir)
    work = [EvalJob(p, meta, domain, bundle_dir, threshold, i < tempo_songs, sampling, features_dir, roles)
            for i, (p, meta) in enumerate(songs)]
    results = run_parallel(run_job, work, jobs=jobs, desc=f"eval ({domain})", progress=progress)
    document = {"model": bundle.id, "domain": domain, "threshold": threshold,
                **summarize([r["table"] for r in results])}
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
        }
    return document
