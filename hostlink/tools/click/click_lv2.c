/* The tests' click: an LV2 instrument that writes one sample of velocity / 127 on the frame
 * of each note-on it receives and silence elsewhere. Placed after the host link in a DAW's
 * bounce, the exported audio shows on which sample every kick arrived, with no synth's
 * attack to tell apart. Test tooling: built into build/lv2, never installed.
 */
#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>
#include <lv2/core/lv2.h>
#include <lv2/midi/midi.h>
#include <lv2/urid/urid.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CLICK_URI "urn:kickgen:test-click"

enum { PORT_MIDI_IN = 0, PORT_AUDIO_OUT = 1 };

typedef struct {
	const LV2_Atom_Sequence *midi_in;
	float *audio_out;
	LV2_URID midi_event;
} Click;

static LV2_Handle instantiate(const LV2_Descriptor *descriptor, double rate, const char *bundle_path,
                              const LV2_Feature *const *features) {
	(void)descriptor, (void)rate, (void)bundle_path;
	LV2_URID_Map *map = NULL;
	for (int i = 0; features[i]; ++i)
		if (!strcmp(features[i]->URI, LV2_URID__map)) map = features[i]->data;
	if (!map) return NULL;
	Click *self = calloc(1, sizeof *self);
	if (self) self->midi_event = map->map(map->handle, LV2_MIDI__MidiEvent);
	return self;
}

static void connect_port(LV2_Handle instance, uint32_t port, void *data) {
	Click *self = instance;
	if (port == PORT_MIDI_IN) self->midi_in = data;
	else if (port == PORT_AUDIO_OUT) self->audio_out = data;
}

static void run(LV2_Handle instance, uint32_t n_frames) {
	Click *self = instance;
	memset(self->audio_out, 0, n_frames * sizeof *self->audio_out);
	LV2_ATOM_SEQUENCE_FOREACH(self->midi_in, event) {
		if (event->body.type != self->midi_event || event->body.size < 3) continue;
		const uint8_t *message = (const uint8_t *)LV2_ATOM_BODY_CONST(&event->body);
		int64_t frame = event->time.frames;
		if ((message[0] & 0xF0) == LV2_MIDI_MSG_NOTE_ON && message[2] > 0 && frame >= 0 && frame < n_frames)
			self->audio_out[frame] = message[2] / 127.0f;
	}
}

static void cleanup(LV2_Handle instance) { free(instance); }

static const LV2_Descriptor descriptor = {CLICK_URI, instantiate, connect_port, NULL, run, NULL, cleanup, NULL};

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index) { return index == 0 ? &descriptor : NULL; }
