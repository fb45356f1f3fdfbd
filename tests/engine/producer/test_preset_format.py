"""Preset files: round trip, refused formats and codes, names with paths refused."""

import json

import pytest

from kickgen.engine.errors import InputFileError, OutputExistsError
from kickgen.engine.producer.preset_format import (
    Preset,
    PresetError,
    check_model,
    check_name,
    load_preset,
    save_preset,
)


def preset(**changes):
    facts = {"name": "my groove", "code": tuple(float(i) for i in range(16)), "model_id": "a" * 64,
                 "source": {"file": "song.mid", "sha256": "b" * 64, "duration_s": 10.0},
                 "clustering": {"k": 3, "davies_bouldin": 0.8, "share": 0.6}}
    return Preset(**{**facts, **changes})


def test_preset_files_round_trip_and_refuse_bad_ones(tmp_path):
    save_preset(preset(), tmp_path / "p.json")
    assert load_preset(tmp_path / "p.json") == preset()
    with pytest.raises(OutputExistsError):
        save_preset(preset(name="other"), tmp_path / "p.json")
    data = json.loads((tmp_path / "p.json").read_text())
    (tmp_path / "future.json").write_text(json.dumps({**data, "format_version": 9}))
    with pytest.raises(InputFileError, match="preset format 9"):
        load_preset(tmp_path / "future.json")
    (tmp_path / "nan.json").write_text(json.dumps({**data, "code": [float("nan")] * 16}).replace("NaN", "NaN"))
    with pytest.raises(InputFileError, match="not finite"):
        load_preset(tmp_path / "nan.json")
    with pytest.raises(PresetError, match="made for model aaaaaaaaaaaa"):
        check_model(preset(), "c" * 64, origin="p.json")


@pytest.mark.parametrize("name", ["../evil", "a/b", "", "x" * 65, "dot.json", "back\\slash"])
def test_preset_names_with_paths_are_refused(name):
    with pytest.raises(PresetError):
        check_name(name)
