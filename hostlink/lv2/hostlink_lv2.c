/* kickgen host link, LV2 front end: maps LV2 atoms to the core and back. */
#define _GNU_SOURCE /* clock_gettime, getrandom */
#include <math.h>
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
#include <lv2/time/time.h>
#include <lv2/urid/urid.h>

#include "../core/hl_core.h"

#define HOSTLINK_URI "urn:kickgen:hostlink"

enum { PORT_IN = 0, PORT_OUT = 1, PORT_CONNECTED = 2, PORT_LATE = 3, PORT_SLOT = 4, PORT_SEED = 5, PORT_THRESHOLD = 6,
       PORT_FREEWHEEL = 7, PORT_WORST_RUN_US = 8 };
#define FREEWHEEL_WAIT_S 2.0 /* the longest a bounce waits for the bridge, per block */

typedef struct {
	LV2_URID atom_Int, atom_Long, atom_Float, atom_Double, atom_Blank, atom_Object, atom_Sequence, midi_Event, time_Position, time_frame, time_speed,
		time_bar, time_barBeat, time_beatsPerMinute, time_beatsPerBar, time_beatUnit;
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
	lv2_atom_forge_init(&p->forge, map);

	/* the instance id: random for now; the real plugin keeps it in its LV2 state */
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

static const LV2_Descriptor descriptor = {
	HOSTLINK_URI, instantiate, connect_port, NULL, run, NULL, cleanup, NULL,
};

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index)
{
	return index == 0 ? &descriptor : NULL;
}
