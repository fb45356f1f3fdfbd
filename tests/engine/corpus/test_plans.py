"""Planned mma songs: the song's feel follows every groove change, and is drawn from its id."""

from kickgen.engine.corpus.plans import SongPlan, draw_feel


def test_the_feel_follows_every_groove_line():
    plan = SongPlan(song_id="0001-x", style="casio/house", family="house", split="train", tempo_bpm=120, meter="4/4",
                    key="C", progression="I-IV-I-V", sections=(("HouseIntro", 1), ("House", 2)), mma_seed=1,
                    swing_skew=60, humanize_ticks=8, velocity_spread=10)
    lines = plan.mma_source().splitlines()
    for groove in ("HouseIntro", "House"):
        at = lines.index(f"Groove {groove}")
        assert lines[at + 1:at + 4] == ["SwingMode On Skew=60", "AllTracks RTime 8", "AllTracks RVolume 10"]
    straight = SongPlan(**{**plan.__dict__, "swing_skew": 0, "humanize_ticks": 0, "velocity_spread": 0})
    assert not any(line.startswith(("SwingMode", "AllTracks")) for line in straight.mma_source().splitlines())


def test_feel_is_drawn_from_the_song_id_and_machines_mostly_keep_time():
    assert draw_feel("0007-casio-funk2", "funk") == draw_feel("0007-casio-funk2", "funk")
    played = [draw_feel(f"{i:04d}-x", "funk") for i in range(200)]
    machines = [draw_feel(f"{i:04d}-x", "techno") for i in range(200)]
    assert all(4 <= f["humanize_ticks"] <= 12 for f in played)
    assert 0.1 < sum(f["swing_skew"] > 0 for f in played) / 200 < 0.4
    assert 0.5 < sum(f["humanize_ticks"] == 0 for f in machines) / 200 < 0.9
