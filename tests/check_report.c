/*
 * report.html (analysis/html.c, `hipsched report`): the page of a real run
 * is well-formed XHTML (checked by a small XML checker here: every tag
 * closed in order, attributes quoted, only the five XML entities and
 * numeric references), every file it links exists in the run directory,
 * every plot is embedded, it carries the table, the verdict and the
 * Perfetto instructions when there is a timeline; errors name the file.
 */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "test_util.h"

static char dir[256];

static void setup(void)
{
	test_mkdtemp(dir, sizeof(dir), "check_report");
}

static void teardown(void)
{
	test_rmtree(dir);
}

static int sh(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- a small XML well-formedness checker ------------------------------------ */
struct xml {
	char stack[64][32];
	int depth;
	int imgs, links_ok;
	char links[64][128];
	int nlinks;
};

static const char *check_text(const char *p, const char *end)
{
	for (; p < end; p++) {
		if (*p == '<' || *p == '>')
			return p;
		if (*p != '&')
			continue;
		const char *semi = memchr(p, ';', (size_t)(end - p));
		if (!semi || semi - p > 8)
			return p;
		size_t n = (size_t)(semi - p - 1);
		const char *e = p + 1;
		int ok = (n == 2 && (!strncmp(e, "lt", 2) || !strncmp(e, "gt", 2))) ||
			 (n == 3 && !strncmp(e, "amp", 3)) ||
			 (n == 4 && (!strncmp(e, "quot", 4) || !strncmp(e, "apos", 4))) ||
			 (n >= 2 && e[0] == '#' && isdigit((unsigned char)e[1]));
		if (!ok)
			return p;
		p = semi;
	}
	return NULL;
}

/* NULL if well-formed, else where it breaks. */
static const char *xml_check(const char *s, struct xml *x)
{
	static char why[256];
	memset(x, 0, sizeof(*x));
	const char *p = s;
	if (strncmp(p, "<?xml", 5) == 0) {
		p = strstr(p, "?>");
		if (!p)
			return "unterminated <?xml";
		p += 2;
	}
	int root_seen = 0;
	while (*p) {
		const char *lt = strchr(p, '<');
		const char *end = lt ? lt : p + strlen(p);
		const char *bad = check_text(p, end);
		if (bad) {
			snprintf(why, sizeof(why), "bad text at %.40s", bad);
			return why;
		}
		if (!lt)
			break;
		if (!strncmp(lt, "<!--", 4)) {
			const char *c = strstr(lt, "-->");
			if (!c)
				return "unterminated comment";
			p = c + 3;
			continue;
		}
		if (!strncmp(lt, "<!DOCTYPE", 9)) {
			p = strchr(lt, '>');
			if (!p)
				return "unterminated DOCTYPE";
			p++;
			continue;
		}
		int closing = lt[1] == '/';
		const char *q = lt + 1 + closing;
		char name[32];
		size_t n = 0;
		while (isalnum((unsigned char)*q) && n < sizeof(name) - 1)
			name[n++] = *q++;
		name[n] = 0;
		if (!n) {
			snprintf(why, sizeof(why), "bad tag at %.40s", lt);
			return why;
		}
		if (closing) {
			while (isspace((unsigned char)*q))
				q++;
			if (*q != '>')
				return "bad closing tag";
			if (!x->depth || strcmp(x->stack[x->depth - 1], name)) {
				snprintf(why, sizeof(why), "</%s> closes <%s>", name,
					 x->depth ? x->stack[x->depth - 1] : "nothing");
				return why;
			}
			x->depth--;
			p = q + 1;
			continue;
		}
		if (!x->depth && root_seen)
			return "a second root element";
		root_seen = 1;
		/* attributes: name="value" */
		for (;;) {
			while (isspace((unsigned char)*q))
				q++;
			if (*q == '>' || (q[0] == '/' && q[1] == '>'))
				break;
			char an[32];
			size_t k = 0;
			while ((isalnum((unsigned char)*q) || *q == '-' || *q == ':') &&
			       k < sizeof(an) - 1)
				an[k++] = *q++;
			an[k] = 0;
			if (!k || *q != '=' || q[1] != '"') {
				snprintf(why, sizeof(why), "unquoted attribute in <%s> at %.30s",
					 name, q);
				return why;
			}
			const char *v = q + 2, *ve = strchr(v, '"');
			if (!ve)
				return "unterminated attribute";
			if ((bad = check_text(v, ve))) {
				snprintf(why, sizeof(why), "bad attribute text in <%s>", name);
				return why;
			}
			if (!strcmp(an, "href") && x->nlinks < 64)
				snprintf(x->links[x->nlinks++], 128, "%.*s",
					 (int)(ve - v < 127 ? ve - v : 127), v);
			if (!strcmp(an, "src")) {
				if (strncmp(v, "data:image/png;base64,", 22))
					return "an image not embedded";
				x->imgs++;
			}
			q = ve + 1;
		}
		if (*q == '/') {
			p = q + 2;          /* <tag ... /> */
			continue;
		}
		if (x->depth == 64)
			return "too deep";
		snprintf(x->stack[x->depth++], 32, "%s", name);
		p = q + 1;
		/* style: raw text up to </style> (our CSS has no < or &) */
	}
	if (x->depth) {
		snprintf(why, sizeof(why), "<%s> never closed", x->stack[x->depth - 1]);
		return why;
	}
	return root_seen ? NULL : "no element";
}

START_TEST(test_checker_rejects)
{
	struct xml x;
	ck_assert_ptr_null(xml_check("<a b=\"1\"><c /> &amp; &#39;</a>", &x));
	ck_assert_ptr_nonnull(xml_check("<a><b></a></b>", &x));
	ck_assert_ptr_nonnull(xml_check("<a>x & y</a>", &x));
	ck_assert_ptr_nonnull(xml_check("<a b=1></a>", &x));
	ck_assert_ptr_nonnull(xml_check("<a><img src=\"x.png\" /></a>", &x));
	ck_assert_ptr_nonnull(xml_check("<a>", &x));
}
END_TEST

static void check_page(const char *run, int want_timeline)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/report.html", run);
	char *page = test_slurp(path, NULL);
	struct xml x;
	const char *why = xml_check(page, &x);
	ck_assert_msg(why == NULL, "%s: %s", path, why);
	/* 2 plots per tenant (2 tenants) + throughput, all embedded */
	ck_assert_int_eq(x.imgs, 5);
	int timeline = 0;
	for (int i = 0; i < x.nlinks; i++) {
		if (!strncmp(x.links[i], "https://", 8))
			continue;
		char f[768];
		struct stat st;
		snprintf(f, sizeof(f), "%s/%s", run, x.links[i]);
		ck_assert_msg(stat(f, &st) == 0 && st.st_size > 0,
			      "report links %s, which is not there", x.links[i]);
		timeline += !strcmp(x.links[i], "timeline.json");
	}
	ck_assert_int_eq(timeline, want_timeline);
	ck_assert(!want_timeline || strstr(page, "ui.perfetto.dev"));
	ck_assert_ptr_nonnull(strstr(page, "<td>hp</td><td>10</td><td>hpf</td>"));
	ck_assert_ptr_nonnull(strstr(page, "hp.p99_ms_max"));
	ck_assert_ptr_nonnull(strstr(page, "class=\"good\">PASS</span></h1>"));
	free(page);
	/* xmllint, where installed, agrees */
	char c[700];
	snprintf(c, sizeof(c), "! command -v xmllint >/dev/null || xmllint --noout %s",
		 path);
	ck_assert_int_eq(sh(c), 0);
}

START_TEST(test_run_writes_report)
{
	if (sh("command -v gnuplot >/dev/null 2>&1") != 0)
		return;
	char c[2048], run[400];
	snprintf(run, sizeof(run), "%s/a", dir);
	snprintf(c, sizeof(c), "%s sim scenarios/dual_resnet.ini --duration 2s --quiet "
		 "--timeline-window 1s..1.1s --out %s >/dev/null", test_bin(), run);
	ck_assert_int_eq(sh(c), 0);
	check_page(run, 1);
	snprintf(run, sizeof(run), "%s/b", dir);
	snprintf(c, sizeof(c), "%s sim scenarios/dual_resnet.ini --duration 2s --quiet "
		 "--out %s >/dev/null", test_bin(), run);
	ck_assert_int_eq(sh(c), 0);
	check_page(run, 0);
	/* hipsched report redraws it, same bytes */
	snprintf(c, sizeof(c), "cp %s/report.html %s/old.html && %s report %s >/dev/null"
		 " && cmp -s %s/report.html %s/old.html", run, dir, test_bin(), run, run, dir);
	ck_assert_int_eq(sh(c), 0);
}
END_TEST

/* With HIPSCHED_BROWSER_CHECK=1 (and Debian's chromium installed): the page
 * as a headless browser builds it has the five plots and the table. Off by
 * default: chromium takes ~15 s to start here. */
START_TEST(test_in_browser)
{
	const char *on = getenv("HIPSCHED_BROWSER_CHECK");
	if (!on || strcmp(on, "1") || sh("command -v chromium >/dev/null 2>&1"))
		return;
	char c[2048], run[400];
	snprintf(run, sizeof(run), "%s/a", dir);
	snprintf(c, sizeof(c), "%s sim scenarios/dual_resnet.ini --duration 1s --quiet "
		 "--timeline-window ..100ms --out %s >/dev/null && timeout 120 chromium "
		 "--headless --no-sandbox --disable-gpu --dump-dom file://%s/report.html "
		 "> %s/dom.html 2>/dev/null", test_bin(), run, run, dir);
	ck_assert_int_eq(sh(c), 0);
	snprintf(c, sizeof(c), "%s/dom.html", dir);
	char *dom = test_slurp(c, NULL);
	int imgs = 0;
	for (const char *p = dom; (p = strstr(p, "<img")); p++)
		imgs++;
	ck_assert_int_eq(imgs, 5);
	ck_assert_ptr_nonnull(strstr(dom, "<td>hp</td><td>10</td><td>hpf</td>"));
	ck_assert_ptr_nonnull(strstr(dom, "href=\"timeline.json\""));
	free(dom);
}
END_TEST

START_TEST(test_report_errors)
{
	char c[1024];
	snprintf(c, sizeof(c), "%s report %s > %s/out 2>&1", test_bin(), dir, dir);
	ck_assert_int_eq(sh(c), 1);
	char p[400];
	snprintf(p, sizeof(p), "%s/out", dir);
	char *o = test_slurp(p, NULL);
	ck_assert_msg(strstr(o, "summary.json") != NULL, "%s", o);
	free(o);
	snprintf(c, sizeof(c), "echo '{\"x\": 1,' > %s/summary.json && %s report %s "
		 "> %s/out 2>&1", dir, test_bin(), dir, dir);
	ck_assert_int_eq(sh(c), 1);
	o = test_slurp(p, NULL);
	ck_assert_msg(strstr(o, "summary.json:") != NULL, "%s", o);
	free(o);
	snprintf(c, sizeof(c), "%s report >/dev/null 2>&1", test_bin());
	ck_assert_int_eq(sh(c), 2);
	snprintf(c, sizeof(c), "%s report --help | grep -q 'usage: hipsched report'",
		 test_bin());
	ck_assert_int_eq(sh(c), 0);
}
END_TEST

Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_checker_rejects);
	tcase_add_test(tc, test_run_writes_report);
	tcase_add_test(tc, test_report_errors);
	tcase_add_test(tc, test_in_browser);
	suite_add_tcase(s, tc);
	return s;
}
