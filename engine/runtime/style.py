"""Style codes: a random code held over time, or a reference song's dominant code."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

K_RANGE = range(2, 11)


@dataclass(frozen=True)
class StyleEstimate:
    """A song's style: the centroid (K,) of its largest code cluster, with the number
    of clusters k chosen by the Davies–Bouldin score, that score, and the share of the
    song's frames in the chosen cluster."""

    code: np.ndarray
    k: int
    davies_bouldin: float
    share: float
    labels: np.ndarray | None = None  # (T,) cluster of every frame; the chosen one is `chosen`
    chosen: int = 0


def sample_code(rng: np.random.Generator, *, code_size: int = 16) -> np.ndarray:
    """One style code drawn from N(0, I); (code_size,) float32."""
    return rng.standard_normal(code_size).astype(np.float32)


def hold_code(code: np.ndarray, *, n_frames: int) -> np.ndarray:
    """Repeat a (K,) code over time; (K, n_frames) float32."""
    return np.repeat(np.asarray(code, dtype=np.float32)[:, None], n_frames, axis=1)


def infer_style(code_path: np.ndarray, *, k_range: range = K_RANGE, seed: int = 0) -> StyleEstimate:
    """Cluster a song's (K, T) code path frame by frame and take its dominant code.

    For each k in `k_range` (capped below the number of distinct frames) k-means runs
    over the T frames; the k with the lowest Davies–Bouldin score wins and the centroid
    of its largest cluster is the style code. A path with fewer than three distinct
    frames is its own style (k = 1).
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    from kickgen.engine.runtime.clustering import davies_bouldin, kmeans

    frames = np.asarray(code_path, dtype=np.float64).T
    rows = np.ascontiguousarray(frames.round(6)).view(np.dtype((np.void, frames.itemsize * frames.shape[1])))
    n_distinct = len(np.unique(rows))
    candidates = [k for k in k_range if k < n_distinct]
    if not candidates:
        return StyleEstimate(frames.mean(axis=0).astype(np.float32), 1, 0.0, 1.0)

    def clustering(k: int) -> tuple[float, int, np.ndarray, np.ndarray]:
        clusters = kmeans(frames, k, n_init=4, seed=seed)
        return davies_bouldin(frames, clusters.labels), k, clusters.labels, clusters.centres

    # the k run side by side on the cores (numpy leaves the GIL in its loops), each on one
    # BLAS thread: on a few thousand 16-dim frames BLAS threads mostly wait for each other
    with threadpool_limits(limits=1), ThreadPoolExecutor(max_workers=min(len(candidates), os.cpu_count() or 1)) as pool:
        results = list(pool.map(clustering, candidates))
    best = min(results, key=lambda result: result[0])  # the first of equal scores, as k rises
    score, k, labels, centres = best
    counts = np.bincount(labels, minlength=k)
    largest = int(counts.argmax())
    return StyleEstimate(centres[largest].astype(np.float32), k, float(score), float(counts[largest] / len(labels)),
                         labels, largest)
