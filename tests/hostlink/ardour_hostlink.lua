-- Ardour 7, headless (ardour7-lua), hosting the kickgen host link plugin.
--
-- HL_MODE=prepare: a new session at HL_BPM with a MIDI track "parts" that carries the
-- plugin (its threshold and seed set as a producer sets them) and a MIDI track "kicks" that
-- records what "parts" puts out; a loop range over bars 3-4; saved.
-- HL_MODE=take: loads the saved session, plays the scenarios of HL_SCENARIO (a list) and
-- prints what "kicks" recorded in each, then saves it (a reopened session plays with the
-- ports the project saved):
--   TAKE <scenario>
--   BOUNCED                          after the scenario "bounce" (run last, after the save)
--   MARK <what> <sample>
--   KICK <quarters> <sample> <velocity> <length in quarters>
--   PORT <symbol> <value>            the plugin's control inputs as the session has them

local env = os.getenv
local NoGroup = PBD.GroupControlDisposition.NoGroup
local PLUGIN = "urn:kickgen:hostlink"

local A = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "../bridge/ardour_common.lua")
local wait_s, connect, track, mark, sample_of_bar = A.wait_s, A.connect, A.track, A.mark, A.sample_of_bar
local locate, roll, stop = A.locate, A.roll, A.stop

local function bar_seconds() return 4 * 60 / tonumber(env("HL_BPM")) end

local function plugin_of(parts)
	for i = 0, 16 do
		local proc = parts:nth_plugin(i)
		if proc:isnil() then break end
		if proc:to_insert():plugin(0):unique_id() == PLUGIN then return proc end
	end
end

-- The plugin's controls as (nth, label, is input): LuaAPI's get/set_processor_param count
-- controls only, not the plugin's ports.
local function controls(proc)
	local plugin, found = proc:to_insert():plugin(0), {}
	for j = 0, plugin:parameter_count() - 1 do
		if plugin:parameter_is_control(j) then
			found[#found + 1] = {#found, plugin:parameter_label(j), plugin:parameter_is_input(j)}
		end
	end
	return found
end

local function print_ports(proc)
	for _, c in ipairs(controls(proc)) do
		if c[3] then print(string.format("PORT %s=%g", c[2], ARDOUR.LuaAPI.get_processor_param(proc, c[1], false))) end
	end
end

local scenarios = {
	["play"] = function()
		-- bars 1-HL_BARS (the bounce's) and half a bar more: the roll starts some periods after
		-- its request (more on a loaded machine), and a kick planned just before the bounce's
		-- end must be in every take
		locate(0, false)
		roll((tonumber(env("HL_BARS")) + 0.5) * bar_seconds())
		stop()
	end,
	["locate-playing"] = function()
		locate(0, false)
		roll(2 * bar_seconds())
		locate(sample_of_bar(9), true)
		Session:maybe_enable_record(false)
		mark("located")
		wait_s(3 * bar_seconds())
		stop()
	end,
	["loop"] = function()
		local range = assert(Session:locations():auto_loop_location(), "the session has no loop range")
		print(string.format("MARK loop-range %d %d", range:start():samples(), range:_end():samples()))
		locate(range:start():samples(), false)
		Session:maybe_enable_record(false)
		Session:request_play_loop(true, true)
		wait_s(0.2)
		mark("loop")
		wait_s(5 * bar_seconds())
		stop()
		Session:request_play_loop(false, false)
		wait_s(0.3)
	end,
}

local function print_kicks(kicks, old_regions)
	local map = Temporal.TempoMap.read()
	A.recorded_notes(kicks, old_regions, function(at, note)
		print(string.format("KICK %.6f %d %d %.6f", at, A.sample_at(map, at), note:velocity(), A.quarters(note:length())))
	end)
end

local function prepare()
	local parts = A.new_session(env("HL_SESSION"), "hostlink", tonumber(env("HL_BPM")))
	local proc = ARDOUR.LuaAPI.new_plugin(Session, PLUGIN, ARDOUR.PluginType.LV2, "")
	assert(not proc:isnil(), "Ardour cannot load " .. PLUGIN)
	assert(parts:add_processor_by_index(proc, 0, nil, true) == 0, "cannot add the plugin to parts")
	-- the settings as a producer turns them: by the control's name
	for name, value in (env("HL_CONTROLS") or ""):gmatch("([%w ]+)=([%d.]+)") do
		local set = false
		for _, c in ipairs(controls(proc)) do
			if c[2] == name then set = ARDOUR.LuaAPI.set_processor_param(proc, c[1], tonumber(value)) end
		end
		assert(set, "cannot set the plugin's control " .. name)
	end
	local range = Session:locations():add_range(Temporal.timepos_t(sample_of_bar(3)), Temporal.timepos_t(sample_of_bar(5)))
	range:set_name("kickgen loop")
	wait_s(1.5)  -- the plugin's link finds the bridge, which answers with the style the plugin saves
	Session:save_state("", false, false, false, false, false)
end

-- The bounce (the take's last scenario: it changes the session, which is not saved after
-- it): the tests' click after the plugin (hostlink/tools/click: a note-on becomes one sample
-- of audio on its frame), and bars 1-HL_BARS exported to HL_EXPORT/bounce.wav as Ardour
-- exports: freewheeling, with the plugin's lv2:freeWheeling port set by Ardour.
local function bounce(parts)
	local click = ARDOUR.LuaAPI.new_plugin(Session, "urn:kickgen:test-click", ARDOUR.PluginType.LV2, "")
	assert(not click:isnil(), "Ardour cannot load the tests' click (urn:kickgen:test-click)")
	assert(parts:add_processor_by_index(click, 1, nil, true) == 0, "cannot add the click after the plugin")
	wait_s(0.5)
	local export = Session:simple_export()
	export:set_preset("75969a1c-3133-4694-864b-a1fa50e43348")  -- "WAV @ session-rate" (Ardour's wav.preset)
	export:set_folder(env("HL_EXPORT"))
	export:set_name("bounce")
	export:set_range(0, sample_of_bar(tonumber(env("HL_BARS")) + 1))  -- samples
	assert(export:check_outputs(), "nothing to export")
	assert(export:run_export(), "the export failed")
	print("BOUNCED")
	io.stdout:flush()  -- (ardour7-lua 7.3 can abort in its clean-up after an export)
end

local function take()
	assert(load_session(env("HL_SESSION"), "hostlink"), "cannot load the session")
	local kicks = track("kicks")
	local parts = track("parts")
	wait_s(1.0)
	connect("ardour:parts/midi_out 1", "ardour:kicks/midi_in 1")
	print_ports(assert(plugin_of(parts), "the session has no kickgen plugin on parts"))
	kicks:rec_enable_control():set_value(1, NoGroup)
	wait_s(1.0)  -- the plugin's link finds the bridge
	local bouncing = false
	for scenario in env("HL_SCENARIO"):gmatch("[%w-]+") do
		if scenario == "bounce" then
			bouncing = true
		else
			local old_regions = A.region_names(kicks)
			print("TAKE " .. scenario)
			scenarios[scenario]()
			print_kicks(kicks, old_regions)
		end
	end
	kicks:rec_enable_control():set_value(0, NoGroup)
	Session:save_state("", false, false, false, false, false)
	if bouncing then bounce(parts) end
end

AudioEngine:set_backend("JACK", "ardour", "")
if env("HL_MODE") == "prepare" then prepare() else take() end
close_session()
print("DONE")
