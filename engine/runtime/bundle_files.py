"""The model bundle's files and facts: names, `bundle.json`, checksums and identity.

A bundle is a folder: `decoder.onnx` (context (B,4,T), code (B,16,T) -> kick (B,1,T)),
`encoder.onnx` (context, kick -> code) and `bundle.json` (`BundleInfo`); bundles exported
since style fitting also hold `features.onnx` (context -> U x (B,C,T)) and `style_fit.onnx`
(U x, code (B,16), kick -> squared error (B,), its gradient (B,16)). Those two are derived
from the same weights, so they are checked by sha256 but are not part of the identity.
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
FEATURES_FILE = "features.onnx"
STYLE_FIT_FILE = "style_fit.onnx"
FIT_FILES = (FEATURES_FILE, STYLE_FIT_FILE)


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
    downbeat_form: str = "impulses"  # how the model reads the downbeat channel (bundles before it: impulses)
    style_prior: dict | None = None  # `StylePrior.to_json` once `kickgen calibrate` has run (else random styles are N(0, I))

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def read(cls, directory: Path) -> BundleInfo:
        path = directory / INFO_FILE
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise BundleError(path, "missing from the model bundle") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BundleError(path, f"not a kickgen bundle.json ({exc})") from None
        version = data.get("format_version") if isinstance(data, dict) else None
        if version != BUNDLE_FORMAT:
            raise BundleError(path, f"bundle format {version!r}; this kickgen reads format {BUNDLE_FORMAT}")
        try:
            info = cls(**{**data, "context_channels": tuple(data["context_channels"])})
        except (TypeError, KeyError) as exc:
            raise BundleError(path, f"not a kickgen bundle.json ({exc})") from None
        if not isinstance(info.sha256, dict) or not isinstance(info.receptive_field, dict):
            raise BundleError(path, "not a kickgen bundle.json (sha256 and receptive_field must be objects)")
        return info


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def graph_files(info: BundleInfo) -> tuple[str, ...]:
    """The bundle's ONNX files: the decoder and encoder, and the fitting graphs when
    bundle.json lists them."""
    return (*ONNX_FILES, *(FIT_FILES if STYLE_FIT_FILE in info.sha256 else ()))


def verify_files(directory: Path, info: BundleInfo) -> str:
    """Check that every ONNX file (`graph_files`) is present and matches its recorded
    sha256 (else `BundleError`); returns the bundle's id."""
    digests = {}
    for name in graph_files(info):
        path = directory / name
        if not path.is_file():
            raise BundleError(path, "missing from the model bundle")
        digests[name] = file_sha256(path)
        if digests[name] != info.sha256.get(name):
            raise BundleError(path, "sha256 does not match bundle.json (the file was altered)")
    return identity(digests)


def identity(digests: dict[str, str]) -> str:
    """sha256 over the ONNX files' names and sha256 digests, in `ONNX_FILES` order.

    The weights identify a model: bundle.json's descriptive facts (training data,
    validation metrics) can be filled in after export without orphaning its presets.
    """
    digest = hashlib.sha256()
    for name in ONNX_FILES:
        digest.update(name.encode())
        digest.update(bytes.fromhex(digests[name]))
    return digest.hexdigest()


def bundle_id(directory: str | Path) -> str:
    """A bundle's identity: sha256 over its ONNX files' names and contents."""
    return identity({name: file_sha256(Path(directory) / name) for name in ONNX_FILES})
