"""The one place that imports madmom, with the shims madmom 0.16.1 needs.

madmom 0.16.1 predates Python 3.10 and numpy 2: it imports `collections.MutableSequence`,
uses the removed aliases `np.float`/`np.int`, and its downbeat DBN builds a ragged
array from (path, log-probability) pairs. The shims below patch exactly those and
nothing else; every other module asks this one for beats and downbeats.
"""

from __future__ import annotations

import collections
import collections.abc
import contextlib
import functools
import warnings
from collections.abc import Iterator

import numpy as np

MADMOM_FPS = 100.0  # frame rate of madmom's downbeat network
MADMOM_SAMPLE_RATE = 44100


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """madmom 0.16.1 warns about its own use of deprecated APIs; those are not ours."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
        yield


@functools.cache
def _madmom():
    """Import madmom once, after installing the compatibility shims."""
    if not hasattr(collections, "MutableSequence"):
        collections.MutableSequence = collections.abc.MutableSequence
    for alias, builtin in (("float", float), ("int", int), ("complex", complex), ("object", object)):
        if alias not in np.__dict__:
            setattr(np, alias, builtin)
    with _quiet():
        import madmom.audio.signal
        import madmom.features.downbeats

    return madmom


@functools.cache
def _downbeat_network():
    return _madmom().features.downbeats.RNNDownBeatProcessor()


FEATURE_BLOCK_FRAMES = 3000  # madmom frames whose spectra a block computes at once (30 s)
FEATURE_MARGIN_FRAMES = 16  # frames of context a block takes on each side (4096-sample frames, spectral diff)


def downbeat_activations(audio: np.ndarray, *, block_frames: int = FEATURE_BLOCK_FRAMES) -> np.ndarray:
    """Beat and downbeat probabilities of madmom's RNN ensemble.

    audio: (n_samples,) float32 mono at 44.1 kHz.
    Returns (N, 2) float32 at `MADMOM_FPS`: column 0 beats that are not downbeats,
    column 1 downbeats.

    madmom's features (spectra at three frame sizes, their differences) are per frame:
    they are computed in blocks of `block_frames` frames with `FEATURE_MARGIN_FRAMES` of
    context each side, which gives the whole-song features exactly without holding a
    whole-song spectrum (a 4-minute song: about 1 GB); the recurrent networks then run
    over the whole song.
    """
    features, networks, beat_columns = _downbeat_network().processors
    hop = int(MADMOM_SAMPLE_RATE / MADMOM_FPS)
    n_frames = -(-len(audio) // hop)
    blocks = []
    with _quiet():
        for first in range(0, n_frames, block_frames):
            start = max(first - FEATURE_MARGIN_FRAMES, 0)
            stop = min(first + block_frames + FEATURE_MARGIN_FRAMES, n_frames)
            chunk = audio[start * hop:len(audio) if stop == n_frames else stop * hop]
            signal = _madmom().audio.signal.Signal(np.ascontiguousarray(chunk, dtype=np.float32),
                                                   sample_rate=MADMOM_SAMPLE_RATE)
            blocks.append(features(signal)[first - start:first - start + block_frames])
        return np.asarray(beat_columns(networks(np.vstack(blocks))), dtype=np.float32)


def _object_pairs(fn, items):
    """`map` whose results are object arrays, so madmom's DBN can stack ragged pairs."""
    for item in items:
        pair = np.empty(2, dtype=object)
        pair[0], pair[1] = fn(item)
        yield pair


def track_downbeats(
    activations: np.ndarray, *, beats_per_bar: tuple[int, ...] = (3, 4)
) -> tuple[np.ndarray, np.ndarray]:
    """Beat and downbeat times (s) decoded from `downbeat_activations` by madmom's DBN.

    Returns (beat_times_s, downbeat_times_s); beats include the downbeats.
    """
    tracker = _madmom().features.downbeats.DBNDownBeatTrackingProcessor(
        beats_per_bar=list(beats_per_bar), fps=MADMOM_FPS
    )
    tracker.map = _object_pairs
    with _quiet():
        beats = tracker(activations.astype(np.float64))
    if len(beats) == 0:
        return np.zeros(0), np.zeros(0)
    return beats[:, 0].astype(np.float64), beats[beats[:, 1] == 1, 0].astype(np.float64)
