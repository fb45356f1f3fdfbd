"""`kickgen render`: a kick part for a target song under a style code, written as MIDI
and, on request, as audio (the kick alone and a preview mix) and a picture."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kickgen.engine.producer.kick_audio import load_one_shot, preview_mix, render_kicks, write_wav
from kickgen.engine.producer.kick_midi import KickStyle, write_kick_midi
from kickgen.engine.producer.targets import Target
from kickgen.engine.runtime.bundle import ModelBundle
from kickgen.engine.runtime.kicks import kick_curve, quantize
from kickgen.engine.signals.frames import SAMPLE_RATE, Onsets
from kickgen.engine.signals.midi import RoleMap
from kickgen.engine.signals.peaks import pick_peaks


@dataclass(frozen=True)
class RenderSettings:
    """threshold: peak-picking threshold (0..1 of the curve's maximum); grid: "off",
    "1/16" or "1/32"; style: MIDI note and channel of the kicks."""

    threshold: float = 0.25
    grid: str = "off"
    style: KickStyle = field(default_factory=KickStyle)


def render_kicks_for(bundle: ModelBundle, target: Target, code: np.ndarray, settings: RenderSettings) -> tuple[np.ndarray, Onsets]:
    """The decoder's curve (T,) and the picked (and quantized) kicks."""
    curve = kick_curve(bundle, target.signals, code)
    kicks = pick_peaks(curve, threshold=settings.threshold, fps=target.signals.fps)
    return curve, quantize(kicks, target.signals.beat_times_s, grid=settings.grid)


def target_audio(target: Target, n_samples: int) -> list[np.ndarray]:
    """The target's own parts as audio for a preview: its stems, or for a MIDI target its
    snare and bass parts rendered with FluidSynth (GM soundfont)."""
    stems = list(target.stems.values())
    if not stems and target.midi_path is not None:
        import tempfile

        from kickgen.engine.signals.audio import load_audio
        from kickgen.engine.signals.fluidsynth import render_stem
        from kickgen.engine.signals.parts import extract_parts, write_part

        with tempfile.TemporaryDirectory() as tmp:
            parts = Path(tmp) / "parts.mid"
            extract_parts(target.midi_path, parts)
            for part in ("Snare", "Bass"):
                write_part(parts, part, Path(tmp) / f"{part}.mid")
                render_stem(Path(tmp) / f"{part}.mid", Path(tmp) / f"{part}.flac", n_samples=n_samples)
                stems.append(load_audio(Path(tmp) / f"{part}.flac"))
    return [np.pad(a, (0, max(0, n_samples - len(a))))[:n_samples] for a in stems]


def write_outputs(
    target: Target, kicks: Onsets, *, midi_out: Path, settings: RenderSettings, merge: bool = False,
    wav_out: Path | None = None, mix_out: Path | None = None, one_shot_path: Path | None = None,
    roles: RoleMap = RoleMap(), force: bool = False,
) -> list[Path]:
    """Write the MIDI (merged into the target when asked) and the optional audio; returns
    the paths written. Every file is written atomically; existing ones need `force`."""
    written = []
    write_kick_midi(midi_out, kicks, target.time_base, style=settings.style,
                    merge_with=target.midi if merge else None, roles=roles, force=force)
    written.append(midi_out)
    if wav_out or mix_out:
        n_samples = round(target.duration_s * SAMPLE_RATE)
        kick_audio = render_kicks(kicks, load_one_shot(one_shot_path), n_samples=n_samples)
        if wav_out:
            write_wav(wav_out, kick_audio, force=force)
            written.append(wav_out)
        if mix_out:
            write_wav(mix_out, preview_mix([kick_audio, *target_audio(target, n_samples)]), force=force)
            written.append(mix_out)
    return written

