"""End to end with a real DAW: Ardour 7, headless, is the MIDI clock master, plays the
example song's snare and bass from a MIDI track of its session and records the bridge's
kicks on another, while the transport starts from bar 1, stops and continues, locates
while playing and loops (tests/bridge/ardour_session.py). The bridge runs with
--quantize 1/16, so every kick belongs on Ardour's sixteenth grid."""

import numpy as np
import pytest
from ardour_session import ArdourStudio, ardour_missing
from jack_session import tools_missing

pytestmark = pytest.mark.skipif(ardour_missing() or tools_missing(),
                                reason="needs Ardour 7 and jackd2 (make test installs them)")

SCENARIOS = ("bar-1", "stop-continue", "locate-playing", "loop")

START_ATTEMPTS = 5


@pytest.fixture(scope="module")
def takes(tmp_path_factory):
    """The scenarios' takes. Ardour 7.3 now and then breaks jackd2 1.9.21's request stream
    while it loads a session (jackd logs "CheckSize"; measured: about 1 start in 3, see
    ArdourStudio): such a studio is set up again, up to `START_ATTEMPTS` times, and when
    every start broke that way the test is skipped, naming the bug; any other failure fails."""
    workdir = tmp_path_factory.mktemp("ardour")
    all_broken = True
    for attempt in range(START_ATTEMPTS):
        try:
            with ArdourStudio(workdir / f"studio{attempt}", bars=8, realtime=True) as studio:
                return {scenario: studio.take(scenario) for scenario in SCENARIOS}
        except RuntimeError as error:
            jack_log = workdir / f"studio{attempt}" / "jackd.log"
            broken = jack_log.exists() and "CheckSize" in jack_log.read_text(errors="replace")
            all_broken = all_broken and broken
            if (not broken and "Ardour" not in str(error)) or (attempt == START_ATTEMPTS - 1 and not all_broken):
                raise
    pytest.skip(f"JACK broke all {START_ATTEMPTS} studio starts (Ardour 7.3 with jackd2 1.9.21: 'CheckSize')")


def test_ardour_plays_the_song_to_the_bridge_and_records_its_kicks(takes):
    for take in takes.values():
        assert len(take.region_kicks) >= 6 and len(take.stream_positions) >= 6, take.scenario
        assert len(take.region_kicks) <= len(take.stream_positions) + 1, take.scenario  # Ardour's are the bridge's


@pytest.mark.xfail(strict=False, reason="Ardour places the first take after it opens a session 2 JACK periods "
                                        "early (README); a stall of the dummy driver that coincides with a clock "
                                        "tick Ardour drops can still shift a take by a tick")
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_kick_lands_on_ardours_sixteenths(takes, scenario):
    take = takes[scenario]
    assert np.abs(take.tick_shift).max() < 0.5, take.tick_shift  # no whole-tick shift
    assert np.percentile(np.abs(take.stream_off_ms), 99) < 3, take.stream_off_ms
    assert np.percentile(np.abs(take.region_off_ms), 99) < 3, take.region_off_ms
    assert take.all_ended
