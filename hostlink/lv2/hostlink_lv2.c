/* kickgen host link, LV2 front end: maps LV2 atoms to the core and back. */
#define _GNU_SOURCE /* clock_gettime, getrandom */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <lv2/atom/atom.h>
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/core/lv2.h>
#include <lv2/midi/midi.h>
#include <lv2/state/state.h>
#include <lv2/time/time.h>
#include <lv2/urid/urid.h>

#include "../core/hl_core.h"

#define HOSTLINK_URI "urn:kickgen:hostlink"
#define STATE_URI HOSTLINK_URI "#"

enum { PORT_IN = 0, PORT_OUT = 1, PORT_CONNECTED = 2, PORT_LATE = 3, PORT_SLOT = 4, PORT_SEED = 5, PORT_THRESHOLD = 6,
       PORT_FREEWHEEL = 7, PORT_WORST_RUN_US = 8 };
#define FREEWHEEL_WAIT_S 2.0 /* the longest a bounce waits for the bridge, per block */

typedef struct {
	LV2_URID atom_Int, atom_Long, atom_Float, atom_Double, atom_Blank, atom_Object, atom_Sequence, midi_Event, time_Position, time_frame, time_speed,
		time_bar, time_barBeat, time_beatsPerMinute, time_beatsPerBar, time_beatUnit, atom_String, atom_Vector,
		style_slot, style_seed, style_threshold, style_name, style_model, style_code;
} Uris;

typedef struct {
	const LV2_Atom_Sequence *in;
	LV2_Atom_Sequence *out;
	float *connected, *late;
	const float *slot, *seed, *threshold; /* the style: saved with the project as the host saves port values */
	const float *freewheel;               /* lv2:freeWheeling: the host bounces offline */
	float *worst_run_us;                  /* the longest real-time run() so far, in microseconds */
	double worst_us;
	Uris uris;
	LV2_Atom_Forge forge;
	bool forge_full;
	hl_core core;
	hl_link *link;
} Plugin;

static LV2_Handle instantiate(const LV2_Descriptor *d, double rate, const char *bundle,
                              const LV2_Feature *const *features)
{
	(void)d;
	(void)bundle;
	LV2_URID_Map *map = NULL;
	for (int i = 0; features && features[i]; i++)
		if (!strcmp(features[i]->URI, LV2_URID__map))
			map = features[i]->data;
	if (!map)
		return NULL;
	Plugin *p = calloc(1, sizeof *p);
	if (!p || hl_core_init(&p->core, rate)) {
		free(p);
		return NULL;
	}
	Uris *u = &p->uris;
	u->atom_Int = map->map(map->handle, LV2_ATOM__Int);
	u->atom_Long = map->map(map->handle, LV2_ATOM__Long);
	u->atom_Float = map->map(map->handle, LV2_ATOM__Float);
	u->atom_Double = map->map(map->handle, LV2_ATOM__Double);
	u->atom_Blank = map->map(map->handle, LV2_ATOM__Blank);
	u->atom_Object = map->map(map->handle, LV2_ATOM__Object);
	u->atom_Sequence = map->map(map->handle, LV2_ATOM__Sequence);
	u->midi_Event = map->map(map->handle, LV2_MIDI__MidiEvent);
	u->time_Position = map->map(map->handle, LV2_TIME__Position);
	u->time_frame = map->map(map->handle, LV2_TIME__frame);
	u->time_speed = map->map(map->handle, LV2_TIME__speed);
	u->time_bar = map->map(map->handle, LV2_TIME__bar);
	u->time_barBeat = map->map(map->handle, LV2_TIME__barBeat);
	u->time_beatsPerMinute = map->map(map->handle, LV2_TIME__beatsPerMinute);
	u->time_beatsPerBar = map->map(map->handle, LV2_TIME__beatsPerBar);
	u->time_beatUnit = map->map(map->handle, LV2_TIME__beatUnit);
	u->atom_String = map->map(map->handle, LV2_ATOM__String);
	u->atom_Vector = map->map(map->handle, LV2_ATOM__Vector);
	u->style_slot = map->map(map->handle, STATE_URI "style_slot");
	u->style_seed = map->map(map->handle, STATE_URI "style_seed");
	u->style_threshold = map->map(map->handle, STATE_URI "style_threshold");
	u->style_name = map->map(map->handle, STATE_URI "style_name");
	u->style_model = map->map(map->handle, STATE_URI "style_model");
	u->style_code = map->map(map->handle, STATE_URI "style_code");
	lv2_atom_forge_init(&p->forge, map);

	/* the instance id only tells running instances apart: what a project keeps is its style (LV2 state) */
	uint32_t id = 0;
	if (getrandom(&id, sizeof id, 0) != sizeof id)
		id = (uint32_t)getpid() ^ (uint32_t)time(NULL);
	p->link = hl_link_start(&p->core, id, NULL);
	if (!p->link) {
		hl_core_free(&p->core);
		free(p);
		return NULL;
	}
	return p;
}

static void connect_port(LV2_Handle h, uint32_t port, void *data)
{
	Plugin *p = h;
	switch (port) {
	case PORT_IN: p->in = data; break;
	case PORT_OUT: p->out = data; break;
	case PORT_CONNECTED: p->connected = data; break;
	case PORT_LATE: p->late = data; break;
	case PORT_SLOT: p->slot = data; break;
	case PORT_SEED: p->seed = data; break;
	case PORT_THRESHOLD: p->threshold = data; break;
	case PORT_FREEWHEEL: p->freewheel = data; break;
	case PORT_WORST_RUN_US: p->worst_run_us = data; break;
	}
}

static void emit(void *ctx, uint32_t offset, const uint8_t *msg, uint32_t size)
{
	Plugin *p = ctx;
	struct {
		LV2_Atom atom;
		uint8_t msg[3];
	} ev = {{size, p->uris.midi_Event}, {0}};
	memcpy(ev.msg, msg, size);
	if (p->forge_full || !lv2_atom_forge_frame_time(&p->forge, offset) ||
	    !lv2_atom_forge_write(&p->forge, &ev, sizeof(LV2_Atom) + size))
		p->forge_full = true; /* out of room: counted by the host's dropped events */
}

/* a numeric atom of any of the types hosts use for time:Position's fields */
static bool number(const Uris *u, const LV2_Atom *a, double *out)
{
	if (!a)
		return false;
	if (a->type == u->atom_Long && a->size >= 8)
		*out = (double)((const LV2_Atom_Long *)a)->body;
	else if (a->type == u->atom_Int && a->size >= 4)
		*out = ((const LV2_Atom_Int *)a)->body;
	else if (a->type == u->atom_Float && a->size >= 4)
		*out = ((const LV2_Atom_Float *)a)->body;
	else if (a->type == u->atom_Double && a->size >= 8)
		*out = ((const LV2_Atom_Double *)a)->body;
	else
		return false;
	return true;
}

static void position(Plugin *p, const LV2_Atom_Object *obj, uint32_t offset)
{
	const Uris *u = &p->uris;
	const LV2_Atom *frame = NULL, *speed = NULL, *bar = NULL, *bar_beat = NULL, *bpm = NULL, *bpb = NULL,
	               *unit = NULL;
	lv2_atom_object_get(obj, u->time_frame, &frame, u->time_speed, &speed, u->time_bar, &bar, u->time_barBeat,
	                    &bar_beat, u->time_beatsPerMinute, &bpm, u->time_beatsPerBar, &bpb, u->time_beatUnit,
	                    &unit, 0);
	hl_position pos = {0};
	double v;
	if ((pos.has_frame = number(u, frame, &v)))
		pos.frame = (int64_t)v;
	pos.has_speed = number(u, speed, &pos.speed);
	double bar_d = 0;
	pos.has_bbt_fields = number(u, bar, &bar_d) && number(u, bar_beat, &pos.bar_beat) && number(u, bpm, &pos.bpm) &&
	                     number(u, bpb, &pos.beats_per_bar) && number(u, unit, &pos.beat_unit);
	pos.bar = (isfinite(bar_d) && fabs(bar_d) < 9e15) ? (int64_t)bar_d : -1;
	hl_core_position(&p->core, &pos, offset, emit, p);
}

static double microseconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t); /* vDSO: no system call */
	return (double)t.tv_sec * 1e6 + t.tv_nsec * 1e-3;
}

static void run(LV2_Handle h, uint32_t nframes)
{
	Plugin *p = h;
	const double started = microseconds();
	const bool freewheeling = p->freewheel && *p->freewheel > 0.5f;
	const Uris *u = &p->uris;
	const uint32_t capacity = p->out->atom.size;
	LV2_Atom_Forge_Frame seq;
	lv2_atom_forge_set_buffer(&p->forge, (uint8_t *)p->out, capacity);
	lv2_atom_forge_sequence_head(&p->forge, &seq, 0);
	p->forge_full = false;

	if (p->slot && p->seed && p->threshold) {
		float slot = *p->slot, seed = *p->seed, threshold = *p->threshold;
		hl_core_style(&p->core, isfinite(slot) && slot > 0 ? (int32_t)lrintf(fminf(slot, 127.0f)) : 0,
		              isfinite(seed) && seed > 0 ? (int32_t)lrintf(fminf(seed, 16777215.0f)) : 0,
		              isfinite(threshold) ? fmin(fmax(threshold, 0.0), 1.0) : 0.25);
	}
	hl_core_begin(&p->core);
	if (freewheeling)
		hl_core_wait_for_plan(&p->core, nframes, FREEWHEEL_WAIT_S);
	uint32_t at = 0;
	LV2_ATOM_SEQUENCE_FOREACH (p->in, ev) {
		uint32_t offset = ev->time.frames < 0 ? 0 : (uint32_t)ev->time.frames;
		if (offset > nframes)
			offset = nframes;
		if (offset > at) {
			hl_core_render(&p->core, at, offset, emit, p);
			at = offset;
		}
		if (ev->body.type == u->midi_Event) {
			hl_core_midi_in(&p->core, (const uint8_t *)(ev + 1), ev->body.size);
		} else if (ev->body.type == u->atom_Object || ev->body.type == u->atom_Blank) {
			const LV2_Atom_Object *obj = (const LV2_Atom_Object *)&ev->body;
			if (obj->body.otype == u->time_Position)
				position(p, obj, at);
		}
	}
	hl_core_render(&p->core, at, nframes, emit, p);
	lv2_atom_forge_pop(&p->forge, &seq);

	if (p->connected)
		*p->connected = hl_link_connected(p->link) ? 1.0f : 0.0f;
	if (p->late)
		*p->late = (float)atomic_load_explicit(&p->core.late, memory_order_relaxed);
	const double took = microseconds() - started;
	if (!freewheeling && took > p->worst_us)
		p->worst_us = took;
	if (p->worst_run_us)
		*p->worst_run_us = (float)p->worst_us;
}

static void cleanup(LV2_Handle h)
{
	Plugin *p = h;
	hl_link_stop(p->link);
	hl_core_free(&p->core);
	free(p);
}

/* ---- LV2 state: the style the bridge plays for this track (hl_style_state), saved with
 * the project, so that a reopened project plays the same kicks whatever the bridge's slots ---- */
static LV2_State_Status save(LV2_Handle h, LV2_State_Store_Function store, LV2_State_Handle handle, uint32_t flags,
                             const LV2_Feature *const *features)
{
	(void)flags;
	(void)features;
	Plugin *p = h;
	const Uris *u = &p->uris;
	hl_style_state s;
	if (!hl_link_style_state(p->link, &s))
		return LV2_STATE_SUCCESS; /* no bridge has answered yet: the ports hold the settings */
	const uint32_t pod = LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE;
	const float threshold = (float)s.threshold;
	struct {
		LV2_Atom_Vector_Body head;
		float code[HL_CODE_MAX];
	} code = {{sizeof(float), u->atom_Float}, {0}};
	memcpy(code.code, s.code, s.size * sizeof(float));
	store(handle, u->style_slot, &s.slot, sizeof s.slot, u->atom_Int, pod);
	store(handle, u->style_seed, &s.seed, sizeof s.seed, u->atom_Int, pod);
	store(handle, u->style_threshold, &threshold, sizeof threshold, u->atom_Float, pod);
	store(handle, u->style_name, s.name, strlen(s.name) + 1, u->atom_String, pod);
	store(handle, u->style_model, s.model, strlen(s.model) + 1, u->atom_String, pod);
	store(handle, u->style_code, &code, sizeof code.head + s.size * sizeof(float), u->atom_Vector, pod);
	return LV2_STATE_SUCCESS;
}

static const void *retrieved(LV2_State_Retrieve_Function retrieve, LV2_State_Handle handle, LV2_URID key,
                             LV2_URID type, size_t *size)
{
	uint32_t got_type = 0, flags = 0;
	const void *value = retrieve(handle, key, size, &got_type, &flags);
	return value && got_type == type ? value : NULL;
}

static LV2_State_Status restore(LV2_Handle h, LV2_State_Retrieve_Function retrieve, LV2_State_Handle handle,
                                uint32_t flags, const LV2_Feature *const *features)
{
	(void)flags;
	(void)features;
	Plugin *p = h;
	const Uris *u = &p->uris;
	size_t n_slot = 0, n_seed = 0, n_threshold = 0, n_name = 0, n_model = 0, n_code = 0;
	const int32_t *slot = retrieved(retrieve, handle, u->style_slot, u->atom_Int, &n_slot);
	const int32_t *seed = retrieved(retrieve, handle, u->style_seed, u->atom_Int, &n_seed);
	const float *threshold = retrieved(retrieve, handle, u->style_threshold, u->atom_Float, &n_threshold);
	const char *name = retrieved(retrieve, handle, u->style_name, u->atom_String, &n_name);
	const char *model = retrieved(retrieve, handle, u->style_model, u->atom_String, &n_model);
	const LV2_Atom_Vector_Body *code = retrieved(retrieve, handle, u->style_code, u->atom_Vector, &n_code);
	if (!slot || n_slot < 4 || !seed || n_seed < 4 || !threshold || n_threshold < 4 || !name || !model || !code ||
	    n_code < sizeof *code || code->child_type != u->atom_Float || code->child_size != sizeof(float))
		return LV2_STATE_SUCCESS; /* a project saved before any bridge answered: its ports say it all */
	hl_style_state s = {.slot = *slot, .seed = *seed, .threshold = *threshold};
	size_t values = (n_code - sizeof *code) / sizeof(float);
	s.size = (uint16_t)(values < HL_CODE_MAX ? values : HL_CODE_MAX);
	memcpy(s.code, code + 1, s.size * sizeof(float));
	snprintf(s.name, sizeof s.name, "%.*s", (int)strnlen(name, n_name), name);
	snprintf(s.model, sizeof s.model, "%.*s", (int)strnlen(model, n_model), model);
	hl_link_restore_style(p->link, &s);
	return LV2_STATE_SUCCESS;
}

static const void *extension_data(const char *uri)
{
	static const LV2_State_Interface state = {save, restore};
	return strcmp(uri, LV2_STATE__interface) ? NULL : &state;
}

static const LV2_Descriptor descriptor = {
	HOSTLINK_URI, instantiate, connect_port, NULL, run, NULL, cleanup, extension_data,
};

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index)
{
	return index == 0 ? &descriptor : NULL;
}
