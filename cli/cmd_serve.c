/*
 * The live commands around the policy server (hw/serve/serve.h):
 *   hipsched serve    the daemon on a Unix socket
 *   hipsched run      an application under libhipsched.so, joined to it
 *   hipsched status   what the daemon serves
 *   hipsched ctl      hints and the policy, changed at run time
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "hw.h"
#include "serve/serve.h"

/* --socket, or the default. */
static const char *sock_path(const char *opt, char *buf, size_t len)
{
	if (opt)
		return opt;
	hs_default_socket(buf, len);
	return buf;
}

/* ---- hipsched serve --------------------------------------------------------------- */
static void serve_usage(FILE *f)
{
	char def[256];
	hs_default_socket(def, sizeof(def));
	fprintf(f,
		"usage: hipsched serve [--policy P] [--param K=V ...] [--socket PATH]\n"
		"                      [--config FILE] [--group G] [--max-clients N]\n"
		"                      [--events FILE.csv]\n"
		"       hipsched serve --bench [--count N] [--queues N]\n\n"
		"Runs the policy server: one scheduler core whose policy decides for\n"
		"the queues of every application started with `hipsched run` (and\n"
		"anything else speaking its protocol, hw/serve/serve.h). Logs clients\n"
		"coming and going and every refusal on stderr. SIGINT / SIGTERM end it\n"
		"(exit 130 / 143); the socket file is removed.\n\n"
		"  --policy P      the policy (default: the config's, else hpf)\n"
		"  --param K=V     a policy parameter (repeatable; after the config's)\n"
		"  --socket PATH   default %s\n"
		"                  ($XDG_RUNTIME_DIR/hipsched.sock, else /tmp/hipsched-UID.sock)\n"
		"  --config FILE   a scenario-style file; its [policy] section is used\n"
		"  --group G       socket mode 0660 for group G (default: 0600, owner only)\n"
		"  --max-clients N connections served at once (default %u); more are refused\n"
		"  --events F      the server's view as CSV: a row per queue going ready or\n"
		"                  idle (its LOAD: pending, in flight, sent at), per decision\n"
		"                  sent (suspend / resume, the policy call that made it) and\n"
		"                  per policy timer; CLOCK_MONOTONIC ns, as the\n"
		"                  applications' own clocks (hw/bench/serve_events.py reads it)\n"
		"  --bench         measure the decision round trip (load sent -> decision\n"
		"                  applied in another process) over a Unix socket, then exit;\n"
		"                  --count N round trips (default 4000); --queues N: the\n"
		"                  suspended client has N queues (default 1; a PyTorch\n"
		"                  process opens about 34), every one suspended and resumed\n"
		"\nexit status: 0 ok, 1 error (e.g. another server owns the socket), 2 usage,\n"
		"130 / 143 ended by SIGINT / SIGTERM\n", def, HS_SERVER_MAX_CONNS);
}

static struct hs_server *g_srv;
static volatile sig_atomic_t g_sig;

static void on_signal(int sig)
{
	g_sig = sig;
	if (g_srv)
		hs_server_stop(g_srv);
}

static void serve_log(void *ctx, const char *line)
{
	fprintf(stderr, "hipsched serve: %s\n", line);
}

static int parse_gid(const char *g, long *out)
{
	char *end;
	long v = strtol(g, &end, 10);
	if (end != g && !*end && v >= 0) {
		*out = v;
		return 0;
	}
	struct group *gr = getgrnam(g);
	if (!gr)
		return -1;
	*out = (long)gr->gr_gid;
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "param", required_argument, NULL, 'P' },
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "group", required_argument, NULL, 'g' },
		{ "max-clients", required_argument, NULL, 'm' },
		{ "bench", no_argument, NULL, 'b' },
		{ "count", required_argument, NULL, 'n' },
		{ "queues", required_argument, NULL, 'q' },
		{ "events", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *policy = NULL, *sockopt = NULL, *config = NULL, *group = NULL;
	const char *events = NULL;
	FILE *ev = NULL;
	struct hs_param *pv = calloc((size_t)argc + 1, sizeof(*pv));
	size_t np = 0;
	long gid = -1, maxc = 0, count = 4000, queues = 1;
	int bench = 0, c, status = 1;
	struct scenario *sc = NULL;
	if (!pv) {
		cli_error("out of memory");
		return 1;
	}
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'p': policy = optarg; break;
		case 's': sockopt = optarg; break;
		case 'c': config = optarg; break;
		case 'g': group = optarg; break;
		case 'e': events = optarg; break;
		case 'b': bench = 1; break;
		case 'P': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg) {
				cli_error("serve: --param '%s': expected KEY=VALUE", optarg);
				free(pv);
				return 2;
			}
			*eq = 0;
			pv[np++] = (struct hs_param){ optarg, eq + 1 };
			break;
		}
		case 'm':
		case 'n':
		case 'q': {
			long v;
			if (cli_parse_long(optarg, 1, c == 'q' ? 4096 : 100000000, &v)) {
				cli_error("serve: bad --%s '%s'", c == 'm' ? "max-clients" :
					  c == 'n' ? "count" : "queues", optarg);
				free(pv);
				return 2;
			}
			*(c == 'm' ? &maxc : c == 'n' ? &count : &queues) = v;
			break;
		}
		case 'h':
			serve_usage(stdout);
			free(pv);
			return 0;
		default:
			cli_error("serve: unknown or incomplete option '%s'", argv[optind - 1]);
			serve_usage(stderr);
			free(pv);
			return 2;
		}
	}
	if (optind != argc) {
		cli_error("serve: unexpected argument '%s'", argv[optind]);
		serve_usage(stderr);
		free(pv);
		return 2;
	}
	if (bench) {
		free(pv);
		return cli_serve_bench((size_t)count, (size_t)queues);
	}
	if (group && parse_gid(group, &gid)) {
		cli_error("serve: --group '%s': no such group", group);
		free(pv);
		return 2;
	}
	/* the config's [policy], then --param on top */
	struct hs_param *all = pv;
	size_t nall = np;
	char err[1024] = "";
	if (config) {
		sc = scenario_load_policy(config, err, sizeof(err));
		if (!sc) {
			cli_error("%s", err);
			free(pv);
			return 1;
		}
		if (!policy || strcmp(policy, sc->policy) == 0) {
			policy = sc->policy;
			all = calloc(sc->nparams + np + 1, sizeof(*all));
			if (!all) {
				cli_error("out of memory");
				goto out;
			}
			memcpy(all, sc->params, sc->nparams * sizeof(*all));
			memcpy(all + sc->nparams, pv, np * sizeof(*all));
			nall = sc->nparams + np;
		}
	}
	if (!policy)
		policy = "hpf";
	char def[PATH_MAX];
	const char *path = sock_path(sockopt, def, sizeof(def));
	struct hs_server_opts so = { .policy = policy, .params = all, .nparams = nall,
				     .max_conns = (unsigned)maxc, .log = serve_log,
				     .verbose = 1 };
	const char *spin = getenv(HS_ENV_SPIN);
	so.spin = spin && *spin == '1';
	if (events) {
		if (!(ev = fopen(events, "w"))) {
			cli_error("serve: --events %s: %s", events, strerror(errno));
			goto out;
		}
		setvbuf(ev, NULL, _IOFBF, 1 << 20);
		fputs(HS_EVENTS_HEADER, ev);
		so.events = ev;
	}
	struct hs_server *srv;
	int rc = hs_server_create(&so, &srv, err, sizeof(err));
	if (rc) {
		cli_error("serve: %s", err);
		goto out;
	}
	if ((rc = hs_server_listen(srv, path, gid, err, sizeof(err)))) {
		cli_error("serve: %s", err);
		hs_server_free(srv);
		goto out;
	}
	g_srv = srv;
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	printf("hipsched serve: policy %s", policy);
	for (size_t i = 0; i < nall; i++)
		printf("%s%s=%s", i ? ", " : " (", all[i].key, all[i].val);
	printf("%s on %s (pid %d, socket mode %s)\n", nall ? ")" : "", path, (int)getpid(),
	       gid >= 0 ? "0660" : "0600");
	fflush(stdout);
	rc = hs_server_run(srv, 0);
	g_srv = NULL;
	hs_server_free(srv);
	if (rc) {
		cli_error("serve: %s", hs_strerror(rc));
		goto out;
	}
	status = g_sig ? 128 + g_sig : 0;
out:
	if (ev) {
		int bad = ferror(ev);
		if (fclose(ev) != 0 || bad) {
			cli_error("serve: --events %s: write failed", events);
			status = 1;
		}
	}
	if (all != pv)
		free(all);
	free(pv);
	scenario_free(sc);
	return status;
}

/* ---- hipsched run --------------------------------------------------------------------- */
static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: hipsched run [--name N] [--priority P] [--level L] [--slo D]\n"
		"                    [--deadline D] [--weight W] [--threshold N] [--batch N]\n"
		"                    [--idle-hold D] [--socket PATH] [--platform nvidia|amd] -- CMD ARGS...\n\n"
		"Runs CMD with the interception library preloaded, joined to the policy\n"
		"server (`hipsched serve`) under the given hints; CMD's exit status is\n"
		"ours. The library is $HIPSCHED_SHIM, else the platform's one\n"
		"(libhipsched.so for NVIDIA, libhipsched-amd.so for AMD) next to this\n"
		"hipsched binary, else the newest build/*/ one there. Without a server\n"
		"CMD runs unscheduled, without the library (a warning says so).\n\n"
		"  --name N        client name in `hipsched status` (default: CMD's name)\n"
		"  --priority P    integer, larger = more important (default 0)\n"
		"  --level L       preemption level 1..3 (default 1)\n"
		"  --slo D         latency objective, e.g. 50ms\n"
		"  --deadline D    relative deadline of each busy period, e.g. 6ms (edf)\n"
		"  --weight W      share for weighted policies (> 0)\n"
		"  --threshold N   commands in flight per stream (default 16)\n"
		"  --batch N       a sync marker every N commands (default 8)\n"
		"  --idle-hold D   tell the server a stream went idle only once it stayed\n"
		"                  idle this long, e.g. 1ms (shorter host gaps send nothing;\n"
		"                  with hpf, shorten the server's linger as much)\n"
		"  --socket PATH   the server (default as for `hipsched serve`)\n"
		"  --platform P    nvidia or amd (default: this binary's backend, else nvidia)\n"
		"\nEnvironment given to CMD: " HS_ENV_SOCKET ", " HS_ENV_NAME ", "
		HS_ENV_PRIORITY ",\n" HS_ENV_LEVEL ", " HS_ENV_SLO_MS ", " HS_ENV_DEADLINE_MS
		", " HS_ENV_WEIGHT ", " HS_ENV_THRESHOLD ",\n" HS_ENV_BATCH ", " HS_ENV_IDLE_HOLD " and LD_PRELOAD.\n"
		"\nexit status: CMD's; 1 when it cannot be started, 2 usage\n");
}

/* The shim library `lib`: 0 and its path in buf, or -1 with where we
 * looked. */
static int find_shim(const char *lib, char *buf, size_t len, char *looked, size_t llen)
{
	const char *env = getenv("HIPSCHED_SHIM");
	if (env && *env) {
		snprintf(buf, len, "%s", env);
		snprintf(looked, llen, "$HIPSCHED_SHIM=%s", env);
		return access(buf, R_OK) == 0 ? 0 : -1;
	}
	char exe[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(looked, llen, "(cannot read /proc/self/exe)");
		return -1;
	}
	exe[n] = 0;
	char *sl = strrchr(exe, '/');
	if (sl)
		*sl = 0;
	snprintf(buf, len, "%s/%s", exe, lib);
	snprintf(looked, llen, "%s, %s/build/*/%s", buf, exe, lib);
	if (access(buf, R_OK) == 0)
		return 0;
	char pat[PATH_MAX + 64];
	snprintf(pat, sizeof(pat), "%s/build/*/%s", exe, lib);
	glob_t g;
	int found = -1;
	time_t best = 0;
	if (glob(pat, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			struct stat sb;
			if (stat(g.gl_pathv[i], &sb) == 0 && (found < 0 || sb.st_mtime > best)) {
				best = sb.st_mtime;
				snprintf(buf, len, "%s", g.gl_pathv[i]);
				found = 0;
			}
		}
		globfree(&g);
	}
	return found;
}

static int set_span_ms(const char *var, const char *opt, const char *v)
{
	hs_ns d;
	const char *why;
	if (scenario_parse_duration(v, &d, &why) || d <= 0) {
		cli_error("run: bad --%s '%s' (a span with a unit: 50ms, 1.5s)", opt, v);
		return -1;
	}
	char b[64];
	snprintf(b, sizeof(b), "%.6f", (double)d / 1e6);
	setenv(var, b, 1);
	return 0;
}

static int set_long(const char *var, const char *opt, const char *v, long lo, long hi)
{
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (errno || end == v || *end || x < lo || x > hi) {
		cli_error("run: bad --%s '%s' (an integer in %ld..%ld)", opt, v, lo, hi);
		return -1;
	}
	setenv(var, v, 1);
	return 0;
}

/* The environment CMD gets to join the server at path under the library
 * shim: 0, or 1 (out of memory, said). */
static int run_env(const char *shim, const char *path, const char *name, const char *cmd)
{
	const char *base = strrchr(cmd, '/');
	setenv(HS_ENV_SOCKET, path, 1);
	setenv(HS_ENV_NAME, name ? name : base ? base + 1 : cmd, 1);
	const char *pre = getenv("LD_PRELOAD");
	size_t l = strlen(shim) + (pre ? strlen(pre) : 0) + 2;
	char *ld = malloc(l);
	if (!ld) {
		cli_error("out of memory");
		return 1;
	}
	snprintf(ld, l, "%s%s%s", shim, pre && *pre ? ":" : "", pre ? pre : "");
	setenv("LD_PRELOAD", ld, 1);
	free(ld);
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "name", required_argument, NULL, 'N' },
		{ "priority", required_argument, NULL, 'p' },
		{ "level", required_argument, NULL, 'l' },
		{ "slo", required_argument, NULL, 'S' },
		{ "deadline", required_argument, NULL, 'd' },
		{ "weight", required_argument, NULL, 'w' },
		{ "threshold", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ "idle-hold", required_argument, NULL, 'i' },
		{ "socket", required_argument, NULL, 's' },
		{ "platform", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *sockopt = NULL;
	const char *platform = strcmp(hw_backend_name(), "amd") == 0 ? "amd" : "nvidia";
	int c;
	optind = 0;
	opterr = 0;
	/* "+": stop at the first non-option (CMD's own options are its) */
	while ((c = getopt_long(argc, argv, "+h", lopts, NULL)) != -1) {
		int bad = 0;
		switch (c) {
		case 'N': name = optarg; break;
		case 's': sockopt = optarg; break;
		case 'P':
			if (strcmp(optarg, "nvidia") && strcmp(optarg, "amd")) {
				cli_error("run: bad --platform '%s' (nvidia or amd)", optarg);
				return 2;
			}
			platform = optarg;
			break;
		case 'p': bad = set_long(HS_ENV_PRIORITY, "priority", optarg, -1000000, 1000000); break;
		case 'l': bad = set_long(HS_ENV_LEVEL, "level", optarg, 1, 3); break;
		case 't': bad = set_long(HS_ENV_THRESHOLD, "threshold", optarg, 1, 1000000); break;
		case 'b': bad = set_long(HS_ENV_BATCH, "batch", optarg, 1, 1000000); break;
		case 'S': bad = set_span_ms(HS_ENV_SLO_MS, "slo", optarg); break;
		case 'i': {
			hs_ns d;
			const char *why;
			if (scenario_parse_duration(optarg, &d, &why) || d < 1000 || d > 10000000000LL) {
				cli_error("run: bad --idle-hold '%s' (a span with a unit, 1us..10s: 1ms)",
					  optarg);
				return 2;
			}
			char b[32];
			snprintf(b, sizeof(b), "%lld", (long long)(d / 1000));
			setenv(HS_ENV_IDLE_HOLD, b, 1);
			break;
		}
		case 'd': bad = set_span_ms(HS_ENV_DEADLINE_MS, "deadline", optarg); break;
		case 'w': {
			char *end;
			double w = strtod(optarg, &end);
			if (end == optarg || *end || !(w > 0) || !isfinite(w)) {
				cli_error("run: bad --weight '%s' (a number > 0)", optarg);
				return 2;
			}
			setenv(HS_ENV_WEIGHT, optarg, 1);
			break;
		}
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			cli_error("run: unknown or incomplete option '%s'", argv[optind - 1]);
			run_usage(stderr);
			return 2;
		}
		if (bad)
			return 2;
	}
	if (optind >= argc) {
		cli_error("run: no command given (hipsched run [options] -- CMD ARGS...)");
		run_usage(stderr);
		return 2;
	}
	char **cmd = &argv[optind];
	if (getenv(HS_ENV_THRESHOLD) && getenv(HS_ENV_BATCH) &&
	    atol(getenv(HS_ENV_BATCH)) > atol(getenv(HS_ENV_THRESHOLD))) {
		cli_error("run: --batch must not exceed --threshold");
		return 2;
	}
	char shim[PATH_MAX], looked[2 * PATH_MAX + 64];
	const char *lib = strcmp(platform, "amd") ? "libhipsched.so" : "libhipsched-amd.so";
	if (find_shim(lib, shim, sizeof(shim), looked, sizeof(looked))) {
		cli_error("run: %s not found (looked at %s); build it with `make shim` "
			  "(NVIDIA) or `make shim-amd` (AMD), or set HIPSCHED_SHIM", lib, looked);
		return 1;
	}
	char def[PATH_MAX];
	const char *path = sock_path(sockopt, def, sizeof(def));
	/* no server: CMD runs without the library, so that this is the one
	 * warning (the library would say it again at its first call) */
	int fd = hs_connect(path);
	if (fd < 0)
		fprintf(stderr, "hipsched run: warning: no policy server at %s (%s): %s "
			"runs unscheduled\n", path, strerror(-fd), cmd[0]);
	else {
		close(fd);
		if (run_env(shim, path, name, cmd[0]))
			return 1;
	}
	fflush(NULL);
	execvp(cmd[0], cmd);
	cli_error("run: cannot run '%s': %s", cmd[0], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

/* ---- hipsched status ---------------------------------------------------------------- */
static void status_usage(FILE *f)
{
	fprintf(f,
		"usage: hipsched status [--socket PATH] [--json]\n\n"
		"Shows what the policy server serves: its policy, decisions and their\n"
		"round trip (load sent -> decision applied) P50 / P99, and per client\n"
		"queue its name, pid, uid, priority, whether it is suspended, commands\n"
		"launched (as its load messages report), pending and in flight.\n\n"
		"  --socket PATH   the server (default as for `hipsched serve`)\n"
		"  --json          one JSON object instead of the table\n"
		"\nexit status: 0 ok, 1 no server or an error, 2 usage\n");
}

static json_t *us_or_null(int64_t ns)
{
	return ns < 0 ? json_null() : json_real((double)ns / 1e3);
}

static void print_json(const struct hs_status *st)
{
	const struct hs_m_st_server *s = &st->server;
	json_t *qs = json_array();
	for (size_t i = 0; i < st->n; i++) {
		const struct hs_m_st_queue *q = &st->q[i];
		json_array_append_new(qs, json_pack(
			"{ss sI sI sI sI sI sI sb sI sI sI sI sI so sf}",
			"name", q->name, "client", (json_int_t)q->client,
			"pid", (json_int_t)q->pid, "uid", (json_int_t)q->uid,
			"queue", (json_int_t)q->qid, "priority", (json_int_t)q->priority,
			"level", (json_int_t)q->level, "suspended", q->suspended,
			"launched", (json_int_t)q->launched,
			"pending", (json_int_t)q->pending, "inflight", (json_int_t)q->inflight,
			"suspends", (json_int_t)q->suspends, "resumes", (json_int_t)q->resumes,
			"deadline_ns", q->deadline_ns == INT64_MAX ? json_null() :
				       json_integer(q->deadline_ns),
			"weight", q->weight));
	}
	json_t *o = json_pack("{ss sI sf sI sI sI sI sI sI sI sI so so so}",
		"policy", s->policy, "pid", (json_int_t)s->pid,
		"uptime_s", (double)s->uptime_ns / 1e9,
		"clients", (json_int_t)s->clients, "queues", (json_int_t)s->queues,
		"loads", (json_int_t)s->loads, "decisions", (json_int_t)(s->suspends + s->resumes),
		"suspends", (json_int_t)s->suspends, "resumes", (json_int_t)s->resumes,
		"timers", (json_int_t)s->timers, "refused", (json_int_t)s->refused,
		"rtt_p50_us", us_or_null(s->rtt_p50_ns), "rtt_p99_us", us_or_null(s->rtt_p99_ns),
		"queue_list", qs);
	json_object_set_new(o, "roundtrips", json_integer((json_int_t)s->nrtt));
	json_object_set_new(o, "deferred", json_integer((json_int_t)s->deferred));
	json_object_set_new(o, "back_p99_us", us_or_null(s->back_p99_ns));
	json_object_set_new(o, "lock_p99_us", us_or_null(s->lock_p99_ns));
	char *txt = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", txt ? txt : "{}");
	free(txt);
	json_decref(o);
}

static void print_table(const struct hs_status *st, const char *path)
{
	const struct hs_m_st_server *s = &st->server;
	printf("policy server %s (pid %d, up %.0f s): policy %s, %u clients, %u queues\n",
	       path, (int)s->pid, (double)s->uptime_ns / 1e9, s->policy, s->clients, s->queues);
	printf("decisions %llu (suspend %llu, resume %llu, timers %llu), loads %llu, "
	       "refused %llu, deferred %llu\n", (unsigned long long)(s->suspends + s->resumes),
	       (unsigned long long)s->suspends, (unsigned long long)s->resumes,
	       (unsigned long long)s->timers, (unsigned long long)s->loads,
	       (unsigned long long)s->refused, (unsigned long long)s->deferred);
	if (s->rtt_p50_ns >= 0)
		printf("decision round trip: p50 %.1f us, p99 %.1f us (%llu measured); "
		       "p99 of its way back %.1f us, of that waiting for the client's "
		       "lock %.1f us\n",
		       (double)s->rtt_p50_ns / 1e3, (double)s->rtt_p99_ns / 1e3,
		       (unsigned long long)s->nrtt, (double)s->back_p99_ns / 1e3,
		       (double)s->lock_p99_ns / 1e3);
	else
		printf("decision round trip: none measured yet\n");
	if (!st->n)
		return;
	printf("\n%-20s %8s %6s %5s %8s %5s %-9s %10s %7s %8s\n", "client", "pid", "uid",
	       "queue", "priority", "level", "state", "launched", "pending", "inflight");
	for (size_t i = 0; i < st->n; i++) {
		const struct hs_m_st_queue *q = &st->q[i];
		char qid[16];
		snprintf(qid, sizeof(qid), q->qid < 0 ? "-" : "%d", q->qid);
		printf("%-20s %8d %6d %5s %8d %5d %-9s %10llu %7u %8u\n", q->name, q->pid,
		       q->uid, qid, q->priority, q->level, q->qid < 0 ? "-" :
		       q->suspended ? "suspended" : "running",
		       (unsigned long long)q->launched, q->pending, q->inflight);
	}
}

int cmd_status(int argc, char **argv)
{
	const char *sockopt = NULL;
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			status_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			sockopt = argv[++i];
		} else {
			cli_error("status: unknown or incomplete option '%s'", argv[i]);
			status_usage(stderr);
			return 2;
		}
	}
	char def[PATH_MAX], err[512];
	const char *path = sock_path(sockopt, def, sizeof(def));
	struct hs_status st;
	if (hs_ctl_status(path, &st, err, sizeof(err))) {
		cli_error("status: %s", err);
		return 1;
	}
	if (json)
		print_json(&st);
	else
		print_table(&st, path);
	hs_status_release(&st);
	return 0;
}

/* ---- hipsched ctl -------------------------------------------------------------------- */
static void ctl_usage(FILE *f)
{
	fprintf(f,
		"usage: hipsched ctl [--socket PATH] set NAME KEY=VALUE...\n"
		"       hipsched ctl [--socket PATH] policy P [K=V...]\n\n"
		"Changes what the policy server uses, at run time:\n"
		"  set      a hint of every queue of the clients named NAME:\n"
		"           priority=P (integer), weight=W (> 0), deadline=D / slo=D\n"
		"           (relative, e.g. 6ms: each busy period is due that long after\n"
		"           it began, for edf, unless the client sets deadlines itself)\n"
		"  policy   another policy for everyone, with its parameters; the queues\n"
		"           the old one held are released as the new one says\n"
		"\n  --socket PATH   the server (default as for `hipsched serve`)\n"
		"\nexit status: 0 ok, 1 the server refused or is not there, 2 usage\n");
}

int cmd_ctl(int argc, char **argv)
{
	const char *sockopt = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (cli_is_help(argv[i])) {
			ctl_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			sockopt = argv[++i];
		} else {
			cli_error("ctl: unknown or incomplete option '%s'", argv[i]);
			ctl_usage(stderr);
			return 2;
		}
	}
	char def[PATH_MAX], err[512] = "";
	const char *path = sock_path(sockopt, def, sizeof(def));
	if (i + 2 <= argc && strcmp(argv[i], "policy") == 0) {
		for (int k = i + 2; k < argc; k++)
			if (!strchr(argv[k], '=')) {
				cli_error("ctl: policy parameter '%s': expected K=V", argv[k]);
				return 2;
			}
		if (hs_ctl_policy(path, argv[i + 1], (const char *const *)&argv[i + 2],
				  (size_t)(argc - i - 2), err, sizeof(err))) {
			cli_error("ctl: %s", err);
			return 1;
		}
		printf("policy is now %s\n", argv[i + 1]);
		return 0;
	}
	if (i + 3 <= argc && strcmp(argv[i], "set") == 0) {
		const char *name = argv[i + 1];
		for (int k = i + 2; k < argc; k++) {
			char *eq = strchr(argv[k], '=');
			if (!eq || eq == argv[k]) {
				cli_error("ctl: '%s': expected KEY=VALUE", argv[k]);
				return 2;
			}
			*eq = 0;
			int n = 0;
			if (hs_ctl_set(path, name, argv[k], eq + 1, &n, err, sizeof(err))) {
				cli_error("ctl: %s", err);
				return 1;
			}
			printf("%s: %s=%s (%d queues)\n", name, argv[k], eq + 1, n);
		}
		return 0;
	}
	cli_error("ctl: expected 'set NAME KEY=VALUE...' or 'policy P [K=V...]'");
	ctl_usage(stderr);
	return 2;
}
