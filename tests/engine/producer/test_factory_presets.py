"""Factory presets are made from named tiny_corpus songs and tied to the bundle they were made with."""

import pytest

from kickgen.engine.producer.factory_presets import make_factory_presets
from kickgen.engine.producer.preset_format import load_preset
from kickgen.engine.runtime.bundle import ModelBundle
from kickgen.engine.runtime.style import BAR_STEPS


def test_factory_presets_are_tied_to_the_bundle(tiny_corpus, corpus_bundle, tmp_path):
    bundle = ModelBundle.load(corpus_bundle)
    paths = make_factory_presets(tiny_corpus, bundle, tmp_path, factory=(("house", "casio/house", "four on the floor"),))
    preset = load_preset(paths[0])
    assert paths[0].name == "house.json" and preset.model_id == bundle.id
    assert preset.code_array.shape == (bundle.info.code_size, BAR_STEPS) and preset.clustering["k"] >= 1
    assert preset.source["file"].endswith("song.mid") and len(preset.source["sha256"]) == 64
    with pytest.raises(Exception, match="already exists"):
        make_factory_presets(tiny_corpus, bundle, tmp_path, factory=(("house", "casio/house", ""),))
