"""Style codes: held random codes, a song's dominant code by k-means + Davies–Bouldin, and
bars of codes fitted to a song's kicks."""

import json

import numpy as np
import pytest

from kickgen.engine.runtime.style import (
    BAR_STEPS,
    FIT_CODE_BOUND,
    StylePrior,
    bar_code,
    bar_steps,
    code_from_values,
    hold_code,
    infer_style,
    random_style,
    sample_code,
    style_frames,
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


def test_a_bar_of_codes_follows_the_song_s_bars():
    """Each frame takes the code of the sixteenth of its bar it is nearest to, bar after
    bar; a held code and its bar of codes lay out the same; flat values round-trip."""
    from kickgen.engine.corpus.synthetic import generate_songs

    song = generate_songs(1, seed=5)[0].signals
    steps = bar_steps(song)
    downbeats = np.round(song.downbeat_times_s * song.fps).astype(int)
    downbeats = downbeats[(downbeats >= 0) & (downbeats < song.n_frames)]
    assert len(downbeats) > 2 and np.all(steps[downbeats] == 0)
    bar = downbeats[1] - downbeats[0]
    assert np.all(steps[downbeats[0] + round(bar / 4)] == 4) and set(np.unique(steps)) == set(range(BAR_STEPS))
    code = np.arange(4 * BAR_STEPS, dtype=np.float32).reshape(4, BAR_STEPS)
    frames = style_frames(code, steps)
    assert frames.shape == (4, song.n_frames) and np.array_equal(frames[:, downbeats[1]], code[:, 0])
    held = np.array([1.0, -2.0, 0.5, 3.0], dtype=np.float32)
    assert np.array_equal(style_frames(held, steps), style_frames(bar_code(held), steps))
    assert np.array_equal(code_from_values(code.ravel(), 4), code) and code_from_values(code.ravel()[:-1], 4) is None
    assert np.array_equal(code_from_values(held, 4), held)


def test_a_style_fit_finds_back_the_bar_of_codes_a_kick_was_decoded_from(tiny_bundle):
    """A kick part the decoder made from a bar of codes (a different code on the
    off-beats) is fitted back from the path's mean: the squared error falls to a small
    part of where it starts, well below what one held code reaches, and
    `reference_style` fits a bar of codes where the bundle has the fitting graphs."""
    from kickgen.engine.corpus.synthetic import generate_songs
    from kickgen.engine.runtime.bundle import ModelBundle
    from kickgen.engine.runtime.style import fit_style, reference_style

    bundle = ModelBundle.load(tiny_bundle)
    song = generate_songs(1, seed=5)[0].signals
    context, steps = bundle.context_of(song), bar_steps(song)
    wanted = bar_code(np.array([1.5, -1.0, 0.5, 2.0], dtype=np.float32))  # the tiny model's 4-value code
    wanted[:, 2::4] = np.array([-2.0, 1.0, 2.5, -0.5], dtype=np.float32)[:, None]
    kick = bundle.decode(context, style_frames(wanted, steps))
    code_path, estimate = reference_style(bundle, context, kick, steps)
    start = bar_code(code_path.mean(axis=1))
    _, fit = fit_style(bundle, context, kick, start, steps, max_evaluations=300)
    _, held_fit = fit_style(bundle, context, kick, code_path.mean(axis=1), steps, max_evaluations=300)
    assert fit["mse_end"] < 0.05 * fit["mse_start"] and fit["mse_end"] < 0.5 * held_fit["mse_end"]
    assert fit["evaluations"] <= 300 + 20  # L-BFGS may finish a line search past its budget
    assert estimate.code.shape == (4, BAR_STEPS) and estimate.fit["mse_end"] < estimate.fit["mse_start"]
    assert np.abs(estimate.code).max() <= FIT_CODE_BOUND
    assert np.array_equal(estimate.code, fit_style(bundle, context, kick, start, steps)[0])


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
