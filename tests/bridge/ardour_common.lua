-- What both Ardour scripts of the tests do to a session (ardour7-lua; `dofile` it):
-- tracks, connections, the transport and reading back the notes a take recorded.

local M = {}
local TRS = ARDOUR.TransportRequestSource.TRS_UI
local TICKS_PER_QUARTER = 1920  -- Ardour's MIDI note positions

function M.wait_s(seconds) ARDOUR.LuaAPI.usleep(math.floor(seconds * 1e6)) end

function M.connect(from, to)  -- through Ardour's own JACK client (no forked jack_connect)
	assert(Session:engine():connect(from, to) == 0, "cannot connect " .. from .. " to " .. to)
end

function M.track(name)  -- the session's MIDI track of that name, made when missing
	for route in Session:get_routes():iter() do
		if route:name() == name then return route:to_track() end
	end
	local midi = ARDOUR.ChanCount(ARDOUR.DataType("midi"), 1)
	local list = Session:new_midi_track(midi, midi, false, ARDOUR.PluginInfo(), nil, nil, 1, name,
	                                    ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true)
	for t in list:iter() do return t end
end

-- A new session at `path` (any old one removed), 44.1 kHz, `bpm` in 4/4, with the MIDI
-- tracks "parts" (returned) and "kicks".
function M.new_session(path, name, bpm)
	os.execute("rm -rf '" .. path .. "'")
	assert(create_session(path, name, 44100), "cannot create the session")
	local map = Temporal.TempoMap.write_copy()
	map:set_tempo(Temporal.Tempo(bpm, bpm, 4), Temporal.timepos_t(0))
	Temporal.TempoMap.update(map)
	local parts = M.track("parts")
	M.track("kicks")
	return parts
end

function M.mark(what) print(string.format("MARK %s %d", what, Session:transport_sample())) end

function M.sample_of_bar(bar)  -- bar 1 starts at sample 0, 4/4
	return Temporal.TempoMap.read():sample_at_beats(Temporal.Beats((bar - 1) * 4, 0))
end

function M.locate(sample, roll)
	local disposition = roll and ARDOUR.LocateTransportDisposition.MustRoll or ARDOUR.LocateTransportDisposition.MustStop
	Session:request_locate(sample, false, disposition, TRS)
	M.wait_s(0.3)
end

function M.roll(seconds)
	Session:maybe_enable_record(false)  -- a stop ends recording; the armed track records again
	Session:request_roll(TRS)
	M.wait_s(0.2)
	M.mark("roll")
	M.wait_s(seconds)
end

function M.stop()
	M.mark("stop")
	Session:request_stop(false, false, TRS)
	M.wait_s(0.5)
end

function M.quarters(beats)  -- Ardour 7.3 binds only Beats:str(), "beats:ticks"
	local whole, ticks = beats:str():match("^(-?%d+):(-?%d+)$")
	return tonumber(whole) + tonumber(ticks) / TICKS_PER_QUARTER
end

function M.sample_at(map, q)  -- the sample of quarter note q, as Ardour stores it (1920ths)
	local whole = math.floor(q)
	return map:sample_at_beats(Temporal.Beats(whole, math.floor((q - whole) * TICKS_PER_QUARTER + 0.5)))
end

-- Calls found(quarter note, note) for every note the track recorded in regions whose names
-- are not in old_regions (the takes before this one).
function M.recorded_notes(track, old_regions, found)
	local map = Temporal.TempoMap.read()
	for region in track:playlist():region_list():iter() do
		if not old_regions[region:name()] then
			-- where the source's beat 0 lies in the session, in quarter notes, and the region's span
			local first = M.quarters(map:quarters_at(region:position()))
			local origin = first - M.quarters(region:start():beats())
			local last = M.quarters(map:quarters_at(Temporal.timepos_t(region:position():samples() + region:length():samples())))
			for note in ARDOUR.LuaAPI.note_list(region:to_midiregion():model()):iter() do
				local at = origin + M.quarters(note:time())
				if at >= first and at < last then found(at, note) end  -- a loop take's regions share one source
			end
		end
	end
end

function M.region_names(track)  -- the set of the track's region names now
	local names = {}
	for region in track:playlist():region_list():iter() do names[region:name()] = true end
	return names
end

return M
