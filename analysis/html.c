/*
 * report.html: one self-contained page per run directory, made from what
 * the directory holds (summary.json, the PNG plots, timeline.json), so
 * `hipsched report RUN_DIR` redraws it for any run, old or new. The plots
 * are embedded (base64 data URIs): the page can be mailed or moved alone.
 * Written through trace_out (temp file, renamed when whole).
 * The page is well-formed XHTML (every tag closed, attributes quoted,
 * text escaped), which tests/check_report.c verifies.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "analysis.h"
#include "trace.h"

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

static int exists(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* <img> with the PNG as a data URI; a note when the file is missing. */
static void embed_png(FILE *f, const char *dir, const char *name, const char *alt)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *in = fopen(p, "rb");
	if (!in) {
		fputs("<p class=\"note\">(", f);
		esc(f, name);
		fputs(" is missing: gnuplot was not installed when the run was made; "
		      "<code>make deps</code>, then <code>gnuplot plots.gp</code> in the "
		      "run directory and <code>hipsched report</code> again)</p>\n", f);
		return;
	}
	fputs("<img alt=\"", f);
	esc(f, alt);
	fputs("\" src=\"data:image/png;base64,", f);
	unsigned char buf[3 * 1024];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
		for (size_t i = 0; i < n; i += 3) {
			unsigned v = (unsigned)buf[i] << 16;
			if (i + 1 < n)
				v |= (unsigned)buf[i + 1] << 8;
			if (i + 2 < n)
				v |= buf[i + 2];
			fputc(b64[(v >> 18) & 63], f);
			fputc(b64[(v >> 12) & 63], f);
			fputc(i + 1 < n ? b64[(v >> 6) & 63] : '=', f);
			fputc(i + 2 < n ? b64[v & 63] : '=', f);
		}
	}
	fclose(in);
	fputs("\" />\n", f);
}

static void num(FILE *f, json_t *v, const char *fmt, double scale)
{
	if (!json_is_number(v)) {
		fputs("<td>-</td>", f);
		return;
	}
	fputs("<td>", f);
	fprintf(f, fmt, json_number_value(v) * scale);
	fputs("</td>", f);
}

static void row(FILE *f, json_t *tn, json_t *m, const char *mode, int ratios,
		double slo_ms)
{
	json_t *lat = json_object_get(m, "latency_ms");
	fputs("<tr><td>", f);
	esc(f, json_string_value(json_object_get(tn, "name")));
	fprintf(f, "</td><td>%lld</td><td>", (long long)json_integer_value(
		json_object_get(tn, "priority")));
	esc(f, mode);
	fputs("</td>", f);
	num(f, json_object_get(m, "completed_in_window"), "%.0f", 1);
	num(f, json_object_get(lat, "p50"), "%.2f", 1);
	num(f, json_object_get(lat, "p90"), "%.2f", 1);
	json_t *p99 = json_object_get(lat, "p99");
	if (slo_ms > 0 && json_is_number(p99) && json_number_value(p99) > slo_ms)
		fprintf(f, "<td class=\"bad\">%.2f</td>", json_number_value(p99));
	else
		num(f, p99, "%.2f", 1);
	num(f, json_object_get(lat, "max"), "%.2f", 1);
	num(f, json_object_get(m, "throughput_rps"), "%.2f", 1);
	num(f, ratios ? json_object_get(m, "p99_vs_standalone") : NULL, "%.3f", 1);
	num(f, ratios ? json_object_get(m, "throughput_vs_standalone") : NULL, "%.3f", 1);
	num(f, json_object_get(m, "slo_attainment"), "%.1f %%", 100);
	fputs("</tr>\n", f);
}

static void verdict(FILE *f, json_t *v, const char *title)
{
	json_t *crit = json_object_get(v, "criteria");
	int pass = json_is_true(json_object_get(v, "pass"));
	fprintf(f, "<h3>%s: <span class=\"%s\">%s</span></h3>\n", title,
		pass ? "good" : "bad", pass ? "PASS" : "FAIL");
	if (!json_array_size(crit)) {
		fputs("<p>No criteria in the scenario's [verdict].</p>\n", f);
		return;
	}
	fputs("<table><tr><th>criterion</th><th>measured</th><th>wanted</th>"
	      "<th></th></tr>\n", f);
	size_t i;
	json_t *c;
	json_array_foreach(crit, i, c) {
		int ok = json_is_true(json_object_get(c, "pass"));
		fputs("<tr><td>", f);
		esc(f, json_string_value(json_object_get(c, "key")));
		fputs("</td>", f);
		num(f, json_object_get(c, "measured"), "%.4g", 1);
		fputs("<td>", f);
		esc(f, json_string_value(json_object_get(c, "op")));
		fprintf(f, " %.4g</td><td class=\"%s\">%s</td></tr>\n",
			json_number_value(json_object_get(c, "threshold")),
			ok ? "good" : "bad", ok ? "PASS" : "FAIL");
	}
	fputs("</table>\n", f);
}

static const char style[] =
	"body{font-family:sans-serif;max-width:1100px;margin:1em auto;padding:0 1em;"
	"color:#222}table{border-collapse:collapse;margin:.5em 0}"
	"td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}"
	"td:first-child,th:first-child,td:nth-child(3){text-align:left}"
	"th{background:#f3f3f3}.good{color:#1a7f37;font-weight:bold}"
	".bad{color:#c62828;font-weight:bold}.note{color:#666}"
	"img{max-width:100%;border:1px solid #eee;margin:.3em 0}"
	"code{background:#f3f3f3;padding:0 .2em}"
	".pair{display:flex;gap:.5em}.pair img{width:50%;min-width:0}";

static void body(FILE *f, const char *dir, json_t *s)
{
	const char *scen = json_string_value(json_object_get(s, "scenario"));
	const char *pol = json_string_value(json_object_get(s, "policy"));
	json_t *v = json_object_get(s, "verdict");
	int pass = json_is_true(json_object_get(v, "pass"));
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n"
	      "<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
	      "<meta charset=\"UTF-8\" />\n<title>hipsched: ", f);
	esc(f, scen);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", style);
	esc(f, scen);
	fprintf(f, ": <span class=\"%s\">%s</span></h1>\n<p>", pass ? "good" : "bad",
		pass ? "PASS" : "FAIL");
	fputs("backend <b>", f);
	esc(f, json_string_value(json_object_get(s, "backend")));
	fputs("</b>, device ", f);
	esc(f, json_string_value(json_object_get(s, "device")));
	fputs(", policy <b>", f);
	esc(f, pol);
	fprintf(f, "</b> (level %lld, threshold %lld, batch %lld), seed %lld, "
		"%.3g s; scenario file <code>",
		(long long)json_integer_value(json_object_get(s, "level")),
		(long long)json_integer_value(json_object_get(s, "threshold")),
		(long long)json_integer_value(json_object_get(s, "batch")),
		(long long)json_integer_value(json_object_get(s, "seed")),
		json_number_value(json_object_get(s, "duration_s")));
	esc(f, json_string_value(json_object_get(s, "scenario_path")));
	fputs("</code>; hipsched ", f);
	esc(f, json_string_value(json_object_get(s, "hipsched_version")));
	fputs("</p>\n<h2>Per tenant and run</h2>\n<table>\n<tr><th>tenant</th>"
	      "<th>prio</th><th>run</th><th>done</th><th>P50 ms</th><th>P90 ms</th>"
	      "<th>P99 ms</th><th>max ms</th><th>req/s</th><th>P99 / alone</th>"
	      "<th>tput / alone</th><th>in SLO</th></tr>\n", f);
	json_t *tenants = json_object_get(s, "tenants");
	size_t i;
	json_t *tn;
	int is_native = pol && !strcmp(pol, "native");
	json_array_foreach(tenants, i, tn) {
		double slo = json_number_value(json_object_get(tn, "slo_ms"));
		row(f, tn, json_object_get(tn, "standalone"), "standalone", 0, slo);
		row(f, tn, json_object_get(tn, "native"), "native", 1, slo);
		if (!is_native)
			row(f, tn, tn, pol, 1, slo);
	}
	fputs("</table>\n<p>", f);
	json_t *nat = json_object_get(s, "native");
	fprintf(f, "GPU utilization: native %.1f %%", 100 * json_number_value(
		json_object_get(nat, "gpu_util")));
	if (!is_native) {
		fputs(", ", f);
		esc(f, pol);
		fprintf(f, " %.1f %%", 100 * json_number_value(json_object_get(s, "gpu_util")));
	}
	json_t *pl = json_object_get(s, "preempt_latency_ms");
	if (json_integer_value(json_object_get(pl, "n")) > 0)
		fprintf(f, ". Preemptions: %lld, latency P50 %.3f ms, P99 %.3f ms, "
			"max %.3f ms", (long long)json_integer_value(json_object_get(pl, "n")),
			json_number_value(json_object_get(pl, "p50")),
			json_number_value(json_object_get(pl, "p99")),
			json_number_value(json_object_get(pl, "max")));
	fputs(".</p>\n<h2>Verdict</h2>\n", f);
	verdict(f, v, "under the policy");
	if (!is_native)
		verdict(f, json_object_get(s, "native_verdict"),
			"under native, for reference");
	fputs("<h2>Latency</h2>\n<p>Left: CDF; right: the tail (fraction of requests "
	      "at least this slow, log scale). Dotted lines: SLO and deadline.</p>\n", f);
	json_array_foreach(tenants, i, tn) {
		const char *name = json_string_value(json_object_get(tn, "name"));
		char png[300], alt[300];
		fputs("<h3>", f);
		esc(f, name);
		fputs("</h3>\n<div class=\"pair\">\n", f);
		snprintf(png, sizeof(png), "latency_cdf_%s.png", name);
		snprintf(alt, sizeof(alt), "latency CDF of %s", name);
		embed_png(f, dir, png, alt);
		snprintf(png, sizeof(png), "latency_tail_%s.png", name);
		snprintf(alt, sizeof(alt), "latency tail of %s", name);
		embed_png(f, dir, png, alt);
		fputs("</div>\n", f);
	}
	fputs("<h2>Throughput</h2>\n", f);
	embed_png(f, dir, "throughput.png", "throughput per tenant");
	fputs("<h2>Timeline</h2>\n", f);
	if (exists(dir, "timeline.json")) {
		fputs("<p><a href=\"timeline.json\">timeline.json</a> (Chrome trace of the "
		      "policy run): open <a href=\"https://ui.perfetto.dev\">"
		      "https://ui.perfetto.dev</a>, choose <i>Open trace file</i> and pick "
		      "<code>timeline.json</code> from this folder (or drag it onto the "
		      "page). Per tenant: its requests on the host track; per stream, the "
		      "launches (host) with arrows to the kernels (GPU), the policy's "
		      "suspend / resume / preempted marks with their reason (click one) "
		      "and the queue's pending / in-flight counters.</p>\n", f);
	} else {
		fputs("<p class=\"note\">No timeline in this run: run again with "
		      "<code>--timeline</code> (or <code>--timeline-window 2s..3s</code> for "
		      "one second of it) to see each kernel, launch and scheduling "
		      "decision in Perfetto.</p>\n", f);
	}
	fputs("<h2>Files</h2>\n<ul>\n<li><a href=\"summary.json\">summary.json</a>: "
	      "every number above</li>\n<li><a href=\"requests.csv\">requests.csv</a>: "
	      "one row per request</li>\n<li><a href=\"plots.gp\">plots.gp</a>: the "
	      "gnuplot script (<code>gnuplot plots.gp</code> redraws)</li>\n</ul>\n"
	      "</body>\n</html>\n", f);
}

int analysis_write_html(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	json_error_t je;
	json_t *s = json_load_file(path, 0, &je);
	if (!s) {
		if (je.line > 0)
			snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
		else
			snprintf(err, errlen, "%s: %s", path, je.text);
		return ANALYSIS_EBAD;
	}
	if (!json_is_string(json_object_get(s, "scenario")) ||
	    !json_is_array(json_object_get(s, "tenants"))) {
		snprintf(err, errlen, "%s: not a hipsched summary (no scenario or "
			 "tenants)", path);
		json_decref(s);
		return ANALYSIS_EBAD;
	}
	snprintf(path, sizeof(path), "%s/report.html", dir);
	struct trace_out out;
	struct trace_err te;
	int rc = trace_out_open(&out, path, &te);
	if (rc) {
		snprintf(err, errlen, "%s", te.msg);
		json_decref(s);
		return rc == HS_ENOMEM ? rc : ANALYSIS_EIO;
	}
	body(out.f, dir, s);
	json_decref(s);
	if (trace_out_close(&out, 1, &te)) {
		snprintf(err, errlen, "%s", te.msg);
		return ANALYSIS_EIO;
	}
	return 0;
}
