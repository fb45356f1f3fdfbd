"""The graphs that fit a style code to a reference song's kicks at run time, without torch:
`ContextFeatures` (U x, computed once per song) and `StyleFitStep`, the decoder's squared
error under a code held over time and its gradient with respect to that code.

ONNX has no autograd, so `StyleFitStep` spells the backward pass out: the adjoint of each
tied, transposed convolution of the decoder is the forward convolution it is tied to, and
SELU's slope is kept from the forward pass. It matches torch's autograd (a test checks).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from kickgen.engine.model.cgae import CGAE, SELU_ALPHA, SELU_SCALE, dilated_conv


def selu_and_slope(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """SELU of `z` and its derivative there, both with the scale λ (no export folding)."""
    negative = SELU_ALPHA * torch.exp(torch.clamp(z, max=0.0))
    return (SELU_SCALE * (F.relu(z) + negative - SELU_ALPHA),
            SELU_SCALE * torch.where(z > 0, torch.ones_like(z), negative))


class ContextFeatures(torch.nn.Module):
    """context (B, 4, T) -> U x (B, C, T): what the decoder gates, once per song."""

    def __init__(self, model: CGAE):
        super().__init__()
        self.model = model

    def forward(self, context: torch.Tensor) -> torch.Tensor:
        return self.model.U(context)


class StyleFitStep(torch.nn.Module):
    """(U x (B, C, T), code (B, K, S), steps (B, S, T), kick (B, 1, T)) -> (squared error
    (B,), its gradient (B, K, S)): the mean over frames of (decoded kick - kick)² with each
    frame taking the code of its bar step (`steps`: row s is 1 on step s's frames). A code
    held over time is S = 1 with `steps` all ones."""

    def __init__(self, model: CGAE):
        super().__init__()
        self.model = model

    def forward(self, features: torch.Tensor, code: torch.Tensor, steps: torch.Tensor, kick: torch.Tensor,
                ) -> tuple[torch.Tensor, torch.Tensor]:
        W, V = self.model.W, self.model.V
        # forward: the gate Wᵀ m on the S step codes (W is pointwise, so laying the steps'
        # gates over the frames equals gating each frame's code), then Vᵀ(U x · gate)
        h, w_slopes = code, []
        for i in reversed(range(len(W.layers))):
            h = F.conv1d(h, W.layers[i].weight.transpose(0, 1), W.transpose_biases[i])
            if i > 0:
                h, slope = selu_and_slope(h)
                w_slopes.append(slope)
        gate = torch.matmul(h, steps)
        h, v_slopes = features * gate, []
        for i in reversed(range(len(V.layers))):
            weight = V.layers[i].weight.transpose(0, 1).flip(-1)
            h = dilated_conv(h, weight, V.transpose_biases[i], V.dilations[i], mirror=True)
            if i > 0:
                h, slope = selu_and_slope(h)
                v_slopes.append(slope)
        error = h - kick
        loss = error.pow(2).mean(dim=(1, 2))
        # backward, first layer first: each transposed layer's adjoint is its tied forward layer
        grad = 2.0 * error / error.shape[-1]
        for i in range(len(V.layers)):
            if i > 0:
                grad = grad * v_slopes[-i]
            grad = dilated_conv(grad, V.layers[i].weight, None, V.dilations[i])
        grad = torch.matmul(grad * features, steps.transpose(1, 2))
        for i in range(len(W.layers)):
            if i > 0:
                grad = grad * w_slopes[-i]
            grad = F.conv1d(grad, W.layers[i].weight)
        return loss, grad
