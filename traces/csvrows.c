/*
 * Line-tracked CSV rows on top of libcsv. The file is fed to the parser one
 * line at a time (getline), so memory stays bounded by the longest row, and
 * each row carries the number of the line it started on for error messages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <csv.h>
#include "trace_internal.h"

struct trace_csvrows {
	FILE *f;
	char *path;
	struct csv_parser p;
	char *line;
	size_t linecap;
	long lineno;               /* lines read so far */
	long row_line;             /* line the row being built started on */
	int in_row;
	int row_done;
	/* fields of the row being built: NUL-terminated strings in buf */
	char *buf;
	size_t buflen, bufcap;
	size_t *offs;
	size_t nf, capf;
	char **fields;             /* pointers handed out, rebuilt per row */
	int oom;
};

static int is_term(unsigned char c)
{
	return c == '\n';
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void on_field(void *s, size_t len, void *data)
{
	struct trace_csvrows *r = data;
	if (r->nf == r->capf) {
		size_t n = r->capf ? r->capf * 2 : 32;
		size_t *o = realloc(r->offs, n * sizeof(*o));
		if (!o) {
			r->oom = 1;
			return;
		}
		r->offs = o;
		r->capf = n;
	}
	if (r->buflen + len + 1 > r->bufcap) {
		size_t n = r->bufcap ? r->bufcap : 1024;
		while (n < r->buflen + len + 1)
			n *= 2;
		char *b = realloc(r->buf, n);
		if (!b) {
			r->oom = 1;
			return;
		}
		r->buf = b;
		r->bufcap = n;
	}
	r->offs[r->nf++] = r->buflen;
	if (len)
		memcpy(r->buf + r->buflen, s, len);
	r->buflen += len;
	r->buf[r->buflen++] = '\0';
}

static void on_row(int c, void *data)
{
	struct trace_csvrows *r = data;
	r->row_done = 1;
}

/* Opens path for row reading. NULL on error (err filled). */
struct trace_csvrows *trace__csvrows_open(const char *path, struct trace_err *err)
{
	struct trace_csvrows *r = calloc(1, sizeof(*r));
	if (!r) {
		trace__fail(err, "%s: out of memory", path);
		return NULL;
	}
	r->path = strdup(path);
	if (!r->path) {
		trace__fail(err, "%s: out of memory", path);
		trace__csvrows_close(r);
		return NULL;
	}
	r->f = trace__fopen_read(path, err);
	if (!r->f) {
		trace__csvrows_close(r);
		return NULL;
	}
	if (csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		trace__fail(err, "%s: out of memory", path);
		fclose(r->f);
		r->f = NULL;
		trace__csvrows_close(r);
		return NULL;
	}
	csv_set_term_func(&r->p, is_term);
	csv_set_space_func(&r->p, is_space);
	return r;
}

static int row_out(struct trace_csvrows *r, char ***fields, size_t *nf,
		   long *line)
{
	free(r->fields);
	r->fields = malloc((r->nf + 1) * sizeof(*r->fields));
	if (!r->fields)
		return -1;
	for (size_t i = 0; i < r->nf; i++)
		r->fields[i] = r->buf + r->offs[i];
	r->fields[r->nf] = NULL;
	*fields = r->fields;
	*nf = r->nf;
	*line = r->row_line;
	return 1;
}

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_space((unsigned char)s[i]) && s[i] != '\n')
			return 0;
	return 1;
}

/* Cost: O(row length). Empty lines between rows are skipped. */
int trace__csvrows_next(struct trace_csvrows *r, char ***fields, size_t *nf,
			long *line, struct trace_err *err)
{
	r->nf = 0;
	r->buflen = 0;
	r->row_done = 0;
	r->in_row = 0;
	for (;;) {
		ssize_t n = getline(&r->line, &r->linecap, r->f);
		if (n < 0) {
			if (ferror(r->f))
				return trace__fail(err, "%s:%ld: read error: %s",
						   r->path, r->lineno + 1,
						   strerror(errno));
			if (csv_fini(&r->p, on_field, on_row, r) != 0) {
				csv_free(&r->p);
				csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI);
				return trace__fail(err, "%s:%ld: unterminated quoted field "
						   "(the file ends inside quotes)",
						   r->path, r->row_line);
			}
			if (r->oom)
				return trace__fail(err, "%s: out of memory", r->path);
			if (r->row_done && r->in_row)
				return row_out(r, fields, nf, line) < 0 ?
				       trace__fail(err, "%s: out of memory", r->path) : 1;
			return 0;
		}
		r->lineno++;
		const char *s = r->line;
		if (r->lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
			s += 3;                     /* UTF-8 byte order mark */
			n -= 3;
		}
		for (ssize_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c < 0x20 && c != '\t' && c != '\r' && c != '\n')
				return trace__fail(err, "%s:%ld: binary data (byte 0x%02x "
						   "at column %zd); not a CSV text file",
						   r->path, r->lineno, c, i + 1);
			if (c == 0x7f)
				return trace__fail(err, "%s:%ld: binary data (byte 0x7f "
						   "at column %zd); not a CSV text file",
						   r->path, r->lineno, i + 1);
		}
		if (!r->in_row) {
			if (blank(s, (size_t)n))
				continue;
			r->in_row = 1;
			r->row_line = r->lineno;
		}
		if (csv_parse(&r->p, s, (size_t)n, on_field, on_row, r) != (size_t)n)
			return trace__fail(err, "%s:%ld: malformed quoted field (%s)",
					   r->path, r->lineno,
					   csv_strerror(csv_error(&r->p)));
		if (r->oom)
			return trace__fail(err, "%s: out of memory", r->path);
		if (r->row_done)
			return row_out(r, fields, nf, line) < 0 ?
			       trace__fail(err, "%s: out of memory", r->path) : 1;
	}
}

long trace__csvrows_lines(const struct trace_csvrows *r)
{
	return r->lineno;
}

void trace__csvrows_close(struct trace_csvrows *r)
{
	if (!r)
		return;
	if (r->f) {
		fclose(r->f);
		csv_free(&r->p);
	}
	free(r->path);
	free(r->line);
	free(r->buf);
	free(r->offs);
	free(r->fields);
	free(r);
}
