"""`kickgen-bridge --host-link`: the wire format, a plugin session's planning, and the bridge
process answering plugins over its real socket with the offline render's kicks."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from kickgen.bridge import hostlink_wire as wire
from kickgen.bridge.core import BridgeSettings
from kickgen.bridge.generator import Style
from kickgen.bridge.hostlink import PluginSession
from kickgen.engine.producer.render import RenderSettings, render_kicks_for
from kickgen.engine.producer.targets import midi_target
from kickgen.engine.runtime.bundle import ModelBundle
from kickgen.engine.runtime.style import BAR_STEPS, StylePrior, random_style, sample_code

SONG = Path(__file__).resolve().parents[2] / "examples" / "demo-song" / "song.mid"
BPM, BARS = 100, 16  # the example song: 4/4
SEED = 3
SLOTS = [("zero", np.zeros(16, np.float32)), ("ones", np.ones(16, np.float32))]


def new_session() -> PluginSession:
    return PluginSession(1, BridgeSettings(), SLOTS, Style(SLOTS[0][1]))


def transport(bar: int, *, playing: bool = True, why: int = 1, beat: float = 0.0) -> wire.Transport:
    qn = bar * 4 + beat
    return wire.Transport(playing, True, why, int(qn * 60 / BPM * 48000), bar, qn, beat, BPM, 4.0, 4.0)


def test_every_message_round_trips_and_a_bad_one_says_why():
    t = transport(3, beat=1.5)
    events = [wire.Event(12.5, (0x99, 38, 100)), wire.Event(12.75, (0x89, 38, 0))]
    assert wire.decode(wire.encode_transport(7, 2, t)) == (wire.Header(wire.TRANSPORT, 7, 2), t)
    assert wire.decode(wire.encode_notes(7, 2, events)) == (wire.Header(wire.NOTES, 7, 2), events)
    assert wire.decode(wire.encode_hello(7, 0, wire.Hello(48000.0, "jalv", "0.1.0")))[1] == wire.Hello(
        48000.0, "jalv", "0.1.0")
    kicks = wire.encode_kicks(7, 2, 12.0, 16.0, events)
    assert wire.decode(kicks)[1] == events and wire.window_of(kicks) == (12.0, 16.0)
    assert wire.decode(wire.encode_bye(7, 2)) == (wire.Header(wire.BYE, 7, 2), None)
    style = wire.StyleSettings(2, 77, 0.3)
    assert wire.decode(wire.encode_style(7, 2, style)) == (wire.Header(wire.STYLE, 7, 2), style)
    state = wire.StyleState(2, 0, 0.5, "four on the floor", "97989bc64656", (0.25, -1.5, 3.0))
    for kind in (wire.SAVED_STYLE, wire.STYLE_STATE):
        assert wire.decode(wire.encode_style_state(kind, 7, 2, state)) == (wire.Header(kind, 7, 2), state)
    for bad, why in ((b"KGHL", "shorter than a header"), (b"XXXX" + bytes(12), "not a version-2"),
                     (wire.encode_style_state(wire.STYLE_STATE, 7, 2, state)[:-1], "3 values, 2 sent"),
                     (wire.encode_notes(7, 2, events)[:-5], "2 events announced"),
                     (wire.encode_transport(7, 2, t)[:30], "cut short")):
        with pytest.raises(wire.WireError, match=why):
            wire.decode(bad)


def fixed_kicks(request):
    """Kicks on beats 1 and 3 (ticks 0 and 48) and one at the bar's last 32nd."""
    return [(0.0, 1.0), (48.0, 0.5), (93.0, 0.8)]


def test_a_session_plans_its_bar_and_the_next_once_per_timeline():
    session = new_session()
    requests = session.on_transport(0, transport(0, why=4))
    assert [r.bar for r in requests] == [0, 1]
    assert [r.bar for r in session.on_transport(0, transport(1))] == [2]  # bar 1 was planned a bar ago
    assert session.on_transport(0, transport(1, why=0, beat=2.0)) == []
    assert [r.bar for r in session.on_transport(1, transport(5, why=2))] == [5, 6]  # a locate: a new epoch
    plan = session.plan(requests[0], fixed_kicks(requests[0]))
    assert plan is None  # asked in an epoch the plugin has left
    request = session.on_transport(1, transport(9, why=2))[0]
    plan = session.plan(request, fixed_kicks(request))
    assert (plan.epoch, plan.from_qn, plan.to_qn) == (1, 36.0, 40.0)
    ons = [e.qn for e in plan.events if e.message[0] == 0x99]
    offs = [e.qn for e in plan.events if e.message[0] == 0x89]
    assert ons == [36.0, 38.0, 36.0 + 93 / 24]
    assert all(on < off < 40.0 for on, off in zip(ons, offs))  # every note-off inside the bar's window
    assert [e.message[2] for e in plan.events if e.message[0] == 0x99] == [127, 64, 102]


def test_a_session_hears_snare_and_bass_by_bar_and_plans_from_what_it_heard():
    session = new_session()
    session.on_transport(0, transport(0, why=4))
    session.on_notes(0, [wire.Event(0.5, (0x99, 38, 100)), wire.Event(0.5, (0x99, 42, 100)),
                         wire.Event(1.0, (0x90, 45, 90)), wire.Event(1.25, (0x80, 45, 0)),
                         wire.Event(4.5, (0x99, 38, 100))])
    session.on_notes(7, [wire.Event(2.0, (0x99, 38, 100))])  # a stale epoch: dropped
    session.on_transport(0, transport(1))
    request = session.on_transport(0, transport(2))[0]
    heard = dict(zip(range(request.first_bar, request.bar + 3), request.notes))
    assert [(n.tick, n.role) for n in heard[0]] == [(12.0, "snare"), (24.0, "bass")]  # no hi-hat, no note-off
    assert [(n.tick, n.role) for n in heard[1]] == [(12.0, "snare")]


def test_a_new_style_applies_from_the_next_bar_not_yet_started():
    session = new_session()
    assert session.on_style(wire.StyleSettings(1, 0, 0.25)) == []  # no transport yet: nothing to plan
    assert np.array_equal(session.style.code, SLOTS[1][1])
    session.on_transport(0, transport(4, why=4))
    replanned = session.on_style(wire.StyleSettings(0, 9, 0.4))
    assert [r.bar for r in replanned] == [5]  # bar 4 is playing: it keeps its kicks
    want = np.random.default_rng(9).standard_normal(16).astype(np.float32)  # as `kickgen-bridge --seed 9`
    assert np.array_equal(replanned[0].style.code, want) and replanned[0].style.threshold == 0.4
    assert session.on_style(wire.StyleSettings(0, 9, 0.4)) == []  # the same settings again: nothing new
    assert [r.bar for r in session.on_style(wire.StyleSettings(5, 0, 0.4))] == [5]  # no slot 5: slot 0
    assert np.array_equal(session.style.code, SLOTS[0][1])


def test_a_saved_bar_of_codes_plays_as_saved():
    """A style fitted to a song (16 codes of 16, one per bar step) travels to the plugin
    and back row by row, within the wire's MAX_CODE."""
    session = new_session()
    bar = np.linspace(-2, 2, 16 * BAR_STEPS, dtype=np.float32).reshape(16, BAR_STEPS)
    saved = wire.StyleState(1, 0, 0.3, "my song", "97989bc64656", tuple(bar.ravel().tolist()))
    assert wire.decode(wire.encode_style_state(wire.SAVED_STYLE, 1, 0, saved))[1] == saved
    session.on_transport(0, transport(4, why=4))
    replanned = session.on_saved_style(saved, "97989bc64656")
    assert session.mismatch is None and np.array_equal(replanned[0].style.code, bar)
    assert session.style_state("97989bc64656") == saved
    cut = wire.StyleState(1, 0, 0.3, "cut", "97989bc64656", saved.code[:100])
    session.on_saved_style(cut, "97989bc64656")  # neither one code nor a bar of them: the settings choose
    assert session.mismatch is not None and np.array_equal(session.style.code, SLOTS[1][1])


def test_a_seeded_random_style_is_drawn_where_the_bundle_says_styles_lie():
    prior = StylePrior(np.full(16, 0.5), np.diag(np.linspace(0.5, 2.0, 16)), songs=10)
    session = PluginSession(1, BridgeSettings(), SLOTS, Style(SLOTS[0][1]), prior=prior)
    session.on_style(wire.StyleSettings(0, 9, 0.4))
    assert session.style_name == "random (seed 9)"
    assert np.array_equal(session.style.code, sample_code(np.random.default_rng(9), prior=prior))
    assert not np.allclose(session.style.code, sample_code(np.random.default_rng(9)))


def test_a_saved_style_plays_as_saved_when_made_for_this_model_and_by_its_settings_when_not():
    session = new_session()
    mine = wire.StyleState(1, 0, 0.3, "mine", "97989bc64656", tuple(np.linspace(-1, 1, 16, dtype=np.float32).tolist()))
    session.on_transport(0, transport(4, why=4))
    replanned = session.on_saved_style(mine, "97989bc64656")  # slot 1 here holds another code: the saved one plays
    assert [r.bar for r in replanned] == [5] and session.mismatch is None
    assert np.array_equal(replanned[0].style.code, np.float32(mine.code)) and replanned[0].style.threshold == 0.3
    assert session.style_state("97989bc64656") == mine  # what the plugin saves again
    session.on_saved_style(mine, "03d600872afd")  # made for another model: slot 1, as the settings ask
    assert np.array_equal(session.style.code, SLOTS[1][1])
    assert session.mismatch == "style 'mine' was saved for model 97989bc64656; this bridge runs 03d600872afd"
    assert session.style_state("03d600872afd") == wire.StyleState(1, 0, 0.3, "ones", "03d600872afd", (1.0,) * 16)


def render_times(code: np.ndarray, threshold: float = 0.25) -> np.ndarray:
    _, offline = render_kicks_for(ModelBundle.default(), midi_target(SONG), code, RenderSettings(threshold=threshold))
    return np.sort(offline.times_s)


class Plugin:
    """A plugin instance as the C host link talks: an autobound datagram socket."""

    def __init__(self, path: Path, instance: int) -> None:
        self.instance, self.path = instance, str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("")  # Linux autobind: an abstract address the bridge answers to
        self.sock.settimeout(10)

    def send(self, datagram: bytes) -> None:
        self.sock.sendto(datagram, self.path)

    def answers(self, n: int) -> list[bytes]:
        return [self.sock.recv(65536) for _ in range(n)]


def start_bridge(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, Path]:
    path = tmp_path / "hostlink.sock"
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from kickgen.bridge.cli import main; sys.exit(main())",
         "--host-link", "--socket", str(path), "--seed", str(SEED), "--log", str(tmp_path / "plan.jsonl"), *extra],
        stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not path.exists():
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "the bridge did not open its socket"
        time.sleep(0.05)
    return process, path


def test_the_bridge_answers_two_plugins_over_its_socket_with_the_offline_render(tmp_path):
    """Two instances play the example song (with it as the context song), one a bar
    behind the other; each gets every bar a bar ahead, under its own instance id, and
    the kicks are the offline render's to the microsecond."""
    process, path = start_bridge(tmp_path, "--context", str(SONG))
    try:
        plugins = [Plugin(path, 0x1234), Plugin(path, 0xBEEF)]
        kicks: dict[int, dict[int, list[float]]] = {p.instance: {} for p in plugins}
        for p in plugins:
            p.send(wire.encode_hello(p.instance, 0, wire.Hello(48000.0, "test", "0.1.0")))
        for step in range(BARS + 1):
            for lag, p in enumerate(plugins):
                bar = step - lag
                if bar < 0 or bar >= BARS:
                    continue
                p.send(wire.encode_transport(p.instance, 0, transport(bar, why=4 if bar == 0 else 1)))
                for answer in p.answers(2 if bar == 0 else 1):
                    header, events = wire.decode(answer)
                    assert (header.kind, header.instance, header.epoch) == (wire.KICKS, p.instance, 0)
                    start, _ = wire.window_of(answer)
                    assert start >= (bar * 4 if bar == 0 else (bar + 1) * 4)  # a bar ahead once playing
                    kicks[p.instance][int(start // 4)] = [e.qn for e in events if e.message[0] == 0x99]
        for p in plugins:
            p.send(wire.encode_bye(p.instance, 0))
    finally:
        process.terminate()
        process.wait(timeout=30)
    bundle = ModelBundle.default()  # the bridge draws --seed's style from its prior and picks at its threshold
    want = render_times(random_style(SEED, prior=bundle.style_prior)[1], threshold=bundle.peak_threshold())
    for by_bar in kicks.values():
        assert sorted(by_bar) == list(range(BARS + 1))  # bar 16, past the song, decoded from what it heard
        got = np.sort([qn * 60 / BPM for bar, bar_kicks in by_bar.items() if bar < BARS for qn in bar_kicks])
        want_here = want[want < BARS * 4 * 60 / BPM]
        assert len(want_here) > 10 and got.shape == want_here.shape
        assert np.abs(got - want_here).max() < 1e-6
    log = [json.loads(line) for line in (tmp_path / "plan.jsonl").read_text().splitlines()]
    assert log[-1]["exit"]["rejected"] == 0 and log[-1]["exit"]["plans"] == 2 * (BARS + 1)
    assert process.returncode == 0


def test_the_bridge_says_which_style_it_plays_and_plays_a_saved_one_as_saved(tmp_path):
    """STYLE and SAVED_STYLE are answered with STYLE_STATE (what the plugin saves); a saved
    style for this model comes back as saved, one for another model falls back to its
    settings, and the bridge says so on stderr."""
    process, path = start_bridge(tmp_path)
    try:
        plugin = Plugin(path, 0x51)
        plugin.send(wire.encode_style(plugin.instance, 0, wire.StyleSettings(0, 9, 0.4)))
        header, state = wire.decode(plugin.answers(1)[0])
        assert (header.kind, header.instance) == (wire.STYLE_STATE, plugin.instance)
        random_9 = random_style(9, prior=ModelBundle.default().style_prior)[1]
        assert (state.slot, state.seed, state.threshold, state.name) == (0, 9, 0.4, "random (seed 9)")
        assert np.array_equal(np.float32(state.code), random_9) and state.model == ModelBundle.default().id[:12]
        saved = wire.StyleState(3, 0, 0.3, "from my song", state.model, tuple(np.linspace(-2, 2, 16).tolist()))
        plugin.send(wire.encode_style_state(wire.SAVED_STYLE, plugin.instance, 0, saved))
        assert wire.decode(plugin.answers(1)[0])[1] == wire.StyleState(
            3, 0, 0.3, "from my song", state.model, tuple(np.float32(saved.code).tolist()))
        plugin.send(wire.encode_style_state(wire.SAVED_STYLE, plugin.instance, 0, wire.StyleState(
            0, 9, 0.3, "from my song", "000000000000", saved.code)))
        fallback = wire.decode(plugin.answers(1)[0])[1]
        assert fallback.name == "random (seed 9)" and np.array_equal(np.float32(fallback.code), random_9)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "style 'from my song' was saved for model 000000000000" in process.stderr.read()
