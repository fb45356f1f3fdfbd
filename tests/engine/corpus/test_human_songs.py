"""Human-written songs from a Doom WAD's music: the MIDI lumps are found, those with a
kick, a snare and a bass become planned songs, and each is written back as it shipped."""

import io
import struct

import mido

from kickgen.engine.corpus.human_songs import plan_human_songs, wad_music


def midi_bytes(*, with_bass: bool) -> bytes:
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500_000)])
    for beat in range(16):
        notes = [(9, 36 if beat % 2 == 0 else 38)] + ([(1, 40)] if with_bass else [])
        track += [mido.Message("note_on", channel=ch, note=n, velocity=100, time=0 if i else 480 * (beat > 0))
                  for i, (ch, n) in enumerate(notes)]
    if with_bass:
        track.insert(0, mido.Message("program_change", channel=1, program=33))
    midi = mido.MidiFile()
    midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def write_wad(path, lumps: dict[str, bytes]):
    """A PWAD: header, the lumps' bytes, then the directory (offset, size, 8-byte name)."""
    data, entries = b"", []
    for name, payload in lumps.items():
        entries.append((12 + len(data), len(payload), name.encode().ljust(8, b"\0")))
        data += payload
    directory = b"".join(struct.pack("<ii8s", *entry) for entry in entries)
    path.write_bytes(struct.pack("<4sii", b"PWAD", len(entries), 12 + len(data)) + data + directory)


def test_usable_songs_of_a_wad_are_planned_and_written_back(tmp_path):
    song, drums_only = midi_bytes(with_bass=True), midi_bytes(with_bass=False)
    wad = tmp_path / "music.wad"
    write_wad(wad, {"D_SONG": song, "D_DRUMS": drums_only, "DEMO1": song, "D_MUS": b"MUS\x1a..."})
    assert set(wad_music(wad)) == {"D_SONG", "D_DRUMS"}
    (plan,) = plan_human_songs(first_index=7, seed=0, validation_share=0.0, wads=(wad,))
    assert plan.song_id == "0007-music-d_song" and plan.style == "music/D_SONG" and plan.split == "train"
    assert plan.tempo_bpm == 120.0 and plan.meter == "4/4" and plan.family == "game"
    plan.write_arrangement(tmp_path / "song.mid")
    assert (tmp_path / "song.mid").read_bytes() == song
    assert plan_human_songs(first_index=0, seed=0, validation_share=0.5, wads=(wad, tmp_path / "missing.wad"))[0].split == "validation"
