/*
 * The canonical trace CSV: streaming reader with validation, writer (temp
 * file renamed on commit), and the whole-trace loader grouped by request.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <csv.h>
#include "trace_internal.h"

static const char *const kind_names[TRACE_KIND_COUNT_] = {
	[TRACE_KERNEL] = "kernel", [TRACE_MEMCPY] = "memcpy",
	[TRACE_MEMSET] = "memset", [TRACE_SYNC] = "sync",
	[TRACE_MARKER] = "marker",
};

const char *trace_kind_name(enum trace_kind k)
{
	return (unsigned)k < TRACE_KIND_COUNT_ ? kind_names[k] : "?";
}

int trace_kind_parse(const char *s)
{
	for (int k = 0; k < TRACE_KIND_COUNT_; k++)
		if (strcmp(s, kind_names[k]) == 0)
			return k;
	return -1;
}

enum col {
	C_REQUEST, C_SEQ, C_KIND, C_NAME, C_STREAM, C_SUBMIT, C_START, C_END,
	C_GX, C_GY, C_GZ, C_BX, C_BY, C_BZ, C_SHMEM, C_REGS, C_BYTES, NCOLS
};
static const char *const col_names[NCOLS] = {
	"request", "seq", "kind", "name", "stream", "submit_ns", "start_ns",
	"end_ns", "grid_x", "grid_y", "grid_z", "block_x", "block_y", "block_z",
	"shmem", "regs", "bytes",
};

int trace__looks_canonical(char **fields, size_t nf)
{
	size_t hit = 0;
	for (size_t i = 0; i < nf; i++)
		for (int c = 0; c < NCOLS; c++)
			if (strcmp(fields[i], col_names[c]) == 0)
				hit++;
	return hit >= 6 && nf >= 1 && (strcmp(fields[0], "request") == 0 ||
				       hit == NCOLS);
}

struct trace_reader {
	struct trace_csvrows *rows;
	char *path;
	int colidx[NCOLS];         /* column position of each field */
	size_t ncols;
	long line;
};

/* Validates the header: every canonical column exactly once, no others. */
struct trace_reader *trace_reader_open(const char *path, struct trace_err *err)
{
	struct trace_reader *r = calloc(1, sizeof(*r));
	if (!r) {
		trace__fail(err, "%s: out of memory", path);
		return NULL;
	}
	r->path = strdup(path);
	r->rows = r->path ? trace__csvrows_open(path, err) : NULL;
	if (!r->rows)
		goto fail;
	char **f;
	size_t nf;
	long line;
	int rc = trace__csvrows_next(r->rows, &f, &nf, &line, err);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		trace__fail(err, "%s:1: empty file", path);
		goto fail;
	}
	r->line = line;
	for (int c = 0; c < NCOLS; c++)
		r->colidx[c] = -1;
	for (size_t i = 0; i < nf; i++) {
		int c;
		for (c = 0; c < NCOLS; c++)
			if (strcmp(f[i], col_names[c]) == 0)
				break;
		if (c == NCOLS) {
			trace__fail(err, "%s:%ld: unknown column '%s' in the header "
				    "(not a canonical trace? try 'hipsched trace import')",
				    path, line, f[i]);
			goto fail;
		}
		if (r->colidx[c] >= 0) {
			trace__fail(err, "%s:%ld: column '%s' appears twice",
				    path, line, f[i]);
			goto fail;
		}
		r->colidx[c] = (int)i;
	}
	for (int c = 0; c < NCOLS; c++)
		if (r->colidx[c] < 0) {
			trace__fail(err, "%s:%ld: missing column '%s' in the header",
				    path, line, col_names[c]);
			goto fail;
		}
	r->ncols = nf;
	return r;
fail:
	trace_reader_close(r);
	return NULL;
}

static int get_nonneg(struct trace_reader *r, char **f, int c, int64_t *v,
		      struct trace_err *err)
{
	const char *s = f[r->colidx[c]];
	if (!*s)
		return trace__fail(err, "%s:%ld: %s is empty", r->path, r->line,
				   col_names[c]);
	if (trace__parse_i64(s, v) < 0)
		return trace__fail(err, "%s:%ld: %s: '%s' is not an integer",
				   r->path, r->line, col_names[c], s);
	if (*v < 0)
		return trace__fail(err, "%s:%ld: %s is negative (%s)", r->path,
				   r->line, col_names[c], s);
	return 0;
}

/* Validates one row: field count, integers, kind, times, shapes. */
int trace_reader_next(struct trace_reader *r, struct trace_rec *rec,
		      struct trace_err *err)
{
	char **f;
	size_t nf;
	long line;
	int rc = trace__csvrows_next(r->rows, &f, &nf, &line, err);
	if (rc <= 0)
		return rc;
	r->line = line;
	if (nf != r->ncols)
		return trace__fail(err, "%s:%ld: %zu fields, expected %zu (%s)",
				   r->path, line, nf, r->ncols,
				   nf < r->ncols ? "short row" : "too many fields");
	memset(rec, 0, sizeof(*rec));
	int64_t v[NCOLS];
	for (int c = 0; c < NCOLS; c++) {
		if (c == C_KIND || c == C_NAME)
			continue;
		if (get_nonneg(r, f, c, &v[c], err) < 0)
			return TRACE_EBAD;
	}
	const char *ks = f[r->colidx[C_KIND]];
	int k = trace_kind_parse(ks);
	if (k < 0)
		return trace__fail(err, "%s:%ld: unknown kind '%s' (expected kernel, "
				   "memcpy, memset, sync or marker)", r->path, line, ks);
	rec->kind = k;
	rec->name = f[r->colidx[C_NAME]];
	if (!*rec->name)
		return trace__fail(err, "%s:%ld: name is empty", r->path, line);
	rec->request = v[C_REQUEST];
	rec->seq = v[C_SEQ];
	rec->stream = v[C_STREAM];
	rec->submit_ns = v[C_SUBMIT];
	rec->start_ns = v[C_START];
	rec->end_ns = v[C_END];
	for (int c = C_SUBMIT; c <= C_END; c++)
		if (v[c] > TRACE_TIME_MAX_NS)
			return trace__fail(err, "%s:%ld: %s %lld beyond 2^62 ns (about "
					   "146 years)", r->path, line, col_names[c],
					   (long long)v[c]);
	if (rec->end_ns < rec->start_ns)
		return trace__fail(err, "%s:%ld: end_ns %lld is before start_ns %lld",
				   r->path, line, (long long)rec->end_ns,
				   (long long)rec->start_ns);
	for (int i = 0; i < 3; i++) {
		int64_t g = v[C_GX + i], b = v[C_BX + i];
		if (g > UINT32_MAX || b > UINT32_MAX)
			return trace__fail(err, "%s:%ld: %s too large", r->path, line,
					   col_names[g > UINT32_MAX ? C_GX + i : C_BX + i]);
		if (k == TRACE_KERNEL && (g == 0 || b == 0))
			return trace__fail(err, "%s:%ld: a kernel needs %s >= 1",
					   r->path, line,
					   col_names[g == 0 ? C_GX + i : C_BX + i]);
		rec->grid[i] = (uint32_t)g;
		rec->block[i] = (uint32_t)b;
	}
	if (k == TRACE_KERNEL && trace__block_threads(rec->block) > TRACE_BLOCK_MAX)
		return trace__fail(err, "%s:%ld: more than %d threads per block",
				   r->path, line, TRACE_BLOCK_MAX);
	rec->shmem = v[C_SHMEM];
	rec->regs = v[C_REGS];
	rec->bytes = v[C_BYTES];
	return 1;
}

long trace_reader_line(const struct trace_reader *r)
{
	return r->line;
}

void trace_reader_close(struct trace_reader *r)
{
	if (!r)
		return;
	trace__csvrows_close(r->rows);
	free(r->path);
	free(r);
}

/* ---- writer ------------------------------------------------------------ */
struct trace_writer {
	struct trace_out out;
};

int trace_out_open(struct trace_out *o, const char *path, struct trace_err *err)
{
	memset(o, 0, sizeof(*o));
	if (!(o->path = strdup(path)) ||
	    asprintf(&o->tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) {
		free(o->path);
		o->path = NULL;
		return trace__failc(err, HS_ENOMEM, "%s: out of memory", path);
	}
	o->f = fopen(o->tmp, "wb");
	if (!o->f) {
		trace__failc(err, TRACE_EIO, "%s: cannot create: %s", o->tmp, strerror(errno));
		free(o->tmp);
		free(o->path);
		return TRACE_EIO;
	}
	return 0;
}

int trace_out_close(struct trace_out *o, int commit, struct trace_err *err)
{
	int rc = 0;
	if (ferror(o->f) && !o->failed)
		o->failed = EIO;
	if (fflush(o->f) != 0 && !o->failed)
		o->failed = errno;
	if (fclose(o->f) != 0 && !o->failed)
		o->failed = errno;
	if (commit && o->failed) {
		rc = trace__failc(err, TRACE_EIO, "%s: write failed: %s", o->tmp,
				 strerror(o->failed));
		commit = 0;
	}
	if (commit && rename(o->tmp, o->path) != 0) {
		rc = trace__failc(err, TRACE_EIO, "%s: cannot rename into place: %s", o->path,
				 strerror(errno));
		commit = 0;
	}
	if (!commit)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	return rc;
}

struct trace_writer *trace_writer_open(const char *path, struct trace_err *err)
{
	struct trace_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		trace__fail(err, "%s: out of memory", path);
		return NULL;
	}
	if (trace_out_open(&w->out, path, err)) {
		free(w);
		return NULL;
	}
	for (int c = 0; c < NCOLS; c++)
		fprintf(w->out.f, "%s%c", col_names[c], c + 1 < NCOLS ? ',' : '\n');
	return w;
}

/* Names are quoted only when they need it (comma, quote, line break, or
 * leading/trailing space), so plain rows stay plain and the output of a
 * canonical file re-written is byte-identical. */
int trace_writer_write(struct trace_writer *w, const struct trace_rec *rec)
{
	FILE *f = w->out.f;
	fprintf(f, "%lld,%lld,%s,", (long long)rec->request, (long long)rec->seq,
		trace_kind_name(rec->kind));
	const char *n = rec->name ? rec->name : "";
	size_t len = strlen(n);
	if (strpbrk(n, ",\"\n\r") || (len && (n[0] == ' ' || n[len - 1] == ' ' ||
					      n[0] == '\t' || n[len - 1] == '\t')))
		csv_fwrite(f, n, len);
	else
		fputs(n, f);
	if (fprintf(f, ",%lld,%lld,%lld,%lld,%u,%u,%u,%u,%u,%u,%lld,%lld,%lld\n",
		    (long long)rec->stream, (long long)rec->submit_ns,
		    (long long)rec->start_ns, (long long)rec->end_ns,
		    rec->grid[0], rec->grid[1], rec->grid[2],
		    rec->block[0], rec->block[1], rec->block[2],
		    (long long)rec->shmem, (long long)rec->regs,
		    (long long)rec->bytes) < 0) {
		w->out.failed = errno ? errno : EIO;
		return TRACE_EIO;
	}
	return 0;
}

int trace_writer_close(struct trace_writer *w, int commit, struct trace_err *err)
{
	int rc = trace_out_close(&w->out, commit, err);
	free(w);
	return rc;
}

/* ---- whole trace ------------------------------------------------------- */
struct trace_full {
	struct trace t;            /* first: trace_free() casts back */
	struct trace_intern *names;
};

struct line_rec {
	struct trace_rec rec;
	long line;
};

static int cmp_line_rec(const void *a, const void *b)
{
	const struct line_rec *x = a, *y = b;
	if (x->rec.request != y->rec.request)
		return x->rec.request < y->rec.request ? -1 : 1;
	if (x->rec.seq != y->rec.seq)
		return x->rec.seq < y->rec.seq ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Takes recs (sorted by request, seq) and names; builds reqs[]. */
struct trace *trace__from_recs(const char *path, struct trace_rec *recs,
			       size_t nrecs, struct trace_intern *names,
			       struct trace_err *err)
{
	struct trace_full *tf = calloc(1, sizeof(*tf));
	if (!tf)
		goto oom;
	tf->names = names;
	tf->t.recs = recs;
	tf->t.nrecs = nrecs;
	tf->t.path = strdup(path);
	if (!tf->t.path)
		goto oom;
	size_t nreqs = 0;
	for (size_t i = 0; i < nrecs; i++)
		if (i == 0 || recs[i].request != recs[i - 1].request)
			nreqs++;
	tf->t.reqs = calloc(nreqs ? nreqs : 1, sizeof(*tf->t.reqs));
	if (!tf->t.reqs)
		goto oom;
	for (size_t i = 0; i < nrecs; i++) {
		if (i == 0 || recs[i].request != recs[i - 1].request) {
			struct trace_request *q = &tf->t.reqs[tf->t.nreqs++];
			q->id = recs[i].request;
			q->first = i;
		}
		tf->t.reqs[tf->t.nreqs - 1].count++;
	}
	return &tf->t;
oom:
	trace__fail(err, "%s: out of memory", path);
	if (tf) {
		free(tf->t.path);
		free(tf);
	}
	free(recs);
	trace__intern_free(names);
	return NULL;
}

/* Streams the file once into a compact array (names interned), then sorts
 * stably by (request, seq); a repeated (request, seq) pair is an error that
 * names both lines. Memory: one trace_rec per row plus distinct names. */
struct trace *trace_load(const char *path, struct trace_err *err)
{
	struct trace_reader *r = trace_reader_open(path, err);
	if (!r)
		return NULL;
	struct trace_intern *names = trace__intern_new();
	struct line_rec *lr = NULL;
	size_t n = 0, cap = 0;
	struct trace_rec rec;
	int rc;
	if (!names)
		goto oom;
	while ((rc = trace_reader_next(r, &rec, err)) == 1) {
		if (n == TRACE_MAX_RECS) {
			trace__fail(err, "%s:%ld: more than %zu commands: too large "
				    "to replay in memory", path, trace_reader_line(r),
				    TRACE_MAX_RECS);
			goto fail;
		}
		if (n == cap) {
			size_t c = cap ? cap * 2 : 1024;
			struct line_rec *p = realloc(lr, c * sizeof(*p));
			if (!p)
				goto oom;
			lr = p;
			cap = c;
		}
		rec.name = trace__intern(names, rec.name, strlen(rec.name));
		if (!rec.name)
			goto oom;
		lr[n].rec = rec;
		lr[n].line = trace_reader_line(r);
		n++;
	}
	if (rc < 0)
		goto fail;
	if (n)                   /* qsort's base must not be NULL, even for 0 */
		qsort(lr, n, sizeof(*lr), cmp_line_rec);
	for (size_t i = 1; i < n; i++)
		if (lr[i].rec.request == lr[i - 1].rec.request &&
		    lr[i].rec.seq == lr[i - 1].rec.seq) {
			trace__fail(err, "%s:%ld: request %lld seq %lld repeats line %ld",
				    path, lr[i].line, (long long)lr[i].rec.request,
				    (long long)lr[i].rec.seq, lr[i - 1].line);
			goto fail;
		}
	struct trace_rec *recs = malloc((n ? n : 1) * sizeof(*recs));
	if (!recs)
		goto oom;
	for (size_t i = 0; i < n; i++)
		recs[i] = lr[i].rec;
	free(lr);
	trace_reader_close(r);
	return trace__from_recs(path, recs, n, names, err);
oom:
	trace__fail(err, "%s: out of memory", path);
fail:
	free(lr);
	trace__intern_free(names);
	trace_reader_close(r);
	return NULL;
}

void trace_free(struct trace *t)
{
	if (!t)
		return;
	struct trace_full *tf = (struct trace_full *)t;
	trace__intern_free(tf->names);
	free(t->recs);
	free(t->reqs);
	free(t->path);
	free(tf);
}

int trace_check_replay(const struct trace *t, int64_t max_ns, struct trace_err *err)
{
	for (size_t q = 0; q < t->nreqs; q++) {
		const struct trace_request *rq = &t->reqs[q];
		for (size_t i = rq->first; i < rq->first + rq->count; i++) {
			const struct trace_rec *r = &t->recs[i];
			int64_t gap = i > rq->first ? r->submit_ns - t->recs[i - 1].submit_ns : 0;
			const char *what = r->end_ns - r->start_ns > max_ns ? "lasts" :
					   gap > max_ns ? "comes after a host gap of" : NULL;
			if (what)
				return trace__fail(err, "%s: request %lld seq %lld %s more "
						   "than %.0f s, longer than a run can be",
						   t->path, (long long)r->request,
						   (long long)r->seq, what, (double)max_ns / 1e9);
		}
	}
	return 0;
}
