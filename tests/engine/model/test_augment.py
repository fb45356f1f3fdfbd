"""The Eq. 5 time warp."""

import torch

from kickgen.engine.model.augment import drop_parts, random_warp_params, time_warp, time_warp_peaks


def test_integer_shift_moves_frames_and_fills_zeros():
    x = torch.arange(1.0, 11.0).reshape(1, 1, 10)
    shifted = time_warp(x, torch.tensor([3.0]), torch.tensor([1.0]))
    assert shifted[0, 0].tolist() == [0, 0, 0, 1, 2, 3, 4, 5, 6, 7]


def test_scale_stretches_about_the_centre():
    x = torch.zeros(1, 2, 101)
    x[0, :, 60] = 1.0  # 10 frames right of the centre (50)
    stretched = time_warp(x, torch.tensor([0.0]), torch.tensor([1.2]))
    assert stretched[0, 0].argmax().item() == 62  # 50 + 10 * 1.2
    assert torch.equal(stretched[0, 0], stretched[0, 1])  # same warp on every channel


def test_each_example_gets_its_own_warp_and_identity_is_exact():
    x = torch.randn(2, 4, 64)
    same = time_warp(x, torch.zeros(2), torch.ones(2))
    assert torch.allclose(same, x)
    warped = time_warp(x, torch.tensor([0.0, 5.0]), torch.tensor([1.0, 1.0]))
    assert torch.allclose(warped[0], x[0]) and torch.allclose(warped[1, :, 5:], x[1, :, :-5])


def test_random_params_stay_in_range():
    g = torch.Generator().manual_seed(0)
    shift, scale = random_warp_params(1000, max_shift_frames=150, scale_range=(0.8, 1.2), generator=g)
    assert shift.abs().max() <= 150 and shift.min() < -100 and shift.max() > 100
    assert scale.min() >= 0.8 and scale.max() <= 1.2


def test_the_peak_keeping_warp_keeps_every_spike_whole():
    """Linear interpolation lowers a spike that lands between frames; the peak-keeping
    warp moves it to the nearest frame at full height, and leaves smooth curves as the
    linear warp does."""
    x = torch.zeros(1, 1, 201)
    x[0, 0, [40, 77, 128, 161]] = 1.0
    shift, scale = torch.tensor([3.1]), torch.tensor([0.87])
    linear, kept = time_warp(x, shift, scale), time_warp_peaks(x, shift, scale)
    assert float(linear.max()) < 0.9
    centre = 100
    want = [round((f - centre) * 0.87 + centre + 3.1) for f in (40, 77, 128, 161)]  # none near a half
    assert [i for i in want if kept[0, 0, i] == 1.0] == want
    smooth = torch.sin(torch.linspace(0, 6, 201)).reshape(1, 1, 201)
    assert torch.allclose(time_warp_peaks(smooth, shift, scale)[..., 20:-20], time_warp(smooth, shift, scale)[..., 20:-20],
                          atol=0.02)


def test_part_dropout_removes_whole_channels_and_never_rescales():
    context = torch.rand(400, 4, 32) + 1.0
    dropped = drop_parts(context, 0.3, channels=(0, 1), generator=torch.Generator().manual_seed(0))
    gone = (dropped == 0).all(dim=2)  # (B, C): whole channels zeroed
    kept = (dropped == context).all(dim=2)
    assert (gone | kept).all() and kept[:, 2:].all()  # a channel goes whole or not at all; the grid stays
    assert 0.2 < float(gone[:, :2].float().mean()) < 0.4
