"""Decoding songs with a trained torch CGAE for evaluation (paper §4, Table 1)."""

from __future__ import annotations

import numpy as np
import torch

from kickgen.engine.model import CGAE
from kickgen.engine.signals import SongSignals
from kickgen.engine.style import hold_code, infer_style


def _tensor(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[None]


@torch.no_grad()
def code_path(model: CGAE, song: SongSignals) -> np.ndarray:
    """The code the encoder infers from a song and its kick; (K, T)."""
    return model.encode(_tensor(song.context), _tensor(song.kick))[0].numpy()


@torch.no_grad()
def decode_curve(model: CGAE, song: SongSignals, code: np.ndarray) -> np.ndarray:
    """The kick curve for `song`'s context under a (K, T) code; (T,)."""
    return model.decode(_tensor(song.context), _tensor(code))[0, 0].numpy()


def true_code_curve(model: CGAE, song: SongSignals) -> np.ndarray:
    """Reconstruction with the song's own (ground-truth) code path; (T,)."""
    return decode_curve(model, song, code_path(model, song))


def style_transfer_curve(model: CGAE, reference: SongSignals, song: SongSignals) -> np.ndarray:
    """`song`'s kick curve in the style inferred from `reference`, held constant; (T,)."""
    style = infer_style(code_path(model, reference))
    return decode_curve(model, song, hold_code(style.code, n_frames=song.n_frames))
