"""The real-time runner's threads: a generator that raises stops the bridge with its cause
and every sounding note silenced, instead of leaving it quiet or a note hanging."""

import time

import numpy as np

from kickgen.bridge.clock import Meter
from kickgen.bridge.core import ALL_NOTES_OFF, BridgeCore, BridgeSettings
from kickgen.bridge.midi_bytes import CLOCK, START
from kickgen.bridge.runner import BridgeRunner


def test_a_failing_generator_stops_the_bridge_with_its_cause_and_all_notes_off():
    core = BridgeCore(BridgeSettings(meter=Meter(4, 4)), [("a", np.zeros(16, np.float32))])
    sent = []

    def broken(request):
        raise RuntimeError("decoder exploded")

    runner = BridgeRunner(core, broken, lambda message, position: sent.append(message))
    runner.start()
    t = time.monotonic()
    runner.on_message([START], t)
    for tick in range(96):  # a bar of clock at 120 bpm, sped up: the first request comes at once
        runner.on_message([CLOCK], t + tick * 0.001)
    assert runner.failed.wait(5.0)
    assert runner.failure == "the kickgen-generator thread failed: RuntimeError: decoder exploded"
    assert any(message[1] == ALL_NOTES_OFF for message in sent if message[0] & 0xF0 == 0xB0)
    runner.close()
