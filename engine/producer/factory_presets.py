"""Factory presets: the style codes of named reference songs of the corpus, made with
the shipped model (`kickgen corpus presets`)."""

from __future__ import annotations

from pathlib import Path

from kickgen.engine.corpus.manifest import read_manifest
from kickgen.engine.errors import InputFileError
from kickgen.engine.evaluation.reference_songs import load_reference
from kickgen.engine.evaluation.table import style_of
from kickgen.engine.producer.preset_format import preset_file_name, preset_from_style, save_preset
from kickgen.engine.runtime.bundle import ModelBundle

# (preset name, mma style file of its reference song, what it sounds like)
FACTORY: tuple[tuple[str, str, str], ...] = (
    ("house four-on-the-floor", "casio/house", "a kick on every beat under offbeat bass"),
    ("techno", "casio/techno", "straight techno drive"),
    ("disco", "casio/discosoul", "disco-soul: four on the floor with pickups"),
    ("rock eighths", "casio/poprock1", "pop-rock with eighth-note kick pickups"),
    ("heavy rock", "casio/heavymetal", "driving heavy-rock kick"),
    ("funk sixteenths", "casio/funk2", "syncopated sixteenth-note funk"),
    ("hip-hop", "alexis/hiphop", "laid-back hip-hop kick"),
    ("half-time trip-hop", "casio/triphop", "slow half-time feel"),
    ("ska offbeat", "stdlib/ska", "ska: kick under the offbeat skank"),
    ("shuffle", "casio/16shuffle2", "sixteenth shuffle groove"),
    ("soul", "stdlib/dsoul", "classic soul backbeat"),
    ("16-beat pop", "pflib/16beat2", "busy sixteenth-beat pop"),
)


def reference_song_of(corpus: Path, style: str) -> tuple[Path, dict]:
    """The first corpus song (by id) built from `style`."""
    for entry in sorted(read_manifest(corpus)["songs"], key=lambda e: e["song_id"]):
        if entry["style"] == style:
            return corpus / entry["path"], entry
    raise InputFileError(corpus, f"has no song of the style file {style}")


def make_factory_presets(
    corpus: Path, bundle: ModelBundle, out_dir: Path, *, force: bool = False,
    factory: tuple[tuple[str, str, str], ...] = FACTORY,
) -> list[Path]:
    """Write one preset per `factory` entry (name, style file, description) into
    `out_dir`; returns their paths."""
    written = []
    for name, style, description in factory:
        song_dir, entry = reference_song_of(corpus, style)
        song = load_reference(song_dir, domain="midi", meta=entry)
        _, estimate = style_of(bundle, song)
        preset = preset_from_style(
            name, estimate, model_id=bundle.id, source_file=song_dir / "song.mid",
            duration_s=song.signals.n_frames / song.signals.fps, source_name=f"{entry['path']}/song.mid",
            description=f"{description} (corpus song {entry['song_id']}, {entry['tempo_bpm']:g} bpm)",
        )
        path = out_dir / preset_file_name(name)
        save_preset(preset, path, force=force)
        written.append(path)
    return written
