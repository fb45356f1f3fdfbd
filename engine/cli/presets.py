"""`kickgen preset`: save a style learned from a reference song (or a sampled code),
list, show and delete presets. Runs on onnxruntime; never imports torch."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from kickgen.engine.cli.common import (
    add_grid_flags,
    add_model_flag,
    add_preset_dir_flag,
    add_role_flags,
    check_outputs,
    grid_from,
    non_negative_int,
    preset_dir,
    roles_from,
)
from kickgen.engine.errors import InputFileError


def run_preset_save(args: argparse.Namespace) -> None:
    from kickgen.engine.producer.preset_format import (
        check_name,
        new_preset,
        preset_from_style,
        save_preset,
    )
    from kickgen.engine.producer.preset_store import user_preset_path
    from kickgen.engine.producer.targets import load_reference_song
    from kickgen.engine.runtime.bundle import load_bundle
    from kickgen.engine.runtime.style import bar_steps, reference_style
    from kickgen.engine.signals.audio import stems_in

    check_name(args.name)
    path = user_preset_path(args.name, preset_dir(args))
    read = [args.reference, args.kick, args.snare, args.bass, args.code_from, args.grid_from,
            *stems_in(args.reference, {"kick": None, "snare": None, "bass": None}).values()]
    check_outputs([path, args.plot], args.force, inputs=read)
    bundle = load_bundle(args.model)
    if args.code_from is not None:
        from kickgen.engine.producer.variations import read_sampled_code

        code, target_name = read_sampled_code(args.code_from, args.index, model_id=bundle.id,
                                              code_size=bundle.info.code_size)
        preset = new_preset(args.name, code, model_id=bundle.id, source_file=args.code_from,
                            source_name=f"{args.code_from.name}#{args.index}", duration_s=0.0,
                            description=f"sampled code {args.index} of {target_name}")
        save_preset(preset, path, force=args.force)
        print(f"saved preset {args.name!r} to {path}")
        return
    if args.reference is None and args.kick is None:
        raise InputFileError("preset save", "give --from REFERENCE (MIDI file or stem folder) or --code-from")
    reference, source_file = load_reference_song(args.reference, kick=args.kick, snare=args.snare, bass=args.bass,
                                                 roles=roles_from(args), grid=grid_from(args))
    code_path, estimate = reference_style(bundle, bundle.context_of(reference), reference.kick,
                                           bar_steps(reference))
    preset = preset_from_style(args.name, estimate, model_id=bundle.id, source_file=source_file,
                               duration_s=reference.n_frames / reference.fps)
    save_preset(preset, path, force=args.force)
    if args.plot:
        from kickgen.engine.plots import plot_code_path

        plot_code_path(code_path, estimate, args.plot, fps=reference.fps, title=f"{args.name}: {source_file.name}")
    how = (f"fitted to its kicks, squared error {estimate.fit['mse_start']:.3f} -> {estimate.fit['mse_end']:.3f}"
           if estimate.fit else f"{estimate.share:.0%} of the song in the chosen cluster")
    print(f"saved preset {args.name!r} to {path} (k={estimate.k}, Davies-Bouldin {estimate.davies_bouldin:.3f}, {how})")


def run_preset_list(args: argparse.Namespace) -> None:
    from kickgen.engine.producer.preset_store import all_presets
    from kickgen.engine.runtime.bundle import load_bundle

    bundle = load_bundle(args.model)
    print(f"{'name':<26}{'origin':<9}{'model':<9}source")
    for stored in all_presets(preset_dir(args)):
        match = "ok" if stored.preset.model_id == bundle.id else "other"
        print(f"{stored.preset.name:<26}{stored.origin:<9}{match:<9}{stored.preset.source.get('file', '')}")


def run_preset_show(args: argparse.Namespace) -> None:
    from kickgen.engine.producer.preset_store import find_preset

    stored = find_preset(args.name, preset_dir(args))
    facts = {"path": str(stored.path), "origin": stored.origin, **stored.preset.to_json()}
    print(json.dumps(facts, indent=1))


def run_preset_delete(args: argparse.Namespace) -> None:
    from kickgen.engine.producer.preset_format import PresetError
    from kickgen.engine.producer.preset_store import find_preset

    stored = find_preset(args.name, preset_dir(args))
    if stored.origin != "user":
        raise PresetError(f"{args.name!r} is a {stored.origin} preset ({stored.path}); only your own can be deleted")
    stored.path.unlink()
    print(f"deleted {stored.path}")


def add_commands(sub: argparse._SubParsersAction) -> None:
    presets = sub.add_parser("preset", help="save, list, show and delete style presets").add_subparsers(
        dest="preset_command", required=True)
    p = presets.add_parser("save", help="learn a style from a reference song (or a sampled code)")
    p.add_argument("--from", dest="reference", type=Path, help="MIDI file with kick, snare and bass, or stem folder")
    p.add_argument("--kick", type=Path, help="kick stem (audio reference)")
    p.add_argument("--snare", type=Path, help="snare stem (audio reference)")
    p.add_argument("--bass", type=Path, help="bass stem (audio reference)")
    p.add_argument("--code-from", type=Path, help="codes.json from `kickgen sample`")
    p.add_argument("--index", type=non_negative_int, help="which code of --code-from")
    p.add_argument("--name", required=True)
    add_preset_dir_flag(p)
    p.add_argument("--plot", type=Path, help="draw the song's code path, its clusters and the style's codes")
    add_role_flags(p)
    add_grid_flags(p)
    add_model_flag(p)
    p.add_argument("--force", action="store_true", help="replace a preset of that name")
    p.set_defaults(func=run_preset_save)
    for name, func, text in (("list", run_preset_list, "your presets and the factory ones"),
                             ("show", run_preset_show, "one preset's facts"),
                             ("delete", run_preset_delete, "delete one of your presets")):
        p = presets.add_parser(name, help=text)
        if name != "list":
            p.add_argument("name", help="preset name or .json path")
        add_preset_dir_flag(p)
        add_model_flag(p)
        p.set_defaults(func=func)
