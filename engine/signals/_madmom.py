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


VITERBI_SEGMENT_FRAMES = 512  # frames between the checkpoints of the back-pointer pass


class _Trellis:
    """One step of madmom's HMM Viterbi recursion over a (T, ...) observation sequence,
    as numpy operations: the score of each state is the best of (its predecessor's
    score + the transition's log probability) + its observation's log density, and the
    predecessor kept is the first best in madmom's pointer order (its Cython loop takes
    a candidate only when strictly better). Most states of the bar-pointer model have
    one predecessor; the few at beat boundaries, many."""

    def __init__(self, hmm, observations: np.ndarray) -> None:
        model, densities = hmm.transition_model, hmm.observation_model
        pointers, previous, log_transition = model.pointers, model.states, model.log_probabilities
        counts = np.diff(pointers).astype(np.intp)
        self.single = np.flatnonzero(counts == 1)  # states with one predecessor, and its pointer:
        pointer = pointers[self.single]
        self.single_from, self.single_log_transition = previous[pointer], log_transition[pointer]
        self.single_density = densities.pointers[self.single]
        self.multi = np.flatnonzero(counts > 1)  # states with many, and all their pointers in order:
        pointer = np.concatenate([np.arange(pointers[s], pointers[s + 1]) for s in self.multi])
        self.multi_from, self.multi_log_transition = previous[pointer], log_transition[pointer]
        self.multi_density = np.repeat(densities.pointers[self.multi], counts[self.multi])
        self.multi_owner = np.repeat(np.arange(len(self.multi)), counts[self.multi])
        self.multi_starts = np.concatenate([[0], np.cumsum(counts[self.multi])[:-1]]).astype(np.intp)
        self.log_densities = densities.log_densities(observations)  # (T, densities)
        self.initial = np.log(hmm.initial_distribution)

    def step(self, score: np.ndarray, frame: int, *, back: bool = False):
        """The scores after `frame`, (S,) float64, and with `back` the predecessor of each state."""
        density = self.log_densities[frame]
        new = np.empty_like(score)
        new[self.single] = score[self.single_from] + self.single_log_transition + density[self.single_density]
        candidates = score[self.multi_from] + self.multi_log_transition + density[self.multi_density]
        best = np.maximum.reduceat(candidates, self.multi_starts)
        new[self.multi] = best
        if not back:
            return new, None
        predecessor = np.empty(len(score), np.uint32)
        predecessor[self.single] = self.single_from
        is_best = candidates == best[self.multi_owner]
        first = np.minimum.reduceat(np.where(is_best, np.arange(len(candidates)), len(candidates) - 1),
                                    self.multi_starts)
        predecessor[self.multi] = self.multi_from[first]
        return new, predecessor


def _viterbi_log_probability(trellis: _Trellis) -> tuple[float, list[np.ndarray]]:
    """The best path's log probability, and the scores before every `VITERBI_SEGMENT_FRAMES`th
    frame followed by the final scores (`_viterbi_path` starts its backtrack from those)."""
    score, checkpoints = trellis.initial, []
    for frame in range(len(trellis.log_densities)):
        if frame % VITERBI_SEGMENT_FRAMES == 0:
            checkpoints.append(score)
        score, _ = trellis.step(score, frame)
    return float(score.max()), checkpoints + [score]


def _viterbi_path(trellis: _Trellis, checkpoints: list[np.ndarray]) -> np.ndarray:
    """The best state path, (T,) uint32, segment by segment from the last: each segment's
    back-pointers are recomputed from its checkpoint, so memory holds one segment's
    (VITERBI_SEGMENT_FRAMES, S) rather than madmom's (T, S) (1.3 GB for 4 minutes)."""
    n_frames = len(trellis.log_densities)
    state = int(checkpoints[-1].argmax())
    path = np.empty(n_frames, np.uint32)
    for first in range(VITERBI_SEGMENT_FRAMES * (len(checkpoints) - 2), -1, -VITERBI_SEGMENT_FRAMES):
        last = min(first + VITERBI_SEGMENT_FRAMES, n_frames)
        score, back = checkpoints[first // VITERBI_SEGMENT_FRAMES], []
        for frame in range(first, last):
            score, predecessor = trellis.step(score, frame, back=True)
            back.append(predecessor)
        for frame in range(last - 1, first - 1, -1):
            path[frame] = state
            state = int(back[frame - first][state])
    return path


def _best_viterbi_pairs(_, items):
    """For madmom's DBN `map`: (path, log probability) of each (HMM, observations), as
    object arrays (its tracker stacks them), computed by `_Trellis` instead of the HMM's
    own Viterbi, to the same path. Only the best HMM's path is drawn (the tracker reads no
    other); the rest get an empty one."""
    trellises = [_Trellis(hmm, observations) for hmm, observations in items]
    results = [_viterbi_log_probability(trellis) for trellis in trellises]
    best = int(np.argmax([log_probability for log_probability, _ in results]))
    for i, (trellis, (log_probability, checkpoints)) in enumerate(zip(trellises, results)):
        pair = np.empty(2, dtype=object)
        drawn = i == best and np.isfinite(log_probability)
        pair[0] = _viterbi_path(trellis, checkpoints) if drawn else np.zeros(0, np.uint32)
        pair[1] = log_probability
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
    tracker.map = _best_viterbi_pairs
    with _quiet():
        beats = tracker(activations.astype(np.float64))
    if len(beats) == 0:
        return np.zeros(0), np.zeros(0)
    return beats[:, 0].astype(np.float64), beats[beats[:, 1] == 1, 0].astype(np.float64)
