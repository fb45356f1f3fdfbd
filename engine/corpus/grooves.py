"""Debian `mma`'s groove library: style files, their grooves, families and tempo ranges,
and a probe that keeps only grooves with a kick, a snare and a real bass part.

A style file (`casio/house.mma`) defines grooves (`House`, `HouseIntro`, `HouseEnd`);
variants of one groove share drums and bass, so corpus splits go by style file.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kickgen.engine.errors import KickgenError
from kickgen.engine.signals.parts import extract_parts, read_parts_midi

MMA_LIBRARY = Path("/usr/share/mma/lib")
MMA_LICENCE = "GPL-2+ (Bob van der Poel, /usr/share/doc/mma/copyright)"
DEF_GROOVE = re.compile(r"^\s*DefGroove\s+(\S+)", re.IGNORECASE | re.MULTILINE)
TEMPO_LIMITS_BPM = (60.0, 190.0)

# (family, keywords matched in the style file's name, sensible tempo range in bpm);
# the first family with a matching keyword wins.
FAMILIES: tuple[tuple[str, tuple[str, ...], tuple[float, float]], ...] = (
    ("ballad", ("ballad", "serenade", "lullaby", "ambient", "hymn", "spiritual"), (70, 90)),
    ("house", ("house",), (118, 128)),
    ("techno", ("techno", "trance", "rave"), (125, 140)),
    ("disco", ("disco", "dance", "boneym"), (112, 128)),
    ("hip-hop", ("hiphop", "hip-hop", "triphop", "trip"), (80, 100)),
    ("drum-and-bass", ("dnb",), (160, 176)),
    ("funk", ("funk", "fusion", "strut", "fus16"), (90, 116)),
    ("reggae", ("reggae", "ska", "calypso"), (76, 150)),
    ("rock", ("rock", "metal", "punk", "hrk", "mtl", "twist", "twi"), (100, 160)),
    ("soul", ("soul", "rnb", "r+b", "rb", "motown"), (80, 110)),
    ("pop", ("pop", "8beat", "16beat", "beat8", "beat16", "highfive", "shuffle", "bald", "electric"), (88, 126)),
    ("latin", ("latin", "salsa", "samba", "bossa", "mambo", "rhumba", "chacha", "son", "merengue",
               "beguine", "bolero", "tango", "afro", "cuban", "desert"), (90, 130)),
    ("jazz", ("jazz", "swing", "bebop", "bigband", "dixie", "foxtrot", "quickstep", "charleston",
              "evans", "softshoe", "jive", "broadway", "showtune", "basie", "trio", "thr"), (90, 180)),
    ("country", ("country", "cntry", "count", "western", "bluegrass", "folk", "zydeco", "2beat"), (90, 150)),
    ("blues", ("blues", "boogie", "boggie"), (70, 120)),
    ("march", ("march", "polka"), (100, 128)),
    ("waltz", ("waltz",), (80, 160)),
)
OTHER_FAMILY = ("other", (), (80, 140))


class MmaError(KickgenError):
    """mma or FluidSynth is missing or failed."""


@dataclass(frozen=True)
class StyleFile:
    """One groove file of the library: `name` like "casio/house", its groove names."""

    name: str
    grooves: tuple[str, ...]

    @property
    def family(self) -> str:
        return family_of(self.name)[0]

    @property
    def tempo_range_bpm(self) -> tuple[float, float]:
        return family_of(self.name)[2]


@dataclass(frozen=True)
class GrooveProbe:
    """What a few bars of a groove hold: note counts per part and its meter."""

    style: str
    groove: str
    kicks: int
    snares: int
    bass_notes: int
    meter: tuple[int, int]
    problem: str = ""  # why mma could not render it, when it could not

    @property
    def usable(self) -> bool:
        return self.kicks > 0 and self.snares > 0 and self.bass_notes > 0


def family_of(style_name: str) -> tuple[str, tuple[str, ...], tuple[float, float]]:
    stem = style_name.split("/")[-1].lower()
    return next((f for f in FAMILIES if any(k in stem for k in f[1])), OTHER_FAMILY)


def groove_role(groove: str) -> str:
    """"intro", "ending", "fill" or "main" from a groove's name."""
    upper = groove.upper()
    for role, marker in (("intro", "INTRO"), ("ending", "END"), ("fill", "FILL")):
        if marker in upper:
            return role
    return "main"


def discover_styles(library: Path = MMA_LIBRARY, *, only: tuple[str, ...] = ()) -> list[StyleFile]:
    """Style files of `library` (sorted), optionally only those named in `only`."""
    if not library.is_dir():
        raise MmaError(f"{library}: mma's groove library is missing (apt-get install mma)")
    styles = []
    for path in sorted(library.glob("*/*.mma")):
        name = f"{path.parent.name}/{path.stem}"
        if only and name not in only:
            continue
        grooves = tuple(dict.fromkeys(DEF_GROOVE.findall(path.read_text(errors="replace"))))
        if grooves:
            styles.append(StyleFile(name, grooves))
    missing = set(only) - {s.name for s in styles}
    if missing:
        raise MmaError(f"{library}: no style file {', '.join(sorted(missing))}")
    return styles


def run_mma(source: str, midi_path: Path) -> None:
    """Compile mma `source` text to the MIDI file `midi_path`."""
    if shutil.which("mma") is None:
        raise MmaError("mma is not installed (apt-get install mma)")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "song.mma"
        script.write_text(source)
        result = subprocess.run(["mma", "-f", str(midi_path), str(script)], capture_output=True, text=True)
    if result.returncode != 0 or not midi_path.exists():
        last = (result.stdout + result.stderr).strip().splitlines()[-1:] or ["no output"]
        raise MmaError(f"mma failed: {last[0]}")


def probe_groove(style: str, groove: str) -> GrooveProbe:
    """Render four bars of `groove` and count its kick, snare and bass notes (all zero,
    with the problem, when mma renders nothing)."""
    source = f"RndSeed 1\nTempo 120\nUse {style}\nGroove {groove}\n" + "".join(f"{b} C\n" for b in range(1, 5))
    with tempfile.TemporaryDirectory() as tmp:
        raw, parts = Path(tmp) / "raw.mid", Path(tmp) / "parts.mid"
        try:
            run_mma(source, raw)
        except MmaError as exc:
            return GrooveProbe(style, groove, 0, 0, 0, (4, 4), str(exc))
        extract_parts(raw, parts)
        song = read_parts_midi(parts)
    return GrooveProbe(style, groove, song.kick, song.snare, song.bass, song.meter)
