"""Validation during training: ground-truth and self-transfer F on held-out songs, as
`kickgen eval` measures them, so that the epoch a run exports is the one that does best
on songs it never trained on rather than the one of lowest training mse."""

from __future__ import annotations

import numpy as np

from kickgen.engine.evaluation.metrics import onset_scores
from kickgen.engine.model.cgae import CGAE
from kickgen.engine.model.torch_runtime import TorchModel
from kickgen.engine.runtime.kicks import kick_curve, own_code_curve
from kickgen.engine.runtime.style import bar_steps, reference_style
from kickgen.engine.signals.frames import SongSignals
from kickgen.engine.signals.peaks import DEFAULT_THRESHOLD, pick_peaks

REFERENCE_THRESHOLD = 0.05  # a feature file's kick curve -> its kicks: every note, soft ones too


def reference_kicks(song: SongSignals) -> np.ndarray:
    """The song's kicks (s), picked from its kick curve (a MIDI song's curve peaks on
    every note's frame)."""
    return pick_peaks(song.kick[0], threshold=REFERENCE_THRESHOLD, fps=song.fps).times_s


def validation_scores(model: CGAE, songs: list[SongSignals], *, threshold: float = DEFAULT_THRESHOLD) -> dict:
    """Mean F over `songs` (each with a kick) of kicks decoded with the songs' own code
    paths ("val_gt_f") and with their styles ("val_self_f"; a bar of codes fitted to the
    song's kicks as `preset save` and `kickgen eval` fit them), and their mean ("val_f"), by which
    a run chooses its best epoch."""
    runtime = TorchModel(model)
    gt, own_style = [], []
    for song in songs:
        reference = reference_kicks(song)
        _, style = reference_style(runtime, runtime.context_of(song), song.kick, bar_steps(song))
        for scores, curve in ((gt, own_code_curve(runtime, song)), (own_style, kick_curve(runtime, song, style.code))):
            scores.append(onset_scores(reference, pick_peaks(curve, threshold=threshold, fps=song.fps).times_s).f_measure)
    result = {"val_gt_f": float(np.mean(gt)), "val_self_f": float(np.mean(own_style))}
    return {**result, "val_f": (result["val_gt_f"] + result["val_self_f"]) / 2}
