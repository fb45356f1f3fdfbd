/* The link thread: rings <-> Unix datagram socket to the bridge (hl_proto.h).
 * Runs beside the audio thread; it alone does I/O, and reconnects on its own. */
#define _GNU_SOURCE
#include "hl_core.h"
#include "hl_proto.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 2
#define RETRY_S 0.25
#define KEEPALIVE_S 1.0
#define NOTES_PER_DATAGRAM 128

struct hl_link {
	hl_core *core;
	uint32_t instance;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	pthread_t thread;
	atomic_bool stop, connected;
	int fd;
	double next_try, last_hello;
	hl_rec_transport last_transport;
	bool have_transport;
	hl_rec_style last_style;
	bool have_style;
	/* styles as saved with the project; guarded by `styles`, shared with save and restore */
	pthread_mutex_t styles;
	hl_style_state chosen, saved; /* what the bridge plays; what the project restored */
	bool have_chosen, have_saved;
	atomic_bool saved_changed;
	uint8_t out[HL_DATAGRAM_MAX], in[HL_DATAGRAM_MAX];
	size_t n_out;
	uint32_t notes, notes_epoch;
	hl_rec_kicks kicks;
};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* ---- little-endian encoding ---- */
static void put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put_u32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put_u64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put_f64(uint8_t *p, double d) { uint64_t v; memcpy(&v, &d, 8); put_u64(p, v); }
static void put_f32(uint8_t *p, float f) { uint32_t v; memcpy(&v, &f, 4); put_u32(p, v); }
static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get_u32(const uint8_t *p) { uint32_t v = 0; for (int i = 3; i >= 0; i--) v = v << 8 | p[i]; return v; }
static float get_f32(const uint8_t *p)
{
	uint32_t v = get_u32(p);
	float f;
	memcpy(&f, &v, 4);
	return f;
}
static double get_f64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	double d;
	memcpy(&d, &v, 8);
	return d;
}

static size_t header(hl_link *l, uint8_t *p, uint16_t type, uint32_t epoch)
{
	memcpy(p, "KGHL", 4);
	put_u16(p + 4, HL_PROTO_VERSION);
	put_u16(p + 6, type);
	put_u32(p + 8, l->instance);
	put_u32(p + 12, epoch);
	return HL_HEADER_BYTES;
}

static void put_event(uint8_t *p, const hl_event *e)
{
	memset(p, 0, HL_EVENT_BYTES);
	put_f64(p, e->qn);
	p[8] = e->size;
	memcpy(p + 9, e->msg, 3);
}

/* ---- the socket ---- */
static void disconnect(hl_link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	atomic_store(&l->connected, false);
	l->next_try = now_s() + RETRY_S;
}

static void send_datagram(hl_link *l, const uint8_t *p, size_t n)
{
	if (l->fd < 0)
		return;
	if (send(l->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		disconnect(l); /* the bridge went away (ECONNREFUSED, ENOENT, ...): try again later */
}

static void send_hello(hl_link *l)
{
	uint8_t p[HL_HEADER_BYTES + 60] = {0};
	header(l, p, HL_MSG_HELLO, l->core->epoch);
	put_f64(p + 16, l->core->rate);
	put_u32(p + 24, 0);
	snprintf((char *)p + 28, 32, "%s", program_invocation_short_name);
	snprintf((char *)p + 60, 16, "%s", "0.1.0");
	send_datagram(l, p, sizeof p);
	l->last_hello = now_s();
}

static void send_transport(hl_link *l, const hl_rec_transport *t, uint8_t why)
{
	uint8_t p[HL_HEADER_BYTES + 68];
	size_t o = header(l, p, HL_MSG_TRANSPORT, t->epoch);
	p[o] = t->playing; p[o + 1] = t->has_bbt; p[o + 2] = why; p[o + 3] = 0;
	put_u64(p + o + 4, (uint64_t)t->frame);
	put_u64(p + o + 12, (uint64_t)t->bar);
	put_f64(p + o + 20, t->qn);
	put_f64(p + o + 28, t->bar_beat);
	put_f64(p + o + 36, t->bpm);
	put_f64(p + o + 44, t->beats_per_bar);
	put_f64(p + o + 52, t->beat_unit);
	send_datagram(l, p, o + 60);
}

static void send_saved_style(hl_link *l, const hl_style_state *s)
{
	uint8_t p[HL_HEADER_BYTES + HL_STYLE_STATE_BYTES + 4 * HL_CODE_MAX] = {0};
	size_t o = header(l, p, HL_MSG_SAVED_STYLE, l->core->epoch);
	put_u32(p + o, (uint32_t)s->slot);
	put_u32(p + o + 4, (uint32_t)s->seed);
	put_f64(p + o + 8, s->threshold);
	memcpy(p + o + 16, s->name, sizeof s->name);
	memcpy(p + o + 48, s->model, sizeof s->model);
	put_u16(p + o + 64, s->size);
	for (uint16_t i = 0; i < s->size; i++)
		put_f32(p + o + HL_STYLE_STATE_BYTES + 4 * i, s->code[i]);
	send_datagram(l, p, o + HL_STYLE_STATE_BYTES + 4 * (size_t)s->size);
}

/* the style the track asks for: the saved one while its settings stand, else the settings */
static void send_style(hl_link *l)
{
	pthread_mutex_lock(&l->styles);
	if (l->have_saved) {
		if (l->have_style)
			l->saved.threshold = l->last_style.threshold;
		send_saved_style(l, &l->saved);
	} else if (l->have_style) {
		uint8_t p[HL_HEADER_BYTES + 16];
		size_t o = header(l, p, HL_MSG_STYLE, l->core->epoch);
		put_u32(p + o, (uint32_t)l->last_style.slot);
		put_u32(p + o + 4, (uint32_t)l->last_style.seed);
		put_f64(p + o + 8, l->last_style.threshold);
		send_datagram(l, p, sizeof p);
	}
	pthread_mutex_unlock(&l->styles);
}

static void try_connect(hl_link *l)
{
	struct sockaddr_un server = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* autobind (Linux): an abstract address of our own, so the bridge can answer */
	sa_family_t family = AF_UNIX;
	if (bind(fd, (struct sockaddr *)&family, sizeof family) < 0)
		goto fail;
	memcpy(server.sun_path, l->path, sizeof server.sun_path);
	if (connect(fd, (struct sockaddr *)&server, sizeof server) < 0)
		goto fail;
	l->fd = fd;
	atomic_store(&l->connected, true);
	send_hello(l);
	send_style(l); /* before the transport, so that the first plans have the track's style */
	if (l->have_transport)
		send_transport(l, &l->last_transport, HL_WHY_CONNECT);
	return;
fail:
	if (fd >= 0)
		close(fd);
	l->next_try = now_s() + RETRY_S;
}

static void flush_notes(hl_link *l)
{
	if (!l->notes)
		return;
	put_u16(l->out + 16, (uint16_t)l->notes);
	put_u16(l->out + 18, 0);
	send_datagram(l, l->out, 20 + (size_t)l->notes * HL_EVENT_BYTES);
	l->notes = 0;
}

/* ---- the thread ---- */
static void from_core(hl_link *l)
{
	union {
		uint8_t type;
		hl_rec_transport t;
		hl_rec_note n;
		hl_rec_style s;
	} rec;
	int32_t len;
	while ((len = hl_ring_read(&l->core->to_link, &rec, sizeof rec)) != 0) {
		if (len < 0)
			continue;
		if (rec.type == HL_REC_TRANSPORT) {
			flush_notes(l); /* keep the order: notes before the transport that follows them */
			l->last_transport = rec.t;
			l->have_transport = true;
			send_transport(l, &rec.t, rec.t.why);
		} else if (rec.type == HL_REC_STYLE) {
			flush_notes(l);
			l->last_style = rec.s;
			l->have_style = true;
			pthread_mutex_lock(&l->styles);
			if (l->have_saved && (rec.s.slot != l->saved.slot || rec.s.seed != l->saved.seed))
				l->have_saved = false; /* the track chose another style */
			pthread_mutex_unlock(&l->styles);
			send_style(l);
		} else if (rec.type == HL_REC_NOTE) {
			if (l->notes && (l->notes == NOTES_PER_DATAGRAM || rec.n.epoch != l->notes_epoch))
				flush_notes(l);
			if (!l->notes) {
				header(l, l->out, HL_MSG_NOTES, rec.n.epoch);
				l->notes_epoch = rec.n.epoch;
			}
			put_event(l->out + 20 + (size_t)l->notes * HL_EVENT_BYTES, &rec.n.ev);
			l->notes++;
		}
	}
	flush_notes(l);
}

static void parse_kicks(hl_link *l, const uint8_t *p, size_t n)
{
	if (n < 36)
		return;
	uint32_t count = get_u16(p + 32);
	if (count > HL_WINDOW_MAX || n < 36 + (size_t)count * HL_EVENT_BYTES)
		return;
	hl_rec_kicks *k = &l->kicks;
	k->type = HL_REC_KICKS;
	k->epoch = get_u32(p + 12);
	k->from_qn = get_f64(p + 16);
	k->to_qn = get_f64(p + 24);
	k->count = count;
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *e = p + 36 + (size_t)i * HL_EVENT_BYTES;
		k->ev[i].qn = get_f64(e);
		k->ev[i].size = e[8];
		memcpy(k->ev[i].msg, e + 9, 3);
	}
	size_t bytes = offsetof(hl_rec_kicks, ev) + count * sizeof(hl_event);
	if (!hl_ring_write(&l->core->from_link, k, (uint32_t)bytes))
		atomic_fetch_add_explicit(&l->core->dropped, 1, memory_order_relaxed);
}

static void parse_style_state(hl_link *l, const uint8_t *p, size_t n)
{
	const uint8_t *b = p + HL_HEADER_BYTES;
	if (n < HL_HEADER_BYTES + HL_STYLE_STATE_BYTES)
		return;
	hl_style_state s = {.slot = (int32_t)get_u32(b), .seed = (int32_t)get_u32(b + 4), .threshold = get_f64(b + 8),
	                    .size = get_u16(b + 64)};
	if (s.size > HL_CODE_MAX || n < HL_HEADER_BYTES + HL_STYLE_STATE_BYTES + 4 * (size_t)s.size)
		return;
	memcpy(s.name, b + 16, sizeof s.name - 1);
	memcpy(s.model, b + 48, sizeof s.model - 1);
	for (uint16_t i = 0; i < s.size; i++)
		s.code[i] = get_f32(b + HL_STYLE_STATE_BYTES + 4 * i);
	pthread_mutex_lock(&l->styles);
	l->chosen = s;
	l->have_chosen = true;
	pthread_mutex_unlock(&l->styles);
}

static void parse_answer(hl_link *l, const uint8_t *p, size_t n)
{
	if (n < HL_HEADER_BYTES || memcmp(p, "KGHL", 4) || get_u16(p + 4) != HL_PROTO_VERSION ||
	    get_u32(p + 8) != l->instance)
		return;
	if (get_u16(p + 6) == HL_MSG_KICKS)
		parse_kicks(l, p, n);
	else if (get_u16(p + 6) == HL_MSG_STYLE_STATE)
		parse_style_state(l, p, n);
}

static void *run(void *arg)
{
	hl_link *l = arg;
	while (!atomic_load(&l->stop)) {
		double t = now_s();
		if (l->fd < 0 && t >= l->next_try)
			try_connect(l);
		from_core(l);
		if (atomic_exchange(&l->saved_changed, false))
			send_style(l);
		if (l->fd >= 0 && t - l->last_hello >= KEEPALIVE_S)
			send_hello(l);
		if (l->fd < 0) {
			struct timespec nap = {0, POLL_MS * 1000000L};
			nanosleep(&nap, NULL);
			continue;
		}
		struct pollfd pfd = {.fd = l->fd, .events = POLLIN};
		if (poll(&pfd, 1, POLL_MS) > 0) {
			ssize_t n;
			while (l->fd >= 0 && (n = recv(l->fd, l->in, sizeof l->in, MSG_DONTWAIT)) != 0) {
				if (n < 0) {
					if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
						disconnect(l);
					break;
				}
				parse_answer(l, l->in, (size_t)n);
			}
		}
	}
	if (l->fd >= 0) {
		uint8_t p[HL_HEADER_BYTES];
		header(l, p, HL_MSG_BYE, l->core->epoch);
		send_datagram(l, p, sizeof p);
		close(l->fd);
	}
	return NULL;
}

hl_link *hl_link_start(hl_core *c, uint32_t instance_id, const char *socket_path)
{
	hl_link *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->core = c;
	l->instance = instance_id;
	l->fd = -1;
	const char *env = getenv("KICKGEN_HOSTLINK_SOCKET"), *dir = getenv("XDG_RUNTIME_DIR");
	if (socket_path)
		snprintf(l->path, sizeof l->path, "%s", socket_path);
	else if (env && *env)
		snprintf(l->path, sizeof l->path, "%s", env);
	else
		snprintf(l->path, sizeof l->path, "%s/kickgen-hostlink.sock", dir && *dir ? dir : "/tmp");
	atomic_init(&l->stop, false);
	atomic_init(&l->connected, false);
	atomic_init(&l->saved_changed, false);
	if (pthread_mutex_init(&l->styles, NULL)) {
		free(l);
		return NULL;
	}
	if (pthread_create(&l->thread, NULL, run, l)) {
		pthread_mutex_destroy(&l->styles);
		free(l);
		return NULL;
	}
	return l;
}

void hl_link_stop(hl_link *l)
{
	if (!l)
		return;
	atomic_store(&l->stop, true);
	pthread_join(l->thread, NULL);
	pthread_mutex_destroy(&l->styles);
	free(l);
}

bool hl_link_connected(const hl_link *l)
{
	return l && atomic_load((atomic_bool *)&l->connected);
}

bool hl_link_style_state(hl_link *l, hl_style_state *out)
{
	pthread_mutex_lock(&l->styles);
	bool known = l->have_chosen || l->have_saved;
	if (known)
		*out = l->have_chosen ? l->chosen : l->saved;
	pthread_mutex_unlock(&l->styles);
	return known;
}

void hl_link_restore_style(hl_link *l, const hl_style_state *saved)
{
	pthread_mutex_lock(&l->styles);
	l->saved = *saved;
	l->saved.name[sizeof l->saved.name - 1] = l->saved.model[sizeof l->saved.model - 1] = '\0';
	if (l->saved.size > HL_CODE_MAX)
		l->saved.size = HL_CODE_MAX;
	l->have_saved = true;
	l->have_chosen = false; /* until the bridge answers the restored style */
	pthread_mutex_unlock(&l->styles);
	atomic_store(&l->saved_changed, true);
}
