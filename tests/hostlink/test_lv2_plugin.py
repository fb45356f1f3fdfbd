"""The host link's LV2 plugin, built by `make -C hostlink`, loaded by jalv under a JACK dummy
server whose transport an exact timebase master of ours drives (hostlink/tools/hl_transport.c,
which also records what the plugin plays, in transport frames), talking to the real
`kickgen-bridge --host-link` with the example song as its context: every kick is played
on the very sample the bridge's plan gives it, through play, stop, locate while stopped,
locate while rolling and a loop, and no note is left sounding; the style set on the
plugin's ports (saved with a project as hosts save port values) is the one the kicks have,
the plugin started again with the same settings plays the same kicks, and a freewheeling
bounce holds the real-time take's kicks."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bridge"))
from jack_session import JackGraph, wait_for

ROOT = Path(__file__).resolve().parents[2]
HOSTLINK = ROOT / "hostlink"
BUILD = HOSTLINK / "build"
SONG = ROOT / "examples" / "demo-song" / "song.mid"
RATE, BPM = 44100, 100.0  # the example song's tempo
PLUGIN_URI = "urn:kickgen:hostlink"


def missing_tools() -> list[str]:
    """Debian packages the test needs that are not installed (the top-level Makefile installs them)."""
    needs = {"jalv": "jalv", "jackd": "jackd2", "gcc": "gcc", "pkg-config": "pkg-config"}
    missing = [package for tool, package in needs.items() if shutil.which(tool) is None]
    if shutil.which("pkg-config") and subprocess.run(["pkg-config", "--exists", "lv2"]).returncode != 0:
        missing.append("lv2-dev")
    return missing


@pytest.fixture(scope="module")
def built() -> Path:
    if missing := missing_tools():
        pytest.skip(f"needs the Debian packages {', '.join(missing)} (make test installs them)")
    result = subprocess.run(["make", "-C", str(HOSTLINK)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning" not in result.stderr, result.stderr  # -Wall -Wextra clean
    return BUILD


def test_the_core_keeps_its_queue_and_timing_without_a_host(built):
    result = subprocess.run([str(built / "tools" / "test_core")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "test_core: ok" in result.stdout, result.stdout + result.stderr


def test_the_bundle_is_valid_lv2(built):
    result = subprocess.run(["lv2info", PLUGIN_URI], capture_output=True, text=True,
                            env={**os.environ, "LV2_PATH": str(built / "lv2")})
    assert result.returncode == 0 and "kickgen host link" in result.stdout, result.stderr
    if shutil.which("sord_validate"):
        schemas = sorted(Path("/usr/lib/lv2").glob("*.lv2/*.ttl"))
        ttl = sorted((built / "lv2" / "kickgen-hostlink.lv2").glob("*.ttl"))
        check = subprocess.run(["sord_validate", *map(str, schemas), *map(str, ttl)], capture_output=True, text=True)
        assert check.returncode == 0 and "error" not in check.stderr.lower(), check.stderr


class PluginStudio(JackGraph):
    """jackd (synchronous, dummy driver), the bridge in host-link mode, the timebase
    master and recorder, and jalv with the plugin, wired: plugin out -> recorder."""

    def __init__(self, workdir: Path, build: Path, *, controls: dict[str, float] | None = None,
                 loop: tuple[int, int] | None = None, realtime: bool = False) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        super().__init__(workdir)
        self.build, self.controls, self.loop, self.realtime = build, controls or {}, loop, realtime
        self.socket = workdir / "hostlink.sock"
        self.plan = workdir / "plan.jsonl"
        self.heard = workdir / "heard.txt"
        self.env.update(LV2_PATH=str(build / "lv2"), KICKGEN_HOSTLINK_SOCKET=str(self.socket))
        self.jalv: subprocess.Popen | None = None

    def __enter__(self):
        try:
            scheduling = ["-R", "-P", "70"] if self.realtime else ["--no-realtime"]  # -R: as a DAW's JACK runs
            server = self._start(["jackd", "-n", self.env["JACK_DEFAULT_SERVER"], "-S", *scheduling, "-d",
                                  "dummy", "-r", str(RATE), "-p", "128"], stdout=subprocess.DEVNULL,
                                 stderr=(self.workdir / "jackd.log").open("w"))
            if not wait_for(lambda: bool(self.ports()) or server.poll() is not None) or server.poll() is not None:
                raise RuntimeError("jackd did not start")
            bridge_err = self.workdir / "bridge.err"
            self._start([sys.executable, "-m", "kickgen.bridge.cli", "--host-link", "--context", str(SONG),
                         "--seed", "3", "--log", str(self.plan)], stderr=bridge_err.open("w"))
            if not wait_for(lambda: bridge_err.exists() and "host link on" in bridge_err.read_text(), timeout_s=60):
                raise RuntimeError(f"the bridge did not start: {bridge_err.read_text()}")
            loop = [str(frame) for frame in self.loop] if self.loop else []
            self._start([str(self.build / "tools" / "hl_transport"), "master", f"{BPM:g}", "4", "4", *loop],
                        stdout=self.heard.open("w"), stderr=(self.workdir / "master.log").open("w"))
            controls = [arg for name, value in self.controls.items() for arg in ("-c", f"{name}={value:g}")]
            # line-buffered (stdbuf), so that what jalv prints reaches its log as it prints it
            self.jalv = self._start(["stdbuf", "-oL", "jalv", "-p", "-n", "hostlink", *controls, PLUGIN_URI],
                                    stdin=subprocess.PIPE,
                                    stdout=(self.workdir / "jalv.log").open("w"), stderr=subprocess.STDOUT)
            if not wait_for(lambda: self.port("hostlink:midi_out") and self.port("hl_transport:in"), timeout_s=30):
                raise RuntimeError(f"ports missing: {self.ports()}")
            subprocess.run(["jack_connect", "hostlink:midi_out", "hl_transport:in"], env=self.env, check=True)
            if not wait_for(lambda: self.plan.exists() and '"hello"' in self.plan.read_text(), timeout_s=30):
                raise RuntimeError("the plugin never said hello to the bridge")
            return self
        except BaseException:
            self.stop_all()
            raise

    def monitors(self) -> dict[str, float]:
        """The plugin's output ports now, as jalv's console command `monitors` prints them."""
        log = self.workdir / "jalv.log"
        before = len(log.read_text())
        self.jalv.stdin.write(b"monitors\n")
        self.jalv.stdin.flush()
        wait_for(lambda: "worst_run_us" in log.read_text()[before:], timeout_s=10)
        found = re.findall(r"(\w+)\s*=\s*([-0-9.eE+]+)", log.read_text()[before:])
        return {name: float(value) for name, value in found}

    def transport(self, *command: str) -> None:
        subprocess.run([str(self.build / "tools" / "hl_transport"), *command], env=self.env, check=True, timeout=10)

    def stop_all(self) -> None:
        if self.jalv is not None and self.jalv.poll() is None:  # first, so that its link says bye
            self.jalv.terminate()
            try:
                self.jalv.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.jalv.kill()
        super().stop_all()


def planned_note_ons(plan: Path) -> dict[int, set[int]]:
    """frame -> velocities of every note-on the bridge planned, under the exact master
    (frame = the nearest one to the quarter note's time, as the plugin rounds)."""
    frames_per_qn = 60.0 / BPM * RATE
    planned: dict[int, set[int]] = {}
    for line in plan.read_text().splitlines():
        record = json.loads(line)
        for qn, message in record.get("events", []):
            if message[0] & 0xF0 == 0x90 and message[2] > 0:
                planned.setdefault(math.floor(qn * frames_per_qn + 0.5), set()).add(message[2])
    return planned


def take(studio: PluginStudio, script) -> list[tuple[int, int]]:
    """Run the transport `script` ((command, seconds after it), ...); checks that nothing
    was left sounding and that every kick played sits on a sample the bridge planned, and
    returns the kicks as (transport frame, velocity)."""
    with studio:
        for command, seconds in script:
            studio.transport(*command)
            time.sleep(seconds)
    heard, sounding, hanging, stopped_events = [], False, 0, 0
    for line in studio.heard.read_text().splitlines():
        parts = line.split()
        rolling = parts[0] != "stopped"
        frame, status, velocity = int(parts[0 if rolling else 1]), int(parts[-3], 16), int(parts[-1], 16)
        if status & 0xF0 == 0x90 and velocity > 0:
            assert rolling, f"a note-on while stopped: {line}"
            hanging += sounding
            sounding = True
            heard.append((frame, velocity))
        elif status & 0xF0 == 0x80:
            sounding = False
        elif not rolling:
            stopped_events += 1
    planned = planned_note_ons(studio.plan)
    off_plan = [(f, v) for f, v in heard if v not in planned.get(f, ())]
    assert len(heard) >= 10, f"only {len(heard)} kicks heard"
    assert off_plan == [], f"{len(off_plan)} of {len(heard)} kicks off the planned samples: {off_plan[:5]}"
    assert hanging == 0 and not sounding and stopped_events == 0
    assert json.loads(studio.plan.read_text().splitlines()[-1])["exit"]["rejected"] == 0
    return heard


def epochs(plan: Path) -> set[int]:
    return {record["epoch"] for record in map(json.loads, plan.read_text().splitlines()) if "epoch" in record}


def test_the_plugin_plays_every_kick_on_the_sample_the_bridge_planned(built, tmp_path):
    studio = PluginStudio(tmp_path, built)
    take(studio, ((("start",), 6.0), (("stop",), 1.0), (("locate", "300000"), 1.0),
                  (("start",), 4.0), (("locate", "900000"), 4.0), (("stop",), 1.5)))
    assert len(epochs(studio.plan)) >= 3  # stop, locate and locate flushed the plugin's queue


def test_a_loop_plays_its_kicks_on_every_pass(built, tmp_path):
    bar = round(4 * 60 / BPM * RATE)  # 105840 frames
    studio = PluginStudio(tmp_path, built, loop=(bar, 3 * bar))
    heard = take(studio, ((("start",), 12.0), (("stop",), 1.5)))
    frames = [f for f, _ in heard]
    repeated = {f for f in frames if frames.count(f) >= 2 and bar <= f < 3 * bar}
    assert len(epochs(studio.plan)) >= 2 and len(repeated) >= 5  # the loop's kicks, on the second pass too


def test_the_style_on_the_plugins_ports_is_the_kicks_style_and_a_reopened_plugin_plays_the_same(built, tmp_path):
    """Seed and threshold set on the plugin (a project's saved port values) reach the
    bridge, which was started with another style; the kicks are the offline render's in
    that style, and the plugin started afresh with the same values plays the same ones."""
    from kickgen.engine.producer.render import RenderSettings, render_kicks_for
    from kickgen.engine.producer.targets import midi_target
    from kickgen.engine.runtime.bundle import ModelBundle
    from kickgen.engine.runtime.style import random_style

    controls = {"seed": 4, "threshold": 0.3}
    script = ((("start",), 10.0), (("stop",), 1.5))
    first = take(PluginStudio(tmp_path / "first", built, controls=controls), script)
    reopened = take(PluginStudio(tmp_path / "reopened", built, controls=controls), script)
    bundle = ModelBundle.default()
    code = random_style(4, code_size=bundle.info.code_size, prior=bundle.style_prior)[1]  # drawn as the bridge draws it
    _, offline = render_kicks_for(bundle, midi_target(SONG), code, RenderSettings(threshold=0.3))
    render_frames = {math.floor(t * RATE + 0.5) for t in offline.times_s}
    heard_frames = {f for f, _ in first}
    assert heard_frames <= render_frames and len(heard_frames) >= 10
    span = min(max(f for f, _ in first), max(f for f, _ in reopened))
    assert [k for k in first if k[0] <= span] == [k for k in reopened if k[0] <= span]


def test_a_freewheeling_bounce_holds_the_same_kicks_as_real_time_playback(built, tmp_path):
    """JACK freewheels (an offline bounce: cycles as fast as the graph runs) with the
    plugin's lv2:freeWheeling port set, as a host sets it: the plugin waits for the
    bridge's answers, so the bounce has the real-time take's kicks, sample for sample."""
    controls = {"seed": 4, "threshold": 0.3}
    real_time = take(PluginStudio(tmp_path / "real-time", built, controls=controls),
                     ((("start",), 10.0), (("stop",), 1.5)))
    bounce_studio = PluginStudio(tmp_path / "bounce", built, controls={**controls, "freewheel": 1})
    bounce = take(bounce_studio, ((("freewheel", "on"), 0.5), (("start",), 3.0), (("stop",), 0.5),
                                  (("freewheel", "off"), 1.0)))
    span = max(f for f, _ in real_time)
    assert max(f for f, _ in bounce) > 2 * span  # it ran faster than real time
    assert [k for k in bounce if k[0] <= span] == real_time
