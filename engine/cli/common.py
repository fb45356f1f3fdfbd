"""Flags and checks that several `kickgen` commands share, declared once."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from kickgen.engine.errors import InputFileError, OutputExistsError


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit code 2, like every
    other error kickgen reports (argparse would print the usage first)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def bounded_int(low: int, high: int | None = None, *, what: str = "a whole number"):
    """An argparse type: a whole number in [low, high] (no upper bound when None)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, not {text!r}") from None
        if value < low or (high is not None and value > high):
            span = f"{low} or more" if high is None else f"{low}..{high}"
            raise argparse.ArgumentTypeError(f"must be {what} {span}, not {text}")
        return value

    return parse


midi_note = bounded_int(0, 127, what="a MIDI note")
midi_channel = bounded_int(1, 16, what="a MIDI channel")
non_negative_int = bounded_int(0)


def unit_interval(text: str) -> float:
    """An argparse type: a finite number from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, not {text!r}") from None
    if not 0 <= value <= 1:  # false for nan too
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, not {text}")
    return value


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, not {text}")
    return value


def probability(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


def bounded_float(low: float, high: float, *, what: str):
    """An argparse type: a finite number in [low, high]."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, not {text!r}") from None
        if not low <= value <= high:  # false for nan too
            raise argparse.ArgumentTypeError(f"must be {what} from {low:g} to {high:g}, not {text}")
        return value

    return parse


def meter(text: str) -> tuple[int, int]:
    """An argparse type: a time signature "N/D", N 1..32 beats of a 1..32nd note."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match[1]) <= 32 or int(match[2]) not in (1, 2, 4, 8, 16, 32):
        raise argparse.ArgumentTypeError(f"must be a time signature such as 4/4, 3/4 or 6/8, not {text!r}")
    return int(match[1]), int(match[2])


def add_model_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, help="model bundle folder (default: the shipped model)")


def add_preset_dir_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset-dir", type=Path, help="your preset folder (default: the user data folder)")


def add_role_flags(p: argparse.ArgumentParser) -> None:
    """How a MIDI file's notes are read as snare, kick and bass (`RoleMap`), for files
    that do not follow General MIDI or name their tracks freely."""
    group = p.add_argument_group("roles in a MIDI file (defaults: General MIDI)")
    group.add_argument("--snare-notes", type=midi_note, nargs="+", metavar="NOTE",
                       help="notes on the drum channel that are the snare (default 38 40 39 37)")
    group.add_argument("--kick-notes", type=midi_note, nargs="+", metavar="NOTE",
                       help="notes on the drum channel that are the kick (default 35 36)")
    group.add_argument("--drum-channel", type=midi_channel, metavar="CH", help="1-based channel of the drums (default 10)")
    group.add_argument("--bass-channels", type=midi_channel, nargs="+", metavar="CH",
                       help="1-based MIDI channels whose notes are the bass (besides GM bass programs)")
    group.add_argument("--bass-track", nargs="+", metavar="TRACK",
                       help="tracks whose notes are the bass: a number as error messages count them "
                            "(0 is the first track), or a name (any track whose name holds it)")


def add_grid_flags(p: argparse.ArgumentParser) -> None:
    """The beat grid of audio stems, for a producer who knows it (`GridSpec`)."""
    group = p.add_argument_group("beat grid of audio stems (default: tracked by madmom)")
    group.add_argument("--bpm", type=bounded_float(20, 400, what="a tempo in bpm"),
                       help="the song's steady tempo, quarter notes a minute")
    group.add_argument("--meter", type=meter, help="its time signature with --bpm (default 4/4)")
    group.add_argument("--first-downbeat", type=bounded_float(0, 3600, what="a time in seconds"), metavar="SECONDS",
                       help="where bar 1 starts in the stems, with --bpm (default 0)")
    group.add_argument("--grid-from", type=Path, metavar="MIDI",
                       help="a MIDI file whose tempo map and meter are the song's (e.g. exported by the DAW)")


def grid_from(args: argparse.Namespace):
    """The `GridSpec` the grid flags ask for, or None (madmom tracks the beats)."""
    from kickgen.engine.signals.beat_grid import GridSpec

    if args.bpm is not None and args.grid_from is not None:
        raise InputFileError("--grid-from", "give either --bpm or --grid-from, not both")
    if args.bpm is None and (args.meter is not None or args.first_downbeat is not None):
        raise InputFileError("--meter" if args.meter is not None else "--first-downbeat", "needs --bpm")
    if args.grid_from is not None:
        return GridSpec(midi_path=args.grid_from)
    if args.bpm is not None:
        return GridSpec(bpm=args.bpm, meter=args.meter or (4, 4), first_downbeat_s=args.first_downbeat or 0.0)
    return None


def roles_from(args: argparse.Namespace):
    """The `RoleMap` the role flags ask for (the GM defaults where none is given)."""
    from kickgen.engine.signals.midi import RoleMap

    roles = RoleMap()
    changes: dict = {}
    if args.snare_notes:
        changes["snare_notes"] = tuple(args.snare_notes)
    if args.kick_notes:
        changes["kick_notes"] = tuple(args.kick_notes)
    if args.drum_channel is not None:
        changes["drum_channel"] = args.drum_channel - 1
    if args.bass_channels:
        changes["bass_channels"] = tuple(c - 1 for c in args.bass_channels)
    if args.bass_track:
        indices = tuple(int(t) for t in args.bass_track if t.isdigit())
        names = [re.escape(t) for t in args.bass_track if not t.isdigit()]
        changes["bass_tracks"] = indices
        if names:
            changes["bass_track_pattern"] = "|".join([roles.bass_track_pattern, *names])
    return RoleMap(**{**roles.__dict__, **changes})


def preset_dir(args: argparse.Namespace) -> Path:
    """`--preset-dir`, or the user's preset folder."""
    from kickgen.engine.producer.preset_store import user_preset_dir

    return args.preset_dir or user_preset_dir()


def check_outputs(paths: list[Path | None], force: bool, *, inputs: list[Path | None] = ()) -> None:
    """Refuse, before any work, outputs that a command must not write: one named twice, one
    that is a file the command reads (even with `force`), one that exists but is not a
    regular file (a folder, device or pipe is never replaced), one that exists without
    `force`, or one whose folder is a file."""
    from kickgen.engine.util.atomic import NOT_A_FILE

    read = {os.path.realpath(p) for p in inputs if p is not None}
    seen: dict[str, Path] = {}
    for path in (p for p in paths if p is not None):
        key = os.path.realpath(path)
        if key in seen:
            raise InputFileError(path, f"is named twice as an output (also as {seen[key]})")
        seen[key] = path
        if key in read:
            raise InputFileError(path, "is a file this command reads; kickgen never writes over its inputs, "
                                       "even with --force")
        if path.exists() and not path.is_file():
            raise InputFileError(path, NOT_A_FILE)
        if path.exists() and not force:
            raise OutputExistsError(path)
        if path.parent.exists() and not path.parent.is_dir():
            raise InputFileError(path.parent, "is not a folder")
