"""The convolutional gated autoencoder (CGAE) and its critic (Lattner & Grachten 2019, §3).

    m = W(U x · V y)               code, (B, 16, T)
    ỹ = Vᵀ(U x · Wᵀ m)             reconstruction, (B, 1, T)

U and V are stacks of dilated convolutions (kernel 2, dilations 1..128, "same"
padding); W is a stack of 1×1 convolutions. The decoder's Vᵀ and Wᵀ are the adjoints
of V and W with tied weights. SELU sits between layers and never at a stack's output.
The critic D scores (code, U x) pairs frame by frame.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from kickgen.engine.signals.frames import DOWNBEAT_FORMS
from kickgen.engine.util.json_files import from_json_object


@dataclass(frozen=True)
class ModelConfig:
    """Layer sizes; the defaults are the paper's."""

    context_channels: int = 4
    target_channels: int = 1
    conv_channels: tuple[int, ...] = (32, 32, 64, 64, 64, 128, 128, 256)
    grouped_layers: int = 5  # first layers of U that keep the context channels apart
    kernel_size: int = 2
    mapping_channels: tuple[int, ...] = (128, 128, 64, 32, 32, 16)  # W; the last is the code size
    critic_channels: tuple[int, ...] = (256, 128, 64, 64, 1)
    # Biases in W and its transpose open a path around the code: with them a zero code
    # still gates the decoder wide open. False makes the mapping path bias-free, so that
    # m = 0 closes the gate, as paper Eq. 1-2 are bilinear in the code.
    mapping_bias: bool = True
    downbeat_form: str = "impulses"  # how the model reads the downbeat channel (`signals.frames.DOWNBEAT_FORMS`)

    def __post_init__(self):
        sizes = (self.context_channels, self.target_channels, self.kernel_size, *self.conv_channels,
                 *self.mapping_channels, *self.critic_channels)
        if not all(isinstance(n, int) and n > 0 for n in sizes):
            raise ValueError("every size must be a positive whole number")
        if not self.mapping_channels or not self.critic_channels or self.critic_channels[-1] != 1:
            raise ValueError("W needs at least one layer and the critic must end in one channel")
        if self.downbeat_form not in DOWNBEAT_FORMS:
            raise ValueError(f"downbeat_form must be one of {', '.join(DOWNBEAT_FORMS)}")
        grouped = self.conv_channels[: self.grouped_layers]
        if len(grouped) != self.grouped_layers or any(n % self.context_channels for n in grouped):
            raise ValueError(
                f"the first {self.grouped_layers} conv layers must exist and split into "
                f"{self.context_channels} groups"
            )

    @property
    def code_size(self) -> int:
        return self.mapping_channels[-1]

    @property
    def dilations(self) -> tuple[int, ...]:
        return tuple(2**i for i in range(len(self.conv_channels)))

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> ModelConfig:
        return from_json_object(cls, data)


TINY_CONFIG = ModelConfig(
    conv_channels=(8, 8, 16, 16, 16, 32, 32, 32),
    mapping_channels=(32, 16, 8, 8, 8, 4),
    critic_channels=(32, 16, 1),
)  # the same structure at about 1 % of the size: for the demo and the tests


def same_padding(dilation: int, kernel_size: int) -> tuple[int, int]:
    """(left, right) zero padding that keeps the length of a dilated convolution."""
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2


def receptive_field(config: ModelConfig) -> dict[str, int]:
    """Frames each output depends on: the encoder's and the decoder's span, and the
    decoder's reach to the left and right of the frame it writes."""
    pads = [same_padding(d, config.kernel_size) for d in config.dilations]
    left, right = sum(p[0] for p in pads), sum(p[1] for p in pads)
    # Decoder: U x reaches (left, right); the adjoint Vᵀ reaches (right, left) more.
    return {
        "encoder": left + right + 1,
        "decoder": 2 * (left + right) + 1,
        "decoder_left": left + right,
        "decoder_right": left + right,
    }


SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def selu(x: torch.Tensor) -> torch.Tensor:
    """SELU, λ(relu(x) + α(exp(min(x, 0)) - 1)).

    While exporting to ONNX it is spelled out without λ, which `after_selu` moves into
    the next layer's weight: onnxruntime runs that about 2× faster than its own Selu
    kernel (measured on (1, 256, 683) tensors: 0.11 ms against 0.25 ms).
    """
    if torch.onnx.is_in_onnx_export():
        return F.relu(x) + SELU_ALPHA * (torch.exp(torch.clamp(x, max=0.0)) - 1)
    return F.selu(x)


def after_selu(weight: torch.Tensor) -> torch.Tensor:
    """The weight of a layer that reads `selu`'s output: λ·W while exporting (folded
    into a constant by onnxruntime), W otherwise. Exact, zero padding included."""
    return weight * SELU_SCALE if torch.onnx.is_in_onnx_export() else weight


def lecun_normal_(layer: nn.Conv1d) -> nn.Conv1d:
    """LeCun-normal weights and zero bias, the initialization SELU networks assume."""
    fan_in = layer.weight.shape[1] * layer.weight.shape[2]
    nn.init.normal_(layer.weight, std=fan_in**-0.5)
    nn.init.zeros_(layer.bias)
    return layer


def dilated_conv(
    h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, dilation: int, *, groups: int = 1,
    mirror: bool = False,
) -> torch.Tensor:
    """Length-keeping dilated convolution; `mirror` swaps the (left, right) padding, as
    the adjoint needs. Symmetric padding goes into the convolution itself (one ONNX
    Conv, no Pad node); only dilation 1 with kernel 2 needs an explicit pad."""
    left, right = same_padding(dilation, weight.shape[-1])
    if mirror:
        left, right = right, left
    if left == right:
        return F.conv1d(h, weight, bias, padding=left, dilation=dilation, groups=groups)
    return F.conv1d(F.pad(h, (left, right)), weight, bias, dilation=dilation, groups=groups)


class DilatedStack(nn.Module):
    """Dilated convolutions with SELU between layers; (B, C_in, T) -> (B, C_out, T).

    `transpose` runs the adjoint of the same layers in reverse order (weights tied,
    biases its own): (B, C_out, T) -> (B, C_in, T).
    """

    def __init__(
        self, in_channels: int, config: ModelConfig, *, groups: int = 1, grouped_layers: int = 0,
        transposable: bool = False,
    ):
        super().__init__()
        self.kernel_size = config.kernel_size
        self.dilations = config.dilations
        self.groups = [groups if i < grouped_layers else 1 for i in range(len(config.conv_channels))]
        channels = (in_channels, *config.conv_channels)
        self.layers = nn.ModuleList(
            lecun_normal_(nn.Conv1d(c_in, c_out, config.kernel_size, dilation=d, groups=g))
            for c_in, c_out, d, g in zip(channels[:-1], channels[1:], self.dilations, self.groups)
        )
        if transposable:  # the adjoint pass has biases of its own
            self.transpose_biases = nn.ParameterList(nn.Parameter(torch.zeros(c)) for c in channels[:-1])

    def conv(self, i: int, h: torch.Tensor) -> torch.Tensor:
        """Layer i alone, before its activation: (B, C_i, T) -> (B, C_i+1, T)."""
        layer = self.layers[i]
        weight = layer.weight if i == 0 else after_selu(layer.weight)
        return dilated_conv(h, weight, layer.bias, self.dilations[i], groups=self.groups[i])

    def conv_transpose(self, i: int, h: torch.Tensor) -> torch.Tensor:
        """Adjoint of layer i with the tied weight: a plain convolution with the kernel
        flipped, in/out swapped and the padding mirrored (exports to ONNX as Conv)."""
        weight = self.layers[i].weight.transpose(0, 1).flip(-1)
        if i < len(self.layers) - 1:  # the adjoint pass runs last layer first
            weight = after_selu(weight)
        return dilated_conv(h, weight, self.transpose_biases[i], self.dilations[i], mirror=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(len(self.layers)):
            x = self.conv(i, x)
            if i < len(self.layers) - 1:
                x = selu(x)
        return x

    def transpose(self, h: torch.Tensor) -> torch.Tensor:
        """The tied adjoint pass, last layer first (stacks built `transposable`)."""
        for i in reversed(range(len(self.layers))):
            h = self.conv_transpose(i, h)
            if i > 0:
                h = selu(h)
        return h


class PointwiseStack(nn.Module):
    """1×1 convolutions with SELU between layers; `transpose` is the tied adjoint
    (biases its own)."""

    def __init__(self, channels: tuple[int, ...], *, transposable: bool = False):
        super().__init__()
        self.layers = nn.ModuleList(
            lecun_normal_(nn.Conv1d(c_in, c_out, 1)) for c_in, c_out in itertools.pairwise(channels)
        )
        if transposable:  # the adjoint pass has biases of its own
            self.transpose_biases = nn.ParameterList(nn.Parameter(torch.zeros(c)) for c in channels[:-1])

    def hold_biases_at_zero(self) -> None:
        """Zero every bias, forward and transposed, and keep it out of training. The biases
        stay in the graph (as zeros), so exported layers keep the names a bundle's
        weights are read back by (`bundle_weights`)."""
        for bias in [layer.bias for layer in self.layers] + list(getattr(self, "transpose_biases", [])):
            nn.init.zeros_(bias)
            bias.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = F.conv1d(x, layer.weight if i == 0 else after_selu(layer.weight), layer.bias)
            if i < len(self.layers) - 1:
                x = selu(x)
        return x

    def transpose(self, h: torch.Tensor) -> torch.Tensor:
        last = len(self.layers) - 1
        for i in reversed(range(len(self.layers))):
            weight = self.layers[i].weight.transpose(0, 1)
            h = F.conv1d(h, weight if i == last else after_selu(weight), self.transpose_biases[i])
            if i > 0:
                h = selu(h)
        return h


class CGAE(nn.Module):
    """Convolutional gated autoencoder. x: context (B, 4, T); y: kick (B, 1, T);
    m: code (B, code_size, T)."""

    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.config = config
        self.U = DilatedStack(
            config.context_channels, config,
            groups=config.context_channels, grouped_layers=config.grouped_layers,
        )
        self.V = DilatedStack(config.target_channels, config, transposable=True)
        self.W = PointwiseStack((config.conv_channels[-1], *config.mapping_channels), transposable=True)
        if not config.mapping_bias:
            self.W.hold_biases_at_zero()

    def encode(self, context: torch.Tensor, kick: torch.Tensor) -> torch.Tensor:
        """(B, 4, T), (B, 1, T) -> code (B, code_size, T)."""
        return self.W(self.U(context) * self.V(kick))

    def decode(self, context: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """(B, 4, T), (B, code_size, T) -> kick (B, 1, T)."""
        return self.decode_from_features(self.U(context), code)

    def decode_from_features(self, context_features: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """Decoder on precomputed U x: (B, C, T), (B, code_size, T) -> (B, 1, T)."""
        return self.V.transpose(context_features * self.W.transpose(code))

    def forward(
        self, context: torch.Tensor, kick: torch.Tensor, context_warped: torch.Tensor, *, decoder_code: str = "frames",
        steps: torch.Tensor | None = None, steps_warped: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One training pass (paper Eq. 5): the code comes from the untransformed pair,
        the reconstruction from the warped context. `decoder_code` (the recipe's) says what
        the decoder reconstructs from: "frames", the code path (the paper's); "held", each
        example's mean code held over time, as a sampled style is used; "both", the two in
        turn; "bar", each example's mean code at each step of the bar, laid over the warped
        frames by their steps, as a fitted style is used (`steps`, `steps_warped`: (B, S, T)
        bar-step indicators of the untransformed and the warped crop).

        Returns (code (B, code_size, T), U x (B, C, T), reconstruction (B, 1, T); with
        "both" (2B, 1, T): the B held reconstructions, then the B from the path).
        """
        context_features = self.U(context)
        code = self.W(context_features * self.V(kick))
        if decoder_code == "frames":
            return code, context_features, self.decode(context_warped, code)
        if decoder_code == "bar":
            bar = torch.matmul(code, steps.transpose(1, 2)) / steps.sum(dim=-1)[:, None, :].clamp(min=1.0)
            return code, context_features, self.decode(context_warped, torch.matmul(bar, steps_warped))
        held = code.mean(dim=-1, keepdim=True).expand_as(code)
        if decoder_code == "held":
            return code, context_features, self.decode(context_warped, held)
        both = self.decode_from_features(self.U(context_warped).repeat(2, 1, 1), torch.cat([held, code]))
        return code, context_features, both


class Critic(nn.Module):
    """WGAN critic D on concat(code, U x); (B, code_size, T), (B, C, T) -> (B, 1, T)."""

    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.net = PointwiseStack((config.code_size + config.conv_channels[-1], *config.critic_channels))

    def forward(self, code: torch.Tensor, context_features: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([code, context_features], dim=1))
