"""The style-fitting graph's hand-written backward pass against torch's autograd."""

import pytest
import torch

from kickgen.engine.model.cgae import CGAE, ModelConfig
from kickgen.engine.model.style_fit import ContextFeatures, StyleFitStep


@pytest.mark.parametrize("n_steps", [1, 16], ids=["held code", "bar of codes"])
def test_the_fit_step_gives_autograds_squared_error_and_gradient(n_steps):
    torch.manual_seed(0)
    model = CGAE(ModelConfig()).eval()
    with torch.no_grad():  # biases of their own in every transposed layer, as training leaves them
        for bias in [*model.V.transpose_biases, *model.W.transpose_biases]:
            bias.normal_(std=0.1)
    context, kick = torch.randn(2, 4, 700), torch.randn(2, 1, 700)
    code = torch.randn(2, 16, n_steps, requires_grad=True)
    steps = (torch.arange(n_steps)[:, None] == (torch.arange(700) // 11 % n_steps)[None]).float().expand(2, -1, -1)
    features = ContextFeatures(model)(context).detach()
    decoded = model.decode(context, torch.matmul(code, steps))
    loss = (decoded - kick).pow(2).mean(dim=(1, 2))
    (gradient,) = torch.autograd.grad(loss.sum(), code)
    with torch.no_grad():
        got_loss, got_gradient = StyleFitStep(model)(features, code, steps, kick)
    assert got_loss.shape == (2,) and got_gradient.shape == (2, 16, n_steps)
    assert torch.allclose(got_loss, loss, rtol=1e-5, atol=1e-6)
    assert torch.allclose(got_gradient, gradient, rtol=1e-4, atol=1e-5)  # float32 sums in another order
    assert gradient.abs().max() > 1e-3  # a gradient worth comparing
