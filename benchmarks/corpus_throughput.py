#!/usr/bin/env python3
"""Corpus throughput: songs per minute for `corpus build` (mma + FluidSynth stems) and
for `corpus features` in each domain, plus, when a training run is given, its wall time
and frames per second from the run's history.json.

Builds --songs songs from a fixed spread of style files into a temporary folder with
--jobs workers, then extracts their features (MIDI, then audio). Each stage is timed
once with time.perf_counter (the groove probe is timed on its own: a real build caches
it). Prints one JSON object to stdout; progress goes to stderr. From the repository root:

    .venv/bin/python benchmarks/corpus_throughput.py [--songs 16] [--jobs 2] [--run runs/default]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from kickgen.engine.corpus.build import build_corpus, probe_library
from kickgen.engine.corpus.features import DOMAINS, extract_song_features, feature_path
from kickgen.engine.corpus.grooves import discover_styles
from kickgen.engine.corpus.manifest import PROBES_NAME, read_manifest
from kickgen.engine.util.parallel import run_parallel

STYLES = ("casio/house", "casio/funk2", "casio/poprock1", "casio/hip-hop", "stdlib/8beat", "casio/techno",
          "casio/discosoul", "stdlib/waltz")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--run", type=Path, help="a training run folder with history.json")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    result: dict = {"songs": args.songs, "jobs": args.jobs, "styles": list(STYLES)}
    with tempfile.TemporaryDirectory() as tmp:
        corpus, features = Path(tmp) / "corpus", Path(tmp) / "features"
        started = time.perf_counter()
        probe_library(discover_styles(only=STYLES), corpus / PROBES_NAME, jobs=args.jobs, progress=False)
        probe_s = time.perf_counter() - started
        started = time.perf_counter()
        build_corpus(corpus, n_songs=args.songs, seed=0, jobs=args.jobs, only_styles=STYLES, progress=True)
        build_s = time.perf_counter() - started
        songs = read_manifest(corpus)["songs"]
        minutes = sum(s["duration_s"] for s in songs) / 60
        result["groove_probe_s"] = round(probe_s, 2)
        result["build"] = {"seconds": round(build_s, 2), "music_minutes": round(minutes, 2),
                           "songs_per_minute": round(len(songs) / build_s * 60, 1)}
        for domain in DOMAINS:
            jobs = [(corpus / e["path"], feature_path(features, e, domain), domain) for e in songs]
            started = time.perf_counter()
            run_parallel(extract_song_features, jobs, jobs=args.jobs, desc=f"{domain} features")
            seconds = time.perf_counter() - started
            result[f"features_{domain}"] = {"seconds": round(seconds, 2),
                                            "songs_per_minute": round(len(songs) / seconds * 60, 1),
                                            "seconds_per_music_minute": round(seconds / minutes, 3)}
    if args.run:
        history = json.loads((args.run / "history.json").read_text())
        result["training_run"] = {
            "epochs": len(history),
            "wall_hours": round(sum(h["seconds"] for h in history) / 3600, 3),
            "frames_per_s_median": round(statistics.median(h["frames_per_s"] for h in history)),
        }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
