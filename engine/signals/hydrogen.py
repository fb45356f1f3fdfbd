"""Real drum samples for the corpus's kick and snare stems: the kits of Debian's
`hydrogen-drumkits` (Hydrogen's drumkit.xml: instruments, velocity layers, samples),
each part's notes played with its kit's sample for their velocity."""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kickgen.engine.signals.audio import complex_domain_odf, load_audio
from kickgen.engine.signals.frames import HOP_LENGTH, SAMPLE_RATE, Onsets

HYDROGEN_KITS = Path("/usr/share/hydrogen/data/drumkits")
HYDROGEN_LICENCE = ("GPL-2, GPL-2+, CC-BY-3.0, CC-BY-SA-3.0 or CC0 by kit (Debian hydrogen-drumkits, "
                    "/usr/share/doc/hydrogen-drumkits/copyright)")
ROLE_NAMES = {"kick": re.compile(r"kick|bass ?drum|\bbd\b", re.IGNORECASE), "snare": re.compile(r"snare", re.IGNORECASE)}
NOT_THE_PLAIN_HIT = re.compile(r"roll|rim|djembe|tom|brush", re.IGNORECASE)
PEAK = 0.9  # a rendered stem's peak level, below clipping
ATTACK_LEVEL = 0.05  # a sample starts where it first reaches this share of its peak
MAX_ONSET_LAG_FRAMES = 1  # a kit is used only if its hits' onset curves peak this soon


@dataclass(frozen=True)
class Layer:
    """One velocity layer of an instrument: the sample played for velocities (0..1) in
    [low, high], at `gain`."""

    low: float
    high: float
    sample: Path
    gain: float


@dataclass(frozen=True)
class DrumKit:
    """A kit's name and the layers of its kick and of its snare."""

    name: str
    layers: dict[str, tuple[Layer, ...]]


def _child(element: ET.Element, tag: str, namespace: str) -> str | None:
    return element.findtext(namespace + tag)


def read_kit(folder: Path) -> DrumKit | None:
    """The kit in `folder` (its drumkit.xml), or None when it lacks a kick or a snare
    whose samples are there. The first instrument named like each role is taken."""
    try:
        root = ET.parse(folder / "drumkit.xml").getroot()
    except (OSError, ET.ParseError):
        return None
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    layers: dict[str, tuple[Layer, ...]] = {}
    for instrument in root.iter(ns + "instrument"):
        name = _child(instrument, "name", ns) or ""
        role = next((r for r, pattern in ROLE_NAMES.items() if pattern.search(name)), None)
        if role is None or role in layers or NOT_THE_PLAIN_HIT.search(name):
            continue
        found = []
        for layer in list(instrument.iter(ns + "layer")) or [instrument]:
            sample = folder / (_child(layer, "filename", ns) or "")
            if sample.is_file() and not NOT_THE_PLAIN_HIT.search(sample.name):
                found.append(Layer(float(_child(layer, "min", ns) or 0), float(_child(layer, "max", ns) or 1),
                                   sample, float(_child(layer, "gain", ns) or 1)))
        if found:
            layers[role] = tuple(sorted(found, key=lambda lay: lay.low))
    return DrumKit(root.findtext(ns + "name") or folder.name, layers) if set(layers) == set(ROLE_NAMES) else None


@functools.cache
def find_kits(root: Path = HYDROGEN_KITS) -> dict[str, DrumKit]:
    """Every usable kit under `root` by folder name (none when Hydrogen's kits are not
    installed): a kick and a snare whose loudest samples strike at once (`onset_lag_frames`)."""
    if not root.is_dir():
        return {}
    kits = {folder.name: read_kit(folder) for folder in sorted(root.iterdir()) if folder.is_dir()}
    return {name: kit for name, kit in kits.items() if kit is not None
            and all(onset_lag_frames(_sample(kit.layers[role][-1].sample)) <= MAX_ONSET_LAG_FRAMES for role in ROLE_NAMES)}


@functools.cache
def _sample(path: Path) -> np.ndarray:
    """A sample as mono 44.1 kHz audio, its leading silence cut (it starts 1 ms before it
    first reaches `ATTACK_LEVEL` of its peak), so that a note's sound starts on its time."""
    audio = load_audio(path)
    loud = np.flatnonzero(np.abs(audio) >= ATTACK_LEVEL * np.abs(audio).max(initial=0.0))
    return audio[max(0, int(loud[0]) - SAMPLE_RATE // 1000):] if len(loud) else audio


def onset_lag_frames(sample: np.ndarray) -> int:
    """Frames from a sample's start to the peak of its onset curve (the complex-domain
    ODF the audio features use); a kit whose hits peak later would teach late kicks."""
    padding = 10 * HOP_LENGTH
    return int(complex_domain_odf(np.concatenate([np.zeros(padding, np.float32), sample])).argmax()) - 10


def layer_for(layers: tuple[Layer, ...], velocity: float) -> Layer:
    """The layer whose range holds `velocity` (0..1); the nearest one when none does."""
    inside = [layer for layer in layers if layer.low <= velocity <= layer.high]
    return inside[-1] if inside else min(layers, key=lambda lay: min(abs(lay.low - velocity), abs(lay.high - velocity)))


def render_part(onsets: Onsets, kit: DrumKit, role: str, *, n_samples: int) -> np.ndarray:
    """Mono 44.1 kHz audio of `n_samples`: each onset plays the kit's `role` sample for its
    velocity, scaled by it; peaks above `PEAK` are scaled down to it."""
    out = np.zeros(n_samples, np.float32)
    for time_s, velocity in zip(onsets.times_s, onsets.velocities):
        layer = layer_for(kit.layers[role], float(velocity))
        sample = _sample(layer.sample)
        start = round(time_s * SAMPLE_RATE)
        if 0 <= start < n_samples:
            piece = sample[: n_samples - start]
            out[start:start + len(piece)] += float(velocity) * layer.gain * piece
    peak = float(np.abs(out).max(initial=0.0))
    return out * (PEAK / peak) if peak > PEAK else out
