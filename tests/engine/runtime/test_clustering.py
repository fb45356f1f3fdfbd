"""numpy k-means and Davies–Bouldin against scikit-learn's, on clustered code frames."""

import numpy as np
import pytest

from kickgen.engine.runtime.clustering import davies_bouldin, kmeans

sklearn_cluster = pytest.importorskip("sklearn.cluster")
sklearn_metrics = pytest.importorskip("sklearn.metrics")


def code_frames(seed: int, clusters: int = 5, frames: int = 3000) -> np.ndarray:
    """(frames, 16) codes around `clusters` centres of unequal size and spread."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, 16)) * 2
    picks = rng.choice(clusters, size=frames, p=rng.dirichlet(np.ones(clusters)))
    spread = rng.uniform(0.3, 1.2, clusters)[picks, None]
    return centres[picks] + spread * rng.standard_normal((frames, 16))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [2, 5, 9])
def test_kmeans_finds_clusterings_as_tight_as_scikit_learn(seed, k):
    frames = code_frames(seed)
    ours = kmeans(frames, k, n_init=4, seed=seed)
    theirs = sklearn_cluster.KMeans(n_clusters=k, n_init=4, random_state=seed).fit(frames)
    assert ours.centres.shape == (k, 16) and ours.labels.shape == (len(frames),)
    assert ours.inertia <= theirs.inertia_ * 1.02
    # every frame sits with its nearest centre, and each centre is near its frames' mean (Lloyd stops
    # once the centres move less than the tolerance, as scikit-learn does)
    nearest = ((frames[:, None, :] - ours.centres[None]) ** 2).sum(-1).argmin(1)
    assert np.array_equal(nearest, ours.labels)
    for c in np.unique(ours.labels):
        assert np.allclose(ours.centres[c], frames[ours.labels == c].mean(0), atol=0.05)


@pytest.mark.parametrize("seed", range(4))
def test_davies_bouldin_equals_scikit_learn(seed):
    frames = code_frames(seed)
    labels = np.random.default_rng(seed).integers(0, 6, len(frames))
    labels[labels == 3] = 5  # a label left unused
    assert davies_bouldin(frames, labels) == pytest.approx(sklearn_metrics.davies_bouldin_score(frames, labels))
    clustered = kmeans(frames, 5).labels
    assert davies_bouldin(frames, clustered) == pytest.approx(sklearn_metrics.davies_bouldin_score(frames, clustered))


def test_fewer_distinct_frames_than_clusters():
    frames = np.repeat(np.eye(16)[:2], 50, axis=0)
    result = kmeans(frames, 4)
    assert result.inertia == pytest.approx(0.0)
    assert davies_bouldin(frames, result.labels) == pytest.approx(0.0)
