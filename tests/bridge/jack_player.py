"""A minimal clock-following player for the JACK tests: it listens to MIDI clock on
"player in" and plays, on "player out", a snare on beats 2 and 4 (channel 10) and a bass
line (channel 2, GM fingered bass), or with `--song FILE.mid` that song's parts (all but
its kick, on the clock's 24-a-quarter grid, looped), as a DAW's sequencer would. Runs
until killed. It polls its input, so that no Python runs inside JACK's process cycle (see
kickgen.bridge.ports)."""

import argparse
import signal
import sys
import time
from collections import defaultdict

import mido
import rtmidi

KICK_NOTES = (35, 36)


def groove() -> tuple[int, dict[int, list[list[int]]]]:
    """One 4/4 bar: (its length in clock ticks, the messages on each tick)."""
    bar = defaultdict(list)
    for tick in (24, 72):
        bar[tick] += [[0x99, 38, 100], [0x89, 38, 0]]
    for tick, note in {0: 40, 36: 43, 48: 45, 84: 43}.items():
        bar[tick].append([0x91, note, 90])
        bar[tick + 6].append([0x81, note, 0])
    return 96, bar


def song_parts(path: str) -> tuple[int, dict[int, list[list[int]]]]:
    """A MIDI file's notes but the kick's, by clock tick: (the song's length, messages)."""
    song = mido.MidiFile(path)
    events, tick = defaultdict(list), 0
    for track in song.tracks:
        tick = 0
        for message in track:
            tick += message.time
            if message.type in ("note_on", "note_off", "program_change"):
                if message.type != "program_change" and message.channel == 9 and message.note in KICK_NOTES:
                    continue
                events[round(tick * 24 / song.ticks_per_beat)].append(message.bytes())
    length = (max(events) // 96 + 1) * 96
    return length, events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--song", help="play this MIDI file's parts instead of the built-in groove")
    args = parser.parse_args()
    length, messages = song_parts(args.song) if args.song else groove()
    midi_in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name="player")
    midi_in.ignore_types(timing=False)
    midi_out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="player")
    midi_in.open_virtual_port("player in")
    midi_out.open_virtual_port("player out")
    midi_out.send_message([0xC1, 33])
    state = {"position": 0, "playing": False}

    def on_message(message):
        if message[0] == 0xFA:
            state.update(position=0, playing=True)
        elif message[0] == 0xFB:
            state["playing"] = True
        elif message[0] == 0xFC:
            state["playing"] = False
        elif message[0] == 0xF2:
            state["position"] = (message[1] | message[2] << 7) * 6
        elif message[0] == 0xF8 and state["playing"]:
            for out in messages.get(state["position"] % length, ()):
                midi_out.send_message(out)
            state["position"] += 1

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    while True:
        event = midi_in.get_message()
        if event is None:
            time.sleep(0.0005)
        else:
            on_message(event[0])


if __name__ == "__main__":
    main()
