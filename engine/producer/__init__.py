"""What the producer's commands do: the song a kick is written for (`targets`), kicks as
MIDI and audio (`kick_midi`, `kick_audio`), `render`, sampled `variations`, presets (the
file format, where they are stored, the factory set)."""
