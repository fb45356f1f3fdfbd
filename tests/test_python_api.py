"""The README's Python API block runs as written, without torch."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_block(heading: str) -> str:
    """The first ```python block after `heading` in the README."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(heading):]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_the_python_api_block_runs_as_written(tmp_path, fresh_python):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    code = readme_block("## Python API") + "\nimport sys\nsys.exit(3 if 'torch' in sys.modules else 0)\n"
    result = fresh_python(code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("preset", "random", "reference"):
        assert f"{name}: " in result.stdout and (tmp_path / f"{name}.mid").read_bytes()[:4] == b"MThd"
