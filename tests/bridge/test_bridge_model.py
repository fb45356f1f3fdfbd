"""The bridge with the shipped model: with the whole song as context it writes what the
offline render writes; without, it writes plausible kicks into the bars it hears, decoding
only the frames a bar's kicks depend on, with the kicks a decode of the whole window gives."""

from pathlib import Path

import numpy as np
import pytest

from kickgen.bridge.clock import TICKS_PER_QUARTER, Meter
from kickgen.bridge.core import BridgeCore, BridgeSettings
from kickgen.bridge.generator import (
    ContextSong,
    GenerationRequest,
    KickGenerator,
    Style,
    peak_frames,
    window_onsets,
)
from kickgen.bridge.memory import BarMemory, Note
from kickgen.bridge.simulate import Timeline, run
from kickgen.engine.evaluation.metrics import onset_scores
from kickgen.engine.producer.render import RenderSettings, render_kicks_for
from kickgen.engine.producer.targets import midi_target
from kickgen.engine.runtime.bundle import ModelBundle
from kickgen.engine.runtime.kicks import kick_curve, kick_curve_window, quantize
from kickgen.engine.runtime.style import BAR_STEPS
from kickgen.engine.signals.frames import Onsets
from kickgen.engine.signals.midi import signals_from_onsets
from kickgen.engine.signals.peaks import pick_peaks

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


@pytest.mark.parametrize("steps", [1, BAR_STEPS], ids=["held code", "bar of codes"])
def test_with_the_whole_song_known_the_bridge_equals_the_render(steps):
    bundle = ModelBundle.default()
    code = np.random.default_rng(5).standard_normal((bundle.info.code_size, steps)).astype(np.float32)
    code = code[:, 0] if steps == 1 else code
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


def full_window_kicks(bundle: ModelBundle, request: GenerationRequest) -> list[tuple[float, float]]:
    """A bar's kicks as the bridge made them before it cropped the decode: the decoder run
    on the whole window, the peaks picked on one bar either side of the bar."""
    onsets, beats, downbeats, duration_s = window_onsets(request)
    signals = signals_from_onsets(onsets, beat_times_s=beats, downbeat_times_s=downbeats, duration_s=duration_s)
    curve = kick_curve(bundle, signals, request.style.code)
    bar_ticks = request.meter.ticks_per_bar
    offset = (request.bar - request.first_bar) * bar_ticks
    frames_per_tick = request.period_s * signals.fps
    lo = max(0, int((offset - bar_ticks) * frames_per_tick))
    hi = min(len(curve), int(np.ceil((offset + 2 * bar_ticks) * frames_per_tick)) + 1)
    picked = pick_peaks(curve[lo:hi], threshold=request.style.threshold, fps=signals.fps)
    picked = Onsets(picked.times_s + lo / signals.fps, picked.velocities)
    kicks = quantize(picked, beats, grid=request.style.grid)
    ticks = kicks.times_s / request.period_s - offset
    inside = (ticks >= 0) & (ticks < bar_ticks)
    return list(zip(ticks[inside].tolist(), kicks.velocities[inside].tolist()))


def random_bars(rng: np.random.Generator, bars: int, meter: Meter) -> dict[int, list[Note]]:
    """Random snare and bass notes (fractional ticks, velocities 0.05..1); a fifth of the
    bars are empty, as in a break or before a song starts."""
    notes: dict[int, list[Note]] = {}
    for bar in range(bars):
        count = 0 if rng.random() < 0.2 else int(rng.integers(1, 13))
        notes[bar] = [Note(float(rng.uniform(0, meter.ticks_per_bar)), str(rng.choice(["snare", "bass"])),
                           float(rng.uniform(0.05, 1.0))) for _ in range(count)]
    return notes


def bar_requests(notes: dict[int, list[Note]], bars: range, *, bpm: float, meter: Meter,
                 style: Style) -> list[GenerationRequest]:
    """The core's request for each bar in `bars`: the default window around it (bars
    outside `notes` silent) at `bpm` quarter notes a minute."""
    settings = BridgeSettings()
    requests = []
    for bar in bars:
        first = bar - (settings.window_bars - 1 - settings.bars_after)
        window = tuple(tuple(notes.get(b, ())) for b in range(first, first + settings.window_bars))
        requests.append(GenerationRequest(bar, first, window, 60 / bpm / TICKS_PER_QUARTER, meter, style, 0))
    return requests


def test_the_bridge_decodes_only_what_a_bar_reads_and_makes_the_whole_windows_kicks(monkeypatch):
    bundle = ModelBundle.default()
    decoded_frames: list[int] = []
    decode = bundle.decode

    def counting_decode(context: np.ndarray, code: np.ndarray) -> np.ndarray:
        decoded_frames.append(context.shape[-1])
        return decode(context, code)

    monkeypatch.setattr(bundle, "decode", counting_decode)
    generator = KickGenerator(bundle)
    reach_left, reach_right = bundle.info.receptive_field["decoder_left"], bundle.info.receptive_field["decoder_right"]
    rng = np.random.default_rng(11)
    compared = kicks = 0
    # the example song's tempo and meter, and others: at 55 bpm a bar is longer than the
    # receptive field, so the decoded frames end before the window does; at 240 bpm in 2/4
    # they start at the window's start
    for bpm, meter, grid in ((100, Meter(4, 4), "off"), (55, Meter(3, 4), "1/16"),
                             (200, Meter(7, 8), "off"), (240, Meter(2, 4), "1/32")):
        style = Style(rng.standard_normal(bundle.info.code_size).astype(np.float32),
                      threshold=float(rng.uniform(0.15, 0.4)), grid=grid)
        song = ContextSong.load(SONG, meter).notes
        requests = (bar_requests(song, range(-1, max(song) + 3), bpm=bpm, meter=meter, style=style)
                    + bar_requests(random_bars(rng, 40, meter), range(40), bpm=bpm, meter=meter, style=style))
        for request in requests:
            onsets, beats, downbeats, duration_s = window_onsets(request)
            signals = signals_from_onsets(onsets, beat_times_s=beats, downbeat_times_s=downbeats, duration_s=duration_s)
            lo, hi = peak_frames(request, signals.n_frames, signals.fps)
            decoded_frames.clear()
            made = generator(request)
            # one decode: the frames the peaks are picked from, widened by the receptive field
            assert decoded_frames == [min(signals.n_frames, hi + reach_right) - max(0, lo - reach_left)]
            assert made == full_window_kicks(bundle, request), (bpm, meter, request.bar)
            # and the curve is the whole window's, bit for bit: no peak at the threshold can flip
            np.testing.assert_array_equal(kick_curve_window(bundle, signals, style.code, start=lo, stop=hi),
                                          kick_curve(bundle, signals, style.code)[lo:hi])
            compared += 1
            kicks += len(made)
    assert compared > 250 and kicks > 500
