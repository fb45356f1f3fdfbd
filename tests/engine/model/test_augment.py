"""The Eq. 5 time warp."""

import torch

from kickgen.engine.model.augment import random_warp_params, time_warp


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
