/* The audio-thread half of the host link: transport, note stamps, the kick queue. */
#define _POSIX_C_SOURCE 199309L
#include "hl_core.h"

#include <math.h>
#include <string.h>
#include <time.h>

#define RING_BYTES (1u << 16)
/* A position this far off the extrapolated one is a jump. Hosts round their musical time
 * (Ardour: 1920 ticks a beat, so up to 5e-4 quarter notes), so a closer one is rounding:
 * the plugin keeps its own, exact, extrapolation. */
#define QN_TOLERANCE 2e-3

int hl_core_init(hl_core *c, double rate)
{
	memset(c, 0, sizeof *c);
	c->rate = rate;
	c->bpm = 120.0;
	c->beats_per_bar = 4.0;
	c->beat_unit = 4.0;
	c->reported_bar = -1;
	c->covered_qn = -INFINITY;
	if (hl_ring_init(&c->to_link, RING_BYTES) || hl_ring_init(&c->from_link, RING_BYTES)) {
		hl_core_free(c);
		return -1;
	}
	return 0;
}

void hl_core_free(hl_core *c)
{
	hl_ring_free(&c->to_link);
	hl_ring_free(&c->from_link);
}

double hl_qn_per_frame(const hl_core *c)
{
	return c->bpm / 60.0 / c->rate * (4.0 / c->beat_unit);
}

static double qn_now(const hl_core *c)
{
	return c->anchor_qn + (double)(c->frame - c->anchor_frame) * hl_qn_per_frame(c);
}

static double qn_per_bar(const hl_core *c)
{
	return c->beats_per_bar * 4.0 / c->beat_unit;
}

/* The frame nearest the event's quarter note (the plan's rounding rule: nearest, not
 * ceil, so that a position rounded by the host, e.g. JACK's integer ticks, cannot move a
 * kick that falls on an exact frame by one). */
int64_t hl_frame_of_qn(const hl_core *c, double qn)
{
	return c->anchor_frame + (int64_t)floor((qn - c->anchor_qn) / hl_qn_per_frame(c) + 0.5);
}

static void report(hl_core *c, uint8_t why)
{
	hl_rec_transport t = {
		.type = HL_REC_TRANSPORT, .playing = c->playing, .has_bbt = c->has_bbt, .why = why,
		.epoch = c->epoch, .frame = c->frame, .qn = qn_now(c), .bpm = c->bpm,
		.beats_per_bar = c->beats_per_bar, .beat_unit = c->beat_unit,
	};
	if (c->has_bbt) {
		double bars = t.qn / qn_per_bar(c);
		t.bar = (int64_t)floor(bars + 1e-9);
		t.bar_beat = (t.qn - (double)t.bar * qn_per_bar(c)) * c->beat_unit / 4.0;
		c->reported_bar = t.bar;
	}
	if (!hl_ring_write(&c->to_link, &t, sizeof t))
		atomic_fetch_add_explicit(&c->dropped, 1, memory_order_relaxed);
}

static void note_off_all(hl_core *c, uint32_t offset, hl_emit_fn emit, void *ctx)
{
	for (int ch = 0; ch < 16; ch++)
		for (int n = 0; n < 128; n++)
			if (c->sounding[ch][n >> 3] & (1u << (n & 7))) {
				uint8_t off[3] = {(uint8_t)(0x80 | ch), (uint8_t)n, 0};
				emit(ctx, offset, off, 3);
			}
	memset(c->sounding, 0, sizeof c->sounding);
}

/* Stop, locate or loop wrap: what was queued belonged to the old timeline. */
static void flush(hl_core *c, uint32_t offset, hl_emit_fn emit, void *ctx)
{
	c->epoch++;
	c->nqueue = 0;
	c->covered_qn = -INFINITY;
	note_off_all(c, offset, emit, ctx);
	atomic_fetch_add_explicit(&c->flushes, 1, memory_order_relaxed);
}

static bool bbt_sane(const hl_position *p)
{
	return isfinite(p->bar_beat) && isfinite(p->bpm) && isfinite(p->beats_per_bar) && isfinite(p->beat_unit) &&
	       p->bpm >= 1.0 && p->bpm <= 1000.0 && p->beats_per_bar > 0.0 && p->beats_per_bar <= 256.0 &&
	       p->beat_unit >= 1.0 && p->beat_unit <= 256.0 && p->bar >= 0 && p->bar < 10000000 &&
	       p->bar_beat >= 0.0 && p->bar_beat < p->beats_per_bar + 1e-6;
}

void hl_core_position(hl_core *c, const hl_position *p, uint32_t offset, hl_emit_fn emit, void *ctx)
{
	bool bbt = p->has_bbt_fields && bbt_sane(p);
	if (p->has_bbt_fields && !bbt)
		atomic_fetch_add_explicit(&c->rejected, 1, memory_order_relaxed);

	bool playing = p->has_speed ? p->speed != 0.0 : c->playing;
	int64_t frame = p->has_frame ? p->frame : c->frame;
	bool jump = c->known && frame != c->frame;
	double qn = 0.0;
	if (bbt) {
		qn = ((double)p->bar * p->beats_per_bar + p->bar_beat) * 4.0 / p->beat_unit;
		if (c->known && c->has_bbt && !jump) {
			if (fabs(qn - qn_now(c)) > QN_TOLERANCE)
				jump = true; /* the host moved the music under the same frame (tempo map edit) */
			else
				qn = qn_now(c); /* the host's rounding, not a move */
		}
	}
	bool stop = c->known && c->playing && !playing;
	uint8_t why = stop ? HL_WHY_STOP : jump ? HL_WHY_LOCATE : HL_WHY_CHANGE;
	if (stop || jump)
		flush(c, offset, emit, ctx);

	if (bbt) {
		c->anchor_frame = frame;
		c->anchor_qn = qn;
		c->bpm = p->bpm;
		c->beats_per_bar = p->beats_per_bar;
		c->beat_unit = p->beat_unit;
		c->has_bbt = true;
	} else if (c->has_bbt && frame != c->frame) {
		/* no (usable) musical time with a jump: assume the tempo has not changed */
		c->anchor_qn = c->anchor_qn + (double)(frame - c->anchor_frame) * hl_qn_per_frame(c);
		c->anchor_frame = frame;
	}
	c->frame = frame;
	c->playing = playing;
	c->known = true;
	report(c, why);
}

void hl_core_midi_in(hl_core *c, const uint8_t *msg, uint32_t size)
{
	uint8_t kind = size ? msg[0] & 0xF0 : 0;
	if (size != 3 || (kind != 0x90 && kind != 0x80) || !c->playing || !c->has_bbt)
		return;
	hl_rec_note r = {.type = HL_REC_NOTE, .epoch = c->epoch, .ev = {.qn = qn_now(c), .size = 3}};
	memcpy(r.ev.msg, msg, 3);
	if (!hl_ring_write(&c->to_link, &r, sizeof r))
		atomic_fetch_add_explicit(&c->dropped, 1, memory_order_relaxed);
}

void hl_core_style(hl_core *c, int32_t slot, int32_t seed, double threshold)
{
	if (c->style_known && c->style.slot == slot && c->style.seed == seed && c->style.threshold == threshold)
		return;
	hl_rec_style r = {.type = HL_REC_STYLE, .slot = slot, .seed = seed, .threshold = threshold};
	if (!hl_ring_write(&c->to_link, &r, sizeof r)) {
		atomic_fetch_add_explicit(&c->dropped, 1, memory_order_relaxed);
		return; /* tried again next block */
	}
	c->style = r;
	c->style_known = true;
}

static void insert(hl_core *c, const hl_event *e)
{
	if (c->nqueue == HL_QUEUE_MAX) {
		atomic_fetch_add_explicit(&c->dropped, 1, memory_order_relaxed);
		return;
	}
	uint32_t i = c->nqueue;
	while (i > 0 && c->queue[i - 1].qn > e->qn) /* stable: equal qn keeps arrival order */
		i--;
	memmove(&c->queue[i + 1], &c->queue[i], (c->nqueue - i) * sizeof *e);
	c->queue[i] = *e;
	c->nqueue++;
}

static void apply_window(hl_core *c, const hl_rec_kicks *k)
{
	uint32_t kept = 0;
	for (uint32_t i = 0; i < c->nqueue; i++)
		if (c->queue[i].qn < k->from_qn || c->queue[i].qn >= k->to_qn)
			c->queue[kept++] = c->queue[i];
	c->nqueue = kept;
	if (k->to_qn > c->covered_qn)
		c->covered_qn = k->to_qn;
	for (uint32_t i = 0; i < k->count && i < HL_WINDOW_MAX; i++)
		if (k->ev[i].qn >= k->from_qn && k->ev[i].qn < k->to_qn && k->ev[i].size >= 1 && k->ev[i].size <= 3)
			insert(c, &k->ev[i]);
}

void hl_core_begin(hl_core *c)
{
	int32_t n;
	while ((n = hl_ring_read(&c->from_link, &c->scratch, sizeof c->scratch)) != 0) {
		if (n < 0 || c->scratch.type != HL_REC_KICKS)
			continue;
		if (c->scratch.epoch == c->epoch) /* an answer to a timeline since flushed is stale */
			apply_window(c, &c->scratch);
	}
}

static double seconds_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

void hl_core_wait_for_plan(hl_core *c, uint32_t nframes, double timeout_s)
{
	if (!c->known || !c->playing || !c->has_bbt)
		return;
	double end_qn = qn_now(c) + nframes * hl_qn_per_frame(c), deadline = seconds_now() + timeout_s;
	while (c->covered_qn < end_qn) {
		if (seconds_now() >= deadline) {
			atomic_fetch_add_explicit(&c->waits_timed_out, 1, memory_order_relaxed);
			return;
		}
		struct timespec nap = {0, 200000}; /* 0.2 ms */
		nanosleep(&nap, NULL);
		hl_core_begin(c);
	}
}

static void play(hl_core *c, const hl_event *e, uint32_t offset, hl_emit_fn emit, void *ctx)
{
	uint8_t kind = e->msg[0] & 0xF0, ch = e->msg[0] & 0x0F, n = e->msg[1] & 0x7F;
	uint8_t bit = (uint8_t)(1u << (n & 7)), *cell = &c->sounding[ch][n >> 3];
	if (e->size == 3 && kind == 0x90 && e->msg[2] > 0) {
		if (*cell & bit) { /* retrigger: end the sounding one first */
			uint8_t off[3] = {(uint8_t)(0x80 | ch), n, 0};
			emit(ctx, offset, off, 3);
		}
		*cell |= bit;
	} else if (e->size == 3 && (kind == 0x80 || kind == 0x90)) {
		*cell &= (uint8_t)~bit;
	}
	emit(ctx, offset, e->msg, e->size);
}

void hl_core_render(hl_core *c, uint32_t from, uint32_t to, hl_emit_fn emit, void *ctx)
{
	if (to <= from || !c->known || !c->playing)
		return;
	if (!c->has_bbt) { /* no musical time: nothing can be placed */
		c->frame += to - from;
		return;
	}
	int64_t end = c->frame + (to - from);
	uint32_t played = 0;
	while (played < c->nqueue) {
		const hl_event *e = &c->queue[played];
		int64_t f = hl_frame_of_qn(c, e->qn);
		if (f >= end)
			break;
		if (f < c->frame) { /* arrived too late: a note-off still goes out, a note-on does not */
			atomic_fetch_add_explicit(&c->late, 1, memory_order_relaxed);
			if ((e->msg[0] & 0xF0) == 0x80 || ((e->msg[0] & 0xF0) == 0x90 && e->msg[2] == 0))
				play(c, e, from, emit, ctx);
		} else {
			play(c, e, from + (uint32_t)(f - c->frame), emit, ctx);
		}
		played++;
	}
	if (played) {
		memmove(c->queue, c->queue + played, (c->nqueue - played) * sizeof c->queue[0]);
		c->nqueue -= played;
	}
	c->frame = end;
	if ((int64_t)floor(qn_now(c) / qn_per_bar(c) + 1e-9) != c->reported_bar)
		report(c, HL_WHY_BAR); /* once a bar, so the bridge can keep a bar ahead */
}
