"""Hydrogen drum kits: a kit's kick and snare found by name with their velocity layers,
and a part played with the sample of each note's velocity."""

import numpy as np
import pedalboard.io
import pytest

from kickgen.engine.signals.frames import SAMPLE_RATE, Onsets
from kickgen.engine.signals.hydrogen import find_kits, layer_for, read_kit, render_part

KIT_XML = """<?xml version="1.0" encoding="UTF-8"?>
<drumkit_info xmlns="http://www.hydrogen-music.org/drumkit">
 <name>Test Kit</name>
 <instrumentList>
  <instrument><name>Kick (22 inch)</name>
   <layer><filename>kick-soft.wav</filename><min>0</min><max>0.5</max><gain>1</gain></layer>
   <layer><filename>kick-hard.wav</filename><min>0.5</min><max>1</max><gain>0.5</gain></layer>
  </instrument>
  <instrument><name>Snare Rimshot</name><layer><filename>rim.wav</filename></layer></instrument>
  <instrument><name>Snare</name><layer><filename>snare.wav</filename><min>0</min><max>1</max></layer></instrument>
 </instrumentList>
</drumkit_info>
"""


def write_wav(path, value: float, n: int = 100):
    with pedalboard.io.AudioFile(str(path), "w", SAMPLE_RATE, 1) as f:
        f.write(np.full((1, n), value, np.float32))


@pytest.fixture
def kit_folder(tmp_path):
    folder = tmp_path / "kits" / "Test"
    folder.mkdir(parents=True)
    (folder / "drumkit.xml").write_text(KIT_XML)
    for name, value in (("kick-soft", 0.2), ("kick-hard", 0.8), ("rim", 0.1), ("snare", 0.4)):
        write_wav(folder / f"{name}.wav", value)
    (tmp_path / "kits" / "NoSnare").mkdir()
    (tmp_path / "kits" / "NoSnare" / "drumkit.xml").write_text(KIT_XML.replace("Snare", "Clap"))
    return folder


def test_a_kits_kick_and_plain_snare_are_found_with_their_layers(kit_folder):
    kit = read_kit(kit_folder)
    assert kit.name == "Test Kit"
    assert [layer.sample.name for layer in kit.layers["kick"]] == ["kick-soft.wav", "kick-hard.wav"]
    assert [layer.sample.name for layer in kit.layers["snare"]] == ["snare.wav"]  # the rimshot is not the snare
    assert layer_for(kit.layers["kick"], 0.9).sample.name == "kick-hard.wav"
    assert list(find_kits(kit_folder.parent)) == ["Test"]  # a kit without a snare is left out
    assert find_kits(kit_folder.parent / "missing") == {}


def test_each_note_plays_the_sample_of_its_velocity(kit_folder):
    kit = read_kit(kit_folder)
    onsets = Onsets(np.array([0.0, 0.01]), np.array([0.25, 1.0]))
    audio = render_part(onsets, kit, "kick", n_samples=SAMPLE_RATE // 10)
    second = round(0.01 * SAMPLE_RATE)
    assert audio[0] == pytest.approx(0.25 * 0.2, abs=1e-3)  # soft layer, gain 1, at velocity 0.25
    assert audio[second + 50] == pytest.approx(1.0 * 0.5 * 0.8, abs=1e-3)  # hard layer at gain 0.5 (the first has ended)
    assert audio[second + 150:].max() == 0
