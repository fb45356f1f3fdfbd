/* Unit test of the core without a host: transport sanity checks, window replacement,
 * stale answers, sample placement, flush note-offs; and the worst render() time. */
#define _POSIX_C_SOURCE 199309L
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../core/hl_core.h"

typedef struct { uint32_t n, offset[64]; uint8_t msg[64][3]; } Out;
static void collect(void *ctx, uint32_t offset, const uint8_t *msg, uint32_t size)
{
	Out *o = ctx;
	if (o->n < 64) { o->offset[o->n] = offset; memcpy(o->msg[o->n], msg, size); o->n++; }
}

static void answer(hl_core *c, uint32_t epoch, double from, double to, const double *qn, int n)
{
	static hl_rec_kicks k;
	memset(&k, 0, sizeof k);
	k.type = HL_REC_KICKS; k.epoch = epoch; k.from_qn = from; k.to_qn = to; k.count = (uint32_t)n;
	for (int i = 0; i < n; i++)
		k.ev[i] = (hl_event){.qn = qn[i], .size = 3, .msg = {0x99, 36, 100}};
	assert(hl_ring_write(&c->from_link, &k, sizeof k));
}

int main(void)
{
	static hl_core c;
	Out o = {0};
	assert(hl_core_init(&c, 48000) == 0);
	/* 120 bpm 4/4 at 48 kHz: a quarter note is 24000 frames */
	hl_position p = {.has_frame = 1, .has_speed = 1, .has_bbt_fields = 1, .frame = 0, .speed = 1,
	                 .bar = 0, .bar_beat = 0, .bpm = 120, .beats_per_bar = 4, .beat_unit = 4};
	hl_core_position(&c, &p, 0, collect, &o);
	double plan[] = {1.0, 2.5};
	answer(&c, c.epoch, 0, 4, plan, 2);
	answer(&c, c.epoch + 7, 0, 4, (double[]){0.5}, 1); /* stale epoch: ignored */
	hl_core_begin(&c);
	assert(c.nqueue == 2);
	/* a garbage position (seen from jalv as a master registers) is rejected, not followed */
	hl_position bad = p;
	bad.frame = 0; bad.bar_beat = -1118481.125;
	hl_core_position(&c, &bad, 0, collect, &o);
	assert(c.rejected == 1 && c.nqueue == 2);
	for (uint32_t f = 0; f < 24000 * 3; f += 128) {
		hl_core_render(&c, 0, 128, collect, &o);
		for (uint32_t i = 0; i < o.n; i++)
			printf("frame %u: %02x %02x %02x\n", f + o.offset[i], o.msg[i][0], o.msg[i][1], o.msg[i][2]);
		if (o.n)
			assert((f + o.offset[0]) % 12000 == 0);
		o.n = 0;
	}
	/* replacement: a new answer for [3, 5) replaces, a stop sends the note-off */
	answer(&c, c.epoch, 3, 5, (double[]){3.25}, 1);
	hl_core_begin(&c);
	assert(c.nqueue == 1 && c.queue[0].qn == 3.25);
	hl_position stop = {.has_speed = 1, .speed = 0};
	hl_core_position(&c, &stop, 5, collect, &o);
	assert(c.nqueue == 0 && c.flushes == 1);
	assert(o.n == 1 && o.msg[0][0] == 0x89 && o.offset[0] == 5); /* the kick at 2.5 was sounding */
	o.n = 0;

	/* a host that rounds its musical time (Ardour: 1920 ticks a beat) is followed, not
	 * taken for a jump: at frame 30000 (1.25 quarter notes) it says 1.25 + 1/3000 */
	hl_core_position(&c, &p, 0, collect, &o); /* playing at frame 0 */
	for (uint32_t f = 0; f < 30000; f += 120)
		hl_core_render(&c, 0, 120, collect, &o);
	uint32_t flushes = c.flushes;
	hl_position rounded = p;
	rounded.frame = 30000; rounded.bar_beat = 1.25 + 1.0 / 3000;
	hl_core_position(&c, &rounded, 0, collect, &o);
	assert(c.flushes == flushes && c.anchor_qn == 1.25);
	rounded.bar_beat = 1.5; /* a quarter of a beat off: the music moved (a jump) */
	hl_core_position(&c, &rounded, 0, collect, &o);
	assert(c.flushes == flushes + 1 && c.anchor_qn == 1.5);
	o.n = 0;

	/* freewheeling: the wait ends as soon as an answer covers the block, or at its bound */
	hl_core_position(&c, &p, 0, collect, &o); /* playing again at frame 0 (a jump: flushed) */
	o.n = 0;
	hl_core_wait_for_plan(&c, 128, 0.01);
	assert(c.waits_timed_out == 1);
	answer(&c, c.epoch, 0, 4, (double[]){0.0}, 1);
	hl_core_wait_for_plan(&c, 128, 10.0);
	assert(c.waits_timed_out == 1 && c.covered_qn == 4 && c.nqueue == 1);

	/* worst block time: a full queue, 1000 blocks */
	hl_core_position(&c, &p, 0, collect, &o);
	double worst = 0;
	for (int rep = 0; rep < 1000; rep++) {
		if (c.nqueue < 8) {
			static double many[HL_WINDOW_MAX];
			double base = c.anchor_qn + (double)(c.frame - c.anchor_frame) / 24000.0;
			for (int i = 0; i < HL_WINDOW_MAX; i++) many[i] = base + i / 64.0;
			answer(&c, c.epoch, base, base + 2, many, HL_WINDOW_MAX);
		}
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		hl_core_begin(&c);
		hl_core_render(&c, 0, 128, collect, &o);
		clock_gettime(CLOCK_MONOTONIC, &b);
		o.n = 0;
		double us = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
		if (us > worst) worst = us;
	}
	printf("worst block %.1f us of a %.0f us period (%.2f %%)\n", worst, 128e6 / 48000, worst / (128e6 / 48000) * 100);
	hl_core_free(&c);
	puts("test_core: ok");
	return 0;
}
