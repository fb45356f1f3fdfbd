"""The CGAE's structure: shapes, grouping, tied weights, receptive field."""

from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from kickgen.engine.model.cgae import CGAE, Critic, ModelConfig, PointwiseStack, receptive_field

TINY = ModelConfig(conv_channels=(8, 8, 8, 8, 8, 16, 16, 16), mapping_channels=(16, 8, 4), critic_channels=(8, 1))


def test_paper_sizes_and_shapes():
    model, critic = CGAE(), Critic()
    x, y = torch.randn(2, 4, 300), torch.randn(2, 1, 300)
    code = model.encode(x, y)
    assert code.shape == (2, 16, 300)
    assert model.decode(x, code).shape == (2, 1, 300)
    assert critic(code, model.U(x)).shape == (2, 1, 300)
    assert [layer.out_channels for layer in model.U.layers] == [32, 32, 64, 64, 64, 128, 128, 256]
    assert [layer.dilation[0] for layer in model.V.layers] == [1, 2, 4, 8, 16, 32, 64, 128]
    assert [layer.groups for layer in model.U.layers] == [4] * 5 + [1] * 3
    assert [layer.groups for layer in model.V.layers] == [1] * 8
    assert [layer.out_channels for layer in model.W.layers] == [128, 128, 64, 32, 32, 16]
    assert [layer.out_channels for layer in critic.net.layers] == [256, 128, 64, 64, 1]
    assert critic.net.layers[0].in_channels == 16 + 256


@pytest.mark.parametrize("length", [1, 7, 255, 1000])
def test_any_length_is_kept(length):
    model = CGAE(TINY)
    x, y = torch.randn(1, 4, length), torch.randn(1, 1, length)
    assert model.decode(x, model.encode(x, y)).shape == (1, 1, length)


def test_grouped_layers_keep_the_parts_apart():
    """In U's first five layers a change in the bass input reaches only the bass group."""
    model = CGAE()
    x = torch.randn(1, 4, 200)
    moved = x.clone()
    moved[:, 1] += torch.randn(200)  # channel 1 is the bass
    h_a, h_b = x, moved
    for i, layer in enumerate(model.U.layers[:5]):
        h_a = F.selu(model.U.conv(i, h_a))
        h_b = F.selu(model.U.conv(i, h_b))
        changed = (h_a - h_b).abs().amax(dim=(0, 2)) > 0
        group = layer.out_channels // 4
        assert changed[group : 2 * group].all(), f"layer {i}: the bass group must respond"
        assert not changed[:group].any() and not changed[2 * group :].any(), f"layer {i}: leak"
    # the sixth layer mixes the groups
    assert ((model.U.conv(5, h_a) - model.U.conv(5, h_b)).abs().amax(dim=(0, 2)) > 0).all()


def test_decoder_is_the_adjoint_of_the_encoder_stacks():
    """Biases zero (as initialized), <V_i a, b> = <a, V_iᵀ b> layer by layer (tied weights)."""
    model = CGAE(TINY).double()
    for i, layer in enumerate(model.V.layers):
        a = torch.randn(1, layer.in_channels, 64, dtype=torch.float64)
        b = torch.randn(1, layer.out_channels, 64, dtype=torch.float64)
        forward = model.V.conv(i, a)
        backward = model.V.conv_transpose(i, b)
        assert torch.allclose((forward * b).sum(), (a * backward).sum())
    one_layer = PointwiseStack((5, 3), transposable=True).double()  # Wᵀ's building block
    a, b = torch.randn(1, 5, 16, dtype=torch.float64), torch.randn(1, 3, 16, dtype=torch.float64)
    assert torch.allclose((one_layer(a) * b).sum(), (a * one_layer.transpose(b)).sum())
    names = {n for n, _ in model.named_parameters()}
    assert not any("transpose" in n and "weight" in n for n in names), "decoder weights must be tied"


def test_tied_weights_share_gradients():
    model = CGAE(TINY)
    # longer than the widest tap pair (±64 frames), so every layer sees signal
    x, code = torch.randn(1, 4, 300), torch.randn(1, 4, 300)
    model.decode(x, code).sum().backward()
    assert all(layer.weight.grad is not None and layer.weight.grad.abs().sum() > 0 for layer in model.V.layers)
    assert all(layer.weight.grad is not None for layer in model.W.layers)


def test_receptive_field_matches_an_impulse_response():
    model = CGAE(TINY)
    rf = receptive_field(model.config)
    assert rf == {"encoder": 256, "decoder": 511, "decoder_left": 255, "decoder_right": 255}
    n, t0 = 1200, 600
    code = torch.randn(1, 4, n)
    base = torch.zeros(1, 4, n)
    poked = base.clone()
    poked[0, 0, t0] = 1.0
    with torch.no_grad():
        diff = (model.decode(poked, code) - model.decode(base, code)).abs()[0, 0]
    reached = torch.nonzero(diff > 0).flatten()
    assert reached.min() >= t0 - rf["decoder_right"] and reached.max() <= t0 + rf["decoder_left"]
    assert reached.max() - reached.min() + 1 > rf["decoder"] - 8  # nearly the whole span is reached


def test_config_round_trips_through_json():
    assert ModelConfig.from_json(TINY.to_json()) == TINY
    assert TINY.code_size == 4 and ModelConfig().code_size == 16


def test_a_bias_free_mapping_closes_the_gate_at_a_zero_code():
    """With `mapping_bias=False` the decoder's output under m = 0 does not depend on the
    context (a constant away from the edges); with the biases it does."""
    torch.manual_seed(0)
    context = torch.randn(2, 4, 1200)
    zero = torch.zeros(2, TINY.code_size, 1200)
    middle = slice(600 - 100, 600 + 100)
    gated = CGAE(replace(TINY, mapping_bias=False))
    open_path = CGAE(TINY)
    for module in (gated, open_path):  # biases as training would leave them, not zero
        for name, p in module.named_parameters():
            if p.requires_grad and (name.endswith("bias") or "transpose_biases" in name):
                p.data.normal_()
    with torch.no_grad():
        closed = gated.decode(context, zero)[..., middle]
        opened = open_path.decode(context, zero)[..., middle]
    assert float(closed.std()) < 1e-5
    assert float(opened.std()) > 1e-2
    assert all(not p.requires_grad for n, p in gated.W.named_parameters() if "bias" in n)


def test_the_decoder_code_is_the_path_its_mean_held_or_both():
    """decoder_code "held" reconstructs from each example's mean code held over time, as
    a style preset is decoded; "both" gives the held reconstructions, then the path's; the
    code returned, which the losses see, is the path itself."""
    torch.manual_seed(1)
    model = CGAE(TINY)
    x, y, x_warped = torch.randn(2, 4, 300), torch.randn(2, 1, 300), torch.randn(2, 4, 300)
    with torch.no_grad():
        code, _, held = model(x, y, x_warped, decoder_code="held")
        _, _, path = model(x, y, x_warped)
        _, _, both = model(x, y, x_warped, decoder_code="both")
        mean_code = code.mean(dim=-1, keepdim=True).expand_as(code)
        assert torch.allclose(held, model.decode(x_warped, mean_code), atol=1e-6)
        assert torch.allclose(path, model.decode(x_warped, code), atol=1e-6)
        assert torch.allclose(both, torch.cat([held, path]), atol=1e-6)
    assert float(code.std(dim=-1).min()) > 0 and not torch.allclose(held, path)


def test_the_bar_decoder_code_is_each_step_s_mean_code_laid_over_the_warped_steps():
    """decoder_code "bar" reconstructs from each example's mean code at each bar step,
    laid over the warped crop by its steps, as a fitted style is decoded; with one step
    covering every frame it is the held code."""
    torch.manual_seed(2)
    model = CGAE(TINY)
    x, y, x_warped = torch.randn(2, 4, 320), torch.randn(2, 1, 320), torch.randn(2, 4, 320)
    frame_steps = torch.arange(320) // 20 % 16
    steps = (torch.arange(16)[:, None] == frame_steps[None]).float().expand(2, -1, -1)
    warped = torch.roll(steps, 7, dims=-1)
    with torch.no_grad():
        code, _, bar = model(x, y, x_warped, decoder_code="bar", steps=steps, steps_warped=warped)
        per_step = torch.stack([code[:, :, frame_steps == s].mean(dim=-1) for s in range(16)], dim=-1)
        assert torch.allclose(bar, model.decode(x_warped, per_step[:, :, torch.roll(frame_steps, 7)]), atol=1e-5)
        ones = torch.ones(2, 1, 320)
        _, _, one_step = model(x, y, x_warped, decoder_code="bar", steps=ones, steps_warped=ones)
        _, _, held = model(x, y, x_warped, decoder_code="held")
        assert torch.allclose(one_step, held, atol=1e-5)

