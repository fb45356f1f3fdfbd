"""Checkpoint -> model bundle: ONNX decoder and encoder, the style-fitting graphs,
bundle.json, and a self-check.

The export checks itself before anything final is written: `onnx.checker` passes and
onnxruntime matches torch (max abs error <= 1e-4) on random standardized inputs and on
generated songs, at lengths from below the receptive field up to 20 000 frames. The
bundle is built in a temporary folder and moved into place only when all checks pass.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from kickgen.engine import __version__
from kickgen.engine.corpus.synthetic import generate_songs
from kickgen.engine.errors import KickgenError, OutputExistsError
from kickgen.engine.model.cgae import CGAE, receptive_field
from kickgen.engine.model.checkpoint import model_from_payload, read_checkpoint
from kickgen.engine.model.style_fit import ContextFeatures, StyleFitStep
from kickgen.engine.runtime.bundle import session_options
from kickgen.engine.runtime.bundle_files import (
    BUNDLE_FORMAT,
    DECODER_FILE,
    ENCODER_FILE,
    FEATURES_FILE,
    FIT_FILES,
    INFO_FILE,
    ONNX_FILES,
    STYLE_FIT_FILE,
    BundleInfo,
    file_sha256,
)
from kickgen.engine.runtime.style import BAR_STEPS, step_indicators
from kickgen.engine.signals.frames import CONTEXT_CHANNELS, FPS
from kickgen.engine.signals.peaks import DEFAULT_THRESHOLD
from kickgen.engine.util.atomic import atomic_path, creation_mode

OPSET = 17
TOLERANCE = 1e-4
CHECK_LENGTHS = (64, 511, 2000, 20000)


class ExportError(KickgenError):
    """The exported graphs failed a check; no bundle was written."""


class ModelMethod(torch.nn.Module):
    """`model.encode` or `model.decode` as a module of its own, for export."""

    def __init__(self, model: CGAE, method: str):
        super().__init__()
        self.model = model
        self.method = method

    def forward(self, context: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
        return getattr(self.model, self.method)(context, other)


def export_graph(module: torch.nn.Module, inputs: dict[str, torch.Tensor], output: str | tuple[str, ...],
                 path: Path, *, axes: dict[str, dict[int, str]] | None = None) -> None:
    """TorchScript-based ONNX export with a dynamic batch axis, and a dynamic time axis on
    every (B, C, T) input and output unless `axes` names a tensor's dynamic axes itself."""
    outputs = (output,) if isinstance(output, str) else output
    with torch.no_grad():
        results = module(*inputs.values())
    tensors = {**inputs, **dict(zip(outputs, (results,) if isinstance(output, str) else results))}
    axes = {name: {0: "batch", 2: "frames"} if tensor.dim() == 3 else {0: "batch"} for name, tensor in tensors.items()
            } | (axes or {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on its own deprecation
        torch.onnx.export(
            module, tuple(inputs.values()), str(path), input_names=list(inputs), output_names=list(outputs),
            dynamic_axes=axes, opset_version=OPSET, dynamo=False,
        )


def stamp_metadata(path: Path, facts: dict[str, str]) -> None:
    """Write `facts` into the ONNX file's metadata_props."""
    model = onnx.load(str(path))
    onnx.helper.set_model_props(model, facts)
    onnx.save(model, str(path))


def check_inputs(model: CGAE) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(label, context, kick, code) triples, batch 1: random standardized signals of
    several lengths, and generated songs with the codes the model infers for them."""
    rng = np.random.default_rng(0)
    cases = []
    for n in CHECK_LENGTHS:
        x = rng.standard_normal((1, len(CONTEXT_CHANNELS), n)).astype(np.float32)
        y = rng.standard_normal((1, 1, n)).astype(np.float32)
        m = rng.standard_normal((1, model.config.code_size, n)).astype(np.float32)
        cases.append((f"random, {n} frames", x, y, m))
    for song in generate_songs(2, seed=0):
        x, y = song.signals.context[None], song.signals.kick[None]
        with torch.no_grad():
            m = model.encode(torch.from_numpy(x), torch.from_numpy(y)).numpy()
        cases.append((f"generated song, {x.shape[2]} frames", x, y, m))
    return cases


def check_parity(model: CGAE, directory: Path) -> float:
    """Max abs difference between onnxruntime and torch over `check_inputs`; raises
    `ExportError` above `TOLERANCE`."""
    decoder = ort.InferenceSession(str(directory / DECODER_FILE), session_options(threads=2))
    encoder = ort.InferenceSession(str(directory / ENCODER_FILE), session_options(threads=2))
    worst = 0.0
    for label, x, y, m in check_inputs(model):
        with torch.no_grad():
            want_kick = model.decode(torch.from_numpy(x), torch.from_numpy(m)).numpy()
            want_code = model.encode(torch.from_numpy(x), torch.from_numpy(y)).numpy()
        got_kick = decoder.run(["kick"], {"context": x, "code": m})[0]
        got_code = encoder.run(["code"], {"context": x, "kick": y})[0]
        for what, got, want in (("decoder", got_kick, want_kick), ("encoder", got_code, want_code)):
            if got.shape != want.shape:
                raise ExportError(f"{what} on {label}: shape {got.shape}, torch gives {want.shape}")
            error = float(np.abs(got - want).max())
            if not error <= TOLERANCE:
                raise ExportError(f"{what} on {label}: max abs error {error:.2e} > {TOLERANCE:.0e}")
            worst = max(worst, error)
    return worst


def check_style_fit(model: CGAE, directory: Path) -> float:
    """Max abs difference between onnxruntime's style-fitting graphs and torch's autograd
    (squared error and its gradient under a bar of codes, one per bar step) over
    `check_inputs`; raises `ExportError` above `TOLERANCE`."""
    features_graph = ort.InferenceSession(str(directory / FEATURES_FILE), session_options(threads=2))
    fit_graph = ort.InferenceSession(str(directory / STYLE_FIT_FILE), session_options(threads=2))
    worst = 0.0
    for label, x, y, m in check_inputs(model):
        n_frames = x.shape[2]
        bar_codes = m[:, :, :: max(1, n_frames // BAR_STEPS)][:, :, :BAR_STEPS].copy()  # (B, K, S)
        steps = np.repeat(step_indicators(np.arange(n_frames) * BAR_STEPS // n_frames, BAR_STEPS)[None], len(x), axis=0)
        code = torch.from_numpy(bar_codes).requires_grad_(True)
        features = model.U(torch.from_numpy(x)).detach()
        kick = model.decode_from_features(features, torch.matmul(code, torch.from_numpy(steps)))
        loss = (kick - torch.from_numpy(y)).pow(2).mean(dim=(1, 2))
        (gradient,) = torch.autograd.grad(loss.sum(), code)
        got_features = features_graph.run(["features"], {"context": x})[0]
        got_loss, got_gradient = fit_graph.run(["loss", "gradient"], {"features": got_features, "code": bar_codes,
                                                                      "steps": steps, "kick": y})
        for what, got, want in (("features", got_features, features.numpy()), ("style fit", got_loss, loss.detach().numpy()),
                                ("style fit gradient", got_gradient, gradient.numpy())):
            error = float(np.abs(got - want).max())
            if not error <= TOLERANCE:
                raise ExportError(f"{what} on {label}: max abs error {error:.2e} > {TOLERANCE:.0e}")
            worst = max(worst, error)
    return worst


def bundle_info(model: CGAE, payload: dict, sha256: dict[str, str]) -> BundleInfo:
    return BundleInfo(
        format_version=BUNDLE_FORMAT,
        fps=FPS,
        context_channels=CONTEXT_CHANNELS,
        code_size=model.config.code_size,
        receptive_field=receptive_field(model.config),
        threshold=DEFAULT_THRESHOLD,
        training=json.loads(payload.get("training", "{}")),
        metrics=None,  # no evaluation has been run on it yet
        sha256=sha256,
        kickgen_version=__version__,
        downbeat_form=model.config.downbeat_form,
    )


def write_style_fit_graphs(model: CGAE, directory: Path) -> None:
    """features.onnx and style_fit.onnx of `model` into `directory` (not yet checked)."""
    n = 600
    export_graph(ContextFeatures(model), {"context": torch.zeros(1, len(CONTEXT_CHANNELS), n)}, "features",
                 directory / FEATURES_FILE)
    export_graph(StyleFitStep(model), {"features": torch.zeros(1, model.config.conv_channels[-1], n),
                                       "code": torch.zeros(1, model.config.code_size, BAR_STEPS),
                                       "steps": torch.zeros(1, BAR_STEPS, n), "kick": torch.zeros(1, 1, n)},
                 ("loss", "gradient"), directory / STYLE_FIT_FILE,
                 axes={"code": {0: "batch", 2: "steps"}, "gradient": {0: "batch", 2: "steps"},
                       "steps": {0: "batch", 1: "steps", 2: "frames"}})


def add_style_fit(directory: str | Path) -> float:
    """Give a bundle exported before style fitting its fitting graphs, built from its own
    weights, stamped and checked as an export's are; bundle.json's sha256 gains them, its
    id stays.
    Returns the worst parity error."""
    from kickgen.engine.model.bundle_weights import load_cgae_from_bundle, model_config_of_bundle

    directory = Path(directory)
    info = BundleInfo.read(directory)
    model = load_cgae_from_bundle(directory, model_config_of_bundle(directory))
    with tempfile.TemporaryDirectory(prefix=".style-fit.", dir=directory) as staging:
        staging = Path(staging)
        write_style_fit_graphs(model, staging)
        stamp_and_check(model, staging, FIT_FILES)
        worst = check_style_fit(model, staging)
        for name in FIT_FILES:
            (staging / name).replace(directory / name)
    sha256 = {**info.sha256, **{name: file_sha256(directory / name) for name in FIT_FILES}}
    with atomic_path(directory / INFO_FILE, force=True) as tmp:
        tmp.write_text(json.dumps({**info.to_json(), "sha256": sha256}, indent=2) + "\n")
    return worst


def write_bundle(model: CGAE, payload: dict, directory: Path) -> float:
    """Export the decoder, the encoder and the style-fitting graphs into `directory`,
    stamp and check them, write bundle.json; returns the worst parity error."""
    n = 600
    x = torch.zeros(1, len(CONTEXT_CHANNELS), n)
    export_graph(ModelMethod(model, "decode"), {"context": x, "code": torch.zeros(1, model.config.code_size, n)},
                 "kick", directory / DECODER_FILE)
    export_graph(ModelMethod(model, "encode"), {"context": x, "kick": torch.zeros(1, 1, n)},
                 "code", directory / ENCODER_FILE)
    write_style_fit_graphs(model, directory)
    stamp_and_check(model, directory, (*ONNX_FILES, *FIT_FILES))
    worst = max(check_parity(model, directory), check_style_fit(model, directory))
    info = bundle_info(model, payload, {name: file_sha256(directory / name) for name in (*ONNX_FILES, *FIT_FILES)})
    (directory / INFO_FILE).write_text(json.dumps(info.to_json(), indent=2) + "\n")
    return worst


def stamp_and_check(model: CGAE, directory: Path, names: tuple[str, ...]) -> None:
    """Stamp the bundle's facts into each graph `names` in `directory`, then have
    onnx.checker pass it (else `ExportError`)."""
    rf = receptive_field(model.config)
    for name in names:
        stamp_metadata(directory / name, {
            "kickgen_bundle_format": str(BUNDLE_FORMAT),
            "kickgen_version": __version__,
            "graph": name.removesuffix(".onnx"),
            "fps": repr(FPS),
            "context_channels": ",".join(CONTEXT_CHANNELS),
            "code_size": str(model.config.code_size),
            "receptive_field_frames": str(rf["decoder"] if name in (DECODER_FILE, STYLE_FIT_FILE) else rf["encoder"]),
            "threshold": repr(DEFAULT_THRESHOLD),
        })
        try:
            onnx.checker.check_model(str(directory / name), full_check=True)
        except onnx.checker.ValidationError as exc:
            raise ExportError(f"{name}: onnx.checker refused the graph ({exc})") from None


def export_checkpoint(checkpoint: str | Path, out: str | Path, *, force: bool = False) -> float:
    """Write the bundle of `checkpoint` to `out`; returns the worst parity error.

    The bundle is built and checked in a staging folder beside `out`. An existing `out`
    is replaced only with `force` and only when it is a bundle (holds bundle.json): it
    is renamed aside, the new bundle renamed in, and then the old one removed. A failed
    export leaves nothing behind and `out` as it was.
    """
    out = Path(out)
    if out.exists() and not force:
        raise OutputExistsError(out)
    if out.exists() and not (out / INFO_FILE).is_file():
        raise ExportError(f"{out}: exists and is not a model bundle; refusing to replace it")
    payload = read_checkpoint(checkpoint)
    model = model_from_payload(payload)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new.", dir=out.parent))
    retired = out.parent / f".{out.name}.old.{staging.name.rsplit('.', 1)[-1]}"
    try:
        worst = write_bundle(model, payload, staging)
        staging.chmod(creation_mode(directory=True))  # mkdtemp's folders are private
        if out.exists():
            out.rename(retired)
        staging.rename(out)
    finally:
        for leftover in (staging, retired):
            if leftover.exists():
                shutil.rmtree(leftover)
    return worst
