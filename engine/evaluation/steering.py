"""Whether a model's codes steer its kicks and its decoder knows where the bar starts:
a song decoded under an all-zero code, under other songs' style codes against its own,
and with its beat and downbeat channels moved by one beat against the snare and bass.

A model whose codes steer scores clearly higher with the song's own style than with
another song's or with none; a decoder that reads the bar's position loses F when the
downbeat moves."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from kickgen.engine.evaluation.metrics import OnsetScores, mean_scores, onset_scores
from kickgen.engine.evaluation.reference_songs import ReferenceSong
from kickgen.engine.runtime.bundle import ModelBundle
from kickgen.engine.runtime.kicks import generate_kicks
from kickgen.engine.signals.frames import CONTEXT_CHANNELS, SongSignals, median_beat_period_s
from kickgen.engine.signals.peaks import DEFAULT_THRESHOLD

OTHER_STYLES = 3  # other songs' style codes tried on every song
GRID_CHANNELS = ("beat", "downbeat")


def shifted_grid(signals: SongSignals, *, beats: float = 1.0) -> SongSignals:
    """The song with its beat grid moved `beats` beats later (the median beat period): the
    beat and downbeat channels (wrapping around the end) and the beat and downbeat times
    a bar-phase model draws its channel from. The snare and bass stay where they are."""
    period_s = median_beat_period_s(signals.beat_times_s)
    shift = round(period_s * signals.fps * beats) if period_s else 0
    context = signals.context.copy()
    for name in GRID_CHANNELS:
        row = CONTEXT_CHANNELS.index(name)
        context[row] = np.roll(context[row], shift)
    return replace(signals, context=context, beat_times_s=signals.beat_times_s + shift / signals.fps,
                   downbeat_times_s=signals.downbeat_times_s + shift / signals.fps)


def steering_scores(
    bundle: ModelBundle, song: ReferenceSong, own_code: np.ndarray, *, threshold: float = DEFAULT_THRESHOLD,
) -> dict[str, OnsetScores]:
    """The song's kicks scored when decoded under an all-zero code ("zero_code") and under
    its own style code with the beat grid moved by one beat ("bar_shifted")."""
    zero = np.zeros_like(own_code)
    return {
        "zero_code": onset_scores(song.kick_s, generate_kicks(bundle, song.signals, zero, threshold=threshold).times_s),
        "bar_shifted": onset_scores(
            song.kick_s, generate_kicks(bundle, shifted_grid(song.signals), own_code, threshold=threshold).times_s),
    }


def other_style_scores(
    bundle: ModelBundle, song: ReferenceSong, codes: list[np.ndarray], *, threshold: float = DEFAULT_THRESHOLD,
) -> OnsetScores:
    """Mean scores of the song's kicks decoded under each of other songs' style `codes`."""
    return mean_scores([onset_scores(song.kick_s, generate_kicks(bundle, song.signals, code, threshold=threshold).times_s)
                        for code in codes])


def other_songs(styles: list[str | None], index: int, *, n: int = OTHER_STYLES) -> list[int]:
    """Up to `n` other songs for song `index`, the next ones in order (wrapping), those of
    another style file first (`styles`: each song's style file, or None when unknown)."""
    order = [(index + k) % len(styles) for k in range(1, len(styles))]
    other_file = [j for j in order if styles[j] is None or styles[j] != styles[index]]
    same_file = [j for j in order if j not in other_file]
    return (other_file + same_file)[:n]


def summarize_steering(songs: list[dict]) -> dict:
    """Means over songs of F under their own style code ("own": style transfer to self),
    other songs' styles, the zero code and the moved grid (those every song has), and the
    gaps between them that show whether the codes steer and the bar is read."""
    names = [n for n in ("own", "other_styles", "zero_code", "bar_shifted") if all(n in s for s in songs)]
    mean_f = {name: round(float(np.mean([s[name]["f"] for s in songs])), 4) for name in names}
    gaps = {"own_minus_other": "other_styles", "own_minus_zero": "zero_code", "bar_shift_drop": "bar_shifted"}
    return {**mean_f, **{gap: round(mean_f["own"] - mean_f[name], 4) for gap, name in gaps.items() if name in mean_f},
            "n_songs": len(songs)}
