"""Standard MIDI files written byte by byte, for the files no MIDI library would write:
broken timing, undecodable meta events."""


def smf(track: bytes, *, division: int = 480, end_of_track: bool = True) -> bytes:
    """A type-0 standard MIDI file of one track of raw event bytes (end of track added,
    unless `end_of_track` is False, as some writers forget it)."""
    track += b"\x00\xff\x2f\x00" if end_of_track else b""
    return (b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big")
            + division.to_bytes(2, "big") + b"MTrk" + len(track).to_bytes(4, "big") + track)


# eight beats at 120 bpm: a kick and a bass note (GM program 34) on each, a snare on 2 and 4
GROOVE = b"\x00\xc1\x21" + b"".join(
    b"\x00\x99\x24\x64\x00\x91\x28\x64" + (b"\x00\x99\x26\x64" if beat % 2 else b"") + b"\x83\x60\x89\x24\x00\x00\x81\x28\x00"
    for beat in range(8))

# the same groove in running status: one status byte per channel's run of notes
GROOVE_RUNNING_STATUS = b"\x00\xc1\x21" + b"".join(
    b"\x00\x99\x24\x64" + (b"\x00\x26\x64" if beat % 2 else b"") + b"\x00\x91\x28\x64\x83\x60\x28\x00"
    + b"\x00\x99\x24\x00" for beat in range(8))
