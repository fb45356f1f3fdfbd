"""A tiny tiny_corpus (three songs of two style files), its feature files and a tiny model trained on them, built once for the tests that need them."""

import pytest

from kickgen.engine.corpus.build import build_corpus
from kickgen.engine.corpus.features import extract_corpus_features
from kickgen.engine.model.checkpoint import CHECKPOINT_NAME
from kickgen.engine.model.demo import quick_train
from kickgen.engine.signals.feature_files import feature_files, load_features
from kickgen.export.onnx_export import export_checkpoint

STYLES = ("casio/house", "stdlib/waltz")


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    build_corpus(out, n_songs=3, seed=0, jobs=2, only_styles=STYLES, progress=False)
    return out


@pytest.fixture(scope="session")
def corpus_features(tiny_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("features")
    extract_corpus_features(tiny_corpus, out, jobs=2, progress=False)
    return out


@pytest.fixture(scope="session")
def corpus_bundle(corpus_features, tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    songs = [load_features(p) for split in ("train", "validation") if (corpus_features / split).exists()
             for p in feature_files(corpus_features / split)]
    quick_train(songs, out_dir=run, epochs=3, progress=False)
    out = tmp_path_factory.mktemp("bundles") / "tiny"
    export_checkpoint(run / CHECKPOINT_NAME, out)
    return out
