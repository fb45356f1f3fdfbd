"""What the model hears, from MIDI or audio: onset and beat curves (`frames`, `midi`,
`audio`; madmom only behind `_madmom`), peak picking, a song's parts as MIDI files
(`parts`), FluidSynth stems (`fluidsynth`) and feature files (`feature_files`)."""
