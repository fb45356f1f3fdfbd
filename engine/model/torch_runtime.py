"""A trained torch CGAE behind the runtime bundle's numpy interface (`encode`, `decode`,
and the style fit's `context_features`, `style_fit_step`), so that a run's validation, the
demo and the learning tests score a model fresh from training with the same functions
(`runtime.kicks`, `runtime.style`) that score a shipped bundle."""

from __future__ import annotations

import numpy as np
import torch

from kickgen.engine.model.cgae import CGAE
from kickgen.engine.model.style_fit import StyleFitStep
from kickgen.engine.signals.frames import SongSignals, with_downbeat_form


def _batched(array: np.ndarray) -> torch.Tensor:
    tensor = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    return tensor[None] if tensor.ndim == 2 else tensor


class TorchModel:
    """`ModelBundle.encode` / `decode` / style fitting on a torch CGAE (evaluated without
    autograd; the fit's gradient is `StyleFitStep`'s, as the bundle's style_fit.onnx)."""

    can_fit_style = True

    def __init__(self, model: CGAE):
        self.model = model
        self.fit_step = StyleFitStep(model)

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

    @torch.no_grad()
    def context_features(self, context: np.ndarray) -> np.ndarray:
        """U x of a (4, T) or (B, 4, T) context: (B, C, T), what `style_fit_step` gates."""
        return self.model.U(_batched(context)).numpy()

    @torch.no_grad()
    def style_fit_step(self, features: np.ndarray, code: np.ndarray, kick: np.ndarray, steps: np.ndarray,
                       ) -> tuple[float, np.ndarray]:
        """`ModelBundle.style_fit_step`: the mean squared error against `kick` ((1, T) or
        (B, 1, T)) with `code` ((K,) held, or (K, S) by the bar steps `steps` (B, S, T))
        over the batch's (B, C, T) `features`, and its gradient, shaped as `code`."""
        kick = _batched(kick)
        codes = torch.from_numpy(np.asarray(code, dtype=np.float32).reshape(len(code), -1)).expand(len(kick), -1, -1)
        loss, gradient = self.fit_step(torch.from_numpy(features), codes, _batched(steps), kick)
        return float(loss.mean()), gradient.mean(dim=0).numpy().reshape(np.shape(code))
