"""The runtime path stays torch-free: checked in fresh interpreters."""

import subprocess
import sys

import pytest

TORCH_FREE = [
    "kickgen.engine",
    "kickgen.engine.cli",
    "kickgen.engine.peaks",
    "kickgen.engine.metrics",
    "kickgen.engine.signals",
    "kickgen.engine.signals_midi",
    "kickgen.engine.signals_audio",
    "kickgen.engine.style",
    "kickgen.engine.features_io",
    "kickgen.engine.synthetic",
    "kickgen.engine.runtime",
    "kickgen.engine.bundle",
    "kickgen.engine.atomic",
    "kickgen.engine.madmom_adapter",
    "kickgen.engine.cli_producer",
    "kickgen.engine.render",
    "kickgen.engine.targets",
    "kickgen.engine.generate",
    "kickgen.engine.kick_midi",
    "kickgen.engine.kick_audio",
    "kickgen.engine.sampling",
    "kickgen.engine.preset_files",
    "kickgen.engine.preset_store",
    "kickgen.engine.plots",
    "kickgen.engine.evaluation",
    "kickgen.engine.eval_run",
    "kickgen.engine.experiments",
    "kickgen.engine.songs",
    "kickgen.engine.corpus",
    "kickgen.engine.corpus_features",
    "kickgen.engine.factory_presets",
    "kickgen.engine.report",
    "kickgen.bridge",
    "kickgen.bridge.cli",
    "kickgen.bridge.core",
    "kickgen.bridge.generator",
    "kickgen.bridge.runner",
    "kickgen.bridge.ports",
]


@pytest.mark.parametrize("module", TORCH_FREE)
def test_module_does_not_import_torch(module):
    code = f"import sys, {module}; sys.exit(3 if 'torch' in sys.modules else 0)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{module} imports torch" if result.returncode == 3 else result.stderr


def test_midi_signals_and_peaks_run_without_torch(tmp_path):
    code = (
        "import sys\n"
        "from kickgen.engine.synthetic import generate_songs\n"
        "from kickgen.engine.peaks import pick_peaks\n"
        "from kickgen.engine.style import infer_style\n"
        "song = generate_songs(1, seed=0)[0]\n"
        "assert len(pick_peaks(song.signals.kick[0]).times_s) > 0\n"
        "infer_style(song.signals.context)\n"
        "sys.exit(3 if 'torch' in sys.modules else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_render_runs_without_torch(tmp_path):
    """`kickgen render` on the example song, in a fresh interpreter that then checks
    that torch was never imported."""
    from pathlib import Path

    song = Path(__file__).resolve().parents[1] / "examples" / "demo-song" / "song.mid"
    code = (
        "import sys\n"
        "from kickgen.engine.cli import main\n"
        f"status = main(['render', {str(song)!r}, '-o', {str(tmp_path / 'k.mid')!r}, '--seed', '1'])\n"
        "sys.exit(3 if 'torch' in sys.modules else status)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "k.mid").exists()
