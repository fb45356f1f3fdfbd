"""The torch-free runtime: a model bundle run with onnxruntime.

Sessions are tuned for the bridge's latency: one intra-op and one inter-op thread,
sequential execution, all graph optimizations (ORT_ENABLE_ALL). One thread is the
fastest choice for one bar (about 700 frames) on a small CPU, and it leaves the other
cores to the DAW; pass `threads` for whole-song work.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime as ort

from kickgen.engine.errors import KickgenError
from kickgen.engine.runtime.bundle_files import (
    INFO_FILE,
    ONNX_FILES,
    STYLE_FIT_FILE,
    BundleError,
    BundleInfo,
    graph_files,
    verify_files,
)
from kickgen.engine.runtime.style import StylePrior
from kickgen.engine.signals.frames import (
    CONTEXT_CHANNELS,
    DOWNBEAT_FORMS,
    FPS,
    SongSignals,
    with_downbeat_form,
)

DEFAULT_BUNDLE = "default"  # folder of the shipped bundle inside kickgen.models


class ModelInputError(KickgenError):
    """An array handed to the runtime has the wrong dtype or shape."""


class CodeModel(Protocol):
    """What turns a song's context and kick into codes and back: a `ModelBundle`, or a
    torch CGAE fresh from training (`model.torch_runtime.TorchModel`). `context_of`
    gives a song's context as the model reads it; `can_fit_style` says whether it fits
    style codes (`runtime.style.reference_style`)."""

    can_fit_style: bool

    def context_of(self, signals: SongSignals) -> np.ndarray: ...

    def encode(self, context: np.ndarray, kick: np.ndarray) -> np.ndarray: ...

    def decode(self, context: np.ndarray, code: np.ndarray) -> np.ndarray: ...

    def context_features(self, context: np.ndarray) -> np.ndarray: ...  # where `can_fit_style`

    def style_fit_step(self, features: np.ndarray, code: np.ndarray, kick: np.ndarray, steps: np.ndarray,
                       ) -> tuple[float, np.ndarray]: ...


def session_options(*, threads: int = 1) -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return options


def _batched(name: str, array: np.ndarray, channels: int, n_frames: int | None = None) -> np.ndarray:
    """Check a float32 (C, T) or (B, C, T) array; return it as (B, C, T)."""
    if not isinstance(array, np.ndarray) or array.dtype != np.float32:
        got = array.dtype if isinstance(array, np.ndarray) else type(array).__name__
        raise ModelInputError(f"{name}: expected a float32 array, got {got}")
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[1] != channels or array.shape[2] == 0:
        raise ModelInputError(f"{name}: expected shape ({channels}, T) or (B, {channels}, T), got {array.shape}")
    if n_frames is not None and array.shape[2] != n_frames:
        raise ModelInputError(f"{name}: has {array.shape[2]} frames, the context has {n_frames}")
    return np.ascontiguousarray(array)


@dataclass
class ModelBundle:
    """A loaded, verified bundle: `info`, its `id`, and onnxruntime sessions (the style
    fitting graphs' only when the bundle has them)."""

    directory: Path
    info: BundleInfo
    id: str
    decoder: ort.InferenceSession
    encoder: ort.InferenceSession
    features: ort.InferenceSession | None = None
    style_fit: ort.InferenceSession | None = None
    style_prior: StylePrior | None = None  # where random styles are drawn from (`kickgen calibrate`)

    @classmethod
    def load(cls, directory: str | Path, *, threads: int = 1, fitting: bool = True) -> ModelBundle:
        """Load and verify a bundle folder; `BundleError` names what is wrong. `fitting`:
        load its style-fitting graphs too, where it has them."""
        directory = Path(directory)
        if not directory.is_dir():
            raise BundleError(directory, "no such model bundle folder")
        info = BundleInfo.read(directory)
        if (info.context_channels != CONTEXT_CHANNELS or abs(info.fps - FPS) > 1e-9
                or info.downbeat_form not in DOWNBEAT_FORMS):
            raise BundleError(
                directory / INFO_FILE,
                f"made for channels {info.context_channels} at {info.fps} fps (downbeat as "
                f"{info.downbeat_form}); this kickgen computes {CONTEXT_CHANNELS} at {FPS} fps "
                f"(downbeat as {' or '.join(DOWNBEAT_FORMS)})",
            )
        bundle_identity = verify_files(directory, info)
        options = session_options(threads=threads)
        providers = ["CPUExecutionProvider"]
        names = graph_files(info) if fitting else ONNX_FILES
        try:  # in `graph_files` order: decoder, encoder, then the fitting graphs' features and style_fit
            sessions = {name: ort.InferenceSession(str(directory / name), options, providers=providers)
                        for name in names}
        except (ort.capi.onnxruntime_pybind11_state.Fail, ort.capi.onnxruntime_pybind11_state.InvalidGraph) as exc:
            raise BundleError(directory, f"onnxruntime cannot load it ({exc})") from None
        fit = sessions.get(STYLE_FIT_FILE)
        if fit is not None and "steps" not in {graph_input.name for graph_input in fit.get_inputs()}:
            raise BundleError(directory / STYLE_FIT_FILE, "its style fit holds one code and cannot fit a bar of "
                              f"codes; rebuild it with `kickgen-export --add-style-fit {directory}`")
        return cls(directory, info, bundle_identity, *sessions.values(), style_prior=read_style_prior(directory, info))

    @classmethod
    def from_package(cls, package: str, name: str, *, threads: int = 1) -> ModelBundle:
        """A bundle folder `name` shipped inside `package`, found via importlib.resources."""
        with importlib.resources.as_file(importlib.resources.files(package) / name) as directory:
            return cls.load(directory, threads=threads)

    @classmethod
    def default(cls, *, threads: int = 1) -> ModelBundle:
        """The default bundle shipped with kickgen (kickgen.models/default)."""
        return cls.from_package("kickgen.models", DEFAULT_BUNDLE, threads=threads)

    def context_of(self, signals: SongSignals) -> np.ndarray:
        """The song's (4, T) context as this model reads it (its downbeat form)."""
        return with_downbeat_form(signals, self.info.downbeat_form).context

    @property
    def context_size(self) -> int:
        return len(self.info.context_channels)

    def decode(self, context: np.ndarray, code: np.ndarray) -> np.ndarray:
        """Kick curve for a context under a code path.

        context: float32 (4, T) or (B, 4, T); code: float32 (16, T) or (B, 16, T).
        Returns (1, T) or (B, 1, T), matching the input's batching.
        """
        x = _batched("context", context, self.context_size)
        m = _batched("code", code, self.info.code_size, x.shape[2])
        if m.shape[0] != x.shape[0]:
            raise ModelInputError(f"code: batch of {m.shape[0]}, the context's is {x.shape[0]}")
        kick = self.decoder.run(["kick"], {"context": x, "code": m})[0]
        return kick if context.ndim == 3 else kick[0]

    def encode(self, context: np.ndarray, kick: np.ndarray) -> np.ndarray:
        """Code path of a song with its kick: (4, T), (1, T) -> (16, T); batched alike."""
        x = _batched("context", context, self.context_size)
        y = _batched("kick", kick, 1, x.shape[2])
        if y.shape[0] != x.shape[0]:
            raise ModelInputError(f"kick: batch of {y.shape[0]}, the context's is {x.shape[0]}")
        code = self.encoder.run(["code"], {"context": x, "kick": y})[0]
        return code if context.ndim == 3 else code[0]

    def peak_threshold(self, asked: float | None = None) -> float:
        """`asked`, or when None the bundle's own peak threshold (`kickgen calibrate`)."""
        return self.info.threshold if asked is None else asked

    @property
    def can_fit_style(self) -> bool:
        return self.style_fit is not None

    def context_features(self, context: np.ndarray) -> np.ndarray:
        """U x of a (4, T) or (B, 4, T) context: (B, C, T), what `style_fit_step` gates."""
        return self.features.run(["features"], {"context": _batched("context", context, self.context_size)})[0]

    def style_fit_step(self, features: np.ndarray, code: np.ndarray, kick: np.ndarray, steps: np.ndarray,
                       ) -> tuple[float, np.ndarray]:
        """The decoder's mean squared error against `kick` ((1, T) or (B, 1, T)) with one
        style `code` laid over every frame of the batch: (K,) held, or (K, S) by the bar
        steps `steps` ((S, T) or (B, S, T) indicators, `style.step_indicators`); and its
        gradient, shaped as `code`. `features` (B, C, T) from `context_features`."""
        kick = _batched("kick", kick, 1, features.shape[2])
        code = np.asarray(code, dtype=np.float32)
        codes = np.repeat(code.reshape(len(code), -1)[None], len(kick), axis=0)
        steps = np.broadcast_to(np.asarray(steps, dtype=np.float32), (len(kick), codes.shape[2], features.shape[2]))
        loss, gradient = self.style_fit.run(["loss", "gradient"], {"features": features, "code": codes,
                                                                   "steps": np.ascontiguousarray(steps), "kick": kick})
        return float(loss.mean()), gradient.mean(axis=0).reshape(code.shape)

    def decode_window(self, context: np.ndarray, code: np.ndarray, *, start: int, stop: int) -> np.ndarray:
        """Frames [start, stop) of `decode(context, code)`, computed on a window.

        context (4, T) and code (16, T) cover the song (or (B, 4, T), (B, 16, T)); the
        model runs on [start, stop) widened by the decoder's receptive field on each side
        (clipped to the song), so the result equals whole-song decoding there.
        Returns (1, stop - start), or (B, 1, stop - start).
        """
        n_frames = context.shape[-1]
        if not 0 <= start < stop <= n_frames:
            raise ModelInputError(f"window [{start}, {stop}) is not inside the song's {n_frames} frames")
        rf = self.info.receptive_field
        lo, hi = max(0, start - rf["decoder_left"]), min(n_frames, stop + rf["decoder_right"])
        return self.decode(context[..., lo:hi], code[..., lo:hi])[..., start - lo : stop - lo]


def read_style_prior(directory: Path, info: BundleInfo) -> StylePrior | None:
    """bundle.json's style prior, checked against the code size; None when not calibrated."""
    if info.style_prior is None:
        return None
    try:
        prior = StylePrior.from_json(info.style_prior)
    except (TypeError, KeyError, ValueError) as exc:
        raise BundleError(directory / INFO_FILE, f"its style_prior is not a mean, factor and songs ({exc})") from None
    if prior.mean.shape != (info.code_size,) or prior.factor.shape != (info.code_size, info.code_size):
        raise BundleError(directory / INFO_FILE, f"its style_prior is not over {info.code_size}-dimensional codes")
    return prior


def load_bundle(directory: str | Path | None = None, *, threads: int = 1) -> ModelBundle:
    """The bundle in `directory` (a `--model` flag), or the shipped default when None."""
    return ModelBundle.load(directory, threads=threads) if directory else ModelBundle.default(threads=threads)
