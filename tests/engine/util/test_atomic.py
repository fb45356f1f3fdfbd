"""Atomic writes: an existing file is kept without force; a failed write leaves nothing."""

import os
import stat

import pytest

from kickgen.engine.errors import OutputExistsError
from kickgen.engine.util.atomic import atomic_path, creation_mode


def test_existing_file_is_kept_without_force(tmp_path):
    target = tmp_path / "song.npz"
    target.write_text("mine")
    with pytest.raises(OutputExistsError, match="song.npz: already exists"), atomic_path(target) as tmp:
        tmp.write_text("theirs")
    assert target.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.npz"]


def test_failed_write_leaves_nothing_and_force_keeps_the_mode(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert list(tmp_path.iterdir()) == []
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert stat.S_IMODE(target.stat().st_mode) == creation_mode()
    os.chmod(target, 0o640)
    with atomic_path(target, force=True) as tmp:
        tmp.write_text("newer")
    assert target.read_text() == "newer" and stat.S_IMODE(target.stat().st_mode) == 0o640
