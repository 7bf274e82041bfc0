/*
 * hipsched trace: import, inspect and export kernel traces.
 *
 *   hipsched trace import FILE [-o OUT.csv] [--format F] [--split S] [--gap-us N]
 *   hipsched trace info FILE [--top N] [--format F] [--split S]
 *   hipsched trace export FILE -o OUT.json
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "scenario.h"
#include "trace.h"

static void usage_trace(FILE *f)
{
	fprintf(f,
		"usage: hipsched trace <import|info|export> [<args>]\n\n"
		"   import   convert a PyTorch profiler (Kineto) JSON, rocprofv3\n"
		"            kernel_trace.csv or nsys cuda_gpu_trace CSV into the\n"
		"            canonical trace CSV\n"
		"   info     summarise a trace: commands, requests, GPU busy time,\n"
		"            host span and gaps, largest kernels, streams\n"
		"   export   write Chrome trace event JSON (opens in Perfetto)\n\n"
		"'hipsched trace <command> --help' shows a command's options.\n");
}

static void usage_import(FILE *f)
{
	fprintf(f,
		"usage: hipsched trace import FILE [-o OUT.csv] [--format FMT]\n"
		"                             [--split HOW] [--gap-us N]\n"
		"                             [--host-times TIMES.csv]\n\n"
		"Converts FILE into the canonical trace CSV (times in ns from 0,\n"
		"commands in host submit order, grouped into requests).\n\n"
		"  -o, --output OUT.csv  output (default: FILE with its extension\n"
		"                        replaced by .csv)\n"
		"  --format FMT          auto (default), kineto, rocprof, nsys\n"
		"  --split HOW           how to cut the trace into requests:\n"
		"                        auto (default: ProfilerStep#N spans if any,\n"
		"                        else host synchronizations, else none),\n"
		"                        step, sync, gap, none\n"
		"  --gap-us N            with --split gap: a GPU idle gap longer\n"
		"                        than N us starts a new request (default 1000)\n"
		"  --host-times TIMES.csv  keep FILE's commands and GPU durations, take\n"
		"                        the host side (launch times, request\n"
		"                        boundaries) from an unprofiled timing of the\n"
		"                        same loop: rows request,start_ns,end_ns (one\n"
		"                        per iteration) or request,seq,submit_ns\n"
		"                        [,return_ns] (one per command); request j\n"
		"                        replays FILE's request j mod N (traces/README.md)\n");
}

static void usage_info(FILE *f)
{
	fprintf(f,
		"usage: hipsched trace info FILE [--top N] [--format FMT] [--split HOW]\n\n"
		"Summarises a canonical trace, or any importable trace (then it also\n"
		"says how requests were split): command counts, per-request GPU busy\n"
		"time and host span, host gaps, the N largest kernels (default 10)\n"
		"and the streams used. --format/--split as for 'trace import'.\n");
}

static void usage_export(FILE *f)
{
	fprintf(f,
		"usage: hipsched trace export FILE -o OUT.json\n\n"
		"Writes FILE (canonical or importable) as Chrome trace event JSON:\n"
		"one track per stream, a host track with one span per request and\n"
		"the launch calls. Open it in https://ui.perfetto.dev.\n");
}

struct common_opts {
	const char *in, *out;
	struct trace_import_opts imp;
	long top;
	const char *host_times;    /* import --host-times */
};

/* Parses the options shared by the subcommands; 0 ok, 2 usage error,
 * 1 = help printed. */
static int parse(int argc, char **argv, struct common_opts *o,
		 void (*usage)(FILE *), int want_out)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "split", required_argument, NULL, 's' },
		{ "gap-us", required_argument, NULL, 'g' },
		{ "top", required_argument, NULL, 't' },
		{ "host-times", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof(*o));
	o->top = 10;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		char *end;
		int v;
		switch (c) {
		case 'o':
			if (!want_out)
				goto bad;
			o->out = optarg;
			break;
		case 'f':
			if ((v = trace_format_parse(optarg)) < 0) {
				cli_error("%s: unknown format '%s' (auto, kineto, rocprof, "
					  "nsys, canonical)", argv[0], optarg);
				return 2;
			}
			o->imp.format = v;
			break;
		case 's':
			if ((v = trace_split_parse(optarg)) < 0) {
				cli_error("%s: unknown split '%s' (auto, step, sync, gap, "
					  "none)", argv[0], optarg);
				return 2;
			}
			o->imp.split = v;
			break;
		case 'g': {
			double us = strtod(optarg, &end);
			if (*end || end == optarg || !(us > 0) || !(us <= 1e12)) {
				cli_error("%s: --gap-us needs a positive number up to 1e12, "
					  "not '%s'", argv[0], optarg);
				return 2;
			}
			o->imp.gap_ns = (int64_t)(us * 1000.0);
			break;
		}
		case 't':
			o->top = strtol(optarg, &end, 10);
			if (*end || end == optarg || o->top < 0) {
				cli_error("%s: --top needs a non-negative integer", argv[0]);
				return 2;
			}
			break;
		case 'H':
			if (usage != usage_import)
				goto bad;
			o->host_times = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
		bad:
			cli_error("%s: unknown option '%s'", argv[0], argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		cli_error("%s: expected exactly one input FILE", argv[0]);
		usage(stderr);
		return 2;
	}
	o->in = argv[optind];
	return 0;
}

static char *default_out(const char *in, const char *ext)
{
	size_t n = strlen(in);
	const char *slash = strrchr(in, '/');
	const char *dot = strrchr(in, '.');
	if (dot && (!slash || dot > slash)) {
		n = (size_t)(dot - in);
		/* foo.json.gz style double extensions */
		const char *dot2 = dot - 1;
		while (dot2 > in && *dot2 != '.' && *dot2 != '/')
			dot2--;
		if (*dot2 == '.' && strcmp(dot, ".gz") == 0)
			n = (size_t)(dot2 - in);
	}
	char *out = malloc(n + strlen(ext) + 1);
	if (!out)
		return NULL;
	memcpy(out, in, n);
	strcpy(out + n, ext);
	return out;
}

static void print_import(const struct trace_import_stats *st, FILE *f)
{
	fprintf(f, "format %s; %zu commands (%zu kernels, %zu memcpy, %zu memset) "
		"in %zu requests; split: %s", trace_format_name(st->format),
		st->ncmds, st->nkind[TRACE_KERNEL], st->nkind[TRACE_MEMCPY],
		st->nkind[TRACE_MEMSET], st->nreqs,
		st->format == TRACE_FMT_CANONICAL ? "as in the file" :
		trace_split_name(st->split));
	if (st->split == TRACE_SPLIT_STEP)
		fprintf(f, " (%zu ProfilerStep#N spans)", st->nsteps);
	else if (st->split == TRACE_SPLIT_SYNC)
		fprintf(f, " (%zu host synchronizations)", st->nsyncs);
	if (st->nkind[TRACE_SYNC])
		fprintf(f, "; %zu host syncs inside requests kept as sync commands",
			st->nkind[TRACE_SYNC]);
	fputc('\n', f);
	if (st->no_launch)
		fprintf(f, "  %zu commands without a host launch event: submit_ns = "
			"start_ns\n", st->no_launch);
	if (st->dropped)
		fprintf(f, "  %zu commands outside every ProfilerStep span dropped\n",
			st->dropped);
}

static int cmd_import(int argc, char **argv)
{
	struct common_opts o;
	int rc = parse(argc, argv, &o, usage_import, 1);
	if (rc)
		return rc == 1 ? 0 : rc;
	char *def = NULL;
	if (!o.out) {
		def = default_out(o.in, ".csv");
		if (!def || strcmp(def, o.in) == 0) {
			cli_error("import: give the output with -o (the default would "
				  "overwrite %s)", o.in);
			free(def);
			return 2;
		}
		o.out = def;
	}
	if (cli_same_file(o.in, o.out)) {
		cli_error("import: %s is the input; give another output with -o",
			  o.out);
		free(def);
		return CLI_INPUT;
	}
	cli_signals_init();
	struct trace_err err;
	struct trace_import_stats st;
	if (o.host_times) {
		if (strcmp(o.host_times, o.out) == 0 ||
		    cli_same_file(o.host_times, o.out)) {
			cli_error("import: -o would overwrite %s", o.host_times);
			free(def);
			return CLI_INPUT;
		}
		struct trace_host_times_stats hs;
		struct trace *prof = trace_import_load(o.in, &o.imp, &st, &err), *t = NULL;
		if (prof)
			t = trace_host_times(prof, o.host_times, &hs, &err);
		trace_free(prof);
		if (!t || trace_save(t, o.out, &err) < 0) {
			cli_error("%s", err.msg);
			trace_free(t);
			free(def);
			return t ? CLI_RUN : CLI_INPUT;
		}
		fprintf(stderr, "%s: GPU side: ", o.out);
		print_import(&st, stderr);
		fprintf(stderr, "  host side from %s (%s): %zu requests cycling through "
			"the %zu profiled ones", o.host_times, hs.per_command ?
			"per command" : "per request", hs.nreqs, hs.src_reqs);
		if (!hs.per_command)
			fprintf(stderr, "; %.2f us %s each launch gap", fabs(hs.removed_per_gap_ns) / 1e3,
				hs.removed_per_gap_ns >= 0 ? "taken off" : "added to");
		fputc('\n', stderr);
		trace_free(t);
		free(def);
		return CLI_OK;
	}
	struct trace *t = trace_import_load(o.in, &o.imp, &st, &err);
	if (!t) {
	cli_error("%s", err.msg);
		free(def);
		return cli_signal_exit() ? cli_signal_exit() : CLI_INPUT;
	}
	/* written here rather than by trace_save(), so that a signal while
	 * writing drops the temp file instead of renaming it into place */
	struct trace_writer *w = cli_stop ? NULL : trace_writer_open(o.out, &err);
	for (size_t i = 0; w && i < t->nrecs && !cli_stop; i++)
		if (trace_writer_write(w, &t->recs[i]) < 0)
			break;
	rc = w ? trace_writer_close(w, !cli_stop, &err) : -1;
	trace_free(t);
	if (cli_stop) {
		free(def);
		return cli_signal_exit();
	}
	if (rc < 0) {
		cli_error("%s", err.msg);
		free(def);
		return CLI_RUN;
	}
	fprintf(stderr, "%s: ", o.out);
	print_import(&st, stderr);
	free(def);
	return CLI_OK;
}

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/* The median of v (run_quantiles), 0 for none. */
static double median_i64(const int64_t *v, size_t n)
{
	double *d = malloc((n ? n : 1) * sizeof(*d)), q = 0.5, m = 0;
	if (!d)
		return NAN;
	for (size_t i = 0; i < n; i++)
		d[i] = (double)v[i];
	run_quantiles(d, n, &q, &m, 1);
	free(d);
	return n ? m : 0;
}

static int cmd_info(int argc, char **argv)
{
	struct common_opts o;
	int rc = parse(argc, argv, &o, usage_info, 0);
	if (rc)
		return rc == 1 ? 0 : rc;
	struct trace_err err;
	struct trace_import_stats st;
	struct trace *t = trace_import_load(o.in, &o.imp, &st, &err);
	if (!t) {
		cli_error("%s", err.msg);
		return CLI_INPUT;
	}
	struct trace_summary s;
	if (trace_summarize(t, (size_t)o.top, &s) < 0) {
		cli_error("info: out of memory");
		trace_free(t);
		return CLI_RUN;
	}
	printf("%s\n", o.in);
	if (st.format != TRACE_FMT_CANONICAL) {
		printf("  imported: ");
		print_import(&st, stdout);
	} else {
		printf("  format canonical (requests as recorded in the file)\n");
	}
	printf("  commands   %zu: %zu kernel, %zu memcpy, %zu memset, %zu sync, "
	       "%zu marker\n", s.nrecs, s.nkind[TRACE_KERNEL], s.nkind[TRACE_MEMCPY],
	       s.nkind[TRACE_MEMSET], s.nkind[TRACE_SYNC], s.nkind[TRACE_MARKER]);
	printf("  requests   %zu\n", s.nreqs);
	printf("  span       %.3f ms, GPU busy %.3f ms (%.1f%%)\n", ms(s.span_ns),
	       ms(s.gpu_busy_ns),
	       s.span_ns ? 100.0 * (double)s.gpu_busy_ns / (double)s.span_ns : 0.0);
	printf("  streams    %zu:", s.nstreams);
	for (size_t i = 0; i < s.nstreams; i++)
		printf(" %lld", (long long)s.streams[i]);
	printf("\n  host gaps  within requests: median %.1f us, max %.1f us; "
	       "between requests: mean %.1f us\n", s.host_gap_p50_ns / 1e3,
	       s.host_gap_max_ns / 1e3, s.req_gap_mean_ns / 1e3);
	struct trace_shapes sh;
	if (t->nreqs && trace_shapes_build(t, &sh) == 0) {
		size_t most = 0;
		for (size_t k = 0; k < sh.nshapes; k++)
			if (sh.start[k + 1] - sh.start[k] > most)
				most = sh.start[k + 1] - sh.start[k];
		/* the host-jitter model draws within a shape: its tail is only
		 * as good as the number of requests there */
		printf("  shapes     %zu (largest: %zu requests; host timings are "
		       "resampled within a shape%s)\n", sh.nshapes, most,
		       most < 100 ? ", < 100: a P99 is one of few values" : "");
		trace_shapes_release(&sh);
	}
	if (s.nreqs) {
		int64_t *busy = malloc(s.nreqs * sizeof(*busy));
		int64_t *span = malloc(s.nreqs * sizeof(*span));
		if (busy && span) {
			for (size_t i = 0; i < s.nreqs; i++) {
				busy[i] = s.reqs[i].gpu_busy_ns;
				span[i] = s.reqs[i].span_ns;
			}
			printf("  per request (median): GPU busy %.3f ms, latency span "
			       "%.3f ms\n", median_i64(busy, s.nreqs) / 1e6,
			       median_i64(span, s.nreqs) / 1e6);
		}
		free(busy);
		free(span);
		printf("\n  %8s %6s %7s %12s %12s %12s %12s\n", "request", "cmds",
		       "kernels", "gpu_busy_ms", "kernel_ms", "host_span_ms",
		       "span_ms");
		for (size_t i = 0; i < s.nreqs; i++) {
			const struct trace_req_summary *q = &s.reqs[i];
			printf("  %8lld %6zu %7zu %12.3f %12.3f %12.3f %12.3f\n",
			       (long long)q->id, q->ncmds, q->nkernels,
			       ms(q->gpu_busy_ns), ms(q->kernel_ns),
			       ms(q->host_span_ns), ms(q->span_ns));
		}
	}
	if (s.ntop) {
		printf("\n  largest kernels by total time:\n  %6s %10s %10s  %s\n",
		       "count", "total_ms", "max_us", "name");
		for (size_t i = 0; i < s.ntop; i++)
			printf("  %6zu %10.3f %10.1f  %.100s\n", s.top[i].count,
			       ms(s.top[i].total_ns), s.top[i].max_ns / 1e3,
			       s.top[i].name);
	}
	trace_summary_release(&s);
	trace_free(t);
	return 0;
}

static int cmd_export(int argc, char **argv)
{
	struct common_opts o;
	int rc = parse(argc, argv, &o, usage_export, 1);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (!o.out) {
		cli_error("export: give the output with -o OUT.json");
		usage_export(stderr);
		return 2;
	}
	if (cli_same_file(o.in, o.out)) {
		cli_error("export: %s is the input; give another output with -o",
			  o.out);
		return CLI_INPUT;
	}
	struct trace_err err;
	struct trace *t = trace_import_load(o.in, &o.imp, NULL, &err);
	if (!t) {
		cli_error("%s", err.msg);
		return CLI_INPUT;
	}
	rc = trace_export_chrome(t, o.out, &err);
	trace_free(t);
	if (rc < 0) {
		cli_error("%s", err.msg);
		return CLI_RUN;
	}
	return CLI_OK;
}

int cmd_trace(int argc, char **argv)
{
	if (argc < 2) {
		usage_trace(stderr);
		return 2;
	}
	if (cli_is_help(argv[1])) {
		usage_trace(stdout);
		return 0;
	}
	if (strcmp(argv[1], "import") == 0)
		return cmd_import(argc - 1, argv + 1);
	if (strcmp(argv[1], "info") == 0)
		return cmd_info(argc - 1, argv + 1);
	if (strcmp(argv[1], "export") == 0)
		return cmd_export(argc - 1, argv + 1);
	cli_error("trace: unknown subcommand '%s' (import, info, export)", argv[1]);
	return 2;
}
