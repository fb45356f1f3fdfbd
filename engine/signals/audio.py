"""Audio domain: complex-domain onset curves of stems, beats and downbeats from madmom.

Audio of any sample rate is resampled to 44.1 kHz and mixed to mono. The onset
detection function is the complex-domain ODF on a 1024-sample Hann STFT with hop 512
(the paper's Yaafe settings). Frame n starts at sample n * 512, as Yaafe's frames do;
the complex-domain ODF then peaks on the frame of the onset's time n / FPS (measured:
within one frame), which keeps audio and MIDI curves aligned.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pedalboard.io

from kickgen.engine.errors import InputFileError, MissingRoleError
from kickgen.engine.signals import _madmom
from kickgen.engine.signals.beat_grid import GridSpec
from kickgen.engine.signals.frames import (
    FPS,
    FRAME_LENGTH,
    HOP_LENGTH,
    SAMPLE_RATE,
    SongSignals,
    assemble,
    frames_for_samples,
    grid_curves,
)

AUDIO_SUFFIXES = (".wav", ".flac", ".aiff", ".aif", ".mp3", ".ogg")  # what `load_audio` is asked to read


def to_mono(audio: np.ndarray) -> np.ndarray:
    """(channels, n) or (n,) -> (n,) float32, the mean of the channels."""
    audio = np.asarray(audio, dtype=np.float32)
    return audio.mean(axis=0) if audio.ndim == 2 else audio


def stems_in(folder: Path | None, given: dict[str, Path | None]) -> dict[str, Path]:
    """Stems by role: those `given` (the flags), then `folder`'s audio files named after
    one of the given roles (snare.wav, Bass.flac, ...)."""
    found = {role: p for role, p in given.items() if p is not None}
    if folder is not None and folder.is_dir():
        for path in sorted(folder.iterdir()):
            role = path.stem.lower()
            if role in given and path.suffix.lower() in AUDIO_SUFFIXES:
                found.setdefault(role, path)
    return found


def resample(audio: np.ndarray, *, sr: float, target_sr: int = SAMPLE_RATE) -> np.ndarray:
    """Polyphase resampling of mono `audio` from `sr` to `target_sr` Hz; (n',) float32."""
    if sr == target_sr:
        return audio.astype(np.float32)
    # (scipy.signal takes half a second to import: only for audio that needs resampling)
    from scipy.signal import resample_poly

    ratio = Fraction(target_sr / sr).limit_denominator(1000)
    return resample_poly(audio, ratio.numerator, ratio.denominator).astype(np.float32)


def load_audio(path: str | Path) -> np.ndarray:
    """Read an audio file as mono float32 at 44.1 kHz; raises `InputFileError` naming it."""
    if not Path(path).is_file():
        raise InputFileError(path, "no such file")
    try:
        with pedalboard.io.AudioFile(str(path)) as f:
            audio, sr = f.read(f.frames), f.samplerate
    except (OSError, ValueError, RuntimeError) as exc:
        raise InputFileError(path, f"not a readable audio file ({exc})") from None
    if not np.isfinite(audio).all():
        raise InputFileError(path, "holds samples that are not numbers (NaN or infinite)")
    return resample(to_mono(audio), sr=sr)


ODF_BLOCK_FRAMES = 2048  # STFT frames a block of the onset function holds (~24 s, ~40 MB)


def frame_view(audio: np.ndarray) -> np.ndarray:
    """The STFT's frames of mono 44.1 kHz audio as a view (no copy): frame n is samples
    [512 n, 512 n + 1024); (T, 1024), T = 1 + n_samples // 512 (the end zero-padded)."""
    padded = np.pad(audio.astype(np.float32), (0, FRAME_LENGTH))
    n_frames = frames_for_samples(len(audio))
    return np.lib.stride_tricks.sliding_window_view(padded, FRAME_LENGTH)[::HOP_LENGTH][:n_frames]


def complex_domain_odf(audio: np.ndarray) -> np.ndarray:
    """Complex-domain onset detection function (Duxbury et al.); (T,) float32.

    Each bin is predicted from the previous frame's magnitude and a linear phase
    continuation, ``X̂_n = |X_{n-1}| exp(j(2φ_{n-1} - φ_{n-2}))``, and the ODF sums
    the distance ``|X_n - X̂_n|`` over bins. Computed in blocks of `ODF_BLOCK_FRAMES`
    frames (each with the two before it), so a long song needs no whole-song spectrum.
    """
    frames = frame_view(audio)
    window = np.hanning(FRAME_LENGTH).astype(np.float32)
    odf = np.empty(len(frames), np.float32)
    for start in range(0, len(frames), ODF_BLOCK_FRAMES):
        history = min(start, 2)
        spec = np.fft.rfft(frames[start - history:start + ODF_BLOCK_FRAMES] * window, axis=1)
        mag, phase = np.abs(spec), np.angle(spec)
        mag_prev = np.vstack([np.zeros((1, spec.shape[1])), mag[:-1]])
        phase_prev = np.vstack([np.zeros((1, spec.shape[1])), phase[:-1]])
        phase_prev2 = np.vstack([np.zeros((2, spec.shape[1])), phase[:-2]])
        predicted = mag_prev * np.exp(1j * (2 * phase_prev - phase_prev2))
        odf[start:start + ODF_BLOCK_FRAMES] = np.abs(spec - predicted).sum(axis=1)[history:]
    return odf


def track_beats(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """madmom's beat and downbeat activations of mono 44.1 kHz audio, (N, 2) at 100 fps,
    and the beat and downbeat times (s) its DBN decodes from them (beats include downbeats)."""
    activations = _madmom.downbeat_activations(audio)
    return (activations, *_madmom.track_downbeats(activations))


def beat_curves(activations: np.ndarray, *, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) madmom activations at 100 fps -> beat and downbeat curves, each (n_frames,) at FPS."""
    src_times = np.arange(len(activations)) / _madmom.MADMOM_FPS
    times = np.arange(n_frames) / FPS
    return (
        np.interp(times, src_times, activations[:, 0], right=0.0).astype(np.float32),
        np.interp(times, src_times, activations[:, 1], right=0.0).astype(np.float32),
    )


def signals_from_audio(
    *,
    snare: str | Path | None,
    bass: str | Path | None,
    mix: str | Path | None = None,
    kick: str | Path | None = None,
    grid: GridSpec | None = None,
) -> SongSignals:
    """Build the standardized bundle from audio stem files.

    snare, bass, kick: paths of stems (kick optional: it becomes the target).
    mix: the full mix for beat tracking; without it madmom hears the snare and bass
    stems summed (never the kick: it is the target, and a new song has none).
    grid: the song's beat grid, when the producer knows it (madmom is then not run).
    Raises `MissingRoleError` when neither a snare nor a bass stem is given.
    """
    if snare is None and bass is None:
        raise MissingRoleError(mix or kick or "audio input", "give a snare stem, a bass stem or both")
    stems = {name: load_audio(p) for name, p in (("snare", snare), ("bass", bass), ("kick", kick)) if p}
    return signals_from_stems(stems, mix=load_audio(mix) if mix else None, grid=grid)


def signals_from_stems(
    stems: dict[str, np.ndarray], *, mix: np.ndarray | None = None, grid: GridSpec | None = None
) -> SongSignals:
    """`signals_from_audio` on mono 44.1 kHz arrays: "snare" and/or "bass", optionally
    "kick" (the target), a `mix` for beat tracking or the known `grid`. Shorter stems are
    zero-padded."""
    n_samples = max(len(a) for a in stems.values())
    stems = {name: np.pad(a, (0, n_samples - len(a))) for name, a in stems.items()}
    n_frames = frames_for_samples(n_samples)
    if grid is None:
        beat_source = mix if mix is not None else sum(a for name, a in stems.items() if name != "kick")
        beat_source = np.pad(beat_source, (0, max(0, n_samples - len(beat_source))))[:n_samples]
        activations, beat_times_s, downbeat_times_s = track_beats(beat_source)
        beat, downbeat = beat_curves(activations, n_frames=n_frames)
    else:
        known = grid.grid(n_samples / SAMPLE_RATE)
        beat_times_s, downbeat_times_s = known.beat_times_s, known.downbeat_times_s
        curves = grid_curves(beat_times_s, downbeat_times_s, n_frames=n_frames)
        beat, downbeat = curves["beat"], curves["downbeat"]

    def odf(name: str) -> np.ndarray:
        return complex_domain_odf(stems[name]) if name in stems else np.zeros(n_frames, np.float32)

    return assemble(
        {"snare": odf("snare"), "bass": odf("bass"), "beat": beat, "downbeat": downbeat},
        odf("kick") if "kick" in stems else None,
        beat_times_s=beat_times_s,
        downbeat_times_s=downbeat_times_s,
        fps=FPS,
    )
