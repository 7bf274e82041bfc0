/*
 * Discrete-event engine: a binary heap of (time, seq, slot) nodes stored
 * inline in one array, and a slot pool (with a free list) holding each
 * event's callback. Cancelling tombstones the slot; the heap node is dropped
 * when it surfaces. Neither array shrinks, so the steady state allocates
 * nothing.
 */
#include <assert.h>
#include <stdlib.h>
#include "sim.h"

/* key = seq << SLOT_BITS | slot: seq is unique, so ordering by key is
 * ordering by seq, and a node is two words. */
#define SLOT_BITS 22
#define SLOT_MAX ((1u << SLOT_BITS) - 1)       /* 4 M pending events */
#define SEQ_MAX (UINT64_MAX >> SLOT_BITS)     /* 4e12 events a run */

struct hnode {
	hs_ns t;
	uint64_t key;
};

struct slot {
	sim_event_fn fn;          /* NULL: cancelled (tombstone) */
	void *obj;
	uint64_t arg;
	uint32_t gen;             /* bumped each time the slot is freed */
	uint32_t next_free;       /* free list link, UINT32_MAX = end */
};

struct sim_engine {
	/* the earliest pending event, when it was scheduled ahead of every
	 * other (about half of all events are): kept out of the heap, so
	 * neither a push nor a pop sifts for it; before every heap node */
	struct hnode front;
	int has_front;
	struct hnode *heap;
	size_t n, cap;
	struct slot *slots;
	uint32_t nslots, slots_cap, free_head;
	uint64_t seq;
	hs_ns now;
	uint64_t fired;
};

struct sim_engine *sim_engine_create(void)
{
	struct sim_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->free_head = UINT32_MAX;
	return e;
}

void sim_engine_free(struct sim_engine *e)
{
	if (!e)
		return;
	free(e->heap);
	free(e->slots);
	free(e);
}

static inline int before(const struct hnode *a, const struct hnode *b)
{
	return a->t < b->t || (a->t == b->t && a->key < b->key);
}

static inline void sift_up(struct hnode *h, size_t i)
{
	struct hnode x = h[i];
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!before(&x, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = x;
}

static void sift_down(struct hnode *h, size_t n, size_t i)
{
	struct hnode x = h[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && before(&h[c + 1], &h[c]))
			c++;
		if (!before(&h[c], &x))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

/* The slow paths of a schedule, out of line: the hot one saves fewer
 * registers. */
static __attribute__((noinline, cold)) uint32_t slot_new(struct sim_engine *e)
{
	if (e->nslots > SLOT_MAX)
		return UINT32_MAX;
	if (e->nslots == e->slots_cap) {
		uint32_t nc = e->slots_cap ? e->slots_cap * 2 : 64;
		struct slot *ns = realloc(e->slots, nc * sizeof(*ns));
		if (!ns)
			return UINT32_MAX;
		e->slots = ns;
		e->slots_cap = nc;
	}
	e->slots[e->nslots].gen = 1;
	return e->nslots++;
}

static inline uint32_t slot_get(struct sim_engine *e)
{
	if (e->free_head != UINT32_MAX) {
		uint32_t s = e->free_head;
		e->free_head = e->slots[s].next_free;
		return s;
	}
	return slot_new(e);
}

static __attribute__((noinline, cold)) int heap_grow(struct sim_engine *e)
{
	size_t nc = e->cap ? e->cap * 2 : 64;
	struct hnode *nh = realloc(e->heap, nc * sizeof(*nh));
	if (!nh)
		return -1;
	e->heap = nh;
	e->cap = nc;
	return 0;
}

/* fn is left as it is: a free slot is in no heap node, and the bumped gen
 * makes a spent handle's cancel a no-op. */
static void slot_put(struct sim_engine *e, uint32_t s)
{
	e->slots[s].gen++;
	e->slots[s].next_free = e->free_head;
	e->free_head = s;
}

/* The caller made room for one more node. Inlined into the schedule: the
 * call and the registers it saved were ~0.7 % of the instructions of
 * tenants_2's bench (callgrind). */
static inline __attribute__((always_inline)) void push(struct sim_engine *e,
						       struct hnode x)
{
	e->heap[e->n] = x;
	sift_up(e->heap, e->n++);
}

sim_event_id sim_event_schedule(struct sim_engine *e, hs_ns when,
				sim_event_fn fn, void *obj, uint64_t arg)
{
	assert(fn);
	assert(when >= e->now);
	/* room for the one node this adds to the heap (the front's
	 * predecessor or the new one): nothing fails after the slot */
	if (e->n == e->cap && heap_grow(e))
		return 0;
	if (e->seq > SEQ_MAX)
		return 0;
	uint32_t s = slot_get(e);
	if (s == UINT32_MAX)
		return 0;
	struct slot *sl = &e->slots[s];
	sl->fn = fn;
	sl->obj = obj;
	sl->arg = arg;
	struct hnode x = { .t = when, .key = (e->seq++ << SLOT_BITS) | s };
	if (!e->has_front) {
		if (!e->n || before(&x, &e->heap[0])) {
			e->front = x;
			e->has_front = 1;
		} else {
			push(e, x);
		}
	} else if (before(&x, &e->front)) {
		push(e, e->front);
		e->front = x;
	} else {
		push(e, x);
	}
	return ((uint64_t)sl->gen << 32) | ((uint64_t)s + 1);
}

int sim_event_cancel(struct sim_engine *e, sim_event_id id)
{
	if (!id)
		return 0;
	uint64_t s = (id & 0xffffffffu) - 1;
	if (s >= e->nslots)
		return 0;
	struct slot *sl = &e->slots[s];
	if (sl->gen != (uint32_t)(id >> 32) || !sl->fn)
		return 0;
	sl->fn = NULL;       /* tombstone: freed when it surfaces */
	return 1;
}

int sim_engine_step(struct sim_engine *e, hs_ns limit)
{
	while (e->has_front || e->n) {
		struct hnode top = e->has_front ? e->front : e->heap[0];
		uint32_t slot = (uint32_t)(top.key & SLOT_MAX);
		struct slot *sl = &e->slots[slot];
		if (sl->fn && top.t > limit)
			return 0;
		if (e->has_front) {
			e->has_front = 0;
		} else {
			e->heap[0] = e->heap[--e->n];
			if (e->n)
				sift_down(e->heap, e->n, 0);
		}
		if (!sl->fn) {
			slot_put(e, slot);
			continue;
		}
		sim_event_fn fn = sl->fn;
		void *obj = sl->obj;
		uint64_t arg = sl->arg;
		slot_put(e, slot);         /* the handle is spent before fn runs */
		e->now = top.t;
		e->fired++;
		fn(e, obj, arg, top.t);
		return 1;
	}
	return 0;
}

hs_ns sim_engine_now(const struct sim_engine *e)
{
	return e->now;
}

uint64_t sim_engine_fired(const struct sim_engine *e)
{
	return e->fired;
}
