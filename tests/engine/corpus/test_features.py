"""A tiny_corpus's feature files: both domains align with the song, and a second extraction reuses them."""

import numpy as np

from kickgen.engine.corpus.features import extract_corpus_features
from kickgen.engine.signals.feature_files import load_features


def test_features_of_both_domains_align_with_the_song(tiny_corpus, corpus_features):
    files = sorted(corpus_features.rglob("*.npz"))
    assert len(files) == 6
    for midi_file in [f for f in files if f.name.endswith(".midi.npz")]:
        midi = load_features(midi_file)
        audio = load_features(midi_file.with_name(midi_file.name.replace(".midi.", ".audio.")))
        assert midi.kick is not None and audio.kick is not None and not audio.silent_channels
        # the audio runs one second longer (release tails); kicks agree where both run
        n = midi.n_frames
        lag = np.argmax(np.correlate(audio.kick[0, :n], midi.kick[0], mode="full")) - (n - 1)
        assert abs(lag) <= 1
    written = extract_corpus_features(tiny_corpus, corpus_features, jobs=1, progress=False)
    assert written == 0  # everything cached
