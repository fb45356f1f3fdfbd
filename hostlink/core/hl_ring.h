/* Single-producer / single-consumer ring of length-prefixed records (C11 atomics).
 *
 * One thread writes, one thread reads; neither ever blocks, allocates or makes a
 * system call, so either side may be the audio thread. The buffer is allocated once
 * by hl_ring_init (not real-time). Indices run freely and are masked (capacity is a
 * power of two); a record is a u32 length followed by its bytes, possibly wrapping.
 */
#ifndef HL_RING_H
#define HL_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	uint8_t *buf;
	uint32_t mask;
	_Atomic uint32_t head; /* advanced by the producer only */
	_Atomic uint32_t tail; /* advanced by the consumer only */
} hl_ring;

static inline int hl_ring_init(hl_ring *r, uint32_t capacity_pow2)
{
	if (capacity_pow2 < 64 || (capacity_pow2 & (capacity_pow2 - 1)))
		return -1;
	r->buf = malloc(capacity_pow2);
	if (!r->buf)
		return -1;
	memset(r->buf, 0, capacity_pow2); /* touch every page now, not on the audio thread */
	r->mask = capacity_pow2 - 1;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return 0;
}

static inline void hl_ring_free(hl_ring *r)
{
	free(r->buf);
	r->buf = NULL;
}

static inline void hl__ring_put(hl_ring *r, uint32_t at, const void *src, uint32_t n)
{
	uint32_t i = at & r->mask, first = r->mask + 1 - i;
	if (first > n)
		first = n;
	memcpy(r->buf + i, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
}

static inline void hl__ring_get(const hl_ring *r, uint32_t at, void *dst, uint32_t n)
{
	uint32_t i = at & r->mask, first = r->mask + 1 - i;
	if (first > n)
		first = n;
	memcpy(dst, r->buf + i, first);
	memcpy((uint8_t *)dst + first, r->buf, n - first);
}

/* Producer: appends one record; false (nothing written) when it does not fit. */
static inline bool hl_ring_write(hl_ring *r, const void *rec, uint32_t len)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint32_t space = r->mask + 1 - (head - tail);
	if ((uint64_t)len + 4 > space)
		return false;
	hl__ring_put(r, head, &len, 4);
	hl__ring_put(r, head + 4, rec, len);
	atomic_store_explicit(&r->head, head + 4 + len, memory_order_release);
	return true;
}

/* Consumer: takes the oldest record into out (at most max bytes; a longer record is
 * skipped and reported as its negated length). Returns its length, 0 when empty. */
static inline int32_t hl_ring_read(hl_ring *r, void *out, uint32_t max)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint32_t len;
	if (head == tail)
		return 0;
	hl__ring_get(r, tail, &len, 4);
	if (len <= max)
		hl__ring_get(r, tail + 4, out, len);
	atomic_store_explicit(&r->tail, tail + 4 + len, memory_order_release);
	return len <= max ? (int32_t)len : -(int32_t)len;
}

#endif
