"""A song's parts as a GM MIDI file: the bass is chosen by program, not by track name."""

import mido

from kickgen.engine.signals.parts import extract_parts


def test_bass_is_chosen_by_program_not_by_track_name(tmp_path):
    midi = mido.MidiFile(ticks_per_beat=480)
    for name, channel, program, note in (("Bass", 1, 27, 50), ("Low part", 2, 33, 40)):
        track = mido.MidiTrack([mido.MetaMessage("track_name", name=name),
                                mido.Message("program_change", channel=channel, program=program)])
        track += [mido.Message("note_on", channel=channel, note=note, velocity=90, time=0),
                  mido.Message("note_off", channel=channel, note=note, velocity=0, time=480)]
        midi.tracks.append(track)
    drums = mido.MidiTrack([mido.Message("note_on", channel=9, note=36, velocity=100),
                            mido.Message("note_off", channel=9, note=36, time=10),
                            mido.Message("note_on", channel=9, note=38, velocity=100),
                            mido.Message("note_off", channel=9, note=38, time=10)])
    midi.tracks.append(drums)
    midi.save(tmp_path / "in.mid")
    extract_parts(tmp_path / "in.mid", tmp_path / "parts.mid")
    bass = next(t for t in mido.MidiFile(tmp_path / "parts.mid").tracks if t.name == "Bass")
    assert [m.note for m in bass if m.type == "note_on"] == [40]
    assert [m.program for m in bass if m.type == "program_change"] == [33]
