"""The paper's Table 1, extended: kicks decoded with a song's own codes and with its
style code held constant, next to three baselines, scored against the song's kick notes
(precision / recall / F, 50 ms, mir_eval). Runs on a model bundle (onnxruntime)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict

import numpy as np

from kickgen.engine.evaluation.metrical import (
    POSITION_LABELS,
    POSITIONS,
    pooled,
    recall_by_position,
)
from kickgen.engine.evaluation.metrics import OnsetScores, mean_scores, onset_scores
from kickgen.engine.evaluation.reference_songs import ReferenceSong
from kickgen.engine.runtime.bundle import ModelBundle
from kickgen.engine.runtime.style import StyleEstimate, bar_steps, reference_style, style_frames
from kickgen.engine.signals.peaks import DEFAULT_THRESHOLD, pick_peaks

BAR_STEPS = 48  # grid of the looped-bar baseline: 1/48 bar holds sixteenths and triplets
METHODS = ("ground_truth", "self_transfer")
METHOD_LABELS = {"ground_truth": "ground-truth codes", "self_transfer": "style transfer to self"}
BASELINES = ("four_on_the_floor", "bass_onsets", "looped_bar")


def scores_json(scores: OnsetScores) -> dict[str, float]:
    return {"precision": round(scores.precision, 4), "recall": round(scores.recall, 4),
            "f": round(scores.f_measure, 4)}


def bar_bounds(downbeats_s: np.ndarray, *, end_s: float) -> list[tuple[float, float]]:
    """(start, stop) of every bar; the last bar ends one bar length later or at `end_s`."""
    downbeats_s = np.asarray(downbeats_s, dtype=np.float64)
    if len(downbeats_s) == 0:
        return []
    stops = list(downbeats_s[1:]) + [downbeats_s[-1] + (np.diff(downbeats_s)[-1] if len(downbeats_s) > 1
                                                        else end_s - downbeats_s[-1])]
    return list(zip(downbeats_s, stops))


def looped_commonest_bar(kick_s: np.ndarray, downbeats_s: np.ndarray, *, end_s: float) -> np.ndarray:
    """The song's own commonest one-bar kick pattern (on a 1/48-bar grid), in every bar."""
    bars = bar_bounds(downbeats_s, end_s=end_s)
    patterns = []
    for start, stop in bars:
        inside = kick_s[(kick_s >= start) & (kick_s < stop)]
        patterns.append(tuple(sorted({round((t - start) / (stop - start) * BAR_STEPS) % BAR_STEPS
                                      for t in inside})))
    if not patterns:
        return np.zeros(0)
    commonest = Counter(patterns).most_common(1)[0][0]
    return np.array([start + step / BAR_STEPS * (stop - start) for start, stop in bars for step in commonest])


def baseline_onsets(song: ReferenceSong) -> dict[str, np.ndarray]:
    signals = song.signals
    end_s = signals.n_frames / signals.fps
    return {
        "four_on_the_floor": np.asarray(signals.beat_times_s, dtype=np.float64),
        "bass_onsets": song.bass_s,
        "looped_bar": looped_commonest_bar(song.kick_s, signals.downbeat_times_s, end_s=end_s),
    }


def style_of(bundle: ModelBundle, song: ReferenceSong, *, context: np.ndarray | None = None,
             ) -> tuple[np.ndarray, StyleEstimate]:
    """The song's code path (16, T) and its style (`reference_style`: a bar of codes
    fitted to its kicks where the bundle can, else the largest cluster's centroid);
    `context`: the song's context as the bundle reads it, when already at hand."""
    return reference_style(bundle, bundle.context_of(song.signals) if context is None else context, song.signals.kick,
                           bar_steps(song.signals))


def method_curves(bundle: ModelBundle, context: np.ndarray, code_path: np.ndarray, style_code: np.ndarray,
                  step_of_frame: np.ndarray) -> dict[str, np.ndarray]:
    """The (T,) kick curve of each of METHODS: decoded from the song's (K, T) code path
    and from its style code laid over the song (`style_frames` by the (T,) `step_of_frame`)."""
    return {"ground_truth": bundle.decode(context, code_path)[0],
            "self_transfer": bundle.decode(context, style_frames(style_code, step_of_frame))[0]}


def evaluate_song(bundle: ModelBundle, song: ReferenceSong, *, threshold: float = DEFAULT_THRESHOLD) -> dict:
    """Scores of one song: ground-truth codes, style transfer to self, the baselines;
    and for both methods, the kicks found by their position in the beat."""
    context, fps = bundle.context_of(song.signals), song.signals.fps
    code, style = style_of(bundle, song, context=context)
    curves = method_curves(bundle, context, code, style.code, bar_steps(song.signals))
    estimated = {name: pick_peaks(curve, threshold=threshold, fps=fps).times_s for name, curve in curves.items()}
    result = {"song": song.name, "domain": song.domain, **{k: song.meta[k] for k in ("family", "style") if k in song.meta}}
    for name, times in estimated.items():
        result[name] = asdict_scores(onset_scores(song.kick_s, times))
    result["baselines"] = {name: asdict_scores(onset_scores(song.kick_s, times))
                           for name, times in baseline_onsets(song).items()}
    result["by_position"] = {name: recall_by_position(song.kick_s, times, song.score_beats_s)
                             for name, times in estimated.items()}
    result["style_code"] = {"k": style.k, "davies_bouldin": round(style.davies_bouldin, 4),
                            "share": round(style.share, 4), "code": style.code.round(6).tolist(),
                            **({"fit": style.fit} if style.fit else {})}
    return result


def asdict_scores(scores: OnsetScores) -> dict[str, float]:
    return {k: float(v) for k, v in asdict(scores).items()}


def _mean(entries: list[dict[str, float]]) -> dict[str, float]:
    means = mean_scores([OnsetScores(**e) for e in entries])
    return scores_json(means)


def summarize(results: list[dict]) -> dict:
    """The eval JSON: `songs` (rounded), `mean` {ground_truth, self_transfer, baselines}
    and `by_position` {method: {position: kicks, found, share, recall}}, pooled over songs."""
    mean = {name: _mean([r[name] for r in results]) for name in METHODS}
    mean["baselines"] = {name: _mean([r["baselines"][name] for r in results]) for name in BASELINES}
    by_position = {name: pooled([r["by_position"][name] for r in results]) for name in METHODS}
    songs = []
    for r in results:
        rounded = {**r, **{name: scores_json(OnsetScores(**r[name])) for name in METHODS}}
        rounded["baselines"] = {name: scores_json(OnsetScores(**s)) for name, s in r["baselines"].items()}
        songs.append(rounded)
    return {"songs": songs, "mean": mean, "by_position": by_position, "n_songs": len(results)}


def format_table(document: dict) -> str:
    """The mean scores, recall by position in the beat (and the studies' figures) as
    aligned text lines."""
    mean = document["mean"]
    rows = [(label, mean[method]) for method, label in METHOD_LABELS.items()]
    rows += [(f"baseline: {name.replace('_', ' ')}", s) for name, s in mean["baselines"].items()]
    grid = f" (beat grid: {document['beat_grid']})" if "beat_grid" in document else ""
    lines = [f"{document['n_songs']} songs, {document['domain']} domain{grid}, model {document['model'][:12]}",
             f"{'':<32}{'P':>7}{'R':>7}{'F':>7}"]
    lines += [f"{name:<32}{s['precision']:>7.3f}{s['recall']:>7.3f}{s['f']:>7.3f}" for name, s in rows]
    by_position = document["by_position"]
    shares = by_position["ground_truth"]
    lines.append("kicks by position in the beat: "
                 + ", ".join(f"{POSITION_LABELS[p]} {shares[p]['share']:.0%}" for p in POSITIONS))
    for method, label in METHOD_LABELS.items():
        lines.append(f"recall by position, {label}: " + ", ".join(
            f"{POSITION_LABELS[p]} {by_position[method][p]['recall']:.3f}" for p in POSITIONS
            if by_position[method][p]["recall"] is not None))
    if "tempo_invariance" in document:
        study = document["tempo_invariance"]
        per = ", ".join(f"{float(f):.0%}: {v:.3f}" for f, v in study["mean_f"].items())
        lines.append(f"tempo invariance (agreement F): {per}; mean {study['mean_over_factors']:.3f}")
    if "steering" in document:
        lines.append(format_steering(document["steering"]))
    if "sampling" in document:
        study = document["sampling"]
        lines.append(f"sampling: diversity (mean pairwise 1-F of picked) {study['mean_diversity_picked']:.3f}, "
                     f"plausible {study['mean_plausible_share']:.1%} (the songs' own kicks "
                     f"{study['own_kicks_plausible_share']:.1%}); codes from {study.get('codes_from', 'N(0, I)')}")
    return "\n".join(lines)


def format_steering(steering: dict) -> str:
    """One line: F under the song's own style against other songs' styles and the zero
    code, and with the beat grid moved by one beat."""
    own = steering["own"]
    parts = [f"steering: own style F {own:.3f}"]
    if "other_styles" in steering:
        parts.append(f"other songs' styles {steering['other_styles']:.3f} (own {steering['own_minus_other']:+.3f})")
    parts.append(f"zero code {steering['zero_code']:.3f} (own {steering['own_minus_zero']:+.3f})")
    parts.append(f"downbeat moved one beat {steering['bar_shifted']:.3f} (drop {steering['bar_shift_drop']:+.3f})")
    return ", ".join(parts)
