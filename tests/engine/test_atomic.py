"""Atomic writes: refusal without force, cleanup on error, file modes kept."""

import os
import stat

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kickgen.engine.errors import OutputExistsError
from kickgen.engine.signals.frames import standardize
from kickgen.engine.util.atomic import atomic_path, creation_mode


def test_existing_file_is_kept_without_force(tmp_path):
    target = tmp_path / "song.npz"
    target.write_text("mine")
    with pytest.raises(OutputExistsError, match="song.npz: already exists"), atomic_path(target) as tmp:
        tmp.write_text("theirs")
    assert target.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.npz"]


def test_failed_write_leaves_nothing_and_force_keeps_the_mode(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert list(tmp_path.iterdir()) == []
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert stat.S_IMODE(target.stat().st_mode) == creation_mode()
    os.chmod(target, 0o640)
    with atomic_path(target, force=True) as tmp:
        tmp.write_text("newer")
    assert target.read_text() == "newer" and stat.S_IMODE(target.stat().st_mode) == 0o640


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=300))
def test_standardize_is_zero_mean_unit_variance_or_silent(values):
    curve, silent = standardize(np.array(values))
    assert curve.dtype == np.float32 and curve.shape == (len(values),)
    if silent:
        assert not curve.any()
    else:
        assert abs(float(curve.mean())) < 1e-3 and abs(float(curve.std()) - 1) < 1e-3
