/*
 * Request shapes: which requests of a trace issue the same commands, so the
 * host timing of one may stand in for another's (the host-jitter model,
 * scenarios/workload.c; contract in trace.h).
 */
#include <stdlib.h>
#include <string.h>
#include "trace.h"

/* The names' hashes, remembered by address: names are interned, so a
 * trace's few distinct ones are each hashed once, not once a record (the
 * shapes are built on every run). Direct-mapped; a miss hashes the text,
 * so equal names hash equal wherever they live. */
#define NAME_CACHE 256

struct name_cache {
	const char *name[NAME_CACHE];
	uint64_t h[NAME_CACHE];
};

static uint64_t name_hash(struct name_cache *nc, const char *name)
{
	size_t k = ((uintptr_t)name >> 3) & (NAME_CACHE - 1);
	if (nc->name[k] == name && name)
		return nc->h[k];
	uint64_t h = 0xcbf29ce484222325ull;       /* FNV-1a */
	for (const char *c = name ? name : ""; *c; c++)
		h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
	nc->name[k] = name;
	nc->h[k] = h;
	return h;
}

/* FNV-1a over the kinds and names' hashes of a request's commands: the
 * same value for requests of one shape, whatever the addresses of the
 * names. */
static uint64_t shape_hash(const struct trace *t, const struct trace_request *q,
			   struct name_cache *nc)
{
	uint64_t h = 0xcbf29ce484222325ull ^ q->count;
	for (size_t i = q->first; i < q->first + q->count; i++) {
		const struct trace_rec *r = &t->recs[i];
		h = (h ^ (uint64_t)r->kind) * 0x100000001b3ull;
		h = (h ^ name_hash(nc, r->name)) * 0x100000001b3ull;
	}
	return h;
}

static int same_shape(const struct trace *t, const struct trace_request *a,
		      const struct trace_request *b)
{
	if (a->count != b->count)
		return 0;
	for (size_t i = 0; i < a->count; i++) {
		const struct trace_rec *x = &t->recs[a->first + i],
			*y = &t->recs[b->first + i];
		const char *nx = x->name ? x->name : "", *ny = y->name ? y->name : "";
		if (x->kind != y->kind || (nx != ny && strcmp(nx, ny)))
			return 0;
	}
	return 1;
}

int trace_shapes_build(const struct trace *t, struct trace_shapes *s)
{
	size_t n = t->nreqs;
	memset(s, 0, sizeof(*s));
	uint64_t *hash = malloc((n ? n : 1) * sizeof(*hash));
	size_t *rep = malloc((n ? n : 1) * sizeof(*rep));   /* shape -> first request */
	size_t *count = calloc(n ? n : 1, sizeof(*count));
	struct name_cache *nc = calloc(1, sizeof(*nc));
	s->shape = malloc((n ? n : 1) * sizeof(*s->shape));
	s->members = malloc((n ? n : 1) * sizeof(*s->members));
	s->start = calloc(n + 1, sizeof(*s->start));
	if (!hash || !rep || !count || !nc || !s->shape || !s->members || !s->start)
		goto fail;
	/* first-seen order of shapes; a request is compared with the
	 * representative of every shape of equal hash (in practice one) */
	for (size_t r = 0; r < n; r++) {
		uint64_t h = shape_hash(t, &t->reqs[r], nc);
		size_t k = 0;
		while (k < s->nshapes && !(hash[k] == h &&
					   same_shape(t, &t->reqs[rep[k]], &t->reqs[r])))
			k++;
		if (k == s->nshapes) {
			hash[k] = h;
			rep[k] = r;
			s->nshapes++;
		}
		s->shape[r] = k;
		count[k]++;
	}
	for (size_t k = 0; k < s->nshapes; k++)
		s->start[k + 1] = s->start[k] + count[k];
	memset(count, 0, (n ? n : 1) * sizeof(*count));
	for (size_t r = 0; r < n; r++) {
		size_t k = s->shape[r];
		s->members[s->start[k] + count[k]++] = r;
	}
	free(hash);
	free(rep);
	free(count);
	free(nc);
	return 0;
fail:
	free(hash);
	free(rep);
	free(count);
	free(nc);
	trace_shapes_release(s);
	return -1;
}

void trace_shapes_release(struct trace_shapes *s)
{
	free(s->shape);
	free(s->members);
	free(s->start);
	memset(s, 0, sizeof(*s));
}
