#!/usr/bin/env python3
"""Decoder speed of the full-size model: onnxruntime against torch eager, side by side.

Measures, on one process and one machine state:
- one-bar decode as the bridge calls it: 4/4 at 120 bpm (2 s, 173 frames) plus the
  decoder's receptive field (255 frames) on each side, single thread, >= 500 calls each,
  interleaved in blocks so that both see the same machine load: p50, p99, ratio;
- whole-song decode of 4 minutes (20 672 frames), median of several runs;
- peak RSS of a separate, torch-free process that loads the bundle and decodes 4 minutes.

The weights are a fresh (untrained) paper-size model: speed does not depend on them.
Run: .venv/bin/python benchmarks/decoder_latency.py [--calls 600] [--song-runs 5]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from kickgen.engine.model.cgae import ModelConfig, receptive_field
from kickgen.engine.model.checkpoint import (
    CHECKPOINT_NAME,
    model_from_payload,
    new_state,
    read_checkpoint,
    save_checkpoint,
)
from kickgen.engine.model.recipe import TrainConfig
from kickgen.engine.runtime.bundle import ModelBundle
from kickgen.engine.signals.frames import FPS
from kickgen.export.onnx_export import export_checkpoint

SONG_FRAMES = round(240 * FPS)  # 4 minutes
BAR_FRAMES = int(np.ceil(2.0 * FPS))  # one 4/4 bar at 120 bpm

# VmHWM, not getrusage: ru_maxrss survives fork+exec and would report the parent's peak.
RSS_PROBE = """
import re, sys, numpy as np
from kickgen.engine.runtime.bundle import ModelBundle
bundle = ModelBundle.load(sys.argv[1], threads=2)
n = int(sys.argv[2])
rng = np.random.default_rng(0)
kick = bundle.decode(rng.standard_normal((4, n)).astype(np.float32),
                     rng.standard_normal((bundle.info.code_size, n)).astype(np.float32))
assert kick.shape == (1, n) and 'torch' not in sys.modules
print(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
"""


def build_bundle(directory: Path) -> Path:
    state = new_state(ModelConfig(), TrainConfig(), torch.device("cpu"))
    save_checkpoint(directory / CHECKPOINT_NAME, state, TrainConfig())
    export_checkpoint(directory / CHECKPOINT_NAME, directory / "bundle")
    return directory / "bundle"


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1e3
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
    }


def bar_latency(
    bundle: ModelBundle, model: torch.nn.Module, *, calls: int, block: int = 50
) -> dict:
    rf = receptive_field(model.config)
    n = BAR_FRAMES + rf["decoder_left"] + rf["decoder_right"]
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, n)).astype(np.float32)
    m = rng.standard_normal((bundle.info.code_size, n)).astype(np.float32)
    xt, mt = torch.from_numpy(x)[None], torch.from_numpy(m)[None]
    ort_s, torch_s = [], []
    with torch.no_grad():
        for _ in range(5):  # warm-up
            bundle.decode(x, m)
            model.decode(xt, mt)
        for _ in range(calls // block):
            for _ in range(block):
                t0 = time.perf_counter()
                bundle.decode(x, m)
                ort_s.append(time.perf_counter() - t0)
            for _ in range(block):
                t0 = time.perf_counter()
                model.decode(xt, mt)
                torch_s.append(time.perf_counter() - t0)
    ort_p, torch_p = percentiles_ms(ort_s), percentiles_ms(torch_s)
    return {
        "frames_per_call": n,
        "calls_each": len(ort_s),
        "onnxruntime": ort_p,
        "torch_eager": torch_p,
        "ratio_p50_ort_over_torch": round(ort_p["p50_ms"] / torch_p["p50_ms"], 3),
        "ratio_p99_ort_over_torch": round(ort_p["p99_ms"] / torch_p["p99_ms"], 3),
    }


def song_decode(bundle: ModelBundle, model: torch.nn.Module, *, runs: int) -> dict:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, SONG_FRAMES)).astype(np.float32)
    m = rng.standard_normal((bundle.info.code_size, SONG_FRAMES)).astype(np.float32)
    ort_s, torch_s = [], []
    with torch.no_grad():
        for _ in range(runs):
            t0 = time.perf_counter()
            bundle.decode(x, m)
            ort_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            model.decode(torch.from_numpy(x)[None], torch.from_numpy(m)[None])
            torch_s.append(time.perf_counter() - t0)
    ort_med, torch_med = float(np.median(ort_s)), float(np.median(torch_s))
    return {
        "frames": SONG_FRAMES,
        "threads": torch.get_num_threads(),
        "onnxruntime_s_median": round(ort_med, 3),
        "torch_eager_s_median": round(torch_med, 3),
        "ratio_ort_over_torch": round(ort_med / torch_med, 3),
    }


def peak_rss_mib(bundle_dir: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, str(bundle_dir), str(SONG_FRAMES)],
        capture_output=True,
        text=True,
        check=True,
    )
    return round(int(out.stdout.strip()) / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=600, help="one-bar calls per runtime (>= 500)")
    parser.add_argument("--song-runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("exporting a paper-size model ...", file=sys.stderr)
        bundle_dir = build_bundle(Path(tmp))
        model = model_from_payload(read_checkpoint(Path(tmp) / CHECKPOINT_NAME))
        torch.set_num_threads(1)
        print("one-bar latency ...", file=sys.stderr)
        bar = bar_latency(ModelBundle.load(bundle_dir, threads=1), model, calls=args.calls)
        torch.set_num_threads(2)
        print("whole-song decode ...", file=sys.stderr)
        song = song_decode(ModelBundle.load(bundle_dir, threads=2), model, runs=args.song_runs)
        print("peak memory ...", file=sys.stderr)
        rss = peak_rss_mib(bundle_dir)
    print(
        json.dumps(
            {
                "benchmark": "decoder_latency",
                "model": "paper size (ModelConfig())",
                "one_bar_single_thread": bar,
                "whole_song_4_min": song,
                "torch_free_process_peak_rss_mib": rss,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
