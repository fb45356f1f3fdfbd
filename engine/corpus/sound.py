"""How a corpus song's stems sound: a GM soundfont for every part and, for some songs, a
Hydrogen kit whose real kick and snare samples play those parts; drawn per song from
what this machine has installed, and rendered from the song's parts file."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kickgen.engine.signals.fluidsynth import installed_soundfonts, render_stem, write_stem
from kickgen.engine.signals.hydrogen import find_kits, render_part
from kickgen.engine.signals.midi import absolute_events, read_midi, role_onsets, tempo_map
from kickgen.engine.signals.parts import GM_ROLES, PART_NAMES, write_part

KIT_SHARE = 0.4  # share of songs whose kick and snare stems come from a Hydrogen kit
KIT_PARTS = ("Kick", "Snare")


@dataclass(frozen=True)
class StemSound:
    """The soundfont (`signals.fluidsynth.SOUNDFONTS`) of every part, and the Hydrogen kit
    of the kick and snare ("": the soundfont's drums)."""

    soundfont: str = "fluidr3"
    drum_kit: str = ""


def draw_sound(song_id: str) -> StemSound:
    """A song's sound, drawn from the installed soundfonts and kits with a generator seeded
    by its id (so the corpus's other draws do not depend on what is installed)."""
    rng = np.random.default_rng([zlib.crc32(song_id.encode()), 7])
    soundfonts, kits = installed_soundfonts(), sorted(find_kits())
    soundfont = str(rng.choice(soundfonts))
    kit = str(rng.choice(kits)) if kits and rng.random() < KIT_SHARE else ""
    return StemSound(soundfont, kit)


def render_stems(parts_file: Path, folder: Path, sound: StemSound, *, n_samples: int, suffix: str) -> None:
    """Write `folder`/{kick,snare,bass}`suffix`, each of `n_samples`, from a parts file
    (`signals.parts.extract_parts`)."""
    kit = find_kits()[sound.drum_kit] if sound.drum_kit else None
    onsets = None
    for part in PART_NAMES:
        out = folder / f"{part.lower()}{suffix}"
        if kit is not None and part in KIT_PARTS:
            if onsets is None:
                midi = read_midi(parts_file)
                events = absolute_events(midi)
                onsets = role_onsets(midi, events, tempo_map(events, ticks_per_beat=midi.ticks_per_beat), GM_ROLES)
            write_stem(out, render_part(onsets[part.lower()], kit, part.lower(), n_samples=n_samples))
            continue
        part_midi = folder / f"{part.lower()}.mid"
        write_part(parts_file, part, part_midi)
        render_stem(part_midi, out, n_samples=n_samples, soundfont=sound.soundfont)
        part_midi.unlink()
