"""The model bundle's files and facts: names, `bundle.json`, checksums and identity.

A bundle is a folder: `decoder.onnx` (context (B,4,T), code (B,16,T) -> kick (B,1,T)),
`encoder.onnx` (context, kick -> code) and `bundle.json` (`BundleInfo`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from kickgen.engine.errors import InputFileError

BUNDLE_FORMAT = 1
DECODER_FILE = "decoder.onnx"
ENCODER_FILE = "encoder.onnx"
INFO_FILE = "bundle.json"
ONNX_FILES = (DECODER_FILE, ENCODER_FILE)
BUNDLE_FILES = (INFO_FILE, *ONNX_FILES)


class BundleError(InputFileError):
    """A model bundle is incomplete, altered or of an unknown format."""


@dataclass(frozen=True)
class BundleInfo:
    """What `bundle.json` says about a bundle.

    receptive_field: frames, as `model.receptive_field` gives them ("encoder",
    "decoder", "decoder_left", "decoder_right"). training: what the model was trained
    on; metrics: what it reached, or None when not measured. sha256: hex digest per ONNX file.
    """

    format_version: int
    fps: float
    context_channels: tuple[str, ...]
    code_size: int
    receptive_field: dict[str, int]
    threshold: float
    training: dict
    metrics: dict | None
    sha256: dict[str, str]
    kickgen_version: str

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def read(cls, directory: Path) -> BundleInfo:
        path = directory / INFO_FILE
        try:
            data = json.loads(path.read_text())
            info = cls(**{**data, "context_channels": tuple(data["context_channels"])})
        except FileNotFoundError:
            raise BundleError(path, "missing from the model bundle") from None
        except (json.JSONDecodeError, TypeError, KeyError) as exc:
            raise BundleError(path, f"not a kickgen bundle.json ({exc})") from None
        if info.format_version != BUNDLE_FORMAT:
            raise BundleError(path, f"bundle format {info.format_version}; this kickgen reads {BUNDLE_FORMAT}")
        return info


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_files(directory: Path, info: BundleInfo) -> None:
    """Every ONNX file is present and matches its recorded sha256, else `BundleError`."""
    for name in ONNX_FILES:
        path = directory / name
        if not path.is_file():
            raise BundleError(path, "missing from the model bundle")
        if file_sha256(path) != info.sha256.get(name):
            raise BundleError(path, "sha256 does not match bundle.json (the file was altered)")


def bundle_id(directory: str | Path) -> str:
    """A bundle's identity: sha256 over its files' names and contents, in a fixed order."""
    digest = hashlib.sha256()
    for name in BUNDLE_FILES:
        digest.update(name.encode())
        digest.update(bytes.fromhex(file_sha256(Path(directory) / name)))
    return digest.hexdigest()
