/*
 * String interning for trace names and small parsing helpers shared by the
 * readers of traces/. Kernel names repeat thousands of times in a trace;
 * each distinct one is stored once, in chunked arenas, and found again
 * through an open-addressing hash table.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "trace_internal.h"

#define ARENA_CHUNK (64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	char data[];
};

struct trace_intern {
	const char **slots;        /* hash table of interned strings */
	size_t nslots, count;
	struct arena_chunk *chunks;
};

int trace__failc(struct trace_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

/* traces/' block of the one error table (numbering in core/sched.h). */
static const char *const trace_messages[] = {
	[HS_ERANGE_TRACE - TRACE_EBAD] = "malformed or unreadable trace",
	[HS_ERANGE_TRACE - TRACE_EIO] = "cannot write the output file",
};

HS_ERR_BLOCK(HS_ERANGE_TRACE, trace_messages);

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;          /* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* Creates an empty pool. NULL when out of memory. */
struct trace_intern *trace__intern_new(void)
{
	struct trace_intern *in = calloc(1, sizeof(*in));
	if (!in)
		return NULL;
	in->nslots = 256;
	in->slots = calloc(in->nslots, sizeof(*in->slots));
	if (!in->slots) {
		free(in);
		return NULL;
	}
	return in;
}

static char *arena_alloc(struct trace_intern *in, size_t n)
{
	struct arena_chunk *c = in->chunks;
	if (!c || c->size - c->used < n) {
		size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->next = in->chunks;
		c->used = 0;
		c->size = size;
		in->chunks = c;
	}
	char *p = c->data + c->used;
	c->used += n;
	return p;
}

static int grow(struct trace_intern *in)
{
	size_t n = in->nslots * 2;
	const char **s = calloc(n, sizeof(*s));
	if (!s)
		return -1;
	for (size_t i = 0; i < in->nslots; i++) {
		const char *str = in->slots[i];
		if (!str)
			continue;
		size_t j = hash_bytes(str, strlen(str)) & (n - 1);
		while (s[j])
			j = (j + 1) & (n - 1);
		s[j] = str;
	}
	free(in->slots);
	in->slots = s;
	in->nslots = n;
	return 0;
}

/* Amortised O(len). The copy is NUL-terminated; an embedded NUL in s ends
 * the stored name there (names are C strings everywhere else). */
const char *trace__intern(struct trace_intern *in, const char *s, size_t len)
{
	const char *nul = memchr(s, '\0', len);
	if (nul)
		len = (size_t)(nul - s);
	if ((in->count + 1) * 2 > in->nslots && grow(in) < 0)
		return NULL;
	size_t j = hash_bytes(s, len) & (in->nslots - 1);
	while (in->slots[j]) {
		const char *t = in->slots[j];
		if (strncmp(t, s, len) == 0 && t[len] == '\0')
			return t;
		j = (j + 1) & (in->nslots - 1);
	}
	char *copy = arena_alloc(in, len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	in->slots[j] = copy;
	in->count++;
	return copy;
}

size_t trace__intern_count(const struct trace_intern *in)
{
	return in->count;
}

void trace__intern_free(struct trace_intern *in)
{
	if (!in)
		return;
	struct arena_chunk *c = in->chunks;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	free(in->slots);
	free(in);
}

/* Accepts [+-]?[0-9]+ only: no spaces, no hex, no trailing junk. */
int trace__parse_i64(const char *s, int64_t *v)
{
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	for (const char *q = p; *q; q++)
		if (*q < '0' || *q > '9')
			return -1;
	errno = 0;
	char *end;
	long long x = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

int trace__parse_double(const char *s, double *v)
{
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (!((*p >= '0' && *p <= '9') || *p == '.'))
		return -1;
	errno = 0;
	char *end;
	double x = strtod(s, &end);
	if (errno || *end || !isfinite(x))
		return -1;
	*v = x;
	return 0;
}

int trace__ns_of(double v, double scale, int64_t *ns)
{
	double x = v * scale;
	if (!isfinite(x) || x < 0 || x > (double)TRACE_TIME_MAX_NS)
		return -1;
	*ns = (int64_t)llround(x);
	return 0;
}

int trace__ns_of_i64(int64_t v, int64_t scale, int64_t *ns)
{
	if (v < 0 || scale <= 0 || v > TRACE_TIME_MAX_NS / scale)
		return -1;
	*ns = v * scale;
	return 0;
}

int trace__ns_end(int64_t start, int64_t dur, int64_t *end)
{
	if (start < 0 || dur < 0 || start > TRACE_TIME_MAX_NS ||
	    dur > TRACE_TIME_MAX_NS - start)
		return -1;
	*end = start + dur;
	return 0;
}

uint64_t trace__block_threads(const uint32_t block[3])
{
	uint64_t n = 1;
	for (int i = 0; i < 3; i++) {
		n *= block[i] ? block[i] : 1;
		if (n > UINT32_MAX)            /* 2^32 * 2^32 still fits */
			return UINT64_MAX;
	}
	return n;
}

FILE *trace__fopen_read(const char *path, struct trace_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		trace__fail(err, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		trace__fail(err, "%s: is a directory, not a trace file", path);
		return NULL;
	}
	return f;
}

int trace__not_dir(const char *path, struct trace_err *err)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return trace__fail(err, "%s: is a directory, not a trace file", path);
	return 0;
}
