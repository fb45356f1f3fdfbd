"""The `kickgen` command. Every `KickgenError` becomes one line on stderr and exit code 2.

Subcommands import what they need when they run, so that the torch-free ones stay
torch-free.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kickgen.engine import __version__
from kickgen.engine.errors import InputFileError, OutputExistsError, run_command

LOSSES_PNG = "losses.png"


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, not {text}")
    return value


def _model_config(path: Path | None):
    from kickgen.engine.model import ModelConfig

    if path is None:
        return ModelConfig()
    try:
        return ModelConfig.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        raise InputFileError(path, "no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError, ValueError) as exc:
        raise InputFileError(path, f"not a model config ({exc})") from None


def run_train(args: argparse.Namespace) -> None:
    from kickgen.engine.features_io import feature_files, load_features
    from kickgen.engine.train import (
        CHECKPOINT_NAME,
        Distributed,
        TrainConfig,
        keep_freed_memory,
        train,
    )

    checkpoint = args.out / CHECKPOINT_NAME
    if checkpoint.exists() and not (args.resume or args.force):
        raise OutputExistsError(checkpoint)
    songs = [load_features(p) for p in feature_files(args.data)]
    keep_freed_memory()
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch,
        chunk_frames=args.chunk_frames,
        learning_rate=args.lr,
        seed=args.seed,
        time_limit_s=args.time_limit_s,
    )
    state = train(
        songs,
        out_dir=args.out,
        model_config=_model_config(args.model_config),
        train_config=config,
        device=args.device,
        resume=args.resume,
        progress=not args.quiet,
        data_description=f"{len(songs)} feature files from {args.data.resolve().name}/",
    )
    if state.history and Distributed.from_env().is_main:
        from kickgen.engine.plots import plot_history

        plot_history(state.history, args.out / LOSSES_PNG)
        last = state.history[-1]
        print(f"trained {state.epochs_done} epochs; last epoch mse={last['mse']:.4f}; checkpoint {checkpoint}, "
              f"loss curves {args.out / LOSSES_PNG}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kickgen", description="Kick-drum tracks that fit a song.")
    parser.add_argument("--version", action="version", version=f"kickgen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train the CGAE on a directory of feature files (needs torch)")
    p.add_argument("--data", type=Path, required=True, help="directory of feature files (*.npz)")
    p.add_argument("--out", type=Path, required=True, help="run directory for checkpoint.pt")
    p.add_argument("--epochs", type=positive_int, default=100, help="total epochs (with --resume: the new total)")
    p.add_argument("--batch", type=positive_int, default=100, help="global batch size (crops per step)")
    p.add_argument("--chunk-frames", type=positive_int, default=1024, help="crop length in frames")
    p.add_argument("--lr", type=float, default=1e-3, help="CGAE learning rate (Adam)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--model-config", type=Path, help="JSON file of ModelConfig fields (default: the paper's sizes)")
    p.add_argument("--time-limit-s", type=float, help="stop after the epoch that passes this many seconds")
    p.add_argument("--resume", action="store_true",
                   help="continue the run directory's checkpoint with its own recipe (only --epochs "
                        "and --time-limit-s apply)")
    p.add_argument("--force", action="store_true", help="start afresh over an existing checkpoint")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command("kickgen", lambda: args.func(args))


if __name__ == "__main__":
    sys.exit(main())
