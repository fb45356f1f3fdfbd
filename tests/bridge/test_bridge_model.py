"""The bridge with the shipped model: with the whole song as context it writes what the
offline render writes; without, it writes plausible kicks into the bars it hears."""

from pathlib import Path

import numpy as np

from kickgen.bridge.clock import Meter
from kickgen.bridge.core import BridgeCore, BridgeSettings
from kickgen.bridge.generator import ContextSong, KickGenerator
from kickgen.bridge.memory import BarMemory
from kickgen.bridge.simulate import Timeline, run
from kickgen.engine.evaluation.metrics import onset_scores
from kickgen.engine.producer.render import RenderSettings, render_kicks_for
from kickgen.engine.producer.targets import midi_target
from kickgen.engine.runtime.bundle import ModelBundle

SONG = Path(__file__).resolve().parents[2] / "examples" / "demo-song" / "song.mid"
BPM, BARS = 100, 16  # the example song


def song_notes(bars: int):
    """The example song's snare and bass as (clock position, message), as a DAW plays it."""
    context = ContextSong.load(SONG, Meter())
    notes = []
    for bar, bar_notes in context.notes.items():
        for note in bar_notes:
            status, pitch = (0x99, 38) if note.role == "snare" else (0x91, 45)
            if bar < bars:
                notes.append((bar * 96 + note.tick, (status, pitch, max(1, round(note.velocity * 127)))))
    return notes


def bridge_kick_times(bundle, code, *, context: ContextSong | None, bars: int = BARS) -> np.ndarray:
    core = BridgeCore(BridgeSettings(), [("style", code)], memory=BarMemory(context.notes if context else None))
    timeline = Timeline()
    timeline.play(start_s=0.0, ticks=bars * 96, bpm=BPM, notes=song_notes(bars))
    sent = run(core, timeline, KickGenerator(bundle, context))
    first_clock = min(e.time_s for e in timeline.events if e.data == (0xF8,))
    return np.array([s.time_s - first_clock for s in sent if s.message[0] == 0x99 and s.message[2] > 0])


def test_with_the_whole_song_known_the_bridge_equals_the_render():
    bundle = ModelBundle.default()
    code = np.random.default_rng(5).standard_normal(bundle.info.code_size).astype(np.float32)
    _, offline = render_kicks_for(bundle, midi_target(SONG), code, RenderSettings())
    live = bridge_kick_times(bundle, code, context=ContextSong.load(SONG, Meter()))
    assert len(offline.times_s) > 10
    assert onset_scores(offline.times_s, live, window_s=0.01).f_measure >= 0.98


def test_without_context_the_bridge_writes_kicks_into_the_bars_it_hears():
    bundle = ModelBundle.default()
    code = np.random.default_rng(5).standard_normal(bundle.info.code_size).astype(np.float32)
    live = bridge_kick_times(bundle, code, context=None)
    bar_s = 4 * 60 / BPM
    bars = set((live // bar_s).astype(int).tolist())
    assert len(live) >= BARS and bars >= set(range(1, BARS))
    _, offline = render_kicks_for(bundle, midi_target(SONG), code, RenderSettings())
    assert onset_scores(offline.times_s, live).f_measure >= 0.5  # the same style, heard bar by bar
