#define _DEFAULT_SOURCE
/* Test client for the host link under JACK.
 *
 *   hl_transport master BPM BEATS_PER_BAR BEAT_UNIT [LOOP_START LOOP_END]
 *       an exact timebase master (bar/beat/tick computed from the transport frame, a
 *       million ticks a beat) with a MIDI input "in" whose events it prints as
 *       "<transport frame> <hex bytes>" (or "stopped <jack frame> <bytes>") on stdout;
 *       with a loop range, the transport jumps back to LOOP_START in the cycle after
 *       the one that reaches LOOP_END, as a DAW's loop wraps (at a cycle boundary)
 *   hl_transport start | stop | locate FRAME | freewheel on|off
 *       one transport command (or the server's freewheel mode: an offline bounce), then exit
 */
#include <jack/jack.h>
#include <jack/midiport.h>
#include <jack/ringbuffer.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TICKS_PER_BEAT 1000000.0

static double bpm = 120, beats_per_bar = 4, beat_unit = 4;
static jack_nframes_t loop_start, loop_end; /* loop_end 0: no loop */
static jack_port_t *in_port;
static jack_ringbuffer_t *ring;
static volatile sig_atomic_t done;

typedef struct {
	int64_t frame;
	int rolling;
	uint32_t size;
	uint8_t bytes[4];
} Heard;

static void timebase(jack_transport_state_t state, jack_nframes_t nframes, jack_position_t *pos, int new_pos,
                     void *arg)
{
	(void)state; (void)nframes; (void)new_pos; (void)arg;
	double beats = (double)pos->frame / pos->frame_rate * bpm / 60.0; /* in beat units */
	double bars = floor(beats / beats_per_bar);
	double in_bar = beats - bars * beats_per_bar;
	double beat = floor(in_bar);
	pos->valid |= JackPositionBBT;
	pos->bar = (int32_t)bars + 1;
	pos->beat = (int32_t)beat + 1;
	pos->tick = (int32_t)floor((in_bar - beat) * TICKS_PER_BEAT);
	pos->bar_start_tick = bars * beats_per_bar * TICKS_PER_BEAT;
	pos->beats_per_bar = (float)beats_per_bar;
	pos->beat_type = (float)beat_unit;
	pos->ticks_per_beat = TICKS_PER_BEAT;
	pos->beats_per_minute = bpm;
}

static int process(jack_nframes_t nframes, void *arg)
{
	jack_client_t *client = arg;
	jack_position_t pos;
	int rolling = jack_transport_query(client, &pos) == JackTransportRolling;
	if (rolling && loop_end > loop_start && pos.frame + nframes >= loop_end)
		jack_transport_locate(client, loop_start);
	void *buf = jack_port_get_buffer(in_port, nframes);
	uint32_t n = jack_midi_get_event_count(buf);
	for (uint32_t i = 0; i < n; i++) {
		jack_midi_event_t ev;
		if (jack_midi_event_get(&ev, buf, i))
			continue;
		Heard h = {.rolling = rolling, .size = ev.size > 4 ? 4 : (uint32_t)ev.size};
		h.frame = rolling ? (int64_t)pos.frame + ev.time : (int64_t)jack_last_frame_time(client) + ev.time;
		memcpy(h.bytes, ev.buffer, h.size);
		if (jack_ringbuffer_write_space(ring) >= sizeof h)
			jack_ringbuffer_write(ring, (const char *)&h, sizeof h);
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	done = 1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: hl_transport master BPM BPB UNIT [LOOP_START LOOP_END] | start | stop | locate FRAME | freewheel on|off\n");
		return 2;
	}
	int master = !strcmp(argv[1], "master");
	jack_client_t *client = jack_client_open(master ? "hl_transport" : "hl_transport_cmd", JackNoStartServer, NULL);
	if (!client) {
		fprintf(stderr, "hl_transport: no JACK server\n");
		return 1;
	}
	if (!master) {
		if (!strcmp(argv[1], "start"))
			jack_transport_start(client);
		else if (!strcmp(argv[1], "stop"))
			jack_transport_stop(client);
		else if (!strcmp(argv[1], "locate") && argc > 2)
			jack_transport_locate(client, (jack_nframes_t)atol(argv[2]));
		else if (!strcmp(argv[1], "freewheel") && argc > 2)
			jack_set_freewheel(client, !strcmp(argv[2], "on"));
		else
			return 2;
		jack_client_close(client);
		return 0;
	}
	if (argc > 4) {
		bpm = atof(argv[2]);
		beats_per_bar = atof(argv[3]);
		beat_unit = atof(argv[4]);
	}
	if (argc > 6) {
		loop_start = (jack_nframes_t)atol(argv[5]);
		loop_end = (jack_nframes_t)atol(argv[6]);
	}
	ring = jack_ringbuffer_create(1 << 16);
	in_port = jack_port_register(client, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
	jack_set_process_callback(client, process, client);
	if (jack_set_timebase_callback(client, 0, timebase, NULL)) {
		fprintf(stderr, "hl_transport: cannot become timebase master\n");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	jack_activate(client);
	fprintf(stderr, "hl_transport: master at %g bpm, %g/%g, rate %u\n", bpm, beats_per_bar, beat_unit,
	        jack_get_sample_rate(client));
	while (!done) {
		Heard h;
		while (jack_ringbuffer_read_space(ring) >= sizeof h) {
			jack_ringbuffer_read(ring, (char *)&h, sizeof h);
			printf(h.rolling ? "%lld" : "stopped %lld", (long long)h.frame);
			for (uint32_t i = 0; i < h.size; i++)
				printf(" %02x", h.bytes[i]);
			printf("\n");
		}
		fflush(stdout);
		usleep(10000);
	}
	jack_release_timebase(client);
	jack_client_close(client);
	jack_ringbuffer_free(ring);
	return 0;
}
