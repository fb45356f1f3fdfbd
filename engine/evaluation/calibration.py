"""`kickgen calibrate`: a bundle's operating point, from its training songs. The styles
that `reference_style` finds in them (as `preset save` finds them) are fitted with a
Gaussian (`StylePrior`: where random styles are drawn from), and the peak threshold is
the one at which kicks decoded from their own codes and from their styles score best.
Both are written into the bundle's bundle.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kickgen.engine.evaluation.metrics import onset_scores
from kickgen.engine.evaluation.run import EvalJob, load_song
from kickgen.engine.evaluation.table import METHODS, method_curves, style_of
from kickgen.engine.runtime.bundle import load_bundle
from kickgen.engine.runtime.bundle_files import INFO_FILE, BundleInfo
from kickgen.engine.runtime.style import StylePrior, bar_steps
from kickgen.engine.signals.peaks import DEFAULT_THRESHOLD, pick_peaks
from kickgen.engine.util.atomic import atomic_path
from kickgen.engine.util.parallel import run_parallel

THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)  # the peak thresholds weighed


@dataclass(frozen=True)
class Calibration:
    """A bundle's style prior, its peak threshold, and the mean F per threshold
    ({method: [F at each of THRESHOLDS]}, methods as in Table 1) that chose it."""

    prior: StylePrior
    threshold: float
    f_by_threshold: dict[str, list[float]]


def evenly_spaced(items: list, n: int) -> list:
    """`n` of `items` spread over the whole list (all of them when there are no more)."""
    if len(items) <= n:
        return list(items)
    return [items[i] for i in np.linspace(0, len(items) - 1, n).round().astype(int)]


def calibrate_song(job: EvalJob) -> dict:
    """The style `reference_style` finds in the job's song as one code (K,): a bar of
    codes' mean over its steps (what a random style, held, is drawn like); and the F of
    the kicks decoded from its code path and from that style at each of THRESHOLDS."""
    bundle, song = load_bundle(job.bundle_dir), load_song(job)
    context = bundle.context_of(song.signals)
    code_path, style = style_of(bundle, song, context=context)
    f = {name: [onset_scores(song.kick_s, pick_peaks(curve, threshold=t, fps=song.signals.fps).times_s).f_measure
                for t in THRESHOLDS] for name, curve in method_curves(bundle, context, code_path, style.code,
                                                                         bar_steps(song.signals)).items()}
    held = style.code if style.code.ndim == 1 else style.code.mean(axis=1)
    return {"code": held.tolist(), "f": f}


def calibrate(
    songs: list[tuple[Path, dict, str]], *, bundle_dir: Path, features_dir: Path | None, jobs: int,
    progress: bool = True,
) -> Calibration:
    """Calibrate on `songs` ((path, manifest entry, domain) triples): the Gaussian of their
    styles, and the threshold of the best F averaged over songs and both methods."""
    work = [EvalJob(path, meta, domain, bundle_dir, DEFAULT_THRESHOLD, False, False, features_dir)
            for path, meta, domain in songs]
    results = run_parallel(calibrate_song, work, jobs=jobs, desc="calibrate", progress=progress)
    f = {name: np.mean([r["f"][name] for r in results], axis=0) for name in METHODS}
    best = int(np.argmax(np.mean([f[name] for name in METHODS], axis=0)))
    return Calibration(StylePrior.fit(np.asarray([r["code"] for r in results])), THRESHOLDS[best],
                       {name: [round(float(v), 4) for v in values] for name, values in f.items()})


def write_calibration(bundle_dir: Path, calibration: Calibration) -> None:
    """Put the style prior and threshold into the bundle's bundle.json, atomically (its
    id, over the ONNX files, stays)."""
    info = BundleInfo.read(bundle_dir)
    data = {**info.to_json(), "threshold": calibration.threshold, "style_prior": calibration.prior.to_json()}
    with atomic_path(bundle_dir / INFO_FILE, force=True) as tmp:
        tmp.write_text(json.dumps(data, indent=2) + "\n")
