"""Kick audio (DESIGN §4): a one-shot sample placed at every kick, its volume from the
kick's velocity (70..100 %), written as WAV through pedalboard; and a preview mix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pedalboard.io

from kickgen.engine.signals.audio import load_audio
from kickgen.engine.signals.frames import SAMPLE_RATE, Onsets
from kickgen.engine.util.atomic import atomic_path

PREVIEW_HEADROOM = 0.89  # peak level of a preview mix (about -1 dBFS)


def synth_kick(*, sr: int = SAMPLE_RATE) -> np.ndarray:
    """The default one-shot: a 0.45 s sine dropping from 150 Hz to 48 Hz with an
    exponential decay and a short click; (n,) float32, peak 0.9."""
    t = np.arange(int(0.45 * sr)) / sr
    freq = 48.0 + (150.0 - 48.0) * np.exp(-t / 0.03)
    phase = 2 * np.pi * np.cumsum(freq) / sr
    body = np.sin(phase) * np.exp(-t / 0.16)
    click = np.exp(-t / 0.0015) * np.random.default_rng(0).standard_normal(len(t)) * 0.25
    kick = body + click
    fade = min(len(t), int(0.01 * sr))
    kick[-fade:] *= np.linspace(1.0, 0.0, fade)
    return (0.9 * kick / np.abs(kick).max()).astype(np.float32)


def load_one_shot(path: Path | None) -> np.ndarray:
    """The user's sample (any format and rate, mixed to mono, at 44.1 kHz) or the default."""
    return synth_kick() if path is None else load_audio(path)


def render_kicks(kicks: Onsets, one_shot: np.ndarray, *, n_samples: int) -> np.ndarray:
    """Mono 44.1 kHz audio of `n_samples` with the one-shot at every kick (gain =
    velocity, 0.7..1); hits overlap additively."""
    out = np.zeros(n_samples + len(one_shot), np.float32)
    for time_s, velocity in zip(kicks.times_s, kicks.velocities):
        start = round(time_s * SAMPLE_RATE)
        if 0 <= start < n_samples:
            out[start:start + len(one_shot)] += velocity * one_shot
    return out[:n_samples]


def preview_mix(parts: list[np.ndarray]) -> np.ndarray:
    """Sum of mono parts (zero-padded to the longest), scaled to -1 dBFS peak."""
    n = max(len(p) for p in parts)
    mix = sum(np.pad(p, (0, n - len(p))) for p in parts)
    peak = float(np.abs(mix).max())
    return (mix * (PREVIEW_HEADROOM / peak) if peak > 0 else mix).astype(np.float32)


def write_wav(path: Path, audio: np.ndarray, *, force: bool = False) -> None:
    """Write mono float audio as a 16-bit 44.1 kHz WAV, atomically; clipped to ±1."""
    with atomic_path(path, force=force, suffix=".wav") as tmp, pedalboard.io.AudioFile(
        str(tmp), "w", samplerate=SAMPLE_RATE, num_channels=1, bit_depth=16
    ) as f:
        f.write(np.clip(audio, -1.0, 1.0)[None, :])
