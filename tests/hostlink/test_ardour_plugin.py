"""Ardour 7, headless, hosts the host link's plugin on a MIDI track ("parts") whose output
another track ("kicks") records, with the real `kickgen-bridge --host-link` (the example
song as its context) answering; the plugin's style is set on its ports as a producer sets
it and saved with the session (tests/hostlink/ardour_hostlink.lua).

Ardour keeps a MIDI region's notes in beats at 1920 ticks a quarter note, so a kick on
"the sample the bridge planned" reads back as the planned quarter note rounded to that
grid (±7 samples at 100 bpm). Ardour records the first take after it opens a session two
JACK periods early (README, Ardour section), so each load plays a throwaway take first."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bridge"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from ardour_session import ARDOUR_LUA, ardour_missing, flag_loop_range
from jack_session import JackGraph, wait_for
from test_lv2_plugin import SONG, missing_tools

HERE = Path(__file__).resolve().parent
TICKS_PER_QUARTER = 1920  # Ardour's MIDI note positions
SAMPLES_PER_QUARTER = 60 / 100 * 44100  # the session: 100 bpm at 44.1 kHz
TICK_SAMPLES = SAMPLES_PER_QUARTER / TICKS_PER_QUARTER  # 13.8: how finely Ardour stores a note
PERIOD = 128
CONTROLS = "Random style seed=7,Peak threshold=0.3"

pytestmark = pytest.mark.skipif(ardour_missing(), reason="needs Ardour 7 (make test installs it)")


class ArdourPluginStudio(JackGraph):
    """jackd, the bridge in host-link mode and, per call of `run`, ardour7-lua."""

    def __init__(self, workdir: Path, build: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        super().__init__(workdir)
        self.plan = workdir / "plan.jsonl"
        self.session = workdir / "session"
        self.env.update(LV2_PATH=str(build / "lv2"), KICKGEN_HOSTLINK_SOCKET=str(workdir / "hostlink.sock"))

    def __enter__(self):
        try:
            self.start_server(realtime=True)
            bridge_err = self.workdir / "bridge.err"
            self._start([sys.executable, "-m", "kickgen.bridge.cli", "--host-link", "--context", str(SONG),
                         "--seed", "3", "--log", str(self.plan)], stderr=bridge_err.open("w"))
            if not wait_for(lambda: bridge_err.exists() and "host link on" in bridge_err.read_text(), timeout_s=60):
                raise RuntimeError(f"the bridge did not start: {bridge_err.read_text()}")
            return self
        except BaseException:
            self.stop_all()
            raise

    def run(self, mode: str, scenarios: str = "", *, name: str = "") -> list[str]:
        """ardour7-lua in `mode` ("prepare" or "take" of `scenarios`); its output lines."""
        env = {**self.env, "HL_MODE": mode, "HL_SESSION": str(self.session), "HL_BPM": "100",
               "HL_CONTROLS": CONTROLS, "HL_SCENARIO": scenarios}
        done = subprocess.run([ARDOUR_LUA, str(HERE / "ardour_hostlink.lua")], env=env, capture_output=True,
                              text=True, timeout=300)
        (self.workdir / f"ardour-{name or mode}.log").write_text(done.stdout + done.stderr)
        if done.returncode != 0 or "DONE" not in done.stdout:
            raise RuntimeError(f"ardour7-lua {mode} failed: {done.stderr[-2000:]}")
        if mode == "prepare":
            flag_loop_range(self.session / "hostlink.ardour")
        return done.stdout.splitlines()


def takes_of(lines: list[str]) -> list[tuple[str, list[tuple[float, int]]]]:
    """(scenario, [(quarter note, velocity), ...]) of each take Ardour printed."""
    takes = []
    for line in lines:
        if line.startswith("TAKE "):
            takes.append((line.split()[1], []))
        elif line.startswith("KICK "):
            _, quarters, _, velocity = line.split()
            takes[-1][1].append((float(quarters), int(velocity)))
    return takes


def planned_kicks(plan: Path) -> list[tuple[float, int]]:
    """Every planned note-on: (quarter note, velocity)."""
    return sorted({(qn, message[2]) for record in map(json.loads, plan.read_text().splitlines())
                   for qn, message in record.get("events", []) if message[0] & 0xF0 == 0x90 and message[2] > 0})


def offsets_from_plan(kicks: list[tuple[float, int]], planned: list[tuple[float, int]]) -> list[float]:
    """Each recorded kick's distance (samples) from the nearest planned kick of its velocity."""
    return [min((abs(q - p) * SAMPLES_PER_QUARTER, (q - p) * SAMPLES_PER_QUARTER) for p, pv in planned if pv == v)[1]
            for q, v in kicks]


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    if missing := missing_tools():
        pytest.skip(f"needs the Debian packages {', '.join(missing)} (make test installs them)")
    built = subprocess.run(["make", "-C", str(HERE.parents[1] / "hostlink")], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    with ArdourPluginStudio(tmp_path_factory.mktemp("ardour-hostlink"), HERE.parents[1] / "hostlink" / "build") as s:
        s.run("prepare")
        first = s.run("take", "play,play,locate-playing,loop", name="first")
        reopened = s.run("take", "play,play", name="reopened")
        yield s, first, reopened


def test_ardour_records_every_kick_where_the_bridge_planned_it(studio):
    """A take from bar 1 holds every kick on its planned quarter note as Ardour stores it
    (within half a tick of 1920 a quarter). After a locate while recording, and around a
    loop's wrap, Ardour places what it records by up to two JACK periods and a few ticks
    off its timeline (measured: 265-280 samples early after a locate; a loop's passes ±1
    tick apart, one kick 293 samples late at the loop's start), so there the test bounds
    the offset by that; the exact check of those transport moves is the jalv test's."""
    s, first, _ = studio
    planned = planned_kicks(s.plan)
    takes = takes_of(first)
    assert [name for name, _ in takes] == ["play", "play", "locate-playing", "loop"]
    for name, kicks in takes[1:]:  # the first is Ardour's throwaway take
        offsets = offsets_from_plan(kicks, planned)
        assert len(kicks) >= 6, name
        if name == "play":
            assert max(map(abs, offsets)) <= TICK_SAMPLES / 2 + 1, (name, offsets)
        else:
            assert max(map(abs, offsets)) <= 2 * PERIOD + 3 * TICK_SAMPLES, (name, offsets)


def test_a_reopened_session_has_the_plugins_style_and_gives_the_same_kicks(studio):
    _, first, reopened = studio
    assert "PORT Random style seed=7" in reopened and "PORT Peak threshold=0.3" in reopened
    assert takes_of(reopened)[1] == takes_of(first)[1]
