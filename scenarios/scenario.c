/*
 * Scenario files: INI read with libinih, validated, every error reported as
 * "FILE:LINE: what is wrong" (see scenarios/README.md for the format).
 *
 * Debian's libinih is built without INI_HANDLER_LINENO, so the handler does
 * not get line numbers. We feed ini_parse_stream() through our own reader,
 * which counts lines and notes each "[section]" header as it goes by: inih
 * calls the handler right after reading the line it belongs to, so at that
 * moment the reader's counter is the handler's line and the last header
 * seen is its section. That also finds sections that have no keys, which
 * inih never reports.
 */
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "scenario.h"
#include "scenario_internal.h"

#define DEFAULT_DURATION_NS (30LL * 1000000000LL)
#define DEFAULT_SEED 1
#define DEFAULT_DEVICE "h100"
#define DEFAULT_POLICY "native"

enum sect_kind { SECT_SCENARIO, SECT_POLICY, SECT_TENANT, SECT_VERDICT, SECT_UNKNOWN };

struct sect {
	enum sect_kind kind;
	int line;
	int tenant;                 /* SECT_TENANT: index in sc->tenants */
	char seen[16][24];          /* keys set so far, for duplicate checks */
	int nseen;
};

struct parser {
	const char *path;
	FILE *f;
	char *dir;                  /* scenario's folder, for relative paths */
	int line;                   /* lines read so far */
	int too_long;               /* a line did not fit inih's buffer */
	struct sect *sects;
	size_t nsects;
	struct scenario *sc;
	/* key lines for the checks made after parsing */
	int line_policy, line_level, line_threshold, line_batch;
	int *line_trace, *line_arrival, *line_rate, *line_afile;
	int *line_param;            /* per sc->params entry */
	int policy_only;            /* scenario_load_policy: tenants optional */
	/* first error by line number */
	int err_line;
	char err[400];
};

static void perr(struct parser *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Keeps the error with the smallest line number. */
static void perr(struct parser *p, int line, const char *fmt, ...)
{
	if (p->err_line && p->err_line <= line)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	p->err_line = line;
}

/* A key of two spellings, the first meaning 0, the second 1: *out set,
 * else "bad KEY 'V' (A or B)". */
static void parse_choice(struct parser *p, const char *k, const char *v,
			 const char *a, const char *b, int *out)
{
	if (strcmp(v, a) == 0)
		*out = 0;
	else if (strcmp(v, b) == 0)
		*out = 1;
	else
		perr(p, p->line, "bad %s '%s' (%s or %s)", k, v, a, b);
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* dir + "/" + rel unless rel is absolute or dir is empty. */
static char *resolve(const char *dir, const char *rel)
{
	if (rel[0] == '/' || !dir[0])
		return strdup(rel);
	size_t n = strlen(dir) + strlen(rel) + 2;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s/%s", dir, rel);
	return s;
}

/* "TENANT.metric_max" or "metric_min" -> a criterion (tenant checked later). */
static void add_criterion(struct parser *p, const char *key, const char *val)
{
	struct scenario *sc = p->sc;
	const char *dot = strrchr(key, '.');
	const char *mk = dot ? dot + 1 : key;
	enum criterion_kind kind;
	if (scenario__crit_find(mk, &kind)) {
		char known[300];
		scenario__list_criteria(known, sizeof(known));
		perr(p, p->line, "unknown criterion '%s' (known: %s)", key, known);
		return;
	}
	if (criterion_per_tenant(kind) && !dot) {
		perr(p, p->line, "criterion '%s' needs a tenant (write TENANT.%s)",
		     key, key);
		return;
	}
	if (!criterion_per_tenant(kind) && dot) {
		perr(p, p->line, "criterion '%s' is device-wide; write it without "
		     "a tenant", mk);
		return;
	}
	double v;
	if (scenario__parse_double(val, &v)) {
		perr(p, p->line, "bad number '%s' for '%s'", val, key);
		return;
	}
	if (v < 0) {
		perr(p, p->line, "'%s' must not be negative", key);
		return;
	}
	struct criterion *nc = realloc(sc->crit, (sc->ncrit + 1) * sizeof(*nc));
	if (!nc) {
		perr(p, p->line, "out of memory");
		return;
	}
	sc->crit = nc;
	struct criterion *c = &nc[sc->ncrit++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->value = v;
	c->key = xstrdup(key);
	c->tenant = dot ? strndup(key, (size_t)(dot - key)) : NULL;
	c->line = p->line;
}

/* ---- sections and keys --------------------------------------------------- */

static int seen_before(struct parser *p, struct sect *s, const char *key)
{
	for (int i = 0; i < s->nseen; i++)
		if (strcmp(s->seen[i], key) == 0)
			return 1;
	if (s->nseen < 16 && strlen(key) < sizeof(s->seen[0]))
		strcpy(s->seen[s->nseen++], key);
	return 0;
}

static void set_duration(struct parser *p, const char *key, const char *val,
			 hs_ns *out)
{
	const char *why;
	if (scenario_parse_duration(val, out, &why))
		perr(p, p->line, "bad %s '%s': %s", key, val, why);
}

static void key_scenario(struct parser *p, const char *k, const char *v)
{
	struct scenario *sc = p->sc;
	if (strcmp(k, "name") == 0) {
		if (!scenario__valid_name(v)) {
			perr(p, p->line, "bad name '%s' (letters, digits, "
			     "'_' and '-' only)", v);
			return;
		}
		free(sc->name);
		sc->name = xstrdup(v);
	} else if (strcmp(k, "duration") == 0) {
		set_duration(p, k, v, &sc->duration_ns);
		if (!p->err_line && sc->duration_ns <= 0)
			perr(p, p->line, "duration must be positive");
		else if (!p->err_line && sc->duration_ns > SCENARIO_DURATION_MAX_NS)
			perr(p, p->line, "duration %s is longer than %.0f s, the "
			     "longest run hipsched accepts", v,
			     SCENARIO_DURATION_MAX_NS / 1e9);
	} else if (strcmp(k, "seed") == 0) {
		if (scenario__parse_u64(v, &sc->seed))
			perr(p, p->line, "bad seed '%s' (an unsigned integer)", v);
	} else if (strcmp(k, "device") == 0) {
		if (!scenario__valid_name(v)) {
			perr(p, p->line, "bad device '%s'", v);
			return;
		}
		free(sc->device);
		sc->device = xstrdup(v);
	} else {
		perr(p, p->line, "unknown key '%s' in [scenario] (known: name, "
		     "duration, seed, device)", k);
	}
}

/* A threshold or batch (of [policy] or a tenant) into *out; -1 reported. */
static int parse_launch_count(struct parser *p, const char *k, const char *v,
			      unsigned *out)
{
	long n;
	if (scenario__parse_long(v, 1, 1 << 20, &n)) {
		perr(p, p->line, "bad %s '%s' (a positive integer)", k, v);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

static void key_policy(struct parser *p, const char *k, const char *v)
{
	struct scenario *sc = p->sc;
	long n;
	if (strcmp(k, "name") == 0) {
		free(sc->policy);
		sc->policy = xstrdup(v);
		p->line_policy = p->line;
	} else if (strcmp(k, "level") == 0) {
		if (scenario__parse_long(v, 1, 3, &n))
			perr(p, p->line, "bad level '%s' (1, 2 or 3)", v);
		else
			sc->level = (int)n;
		p->line_level = p->line;
	} else if (strcmp(k, "threshold") == 0 || strcmp(k, "batch") == 0) {
		if (parse_launch_count(p, k, v, k[0] == 't' ? &sc->threshold : &sc->batch))
			return;
		if (k[0] == 't')
			p->line_threshold = p->line;
		else
			p->line_batch = p->line;
	} else {
		struct hs_param *np = realloc(sc->params, (sc->nparams + 1) * sizeof(*np));
		if (!np) {
			perr(p, p->line, "out of memory");
			return;
		}
		sc->params = np;
		int *nl = realloc(p->line_param, (sc->nparams + 1) * sizeof(*nl));
		if (!nl) {
			perr(p, p->line, "out of memory");
			return;
		}
		p->line_param = nl;
		nl[sc->nparams] = p->line;
		np[sc->nparams].key = xstrdup(k);
		np[sc->nparams].val = xstrdup(v);
		sc->nparams++;
	}
}

/* An input file named by a key: readable and not a directory. */
static void check_input(struct parser *p, const char *what, const char *path)
{
	struct stat st;
	if (access(path, R_OK) != 0)
		perr(p, p->line, "%s '%s' not found (%s)", what, path, strerror(errno));
	else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		perr(p, p->line, "%s '%s' is a directory", what, path);
}

static void key_tenant(struct parser *p, int ti, const char *k, const char *v)
{
	struct tenant_spec *t = &p->sc->tenants[ti];
	double d;
	long n;
	if (strcmp(k, "trace") == 0) {
		free(t->trace_path);
		t->trace_path = resolve(p->dir, v);
		p->line_trace[ti] = p->line;
		if (t->trace_path)
			check_input(p, "trace file", t->trace_path);
	} else if (strcmp(k, "priority") == 0) {
		if (scenario__parse_long(v, INT_MIN, INT_MAX, &n))
			perr(p, p->line, "bad priority '%s' (an integer)", v);
		else
			t->priority = (int)n;
	} else if (strcmp(k, "arrival") == 0) {
		static const char *const names[] = { "periodic", "poisson", "closed", "file" };
		p->line_arrival[ti] = p->line;
		for (int i = 0; i < 4; i++)
			if (strcmp(v, names[i]) == 0) {
				t->arrival = (enum arrival_kind)i;
				return;
			}
		perr(p, p->line, "unknown arrival '%s' (periodic, poisson, "
		     "closed or file)", v);
	} else if (strcmp(k, "rate") == 0) {
		p->line_rate[ti] = p->line;
		if (scenario__parse_double(v, &d))
			perr(p, p->line, "bad rate '%s' (requests per second)", v);
		else if (d <= 0)
			perr(p, p->line, "rate must be positive (got %s)", v);
		else if (d > SCENARIO_RATE_MAX)
			perr(p, p->line, "rate %s is above %.0f requests per second, "
			     "the most hipsched accepts", v, SCENARIO_RATE_MAX);
		else
			t->rate_per_s = d;
	} else if (strcmp(k, "arrival_file") == 0) {
		free(t->arrival_file);
		t->arrival_file = resolve(p->dir, v);
		p->line_afile[ti] = p->line;
		if (t->arrival_file)
			check_input(p, "arrival file", t->arrival_file);
	} else if (strcmp(k, "slo") == 0 || strcmp(k, "deadline") == 0 ||
		   strcmp(k, "quiet") == 0 || strcmp(k, "lead") == 0 ||
		   strcmp(k, "intercept") == 0) {
		hs_ns *dst = k[0] == 's' ? &t->slo_ns : k[0] == 'd' ? &t->deadline_ns :
			k[0] == 'q' ? &t->quiet_ns : k[0] == 'i' ? &t->intercept_ns :
			&t->lead_ns;
		set_duration(p, k, v, dst);
		/* added to times of the run: bounded so a sum cannot overflow */
		if (*dst > SCENARIO_DURATION_MAX_NS)
			perr(p, p->line, "%s %s is longer than %.0f s", k, v,
			     SCENARIO_DURATION_MAX_NS / 1e9);
	} else if (strcmp(k, "process") == 0) {
		int own = t->process == PROCESS_OWN;
		parse_choice(p, k, v, "shared", "own", &own);
		t->process = own ? PROCESS_OWN : PROCESS_SHARED;
	} else if (strcmp(k, "weight") == 0) {
		if (scenario__parse_double(v, &d) || !(d > 0) || d > 1e6)
			perr(p, p->line, "bad weight '%s' (a positive number)", v);
		else
			t->weight = d;
	} else if (strcmp(k, "foreground") == 0) {
		parse_choice(p, k, v, "no", "yes", &t->foreground);
	} else if (strcmp(k, "threshold") == 0 || strcmp(k, "batch") == 0) {
		parse_launch_count(p, k, v, k[0] == 't' ? &t->threshold : &t->batch);
	} else if (strcmp(k, "host_timing") == 0) {
		int rec = t->host_timing == HOST_TIMING_RECORDED;
		parse_choice(p, k, v, "resample", "recorded", &rec);
		t->host_timing = rec ? HOST_TIMING_RECORDED : HOST_TIMING_RESAMPLE;
	} else if (strcmp(k, "host_launch") == 0) {
		int blk = t->host_launch == HOST_LAUNCH_BLOCKING;
		parse_choice(p, k, v, "async", "blocking", &blk);
		t->host_launch = blk ? HOST_LAUNCH_BLOCKING : HOST_LAUNCH_ASYNC;
	} else if (strcmp(k, "wake_late") == 0) {
		if (strcmp(v, "auto") == 0) {
			t->wake_late = WAKE_LATE_AUTO;
		} else {
			set_duration(p, k, v, &t->wake_late_ns);
			t->wake_late = t->wake_late_ns > 0 ? WAKE_LATE_FIXED :
				WAKE_LATE_NONE;
		}
	} else {
		perr(p, p->line, "unknown key '%s' in [tenant %s] (known: trace, "
		     "priority, arrival, rate, arrival_file, slo, deadline, process, "
		     "weight, foreground, threshold, batch, host_timing, host_launch, "
		     "wake_late, quiet, lead, intercept)",
		     k, t->name);
	}
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parser *p = user;
	if (!p->nsects) {
		perr(p, p->line, "key '%s' outside any section", name);
		return 1;
	}
	struct sect *s = &p->sects[p->nsects - 1];
	(void)section;
	if (s->kind == SECT_UNKNOWN)
		return 1;       /* reported at the header */
	if (s->kind != SECT_VERDICT && seen_before(p, s, name)) {
		perr(p, p->line, "duplicate key '%s'", name);
		return 1;
	}
	switch (s->kind) {
	case SECT_SCENARIO: key_scenario(p, name, value); break;
	case SECT_POLICY: key_policy(p, name, value); break;
	case SECT_TENANT: key_tenant(p, s->tenant, name, value); break;
	case SECT_VERDICT: add_criterion(p, name, value); break;
	default: break;
	}
	return 1;
}

/* A "[...]" header: note it, check its name, create tenants. */
static void header(struct parser *p, const char *line)
{
	const char *e = strchr(line, ']');
	if (!e)
		return;         /* inih reports the syntax error */
	char name[200];
	size_t n = (size_t)(e - line - 1);
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, line + 1, n);
	name[n] = 0;
	/* trim */
	char *b = name;
	while (*b == ' ' || *b == '\t')
		b++;
	n = strlen(b);
	while (n && (b[n - 1] == ' ' || b[n - 1] == '\t'))
		b[--n] = 0;

	struct sect *ns = realloc(p->sects, (p->nsects + 1) * sizeof(*ns));
	if (!ns) {
		perr(p, p->line, "out of memory");
		return;
	}
	p->sects = ns;
	struct sect *s = &ns[p->nsects++];
	memset(s, 0, sizeof(*s));
	s->line = p->line;
	s->kind = SECT_UNKNOWN;
	static const char *const fixed[] = { "scenario", "policy", NULL, "verdict" };
	for (int i = 0; i < 4; i++) {
		if (!fixed[i] || strcmp(b, fixed[i]))
			continue;
		for (size_t j = 0; j + 1 < p->nsects; j++)
			if (p->sects[j].kind == (enum sect_kind)i) {
				perr(p, p->line, "duplicate section [%s] (first at "
				     "line %d)", b, p->sects[j].line);
				return;
			}
		s->kind = (enum sect_kind)i;
		return;
	}
	if (strncmp(b, "tenant", 6) == 0 && (b[6] == ' ' || b[6] == '\t')) {
		const char *tn = skip_ws(b + 6);
		if (!scenario__valid_name(tn)) {
			perr(p, p->line, "bad tenant name '%s' (letters, digits, "
			     "'_' and '-' only)", tn);
			return;
		}
		struct scenario *sc = p->sc;
		int dup = scenario_tenant_index(sc, tn);
		if (dup >= 0) {
			perr(p, p->line, "duplicate tenant '%s' (first at line %d)", tn, sc->tenants[dup].line);
			return;
		}
		if (sc->ntenants == SCENARIO_TENANTS_MAX) {
			perr(p, p->line, "more than %d tenants", SCENARIO_TENANTS_MAX);
			return;
		}
		size_t nt = sc->ntenants + 1;
		struct tenant_spec *t = realloc(sc->tenants, nt * sizeof(*t));
		int *l1 = realloc(p->line_trace, nt * sizeof(int));
		if (l1)
			p->line_trace = l1;
		int *l2 = realloc(p->line_arrival, nt * sizeof(int));
		if (l2)
			p->line_arrival = l2;
		int *l3 = realloc(p->line_rate, nt * sizeof(int));
		if (l3)
			p->line_rate = l3;
		int *l4 = realloc(p->line_afile, nt * sizeof(int));
		if (l4)
			p->line_afile = l4;
		if (t)
			sc->tenants = t;
		if (!t || !l1 || !l2 || !l3 || !l4) {
			perr(p, p->line, "out of memory");
			return;
		}
		memset(&t[sc->ntenants], 0, sizeof(*t));
		t[sc->ntenants].name = xstrdup(tn);
		t[sc->ntenants].line = p->line;
		t[sc->ntenants].arrival = ARRIVAL_CLOSED;
		t[sc->ntenants].weight = 1.0;
		l1[sc->ntenants] = l2[sc->ntenants] = l3[sc->ntenants] = 0;
		l4[sc->ntenants] = 0;
		s->kind = SECT_TENANT;
		s->tenant = (int)sc->ntenants;
		sc->ntenants = nt;
		return;
	}
	perr(p, p->line, "unknown section [%s] (known: [scenario], [policy], "
	     "[tenant NAME], [verdict])", b);
}

/* inih's reader: one line per call, counted; headers noted. */
static char *reader(char *buf, int num, void *stream)
{
	struct parser *p = stream;
	if (!fgets(buf, num, p->f))
		return NULL;
	p->line++;
	size_t n = strlen(buf);
	if (n == (size_t)num - 1 && buf[n - 1] != '\n' && !feof(p->f)) {
		perr(p, p->line, "line longer than %d characters", num - 2);
		p->too_long = 1;
		return NULL;
	}
	const char *s = skip_ws(buf);
	if (p->line == 1 && (unsigned char)s[0] == 0xEF)
		s += 3;         /* UTF-8 BOM */
	if (*s == '[')
		header(p, s);
	return buf;
}

/* ---- checks made once the whole file is read -------------------------------- */

/* Lets the policy check its parameters now, so that a bad one is reported
 * with its line rather than when the run starts. */
static void check_params(struct parser *p, const struct policy_ops *pol)
{
	struct scenario *sc = p->sc;
	if (!sc->nparams)
		return;
	if (!pol->init) {
		perr(p, p->line_param[0], "policy '%s' takes no parameters (got "
		     "'%s')", pol->name, sc->params[0].key);
		return;
	}
	char msg[256] = "";
	void *state = NULL;
	if (pol->init(sc->params, sc->nparams, &state, msg, sizeof(msg)) == 0) {
		if (pol->fini)
			pol->fini(state);
		return;
	}
	/* the line of the parameter the message names, else the first */
	int line = p->line_param[0];
	for (size_t i = 0; i < sc->nparams; i++) {
		char q[64];
		snprintf(q, sizeof(q), "'%s'", sc->params[i].key);
		size_t kl = strlen(sc->params[i].key);
		if (strstr(msg, q) || (strncmp(msg, sc->params[i].key, kl) == 0 &&
				       msg[kl] == ':')) {
			line = p->line_param[i];
			break;
		}
	}
	if (strncmp(msg, "policy '", 8) == 0)
		perr(p, line, "%s", msg);
	else
		perr(p, line, "policy '%s': %s", pol->name, msg[0] ? msg :
		     "bad parameter");
}

static void validate(struct parser *p)
{
	struct scenario *sc = p->sc;
	if (sc->ntenants == 0 && !p->policy_only)
		perr(p, p->line ? p->line : 1, "no [tenant NAME] section");
	for (size_t i = 0; i < sc->ntenants; i++) {
		struct tenant_spec *t = &sc->tenants[i];
		if (!t->trace_path)
			perr(p, t->line, "[tenant %s] has no 'trace'", t->name);
		if (!p->line_arrival[i])
			perr(p, t->line, "[tenant %s] has no 'arrival' (periodic, "
			     "poisson, closed or file)", t->name);
		int wants_rate = t->arrival == ARRIVAL_PERIODIC || t->arrival == ARRIVAL_POISSON;
		if (wants_rate && !p->line_rate[i] && p->line_arrival[i])
			perr(p, p->line_arrival[i], "[tenant %s] arrival %s needs "
			     "a 'rate' (requests per second)", t->name,
			     t->arrival == ARRIVAL_PERIODIC ? "periodic" : "poisson");
		if (!wants_rate && p->line_rate[i])
			perr(p, p->line_rate[i], "[tenant %s] 'rate' is only for "
			     "periodic or poisson arrivals", t->name);
		if (t->arrival == ARRIVAL_FILE && !t->arrival_file)
			perr(p, p->line_arrival[i], "[tenant %s] arrival file needs "
			     "an 'arrival_file'", t->name);
		if (t->arrival != ARRIVAL_FILE && p->line_afile[i])
			perr(p, p->line_afile[i], "[tenant %s] 'arrival_file' needs "
			     "'arrival = file'", t->name);
	}
	const struct policy_ops *pol = policy_find(sc->policy);
	if (!pol) {
		char msg[320];
		policy_unknown(sc->policy, msg, sizeof(msg));
		perr(p, p->line_policy ? p->line_policy : 1, "%s", msg);
	} else {
		check_params(p, pol);
	}
	if (sc->batch > sc->threshold)
		perr(p, p->line_batch > p->line_threshold ? p->line_batch :
		     p->line_threshold, "batch (%u) must not exceed threshold "
		     "(%u)", sc->batch, sc->threshold);
	for (size_t i = 0; i < sc->ntenants; i++) {
		const struct tenant_spec *t = &sc->tenants[i];
		unsigned th = scenario_tenant_threshold(sc, i);
		unsigned ba = scenario_tenant_batch(sc, i);
		if ((t->threshold || t->batch) && ba > th)
			perr(p, t->line, "[tenant %s] batch (%u) must not exceed "
			     "threshold (%u)", t->name, ba, th);
	}
	for (size_t i = 0; i < sc->ncrit; i++) {
		struct criterion *c = &sc->crit[i];
		if (!c->tenant)
			continue;
		int ti = scenario_tenant_index(sc, c->tenant);
		if (ti < 0) {
			perr(p, c->line, "criterion '%s' names unknown tenant '%s'", c->key, c->tenant);
			continue;
		}
		if ((c->kind == CRIT_SLO_ATTAINMENT_MIN) && !sc->tenants[ti].slo_ns)
			perr(p, c->line, "criterion '%s' needs an 'slo' in "
			     "[tenant %s]", c->key, c->tenant);
	}
}

static char *dirname_of(const char *path)
{
	const char *sl = strrchr(path, '/');
	if (!sl)
		return strdup("");
	if (sl == path)
		return strdup("/");
	return strndup(path, (size_t)(sl - path));
}

/* Default name: the file's base name without ".ini". */
static char *basename_noext(const char *path)
{
	const char *sl = strrchr(path, '/');
	const char *b = sl ? sl + 1 : path;
	size_t n = strlen(b);
	if (n > 4 && strcmp(b + n - 4, ".ini") == 0)
		n -= 4;
	return strndup(b, n);
}

static struct scenario *load(const char *path, int policy_only, char *err,
			     size_t errlen)
{
	struct parser p = { .path = path, .policy_only = policy_only };
	struct scenario *sc = calloc(1, sizeof(*sc));
	if (!sc) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	sc->path = strdup(path);
	sc->duration_ns = DEFAULT_DURATION_NS;
	sc->seed = DEFAULT_SEED;
	sc->device = strdup(DEFAULT_DEVICE);
	sc->policy = strdup(DEFAULT_POLICY);
	sc->level = 1;
	sc->threshold = XQ_DEFAULT_THRESHOLD;
	sc->batch = XQ_DEFAULT_BATCH;
	p.sc = sc;
	p.dir = dirname_of(path);
	p.f = fopen(path, "r");
	if (!p.f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	struct stat st;
	if (fstat(fileno(p.f), &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory, not a scenario file", path);
		goto fail;
	}
	/* Indented lines are ordinary lines, not continuations. */
	ini_allow_multiline = false;
	int rc = ini_parse_stream(reader, &p, handler, &p);
	if (ferror(p.f))
		perr(&p, p.line, "read error");
	if (rc > 0 && !p.too_long)
		perr(&p, rc, "syntax error (expected [section], key = value, "
		     "or a ; comment)");
	else if (rc < 0)
		perr(&p, 1, "out of memory");
	if (!p.err_line)
		validate(&p);
	if (!sc->name)
		sc->name = basename_noext(path);
	if (p.err_line) {
		snprintf(err, errlen, "%s:%d: %s", path, p.err_line, p.err);
		goto fail;
	}
	if (!sc->path || !sc->device || !sc->policy || !sc->name) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	fclose(p.f);
	free(p.dir);
	free(p.sects);
	free(p.line_trace);
	free(p.line_arrival);
	free(p.line_rate);
	free(p.line_afile);
	free(p.line_param);
	return sc;
fail:
	if (p.f)
		fclose(p.f);
	free(p.dir);
	free(p.sects);
	free(p.line_trace);
	free(p.line_arrival);
	free(p.line_rate);
	free(p.line_afile);
	free(p.line_param);
	scenario_free(sc);
	return NULL;
}

struct scenario *scenario_load(const char *path, char *err, size_t errlen)
{
	return load(path, 0, err, errlen);
}

struct scenario *scenario_load_policy(const char *path, char *err, size_t errlen)
{
	return load(path, 1, err, errlen);
}

void scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	free(sc->path);
	free(sc->name);
	free(sc->device);
	free(sc->policy);
	for (size_t i = 0; i < sc->nparams; i++) {
		free((char *)sc->params[i].key);
		free((char *)sc->params[i].val);
	}
	free(sc->params);
	for (size_t i = 0; i < sc->ntenants; i++) {
		free(sc->tenants[i].name);
		free(sc->tenants[i].trace_path);
		free(sc->tenants[i].arrival_file);
	}
	free(sc->tenants);
	for (size_t i = 0; i < sc->ncrit; i++) {
		free(sc->crit[i].tenant);
		free(sc->crit[i].key);
	}
	free(sc->crit);
	free(sc);
}

unsigned scenario_tenant_threshold(const struct scenario *sc, size_t tenant)
{
	unsigned v = sc->tenants[tenant].threshold;
	return v ? v : sc->threshold;
}

unsigned scenario_tenant_batch(const struct scenario *sc, size_t tenant)
{
	unsigned v = sc->tenants[tenant].batch;
	return v ? v : sc->batch;
}

int scenario_tenant_group(const struct scenario *sc, size_t tenant)
{
	return sc->tenants[tenant].process == PROCESS_OWN ? 1 + (int)tenant : 0;
}

int scenario_tenant_index(const struct scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->ntenants; i++)
		if (strcmp(sc->tenants[i].name, name) == 0)
			return (int)i;
	return -1;
}

int scenario_check_limits(const struct scenario *sc, hs_ns duration_ns,
			  char *err, size_t errlen)
{
	const char *path = sc->path ? sc->path : "scenario";
	if (duration_ns <= 0 || duration_ns > SCENARIO_DURATION_MAX_NS) {
		snprintf(err, errlen, "%s: duration %.3f s outside (0, %.0f s]", path,
			 (double)duration_ns / 1e9, SCENARIO_DURATION_MAX_NS / 1e9);
		return -1;
	}
	double reqs = 0;
	for (size_t i = 0; i < sc->ntenants; i++) {
		const struct tenant_spec *t = &sc->tenants[i];
		if (t->arrival == ARRIVAL_PERIODIC || t->arrival == ARRIVAL_POISSON)
			reqs += t->rate_per_s * ((double)duration_ns / 1e9);
	}
	if (reqs > SCENARIO_REQUESTS_MAX) {
		snprintf(err, errlen, "%s: the tenants' rates bring about %.3g requests "
			 "in %.0f s, more than the %d a run keeps; shorten the "
			 "duration or lower the rates", path, reqs,
			 (double)duration_ns / 1e9, SCENARIO_REQUESTS_MAX);
		return -1;
	}
	return 0;
}
