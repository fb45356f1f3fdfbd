"""Each loss term on hand-made tensors with known values."""

import math

import pytest
import torch

from kickgen.engine.model import losses


def test_reconstruction_loss():
    target = torch.zeros(1, 1, 4)
    recon = torch.tensor([[[1.0, -1.0, 2.0, 0.0]]])
    assert losses.reconstruction_loss(target, recon).item() == pytest.approx((1 + 1 + 4 + 0) / 4)


def test_constancy_loss():
    # two code dims over three frames: steps (1, 0) then (0, 2): squared lengths 1 and 4
    code = torch.tensor([[[0.0, 1.0, 1.0], [0.0, 0.0, 2.0]]])
    assert losses.constancy_loss(code).item() == pytest.approx((1 + 4) / 2)
    assert losses.constancy_loss(torch.ones(2, 16, 10)).item() == 0


def test_standardization_loss():
    # dim 0: values ±1 (mean 0, std 1) -> 0; dim 1: all 3 (mean 3, std 0) -> 9 + 1;
    # dim 2: ±2 (mean 0, std 2) -> 1
    code = torch.tensor([[[1.0, -1.0, 1.0, -1.0], [3.0, 3.0, 3.0, 3.0], [2.0, -2.0, 2.0, -2.0]]])
    assert losses.standardization_loss(code).item() == pytest.approx((0 + 10 + 1) / 3, abs=1e-4)


def test_standardization_loss_pulls_collapsed_codes_apart():
    code = (torch.randn(2, 16, 50) * 1e-3).requires_grad_(True)
    losses.standardization_loss(code).backward()
    spread_before = code.detach().std()
    with torch.no_grad():
        code -= 100 * code.grad
    assert code.detach().std() > 10 * spread_before


def test_critic_gap():
    on_code = torch.tensor([[[1.0, 3.0]]])
    on_noise = torch.tensor([[[0.5, 0.5]]])
    assert losses.critic_gap(on_code, on_noise).item() == pytest.approx(2.0 - 0.5)


def test_gradient_penalty():
    # D(z) = a · z per frame: gradient norm |a| everywhere
    a = torch.tensor([3.0, 4.0])
    mixed = torch.randn(2, 2, 5, requires_grad=True)
    scores = (mixed * a[None, :, None]).sum(dim=1, keepdim=True)
    assert losses.gradient_penalty(scores, mixed).item() == pytest.approx((5 - 1) ** 2)
    unit = torch.tensor([0.6, 0.8])
    scores = (mixed * unit[None, :, None]).sum(dim=1, keepdim=True)
    assert losses.gradient_penalty(scores, mixed).item() == pytest.approx(0.0, abs=1e-10)
    assert math.isfinite(losses.gradient_penalty(scores, mixed).item())


def test_the_papers_standardization_loss_is_on_the_variance():
    # the same code as above: dim 1 (std 0) -> 9 + 1; dim 2 (std 2, variance 4) -> (4 - 1)² = 9
    code = torch.tensor([[[1.0, -1.0, 1.0, -1.0], [3.0, 3.0, 3.0, 3.0], [2.0, -2.0, 2.0, -2.0]]])
    assert losses.standardization_loss(code, form="paper").item() == pytest.approx((0 + 10 + 9) / 3, abs=1e-4)
