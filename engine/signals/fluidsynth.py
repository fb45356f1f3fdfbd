"""MIDI parts to audio with FluidSynth and a GM soundfont: the corpus's stems, and the
snare and bass a preview mix of a MIDI song lets the producer hear."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pedalboard.io

from kickgen.engine.errors import KickgenError
from kickgen.engine.signals.audio import load_audio
from kickgen.engine.signals.frames import SAMPLE_RATE

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")  # the default, from fluid-soundfont-gm
SOUNDFONT_LICENCE = "MIT (Frank Wen, /usr/share/doc/fluid-soundfont-gm/copyright)"
# every GM soundfont the corpus may render with, by name: (file, Debian package, licence)
SOUNDFONTS = {
    "fluidr3": (SOUNDFONT, "fluid-soundfont-gm", SOUNDFONT_LICENCE),
    "timgm6mb": (Path("/usr/share/sounds/sf2/TimGM6mb.sf2"), "timgm6mb-soundfont",
                 "GPL-2 (Tim Brechbill, /usr/share/doc/timgm6mb-soundfont/copyright)"),
}


def installed_soundfonts() -> list[str]:
    """The names of `SOUNDFONTS` whose file is on this machine."""
    return [name for name, (path, _, _) in SOUNDFONTS.items() if path.exists()]


class SynthError(KickgenError):
    """FluidSynth or its soundfont is missing, or FluidSynth failed."""


def check_synth() -> None:
    """Raise `SynthError` naming what to install when FluidSynth or the soundfont is missing."""
    if shutil.which("fluidsynth") is None:
        raise SynthError("fluidsynth is not installed (apt-get install fluidsynth)")
    if not SOUNDFONT.exists():
        raise SynthError(f"{SOUNDFONT}: missing (apt-get install fluid-soundfont-gm)")


def render_stem(part_midi: Path, out: Path, *, n_samples: int, soundfont: str = "fluidr3") -> None:
    """Render a one-part MIDI file with FluidSynth and the named soundfont (`SOUNDFONTS`)
    to a mono 44.1 kHz 16-bit stem of exactly `n_samples` samples (`out`'s suffix picks
    the format: .flac, .wav)."""
    check_synth()
    path, package, _ = SOUNDFONTS[soundfont]
    if not path.exists():
        raise SynthError(f"{path}: missing (apt-get install {package})")
    audio = synthesize(part_midi, path, out.with_suffix(".wav"))
    write_stem(out, np.pad(audio, (0, max(0, n_samples - len(audio))))[:n_samples])


def write_stem(out: Path, audio: np.ndarray) -> None:
    """Write mono 44.1 kHz audio as a 16-bit file (.flac, .wav), clipped to ±1."""
    with pedalboard.io.AudioFile(str(out), "w", samplerate=SAMPLE_RATE, num_channels=1, bit_depth=16) as f:
        f.write(np.clip(audio, -1.0, 1.0)[None, :])


def synthesize(part_midi: Path, soundfont: Path, wav: Path) -> np.ndarray:
    """FluidSynth's rendering of `part_midi` (through the temporary file `wav`) as mono
    float32 at 44.1 kHz."""
    cmd = ["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.6", "-r", str(SAMPLE_RATE),
           "-F", str(wav), str(soundfont), str(part_midi)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0 or not wav.exists():
        raise SynthError(f"fluidsynth failed on {part_midi}: {result.stderr.strip()[:200]}")
    audio = load_audio(wav)
    wav.unlink()
    return audio
