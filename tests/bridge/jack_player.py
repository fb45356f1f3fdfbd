"""A minimal clock-following player for the JACK test: it listens to MIDI clock on
"player in" and plays a snare on beats 2 and 4 (channel 10) and a bass line (channel 2,
GM fingered bass) on "player out", as a DAW's sequencer would. Runs until killed. It
polls its input, so that no Python runs inside JACK's process cycle (see
kickgen.bridge.ports)."""

import signal
import sys
import time

import rtmidi

SNARE_TICKS = {24, 72}  # clock ticks in a 4/4 bar
BASS_TICKS = {0: 40, 36: 43, 48: 45, 84: 43}


def main() -> None:
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
            tick = state["position"] % 96
            if tick in SNARE_TICKS:
                midi_out.send_message([0x99, 38, 100])
                midi_out.send_message([0x89, 38, 0])
            if tick in BASS_TICKS:
                midi_out.send_message([0x91, BASS_TICKS[tick], 90])
            if tick - 6 in BASS_TICKS:
                midi_out.send_message([0x81, BASS_TICKS[tick - 6], 0])
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
