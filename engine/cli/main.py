"""The `kickgen` parser: every command group adds its own subcommands."""

from __future__ import annotations

import argparse
import sys

from kickgen.engine import __version__
from kickgen.engine.cli import corpus, evaluate, presets, render, train
from kickgen.engine.cli.common import OneLineParser
from kickgen.engine.errors import run_command

COMMAND_GROUPS = (train, corpus, presets, render, evaluate)  # in the order `kickgen --help` lists them


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="kickgen", description="Kick-drum tracks that fit a song.")
    parser.add_argument("--version", action="version", version=f"kickgen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command("kickgen", lambda: args.func(args))


if __name__ == "__main__":
    sys.exit(main())
