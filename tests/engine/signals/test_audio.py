"""Audio domain on synthetic audio with known onsets, written to real files."""

import numpy as np
import pedalboard.io
import pytest

from kickgen.engine.errors import InputFileError, MissingRoleError
from kickgen.engine.signals.audio import complex_domain_odf, load_audio, signals_from_audio
from kickgen.engine.signals.frames import FPS

SR = 44100


def drum_hits(onsets_s, *, duration_s, sr=SR, seed=0, tone_hz=None):
    """Decaying noise bursts (or decaying tones) at `onsets_s`; (n,) float32."""
    rng = np.random.default_rng(seed)
    audio = np.zeros(int(duration_s * sr), np.float32)
    n = np.arange(int(0.1 * sr))
    for t in onsets_s:
        body = np.sin(2 * np.pi * tone_hz * n / sr) if tone_hz else rng.standard_normal(len(n))
        start = round(t * sr)
        piece = (0.5 * body * np.exp(-n / (0.02 * sr))).astype(np.float32)
        audio[start : start + len(n)] += piece[: len(audio) - start]
    return audio


def write_wav(path, audio, sr=SR):
    audio = np.atleast_2d(audio).astype(np.float32)
    with pedalboard.io.AudioFile(str(path), "w", samplerate=sr, num_channels=audio.shape[0]) as f:
        f.write(audio)
    return path


def odf_peaks(odf, n_expected):
    """Frames of the n largest local maxima, in time order."""
    local = [i for i in range(1, len(odf) - 1) if odf[i] > odf[i - 1] and odf[i] >= odf[i + 1]]
    return sorted(sorted(local, key=lambda i: odf[i])[-n_expected:])


ONSETS = np.arange(0.31, 5.5, 0.4637)  # off-grid onset times, s


@pytest.mark.parametrize("tone_hz", [None, 90.0])
def test_odf_peaks_within_one_frame_of_onsets(tone_hz):
    odf = complex_domain_odf(drum_hits(ONSETS, duration_s=6.0, tone_hz=tone_hz))
    assert len(odf) == 1 + int(6.0 * SR) // 512
    peaks = np.array(odf_peaks(odf, len(ONSETS)))
    assert np.abs(peaks - ONSETS * FPS).max() <= 1.0


def test_other_rates_and_stereo_are_brought_to_44k_mono(tmp_path):
    mono = drum_hits(ONSETS, duration_s=6.0, sr=22050)
    stereo = np.stack([mono, 0.5 * mono])
    audio = load_audio(write_wav(tmp_path / "s.wav", stereo, sr=22050))
    assert abs(len(audio) - 6.0 * SR) <= 2
    peaks = np.array(odf_peaks(complex_domain_odf(audio), len(ONSETS)))
    assert np.abs(peaks - ONSETS * FPS).max() <= 1.0


def test_stems_to_bundle_with_madmom_beats(tmp_path):
    """A 120 bpm groove: kick on 1 and 3, snare on 2 and 4, bass on eighths."""
    beats = np.arange(0, 12, 0.5)
    kick = drum_hits(beats[::2], duration_s=12.0, seed=1, tone_hz=55.0)
    snare = drum_hits(beats[1::2], duration_s=12.0, seed=2)
    bass = drum_hits(np.arange(0, 12, 0.25), duration_s=12.0, tone_hz=110.0)
    paths = {name: write_wav(tmp_path / f"{name}.wav", a) for name, a in
             (("kick", kick), ("snare", snare), ("bass", bass))}
    song = signals_from_audio(snare=paths["snare"], bass=paths["bass"], kick=paths["kick"])
    assert song.context.shape == (4, 1 + 12 * SR // 512) and song.kick.shape == (1, song.n_frames)
    assert song.fps == FPS and song.silent_channels == ()
    # madmom hears the 120 bpm pulse: beat intervals near 0.5 s
    assert len(song.beat_times_s) > 15
    assert np.median(np.diff(song.beat_times_s)) == pytest.approx(0.5, abs=0.03)
    assert len(song.downbeat_times_s) >= 3
    # the beat+downbeat activation peaks where the beats are
    grid = song.context[2] + song.context[3]
    active = [round(t * FPS) for t in beats[2:-2]]
    assert grid[active].mean() > grid.mean() + 1.0


def test_missing_stems_and_bad_files(tmp_path):
    with pytest.raises(MissingRoleError, match="snare stem, a bass stem"):
        signals_from_audio(snare=None, bass=None, mix=tmp_path / "mix.wav")
    with pytest.raises(InputFileError, match=r"absent\.wav: no such file"):
        signals_from_audio(snare=tmp_path / "absent.wav", bass=None)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(InputFileError, match=r"junk\.wav: not a readable audio file"):
        load_audio(junk)


def test_the_onset_function_in_blocks_equals_the_whole_song_at_once():
    """complex_domain_odf works through a long song in blocks; each block carries the
    two frames before it, so the result is the one-shot computation's, to the bit."""
    from kickgen.engine.signals.audio import ODF_BLOCK_FRAMES, frame_view

    audio = np.random.default_rng(0).standard_normal(512 * (2 * ODF_BLOCK_FRAMES + 300)).astype(np.float32)
    spec = np.fft.rfft(frame_view(audio) * np.hanning(1024).astype(np.float32), axis=1)
    mag, phase = np.abs(spec), np.angle(spec)
    mag_prev = np.vstack([np.zeros((1, spec.shape[1])), mag[:-1]])
    phase_prev = np.vstack([np.zeros((1, spec.shape[1])), phase[:-1]])
    phase_prev2 = np.vstack([np.zeros((2, spec.shape[1])), phase[:-2]])
    whole = np.abs(spec - mag_prev * np.exp(1j * (2 * phase_prev - phase_prev2))).sum(axis=1).astype(np.float32)
    assert np.array_equal(complex_domain_odf(audio), whole)


def test_madmoms_features_in_blocks_give_the_whole_songs_activations_and_beats():
    """downbeat_activations computes madmom's per-frame features in blocks with context
    (a whole-song spectrum of a 4-minute song is about 1 GB); the activations are the
    whole-signal processor's to float32 rounding, and the decoded beats the same."""
    from kickgen.engine.signals import _madmom

    beat_s = 60 / 118
    kicks_and_snares = drum_hits(np.arange(0.3, 34.0, beat_s), duration_s=35.0) \
        + drum_hits(np.arange(0.3 + beat_s, 34.0, 2 * beat_s), duration_s=35.0, tone_hz=190)
    signal = _madmom._madmom().audio.signal.Signal(kicks_and_snares, sample_rate=SR)
    with _madmom._quiet():
        whole = np.asarray(_madmom._downbeat_network()(signal), dtype=np.float32)
    blocks = _madmom.downbeat_activations(kicks_and_snares, block_frames=1000)  # four blocks
    assert blocks.shape == whole.shape
    np.testing.assert_allclose(blocks, whole, rtol=0, atol=1e-5)  # (float32 sums in another order)
    for decoded, reference in zip(_madmom.track_downbeats(blocks), _madmom.track_downbeats(whole)):
        np.testing.assert_array_equal(decoded, reference)


def test_the_segmented_viterbi_finds_madmoms_own_path(monkeypatch):
    """track_downbeats decodes madmom's downbeat HMMs with `_Trellis` (back-pointers kept
    one segment at a time, not (T, S): 1.3 GB for 4 minutes); it must find the path and
    log probability of the HMM's own Viterbi, ties broken the same way."""
    from kickgen.engine.signals import _madmom

    monkeypatch.setattr(_madmom, "VITERBI_SEGMENT_FRAMES", 97)  # several segments, one ragged
    rng = np.random.default_rng(1)
    activations = 0.05 * rng.random((1000, 2))  # madmom's columns: beats that are not downbeats, downbeats
    activations[::50, 0], activations[::200, 0], activations[::200, 1] = 0.8, 0.05, 0.9  # 120 bpm, 4/4
    tracker = _madmom._madmom().features.downbeats.DBNDownBeatTrackingProcessor(beats_per_bar=[3, 4], fps=100)
    for hmm in tracker.hmms:
        path, log_probability = hmm.viterbi(activations)
        trellis = _madmom._Trellis(hmm, activations)
        found, checkpoints = _madmom._viterbi_log_probability(trellis)
        assert found == log_probability
        np.testing.assert_array_equal(_madmom._viterbi_path(trellis, checkpoints), path)
