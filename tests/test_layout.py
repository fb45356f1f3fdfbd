"""The engine's layers: each subpackage imports only those below it, `model/` (torch) is
reached only from the training commands, export and itself, and everything else stays
torch-free, checked in fresh interpreters. Modules are found, not listed."""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
from pathlib import Path

import kickgen.bridge
import kickgen.engine

# rank of every part of kickgen.engine: a module may import parts of its own rank or lower
RANKS = {"errors": 0, "util": 1, "plots": 2, "signals": 3, "runtime": 4, "corpus": 5, "evaluation": 6,
         "producer": 7, "cli": 8}
LAYERS = ("util", "signals", "runtime", "corpus", "evaluation", "producer", "cli")  # DESIGN §1's order


def modules(package) -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."))


ENGINE = modules(kickgen.engine)
BRIDGE = modules(kickgen.bridge)


def part_of(module: str) -> str | None:
    """The part of kickgen.engine a dotted name belongs to ("signals", "model", ...);
    None for the package itself or outside it."""
    parts = module.split(".")
    return parts[2] if parts[:2] == ["kickgen", "engine"] and len(parts) > 2 else None


def is_module(name: str) -> bool:
    """Whether a dotted name is a module (`from package import module`), not a name in one."""
    parent = importlib.util.find_spec(name.rsplit(".", 1)[0])
    return parent.submodule_search_locations is not None and importlib.util.find_spec(name) is not None


def imports_of(module: str) -> list[tuple[str, bool]]:
    """Every kickgen module `module` imports, with whether the import sits at module level."""
    source = Path(importlib.util.find_spec(module).origin).read_text()
    tree = ast.parse(source)
    found = []
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names
                                     if node.module.startswith("kickgen.") and is_module(f"{node.module}.{alias.name}")]
        found += [(name, id(node) in top_level) for name in names if name.startswith("kickgen.")]
    return found


def test_the_layers_are_the_designs():
    assert [p for p in sorted(RANKS, key=RANKS.get) if p in LAYERS] == list(LAYERS)
    packages = {part_of(m) for m in ENGINE if m.count(".") == 2 and (Path(kickgen.engine.__path__[0]) / part_of(m)).is_dir()}
    assert packages == {*LAYERS, "model"}, packages


def test_every_engine_module_imports_only_its_own_layer_and_those_below():
    """Prints each part's rank and what it imports (pytest -s shows it)."""
    uses: dict[str, set[str]] = {}
    wrong = []
    for module in ENGINE:
        own = part_of(module)
        for name, at_top in imports_of(module):
            other = part_of(name)
            if other is None or other == own:
                continue
            uses.setdefault(own, set()).add(other)
            if other == "model":
                if own != "cli" or at_top:
                    wrong.append(f"{module} imports {name}" + (" at module level" if at_top else ""))
            elif own == "model":
                if other in ("producer", "cli"):
                    wrong.append(f"{module} (model) imports {name}")
            elif RANKS[other] > RANKS[own]:
                wrong.append(f"{module} ({own}, rank {RANKS[own]}) imports {name} ({other}, rank {RANKS[other]})")
    for part in sorted(uses, key=lambda p: RANKS.get(p, 99)):
        print(f"{part:<11} rank {RANKS.get(part, '-')!s:<2} imports {', '.join(sorted(uses[part], key=lambda p: RANKS.get(p, 99)))}")
    assert not wrong, "\n".join(wrong)


def test_the_bridge_never_reaches_the_model_or_the_command_line():
    wrong = [f"{m} imports {name}" for m in BRIDGE for name, _ in imports_of(m)
             if part_of(name) in ("model", "cli")]
    assert not wrong, "\n".join(wrong)


def test_every_module_outside_model_and_export_is_torch_free(fresh_python):
    """All of them in one fresh interpreter, in order; the first whose import brings
    torch in is named."""
    checked = [m for m in ENGINE + BRIDGE if part_of(m) != "model" and not m.endswith("__main__")]
    code = (
        "import importlib, sys\n"
        f"for name in {checked!r}:\n"
        "    importlib.import_module(name)\n"
        "    if 'torch' in sys.modules:\n"
        "        sys.exit(f'{name} imports torch')\n"
    )
    result = fresh_python(code)
    assert result.returncode == 0, result.stderr
    assert len(checked) > 40


def test_the_producers_commands_never_import_torch(tmp_path, example_song, fresh_python):
    """`kickgen render`, `preset save`, `sample` and `kickgen-bridge --help`, in one fresh
    interpreter that then checks that torch was never imported."""
    song = str(example_song / "song.mid")
    code = (
        "import sys\n"
        "from kickgen.engine.cli import main\n"
        "from kickgen.bridge.cli import build_parser\n"
        f"assert main(['render', {song!r}, '-o', {str(tmp_path / 'k.mid')!r}, '--seed', '1']) == 0\n"
        f"assert main(['preset', 'save', '--from', {song!r}, '--name', 'x', '--preset-dir', {str(tmp_path)!r}]) == 0\n"
        f"assert main(['sample', {song!r}, '-o', {str(tmp_path / 'v')!r}, '-n', '3', '--pick', '2']) == 0\n"
        "build_parser().format_help()\n"
        "sys.exit(3 if 'torch' in sys.modules else 0)\n"
    )
    result = fresh_python(code)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "k.mid").exists() and (tmp_path / "x.json").exists()


def test_pyproject_lists_every_engine_subpackage():
    import tomllib

    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    listed = set(pyproject["tool"]["setuptools"]["packages"])
    packages = {m for m in ENGINE if Path(importlib.util.find_spec(m).origin).name == "__init__.py"}
    assert packages <= listed, packages - listed
