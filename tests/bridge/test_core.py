"""The bridge core in simulated time: clock, bars, scheduling, transport, controls.

Most tests answer generation with a fixed pattern (`beat_kicks`), so that the expected
send times are exact; the model's own kicks are tested in test_bridge_model.py.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kickgen.bridge.clock import Meter
from kickgen.bridge.core import ALL_NOTES_OFF, BridgeCore, BridgeSettings, threshold_for
from kickgen.bridge.memory import MAX_BARS, BarMemory, Note
from kickgen.bridge.midi_bytes import CLOCK, CONTINUE, START, STOP, MidiParser
from kickgen.bridge.simulate import Timeline, run
from kickgen.engine.runtime.style import BAR_STEPS, StylePrior, sample_code

CODE_A, CODE_B = np.zeros(16, np.float32), np.ones(16, np.float32)


def beat_kicks(request):
    """A kick on every beat of the bar, velocity falling through the bar."""
    meter = request.meter
    return [(float(b * meter.ticks_per_beat), 1.0 - 0.1 * b) for b in range(meter.numerator)]


def core_for(meter=Meter(), **changes):
    return BridgeCore(BridgeSettings(meter=meter, **changes), [("a", CODE_A), ("b", CODE_B)])


def note_ons(sent):
    return [s for s in sent if s.message[0] & 0xF0 == 0x90 and s.message[2] > 0]


def note_offs(sent):
    return [s for s in sent if s.message[0] & 0xF0 == 0x80]


@pytest.mark.parametrize(("meter", "bpm"), [(Meter(4, 4), 120), (Meter(3, 4), 90), (Meter(7, 8), 150)])
def test_steady_tempo_kicks_land_exactly_on_the_beats(meter, bpm):
    core, timeline = core_for(meter), Timeline()
    bars = 6
    timeline.play(start_s=1.0, ticks=bars * meter.ticks_per_bar, bpm=bpm)
    sent = run(core, timeline, beat_kicks)
    tick_s = 60.0 / bpm / 24
    expected = [1.001 + (bar * meter.ticks_per_bar + b * meter.ticks_per_beat) * tick_s
                for bar in range(bars) for b in range(meter.numerator)]
    assert [s.time_s for s in note_ons(sent)] == pytest.approx(expected, abs=1e-9)
    assert len(note_offs(sent)) == len(expected)
    assert all(s.message == (0x99, 36, s.message[2]) for s in note_ons(sent))
    assert sent[-1].message == (0xB9, ALL_NOTES_OFF, 0)  # the stop
    assert core.missed_deadlines == 0


def test_a_tempo_ramp_is_followed_within_a_millisecond():
    core, timeline = core_for(), Timeline()
    ticks = 96 * 8

    def bpm(i):
        return 100 + 60 * i / ticks  # 100 -> 160 bpm over eight bars

    timeline.play(start_s=0.0, ticks=ticks, bpm=bpm)
    sent = run(core, timeline, beat_kicks)
    clock_times = sorted(e.time_s for e in timeline.events if e.data == (0xF8,))
    expected = [clock_times[p] for p in range(0, ticks, 24)]
    times = [s.time_s for s in note_ons(sent)]
    assert len(times) == len(expected)
    assert np.max(np.abs(np.array(times) - expected)) < 1e-3


def test_clock_jitter_averages_out():
    core, timeline = core_for(), Timeline()
    timeline.play(start_s=0.0, ticks=96 * 6, bpm=120, jitter_s=0.002, seed=3)
    sent = run(core, timeline, beat_kicks)
    ideal = 0.005 + np.arange(24) * 0.5
    error = np.abs(np.array([s.time_s for s in note_ons(sent)]) - ideal)
    assert len(error) == 24 and np.median(error) < 0.002 and error.max() < 0.004


def test_bars_prepared_while_stopped_catch_the_first_tick_of_a_slow_generator():
    core, timeline = core_for(), Timeline()
    timeline.play(start_s=1.0, ticks=96 * 2, bpm=120)  # first tick 1 ms after Start, Stop after bar 2
    timeline.play(start_s=6.0, ticks=96, bpm=120, start=CONTINUE, first_position=96 * 2)
    sent = run(core, timeline, beat_kicks, delay_s=0.010)  # every generation takes 10 ms
    times = [s.time_s for s in note_ons(sent)]
    assert times[0] == pytest.approx(1.001) and times[8] == pytest.approx(6.001)  # bars 1 and 3, beat 1
    assert len(times) >= 12 and core.missed_deadlines == 0  # (a 13th may go out on the Stop's downbeat)


def test_clock_ticks_lost_on_the_way_do_not_shift_the_song():
    core, timeline = core_for(), Timeline()
    timeline.play(start_s=0.0, ticks=96 * 6, bpm=120)
    ticks = [e for e in timeline.events if e.data == (0xF8,)]
    lost = {ticks[100].order, ticks[250].order, ticks[251].order}  # one, then two in a row
    timeline.events = [e for e in timeline.events if e.order not in lost]
    sent = run(core, timeline, beat_kicks)
    times = [s.time_s for s in note_ons(sent)][:24]  # (Stop falls on bar 7's downbeat: a kick there may go out)
    assert times == pytest.approx(0.001 + np.arange(24) * 0.5, abs=1e-9)
    assert core.clock.lost_ticks == 3


@pytest.mark.parametrize("stalled, by_periods", [(100, 1.0), (250, 2.0), (400, 1.2)])
def test_clock_ticks_held_up_on_the_way_do_not_shift_the_song(stalled, by_periods):
    """A stall (a busy JACK graph or process, as with Ardour) holds a tick up by one or two
    periods and lets the ticks queued behind it through at the same moment: no tick was
    lost, and the song must not move."""
    core, timeline = core_for(), Timeline()
    timeline.play(start_s=0.0, ticks=96 * 6, bpm=120)
    ticks = [e for e in timeline.events if e.data == (0xF8,)]
    released = ticks[stalled].time_s + by_periods * 0.5 / 24
    for tick in ticks[stalled:]:
        tick.time_s = max(tick.time_s, released)
    sent = run(core, timeline, beat_kicks)
    times = [s.time_s for s in note_ons(sent)][:24]
    # (the ticks let through late bend the fitted line by under a millisecond, not a tick: 20.8 ms)
    assert times == pytest.approx(0.001 + np.arange(24) * 0.5, abs=1e-3)
    assert core.clock.lost_ticks == 0


def test_an_extra_clock_tick_is_dropped_and_does_not_shift_the_song():
    """A second 0xF8 on the heels of one on time (seen with Ardour four ticks after Start)
    is no tick of the song: counting it would put every kick a tick early."""
    core, timeline = core_for(), Timeline()
    timeline.play(start_s=0.0, ticks=96 * 6, bpm=120)
    ticks = [e for e in timeline.events if e.data == (0xF8,)]
    for doubled in (ticks[4], ticks[300]):
        timeline.add(doubled.time_s + 4e-6, (0xF8,))
    sent = run(core, timeline, beat_kicks)
    times = [s.time_s for s in note_ons(sent)][:24]
    assert times == pytest.approx(0.001 + np.arange(24) * 0.5, abs=1e-9)
    assert core.clock.extra_ticks == 2 and core.clock.lost_ticks == 0


@pytest.mark.parametrize("step_periods", [0.4, 0.72, -0.5])
def test_a_clock_that_comes_back_from_a_stall_out_of_phase_moves_the_song_by_that_much_only(step_periods):
    """A stall the graph never makes up moves every later tick by a fraction of a period
    (0.72 seen with Ardour): the kicks follow the ticks' new phase, and no tick is counted
    lost or extra (a whole-tick shift of the song)."""
    core, timeline = core_for(), Timeline()
    timeline.play(start_s=0.0, ticks=96 * 6, bpm=120)
    period = 0.5 / 24
    ticks = [e for e in timeline.events if e.data == (0xF8,)]
    for tick in ticks[309:]:
        tick.time_s += step_periods * period
    sent = run(core, timeline, beat_kicks)
    times = np.array([s.time_s for s in note_ons(sent)][:24])
    ideal = 0.001 + np.arange(24) * 0.5 + np.where(np.arange(24) * 24 >= 309, step_periods * period, 0.0)
    assert np.abs(times - ideal).max() < 1e-3
    assert core.clock.lost_ticks == 0 and core.clock.extra_ticks == 0


def test_a_sudden_tempo_change_is_followed_within_a_beat():
    core, timeline = core_for(), Timeline()
    ticks = 96 * 8
    timeline.play(start_s=0.0, ticks=ticks, bpm=lambda i: 120 if i < 96 * 4 else 100)
    sent = run(core, timeline, beat_kicks)
    clock_times = sorted(e.time_s for e in timeline.events if e.data == (0xF8,))
    expected = np.array([clock_times[p] for p in range(0, ticks, 24)])
    times = np.array([s.time_s for s in note_ons(sent)])[:len(expected)]  # (and maybe one on the Stop's downbeat)
    assert np.abs(times - expected)[expected > clock_times[96 * 4 + 24]].max() < 1e-3  # from the second beat
    assert core.clock.lost_ticks == 0 and core.clock.extra_ticks == 0


def test_stop_silences_and_continue_resumes_where_it_stopped():
    core, timeline = core_for(), Timeline()
    end = timeline.play(start_s=0.0, ticks=96 + 48, bpm=120)  # stop in the middle of bar 2
    timeline.play(start_s=end + 2.0, ticks=48 + 96, bpm=120, start=CONTINUE, first_position=96 + 48)
    sent = run(core, timeline, beat_kicks)
    stops = [s for s in sent if s.message == (0xB9, ALL_NOTES_OFF, 0)]
    assert len(stops) >= 2
    times = [s.time_s for s in note_ons(sent)]
    assert not [t for t in times if end < t < end + 2.0]
    resumed = end + 2.001
    assert times[6:12] == pytest.approx([resumed + k * 0.5 for k in range(6)], abs=1e-9)


def test_song_position_jumps_and_loops():
    core, timeline = core_for(), Timeline()
    end = timeline.play(start_s=0.0, ticks=96 * 2, bpm=120, stop=False)
    # the DAW loops back to bar 1 (SPP 0) while playing: 16 sixteenths per bar
    timeline.add(end, (0xF2, 0, 0))
    timeline.play(start_s=end, ticks=96, bpm=120, start=None)
    sent = run(core, timeline, beat_kicks)
    times = [s.time_s for s in note_ons(sent)]
    assert len(times) == 12 and times[8:] == pytest.approx([end + 0.001 + k * 0.5 - 0.001 for k in range(4)],
                                                           abs=0.002)


@pytest.mark.parametrize("ticks_per_song_position, value", [(6, 32), (1, 192)])
def test_a_song_position_in_either_unit_lands_in_its_bar(ticks_per_song_position, value):
    """Bar 3 of 4/4 is sixteenth 32, clock 192: the MIDI standard sends the first, Ardour 7
    the second (`--song-position clocks`)."""
    core, timeline = core_for(ticks_per_song_position=ticks_per_song_position), Timeline()
    timeline.add(0.0, (0xF2, value & 0x7F, value >> 7))
    timeline.play(start_s=0.5, ticks=96, bpm=120, start=CONTINUE, first_position=192)
    sent = run(core, timeline, beat_kicks)
    assert core.current_bar == 2 and len(note_ons(sent)) == 4
    assert note_ons(sent)[0].time_s == pytest.approx(0.501)


def test_a_lost_clock_sends_note_offs_and_stops_kicks():
    core = core_for(note_length_ticks=20.0)
    timeline = Timeline()
    timeline.play(start_s=0.0, ticks=96 + 10, bpm=120, stop=False)  # the clock just ends
    sent = run(core, timeline, beat_kicks, until_s=10.0)
    last_on = note_ons(sent)[-1].time_s
    off_all = [s for s in sent if s.message == (0xB9, ALL_NOTES_OFF, 0)]
    assert off_all and off_all[-1].time_s < last_on + 0.3
    assert len(note_ons(sent)) == 5  # bar 1 and the downbeat of bar 2
    assert len(note_offs(sent)) == 5


def test_late_generation_is_a_missed_deadline_not_a_crash():
    core, timeline = core_for(lookahead_beats=0.0), Timeline()
    timeline.play(start_s=0.0, ticks=96 * 3, bpm=240)
    sent = run(core, timeline, beat_kicks, delay_s=0.2)
    assert core.missed_deadlines > 0 and len(note_ons(sent)) + core.missed_deadlines == 12


def test_heard_notes_fill_the_bar_memory_and_loop_guess():
    core, timeline = core_for(), Timeline()
    notes = [(bar * 96 + 24.0, (0x99, 38, 100)) for bar in range(4)]
    notes += [(bar * 96 + 0.0, (0x90, 40, 90)) for bar in range(4)]
    notes += [(bar * 96 + 12.0, (0x99, 36, 90)) for bar in range(4)]  # an incoming kick is not context
    timeline.play(start_s=0.0, ticks=96 * 4, bpm=120, notes=notes)
    requests = []

    def answer(request):
        requests.append(request)
        return beat_kicks(request)

    run(core, timeline, answer)
    heard = core.memory.heard[2]
    assert sorted((n.role, round(n.tick, 3)) for n in heard) == [("bass", 0.0), ("snare", 24.0)]
    last = requests[-1]  # bar 4, generated before it was heard: filled by the loop guess
    assert last.bar == 4 and [sorted(n.role for n in bar) for bar in last.notes[-3:]] == [["bass", "snare"]] * 3


def test_program_change_density_morph_random_and_panic():
    core = core_for()
    core.receive(0.0, bytes([0xFA, 0xF8]))
    assert np.array_equal(core.style.code, CODE_A)
    core.receive(0.01, bytes([0xCF, 1]))  # control channel 16: slot 2
    assert np.array_equal(core.style.code, CODE_B) and core.style_name == "b"
    core.receive(0.02, bytes([0xBF, 20, 127]))
    assert core.style.threshold == pytest.approx(threshold_for(127)) == pytest.approx(0.05)
    core.receive(0.03, bytes([0xCF, 0, 0xBF, 21, 127]))
    assert np.allclose(core.style.code, CODE_B)  # slot 1 morphed fully into slot 2
    core.receive(0.04, bytes([0xBF, 22, 100]))
    assert core.style_name == "random code" and core.style.code.std() > 0.3
    serial = core.serial
    sent = core.receive(0.05, bytes([0xBF, 23, 1]))  # panic: silence, the style stays
    assert core.serial == serial and sent[-1].message == (0xB9, ALL_NOTES_OFF, 0)
    assert core.style.threshold == pytest.approx(0.05)


def test_a_held_code_morphs_into_a_bar_of_codes_step_by_step():
    bar = np.arange(16 * BAR_STEPS, dtype=np.float32).reshape(16, BAR_STEPS)
    core = BridgeCore(BridgeSettings(), [("held", CODE_B), ("bar", bar)], seed=4)
    core.receive(0.0, bytes([0xFA, 0xF8, 0xBF, 21, 127]))
    assert np.allclose(core.style.code, bar)
    core.receive(0.01, bytes([0xBF, 21, 0]))
    assert np.array_equal(core.style.code, CODE_B)
    core.receive(0.02, bytes([0xBF, 21, 64]))
    weight = 64 / 127
    assert core.style.code.shape == (16, BAR_STEPS) and np.allclose(core.style.code, (1 - weight) + weight * bar)


def test_the_random_control_draws_from_the_bundles_style_prior():
    prior = StylePrior(np.full(16, -1.0), 0.5 * np.eye(16), songs=10)
    core = BridgeCore(BridgeSettings(), [("a", CODE_A), ("b", CODE_B)], seed=4, prior=prior)
    core.receive(0.0, bytes([0xFA, 0xF8, 0xBF, 22, 100]))
    assert core.style_name == "random code"
    assert np.array_equal(core.style.code, sample_code(np.random.default_rng(4), prior=prior))


def test_running_status_and_sysex_are_parsed():
    parser = MidiParser()
    data = [0x99, 38, 100, 40, 90, 0xF8, 36, 0, 0xF0, 1, 2, 3, 0xF7, 0xB0, 7, 100, 0xF2, 5, 1, 0x12, 0xFC]
    assert parser.feed(data) == [(0x99, 38, 100), (0x99, 40, 90), (0xF8,), (0x99, 36, 0), (0xB0, 7, 100),
                                 (0xF2, 5, 1), (0xFC,)]


def test_bar_memory_is_bounded():
    memory = BarMemory(max_bars=16)
    for bar in range(100):
        memory.hear(bar, Note(0.0, "bass", 0.5))
    memory.finish_bar()
    assert len(memory.heard) == 16 and min(memory.heard) == 84


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 0.05), st.binary(min_size=1, max_size=6)), max_size=300),
       st.sampled_from([(4, 4), (3, 4), (7, 8)]))
def test_fuzzed_input_never_breaks_the_core(stream, meter):
    core = core_for(Meter(*meter))
    t, sent = 0.0, []
    for gap, data in stream:
        t += gap
        sent += core.receive(t, data)
        for request in core.take_requests():
            sent += core.commit(request, beat_kicks(request), t)
        sent += core.advance(t + gap / 2)
    sent += core.shutdown(t + 1.0)
    times = [s.time_s for s in sent]
    assert times == sorted(times)
    balance = 0
    for s in sent:
        if s.message[0] & 0xF0 == 0x90 and s.message[2] > 0:
            balance += 1
        elif s.message[0] & 0xF0 == 0x80:
            balance = max(balance - 1, 0)
        elif s.message[1:2] == (ALL_NOTES_OFF,):
            balance = 0
    assert balance == 0 and core.sounding == 0
    assert len(core.memory.heard) <= MAX_BARS and len(core.pending) < 10_000



def notes_left_sounding(sent) -> dict[tuple[int, int], int]:
    """(channel, note) -> note-ons that no note-off (or note-on of velocity 0) ended,
    counted note by note; All Notes Off (CC 123) does not count as ending a note."""
    sounding: dict[tuple[int, int], int] = {}
    for s in sent:
        kind, key = s.message[0] & 0xF0, (s.message[0] & 0x0F, s.message[1] if len(s.message) > 1 else -1)
        if kind == 0x90 and s.message[2] > 0:
            sounding[key] = sounding.get(key, 0) + 1
        elif (kind == 0x80 or kind == 0x90) and sounding.get(key):
            sounding[key] -= 1
    return {key: n for key, n in sounding.items() if n}


def played(core, junk, *, bpm, quarters=12):
    """Start, `quarters` of steady clock at `bpm`, and `junk` messages (at clock ticks)
    among them, answered at once with `beat_kicks`; then shutdown. Everything sent."""
    tick_s = 60.0 / bpm / 24
    events = [(0.0, bytes([START]))] + [((i + 1) * tick_s, bytes([CLOCK])) for i in range(24 * quarters)]
    events += [((at + 1.5) * tick_s, data) for at, data in junk]
    sent = []
    for t, data in sorted(events, key=lambda e: e[0]):
        sent += core.receive(t, data)
        for request in core.take_requests():
            sent += core.commit(request, beat_kicks(request), t)
        sent += core.advance(t + tick_s / 2)
    return sent + core.shutdown(events[-1][0] + 1.0)


TRANSPORT = {START, STOP, CONTINUE, 0xF2}  # what would stop or move the song under the test's clock


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 24 * 12), st.binary(min_size=1, max_size=3).filter(
    lambda b: not TRANSPORT & set(b))), max_size=80),
       st.floats(60, 200), st.sampled_from([(4, 4), (3, 4), (7, 8)]))
def test_a_played_song_gets_its_kicks_and_every_one_ends_however_noisy(junk, bpm, meter):
    """With a real transport (start, steady clock) among hostile bytes, kicks are sent, and
    every note-on is ended by its own note-off: shutdown's CC 123 does not hide a hanging note."""
    sent = played(core_for(Meter(*meter)), junk, bpm=bpm)
    assert note_ons(sent)
    assert notes_left_sounding(sent) == {}


def test_the_note_count_catches_a_core_that_never_ends_a_note():
    sent = played(core_for(), [], bpm=120)
    assert note_ons(sent) and notes_left_sounding(sent) == {}
    without_note_offs = [s for s in sent if s.message[0] & 0xF0 != 0x80]
    assert notes_left_sounding(without_note_offs)
