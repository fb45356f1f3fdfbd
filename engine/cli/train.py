"""`kickgen features`: a producer's songs into feature files; `kickgen train`: the CGAE
trained on feature files (torch, the `train` extra), checkpointed every epoch, with its
loss curves drawn at the end."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from kickgen.engine.cli.common import (
    add_role_flags,
    positive_int,
    probability,
    roles_from,
    unit_interval,
)
from kickgen.engine.errors import InputFileError, OutputExistsError

LOSSES_PNG = "losses.png"
HISTORY_JSON = "history.json"


def model_config_from(path: Path | None, *, bilinear: bool = False, downbeat_form: str | None = None):
    """The --model-config file's sizes (the paper's without one), with --bilinear and
    --downbeat-form applied."""
    from kickgen.engine.model.cgae import ModelConfig

    config = ModelConfig() if path is None else read_model_config(path)
    changes = {"mapping_bias": False} if bilinear else {}
    if downbeat_form is not None:
        changes["downbeat_form"] = downbeat_form
    return replace(config, **changes)


def read_model_config(path: Path):
    from kickgen.engine.model.cgae import ModelConfig

    try:
        return ModelConfig.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        raise InputFileError(path, "no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError, ValueError) as exc:
        raise InputFileError(path, f"not a model config ({exc})") from None


def validation_songs(directory: Path, n_songs: int) -> list:
    """`n_songs` feature files of `directory` spread evenly over its sorted names, for
    validating while training (those without a kick are skipped)."""
    from kickgen.engine.signals.feature_files import feature_files, load_features

    files = feature_files(directory)
    picked = files[:: max(1, len(files) // n_songs)][:n_songs]
    return [song for song in map(load_features, picked) if song.kick is not None]


def run_train(args: argparse.Namespace) -> None:
    from kickgen.engine.model.checkpoint import CHECKPOINT_NAME
    from kickgen.engine.model.process import Distributed, keep_freed_memory
    from kickgen.engine.model.recipe import TrainConfig
    from kickgen.engine.model.train import train
    from kickgen.engine.signals.feature_files import feature_files, load_features

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
        critic_learning_rate=args.critic_lr,
        standardization_weight=args.std_weight,
        held_standardization_weight=args.held_std_weight,
        constancy_weight=args.const_weight,
        kick_displacement_probability=args.displace_kick,
        input_dropout=args.input_dropout,
        input_dropout_mode=args.input_dropout_mode,
        warp_mode=args.warp_mode,
        std_loss_form=args.std_loss_form,
        decoder_code=args.decoder_code,
        bf16=args.bf16,
        validate_every=args.validate_every if args.validation else 0,
        max_grad_norm=args.max_grad_norm if args.max_grad_norm > 0 else None,
        final_lr_fraction=args.final_lr_fraction,
        critic_warmup_steps=args.critic_warmup_steps,
        seed=args.seed,
        time_limit_s=args.time_limit_s,
    )
    state = train(
        songs,
        out_dir=args.out,
        model_config=model_config_for(args),
        train_config=config,
        device=args.device,
        resume=args.resume,
        progress=not args.quiet,
        data_description=f"{len(songs)} feature files from {args.data.resolve().name}/",
        init_from=args.init_from,
        validation=validation_songs(args.validation, args.validation_songs) if args.validation else (),
    )
    if state.history and Distributed.from_env().is_main:
        from kickgen.engine.plots import plot_history

        plot_history(state.history, args.out / LOSSES_PNG)
        (args.out / HISTORY_JSON).write_text(json.dumps(state.history, indent=1) + "\n")
        last = state.history[-1]
        print(f"trained {state.epochs_done} epochs; last epoch mse={last['mse']:.4f}; checkpoint {checkpoint}, "
              f"loss curves {args.out / LOSSES_PNG}")
        if state.epochs_done < config.epochs:
            print(f"stopped by --time-limit-s after {state.epochs_done} of {config.epochs} epochs; "
                  "the same command with --resume finishes the run")


def model_config_for(args: argparse.Namespace):
    """The model to train: --init-from's bundle's sizes (unless --model-config says
    otherwise), else --model-config's with --bilinear and --downbeat-form."""
    if args.init_from is not None and args.model_config is None:
        from kickgen.engine.model.bundle_weights import model_config_of_bundle

        if args.bilinear or args.downbeat_form:
            raise InputFileError(args.init_from, "a bundle brings its own mapping path and downbeat form: "
                                                 "drop --bilinear/--downbeat-form, or give --model-config")
        return model_config_of_bundle(args.init_from)
    return model_config_from(args.model_config, bilinear=args.bilinear, downbeat_form=args.downbeat_form)


def run_features(args: argparse.Namespace) -> None:
    from kickgen.engine.corpus.own_songs import write_features

    entries, skipped = write_features(args.songs, args.out, roles=roles_from(args),
                                      validation_share=args.validation_share, seed=args.seed, jobs=args.jobs,
                                      force=args.force, progress=not args.quiet)
    for reason in skipped:
        print(f"skipped {reason}", file=sys.stderr)
    counts = {split: sum(e["split"] == split for e in entries) for split in ("train", "validation")}
    minutes = sum(e["duration_s"] for e in entries) / 60
    print(f"features: {len(entries)} songs ({counts['train']} train, {counts['validation']} validation, "
          f"{minutes:.1f} minutes), {len(skipped)} skipped; written to {args.out}/{{train,validation}}/ and "
          f"{args.out}/songs.json")


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("features", help="your own songs (MIDI with kick, snare and bass; stem folders) into "
                                        "feature files for `kickgen train`, split into training and validation")
    p.add_argument("songs", nargs="+", type=Path, metavar="SONG_OR_DIR",
                   help="MIDI files, stem folders (kick, snare and bass audio), or folders of them")
    p.add_argument("--out", type=Path, required=True, help="features folder: train/, validation/, songs.json")
    p.add_argument("--validation-share", type=unit_interval, default=0.2,
                   help="share of the songs kept for validation, whole songs (default 0.2)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split")
    add_role_flags(p)
    p.add_argument("--jobs", type=positive_int, default=2, help="worker processes")
    p.add_argument("--force", action="store_true", help="replace the features folder's songs")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_features)

    p = sub.add_parser("train", help="train the CGAE on a directory of feature files (needs torch)")
    p.add_argument("--data", type=Path, required=True, help="directory of feature files (*.npz)")
    p.add_argument("--out", type=Path, required=True, help="run directory for checkpoint.pt")
    p.add_argument("--epochs", type=positive_int, default=100, help="total epochs (with --resume: the new total)")
    p.add_argument("--batch", type=positive_int, default=100, help="global batch size (crops per step)")
    p.add_argument("--chunk-frames", type=positive_int, default=1024, help="crop length in frames")
    p.add_argument("--lr", type=float, default=1e-3, help="CGAE learning rate (Adam)")
    p.add_argument("--critic-lr", type=float, default=1e-3,
                   help="critic learning rate (Adam, betas 0.5/0.9); as fast as the CGAE's, so that the "
                        "critic keeps up and the codes cannot run away from N(0, I)")
    p.add_argument("--std-weight", type=float, default=1.0,
                   help="weight of L_std; above 1 it keeps the codes at unit variance from the start, so "
                        "the decoder cannot learn to ignore them")
    p.add_argument("--const-weight", type=float, default=1.0,
                   help="weight of L_const; below 1 the codes may change faster over time (closer "
                        "ground-truth reconstructions, less constant styles)")
    p.add_argument("--displace-kick", type=probability, default=0.0, metavar="P",
                   help="share of training crops whose kick is moved by one or two sixteenths against "
                        "the snare, bass and beats (0: none), to teach off-beat kicks")
    p.add_argument("--input-dropout", type=probability, default=0.5, metavar="P",
                   help="input dropout on the context (the paper's 0.5)")
    p.add_argument("--input-dropout-mode", choices=("frames", "parts"), default="frames",
                   help="frames: single values, rescaled (the paper's); parts: a crop loses its whole snare "
                        "or bass channel with that probability, the beat grid never")
    p.add_argument("--warp-mode", choices=("linear", "peaks"), default="linear",
                   help="the shift/scale augmentation: linear interpolation, or peaks that keep their height")
    p.add_argument("--std-loss-form", choices=("sigma", "paper"), default="sigma",
                   help="L_std as mu^2 + (sigma - 1)^2, or as the paper writes it, mu^2 + (sigma^2 - 1)^2")
    p.add_argument("--decoder-code", choices=("frames", "held", "both", "bar"), default="frames",
                   help="what the decoder reconstructs from in training: the code path (the paper's), each "
                        "crop's mean code held over time, as a sampled style is used, both in turn, or its "
                        "mean code at each sixteenth of the bar, looped, as a fitted style is used")
    p.add_argument("--held-std-weight", type=float, default=0.0,
                   help="weight of L_std on each crop's mean code across the batch, so that held style codes "
                        "spread as N(0, I), where sampled styles come from (default 0: off)")
    p.add_argument("--bilinear", action="store_true",
                   help="a bias-free mapping path (W and its transpose): a zero code closes the decoder's gate")
    p.add_argument("--validation", type=Path, metavar="FEATURES_DIR",
                   help="held-out feature files: every --validate-every epochs the run measures ground-truth "
                        "and self-transfer F on them, and best.pt is the epoch of the highest mean")
    p.add_argument("--validate-every", type=positive_int, default=4, metavar="N", help="epochs between validations")
    p.add_argument("--validation-songs", type=positive_int, default=24, metavar="N",
                   help="how many of --validation's files (spread over them) to validate on")
    p.add_argument("--downbeat-form", choices=("impulses", "bar_phase"),
                   help="how the model reads the downbeat channel: impulses at bar starts (default), or the "
                        "position in the bar, rising from each downbeat to the next (recorded in the bundle)")
    p.add_argument("--bf16", action="store_true", help="train under bfloat16 autocast where the hardware has it (AVX-512 BF16, AMX, GPUs); "
                   "elsewhere float32, with a warning (the recipe keeps bf16 for a resumed run)")
    p.add_argument("--max-grad-norm", type=float, default=25.0,
                   help="clip each optimizer's gradient norm to this (0: no clipping); late in a "
                        "full-size run the norms are about 20-100, so 25 trims the spikes")
    p.add_argument("--final-lr-fraction", type=float, default=1.0,
                   help="cosine decay of both learning rates to this fraction over --epochs (1: constant)")
    p.add_argument("--init-from", type=Path, metavar="BUNDLE",
                   help="start from a model bundle's weights, sizes and downbeat form (models/default: train "
                        "the shipped model further); a resumed run keeps its own")
    p.add_argument("--critic-warmup-steps", type=int, default=0,
                   help="first steps in which only the critic learns (a fresh critic beside --init-from weights)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--model-config", type=Path, help="JSON file of ModelConfig fields (default: the paper's sizes)")
    p.add_argument("--time-limit-s", type=float, help="stop after the epoch that passes this many seconds")
    p.add_argument("--resume", action="store_true",
                   help="continue the run directory's checkpoint with its own recipe (only --epochs "
                        "and --time-limit-s apply)")
    p.add_argument("--force", action="store_true", help="start afresh over an existing checkpoint")
    p.add_argument("--quiet", action="store_true", help="no progress bar: one summary line per epoch, for logs")
    p.set_defaults(func=run_train)
