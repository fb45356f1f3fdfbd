"""Event times from the MIDI system's deltas (`EventStamps`): a reader that polls late
keeps the events' own timeline."""

import pytest

from kickgen.bridge.ports import MAX_BEHIND_S, EventStamps

PERIOD = 0.5 / 24  # a clock tick at 120 bpm


def read(arrivals, reads):
    """Times given to events that arrived at `arrivals` and were read at `reads`."""
    stamps, last = EventStamps(), None
    out = []
    for arrived, read_at in zip(arrivals, reads):
        out.append(stamps.stamp(0.0 if last is None else arrived - last, read_at))
        last = arrived
    return out


def test_a_reader_held_up_keeps_the_ticks_where_they_came():
    arrivals = [10 + i * PERIOD for i in range(20)]
    reads = [t + 0.0005 for t in arrivals]
    reads[8:11] = [arrivals[10] + 0.06] * 3  # held up 60 ms: three ticks read at once
    assert read(arrivals, reads) == pytest.approx([t + 0.0005 for t in arrivals], abs=1e-9)


def test_a_first_event_read_late_does_not_make_the_rest_late():
    arrivals = [10 + i * PERIOD for i in range(20)]
    reads = [t + 0.0005 for t in arrivals]
    reads[0] += 0.030
    assert read(arrivals, reads)[1:] == pytest.approx([t + 0.0005 for t in arrivals[1:]], abs=1e-9)


def test_deltas_that_went_wrong_start_again_and_no_time_is_ever_ahead():
    stamps = EventStamps()
    assert stamps.stamp(0.0, 5.0) == 5.0
    assert stamps.stamp(3.0, 5.1) == pytest.approx(5.1)  # a delta far too long: never ahead of reading
    assert stamps.stamp(0.0, 5.1 + MAX_BEHIND_S + 0.5) == pytest.approx(5.1 + MAX_BEHIND_S + 0.5)  # too far behind
