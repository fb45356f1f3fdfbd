"""`kickgen corpus`: build the training corpus from mma's grooves, extract its
features, make the factory presets from it, and write the results report."""

from __future__ import annotations

import argparse
from pathlib import Path

from kickgen.engine.cli.common import add_model_flag, positive_int


def run_corpus_build(args: argparse.Namespace) -> None:
    from kickgen.engine.corpus.build import build_corpus
    from kickgen.engine.corpus.manifest import MANIFEST_NAME

    songs = build_corpus(args.out, n_songs=args.songs, seed=args.seed, jobs=args.jobs,
                         only_styles=tuple(args.styles or ()), human_songs=args.human_songs, progress=not args.quiet)
    splits = {split: sum(s["split"] == split for s in songs) for split in ("train", "validation")}
    minutes = sum(s["duration_s"] for s in songs) / 60
    print(f"corpus: {len(songs)} songs ({splits['train']} train, {splits['validation']} validation), "
          f"{minutes:.1f} minutes; manifest {args.out / MANIFEST_NAME}")


def run_corpus_features(args: argparse.Namespace) -> None:
    from kickgen.engine.corpus.features import extract_corpus_features

    written = extract_corpus_features(args.corpus, args.out, jobs=args.jobs, progress=not args.quiet)
    print(f"features: {written} files written to {args.out}/{{train,validation}}/")


def run_corpus_presets(args: argparse.Namespace) -> None:
    from kickgen.engine.producer.factory_presets import make_factory_presets
    from kickgen.engine.runtime.bundle import load_bundle

    for path in make_factory_presets(args.corpus, load_bundle(args.model), args.out, force=args.force):
        print(f"wrote {path}")


def run_corpus_report(args: argparse.Namespace) -> None:
    from kickgen.engine.evaluation.report import record_in_bundle, write_corpus_stats, write_report

    if args.corpus:
        write_corpus_stats(args.corpus, args.results)
    if args.model:
        record_in_bundle(args.model, args.results)
        print(f"recorded the corpus, training and metrics in {args.model}/bundle.json")
    write_report(args.results, args.out, study_dir=args.study)
    print(f"wrote {args.out}")


def add_commands(sub: argparse._SubParsersAction) -> None:
    corpus = sub.add_parser("corpus", help="build the training corpus from mma's grooves").add_subparsers(
        dest="corpus_command", required=True)
    p = corpus.add_parser("build", help="render songs (GM MIDI and kick/snare/bass stems) and a manifest")
    p.add_argument("--out", type=Path, required=True, help="corpus folder (a build there resumes)")
    p.add_argument("--songs", type=positive_int, default=420)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=positive_int, default=2, help="worker processes")
    p.add_argument("--styles", nargs="+", metavar="LIB/NAME",
                   help="only these style files of mma's library (like casio/house)")
    p.add_argument("--human-songs", action="store_true",
                   help="add the human-written songs of the installed packages (Debian freedoom's MIDI music)")
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
    add_model_flag(p)
    p.add_argument("--force", action="store_true", help="overwrite existing presets")
    p.set_defaults(func=run_corpus_presets)
    p = corpus.add_parser("report", help="write docs/results.md from a results folder's JSON files")
    p.add_argument("--results", type=Path, required=True, help="folder of eval-*.json, history.json, corpus.json")
    p.add_argument("--out", type=Path, required=True, help="the Markdown report to write")
    p.add_argument("--corpus", type=Path, help="(re)write the results' corpus.json from this corpus first")
    p.add_argument("--model", type=Path, help="also record corpus, training and metrics in this bundle's bundle.json")
    p.add_argument("--study", type=Path, help="add the model study's table from this folder of arms (make study)")
    p.set_defaults(func=run_corpus_report)
