"""Style codes: held random codes and a song's dominant code by k-means + Davies–Bouldin."""

import json

import numpy as np
import pytest

from kickgen.engine.runtime.style import (
    FIT_CODE_BOUND,
    StylePrior,
    hold_code,
    infer_style,
    random_style,
    sample_code,
)


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


def test_a_style_fit_finds_back_the_code_a_kick_was_decoded_from(tiny_bundle):
    """A kick part the decoder made from a held code is fitted back from the path's mean:
    the squared error falls to a small part of where it starts, and `reference_style`
    uses the fitted code where the bundle has the fitting graphs."""
    from kickgen.engine.corpus.synthetic import generate_songs
    from kickgen.engine.runtime.bundle import ModelBundle
    from kickgen.engine.runtime.style import FIT_CODE_BOUND, fit_style, reference_style

    bundle = ModelBundle.load(tiny_bundle)
    song = generate_songs(1, seed=5)[0].signals
    context = bundle.context_of(song)
    wanted = np.array([1.5, -1.0, 0.5, 2.0], dtype=np.float32)  # the tiny model's 4-value code
    kick = bundle.decode(context, hold_code(wanted, n_frames=context.shape[1]))
    code_path, estimate = reference_style(bundle, context, kick)
    _, fit = fit_style(bundle, context, kick, code_path.mean(axis=1), max_evaluations=200)
    assert fit["mse_end"] < 0.02 * fit["mse_start"]
    assert fit["evaluations"] <= 200 + 20  # L-BFGS may finish a line search past its budget
    assert estimate.fit is not None and estimate.fit["mse_end"] < estimate.fit["mse_start"]
    assert np.abs(estimate.code).max() <= FIT_CODE_BOUND
    assert np.array_equal(estimate.code, fit_style(bundle, context, kick, code_path.mean(axis=1))[0])


def test_a_long_song_is_fitted_on_evenly_spaced_excerpts():
    from kickgen.engine.runtime.style import fit_excerpts

    assert fit_excerpts(5000) == [(0, 5000)]
    excerpts = fit_excerpts(20000, max_frames=8192, excerpt_frames=2048)
    assert len(excerpts) == 4 and excerpts[0] == (0, 2048) and excerpts[-1] == (17952, 20000)
    assert all(b - a == 2048 for a, b in excerpts) and excerpts == sorted(excerpts)


def test_a_style_prior_fits_its_styles_and_draws_codes_spread_as_they_are():
    rng = np.random.default_rng(2)
    mean = np.linspace(-0.5, 0.5, 16)  # and spreads that the ±3 bound barely clips
    mixing = np.diag(np.linspace(0.3, 0.9, 16)) + 0.1 * np.tril(rng.standard_normal((16, 16)), -1)
    styles = mean + rng.standard_normal((3000, 16)) @ mixing.T
    prior = StylePrior.fit(styles)
    assert prior.songs == 3000 and np.allclose(prior.mean, mean, atol=0.06)
    assert np.allclose(prior.factor @ prior.factor.T, mixing @ mixing.T, atol=0.1)
    again = StylePrior.from_json(json.loads(json.dumps(prior.to_json())))
    assert np.allclose(again.factor, prior.factor, atol=1e-6) and again.songs == 3000
    draws = np.stack([sample_code(np.random.default_rng(seed), prior=prior) for seed in range(3000)])
    assert np.allclose(draws.mean(axis=0), mean, atol=0.1)
    assert np.allclose(draws.std(axis=0), np.linalg.norm(mixing, axis=1), rtol=0.1)
    assert np.abs(draws).max() <= FIT_CODE_BOUND  # within the range fitted styles keep to
    assert np.array_equal(random_style(5, prior=prior)[1], sample_code(np.random.default_rng(5), prior=prior))
