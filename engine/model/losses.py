"""The four CGAE loss terms and the critic's gradient penalty (paper §3, WGAN-GP).

Shapes: code and noise (B, K, T); context features U x (B, C, T); kicks (B, 1, T).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def reconstruction_loss(target: torch.Tensor, reconstruction: torch.Tensor) -> torch.Tensor:
    """L_mse: mean squared error over batch, channel and time."""
    return F.mse_loss(reconstruction, target)


def constancy_loss(code: torch.Tensor) -> torch.Tensor:
    """L_const = mean_t ||m_t - m_{t+1}||²: squared step length of the code path."""
    return (code[..., 1:] - code[..., :-1]).pow(2).sum(dim=1).mean()


def standardization_loss(code: torch.Tensor, *, form: str = "sigma") -> torch.Tensor:
    """L_std: every code dimension has zero mean and unit variance over time and batch;
    the mean over dimensions of μ_k² + (σ_k - 1)² (`form` "sigma"), or of μ_k² +
    (σ_k² - 1)² as paper Eq. 4 writes it ("paper").

    The "sigma" form pulls codes that collapse to a constant back: (σ² - 1)² has no
    gradient at σ = 0, so such codes (the decoder then ignores them) would stay; (σ - 1)²
    pulls with slope 2 there. Both are zero exactly at unit variance.
    """
    mean = code.mean(dim=(0, 2))
    variance = code.var(dim=(0, 2), unbiased=False)
    if form == "paper":
        return (mean.pow(2) + (variance - 1).pow(2)).mean()
    std = (variance + 1e-8).sqrt()
    return (mean.pow(2) + (std - 1).pow(2)).mean()


def critic_gap(critic_on_code: torch.Tensor, critic_on_noise: torch.Tensor) -> torch.Tensor:
    """L_adv = mean_t D(m, Ux)_t - D(η, Ux)_t. The critic minimizes it (scores noise
    high), the CGAE maximizes it (makes codes score like noise)."""
    return critic_on_code.mean() - critic_on_noise.mean()


def gradient_penalty(critic_on_mixed: torch.Tensor, mixed: torch.Tensor) -> torch.Tensor:
    """WGAN-GP: mean over frames of (||∇_mixed D||₂ - 1)², the norm over code channels.

    The critic works frame by frame (1×1 convolutions), so its Lipschitz constraint is
    per frame. `mixed` must require grad and `critic_on_mixed` be computed from it.
    """
    (grad,) = torch.autograd.grad(critic_on_mixed.sum(), mixed, create_graph=True)
    return (grad.norm(dim=1) - 1).pow(2).mean()
