"""Building the training corpus: songs planned over mma's hand-written grooves, each
rendered to a GM MIDI file (kick, snare and bass parts) and three 44.1 kHz audio stems
(FluidSynth), in the folder layout `corpus.manifest` describes.

A song is one style file's grooves chained as songs go (intro, a main groove and its
variations in 4- and 8-bar sections, a fill, an ending) over a chord progression, at a
tempo drawn from the style family's range. Validation takes whole style files.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from kickgen.engine.corpus.grooves import (
    MMA_LIBRARY,
    MMA_LICENCE,
    TEMPO_LIMITS_BPM,
    GrooveProbe,
    MmaError,
    StyleFile,
    discover_styles,
    groove_role,
    probe_groove,
    run_mma,
)
from kickgen.engine.corpus.manifest import (
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    PLAN_NAME,
    PROBES_NAME,
    SONGS_DIR,
    STEM_SUFFIX,
)
from kickgen.engine.signals.fluidsynth import SOUNDFONT, SOUNDFONT_LICENCE, check_synth, render_stem
from kickgen.engine.signals.frames import SAMPLE_RATE
from kickgen.engine.signals.parts import PART_NAMES, extract_parts, read_parts_midi, write_part
from kickgen.engine.util.atomic import atomic_path, creation_mode
from kickgen.engine.util.parallel import run_parallel

TAIL_S = 1.0  # audio kept after the last note-off, for release tails
FOCUS_FAMILIES = ("pop", "rock", "funk", "disco", "house", "techno", "hip-hop", "reggae", "soul", "drum-and-bass")
FOCUS_WEIGHT = 3.0  # a focus family's style file is drawn this much more often
VALIDATION_SHARE = 1 / 6
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
class SongPlan:
    """What one corpus song is: its style file, sections (groove, bars) and harmony."""

    song_id: str
    style: str
    family: str
    split: str
    tempo_bpm: float
    meter: str
    key: str
    progression: str
    sections: tuple[tuple[str, int], ...]
    mma_seed: int  # mma's humanization (random timing, velocity, skipped notes) is seeded with it

    def mma_source(self) -> str:
        """The song as an mma script: one chord per bar, one `Groove` line per section.
        `RndSeed` first: unseeded, mma would humanize every build of the song differently."""
        chords = PROGRESSIONS[self.progression]
        root = KEYS.index(self.key)
        lines = [f"RndSeed {self.mma_seed}", f"Tempo {self.tempo_bpm:g}", f"Use {self.style}"]
        bar = 0
        for groove, bars in self.sections:
            lines.append(f"Groove {groove}")
            for _ in range(bars):
                interval, quality = chords[bar % len(chords)]
                bar += 1
                lines.append(f"{bar} {KEYS[(root + interval) % 12]}{quality}")
        return "\n".join(lines) + "\n"


def _probe(item: tuple[str, str]) -> GrooveProbe:
    return probe_groove(*item)


def probe_library(styles: list[StyleFile], cache: Path, *, jobs: int, progress: bool) -> dict[tuple[str, str], GrooveProbe]:
    """Probe every groove of `styles`, reusing and extending the JSON cache at `cache`."""
    known: dict[tuple[str, str], GrooveProbe] = {}
    if cache.exists():
        for entry in json.loads(cache.read_text()):
            probe = GrooveProbe(**{**entry, "meter": tuple(entry["meter"])})
            known[(probe.style, probe.groove)] = probe
    todo = [(s.name, g) for s in styles for g in s.grooves if (s.name, g) not in known]
    for probe in run_parallel(_probe, todo, jobs=jobs, desc="probing grooves", unit="groove",
                              progress=progress):
        known[(probe.style, probe.groove)] = probe
    with atomic_path(cache, force=True) as tmp:
        tmp.write_text(json.dumps([asdict(p) for p in known.values()], indent=1))
    return known


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
    low, high = max(low, TEMPO_LIMITS_BPM[0]), min(high, TEMPO_LIMITS_BPM[1])
    song_id = f"{index:04d}-{style.name.replace('/', '-').lower()}"
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
    )


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


def render_song(job: tuple[SongPlan, Path]) -> dict:
    """Write one song's folder (in a staging folder, renamed when complete); returns its
    manifest entry. A finished folder of the same plan is kept (builds resume)."""
    plan, songs_dir = job
    final = songs_dir / plan.song_id
    plan_json = json.dumps(asdict(plan), indent=1)
    done = (final / PLAN_NAME).exists() and (final / PLAN_NAME).read_text() == plan_json
    if not done:
        songs_dir.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(dir=songs_dir, prefix=f".{plan.song_id}."))
        stage.chmod(creation_mode(directory=True))
        try:
            run_mma(plan.mma_source(), stage / "arrangement.mid")
            extract_parts(stage / "arrangement.mid", stage / "song.mid")
            (stage / "arrangement.mid").unlink()
            n_samples = round((read_parts_midi(stage / "song.mid").duration_s + TAIL_S) * SAMPLE_RATE)
            for part in PART_NAMES:
                part_midi = stage / f"{part.lower()}.mid"
                write_part(stage / "song.mid", part, part_midi)
                render_stem(part_midi, stage / f"{part.lower()}{STEM_SUFFIX}", n_samples=n_samples)
                part_midi.unlink()
            (stage / PLAN_NAME).write_text(plan_json)
            shutil.rmtree(final, ignore_errors=True)
            stage.rename(final)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    summary = read_parts_midi(final / "song.mid")
    return {
        **asdict(plan),
        "sections": [list(s) for s in plan.sections],
        "grooves": sorted({g for g, _ in plan.sections}),
        "duration_s": round(summary.duration_s, 3),
        "notes": {"kick": summary.kick, "snare": summary.snare, "bass": summary.bass},
        "path": f"{SONGS_DIR}/{plan.song_id}",
        "source_package": "mma",
        "licence": MMA_LICENCE,
    }


def build_corpus(
    out: Path, *, n_songs: int, seed: int = 0, jobs: int = 2, only_styles: tuple[str, ...] = (),
    library: Path = MMA_LIBRARY, progress: bool = True,
) -> list[dict]:
    """Probe the grooves, plan `n_songs` songs and render them into `out`; writes and
    returns the manifest's song entries."""
    if shutil.which("mma") is None:
        raise MmaError("mma is not installed (apt-get install mma; see `make corpus`)")
    check_synth()
    styles = discover_styles(library, only=only_styles)
    out.mkdir(parents=True, exist_ok=True)
    probes = probe_library(styles, out / PROBES_NAME, jobs=jobs, progress=progress)
    plans = plan_corpus(styles, probes, n_songs=n_songs, seed=seed)
    songs = run_parallel(render_song, [(p, out / SONGS_DIR) for p in plans], jobs=jobs,
                         desc="rendering songs", progress=progress)
    manifest = {
        "format": MANIFEST_FORMAT,
        "seed": seed,
        "sources": {
            "grooves": f"Debian package mma, {library}; licence {MMA_LICENCE}",
            "soundfont": f"Debian package fluid-soundfont-gm, {SOUNDFONT.name}; licence {SOUNDFONT_LICENCE}",
        },
        "songs": songs,
    }
    with atomic_path(out / MANIFEST_NAME, force=True) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1))
    return songs
