"""The producer's commands of `kickgen`: `preset` (save, list, show, delete), `render`
and `sample`. They run on onnxruntime and never import torch."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from kickgen.engine.errors import InputFileError, OutputExistsError


def _bundle(path: Path | None):
    from kickgen.engine.runtime import ModelBundle

    return ModelBundle.load(path) if path else ModelBundle.default()


def _roles(args: argparse.Namespace):
    from kickgen.engine.signals_midi import RoleMap

    roles = RoleMap()
    if args.snare_notes:
        roles = RoleMap(**{**roles.__dict__, "snare_notes": tuple(args.snare_notes)})
    if args.bass_channels:
        roles = RoleMap(**{**roles.__dict__, "bass_channels": tuple(c - 1 for c in args.bass_channels)})
    return roles


def _target(args: argparse.Namespace):
    from kickgen.engine.targets import load_target

    return load_target(args.target, snare=args.snare, bass=args.bass, roles=_roles(args))


def _preset_dir(args: argparse.Namespace) -> Path:
    from kickgen.engine.preset_store import user_preset_dir

    return args.preset_dir or user_preset_dir()


def _check_outputs(paths: list[Path | None], force: bool) -> None:
    for path in paths:
        if path is not None and path.exists() and not force:
            raise OutputExistsError(path)
        if path is not None and path.parent.exists() and not path.parent.is_dir():
            raise InputFileError(path.parent, "is not a folder")


def style_code(args: argparse.Namespace, bundle) -> tuple[np.ndarray, str]:
    """The code asked for: a preset (checked against the model) or a seeded sample."""
    from kickgen.engine.preset_files import check_model
    from kickgen.engine.preset_store import find_preset
    from kickgen.engine.style import sample_code

    if args.preset:
        stored = find_preset(args.preset, _preset_dir(args))
        check_model(stored.preset, bundle.id, origin=str(stored.path))
        return stored.preset.code_array, f"preset {stored.preset.name!r}"
    seed = 0 if args.seed is None else args.seed
    return sample_code(np.random.default_rng(seed), code_size=bundle.info.code_size), f"random code (seed {seed})"


# --- preset ---------------------------------------------------------------------------

def run_preset_save(args: argparse.Namespace) -> None:
    from kickgen.engine.preset_files import Preset, check_name, preset_from_style, save_preset
    from kickgen.engine.preset_store import user_preset_path
    from kickgen.engine.style import StyleEstimate, infer_style

    check_name(args.name)
    path = user_preset_path(args.name, _preset_dir(args))
    _check_outputs([path, args.plot], args.force)
    bundle = _bundle(args.model)
    if args.code_from is not None:
        codes = _read_codes(args.code_from)
        if args.index is None or not 0 <= args.index < len(codes["codes"]):
            raise InputFileError(args.code_from, f"--index must be 0..{len(codes['codes']) - 1}")
        if codes["model"] != bundle.id:
            raise InputFileError(args.code_from, f"made with model {codes['model'][:12]}, not {bundle.id[:12]}")
        code = np.asarray(codes["codes"][args.index], dtype=np.float32)
        preset = Preset(name=args.name, code=tuple(map(float, code)), model_id=bundle.id,
                        source={"file": f"{args.code_from.name}#{args.index}", "sha256": "", "duration_s": 0.0},
                        clustering=None, description=f"sampled code {args.index} of {codes.get('target', '')}")
        save_preset(preset, path, force=args.force)
        print(f"saved preset {args.name!r} to {path}")
        return
    if args.reference is None and args.kick is None:
        raise InputFileError("preset save", "give --from REFERENCE (MIDI file or stem folder) or --code-from")
    reference, source_file = _reference(args)
    code_path = bundle.encode(reference.context, reference.kick)
    estimate: StyleEstimate = infer_style(code_path)
    preset = preset_from_style(args.name, estimate, model_id=bundle.id, source_file=source_file,
                               duration_s=reference.n_frames / reference.fps)
    save_preset(preset, path, force=args.force)
    if args.plot:
        from kickgen.engine.plots import plot_code_path

        plot_code_path(code_path, estimate, args.plot, fps=reference.fps, title=f"{args.name}: {source_file.name}")
    print(f"saved preset {args.name!r} to {path} (k={estimate.k}, Davies-Bouldin {estimate.davies_bouldin:.3f}, "
          f"{estimate.share:.0%} of the song in the chosen cluster)")


def _reference(args: argparse.Namespace):
    """The reference song's signals with its kick, and the file that names it."""
    from kickgen.engine.signals_audio import signals_from_audio
    from kickgen.engine.signals_midi import midi_song
    from kickgen.engine.targets import AUDIO_SUFFIXES

    ref = args.reference
    if ref is not None and ref.is_file() and ref.suffix.lower() not in AUDIO_SUFFIXES:
        signals, onsets = midi_song(ref, roles=_roles(args), required=("snare", "bass"))
        if not len(onsets["kick"].times_s):
            raise InputFileError(ref, "has no kick notes: a preset learns the style of a song's kick")
        return signals, ref
    stems = {"kick": args.kick, "snare": args.snare, "bass": args.bass}
    if ref is not None and ref.is_dir():
        for path in sorted(ref.iterdir()):
            if path.stem.lower() in stems and path.suffix.lower() in AUDIO_SUFFIXES:
                stems[path.stem.lower()] = stems[path.stem.lower()] or path
    elif ref is not None and not ref.exists():
        raise InputFileError(ref, "no such file or folder")
    if stems["kick"] is None:
        raise InputFileError(ref or "preset save", "no kick stem (give --kick K.wav or a folder holding kick.wav)")
    return signals_from_audio(snare=stems["snare"], bass=stems["bass"], kick=stems["kick"]), stems["kick"]


def _read_codes(path: Path) -> dict:
    from kickgen.engine.jsonable import read_json_file

    return read_json_file(path, what="a codes.json from `kickgen sample`")


def run_preset_list(args: argparse.Namespace) -> None:
    from kickgen.engine.preset_store import all_presets

    bundle = _bundle(args.model)
    print(f"{'name':<26}{'origin':<9}{'model':<9}source")
    for stored in all_presets(_preset_dir(args)):
        match = "ok" if stored.preset.model_id == bundle.id else "other"
        print(f"{stored.preset.name:<26}{stored.origin:<9}{match:<9}{stored.preset.source.get('file', '')}")


def run_preset_show(args: argparse.Namespace) -> None:
    from kickgen.engine.preset_store import find_preset

    stored = find_preset(args.name, _preset_dir(args))
    facts = {"path": str(stored.path), "origin": stored.origin, **stored.preset.to_json()}
    print(json.dumps(facts, indent=1))


def run_preset_delete(args: argparse.Namespace) -> None:
    from kickgen.engine.preset_files import PresetError
    from kickgen.engine.preset_store import find_preset

    stored = find_preset(args.name, _preset_dir(args))
    if stored.origin != "user":
        raise PresetError(f"{args.name!r} is a {stored.origin} preset ({stored.path}); only your own can be deleted")
    stored.path.unlink()
    print(f"deleted {stored.path}")


# --- render and sample ----------------------------------------------------------------

def run_render(args: argparse.Namespace) -> None:
    from kickgen.engine.kick_midi import KickStyle
    from kickgen.engine.render import RenderSettings, render_kicks_for, write_outputs

    _check_outputs([args.out, args.wav, args.mix, args.plot], args.force)
    bundle = _bundle(args.model)
    code, described = style_code(args, bundle)
    target = _target(args)
    settings = RenderSettings(threshold=args.threshold, grid=args.quantize,
                              style=KickStyle(note=args.note, channel=args.channel))
    curve, kicks = render_kicks_for(bundle, target, code, settings)
    written = write_outputs(target, kicks, midi_out=args.out, settings=settings, merge=args.merge,
                            wav_out=args.wav, mix_out=args.mix, one_shot_path=args.sample,
                            roles=_roles(args), force=args.force)
    if args.plot:
        from kickgen.engine.plots import plot_render

        old = target.old_kick.times_s if target.old_kick is not None else None
        plot_render(target.signals.context, curve, kicks.times_s, args.plot, fps=target.signals.fps,
                    downbeats_s=target.signals.downbeat_times_s, old_kicks_s=old,
                    title=f"{target.name}: {described}")
        written.append(args.plot)
    bars = max(1, len(target.signals.downbeat_times_s))
    print(f"{len(kicks.times_s)} kicks in {bars} bars ({described}); wrote " + ", ".join(map(str, written)))


def run_sample(args: argparse.Namespace) -> None:
    from kickgen.engine.sampling import sample_variations

    if args.out.exists() and any(args.out.iterdir()) and not args.force:
        raise OutputExistsError(args.out)
    bundle = _bundle(args.model)
    target = _target(args)
    written = sample_variations(bundle, target, args.out, n_samples=args.n, n_pick=args.pick, seed=args.seed,
                                threshold=args.threshold, with_wav=args.wav, one_shot_path=args.sample,
                                force=args.force)
    print(f"kept the {len(written)} most varied of {args.n} sampled codes in {args.out} "
          "(codes.json turns one into a preset: kickgen preset save --code-from DIR/codes.json --index I --name N)")


# --- parser ---------------------------------------------------------------------------

def _add_target_flags(p: argparse.ArgumentParser, *, required_target: bool = False) -> None:
    p.add_argument("target", type=Path, nargs=None if required_target else "?",
                   help="MIDI file, or a folder of snare/bass stems, or a stem file")
    p.add_argument("--snare", type=Path, help="snare stem (audio targets; with a MIDI target: heard in --mix)")
    p.add_argument("--bass", type=Path, help="bass stem (audio targets; with a MIDI target: heard in --mix)")
    p.add_argument("--snare-notes", type=int, nargs="+", metavar="NOTE",
                   help="MIDI notes on channel 10 that are the snare (default 38 40 39 37)")
    p.add_argument("--bass-channels", type=int, nargs="+", metavar="CH",
                   help="1-based MIDI channels whose notes are the bass (besides GM bass programs)")
    p.add_argument("--model", type=Path, help="model bundle folder (default: the shipped model)")


def _add_style_flags(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--preset", help="preset name or .json path")
    group.add_argument("--seed", type=int, help="sample a random style code with this seed (default 0)")
    p.add_argument("--preset-dir", type=Path, help="your preset folder (default: the user data folder)")


def add_commands(sub: argparse._SubParsersAction, positive_int) -> None:
    presets = sub.add_parser("preset", help="save, list, show and delete style presets").add_subparsers(
        dest="preset_command", required=True)
    p = presets.add_parser("save", help="learn a style from a reference song (or a sampled code)")
    p.add_argument("--from", dest="reference", type=Path, help="MIDI file with kick, snare and bass, or stem folder")
    p.add_argument("--kick", type=Path, help="kick stem (audio reference)")
    p.add_argument("--snare", type=Path, help="snare stem (audio reference)")
    p.add_argument("--bass", type=Path, help="bass stem (audio reference)")
    p.add_argument("--code-from", type=Path, help="codes.json from `kickgen sample`")
    p.add_argument("--index", type=int, help="which code of --code-from")
    p.add_argument("--name", required=True)
    p.add_argument("--preset-dir", type=Path, help="your preset folder (default: the user data folder)")
    p.add_argument("--plot", type=Path, help="draw the song's code path, its clusters and the chosen centroid")
    p.add_argument("--snare-notes", type=int, nargs="+", metavar="NOTE")
    p.add_argument("--bass-channels", type=int, nargs="+", metavar="CH")
    p.add_argument("--model", type=Path, help="model bundle folder (default: the shipped model)")
    p.add_argument("--force", action="store_true", help="replace a preset of that name")
    p.set_defaults(func=run_preset_save)
    for name, func, text in (("list", run_preset_list, "your presets and the factory ones"),
                             ("show", run_preset_show, "one preset's facts"),
                             ("delete", run_preset_delete, "delete one of your presets")):
        p = presets.add_parser(name, help=text)
        if name != "list":
            p.add_argument("name", help="preset name or .json path")
        p.add_argument("--preset-dir", type=Path, help="your preset folder (default: the user data folder)")
        p.add_argument("--model", type=Path, help="model bundle folder (default: the shipped model)")
        p.set_defaults(func=func)

    p = sub.add_parser("render", help="write a kick part for a song (MIDI, optionally WAV, mix and plot)")
    _add_target_flags(p)
    p.add_argument("-o", "--out", type=Path, required=True, help="MIDI file to write")
    _add_style_flags(p)
    p.add_argument("--wav", type=Path, help="also render the kick with a one-shot sample to this WAV")
    p.add_argument("--mix", type=Path, help="also write a preview mix (kick + the song's snare and bass)")
    p.add_argument("--plot", type=Path, help="draw the context, the generated curve and the kicks")
    p.add_argument("--threshold", type=float, default=0.25, help="peak threshold, 0..1 (lower: more kicks)")
    p.add_argument("--quantize", choices=("off", "1/16", "1/32"), default="off")
    p.add_argument("--note", type=int, default=36, help="MIDI note of the kick (default 36)")
    p.add_argument("--channel", type=int, default=10, help="MIDI channel 1..16 (default 10)")
    p.add_argument("--sample", type=Path, help="one-shot kick sample for --wav/--mix (default: synthesized)")
    p.add_argument("--merge", action="store_true", help="write the whole song with the new kick part")
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.set_defaults(func=run_render)

    p = sub.add_parser("sample", help="audition many sampled styles: the most varied, as MIDI (and WAV)")
    _add_target_flags(p)
    p.add_argument("-o", "--out", type=Path, required=True, help="folder for the variations")
    p.add_argument("-n", type=positive_int, default=20, help="codes to sample")
    p.add_argument("--pick", type=positive_int, default=10, help="how many of the most varied to keep")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threshold", type=float, default=0.25)
    p.add_argument("--wav", action="store_true", help="also render each kept variation as WAV")
    p.add_argument("--sample", type=Path, help="one-shot kick sample for --wav (default: synthesized)")
    p.add_argument("--force", action="store_true", help="write into a folder that is not empty")
    p.set_defaults(func=run_sample)
