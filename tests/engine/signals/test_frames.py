"""The steps both signal domains share: standardizing a curve."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kickgen.engine.signals.frames import standardize


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=300))
def test_standardize_is_zero_mean_unit_variance_or_silent(values):
    curve, silent = standardize(np.array(values))
    assert curve.dtype == np.float32 and curve.shape == (len(values),)
    if silent:
        assert not curve.any()
    else:
        assert abs(float(curve.mean())) < 1e-3 and abs(float(curve.std()) - 1) < 1e-3
