"""A trained torch CGAE behind the runtime bundle's numpy interface (`encode`, `decode`),
so that the demo and the learning tests score a model fresh from training with the same
functions (`runtime.kicks`, `runtime.style`) that score a shipped bundle."""

from __future__ import annotations

import numpy as np
import torch

from kickgen.engine.model.cgae import CGAE
from kickgen.engine.signals.frames import SongSignals, with_downbeat_form


def _batched(array: np.ndarray) -> torch.Tensor:
    tensor = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    return tensor[None] if tensor.ndim == 2 else tensor


class TorchModel:
    """`ModelBundle.encode` / `decode` on a torch CGAE (evaluated without gradients)."""

    can_fit_style = False  # (a run's validation scores styles by the paper's largest-cluster centroid)

    def __init__(self, model: CGAE):
        self.model = model

    def context_of(self, signals: SongSignals) -> np.ndarray:
        """The song's (4, T) context as this model reads it (its downbeat form)."""
        return with_downbeat_form(signals, self.model.config.downbeat_form).context

    @torch.no_grad()
    def encode(self, context: np.ndarray, kick: np.ndarray) -> np.ndarray:
        """(4, T), (1, T) -> code path (K, T); batched (B, ., T) alike."""
        code = self.model.encode(_batched(context), _batched(kick)).numpy()
        return code if context.ndim == 3 else code[0]

    @torch.no_grad()
    def decode(self, context: np.ndarray, code: np.ndarray) -> np.ndarray:
        """(4, T), (K, T) -> kick curve (1, T); batched (B, ., T) alike."""
        kick = self.model.decode(_batched(context), _batched(code)).numpy()
        return kick if context.ndim == 3 else kick[0]
