"""The results report (`docs/results.md`) and the shipped bundle's record of what it was
trained on and reached, both written from the JSON files of a results folder:

    corpus.json          corpus statistics (`corpus_stats`)
    history.json         per-epoch training losses (`kickgen train` writes it)
    history-both.json    the same for the run's second stage, when it has one
                         (`make model`: the epochs decoding from held codes and code paths both)
    eval-midi.json       `kickgen eval --json` in the MIDI domain
    eval-audio.json      the same in the audio domain
    eval-midi-train.json the MIDI domain on the training split (optional: the gap between
                         it and validation is what generalisation costs)
    *.png                the figures the commands drew; the report draws songs.png
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from kickgen.engine.corpus.manifest import read_manifest
from kickgen.engine.evaluation.metrical import POSITION_LABELS, POSITIONS
from kickgen.engine.evaluation.study import study_lines, study_summary
from kickgen.engine.evaluation.table import METHOD_LABELS, METHODS
from kickgen.engine.plots import plot_song_scores
from kickgen.engine.runtime.bundle_files import INFO_FILE, BundleInfo
from kickgen.engine.signals.peaks import DEFAULT_THRESHOLD
from kickgen.engine.util.atomic import atomic_path
from kickgen.engine.util.json_files import read_json_file

DOMAINS = ("midi", "audio")
TRAIN_EVAL = "eval-midi-train.json"
CORPUS_STATS = "corpus.json"
STAGE_HISTORIES = {"first": "history.json", "both": "history-both.json"}  # a run's stages, in order
STAGE_CURVES = {"first": "losses.png", "both": "losses-both.png"}
WORST_STYLE_FILES = 10  # rows of the report's table of the style files the model does worst on
GOALS = {"ground_truth": 0.90, "self_transfer": 0.75, "tempo": 0.80, "diversity": 0.30, "plausible": 0.90}


def corpus_stats(manifest: dict) -> dict:
    """Counts, minutes, families, meters and tempi of a corpus manifest, by split."""
    songs = manifest["songs"]
    tempi = sorted(s["tempo_bpm"] for s in songs)
    return {
        "songs": len(songs),
        "minutes": round(sum(s["duration_s"] for s in songs) / 60, 1),
        "by_split": {split: {"songs": sum(s["split"] == split for s in songs),
                             "minutes": round(sum(s["duration_s"] for s in songs if s["split"] == split) / 60, 1),
                             "style_files": len({s["style"] for s in songs if s["split"] == split})}
                     for split in ("train", "validation")},
        "families": dict(Counter(s["family"] for s in songs).most_common()),
        "meters": dict(Counter(s["meter"] for s in songs).most_common()),
        "tempo_bpm": {"min": tempi[0], "median": tempi[len(tempi) // 2], "max": tempi[-1]},
        "style_files": len({s["style"] for s in songs}),
        "grooves": len({g for s in songs for g in s["grooves"]}),
        "sources": manifest["sources"],
    }


def write_corpus_stats(corpus: Path, results: Path) -> None:
    """(Re)write `results`/corpus.json from the corpus folder's manifest."""
    with atomic_path(results / CORPUS_STATS, force=True) as tmp:
        tmp.write_text(json.dumps(corpus_stats(read_manifest(corpus)), indent=1) + "\n")


def _read(results: Path, name: str) -> dict | list | None:
    path = results / name
    return read_json_file(path, what="readable JSON") if path.exists() else None


def training_summary(history: list[dict]) -> dict:
    """Epochs, wall time, recent speed, the last epoch's losses and the exported epoch
    (`make model` exports best.pt: the epoch of best validation F where the run
    validated, else of lowest training L_mse)."""
    last = history[-1]
    validated = [h for h in history if "val_f" in h]
    best = max(validated, key=lambda h: h["val_f"]) if validated else min(history, key=lambda h: h["mse"])
    return {"epochs": last["epoch"], "hours": round(sum(h["seconds"] for h in history) / 3600, 2),
            "frames_per_s": round(sum(h["frames_per_s"] for h in history[-5:]) / min(5, len(history))),
            "last_epoch": {k: round(last[k], 4) for k in ("mse", "const", "std", "adv", "gp")},
            "exported_epoch": best["epoch"], "exported_mse": round(best["mse"], 4),
            **({"exported_val_f": round(best["val_f"], 4)} if validated else {})}


def training_stages(results: Path) -> dict[str, dict]:
    """The summaries of the run's stages that `results` holds: "first" (history.json,
    whatever its decoder code) and "both" (history-both.json)."""
    stages = {stage: _read(results, name) for stage, name in STAGE_HISTORIES.items()}
    return {stage: training_summary(history) for stage, history in stages.items() if history}


def training_lines(stages: dict[str, dict]) -> list[str]:
    """The report's Training section: one paragraph and loss curve a stage."""
    lines, last_stage = ["## Training", ""], list(stages)[-1]
    for stage, t in stages.items():
        exported = (f"the best validation F ({t['exported_val_f']})" if "exported_val_f" in t
                    else f"the lowest training mse ({t['exported_mse']})")
        what = (f"Full-size model (DESIGN §3), {t['epochs']} epochs" if stage == "first" else
                f"Then {t['epochs']} epochs on from its last, the decoder reconstructing from held codes and "
                "code paths both (`--decoder-code both`)")
        lines += [f"{what} in {t['hours']} h on this 2-core CPU ({t['frames_per_s']} frames/s over the last "
                  "epochs). Last epoch: " + ", ".join(f"{k} {v}" for k, v in t["last_epoch"].items())
                  + (f". The bundle holds epoch {t['exported_epoch']}, {exported}." if stage == last_stage else "."),
                  "", f"![training losses, {stage} stage](results/{STAGE_CURVES[stage]})", ""]
    return lines


def record_in_bundle(bundle_dir: Path, results: Path) -> dict:
    """Write the corpus, the training time and the validation metrics into the bundle's
    bundle.json (the bundle's id, over its ONNX files, does not change). Returns them."""
    info = BundleInfo.read(bundle_dir)
    corpus, stages = _read(results, CORPUS_STATS), training_stages(results)
    training = dict(info.training)
    if corpus:
        training["corpus"] = {k: corpus[k] for k in ("songs", "minutes", "by_split", "style_files", "sources")}
    if stages:
        training["run"] = stages
    metrics = {}
    for domain in DOMAINS:
        document = _read(results, f"eval-{domain}.json")
        if document:
            metrics[domain] = {"songs": document["n_songs"], "split": "validation", **document["mean"]}
            if "tempo_invariance" in document:
                metrics[domain]["tempo_invariance_f"] = document["tempo_invariance"]["mean_over_factors"]
            if "sampling" in document:
                metrics[domain]["sampling"] = {k: document["sampling"][k]
                                               for k in ("mean_diversity_picked", "mean_plausible_share", "own_kicks_plausible_share")}
    data = {**info.to_json(), "training": training, "metrics": metrics or None}
    with atomic_path(bundle_dir / INFO_FILE, force=True) as tmp:
        tmp.write_text(json.dumps(data, indent=2) + "\n")
    return data


def _song_f(song: dict, name: str) -> float:
    return (song[name] if name in METHODS else song["baselines"][name])["f"]


def _songs_by(document: dict, group_of) -> dict[str, list[dict]]:
    """The songs of a `kickgen eval` document grouped by `group_of(song)`, in order."""
    groups: dict[str, list[dict]] = {}
    for song in document["songs"]:
        groups.setdefault(group_of(song), []).append(song)
    return groups


def by_style_file(document: dict) -> list[dict]:
    """Per style file of a `kickgen eval` document: its family, songs and mean F of
    ground-truth codes, style transfer to self and the looped bar; worst self-transfer first."""
    groups = _songs_by(document, lambda song: song.get("style", song["song"]))
    rows = [{"style": style, "family": songs[0].get("family", ""), "songs": len(songs),
             **{name: sum(_song_f(s, name) for s in songs) / len(songs)
                for name in (*METHODS, "looped_bar")}}
            for style, songs in groups.items()]
    return sorted(rows, key=lambda row: row["self_transfer"])


def _style_file_lines(document: dict) -> list[str]:
    rows = by_style_file(document)
    means = {name: sum(r[name] for r in rows) / len(rows) for name in (*METHODS, "looped_bar")}
    lines = [(f"Mean F over the {len(rows)} style files, each counted once: ground-truth codes "
              f"{means['ground_truth']:.3f}, style transfer to self {means['self_transfer']:.3f}, looped bar "
              f"{means['looped_bar']:.3f}. The style files with the lowest style transfer to self:"), "",
             "| style file | family | songs | ground-truth F | self-transfer F | looped-bar F |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['style']} | {r['family']} | {r['songs']} | {r['ground_truth']:.2f} | "
              f"{r['self_transfer']:.2f} | {r['looped_bar']:.2f} |" for r in rows[:WORST_STYLE_FILES]]
    return lines + [""]


def _generalisation_lines(results: Path, documents: dict[str, dict]) -> list[str]:
    """Training split against validation (MIDI), and the per-song figure."""
    train = _read(results, TRAIN_EVAL)
    if train:
        documents = {"training, midi": train, **documents}  # drawn first, beneath validation
    if not documents:
        return []
    plot_song_scores(documents, results / "songs.png")
    lines = ["## Where the F goals are lost", ""]
    if train and "validation, midi" in documents:
        lines += ["The same model on the songs it was trained on and on validation songs (MIDI domain):", "",
                  "| songs | ground-truth F | self-transfer F | looped-bar F |", "|---|---|---|---|"]
        for label, document in (("training", train), ("validation", documents["validation, midi"])):
            mean = document["mean"]
            lines.append(f"| {label} ({document['n_songs']}; peaks at {document.get('threshold', DEFAULT_THRESHOLD):g}) | "
                         f"{mean['ground_truth']['f']:.3f} | "
                         f"{mean['self_transfer']['f']:.3f} | {mean['baselines']['looped_bar']['f']:.3f} |")
        lines.append("")
    lines += _position_lines(documents)
    return lines + ["![self-transfer F against the looped bar, per song](results/songs.png)", ""]


def _position_lines(documents: dict[str, dict]) -> list[str]:
    """Recall of the kicks by their position in the beat, per document and method."""
    documents = {label: d for label, d in documents.items() if "by_position" in d}
    if not documents:
        return []
    lines = [("Which kicks the model finds, by where they sit in the beat (recall, all songs' kicks "
              "pooled; the first rows give each position's share of the kicks):"), "",
             "| songs | codes | " + " | ".join(POSITION_LABELS[p] for p in POSITIONS) + " |",
             "|---|---|" + "---|" * len(POSITIONS)]
    for label, document in documents.items():
        shares = document["by_position"]["ground_truth"]
        lines.append(f"| {label} | share of kicks | " + " | ".join(f"{shares[p]['share']:.0%}" for p in POSITIONS) + " |")
    for label, document in documents.items():
        for method, name in (("ground_truth", "ground truth"), ("self_transfer", "self transfer")):
            recall = document["by_position"][method]
            lines.append(f"| {label} | {name} | " + " | ".join(
                "–" if recall[p]["recall"] is None else f"{recall[p]['recall']:.2f}" for p in POSITIONS) + " |")
    return lines + [""]


def _score_row(name: str, s: dict) -> str:
    return f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f']:.3f} |"


def _verdict(value: float, goal: float) -> str:
    return "met" if value >= goal else "**not met**"


STUDY_SUMMARY = "study.json"


def write_report(results: Path, out: Path, *, study_dir: Path | None = None) -> None:
    """Write the Markdown report from the results folder's JSON files, with the table of
    the model study's arms (`evaluation.study`): from `study_dir` when given (its summary
    is kept as results/study.json), else from that summary."""
    corpus, stages = _read(results, CORPUS_STATS), training_stages(results)
    lines = ["# kickgen: results of the shipped default model", "",
             ("Generated by `make report` from the JSON files in `docs/results/` "
             "(`kickgen eval` output, the corpus statistics and the training history). "
             "Validation songs come from style files that no training song uses."), ""]
    if corpus:
        lines += ["## Corpus", "",
                  f"{corpus['songs']} songs, {corpus['minutes']} minutes, from {corpus['style_files']} mma "
                  f"style files ({corpus['grooves']} grooves). Tempo {corpus['tempo_bpm']['min']:g}–"
                  f"{corpus['tempo_bpm']['max']:g} bpm (median {corpus['tempo_bpm']['median']:g}); meters "
                  + ", ".join(f"{m} ({n})" for m, n in corpus["meters"].items()) + ".", "",
                  "| split | songs | minutes | style files |", "|---|---|---|---|"]
        lines += [f"| {k} | {v['songs']} | {v['minutes']} | {v['style_files']} |" for k, v in corpus["by_split"].items()]
        lines += ["", "Songs per family: " + ", ".join(f"{f} {n}" for f, n in corpus["families"].items()) + ".", "",
                  f"Sources: {'; '.join(corpus['sources'].values())}.", ""]
    if stages:
        lines += training_lines(stages)
    validation: dict[str, dict] = {}
    for domain in DOMAINS:
        document = _read(results, f"eval-{domain}.json")
        if not document:
            continue
        validation[f"validation, {domain}"] = document
        mean = document["mean"]
        lines += [f"## Validation, {domain} domain ({document['n_songs']} songs)", "",
                  "| method | P | R | F |", "|---|---|---|---|",
                  *(_score_row(label, mean[method]) for method, label in METHOD_LABELS.items())]
        lines += [_score_row(f"baseline: {k.replace('_', ' ')}", v) for k, v in mean["baselines"].items()]
        lines += ["| paper, ground-truth codes | 0.943 | 0.816 | 0.867 |",
                  "| paper, style transfer to self | 0.781 | 0.707 | 0.723 |", ""]
        gt, st, loop = mean["ground_truth"]["f"], mean["self_transfer"]["f"], mean["baselines"]["looped_bar"]["f"]
        fitted = all("fit" in song.get("style_code", {}) for song in document.get("songs", []))
        bars = fitted and all(isinstance(song["style_code"]["code"][0], list) for song in document.get("songs", []))
        lines += [f"- Ground-truth codes F {gt:.3f}: goal ≥ {GOALS['ground_truth']} {_verdict(gt, GOALS['ground_truth'])}.",
                  (f"- Style transfer to self F {st:.3f} (each song's style "
                   f"{'a bar of codes' if bars else 'one code'} "
                   f"{'fitted to its own kicks' if fitted else 'the centroid of its largest code cluster'}): "
                   f"goal ≥ {GOALS['self_transfer']} "
                  f"{_verdict(st, GOALS['self_transfer'])}; above the looped commonest bar ({loop:.3f}): "
                  f"{'yes' if st > loop else '**no**'}.")]
        if "tempo_invariance" in document:
            study = document["tempo_invariance"]
            per = ", ".join(f"{float(f):.0%}: {v:.3f}" for f, v in study["mean_f"].items())
            lines.append(f"- Tempo invariance over {len(study['songs'])} songs, agreement F {per}; mean "
                         f"{study['mean_over_factors']:.3f}: goal ≥ {GOALS['tempo']} "
                         f"{_verdict(study['mean_over_factors'], GOALS['tempo'])}.")
        if "steering" in document:
            s = document["steering"]
            lines.append(f"- Steering: own style F {s['own']:.3f}, other songs' styles {s.get('other_styles', float('nan')):.3f}, "
                         f"zero code {s['zero_code']:.3f}, downbeat moved one beat {s['bar_shifted']:.3f}.")
        if "sampling" in document:
            study = document["sampling"]
            lines.append(f"- Sampling (20 codes a song from {study.get('codes_from', 'N(0, I)')}, 10 most varied kept) "
                         f"over {len(study['songs'])} songs: "
                         f"diversity {study['mean_diversity_picked']:.3f} (goal ≥ {GOALS['diversity']} "
                         f"{_verdict(study['mean_diversity_picked'], GOALS['diversity'])}), plausible "
                         f"{study['mean_plausible_share']:.1%} (goal ≥ {GOALS['plausible']:.0%} "
                         f"{_verdict(study['mean_plausible_share'], GOALS['plausible'])}"
                         + f"; the songs' own kick parts pass the same check in {study['own_kicks_plausible_share']:.1%}).")
        lines.append("")
        for figure, caption in ((f"tempo-{domain}.png", "tempo invariance"), (f"sampling-{domain}.png", "sampling")):
            if (results / figure).exists():
                lines += [f"![{caption}, {domain}](results/{figure})", ""]
        families = sorted(_songs_by(document, lambda song: song.get("family", "other")).items(), key=lambda item: -len(item[1]))
        lines += ["Style transfer to self by family: "
                  + ", ".join(f"{family} {sum(_song_f(s, 'self_transfer') for s in songs) / len(songs):.2f} "
                              f"({len(songs)})" for family, songs in families) + ".", ""]
        lines += _style_file_lines(document)
    lines += _generalisation_lines(results, validation)
    if study_dir is not None:
        with atomic_path(results / STUDY_SUMMARY, force=True) as tmp:
            tmp.write_text(json.dumps(study_summary(study_dir), indent=1) + "\n")
    lines += study_lines(_read(results, STUDY_SUMMARY) or {})
    with atomic_path(out, force=True) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
