"""`kickgen render` (a kick part for a song: MIDI, optionally WAV, a preview mix and a
picture) and `kickgen sample` (the most varied of many sampled styles). Run on
onnxruntime; never import torch."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from kickgen.engine.cli.common import (
    add_grid_flags,
    add_model_flag,
    add_preset_dir_flag,
    add_role_flags,
    check_outputs,
    grid_from,
    midi_channel,
    midi_note,
    non_negative_int,
    positive_int,
    preset_dir,
    roles_from,
    unit_interval,
)
from kickgen.engine.errors import InputFileError, OutputExistsError


def style_code(args: argparse.Namespace, bundle) -> tuple[np.ndarray, str]:
    """The code asked for: a preset (checked against the model) or a seeded sample."""
    from kickgen.engine.producer.preset_format import check_model
    from kickgen.engine.producer.preset_store import find_preset
    from kickgen.engine.runtime.style import sample_code

    if args.preset:
        stored = find_preset(args.preset, preset_dir(args))
        check_model(stored.preset, bundle.id, origin=str(stored.path), code_size=bundle.info.code_size)
        return stored.preset.code_array, f"preset {stored.preset.name!r}"
    seed = 0 if args.seed is None else args.seed
    code = sample_code(np.random.default_rng(seed), code_size=bundle.info.code_size, prior=bundle.style_prior)
    return code, f"random code (seed {seed})"


def run_render(args: argparse.Namespace) -> None:
    from kickgen.engine.producer.kick_midi import KickStyle
    from kickgen.engine.producer.render import RenderSettings, render_kicks_for, write_outputs
    from kickgen.engine.producer.targets import load_target
    from kickgen.engine.runtime.bundle import load_bundle
    from kickgen.engine.signals.audio import stems_in
    from kickgen.engine.util.atomic import atomic_outputs

    outputs = [p for p in (args.out, args.wav, args.mix, args.plot) if p is not None]
    read = [args.target, args.snare, args.bass, args.sample, args.grid_from, *stems_in(args.target, {"snare": None, "bass": None}).values()]
    check_outputs(outputs, args.force, inputs=read)
    bundle = load_bundle(args.model)
    code, described = style_code(args, bundle)
    target = load_target(args.target, snare=args.snare, bass=args.bass, roles=roles_from(args), grid=grid_from(args))
    settings = RenderSettings(threshold=bundle.peak_threshold(args.threshold), grid=args.quantize,
                              style=KickStyle(note=args.note, channel=args.channel))
    curve, kicks = render_kicks_for(bundle, target, code, settings)
    with atomic_outputs(outputs, force=args.force) as staged:  # every output, or none
        write_outputs(target, kicks, midi_out=staged[args.out], settings=settings, merge=args.merge,
                      wav_out=staged.get(args.wav), mix_out=staged.get(args.mix), one_shot_path=args.sample,
                      roles=roles_from(args), force=True)
        if args.plot:
            from kickgen.engine.plots import plot_render

            old = target.old_kick.times_s if target.old_kick is not None else None
            plot_render(target.signals.context, curve, kicks.times_s, staged[args.plot], fps=target.signals.fps,
                        downbeats_s=target.signals.downbeat_times_s, old_kicks_s=old,
                        title=f"{target.name}: {described}")
    bars = max(1, len(target.signals.downbeat_times_s))
    print(f"{len(kicks.times_s)} kicks in {bars} bars ({described}); wrote " + ", ".join(map(str, outputs)))


def run_sample(args: argparse.Namespace) -> None:
    from kickgen.engine.producer.targets import load_target
    from kickgen.engine.producer.variations import sample_variations
    from kickgen.engine.runtime.bundle import load_bundle

    if args.out.exists() and not args.out.is_dir():
        raise InputFileError(args.out, "is not a folder (the variations are written into one)")
    if args.out.exists() and any(args.out.iterdir()) and not args.force:
        raise OutputExistsError(args.out)
    bundle = load_bundle(args.model)
    target = load_target(args.target, snare=args.snare, bass=args.bass, roles=roles_from(args), grid=grid_from(args))
    written = sample_variations(bundle, target, args.out, n_samples=args.n, n_pick=args.pick, seed=args.seed,
                                threshold=bundle.peak_threshold(args.threshold), with_wav=args.wav, one_shot_path=args.sample,
                                force=args.force)
    print(f"kept the {len(written)} most varied of {args.n} sampled codes in {args.out} "
          "(codes.json turns one into a preset: kickgen preset save --code-from DIR/codes.json --index I --name N)")


def add_target_flags(p: argparse.ArgumentParser, *, required_target: bool = False) -> None:
    p.add_argument("target", type=Path, nargs=None if required_target else "?",
                   help="MIDI file, or a folder of snare/bass stems, or a stem file")
    p.add_argument("--snare", type=Path, help="snare stem (audio targets; with a MIDI target: heard in --mix)")
    p.add_argument("--bass", type=Path, help="bass stem (audio targets; with a MIDI target: heard in --mix)")
    add_role_flags(p)
    add_grid_flags(p)
    add_model_flag(p)


def add_style_flags(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--preset", help="preset name or .json path")
    group.add_argument("--seed", type=non_negative_int, help="sample a random style code with this seed (default 0)")
    add_preset_dir_flag(p)


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("render", help="write a kick part for a song (MIDI, optionally WAV, mix and plot)")
    add_target_flags(p)
    p.add_argument("-o", "--out", type=Path, required=True, help="MIDI file to write")
    add_style_flags(p)
    p.add_argument("--wav", type=Path, help="also render the kick with a one-shot sample to this WAV")
    p.add_argument("--mix", type=Path, help="also write a preview mix (kick + the song's snare and bass)")
    p.add_argument("--plot", type=Path, help="draw the context, the generated curve and the kicks")
    p.add_argument("--threshold", type=unit_interval,
                   help="peak threshold, 0..1 (lower: more kicks; default: the model's, from `kickgen calibrate`)")
    p.add_argument("--quantize", choices=("off", "1/16", "1/32"), default="off")
    p.add_argument("--note", type=midi_note, default=36, help="MIDI note of the kick (default 36)")
    p.add_argument("--channel", type=midi_channel, default=10, help="MIDI channel 1..16 (default 10)")
    p.add_argument("--sample", type=Path, help="one-shot kick sample for --wav/--mix (default: synthesized)")
    p.add_argument("--merge", action="store_true", help="write the whole song with the new kick part")
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.set_defaults(func=run_render)

    p = sub.add_parser("sample", help="audition many sampled styles: the most varied, as MIDI (and WAV)")
    add_target_flags(p)
    p.add_argument("-o", "--out", type=Path, required=True, help="folder for the variations")
    p.add_argument("-n", type=positive_int, default=20, help="codes to sample")
    p.add_argument("--pick", type=positive_int, default=10, help="how many of the most varied to keep")
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument("--threshold", type=unit_interval, help="peak threshold, 0..1 (default: the model's)")
    p.add_argument("--wav", action="store_true", help="also render each kept variation as WAV")
    p.add_argument("--sample", type=Path, help="one-shot kick sample for --wav (default: synthesized)")
    p.add_argument("--force", action="store_true", help="write into a folder that is not empty")
    p.set_defaults(func=run_sample)
