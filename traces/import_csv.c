/*
 * CSV importers: rocprofv3 kernel traces (*_kernel_trace.csv) and Nsight
 * Systems `nsys stats --report cuda_gpu_trace --format csv` output. Both are
 * GPU-side only: no host launch times, so submit_ns = start_ns and requests
 * are split by GPU idle gaps (--split gap) or not at all.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "trace_internal.h"

#define MAXCOLS 64

struct colmap {
	const char *path;
	char **f;
	size_t nf;
	long line;
	int idx[MAXCOLS];
};

/* Index of the header field equal to name (or starting with name followed
 * by " (" when prefix is set: "Bytes (MB)"), or -1. */
static int find_col(char **h, size_t nh, const char *name, int prefix)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < nh; i++) {
		if (strcmp(h[i], name) == 0)
			return (int)i;
		if (prefix && strncmp(h[i], name, len) == 0 && h[i][len] == ' ' &&
		    h[i][len + 1] == '(')
			return (int)i;
	}
	return -1;
}

static int field_i64(struct colmap *m, int col, const char *what, int64_t *v,
		     struct trace_err *err)
{
	const char *s = m->f[col];
	if (!*s)
		return trace__fail(err, "%s:%ld: %s is empty", m->path, m->line, what);
	if (trace__parse_i64(s, v) < 0)
		return trace__fail(err, "%s:%ld: %s: '%s' is not an integer",
				   m->path, m->line, what, s);
	if (*v < 0)
		return trace__fail(err, "%s:%ld: %s is negative (%s)", m->path,
				   m->line, what, s);
	return 0;
}

static int field_num(struct colmap *m, int col, const char *what, double *v,
		     struct trace_err *err)
{
	const char *s = m->f[col];
	if (trace__parse_double(s, v) < 0)
		return trace__fail(err, "%s:%ld: %s: '%s' is not a number",
				   m->path, m->line, what, s);
	if (*v < 0)
		return trace__fail(err, "%s:%ld: %s is negative (%s)", m->path,
				   m->line, what, s);
	return 0;
}

/* ---- rocprofv3 ---------------------------------------------------------- */
int trace__looks_rocprof(char **f, size_t nf)
{
	return find_col(f, nf, "Kernel_Name", 0) >= 0 &&
	       find_col(f, nf, "Start_Timestamp", 0) >= 0 &&
	       find_col(f, nf, "Grid_Size_X", 0) >= 0;
}

enum { R_NAME, R_START, R_END, R_WGX, R_WGY, R_WGZ, R_GX, R_GY, R_GZ, R_NREQ };
static const char *const rocprof_req[R_NREQ] = {
	"Kernel_Name", "Start_Timestamp", "End_Timestamp", "Workgroup_Size_X",
	"Workgroup_Size_Y", "Workgroup_Size_Z", "Grid_Size_X", "Grid_Size_Y",
	"Grid_Size_Z",
};

/* Grid_Size_* counts work-items (HSA dispatch packet); the canonical grid
 * counts blocks (workgroups): blocks = ceil(grid / workgroup). */
int trace__read_rocprof(const char *path, struct trace__import *im,
			struct trace_err *err)
{
	struct trace_csvrows *r = trace__csvrows_open(path, err);
	if (!r)
		return -1;
	struct colmap m = { .path = path };
	int rc = trace__csvrows_next(r, &m.f, &m.nf, &m.line, err);
	if (rc <= 0) {
		if (rc == 0)
			trace__fail(err, "%s:1: empty file", path);
		goto fail;
	}
	int col[R_NREQ];
	for (int i = 0; i < R_NREQ; i++)
		if ((col[i] = find_col(m.f, m.nf, rocprof_req[i], 0)) < 0) {
			trace__fail(err, "%s:%ld: missing column '%s' (not a rocprofv3 "
				    "kernel_trace.csv?)", path, m.line, rocprof_req[i]);
			goto fail;
		}
	int c_kind = find_col(m.f, m.nf, "Kind", 0);
	int c_stream = find_col(m.f, m.nf, "Stream_Id", 0);
	if (c_stream < 0)
		c_stream = find_col(m.f, m.nf, "Queue_Id", 0);
	int c_corr = find_col(m.f, m.nf, "Correlation_Id", 0);
	int c_lds = find_col(m.f, m.nf, "LDS_Block_Size", 0);
	if (c_lds < 0)
		c_lds = find_col(m.f, m.nf, "Group_Segment_Size", 0);
	int c_vgpr = find_col(m.f, m.nf, "VGPR_Count", 0);
	if (c_stream < 0) {
		trace__fail(err, "%s:%ld: missing column 'Stream_Id' or 'Queue_Id'",
			    path, m.line);
		goto fail;
	}
	size_t ncols = m.nf;
	while ((rc = trace__csvrows_next(r, &m.f, &m.nf, &m.line, err)) == 1) {
		if (m.nf != ncols) {
			trace__fail(err, "%s:%ld: %zu fields, expected %zu (%s)", path,
				    m.line, m.nf, ncols,
				    m.nf < ncols ? "short row" : "too many fields");
			goto fail;
		}
		if (c_kind >= 0 && strcmp(m.f[c_kind], "KERNEL_DISPATCH") != 0)
			continue;
		struct trace__op op = { .submit_ns = -1, .corr = -1,
					.kind = TRACE_KERNEL };
		int64_t v[R_NREQ];
		for (int i = 1; i < R_NREQ; i++)
			if (field_i64(&m, col[i], rocprof_req[i], &v[i], err) < 0)
				goto fail;
		if (v[R_START] > TRACE_TIME_MAX_NS || v[R_END] > TRACE_TIME_MAX_NS) {
			trace__fail(err, "%s:%ld: Start_Timestamp / End_Timestamp beyond "
				    "2^62 ns", path, m.line);
			goto fail;
		}
		if (v[R_END] < v[R_START]) {
			trace__fail(err, "%s:%ld: End_Timestamp %lld is before "
				    "Start_Timestamp %lld", path, m.line,
				    (long long)v[R_END], (long long)v[R_START]);
			goto fail;
		}
		op.start_ns = v[R_START];
		op.end_ns = v[R_END];
		for (int d = 0; d < 3; d++) {
			int64_t wg = v[R_WGX + d], g = v[R_GX + d];
			if (wg < 1 || g < 1 || wg > UINT32_MAX || g > UINT32_MAX) {
				trace__fail(err, "%s:%ld: %s / %s must be between 1 and "
					    "2^32-1", path, m.line, rocprof_req[R_WGX + d],
					    rocprof_req[R_GX + d]);
				goto fail;
			}
			op.block[d] = (uint32_t)wg;
			op.grid[d] = (uint32_t)((g + wg - 1) / wg);
		}
		if (trace__block_threads(op.block) > TRACE_BLOCK_MAX) {
			trace__fail(err, "%s:%ld: more than %d threads per workgroup",
				    path, m.line, TRACE_BLOCK_MAX);
			goto fail;
		}
		int64_t x;
		if (field_i64(&m, c_stream, "Stream_Id/Queue_Id", &x, err) < 0)
			goto fail;
		op.stream = x;
		if (c_corr >= 0 && field_i64(&m, c_corr, "Correlation_Id", &x, err) == 0)
			op.corr = x;
		else if (c_corr >= 0)
			goto fail;
		if (c_lds >= 0 && field_i64(&m, c_lds, "LDS size", &op.shmem, err) < 0)
			goto fail;
		if (c_vgpr >= 0 && field_i64(&m, c_vgpr, "VGPR_Count", &op.regs, err) < 0)
			goto fail;
		const char *name = m.f[col[R_NAME]];
		if (!*name) {
			trace__fail(err, "%s:%ld: Kernel_Name is empty", path, m.line);
			goto fail;
		}
		op.name = trace__intern(im->names, name, strlen(name));
		if (!op.name || trace__imp_add_op(im, &op) < 0) {
			trace__imp_full(im, path, err);
			goto fail;
		}
	}
	if (rc < 0)
		goto fail;
	trace__csvrows_close(r);
	return 0;
fail:
	trace__csvrows_close(r);
	return -1;
}

/* ---- nsys cuda_gpu_trace ------------------------------------------------ */
int trace__looks_nsys(char **f, size_t nf)
{
	return find_col(f, nf, "Start", 1) >= 0 &&
	       find_col(f, nf, "Duration", 1) >= 0 &&
	       find_col(f, nf, "GrdX", 0) >= 0 && find_col(f, nf, "Name", 0) >= 0;
}

/* Scale of a header's unit suffix: "Start (ns)" -> 1 ns, "(us)" -> 1000,
 * "Bytes (MB)" -> 1e6 (nsys prints SI megabytes), "(MiB)" -> 2^20. */
static double unit_scale(const char *h, double dflt)
{
	const char *p = strchr(h, '(');
	if (!p)
		return dflt;
	static const struct { const char *u; double s; } units[] = {
		{ "(ns)", 1 }, { "(us)", 1e3 }, { "(ms)", 1e6 }, { "(s)", 1e9 },
		{ "(B)", 1 }, { "(KB)", 1e3 }, { "(MB)", 1e6 }, { "(GB)", 1e9 },
		{ "(KiB)", 1024.0 }, { "(MiB)", 1048576.0 },
		{ "(GiB)", 1073741824.0 },
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p, units[i].u) == 0)
			return units[i].s;
	return -1;
}

enum { N_START, N_DUR, N_STRM, N_NAME, N_GX, N_GY, N_GZ, N_BX, N_BY, N_BZ, N_NREQ };
static const char *const nsys_req[N_NREQ] = {
	"Start", "Duration", "Strm", "Name", "GrdX", "GrdY", "GrdZ", "BlkX",
	"BlkY", "BlkZ",
};

int trace__read_nsys(const char *path, struct trace__import *im,
		     struct trace_err *err)
{
	struct trace_csvrows *r = trace__csvrows_open(path, err);
	if (!r)
		return -1;
	struct colmap m = { .path = path };
	int rc;
	/* nsys prints notices before the header: skip rows until it. */
	while ((rc = trace__csvrows_next(r, &m.f, &m.nf, &m.line, err)) == 1)
		if (trace__looks_nsys(m.f, m.nf))
			break;
	if (rc <= 0) {
		if (rc == 0)
			trace__fail(err, "%s:%ld: no cuda_gpu_trace header row "
				    "(\"Start (ns),Duration (ns),...,Name\")", path,
				    trace__csvrows_lines(r) ? trace__csvrows_lines(r) : 1);
		goto fail;
	}
	int col[N_NREQ];
	for (int i = 0; i < N_NREQ; i++)
		if ((col[i] = find_col(m.f, m.nf, nsys_req[i], i <= N_DUR)) < 0) {
			trace__fail(err, "%s:%ld: missing column '%s'", path, m.line,
				    nsys_req[i]);
			goto fail;
		}
	double tscale = unit_scale(m.f[col[N_START]], 1);
	double dscale = unit_scale(m.f[col[N_DUR]], 1);
	if (tscale < 0 || dscale < 0) {
		trace__fail(err, "%s:%ld: unknown time unit in '%s' / '%s'", path,
			    m.line, m.f[col[N_START]], m.f[col[N_DUR]]);
		goto fail;
	}
	int c_corr = find_col(m.f, m.nf, "CorrId", 0);
	int c_regs = find_col(m.f, m.nf, "Reg/Trd", 0);
	int c_ssm = find_col(m.f, m.nf, "StcSMem", 1);
	int c_dsm = find_col(m.f, m.nf, "DymSMem", 1);
	int c_bytes = find_col(m.f, m.nf, "Bytes", 1);
	double ssm_s = c_ssm >= 0 ? unit_scale(m.f[c_ssm], 1) : 1;
	double dsm_s = c_dsm >= 0 ? unit_scale(m.f[c_dsm], 1) : 1;
	double bytes_s = c_bytes >= 0 ? unit_scale(m.f[c_bytes], 1) : 1;
	if (ssm_s < 0 || dsm_s < 0 || bytes_s < 0) {
		trace__fail(err, "%s:%ld: unknown size unit in the header", path, m.line);
		goto fail;
	}
	size_t ncols = m.nf;
	while ((rc = trace__csvrows_next(r, &m.f, &m.nf, &m.line, err)) == 1) {
		if (m.nf != ncols) {
			trace__fail(err, "%s:%ld: %zu fields, expected %zu (%s)", path,
				    m.line, m.nf, ncols,
				    m.nf < ncols ? "short row" : "too many fields");
			goto fail;
		}
		struct trace__op op = { .submit_ns = -1, .corr = -1 };
		const char *name = m.f[col[N_NAME]];
		if (!*name) {
			trace__fail(err, "%s:%ld: Name is empty", path, m.line);
			goto fail;
		}
		if (strncasecmp(name, "[CUDA memcpy", 12) == 0)
			op.kind = TRACE_MEMCPY;
		else if (strncasecmp(name, "[CUDA memset", 12) == 0)
			op.kind = TRACE_MEMSET;
		else
			op.kind = TRACE_KERNEL;
		double t, d, x;
		if (field_num(&m, col[N_START], "Start", &t, err) < 0 ||
		    field_num(&m, col[N_DUR], "Duration", &d, err) < 0)
			goto fail;
		int64_t dns;
		if (trace__ns_of(t, tscale, &op.start_ns) < 0 ||
		    trace__ns_of(d, dscale, &dns) < 0 ||
		    trace__ns_end(op.start_ns, dns, &op.end_ns) < 0) {
			trace__fail(err, "%s:%ld: Start %s / Duration %s out of range "
				    "(times must lie within 0 and 2^62 ns)", path,
				    m.line, m.f[col[N_START]], m.f[col[N_DUR]]);
			goto fail;
		}
		int64_t v;
		if (field_i64(&m, col[N_STRM], "Strm", &v, err) < 0)
			goto fail;
		op.stream = v;
		if (c_corr >= 0 && *m.f[c_corr]) {
			if (field_i64(&m, c_corr, "CorrId", &v, err) < 0)
				goto fail;
			op.corr = v;
		}
		if (op.kind == TRACE_KERNEL) {
			for (int dd = 0; dd < 3; dd++) {
				int64_t g, b;
				if (field_i64(&m, col[N_GX + dd], nsys_req[N_GX + dd], &g, err) < 0 ||
				    field_i64(&m, col[N_BX + dd], nsys_req[N_BX + dd], &b, err) < 0)
					goto fail;
				if (g < 1 || b < 1 || g > UINT32_MAX || b > UINT32_MAX) {
					trace__fail(err, "%s:%ld: %s / %s must be between 1 "
						    "and 2^32-1", path, m.line,
						    nsys_req[N_GX + dd], nsys_req[N_BX + dd]);
					goto fail;
				}
				op.grid[dd] = (uint32_t)g;
				op.block[dd] = (uint32_t)b;
			}
			if (trace__block_threads(op.block) > TRACE_BLOCK_MAX) {
				trace__fail(err, "%s:%ld: more than %d threads per block",
					    path, m.line, TRACE_BLOCK_MAX);
				goto fail;
			}
			if (c_regs >= 0 && *m.f[c_regs] &&
			    field_i64(&m, c_regs, "Reg/Trd", &op.regs, err) < 0)
				goto fail;
			double sm = 0;
			if (c_ssm >= 0 && *m.f[c_ssm]) {
				if (field_num(&m, c_ssm, "StcSMem", &x, err) < 0)
					goto fail;
				sm += x * ssm_s;
			}
			if (c_dsm >= 0 && *m.f[c_dsm]) {
				if (field_num(&m, c_dsm, "DymSMem", &x, err) < 0)
					goto fail;
				sm += x * dsm_s;
			}
			if (trace__ns_of(sm, 1, &op.shmem) < 0) {
				trace__fail(err, "%s:%ld: shared memory size out of "
					    "range", path, m.line);
				goto fail;
			}
		} else if (c_bytes >= 0 && *m.f[c_bytes]) {
			if (field_num(&m, c_bytes, "Bytes", &x, err) < 0)
				goto fail;
			if (trace__ns_of(x, bytes_s, &op.bytes) < 0) {
				trace__fail(err, "%s:%ld: Bytes '%s' out of range",
					    path, m.line, m.f[c_bytes]);
				goto fail;
			}
		}
		op.name = trace__intern(im->names, name, strlen(name));
		if (!op.name || trace__imp_add_op(im, &op) < 0) {
			trace__imp_full(im, path, err);
			goto fail;
		}
	}
	if (rc < 0)
		goto fail;
	trace__csvrows_close(r);
	return 0;
fail:
	trace__csvrows_close(r);
	return -1;
}
