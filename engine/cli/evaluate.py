"""`kickgen eval`: the paper's Table 1 and its studies for a model on songs with kicks."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from kickgen.engine.cli.common import (
    add_model_flag,
    add_role_flags,
    check_outputs,
    positive_int,
    roles_from,
    unit_interval,
)
from kickgen.engine.errors import InputFileError


def song_count(text: str) -> int:
    """A number of songs, 0 or more, or "all"."""
    if text == "all":
        return sys.maxsize
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, or all, not {text}")
    return value


def run_eval(args: argparse.Namespace) -> None:
    from kickgen.engine.evaluation.reference_songs import reference_paths
    from kickgen.engine.evaluation.run import run_eval as evaluate
    from kickgen.engine.evaluation.table import format_table
    from kickgen.engine.util.atomic import atomic_path

    outputs = [p for p in (args.json, args.tempo_png, args.sampling_png) if p is not None]
    check_outputs(outputs, args.force, inputs=args.songs)
    if args.sampling_png and not args.sampling_songs:
        raise InputFileError("--sampling-png", "draws the sampling study: give --sampling-songs 1 or more")
    songs = reference_paths(args.songs, split=args.split, domain=args.domain)
    if not songs:
        raise InputFileError(args.songs[0], f"holds no {args.split} songs in the {args.domain} domain")
    document = evaluate(
        songs, domain=args.domain, bundle_dir=args.model, threshold=args.threshold,
        tempo_songs=args.tempo_songs if args.tempo_png else 0, sampling_songs=args.sampling_songs,
        jobs=args.jobs, features_dir=args.features, progress=not args.quiet, roles=roles_from(args),
        beat_grid=args.beat_grid,
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


def run_calibrate(args: argparse.Namespace) -> None:
    from kickgen.engine.evaluation.calibration import (
        THRESHOLDS,
        calibrate,
        evenly_spaced,
        write_calibration,
    )
    from kickgen.engine.evaluation.reference_songs import reference_paths
    from kickgen.engine.evaluation.table import METHOD_LABELS
    from kickgen.engine.runtime.bundle import load_bundle

    bundle = load_bundle(args.model)
    if bundle.style_prior is not None and not args.force:
        raise InputFileError(args.model, "is calibrated already (give --force to calibrate it again)")
    songs = []
    for domain in args.domains:
        found = reference_paths(args.songs, split="train", domain=domain)
        songs += [(path, meta, domain) for path, meta in evenly_spaced(found, args.songs_per_domain)]
    if len(songs) < 2:
        raise InputFileError(args.songs[0], "holds fewer than 2 training songs to calibrate on")
    result = calibrate(songs, bundle_dir=args.model, features_dir=args.features, jobs=args.jobs,
                       progress=not args.quiet)
    write_calibration(args.model, result)
    prior = result.prior
    spread = np.sqrt(np.mean(np.sum(prior.factor ** 2, axis=1)))
    print(f"calibrated {args.model} on {prior.songs} training songs ({', '.join(args.domains)})")
    print(f"style prior: mean |code| {np.linalg.norm(prior.mean):.2f}, RMS spread {spread:.2f} a dimension")
    print("F by peak threshold: " + "; ".join(
        f"{METHOD_LABELS[name]} " + " ".join(f"{t:g}:{f:.3f}" for t, f in zip(THRESHOLDS, values))
        for name, values in result.f_by_threshold.items()))
    print(f"threshold: {result.threshold:g} (was {bundle.info.threshold:g})")


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="precision/recall/F of a model on songs with kicks (paper Table 1)")
    p.add_argument("songs", nargs="+", type=Path, metavar="SONG_OR_DIR",
                   help="MIDI files, folders of them, corpus folders, or features folders from `kickgen features`")
    add_model_flag(p)
    add_role_flags(p)
    p.add_argument("--domain", choices=("midi", "audio"), default="midi",
                   help="what the model hears (audio: corpus songs' rendered stems)")
    p.add_argument("--split", choices=("train", "validation"), default="validation",
                   help="which songs of a corpus or features folder (default: validation)")
    p.add_argument("--features", type=Path, help="cached corpus features (from `kickgen corpus features`)")
    p.add_argument("--beat-grid", choices=("tracked", "score"), default="tracked",
                   help="audio domain: beats tracked by madmom, or the score's grid as a producer gives it "
                        "with --bpm/--grid-from")
    p.add_argument("--threshold", type=unit_interval, help="peak-picking threshold, 0..1 (default: the model's)")
    p.add_argument("--json", type=Path, help="write per-song and mean scores here")
    p.add_argument("--tempo-png", type=Path, help="run the tempo-invariance study and draw it here")
    p.add_argument("--tempo-songs", type=positive_int, default=12, help="songs in the tempo study")
    p.add_argument("--sampling-png", type=Path, help="draw the sampling study's first song here")
    p.add_argument("--sampling-songs", type=song_count, default=12, metavar="N|all",
                   help="songs in the sampling study (diversity and plausibility of sampled styles; 0: none)")
    p.add_argument("--jobs", type=positive_int, default=2, help="worker processes")
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_eval)

    p = sub.add_parser("calibrate", help="fit a model's random styles and peak threshold to its training songs")
    p.add_argument("songs", nargs="+", type=Path, metavar="CORPUS_OR_DIR",
                   help="the model's corpus or features folder (its training split is used)")
    p.add_argument("--model", type=Path, required=True, help="model bundle folder; its bundle.json gets the calibration")
    p.add_argument("--features", type=Path, help="cached corpus features (from `kickgen corpus features`)")
    p.add_argument("--domains", nargs="+", choices=("midi", "audio"), default=["midi", "audio"],
                   help="what the model hears in the songs fitted")
    p.add_argument("--songs-per-domain", type=positive_int, default=30, metavar="N",
                   help="training songs a domain, evenly spread over the split")
    p.add_argument("--jobs", type=positive_int, default=2, help="worker processes")
    p.add_argument("--force", action="store_true", help="calibrate a bundle that is calibrated already")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_calibrate)
