"""Ardour 7, headless (`ardour7-lua` running ardour_take.lua), as the DAW that drives the
bridge: Ardour is the MIDI clock master, plays the test song's snare and bass from a MIDI
track of its session and records the bridge's kicks on another, while jack_midi_dump
stamps Ardour's clock and the bridge's output with JACK frames. For the end-to-end test
and benchmarks/bridge_ardour.py. Everything it starts, it stops.

Each kick is measured three ways in the same take:
- `region_off_ms`: where Ardour recorded it, against the sixteenths of Ardour's tempo map;
- `stream_off_ms`: where it passed on the JACK graph, against the sixteenths of Ardour's
  clock as sent (its ticks stamped in frames, its song position pointers followed);
- `tick_shift`: the clock tick it passed at, less the tick the bridge's log meant it for.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
from jack_session import HERE, RATE, JackGraph, parse_dump, wait_for
from typing_extensions import Self

ARDOUR_LUA = "ardour7-lua"
SCENARIOS = ("bar-1", "stop-continue", "locate-stopped", "locate-playing", "loop", "tempo-change")
SONG = HERE.parents[1] / "examples" / "demo-song" / "song.mid"
TICKS_PER_SIXTEENTH = 6
LOOP_RANGE = "kickgen loop"  # as ardour_take.lua names it


def ardour_missing() -> bool:
    return shutil.which(ARDOUR_LUA) is None


@dataclass(frozen=True)
class ClockTick:
    frame: int
    position: int  # clock ticks from the song's start, as Ardour's clock says


def clock_ticks(events: list[tuple[int, tuple[int, ...]]], *, ticks_per_song_position: int = 1) -> list[ClockTick]:
    """Ardour's clock ticks as a receiver counts them: Start is tick 0, a song position
    pointer sets the position (Ardour 7 counts it in clocks, see the README), Continue
    resumes, Stop pauses. A tick the recorder lost (a gap of two periods) is counted."""
    ticks, position, playing, run = [], 0, False, []
    for frame, message in events:
        if message == (0xFA,):
            position, playing, run = 0, True, []
        elif message == (0xFB,):
            playing, run = True, []
        elif message == (0xFC,):
            playing = False
        elif message[0] == 0xF2 and len(message) == 3:
            position, run = (message[1] | message[2] << 7) * ticks_per_song_position, []
        elif message == (0xF8,) and playing:
            if len(run) > 8:  # the run's period, robust to Ardour's ticks a JACK period early or late
                period = np.median(np.diff(run[-25:]))
                periods = (frame - run[-1]) / period
                if round(periods) >= 2 and abs(periods - round(periods)) < 0.25:
                    position += round(periods) - 1
            ticks.append(ClockTick(frame, position))
            position += 1
            run.append(frame)
    return ticks


@dataclass(frozen=True)
class Take:
    scenario: str
    region_kicks: np.ndarray  # (n, 4): quarters, sample, distance to Ardour's sixteenth (ms), velocity
    stream_positions: np.ndarray  # (m,) clock-tick positions of the kicks that passed the graph
    stream_off_ms: np.ndarray  # (m,) their distance to the nearest sixteenth of Ardour's clock
    tick_shift: np.ndarray  # (m,) their clock tick less the bridge's target tick (whole ticks: a shift)
    all_ended: bool  # every kick ended: by its note-off, or by All Notes Off (CC 123) after the last one
    marks: list[tuple[str, int]]

    @property
    def region_off_ms(self) -> np.ndarray:
        return self.region_kicks[:, 2] if len(self.region_kicks) else np.zeros(0)


def stream_timing(events, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kicks on the graph placed on Ardour's clock: (positions in ticks, distance to
    the nearest sixteenth in ms, position less the nearest of the bridge's targets)."""
    ticks = clock_ticks(events)
    frames = np.array([t.frame for t in ticks], float)
    positions = np.array([t.position for t in ticks], float)
    kicks = np.array([f for f, m in events if m[:2] == (0x99, 36) and m[2] > 0], float)
    if len(ticks) < 2 or not len(kicks):
        return np.zeros(0), np.zeros(0), np.zeros(0)
    # each kick between the two ticks around it (a locate starts a new run of positions)
    after = np.clip(np.searchsorted(frames, kicks), 1, len(frames) - 1)
    before = after - 1
    span = np.maximum(frames[after] - frames[before], 1)
    continuous = positions[after] - positions[before] == 1
    period = np.median(np.diff(frames)[np.diff(positions) == 1])
    placed = np.where(continuous, positions[before] + (kicks - frames[before]) / span,
                      positions[before] + (kicks - frames[before]) / period)
    off_ticks = placed - np.round(placed / TICKS_PER_SIXTEENTH) * TICKS_PER_SIXTEENTH
    nearest_target = targets[np.abs(placed[:, None] - targets[None, :]).argmin(axis=1)] if len(targets) else placed
    return placed, off_ticks * period / RATE * 1000, placed - nearest_target


def flag_loop_range(session_file: Path) -> None:
    """Make the range named LOOP_RANGE the session's loop range, as Ardour's own "Set loop
    from selection" writes it (Ardour 7.3's Lua bindings cannot)."""
    tree = ElementTree.parse(session_file)
    ranges = [loc for loc in tree.iter("Location") if loc.get("name") == LOOP_RANGE]
    if len(ranges) != 1:
        raise RuntimeError(f"{session_file}: no range named {LOOP_RANGE!r}")
    ranges[0].set("flags", "IsAutoLoop")
    tree.write(session_file, encoding="UTF-8", xml_declaration=True)


class ArdourStudio(JackGraph):
    """A JACK server with the bridge, the player (only to record the song's parts into
    the session once), the recorder and Ardour with the session loaded; `take(scenario)`
    runs one take. Ardour loads the session once: Ardour 7.3 loading a session now and
    then sends jackd2 1.9.21 a request it cannot read ("CheckSize error", then the
    text of a port's pretty-name property read as requests) and the server drops every
    client, the bridge's too; one load a studio keeps that to its start."""

    def __init__(self, workdir: Path, *, bars: int = 8, bpm: float = 120.0, bridge_args: list[str] = (),
                 realtime: bool = False) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        super().__init__(workdir)
        self.bars, self.bpm, self.bridge_args, self.realtime = bars, bpm, list(bridge_args), realtime
        self.session_dir = workdir / "session"
        self.ardour: subprocess.Popen | None = None
        self.ardour_log = workdir / "ardour.log"

    def __enter__(self) -> Self:
        try:
            self.start_server(realtime=self.realtime)
            self.start_bridge(["--quantize", "1/16", "--song-position", "clocks", *self.bridge_args])
            self.start_player(["--song", str(SONG)])
            self.start_recorder()
            if not wait_for(lambda: self.port("dump:input"), timeout_s=30):
                raise RuntimeError("the recorder's port never came")
            subprocess.run(["jack_connect", self.port("kickgen out"), "dump:input"], env=self.env, check=True)
            prepared = subprocess.run([ARDOUR_LUA, str(HERE / "ardour_take.lua")], env=self.lua_env("prepare"),
                                      capture_output=True, text=True, timeout=180)
            (self.workdir / "ardour-prepare.log").write_text(prepared.stdout + prepared.stderr)
            if prepared.returncode != 0 or "DONE" not in prepared.stdout:
                raise RuntimeError(f"Ardour could not prepare the session; see {self.workdir / 'ardour-prepare.log'}")
            flag_loop_range(self.session_dir / "take.ardour")
            self.ardour = self._start([ARDOUR_LUA, str(HERE / "ardour_take.lua")], env=self.lua_env("take"),
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=self.ardour_log.open("w"), text=True)
            self.read_until("READY")
            return self
        except BaseException:
            self.stop_all()
            raise

    def _start(self, args, env=None, **kwargs) -> subprocess.Popen:
        process = subprocess.Popen(args, env=env or self.env, **kwargs)
        self.running.append(process)
        return process

    def lua_env(self, mode: str) -> dict[str, str]:
        names = {"PLAYER_IN": "player in", "PLAYER_OUT": "player out", "KICKGEN_IN": "kickgen in",
                 "KICKGEN_OUT": "kickgen out", "DUMP_IN": "dump:input"}
        ports = {f"TAKE_{key}": self.port(suffix) for key, suffix in names.items()}
        missing = [key for key, port in ports.items() if port is None]
        if missing:
            raise RuntimeError(f"ports missing: {missing}; have {self.ports()}")
        return {**self.env, **ports, "TAKE_MODE": mode, "TAKE_SESSION": str(self.session_dir),
                "TAKE_BARS": str(self.bars), "TAKE_BPM": f"{self.bpm:g}"}

    def read_until(self, word: str) -> list[str]:
        """Ardour's stdout lines up to `word` (a line of its own)."""
        lines = []
        for line in self.ardour.stdout:
            if line.strip() == word:
                return lines
            lines.append(line.strip())
        raise RuntimeError(f"Ardour ended before {word}; see {self.ardour_log}")

    def take(self, scenario: str) -> Take:
        """One take; the recorder's and the bridge's logs are read from where it began."""
        dump_start = len(self.dump.read_text().splitlines())
        log_start = len(self.log.read_text().splitlines())
        self.ardour.stdin.write(scenario + "\n")
        self.ardour.stdin.flush()
        output = self.read_until("END")
        self.read_until("READY")
        with (self.workdir / "takes.jsonl").open("a") as index:  # where each take's lines begin, for a look later
            index.write(json.dumps({"scenario": scenario, "dump_line": dump_start, "log_line": log_start,
                                    "ardour": output}) + "\n")
        events = parse_dump("\n".join(self.dump.read_text().splitlines()[dump_start:]))
        targets = np.array([float(line.split("@")[1]) for line in self.log.read_text().splitlines()[log_start:]
                            if "@" in line])
        positions, off_ms, shift = stream_timing(events, targets)
        region = [[float(v) for v in line.split()[1:]] for line in output if line.startswith("KICK ")]
        marks = [(line.split()[1], int(line.split()[2])) for line in output if line.startswith("MARK ")]
        kicks = [m for _, m in events if m[0] & 0xF0 in (0x80, 0x90) and m[1] == 36]
        on = sum(1 for m in kicks if m[0] & 0xF0 == 0x90 and m[2] > 0)
        off = sum(1 for m in kicks if m[0] & 0xF0 == 0x80 or m[2] == 0)
        last_on = max((i for i, (_, m) in enumerate(events) if m[0] & 0xF0 == 0x90 and m[1] == 36 and m[2] > 0),
                      default=-1)
        ended = on == off or any(m[0] & 0xF0 == 0xB0 and m[1:] == (123, 0) for _, m in events[last_on + 1:])
        return Take(scenario, np.array(region, float).reshape(-1, 4), positions, off_ms, shift, ended, marks)

    def __exit__(self, *exc) -> None:
        if self.ardour is not None and self.ardour.poll() is None:
            try:
                self.ardour.stdin.write("quit\n")
                self.ardour.stdin.flush()
                self.ardour.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                pass
        super().__exit__(*exc)
