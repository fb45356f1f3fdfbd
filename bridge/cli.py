"""`kickgen-bridge`: kick notes for a DAW, live, in time with its clock and bars.

A producer routes the snare and bass parts and MIDI clock to the "kickgen in" port and
records "kickgen out"; see the README's DAW set-up. Ctrl-C (or SIGTERM) silences every
note before it exits.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np

from kickgen.engine import __version__
from kickgen.engine.errors import InputFileError, KickgenError, run_command

STATUS_EVERY_S = 0.25
TRANSPORT_BYTES = (0xF2, 0xF8, 0xFA, 0xFB, 0xFC)  # song position, clock, start, continue, stop: logged as heard


class BridgeError(KickgenError):
    """The bridge stopped because one of its threads failed."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kickgen-bridge", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"kickgen {__version__}")
    style = p.add_mutually_exclusive_group()
    style.add_argument("--preset", help="the style to start with: preset name or .json path")
    style.add_argument("--seed", type=int, help="start with a random style code drawn with this seed")
    p.add_argument("--slots", nargs="+", metavar="PRESET",
                   help="presets that program changes 0, 1, ... select (default: the factory presets)")
    p.add_argument("--preset-dir", type=Path, help="your preset folder (default: the user data folder)")
    p.add_argument("--api", choices=("auto", "jack", "alsa", "coremidi", "windows"), default="auto")
    p.add_argument("--in", dest="in_port", metavar="NAME", help="connect to this input port instead of a virtual one")
    p.add_argument("--out", dest="out_port", metavar="NAME", help="connect to this output port")
    p.add_argument("--virtual", default="kickgen", metavar="NAME",
                   help="prefix of the virtual ports' names (\"NAME in\", \"NAME out\")")
    p.add_argument("--song-position", choices=("sixteenths", "clocks"), default="sixteenths",
                   help="what the DAW's song position pointers count: sixteenths (the MIDI standard) or "
                        "clocks (Ardour 7, which sends 6 times the standard value on every locate and loop)")
    p.add_argument("--meter", default="4/4", help="the song's meter (MIDI clock has none): 4/4, 3/4, 7/8, ...")
    p.add_argument("--context", type=Path, metavar="SONG.mid",
                   help="the whole arrangement, for true look-ahead from any song position")
    p.add_argument("--lookahead-beats", type=float, default=1.0,
                   help="how long before a bar starts its kicks are generated and committed")
    p.add_argument("--window-bars", type=int, default=8, help="bars the decoder sees around the bar it writes")
    p.add_argument("--threshold", type=float, help="peak threshold 0..1 (lower: more kicks; default: the model's)")
    p.add_argument("--quantize", choices=("off", "1/16", "1/32"), default="off")
    p.add_argument("--note", type=int, default=36, help="MIDI note of the kicks (default 36)")
    p.add_argument("--channel", type=int, default=10, help="output channel 1..16 (default 10)")
    p.add_argument("--snare-notes", type=int, nargs="+", metavar="NOTE",
                   help="notes on channel 10 that are the snare (default 38 40 39 37)")
    p.add_argument("--bass-channels", type=int, nargs="+", metavar="CH",
                   help="channels that carry the bass (default: all but 10 and the control channel)")
    p.add_argument("--control-channel", type=int, default=16, help="channel of program changes and control CCs")
    p.add_argument("--model", type=Path, help="model bundle folder (default: the shipped model)")
    p.add_argument("--list-ports", action="store_true", help="list the MIDI ports and exit")
    p.add_argument("--host-link", action="store_true",
                   help="serve kickgen plugins in the DAW (hostlink/) over a local socket instead of MIDI ports")
    p.add_argument("--socket", type=Path, metavar="PATH",
                   help="the host link's socket (default: $KICKGEN_HOSTLINK_SOCKET, else "
                        "$XDG_RUNTIME_DIR/kickgen-hostlink.sock)")
    p.add_argument("--log", type=Path,
                   help="append every message sent to this file (monotonic time, bytes, a kick's clock "
                        "position) and every clock and transport message heard (time, '<', bytes)")
    p.add_argument("--quiet", action="store_true", help="no live status line")
    return p


def load_slots(args: argparse.Namespace, bundle) -> list[tuple[str, np.ndarray]]:
    """The style slots: the chosen preset or random code first, then --slots (or the
    factory presets), each checked against the model."""
    from kickgen.engine.producer.preset_format import check_model
    from kickgen.engine.producer.preset_store import factory_presets, find_preset, user_preset_dir
    from kickgen.engine.runtime.style import random_style

    directory = args.preset_dir or user_preset_dir()
    stored = [find_preset(name, directory) for name in args.slots] if args.slots else factory_presets()
    slots = []
    for item in stored:
        check_model(item.preset, bundle.id, origin=str(item.path), code_size=bundle.info.code_size)
        slots.append((item.preset.name, item.preset.code_array))
    if args.preset:
        first = find_preset(args.preset, directory)
        check_model(first.preset, bundle.id, origin=str(first.path), code_size=bundle.info.code_size)
        slots = [(first.preset.name, first.preset.code_array)] + [s for s in slots if s[0] != first.preset.name]
    elif args.seed is not None:
        slots.insert(0, random_style(args.seed, code_size=bundle.info.code_size, prior=bundle.style_prior))
    if not slots:
        raise InputFileError(directory, "no presets to choose from (give --seed or --preset)")
    return slots


def run(args: argparse.Namespace) -> None:
    from kickgen.bridge.ports import MidiPorts, list_ports

    if args.list_ports:
        print(list_ports(args.api))
        return
    from kickgen.bridge.clock import TICKS_PER_SIXTEENTH, Meter
    from kickgen.bridge.core import BridgeCore, BridgeSettings, Controls
    from kickgen.bridge.generator import ContextSong, KickGenerator
    from kickgen.bridge.memory import BarMemory
    from kickgen.bridge.runner import BridgeRunner
    from kickgen.engine.runtime.bundle import load_bundle
    from kickgen.engine.signals.midi import RoleMap

    try:
        meter = Meter.parse(args.meter)
    except ValueError as exc:
        raise InputFileError("--meter", str(exc)) from None
    bundle = load_bundle(args.model)
    slots = load_slots(args, bundle)
    roles = RoleMap(snare_notes=tuple(args.snare_notes)) if args.snare_notes else RoleMap()
    context = ContextSong.load(args.context, meter, roles) if args.context else None
    settings = BridgeSettings(
        meter=meter, lookahead_beats=args.lookahead_beats, window_bars=args.window_bars, note=args.note,
        channel=args.channel, snare_notes=roles.snare_notes,
        bass_channels=tuple(args.bass_channels) if args.bass_channels else None,
        controls=Controls(channel=args.control_channel),
        ticks_per_song_position=TICKS_PER_SIXTEENTH if args.song_position == "sixteenths" else 1,
    )
    if args.host_link:
        serve_host_link(args, settings, slots, KickGenerator(bundle, context), context.notes if context else None,
                        model_id=bundle.id[:12], threshold=bundle.peak_threshold(args.threshold),
                        prior=bundle.style_prior)
        return
    core = BridgeCore(settings, slots, memory=BarMemory(context.notes if context else None),
                      threshold=bundle.peak_threshold(args.threshold), grid=args.quantize,
                      prior=bundle.style_prior)
    ports = MidiPorts(api=args.api, in_name=args.in_port, out_name=args.out_port, virtual_prefix=args.virtual)
    log = args.log.open("a") if args.log else None

    def send(message: tuple[int, ...], position: float | None) -> None:
        ports.send(message)
        if log:
            at = "" if position is None else f" @{position:.4f}"
            log.write(f"{time.monotonic():.6f} {' '.join(f'{b:02x}' for b in message)}{at}\n")
            log.flush()

    runner = BridgeRunner(core, KickGenerator(bundle, context), send, record_timing=log is not None)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    def receive(message: list[int], time_s: float) -> None:
        if log and message and message[0] in TRANSPORT_BYTES:  # what the clock said, and when it was heard
            log.write(f"{time_s:.6f} < {' '.join(f'{b:02x}' for b in message)}\n")
        runner.on_message(message, time_s)

    ports.listen(receive if log else runner.on_message)
    runner.start()
    print(f"kickgen-bridge: listening on '{args.virtual} in', sending on '{args.virtual} out' "
          f"({meter.numerator}/{meter.denominator}, style {slots[0][0]!r}); Ctrl-C to stop", file=sys.stderr)
    try:
        while not done.wait(STATUS_EVERY_S) and not runner.failed.is_set():
            if not args.quiet:
                print("\r" + status_line(core, runner), end="", file=sys.stderr, flush=True)
    finally:
        runner.close()
        ports.close()
        if log:
            if runner.failure:
                log.write(f"# failure: {runner.failure}\n")
            log.write(exit_summary(core, runner) + "\n")
            log.close()
        if not args.quiet:
            print(file=sys.stderr)
    if runner.failure:
        raise BridgeError(f"{runner.failure}; every note was silenced")


def serve_host_link(
    args: argparse.Namespace, settings, slots, generate, context_notes, *, model_id: str, threshold: float,
    prior=None,
) -> None:
    """`--host-link`: answer plugin instances until Ctrl-C or SIGTERM; each starts in the
    first slot's style, with --threshold and --quantize."""
    from kickgen.bridge.generator import Style
    from kickgen.bridge.hostlink import HostLinkServer, PluginSession, default_socket_path
    from kickgen.bridge.memory import BarMemory

    style = Style(slots[0][1], threshold, args.quantize)
    path = args.socket or default_socket_path()
    try:
        server = HostLinkServer(
            path, lambda instance: PluginSession(instance, settings, slots, style, BarMemory(context_notes), prior=prior),
            generate, model_id=model_id, log=args.log)
    except OSError as exc:
        raise InputFileError(path, f"cannot listen there ({exc.strerror or exc})") from None
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print(f"kickgen-bridge: host link on {path} (style {slots[0][0]!r}); Ctrl-C to stop", file=sys.stderr)
    try:
        server.serve(done)
    finally:
        server.close()


def exit_summary(core, runner) -> str:
    """The log's last line: counts, and the sender's timing error against the clock it
    follows (ms, p50/p99 of |sent - due| over the latest kicks)."""
    errors = np.abs(np.array(runner.stats.send_errors_ms or [0.0]))
    return (f"# exit: notes_sent {core.notes_sent} generations {runner.stats.generations} "
            f"missed_deadlines {core.missed_deadlines} lost_ticks {core.clock.lost_ticks} "
            f"extra_ticks {core.clock.extra_ticks} send_error_ms_p50 {np.percentile(errors, 50):.3f} "
            f"send_error_ms_p99 {np.percentile(errors, 99):.3f}")


def status_line(core, runner) -> str:
    with runner.lock:
        bar, beat = core.bar_beat()
        state = "lost clock" if core.clock_lost else "playing" if core.clock.playing else "stopped"
        horizon = core.settings.lookahead_beats
        return (f"{state:<10} {core.clock.bpm:6.1f} bpm  bar {bar:4d}:{beat}  style {core.style_name[:28]:<28} "
                f"commit {horizon:g} beat ahead  gen {runner.stats.last_generation_ms:5.1f} ms  "
                f"kicks {core.notes_sent:5d}  missed {core.missed_deadlines}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command("kickgen-bridge", lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
