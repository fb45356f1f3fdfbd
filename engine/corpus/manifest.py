"""A corpus folder's layout and its manifest, the index every other step reads.

Layout of a corpus folder:
    manifest.json              every song's styles, grooves, tempo, meter, split, licence
    grooves.json               the probe of every groove (cached between builds)
    songs/<id>/song.mid        tempo map + "Kick", "Snare", "Bass" tracks
    songs/<id>/plan.json       what the song was built from (a rebuild reuses a song only
                               when its plan is unchanged)
    songs/<id>/{kick,snare,bass}.flac   mono, 44.1 kHz, all the same length
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kickgen.engine.errors import InputFileError
from kickgen.engine.util.json_files import read_json_file

MANIFEST_NAME, PROBES_NAME, SONGS_DIR, PLAN_NAME = "manifest.json", "grooves.json", "songs", "plan.json"
MANIFEST_FORMAT = 1
STEM_SUFFIX = ".flac"


@dataclass(frozen=True)
class PlannedSong:
    """What every corpus song's plan says of it, and its manifest entry repeats."""

    song_id: str
    style: str  # the mma style file, or a human song's package file and name
    family: str
    split: str  # "train" or "validation"
    tempo_bpm: float
    meter: str


def read_manifest(corpus: Path) -> dict:
    """The corpus's manifest; raises `InputFileError` when `corpus` holds none."""
    path = Path(corpus) / MANIFEST_NAME
    manifest = read_json_file(path, what="a corpus manifest",
                              missing="no such file (is this a corpus folder from `kickgen corpus build`?)")
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise InputFileError(path, "not a corpus manifest (unknown format)")
    return manifest
