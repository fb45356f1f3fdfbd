"""A CGAE's weights read back from a model bundle's ONNX graphs, so that a shipped
model can be trained further when its training checkpoint is not at hand
(`kickgen train --init-from BUNDLE`).

The encoder graph holds U, V and W (every Conv names its layer through its bias); the
decoder graph adds the transposed passes' own biases. Export folds SELU's scale λ into
the weight of every layer that reads a SELU output (`model.after_selu`), so those
weights are divided by λ here. The rebuilt model is checked against onnxruntime.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
from google.protobuf.message import DecodeError
from onnx import numpy_helper

from kickgen.engine.model.cgae import CGAE, SELU_SCALE, ModelConfig
from kickgen.engine.runtime.bundle import ModelBundle
from kickgen.engine.runtime.bundle_files import DECODER_FILE, ENCODER_FILE, BundleError, BundleInfo

PARITY_TOLERANCE = 1e-4
PARITY_FRAMES = 2000


def conv_parameters(path: Path) -> dict[str, np.ndarray]:
    """Every Conv's weight and bias in one ONNX graph, keyed by the model parameter
    its bias is named after ("U.layers.3.weight", "V.transpose_biases.2", ...). Weights
    come back as exported (λ-scaled where `after_selu` applied)."""
    try:
        graph = onnx.load(str(path)).graph
    except FileNotFoundError:
        raise BundleError(path, "missing from the model bundle") from None
    except (OSError, DecodeError) as exc:
        raise BundleError(path, f"not an ONNX graph ({exc})") from None
    stored = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    # The exporter keeps one copy of equal initializers (a bilinear W's zero biases of one
    # size) and names the others through Identity nodes.
    for node in graph.node:
        if node.op_type == "Identity" and node.input[0] in stored:
            stored[node.output[0]] = stored[node.input[0]]
    found = {}
    for node in graph.node:
        if node.op_type != "Conv":
            continue
        if len(node.input) < 3 or node.input[2] not in stored or not node.input[2].startswith("model."):
            raise BundleError(path, f"Conv {node.name} has no named bias: not a kickgen export")
        bias_name = node.input[2].removeprefix("model.")
        found[bias_name] = stored[node.input[2]]
        if bias_name.endswith(".bias") and node.input[1] in stored:  # a forward layer's weight
            found[bias_name.removesuffix("bias") + "weight"] = stored[node.input[1]]
    return found


def cgae_state_from_bundle(directory: Path) -> dict[str, torch.Tensor]:
    """The CGAE's state_dict rebuilt from `directory`'s encoder and decoder graphs."""
    state = conv_parameters(directory / ENCODER_FILE)
    state.update({k: v for k, v in conv_parameters(directory / DECODER_FILE).items() if "transpose_biases" in k})
    for name, value in list(state.items()):
        if name.endswith(".weight") and not name.endswith("layers.0.weight"):
            state[name] = value / SELU_SCALE  # undo after_selu's folded λ
    return {name: torch.tensor(value) for name, value in state.items()}


def parity_error(model: CGAE, directory: Path) -> float:
    """Max abs difference between `model` and the bundle's encoder and decoder (loaded and
    verified by `ModelBundle`) on random inputs."""
    bundle = ModelBundle.load(directory, threads=2, fitting=False)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, model.config.context_channels, PARITY_FRAMES)).astype(np.float32)
    y = rng.standard_normal((1, model.config.target_channels, PARITY_FRAMES)).astype(np.float32)
    m = rng.standard_normal((1, model.config.code_size, PARITY_FRAMES)).astype(np.float32)
    with torch.no_grad():
        want_code = model.encode(torch.from_numpy(x), torch.from_numpy(y)).numpy()
        want_kick = model.decode(torch.from_numpy(x), torch.from_numpy(m)).numpy()
    return max(float(np.abs(bundle.encode(x, y) - want_code).max()),
               float(np.abs(bundle.decode(x, m) - want_kick).max()))


def model_config_of_bundle(directory: Path) -> ModelConfig:
    """The sizes of the bundle's CGAE, read from its graphs' weights (a bundle records no
    config), with its downbeat form; the critic, which no bundle holds, keeps the paper's."""
    state = cgae_state_from_bundle(directory)
    conv = tuple(int(state[f"U.layers.{i}.weight"].shape[0]) for i in range(_count(state, "U.layers.", ".weight")))
    mapping = tuple(int(state[f"W.layers.{i}.weight"].shape[0]) for i in range(_count(state, "W.layers.", ".weight")))
    context = ModelConfig().context_channels
    grouped, previous = 0, context
    for i in range(len(conv)):  # a grouped layer reads a 1/context share of its input per output
        if int(state[f"U.layers.{i}.weight"].shape[1]) * context != previous:
            break
        grouped, previous = grouped + 1, conv[i]
    return ModelConfig(conv_channels=conv, grouped_layers=grouped, mapping_channels=mapping,
                       mapping_bias=any(bool(value.abs().max() > 0) for key, value in state.items()
                                        if key.startswith("W.") and "bias" in key),  # a bilinear W exports zeros
                       downbeat_form=BundleInfo.read(Path(directory)).downbeat_form)


def _count(state: dict, prefix: str, suffix: str) -> int:
    return sum(1 for key in state if key.startswith(prefix) and key.endswith(suffix))


def load_cgae_from_bundle(directory: str | Path, config: ModelConfig = ModelConfig()) -> CGAE:
    """The bundle's CGAE as a trainable torch model of `config`'s sizes; raises
    `BundleError` when the graphs do not fit `config` or the rebuilt model does not
    reproduce them (max abs error above `PARITY_TOLERANCE`)."""
    directory = Path(directory)
    model = CGAE(config)
    try:
        model.load_state_dict(cgae_state_from_bundle(directory))
    except RuntimeError as exc:
        first_line = str(exc).splitlines()[1].strip() if "\n" in str(exc) else str(exc)
        raise BundleError(directory, f"its weights do not fit the model config ({first_line})") from None
    error = parity_error(model, directory)
    if not error <= PARITY_TOLERANCE:
        raise BundleError(directory, f"the rebuilt model differs from its graphs (max abs error {error:.1e})")
    return model
