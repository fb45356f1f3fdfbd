"""k-means and the Davies–Bouldin score in numpy, for a style's code frames.

scikit-learn does the same job but takes 0.7 s to import, longer than `preset save`
otherwise takes for a whole song; these few lines run Lloyd's algorithm from k-means++
seeds as it does, on (T, K) frames of a few thousand 16-dim codes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_ITERATIONS = 300
TOLERANCE = 1e-4  # stop when the centres move less than this share of the frames' mean variance


@dataclass(frozen=True)
class Clusters:
    """k-means result: centres (k, K), each frame's cluster (T,), and the inertia (sum of
    squared distances of frames to their centres)."""

    centres: np.ndarray
    labels: np.ndarray
    inertia: float


def squared_distances(frames: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(T, K), (k, K) -> (T, k) squared Euclidean distances, never below zero."""
    return np.maximum((frames * frames).sum(1)[:, None] + centre_terms(frames, centres), 0.0)


def centre_terms(frames: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(T, k): ||c||² - 2 f·c, the squared distances less each frame's own ||f||², which
    is the same for every centre: enough to find the nearest one."""
    return (centres * centres).sum(1)[None, :] - 2 * frames @ centres.T


def kmeans_plus_plus(frames: np.ndarray, norms: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k seeds drawn by k-means++ (each frame in proportion to its squared distance to
    the nearest seed so far, greedily best of 2 + log k tries, as scikit-learn does) from
    (T, K) frames and their squared norms (T,); (k, K)."""
    tries = 2 + int(np.log(k))
    centres = [frames[rng.integers(len(frames))]]
    nearest = np.maximum(norms + centre_terms(frames, centres[0][None])[:, 0], 0.0)
    for _ in range(1, k):
        total = nearest.sum()
        if total <= 0:  # fewer distinct frames than seeds: repeat one
            centres.append(centres[-1])
            continue
        picks = np.searchsorted(np.cumsum(nearest), rng.random(tries) * total).clip(max=len(frames) - 1)
        candidates = np.maximum(norms[:, None] + centre_terms(frames, frames[picks]), 0.0)  # (T, tries)
        options = np.minimum(nearest[:, None], candidates)
        best = int(options.sum(0).argmin())
        centres.append(frames[picks[best]])
        nearest = options[:, best]
    return np.array(centres)


def lloyd(frames: np.ndarray, norms: np.ndarray, centres: np.ndarray) -> Clusters:
    """Lloyd's iterations from `centres` until they settle; an emptied cluster keeps its centre."""
    k = len(centres)
    tolerance = TOLERANCE * frames.var(axis=0).mean()
    for _ in range(MAX_ITERATIONS):
        labels = centre_terms(frames, centres).argmin(1)
        members = (labels[None, :] == np.arange(k)[:, None]).astype(frames.dtype)  # (k, T)
        counts = members.sum(1)
        moved = np.where(counts[:, None] > 0, (members @ frames) / np.maximum(counts, 1)[:, None], centres)
        shift = ((moved - centres) ** 2).sum()
        centres = moved
        if shift <= tolerance:
            break
    terms = centre_terms(frames, centres)
    labels = terms.argmin(1)
    nearest = np.maximum(norms + terms[np.arange(len(frames)), labels], 0.0)
    return Clusters(centres, labels, float(nearest.sum()))


def kmeans(frames: np.ndarray, k: int, *, n_init: int = 4, seed: int = 0) -> Clusters:
    """The lowest-inertia of `n_init` k-means runs over (T, K) frames, seeded by `seed`."""
    rng = np.random.default_rng(seed)
    norms = (frames * frames).sum(1)
    runs = [lloyd(frames, norms, kmeans_plus_plus(frames, norms, k, rng)) for _ in range(n_init)]
    return min(runs, key=lambda run: run.inertia)


def davies_bouldin(frames: np.ndarray, labels: np.ndarray) -> float:
    """Davies–Bouldin score of a clustering of (T, K) frames (lower is better): the mean
    over clusters of the largest (s_i + s_j) / d_ij, with s the mean distance of a
    cluster's frames to its centroid and d the distance between centroids."""
    present = np.unique(labels)
    centroids = np.array([frames[labels == c].mean(0) for c in present])
    spread = np.array([np.sqrt(squared_distances(frames[labels == c], centroids[i][None])).mean()
                       for i, c in enumerate(present)])
    separation = np.sqrt(squared_distances(centroids, centroids))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (spread[:, None] + spread[None, :]) / separation
    ratio[~np.isfinite(ratio)] = 0.0  # a cluster against itself, or two at one place
    np.fill_diagonal(ratio, 0.0)
    return float(ratio.max(1).mean()) if len(present) > 1 else 0.0
