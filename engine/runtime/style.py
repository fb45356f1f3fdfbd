"""Style codes: a random code held over time, or a reference song's style: the dominant
code of its code path, or, where the bundle can fit styles, a bar of codes (one per
sixteenth of the bar, looped with the song's bars) fitted to the song's own kicks.

A style code is (K,), held over every frame, or (K, BAR_STEPS), a code per step of the
bar; `style_frames` lays either out over a song's frames."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from kickgen.engine.signals.frames import SongSignals, bar_phase_curve

K_RANGE = range(2, 11)
FIT_EVALUATIONS = 80  # decoder passes (squared error and its gradient) a style fit may spend
FIT_CODE_BOUND = 3.0  # a fitted code stays within ±3 in every dimension: 3 σ of the N(0, I) codes train toward
FIT_MAX_FRAMES = 8192  # a longer song is fitted on evenly spaced excerpts of this many frames in all
FIT_EXCERPT_FRAMES = 2048
BAR_STEPS = 16  # a fitted style's codes per bar: sixteenths in 4/4


@dataclass(frozen=True)
class StyleEstimate:
    """A song's style: its code, (K,) the centroid of its largest code cluster, or
    (K, BAR_STEPS) fitted to the song's kicks (`fit`); the number of clusters k chosen by
    the Davies–Bouldin score, that score, and the share of the song's frames in the
    chosen cluster."""

    code: np.ndarray
    k: int
    davies_bouldin: float
    share: float
    labels: np.ndarray | None = None  # (T,) cluster of every frame; the chosen one is `chosen`
    chosen: int = 0
    fit: dict | None = None  # when `code` was fitted to the song's kicks: method, evaluations, mse_start, mse_end


@dataclass(frozen=True)
class StylePrior:
    """Where real songs' styles lie: N(mean, factor factorᵀ) over (K,) style codes, fitted
    to the styles `reference_style` finds in a model's training songs (`kickgen calibrate`).
    Random styles are drawn from it, so that they are spread as presets are."""

    mean: np.ndarray  # (K,)
    factor: np.ndarray  # (K, K) lower-triangular: the covariance's Cholesky factor
    songs: int  # how many styles it was fitted to

    @classmethod
    def fit(cls, codes: np.ndarray, *, ridge: float = 1e-3) -> StylePrior:
        """The Gaussian of (N, K) codes (N ≥ 2), its covariance kept positive definite by `ridge`·I."""
        codes = np.asarray(codes, dtype=np.float64)
        covariance = np.cov(codes, rowvar=False) + ridge * np.eye(codes.shape[1])
        return cls(codes.mean(axis=0), np.linalg.cholesky(covariance), len(codes))

    def to_json(self) -> dict:
        return {"mean": self.mean.round(6).tolist(), "factor": self.factor.round(6).tolist(), "songs": self.songs}

    @classmethod
    def from_json(cls, data: dict) -> StylePrior:
        return cls(np.asarray(data["mean"], dtype=np.float64), np.asarray(data["factor"], dtype=np.float64),
                   int(data["songs"]))


def sample_code(rng: np.random.Generator, *, code_size: int = 16, prior: StylePrior | None = None) -> np.ndarray:
    """One style code drawn from `prior` (N(0, I) without one), within the ±FIT_CODE_BOUND
    that fitted styles keep to; (code_size,) float32. One draw of `code_size` normals either way."""
    z = rng.standard_normal(code_size)
    code = z if prior is None else prior.mean + prior.factor @ z
    return np.clip(code, -FIT_CODE_BOUND, FIT_CODE_BOUND).astype(np.float32)


def random_style(seed: int, *, code_size: int = 16, prior: StylePrior | None = None) -> tuple[str, np.ndarray]:
    """The random style drawn with `seed` (`sample_code`), and its name as the bridge shows it."""
    return f"random (seed {seed})", sample_code(np.random.default_rng(seed), code_size=code_size, prior=prior)


def hold_code(code: np.ndarray, *, n_frames: int) -> np.ndarray:
    """Repeat a (K,) code over time; (K, n_frames) float32."""
    return np.repeat(np.asarray(code, dtype=np.float32)[:, None], n_frames, axis=1)


def bar_steps(signals: SongSignals, *, steps: int = BAR_STEPS) -> np.ndarray:
    """The step of the bar (0 .. steps - 1) each of the song's frames is nearest to, from
    its downbeats (`bar_phase_curve`: bars before the first and after the last carry on);
    (T,) int64, all 0 with fewer than two downbeats."""
    phase = bar_phase_curve(signals.downbeat_times_s, n_frames=signals.n_frames, fps=signals.fps)
    return np.floor(phase * steps + 0.5).astype(np.int64) % steps


def style_frames(code: np.ndarray, step_of_frame: np.ndarray) -> np.ndarray:
    """A style code laid out over a song's frames: (K,) held, or (K, S) each frame taking
    its bar step's code (`step_of_frame`: (T,) from `bar_steps`); (K, T) float32."""
    code = np.asarray(code, dtype=np.float32)
    if code.ndim == 1:
        return hold_code(code, n_frames=len(step_of_frame))
    return np.ascontiguousarray(code[:, step_of_frame])


def bar_code(code: np.ndarray) -> np.ndarray:
    """A style code as a bar of codes (K, BAR_STEPS): a held (K,) code at every step."""
    code = np.asarray(code, dtype=np.float32)
    return code if code.ndim == 2 else np.repeat(code[:, None], BAR_STEPS, axis=1)


def mix_codes(a: np.ndarray, b: np.ndarray, weight: float) -> np.ndarray:
    """(1 - weight)·a + weight·b, float32: two held codes mix to a held code, a held code
    and a bar of codes mix as bars (`bar_code`); weight 0 is `a` itself, 1 is `b`."""
    if weight in (0, 1):
        return np.asarray(b if weight else a, dtype=np.float32)
    if np.ndim(a) != np.ndim(b):
        a, b = bar_code(a), bar_code(b)
    return ((1 - weight) * np.asarray(a, dtype=np.float32) + weight * np.asarray(b, dtype=np.float32)).astype(np.float32)


def code_from_values(values, code_size: int) -> np.ndarray | None:
    """A style code from its flat values (a (K,) code's, or a (K, BAR_STEPS) code's row by
    row, as the host link saves it); None when there are neither K nor K·BAR_STEPS values."""
    values = np.asarray(values, dtype=np.float32)
    if len(values) == code_size:
        return values
    return values.reshape(code_size, BAR_STEPS) if len(values) == code_size * BAR_STEPS else None


def step_indicators(step_of_frame: np.ndarray, n_steps: int) -> np.ndarray:
    """(n_steps, T) float32: row s is 1 on the frames of bar step s (a held code: one row of 1s)."""
    return (np.arange(n_steps)[:, None] == np.asarray(step_of_frame)[None, :] % n_steps).astype(np.float32)


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


def fit_excerpts(n_frames: int, *, max_frames: int = FIT_MAX_FRAMES,
                 excerpt_frames: int = FIT_EXCERPT_FRAMES) -> list[tuple[int, int]]:
    """[start, stop) frame ranges a style is fitted on: the whole song, or evenly spaced
    excerpts of `excerpt_frames` (first and last included) that add up to `max_frames`."""
    if n_frames <= max_frames:
        return [(0, n_frames)]
    starts = np.linspace(0, n_frames - excerpt_frames, max_frames // excerpt_frames).round().astype(int)
    return [(int(start), int(start) + excerpt_frames) for start in starts]


def fit_style(bundle, context: np.ndarray, kick: np.ndarray, start: np.ndarray, step_of_frame: np.ndarray, *,
              max_evaluations: int = FIT_EVALUATIONS) -> tuple[np.ndarray, dict]:
    """The style code that, laid over the song (`style_frames`), makes `bundle`'s decoder
    reproduce `kick` (1, T) best (least squared error) from `context` (4, T): (K,) held
    when `start` is (K,), a bar of codes (K, S) when it is (K, S), each frame taking the
    code of its step in `step_of_frame` (T,). L-BFGS-B (scipy) from `start`, every value
    kept within ±`FIT_CODE_BOUND`, on the bundle's style-fitting graphs, over
    `fit_excerpts` of the song (one batch), in at most about `max_evaluations` passes.
    Unbounded, the fit runs to codes of norm ~30 that fit the song's own kicks a little
    better and follow its tempo worse. Returns the best code evaluated and {method,
    evaluations, mse_start, mse_end}."""
    from scipy.optimize import minimize

    start = np.clip(np.asarray(start, dtype=np.float64), -FIT_CODE_BOUND, FIT_CODE_BOUND)
    shape = start.shape
    indicators = step_indicators(step_of_frame, shape[1] if start.ndim == 2 else 1)
    excerpts = fit_excerpts(context.shape[-1])
    features = bundle.context_features(np.stack([context[:, a:b] for a, b in excerpts]))
    kicks = np.stack([kick[:, a:b] for a, b in excerpts])
    steps = np.stack([indicators[:, a:b] for a, b in excerpts])
    evaluated: list[tuple[float, np.ndarray]] = []

    def squared_error(values: np.ndarray) -> tuple[float, np.ndarray]:
        code = values.reshape(shape).astype(np.float32)
        mse, gradient = bundle.style_fit_step(features, code, kicks, steps)
        evaluated.append((float(mse), code))
        return float(mse), np.asarray(gradient, dtype=np.float64).ravel()

    minimize(squared_error, start.ravel(), jac=True, method="L-BFGS-B",
             bounds=[(-FIT_CODE_BOUND, FIT_CODE_BOUND)] * start.size,
             options={"maxfun": max_evaluations, "maxiter": max_evaluations})
    mse_end, code = min(evaluated, key=lambda entry: entry[0])
    return code, {"method": "L-BFGS-B", "evaluations": len(evaluated), "mse_start": round(evaluated[0][0], 5),
                  "mse_end": round(mse_end, 5)}


def reference_style(bundle, context: np.ndarray, kick: np.ndarray, step_of_frame: np.ndarray,
                    ) -> tuple[np.ndarray, StyleEstimate]:
    """A reference song's code path (K, T) and style: `infer_style`'s cluster facts, with
    the code a bar of codes (K, BAR_STEPS) fitted to the song's kicks (`fit_style`, from
    the path's mean code at every step; `step_of_frame` (T,) from `bar_steps`) when the
    bundle has the fitting graphs, else the largest cluster's centroid (K,) (the paper's rule)."""
    code_path = bundle.encode(context, kick)
    estimate = infer_style(code_path)
    if not bundle.can_fit_style:
        return code_path, estimate
    start = np.repeat(code_path.mean(axis=1)[:, None], BAR_STEPS, axis=1)
    code, fit = fit_style(bundle, context, kick, start, step_of_frame)
    return code_path, replace(estimate, code=code, fit=fit)
