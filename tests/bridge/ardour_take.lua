-- Ardour 7, headless (ardour7-lua), as the DAW of the bridge's end-to-end test.
--
-- TAKE_MODE=prepare: a new session with a MIDI track "parts" that records the test song's
-- snare and bass from the player (which follows Ardour's MIDI clock), and an empty MIDI
-- track "kicks"; saved.
-- TAKE_MODE=take: loads the saved session once, prints READY and takes scenarios from
-- stdin, one a line (until "quit"): for each, the session plays "parts" to the bridge
-- together with its MIDI clock and records the bridge's kicks on "kicks" while the
-- transport does what the scenario says; it prints what it did and what it recorded
-- in that take, then END:
--   MARK <what> <sample>          a transport request and where the transport was
--   KICK <quarters> <sample> <off_ms> <velocity>
--                                 a recorded kick: its position in quarter notes and in
--                                 samples, and its distance to the nearest sixteenth of
--                                 Ardour's own grid (its tempo map), in ms
-- Ports come from TAKE_PLAYER_IN, TAKE_PLAYER_OUT, TAKE_KICKGEN_IN, TAKE_KICKGEN_OUT and
-- TAKE_DUMP_IN (a recorder that also hears the bridge's output).

local env = os.getenv
local LOOP_RANGE = "kickgen loop"
local TEMPO_BAR = 33  -- where the session's tempo changes: past every other scenario's bars
local NoGroup = PBD.GroupControlDisposition.NoGroup

local A = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "ardour_common.lua")
local wait_s, connect, track, mark, sample_of_bar = A.wait_s, A.connect, A.track, A.mark, A.sample_of_bar
local locate, roll, stop = A.locate, A.roll, A.stop

local function arm(t, on)
	t:rec_enable_control():set_value(on and 1 or 0, NoGroup)
	if on then Session:maybe_enable_record(false) else Session:disable_record(false, false) end
end

local function bar_seconds() return 4 * 60 / tonumber(env("TAKE_BPM")) end

-- What a producer does with the transport while the bridge plays along.
local scenarios = {
	["bar-1"] = function(bars)
		locate(0, false)
		roll(bars * bar_seconds())
		stop()
	end,
	["stop-continue"] = function(bars)
		locate(0, false)
		roll(bars / 2 * bar_seconds())
		stop()
		wait_s(1.0)
		roll(bars / 2 * bar_seconds())  -- from where it stopped: song position pointer, then Continue
		stop()
	end,
	["locate-stopped"] = function(bars)
		locate(0, false)
		roll(bars / 2 * bar_seconds())
		stop()
		locate(sample_of_bar(17), false)
		mark("located")
		roll(bars / 2 * bar_seconds())
		stop()
	end,
	["locate-playing"] = function(bars)
		locate(0, false)
		roll(bars / 2 * bar_seconds())
		locate(sample_of_bar(17), true)
		Session:maybe_enable_record(false)
		mark("located")
		wait_s(bars / 2 * bar_seconds())
		stop()
	end,
	["loop"] = function(bars)  -- the range prepare() left, made the loop range in the session file
		local range = assert(Session:locations():auto_loop_location(), "the session has no loop range")
		print(string.format("MARK loop-range %d %d", range:start():samples(), range:_end():samples()))
		locate(range:start():samples(), false)
		Session:maybe_enable_record(false)
		Session:request_play_loop(true, true)
		wait_s(0.2)
		mark("loop")
		wait_s(bars * bar_seconds())
		stop()
		Session:request_play_loop(false, false)
		wait_s(0.3)
	end,
	["tempo-change"] = function(bars)  -- the session's tempo falls to 100 bpm at bar TEMPO_BAR (prepare())
		locate(sample_of_bar(TEMPO_BAR - 2), false)
		roll(2 * bar_seconds() + (bars - 2) * 4 * 60 / 100)
		stop()
	end,
}

local function prepare()
	local parts = A.new_session(env("TAKE_SESSION"), "take", tonumber(env("TAKE_BPM")))
	ARDOUR.config():set_send_midi_clock(true)
	wait_s(0.5)
	connect("ardour:MIDI Clock out", env("TAKE_PLAYER_IN"))
	connect(env("TAKE_PLAYER_OUT"), "ardour:parts/midi_in 1")
	arm(parts, true)
	locate(0, false)
	roll(tonumber(env("TAKE_BARS")) * bar_seconds() + 1.0)
	stop()
	arm(parts, false)
	-- the tempo change is the session's own, as a producer's is (a map changed by Lua while
	-- the session runs changes the grid, but Ardour 7.3's MIDI clock keeps the old tempo)
	local changed = Temporal.TempoMap.write_copy()
	changed:set_tempo(Temporal.Tempo(100, 100, 4), Temporal.timepos_t(sample_of_bar(TEMPO_BAR)))
	Temporal.TempoMap.update(changed)
	-- bars 3-4 as a range; Ardour 7.3's Lua cannot flag it as the loop range, the harness
	-- does so in the saved session file (a flag Ardour writes itself when a user sets it)
	local range = Session:locations():add_range(Temporal.timepos_t(sample_of_bar(3)), Temporal.timepos_t(sample_of_bar(5)))
	range:set_name(LOOP_RANGE)
	print(string.format("MARK range %d %d (bar 3 at %d)", range:start():samples(), range:_end():samples(), sample_of_bar(3)))
	Session:save_state("", false, false, false, false, false)
end

local function print_kicks(kicks, old_regions)
	local map = Temporal.TempoMap.read()
	A.recorded_notes(kicks, old_regions, function(at, note)
		local sample, on_grid = A.sample_at(map, at), A.sample_at(map, math.floor(at * 4 + 0.5) / 4)
		print(string.format("KICK %.6f %d %.3f %d", at, sample, (sample - on_grid) / 44.1, note:velocity()))
	end)
end

local function take()
	assert(load_session(env("TAKE_SESSION"), "take"), "cannot load the session")
	ARDOUR.config():set_send_midi_clock(true)
	local kicks = track("kicks")
	wait_s(0.5)
	for _, pair in ipairs({{"ardour:MIDI Clock out", env("TAKE_KICKGEN_IN")},
	                       {"ardour:parts/midi_out 1", env("TAKE_KICKGEN_IN")},
	                       {env("TAKE_KICKGEN_OUT"), "ardour:kicks/midi_in 1"},
	                       {"ardour:MIDI Clock out", env("TAKE_DUMP_IN")}}) do
		connect(pair[1], pair[2])
	end
	arm(kicks, true)
	while true do
		print("READY")
		io.stdout:flush()
		local scenario = io.read("l")
		if scenario == nil or scenario == "quit" then break end
		local old_regions = A.region_names(kicks)
		scenarios[scenario](tonumber(env("TAKE_BARS")))
		print_kicks(kicks, old_regions)
		print("END")
	end
	arm(kicks, false)
end

AudioEngine:set_backend("JACK", "ardour", "")
if env("TAKE_MODE") == "prepare" then prepare() else take() end
close_session()
print("DONE")
