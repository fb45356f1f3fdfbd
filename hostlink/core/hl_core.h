/* kickgen host link: the plugin-format-independent core.
 *
 * hl_core   runs on the audio thread: follows the host transport (with sanity checks),
 *           stamps incoming notes in quarter notes, and plays the kick queue at the
 *           exact sample. Never blocks, allocates or does I/O.
 * hl_link   runs its own thread: talks to the bridge over a Unix datagram socket
 *           (hl_proto.h), reconnects on its own. The two meet only in two SPSC rings.
 *
 * A front end (LV2 here; VST3/CLAP later) converts its host's transport and MIDI into
 * hl_position / hl_core_midi_in calls and writes what hl_core_render emits.
 */
#ifndef HL_CORE_H
#define HL_CORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hl_ring.h"

#define HL_QUEUE_MAX 512  /* events queued for playback */
#define HL_WINDOW_MAX 128 /* events in one answer from the bridge */

/* ---- records on the rings (in-process layout, not the wire format) ---- */
enum { HL_REC_TRANSPORT = 1, HL_REC_NOTE = 2, HL_REC_KICKS = 3, HL_REC_STYLE = 4 };
enum { HL_WHY_CHANGE = 0, HL_WHY_BAR = 1, HL_WHY_LOCATE = 2, HL_WHY_STOP = 3, HL_WHY_CONNECT = 4 };

typedef struct {
	double qn;     /* quarter notes from the song's start */
	uint8_t size;  /* 1..3 */
	uint8_t msg[3];
} hl_event;

typedef struct {
	uint8_t type, playing, has_bbt, why;
	uint32_t epoch;
	int64_t frame; /* host transport frame */
	int64_t bar;   /* 0-based */
	double qn, bar_beat, bpm, beats_per_bar, beat_unit;
} hl_rec_transport;

typedef struct {
	uint8_t type, pad[3];
	uint32_t epoch;
	hl_event ev;
} hl_rec_note;

typedef struct {
	uint8_t type, pad[3];
	int32_t slot, seed; /* the bridge's preset slot; seed > 0: a random style drawn with it */
	double threshold;   /* peak threshold, 0..1 */
} hl_rec_style;

typedef struct {
	uint8_t type, pad[3];
	uint32_t epoch;
	double from_qn, to_qn; /* replaces the queue in [from_qn, to_qn) */
	uint32_t count;
	hl_event ev[HL_WINDOW_MAX];
} hl_rec_kicks;

/* ---- the host's position, as a front end hands it over (fields may be absent) ---- */
typedef struct {
	bool has_frame, has_speed, has_bbt_fields;
	int64_t frame;
	double speed;
	int64_t bar;   /* 0-based, as LV2 time:bar */
	double bar_beat, bpm, beats_per_bar, beat_unit;
} hl_position;

typedef void (*hl_emit_fn)(void *ctx, uint32_t offset, const uint8_t *msg, uint32_t size);

typedef struct {
	double rate;
	uint32_t epoch;

	/* transport, as of the current point in the block */
	bool known, playing, has_bbt;
	int64_t frame;                 /* host frame at the current point */
	int64_t anchor_frame;          /* last accepted musical position ... */
	double anchor_qn;              /* ... and its quarter note */
	double bpm, beats_per_bar, beat_unit;
	int64_t reported_bar;          /* for the once-a-bar report */

	double covered_qn;             /* the furthest window end the bridge has answered (this epoch) */
	hl_event queue[HL_QUEUE_MAX];  /* sorted by qn */
	uint32_t nqueue;
	uint8_t sounding[16][16];      /* note-on sent, note-off not yet: bit per channel/note */

	hl_rec_style style;            /* as last reported */
	bool style_known;

	hl_ring to_link, from_link;
	hl_rec_kicks scratch;          /* one answer, as read from the ring */

	/* counters (read by anyone, written by the audio thread) */
	_Atomic uint32_t rejected, late, dropped, flushes, waits_timed_out;
} hl_core;

int hl_core_init(hl_core *c, double rate);  /* not real-time */
void hl_core_free(hl_core *c);

/* Audio thread, per block: begin; then, in time order, render up to each event's offset
 * and hand over the event (position or note); last, render up to the block's end. */
void hl_core_begin(hl_core *c);
void hl_core_position(hl_core *c, const hl_position *p, uint32_t offset, hl_emit_fn emit, void *ctx);
void hl_core_midi_in(hl_core *c, const uint8_t *msg, uint32_t size);
/* the style the track's settings ask for (each block; reported to the bridge on a change) */
void hl_core_style(hl_core *c, int32_t slot, int32_t seed, double threshold);
/* plays what is due in [from, to) of the block and advances the transport by to-from. */
void hl_core_render(hl_core *c, uint32_t from, uint32_t to, hl_emit_fn emit, void *ctx);

/* Offline bounce (freewheeling host): not real-time, so the audio thread may wait, up to
 * `timeout_s`, until the bridge's answers cover this block of `nframes`; call it after
 * hl_core_begin. A bounce then holds the same kicks as real-time playback. */
void hl_core_wait_for_plan(hl_core *c, uint32_t nframes, double timeout_s);

/* the frame (host transport frame) at which the event at `qn` plays, given the anchor */
int64_t hl_frame_of_qn(const hl_core *c, double qn);
double hl_qn_per_frame(const hl_core *c);

/* ---- the link thread ---- */
#define HL_CODE_MAX 256 /* values in a style code: a bar of 16 codes of 16 */

/* a style as the project saves it (STYLE_STATE in hl_proto.h) */
typedef struct {
	int32_t slot, seed;
	double threshold;
	char name[32], model[16]; /* NUL-terminated */
	uint16_t size;
	float code[HL_CODE_MAX];
} hl_style_state;

typedef struct hl_link hl_link;
hl_link *hl_link_start(hl_core *c, uint32_t instance_id, const char *socket_path /* NULL: default */);
void hl_link_stop(hl_link *l);
bool hl_link_connected(const hl_link *l);
/* Not real-time (a host's save and restore threads). The style to save: what the bridge
 * last said it plays, else the style restored and not yet answered; false when neither. */
bool hl_link_style_state(hl_link *l, hl_style_state *out);
/* A saved style: sent to the bridge (SAVED_STYLE) for as long as the track's slot and seed
 * are those it was saved with; the first other setting the audio thread reports ends it. */
void hl_link_restore_style(hl_link *l, const hl_style_state *saved);

#endif
