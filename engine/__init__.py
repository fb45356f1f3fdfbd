"""kickgen's offline engine, as subpackages in dependency order (each imports only those
before it; `errors` and `plots` sit beside them):

- `util`: atomic writes, JSON files, process pools.
- `signals`: MIDI and audio -> onset and beat curves (madmom behind `_madmom`), peaks,
  a song's parts as MIDI files, FluidSynth stems, feature files.
- `runtime`: the model bundle on onnxruntime, style codes, kicks from a code (torch-free).
- `corpus`: the training corpus: mma's grooves, building songs, their manifest, features.
- `evaluation`: metrics, the paper's Table 1 and studies, the `kickgen eval` run, the report.
- `producer`: what the producer's commands do: targets, kick MIDI and WAV, presets, variations.
- `cli`: the `kickgen` command: parse, call the library, print.
- `model`: the CGAE, its losses and training: the only subpackage that imports torch,
  imported only by the training commands (lazily), `kickgen.export` and itself.
"""

from kickgen.engine.errors import KickgenError

__version__ = "0.1.0"

__all__ = ["KickgenError", "__version__"]
