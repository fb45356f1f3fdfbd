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
HISTORY_JSON = "history.json"


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
        critic_learning_rate=args.critic_lr,
        standardization_weight=args.std_weight,
        constancy_weight=args.const_weight,
        kick_displacement_probability=args.displace_kick,
        max_grad_norm=args.max_grad_norm if args.max_grad_norm > 0 else None,
        final_lr_fraction=args.final_lr_fraction,
        critic_warmup_steps=args.critic_warmup_steps,
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
        init_from=args.init_from,
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


def run_corpus_build(args: argparse.Namespace) -> None:
    from kickgen.engine.corpus import MANIFEST_NAME, build_corpus

    songs = build_corpus(args.out, n_songs=args.songs, seed=args.seed, jobs=args.jobs,
                         only_styles=tuple(args.styles or ()), progress=not args.quiet)
    splits = {split: sum(s["split"] == split for s in songs) for split in ("train", "validation")}
    minutes = sum(s["duration_s"] for s in songs) / 60
    print(f"corpus: {len(songs)} songs ({splits['train']} train, {splits['validation']} validation), "
          f"{minutes:.1f} minutes; manifest {args.out / MANIFEST_NAME}")


def run_corpus_features(args: argparse.Namespace) -> None:
    from kickgen.engine.corpus_features import extract_corpus_features

    written = extract_corpus_features(args.corpus, args.out, jobs=args.jobs, progress=not args.quiet)
    print(f"features: {written} files written to {args.out}/{{train,validation}}/")


def run_corpus_presets(args: argparse.Namespace) -> None:
    from kickgen.engine.factory_presets import make_factory_presets
    from kickgen.engine.runtime import ModelBundle

    bundle = ModelBundle.load(args.model) if args.model else ModelBundle.default()
    for path in make_factory_presets(args.corpus, bundle, args.out, force=args.force):
        print(f"wrote {path}")


def run_corpus_report(args: argparse.Namespace) -> None:
    from kickgen.engine.atomic import atomic_path
    from kickgen.engine.report import corpus_stats, record_in_bundle, write_report

    if args.corpus:
        from kickgen.engine.corpus import read_manifest

        with atomic_path(args.results / "corpus.json", force=True) as tmp:
            tmp.write_text(json.dumps(corpus_stats(read_manifest(args.corpus)), indent=1) + "\n")
    if args.model:
        record_in_bundle(args.model, args.results)
        print(f"recorded the corpus, training and metrics in {args.model}/bundle.json")
    write_report(args.results, args.out)
    print(f"wrote {args.out}")


def run_eval(args: argparse.Namespace) -> None:
    from kickgen.engine.atomic import atomic_path
    from kickgen.engine.eval_run import run_eval as evaluate
    from kickgen.engine.songs import reference_paths

    outputs = [p for p in (args.json, args.tempo_png, args.sampling_png) if p is not None]
    for path in outputs:
        if path.exists() and not args.force:
            raise OutputExistsError(path)
    songs = reference_paths(args.songs, split=args.split)
    document = evaluate(
        songs, domain=args.domain, bundle_dir=args.model, threshold=args.threshold,
        tempo_songs=args.tempo_songs if args.tempo_png else 0, sampling=args.sampling_png is not None,
        jobs=args.jobs, features_dir=args.features, progress=not args.quiet,
    )
    print(format_table(document))
    if args.json:
        with atomic_path(args.json, force=args.force) as tmp:
            tmp.write_text(json.dumps(document, indent=1) + "\n")
    if args.tempo_png or args.sampling_png:
        from kickgen.engine.plots import plot_sampling, plot_tempo_invariance

        if args.tempo_png:
            plot_tempo_invariance(document["tempo_invariance"], args.tempo_png)
        if args.sampling_png:
            plot_sampling(document["sampling"]["songs"][0], args.sampling_png)
    for path in outputs:
        print(f"wrote {path}")


def format_table(document: dict) -> str:
    """The mean scores, recall by position in the beat (and the studies' figures) as
    aligned text lines."""
    from kickgen.engine.evaluation import METHOD_LABELS
    from kickgen.engine.metrical import POSITION_LABELS, POSITIONS

    mean = document["mean"]
    rows = [(label, mean[method]) for method, label in METHOD_LABELS.items()]
    rows += [(f"baseline: {name.replace('_', ' ')}", s) for name, s in mean["baselines"].items()]
    lines = [f"{document['n_songs']} songs, {document['domain']} domain, model {document['model'][:12]}",
             f"{'':<32}{'P':>7}{'R':>7}{'F':>7}"]
    lines += [f"{name:<32}{s['precision']:>7.3f}{s['recall']:>7.3f}{s['f']:>7.3f}" for name, s in rows]
    by_position = document["by_position"]
    shares = by_position["ground_truth"]
    lines.append("kicks by position in the beat: "
                 + ", ".join(f"{POSITION_LABELS[p]} {shares[p]['share']:.0%}" for p in POSITIONS))
    for method, label in METHOD_LABELS.items():
        lines.append(f"recall by position, {label}: " + ", ".join(
            f"{POSITION_LABELS[p]} {by_position[method][p]['recall']:.3f}" for p in POSITIONS
            if by_position[method][p]["recall"] is not None))
    if "tempo_invariance" in document:
        study = document["tempo_invariance"]
        per = ", ".join(f"{float(f):.0%}: {v:.3f}" for f, v in study["mean_f"].items())
        lines.append(f"tempo invariance (agreement F): {per}; mean {study['mean_over_factors']:.3f}")
    if "sampling" in document:
        study = document["sampling"]
        lines.append(f"sampling: diversity (mean pairwise 1-F of picked) {study['mean_diversity_picked']:.3f}, "
                     f"plausible {study['mean_plausible_share']:.1%}")
    return "\n".join(lines)


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
    p.add_argument("--max-grad-norm", type=float, default=25.0,
                   help="clip each optimizer's gradient norm to this (0: no clipping); late in a "
                        "full-size run the norms are about 20-100, so 25 trims the spikes")
    p.add_argument("--final-lr-fraction", type=float, default=1.0,
                   help="cosine decay of both learning rates to this fraction over --epochs (1: constant)")
    p.add_argument("--init-from", type=Path, metavar="BUNDLE",
                   help="start from a model bundle's weights (models/default: train the shipped model "
                        "further); a resumed run keeps its own")
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

    corpus = sub.add_parser("corpus", help="build the training corpus from mma's grooves").add_subparsers(
        dest="corpus_command", required=True)
    p = corpus.add_parser("build", help="render songs (GM MIDI and kick/snare/bass stems) and a manifest")
    p.add_argument("--out", type=Path, required=True, help="corpus folder (a build there resumes)")
    p.add_argument("--songs", type=positive_int, default=420)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=positive_int, default=2, help="worker processes")
    p.add_argument("--styles", nargs="+", metavar="LIB/NAME",
                   help="only these style files of mma's library (like casio/house)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run_corpus_build)
    p = corpus.add_parser("features", help="extract MIDI and audio features of every corpus song")
    p.add_argument("--in", dest="corpus", type=Path, required=True, help="corpus folder")
    p.add_argument("--out", type=Path, required=True, help="features folder (train/ and validation/)")
    p.add_argument("--jobs", type=positive_int, default=2, help="worker processes")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run_corpus_features)
    p = corpus.add_parser("presets", help="make the factory presets from named corpus songs")
    p.add_argument("--in", dest="corpus", type=Path, required=True, help="corpus folder")
    p.add_argument("--out", type=Path, required=True, help="folder for the preset files (presets/)")
    p.add_argument("--model", type=Path, help="model bundle folder (default: the shipped model)")
    p.add_argument("--force", action="store_true", help="overwrite existing presets")
    p.set_defaults(func=run_corpus_presets)
    p = corpus.add_parser("report", help="write docs/results.md from a results folder's JSON files")
    p.add_argument("--results", type=Path, required=True, help="folder of eval-*.json, history.json, corpus.json")
    p.add_argument("--out", type=Path, required=True, help="the Markdown report to write")
    p.add_argument("--corpus", type=Path, help="(re)write the results' corpus.json from this corpus first")
    p.add_argument("--model", type=Path, help="also record corpus, training and metrics in this bundle's bundle.json")
    p.set_defaults(func=run_corpus_report)

    from kickgen.engine.cli_producer import add_commands

    add_commands(sub, positive_int)

    p = sub.add_parser("eval", help="precision/recall/F of a model on songs with kicks (paper Table 1)")
    p.add_argument("songs", nargs="+", type=Path, metavar="SONG_OR_DIR",
                   help="MIDI files, folders of them, or corpus folders")
    p.add_argument("--model", type=Path, help="model bundle folder (default: the shipped model)")
    p.add_argument("--domain", choices=("midi", "audio"), default="midi",
                   help="what the model hears (audio: corpus songs' rendered stems)")
    p.add_argument("--split", choices=("train", "validation"), default="validation",
                   help="which songs of a corpus folder (default: validation)")
    p.add_argument("--features", type=Path, help="cached corpus features (from `kickgen corpus features`)")
    p.add_argument("--threshold", type=float, default=0.25, help="peak-picking threshold")
    p.add_argument("--json", type=Path, help="write per-song and mean scores here")
    p.add_argument("--tempo-png", type=Path, help="run the tempo-invariance study and draw it here")
    p.add_argument("--tempo-songs", type=positive_int, default=12, help="songs in the tempo study")
    p.add_argument("--sampling-png", type=Path, help="run the sampling study and draw its first song here")
    p.add_argument("--jobs", type=positive_int, default=2, help="worker processes")
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command("kickgen", lambda: args.func(args))


if __name__ == "__main__":
    sys.exit(main())
