"""`kickgen sample`: n style codes drawn on one song, the most varied kept (greedy
farthest-first on 1 − F), written as numbered MIDI files (and WAVs), a codes.json and
one overview picture."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from kickgen.engine.errors import InputFileError
from kickgen.engine.evaluation.diversity import distance_matrix, farthest_first, mean_pairwise
from kickgen.engine.producer.kick_audio import load_one_shot, render_kicks, write_wav
from kickgen.engine.producer.kick_midi import write_kick_midi
from kickgen.engine.producer.targets import Target
from kickgen.engine.runtime.bundle import ModelBundle
from kickgen.engine.runtime.kicks import generate_kicks
from kickgen.engine.runtime.style import sample_code
from kickgen.engine.signals.frames import SAMPLE_RATE
from kickgen.engine.util.atomic import atomic_path
from kickgen.engine.util.json_files import read_json_file

CODES_FILE, OVERVIEW_FILE = "codes.json", "overview.png"


def sample_variations(
    bundle: ModelBundle, target: Target, out_dir: Path, *, n_samples: int = 20, n_pick: int = 10, seed: int = 0,
    threshold: float = 0.25, with_wav: bool = False, one_shot_path: Path | None = None, force: bool = False,
) -> list[Path]:
    """Write the `n_pick` most varied of `n_samples` variations; returns the MIDI paths
    (`variation-01.mid`, ... in picking order)."""
    from kickgen.engine.plots import plot_sampling

    rng = np.random.default_rng(seed)
    codes = [sample_code(rng, code_size=bundle.info.code_size, prior=bundle.style_prior) for _ in range(n_samples)]
    parts = [generate_kicks(bundle, target.signals, code, threshold=threshold) for code in codes]
    dist = distance_matrix([p.times_s for p in parts])
    picked = farthest_first(dist, n_pick)
    out_dir.mkdir(parents=True, exist_ok=True)
    one_shot = load_one_shot(one_shot_path) if with_wav else None
    written = []
    for rank, index in enumerate(picked, start=1):
        midi_path = out_dir / f"variation-{rank:02d}.mid"
        write_kick_midi(midi_path, parts[index], target.time_base, force=force)
        written.append(midi_path)
        if one_shot is not None:
            audio = render_kicks(parts[index], one_shot, n_samples=round(target.duration_s * SAMPLE_RATE))
            write_wav(midi_path.with_suffix(".wav"), audio, force=force)
    document = {
        "model": bundle.id, "target": target.name, "seed": seed, "threshold": threshold,
        "diversity": round(mean_pairwise(dist, picked), 4),
        "files": [p.name for p in written],
        "codes": [codes[i].round(6).tolist() for i in picked],
    }
    with atomic_path(out_dir / CODES_FILE, force=True) as tmp:
        tmp.write_text(json.dumps(document, indent=1) + "\n")
    old_kick = {"kick": target.old_kick.times_s.tolist()} if target.old_kick is not None else {}
    study = {
        "song": target.name, "picked": picked, "onsets_s": [p.times_s.tolist() for p in parts],
        "labels": [p.stem for p in written], "downbeats_s": target.signals.downbeat_times_s.tolist(),
        "notes_s": old_kick, "diversity_picked": document["diversity"],
    }
    plot_sampling(study, out_dir / OVERVIEW_FILE)
    return written


def read_sampled_code(codes_file: Path, index: int | None, *, model_id: str, code_size: int) -> tuple[np.ndarray, str]:
    """Code `index` (K,) of a `codes.json` written by `sample_variations`, and the name of
    the song it was sampled on; `InputFileError` when the index is out of range or the
    codes belong to another model."""
    codes = read_json_file(codes_file, what="a codes.json from `kickgen sample`")
    if not (isinstance(codes, dict) and isinstance(codes.get("codes"), list) and isinstance(codes.get("model"), str)
            and all(isinstance(c, list) and len(c) == code_size and all(isinstance(v, (int, float)) for v in c)
                    for c in codes["codes"])):
        raise InputFileError(codes_file, f"not a codes.json from `kickgen sample` (a list of {code_size}-number codes "
                                         "and the model's id)")
    if index is None or not 0 <= index < len(codes["codes"]):
        raise InputFileError(codes_file, f"--index must be 0..{len(codes['codes']) - 1}")
    if codes["model"] != model_id:
        raise InputFileError(codes_file, f"made with model {codes['model'][:12]}, not {model_id[:12]}")
    return np.asarray(codes["codes"][index], dtype=np.float32), codes.get("target", "")
