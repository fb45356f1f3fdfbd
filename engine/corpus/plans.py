"""What each corpus song over mma's grooves is (`SongPlan`): its style file, sections,
harmony, tempo, feel (swing, humanized timing and velocity) and sound, drawn with the
corpus's seed; and the split of style files into training and validation.

A song is one style file's grooves chained as songs go (intro, a main groove and its
variations in 4- and 8-bar sections, a fill, an ending) over a chord progression, at a
tempo drawn from the style family's range. Validation takes whole style files.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kickgen.engine.corpus.grooves import (
    TEMPO_LIMITS_BPM,
    GrooveProbe,
    MmaError,
    StyleFile,
    groove_role,
    run_mma,
)
from kickgen.engine.corpus.manifest import PlannedSong
from kickgen.engine.corpus.sound import draw_sound

FOCUS_FAMILIES = ("pop", "rock", "funk", "disco", "house", "techno", "hip-hop", "reggae", "soul", "drum-and-bass")
FOCUS_WEIGHT = 3.0  # a focus family's style file is drawn this much more often
VALIDATION_SHARE = 1 / 6
TEMPO_WIDENING = 0.1  # each family's tempo range, widened by this share at both ends
SWING_SHARE = 0.25  # share of songs played with swung eighths
MACHINE_FAMILIES = ("house", "techno", "disco", "drum-and-bass")  # mostly played without humanization
KEYS = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
# chord progressions as (semitones above the key, chord quality), one chord per bar
PROGRESSIONS: dict[str, tuple[tuple[int, str], ...]] = {
    "I-V-vi-IV": ((0, ""), (7, ""), (9, "m"), (5, "")),
    "I-vi-IV-V": ((0, ""), (9, "m"), (5, ""), (7, "")),
    "vi-IV-I-V": ((9, "m"), (5, ""), (0, ""), (7, "")),
    "I-IV-I-V": ((0, ""), (5, ""), (0, ""), (7, "")),
    "ii-V-I-VI": ((2, "m7"), (7, "7"), (0, "M7"), (9, "7")),
    "i-VII-VI-VII": ((0, "m"), (10, ""), (8, ""), (10, "")),
    "i-iv-v-i": ((0, "m"), (5, "m"), (7, "m"), (0, "m")),
    "12-bar blues": tuple((d, "7") for d in (0, 0, 0, 0, 5, 5, 0, 0, 7, 5, 0, 7)),
}


@dataclass(frozen=True)
class SongPlan(PlannedSong):
    """What one corpus song is: its style file, sections (groove, bars) and harmony."""

    key: str
    progression: str
    sections: tuple[tuple[str, int], ...]
    mma_seed: int  # mma's humanization (random timing, velocity, skipped notes) is seeded with it
    swing_skew: int = 0  # mma SwingMode skew, percent of a beat for the first eighth (0: as the groove is)
    humanize_ticks: int = 0  # mma RTime of every track: random timing, ± ticks of 192 a quarter
    velocity_spread: int = 0  # mma RVolume of every track: random velocity, ± percent
    soundfont: str = "fluidr3"  # the stems' sound (`corpus.sound.StemSound`)
    drum_kit: str = ""

    def mma_source(self) -> str:
        """The song as an mma script: one chord per bar, one `Groove` line per section,
        each followed by the song's feel (a groove restores its own swing and timing).
        `RndSeed` first: unseeded, mma would humanize every build of the song differently."""
        chords = PROGRESSIONS[self.progression]
        root = KEYS.index(self.key)
        lines = [f"RndSeed {self.mma_seed}", f"Tempo {self.tempo_bpm:g}", f"Use {self.style}"]
        feel = ([f"SwingMode On Skew={self.swing_skew}"] if self.swing_skew else []) + (
            [f"AllTracks RTime {self.humanize_ticks}"] if self.humanize_ticks else []) + (
            [f"AllTracks RVolume {self.velocity_spread}"] if self.velocity_spread else [])
        bar = 0
        for groove, bars in self.sections:
            lines.append(f"Groove {groove}")
            lines += feel
            for _ in range(bars):
                interval, quality = chords[bar % len(chords)]
                bar += 1
                lines.append(f"{bar} {KEYS[(root + interval) % 12]}{quality}")
        return "\n".join(lines) + "\n"

    def write_arrangement(self, path: Path) -> None:
        """The song's MIDI file, compiled by mma."""
        run_mma(self.mma_source(), path)


def usable_grooves(style: StyleFile, probes: dict[tuple[str, str], GrooveProbe]) -> dict[str, list[str]]:
    """The style's grooves that have kick, snare and bass, by role; main grooves share
    the meter of the first one (the base groove)."""
    by_role: dict[str, list[str]] = {"intro": [], "main": [], "fill": [], "ending": []}
    for groove in style.grooves:
        if probes[(style.name, groove)].usable:
            by_role[groove_role(groove)].append(groove)
    if by_role["main"]:
        meter = probes[(style.name, by_role["main"][0])].meter
        for role, grooves in by_role.items():
            by_role[role] = [g for g in grooves if probes[(style.name, g)].meter == meter]
    return by_role


def split_styles(styles: list[StyleFile], *, seed: int) -> dict[str, str]:
    """"train" or "validation" per style name: about a sixth of each family's style
    files (at least one where a family has two or more) go to validation."""
    rng = np.random.default_rng([seed, 1])
    split = {}
    families = sorted({s.family for s in styles})
    for family in families:
        names = sorted(s.name for s in styles if s.family == family)
        rng.shuffle(names)
        n_val = math.ceil(len(names) * VALIDATION_SHARE) if len(names) >= 2 else 0
        for i, name in enumerate(names):
            split[name] = "validation" if i < n_val else "train"
    return split


def plan_song(
    index: int, style: StyleFile, grooves: dict[str, list[str]], meter: tuple[int, int], split: str,
    rng: np.random.Generator,
) -> SongPlan:
    """One song over `style`'s usable `grooves` (by role)."""
    mains = sorted(grooves["main"], key=len)
    a = mains[0] if rng.random() < 0.6 else str(rng.choice(mains))
    b = str(rng.choice([g for g in mains if g != a] or [a]))
    form = str(rng.choice(["AAB", "ABA", "ABAB", "AABA"]))
    sections = []
    if grooves["intro"]:
        sections.append((str(rng.choice(grooves["intro"])), 4))
    for i, letter in enumerate(form):
        if i == len(form) - 1 and grooves["fill"]:
            sections.append((str(rng.choice(grooves["fill"])), 1))
        sections.append((a if letter == "A" else b, int(rng.choice([4, 8]))))
    if grooves["ending"]:
        sections.append((str(rng.choice(grooves["ending"])), 2))
    low, high = style.tempo_range_bpm
    low, high = max(low * (1 - TEMPO_WIDENING), TEMPO_LIMITS_BPM[0]), min(high * (1 + TEMPO_WIDENING), TEMPO_LIMITS_BPM[1])
    song_id = f"{index:04d}-{style.name.replace('/', '-').lower()}"
    sound = draw_sound(song_id)
    return SongPlan(
        song_id=song_id,
        style=style.name,
        family=style.family,
        split=split,
        tempo_bpm=float(round(rng.uniform(low, high))),
        meter=f"{meter[0]}/{meter[1]}",
        key=str(rng.choice(KEYS)),
        progression=str(rng.choice(list(PROGRESSIONS))),
        sections=tuple(sections),
        mma_seed=zlib.crc32(song_id.encode()),  # from the id, so that the other draws stay as they were
        **draw_feel(song_id, style.family),
        soundfont=sound.soundfont,
        drum_kit=sound.drum_kit,
    )


def draw_feel(song_id: str, family: str) -> dict[str, int]:
    """A song's swing and humanization, drawn with a generator seeded by its id: most
    songs are played by hand (timing within ±4-12 ticks, about ±10-30 ms at 120 bpm;
    velocities ±5-15 %), a share of them swung; machine families mostly stay exact."""
    rng = np.random.default_rng([zlib.crc32(song_id.encode()), 5])
    machine = family in MACHINE_FAMILIES and rng.random() < 0.7
    return {
        "swing_skew": int(rng.integers(55, 68)) if rng.random() < SWING_SHARE else 0,
        "humanize_ticks": 0 if machine else int(rng.integers(4, 13)),
        "velocity_spread": 0 if machine else int(rng.integers(5, 16)),
    }


def plan_corpus(
    styles: list[StyleFile], probes: dict[tuple[str, str], GrooveProbe], *, n_songs: int, seed: int
) -> list[SongPlan]:
    """`n_songs` plans: every usable style file once (while songs last), the rest drawn
    with focus families (pop, rock, funk, disco, house, techno, hip-hop, ...) weighted up."""
    usable = [(s, usable_grooves(s, probes)) for s in styles]
    usable = [(s, g) for s, g in usable if g["main"]]
    if not usable:
        raise MmaError("no groove of the chosen style files has kick, snare and bass")
    split = split_styles([s for s, _ in usable], seed=seed)
    rng = np.random.default_rng([seed, 2])
    weights = np.array([FOCUS_WEIGHT if s.family in FOCUS_FAMILIES else 1.0 for s, _ in usable])
    order = list(rng.permutation(len(usable)))[:n_songs]
    order += list(rng.choice(len(usable), size=n_songs - len(order), p=weights / weights.sum()))
    plans = []
    for index, which in enumerate(order):
        style, grooves = usable[which]
        meter = probes[(style.name, grooves["main"][0])].meter
        plans.append(plan_song(index, style, grooves, meter, split[style.name], rng))
    return plans
