"""Human-written songs for the corpus: the MIDI music of Debian's `freedoom` (Freedoom's
two game soundtracks, composed by hand, with GM drums and bass), kept where a song has a
kick, a snare and a bass part. Whole songs go to training or validation."""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np

from kickgen.engine.corpus.manifest import PlannedSong
from kickgen.engine.corpus.sound import draw_sound
from kickgen.engine.signals.midi import absolute_events, role_onsets, tempo_map
from kickgen.engine.signals.parts import GM_ROLES

FREEDOOM_WADS = (Path("/usr/share/games/doom/freedoom1.wad"), Path("/usr/share/games/doom/freedoom2.wad"))
FREEDOOM_LICENCE = "BSD-3-Clause (Contributors to the Freedoom project, /usr/share/doc/freedoom/copyright)"
HUMAN_FAMILY = "game"


@dataclass(frozen=True)
class HumanSongPlan(PlannedSong):
    """One human-written song: where it comes from (`style`: "freedoom2/D_RUNNIN") and
    what it holds; its MIDI bytes are read from the package when the song is built."""

    source_package: str
    wad: str  # the package's file that holds the song
    soundfont: str = "fluidr3"  # the stems' sound (`corpus.sound.StemSound`)
    drum_kit: str = ""

    def write_arrangement(self, path: Path) -> None:
        """The song's MIDI file, as the package ships it."""
        path.write_bytes(wad_music(Path(self.wad))[self.style.split("/")[1]])


def wad_music(wad: Path) -> dict[str, bytes]:
    """The music lumps (D_*) of a Doom WAD that are standard MIDI files, by lump name."""
    data = wad.read_bytes()
    _, n_lumps, directory = struct.unpack("<4sii", data[:12])
    music = {}
    for i in range(n_lumps):
        position, size, raw_name = struct.unpack("<ii8s", data[directory + 16 * i: directory + 16 * (i + 1)])
        name = raw_name.rstrip(b"\0").decode("ascii", "replace")
        if name.startswith("D_") and data[position:position + 4] == b"MThd":
            music[name] = data[position:position + size]
    return music


def song_facts(midi_bytes: bytes) -> tuple[bool, float, str]:
    """Whether a MIDI song has kick, snare and bass notes (GM roles), its first tempo
    (bpm) and its first meter."""
    midi = mido.MidiFile(file=io.BytesIO(midi_bytes))
    events = absolute_events(midi)
    tempo = tempo_map(events, ticks_per_beat=midi.ticks_per_beat)
    onsets = role_onsets(midi, events, tempo, GM_ROLES)
    meter = next((f"{m.numerator}/{m.denominator}" for _, _, m in events if m.type == "time_signature"), "4/4")
    return all(len(onsets[r].times_s) for r in ("kick", "snare", "bass")), 60e6 / tempo.tempos_us[0], meter


def plan_human_songs(
    *, first_index: int, seed: int, validation_share: float, wads: tuple[Path, ...] = FREEDOOM_WADS,
) -> list[HumanSongPlan]:
    """A plan for every usable song of the installed Freedoom WADs (none when freedoom is
    not installed), numbered from `first_index`; `validation_share` of them, drawn with
    `seed`, are validation songs."""
    found = []
    for wad in wads:
        if wad.exists():
            for lump, midi_bytes in sorted(wad_music(wad).items()):
                usable, bpm, meter = song_facts(midi_bytes)
                if usable:
                    found.append((wad, f"{wad.stem}/{lump}", round(bpm, 1), meter))
    rng = np.random.default_rng([seed, 3])
    validation = set(rng.permutation(len(found))[: math.ceil(len(found) * validation_share)].tolist())
    plans = []
    for i, (wad, style, bpm, meter) in enumerate(found):
        song_id = f"{first_index + i:04d}-{style.replace('/', '-').lower()}"
        sound = draw_sound(song_id)
        plans.append(HumanSongPlan(song_id=song_id, style=style, family=HUMAN_FAMILY,
                                   split="validation" if i in validation else "train", tempo_bpm=bpm, meter=meter,
                                   source_package="freedoom", wad=str(wad), soundfont=sound.soundfont,
                                   drum_kit=sound.drum_kit))
    return plans
