"""Feature files: a song's signals round-trip through an .npz file."""

from kickgen.engine.corpus.synthetic import generate_songs
from kickgen.engine.signals.feature_files import load_features, save_features


def test_feature_files_round_trip(tmp_path):
    song = generate_songs(1, seed=0)[0].signals
    save_features(tmp_path / "a.npz", song, source="generated")
    back = load_features(tmp_path / "a.npz")
    assert (back.context == song.context).all() and (back.kick == song.kick).all()
    assert back.fps == song.fps and back.silent_channels == song.silent_channels
