/* kickgen host-link wire protocol, version 2: one message per Unix datagram, little-endian.
 *
 * header (16 bytes): "KGHL", u16 version (2), u16 type, u32 instance id, u32 epoch
 *
 * plugin -> bridge
 *   1 HELLO      f64 sample rate, u32 flags (0), char host[32], char plugin[16]   (NUL padded)
 *                sent on (re)connect and every second as a keep-alive
 *   2 TRANSPORT  u8 playing, u8 has_bbt, u8 why (0 change, 1 bar line, 2 locate/loop, 3 stop,
 *                4 connect), u8 0, i64 frame, i64 bar (0-based), f64 qn, f64 bar_beat, f64 bpm,
 *                f64 beats_per_bar, f64 beat_unit
 *   3 NOTES      u16 count, u16 0, then count x EVENT     (the notes the track played)
 *   5 BYE        (nothing)
 *   6 STYLE      i32 slot, i32 seed, f64 threshold: the style the track asks for (the
 *                bridge's preset slot, or a random style drawn with seed when seed > 0,
 *                and the peak threshold); sent on (re)connect and on every change
 *   7 SAVED_STYLE STYLE_STATE (below): the style the project saved, sent instead of STYLE
 *                while the track's slot and seed are those it was saved with; the bridge
 *                plays its code as it is when the model matches, else what slot and seed
 *                choose there
 * bridge -> plugin
 *   4 KICKS      f64 from_qn, f64 to_qn, u16 count, u16 0, then count x EVENT: replaces every
 *                queued event in [from_qn, to_qn); ignored unless its epoch is the plugin's
 *   8 STYLE_STATE i32 slot, i32 seed, f64 threshold, char name[32], char model[16] (the
 *                bundle id's first 12 hex digits), u16 size, u16 0, f32 code[size]: the
 *                style the bridge now plays for the plugin, answering STYLE and SAVED_STYLE;
 *                what the plugin saves with the project
 *
 * EVENT (16 bytes): f64 qn (quarter notes from the song start), u8 size (1..3), u8 bytes[3],
 *                   u32 0
 * The epoch grows on every flush (stop, locate, loop wrap); the bridge answers with the
 * epoch of the transport message it is answering. Version 2 added messages 7 and 8.
 */
#ifndef HL_PROTO_H
#define HL_PROTO_H

#define HL_PROTO_VERSION 2
#define HL_MSG_HELLO 1
#define HL_MSG_TRANSPORT 2
#define HL_MSG_NOTES 3
#define HL_MSG_KICKS 4
#define HL_MSG_BYE 5
#define HL_MSG_STYLE 6
#define HL_MSG_SAVED_STYLE 7
#define HL_MSG_STYLE_STATE 8
#define HL_STYLE_STATE_BYTES 68 /* before the code */
#define HL_HEADER_BYTES 16
#define HL_EVENT_BYTES 16
#define HL_DATAGRAM_MAX 4096

#endif
