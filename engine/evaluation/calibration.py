"""`kickgen calibrate`: where a bundle's random styles are drawn from. The styles that
`reference_style` finds in the model's training songs (as `preset save` finds them) are
fitted with a Gaussian (`StylePrior`), written into the bundle's bundle.json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from kickgen.engine.evaluation.run import EvalJob, load_song
from kickgen.engine.evaluation.table import style_of
from kickgen.engine.runtime.bundle import load_bundle
from kickgen.engine.runtime.bundle_files import INFO_FILE, BundleInfo
from kickgen.engine.runtime.style import StylePrior
from kickgen.engine.signals.peaks import DEFAULT_THRESHOLD
from kickgen.engine.util.atomic import atomic_path
from kickgen.engine.util.parallel import run_parallel


def evenly_spaced(items: list, n: int) -> list:
    """`n` of `items` spread over the whole list (all of them when there are no more)."""
    if len(items) <= n:
        return list(items)
    return [items[i] for i in np.linspace(0, len(items) - 1, n).round().astype(int)]


def song_style(job: EvalJob) -> list[float]:
    """The style code (K,) `reference_style` finds in the job's song."""
    _, style = style_of(load_bundle(job.bundle_dir), load_song(job))
    return style.code.tolist()


def fit_style_prior(
    songs: list[tuple[Path, dict, str]], *, bundle_dir: Path, features_dir: Path | None, jobs: int,
    progress: bool = True,
) -> StylePrior:
    """The Gaussian of the styles of `songs` ((path, manifest entry, domain) triples)."""
    work = [EvalJob(path, meta, domain, bundle_dir, DEFAULT_THRESHOLD, False, False, features_dir)
            for path, meta, domain in songs]
    codes = run_parallel(song_style, work, jobs=jobs, desc="calibrate: styles", progress=progress)
    return StylePrior.fit(np.asarray(codes))


def write_style_prior(bundle_dir: Path, prior: StylePrior) -> None:
    """Put `prior` into the bundle's bundle.json, atomically (its id, over the ONNX files, stays)."""
    info = BundleInfo.read(bundle_dir)
    data = {**info.to_json(), "style_prior": prior.to_json()}
    with atomic_path(bundle_dir / INFO_FILE, force=True) as tmp:
        tmp.write_text(json.dumps(data, indent=2) + "\n")
