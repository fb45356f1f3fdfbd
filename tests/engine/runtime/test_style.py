"""Style codes: held random codes and a song's dominant code by k-means + Davies–Bouldin."""

import numpy as np
import pytest

from kickgen.engine.runtime.style import hold_code, infer_style, sample_code


def test_sampled_code_is_standard_normal_and_held():
    rng = np.random.default_rng(0)
    codes = np.stack([sample_code(rng) for _ in range(4000)])
    assert codes.shape == (4000, 16)
    assert abs(codes.mean()) < 0.02 and abs(codes.std() - 1) < 0.02
    held = hold_code(codes[0], n_frames=50)
    assert held.shape == (16, 50) and np.all(held == codes[0][:, None])


def test_dominant_cluster_is_found():
    rng = np.random.default_rng(1)
    centres = [np.full(16, 2.0), np.full(16, -2.0), np.zeros(16)]
    sizes = [600, 250, 150]
    frames = np.concatenate([c + 0.1 * rng.standard_normal((n, 16)) for c, n in zip(centres, sizes)])
    rng.shuffle(frames)
    style = infer_style(frames.T)
    assert style.k == 3
    assert style.share == pytest.approx(0.6)
    assert np.allclose(style.code, 2.0, atol=0.05)
    assert style.davies_bouldin < 0.2


def test_constant_path_is_its_own_style():
    style = infer_style(np.ones((16, 100)))
    assert style.k == 1 and style.share == 1.0 and np.allclose(style.code, 1.0)
