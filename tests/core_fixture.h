/*
 * Shared state of the core's test files (check_core.c, check_policy.c):
 * a fake environment, three fake hardware queues, command pools. Each test
 * file gets its own copy; the fixture clears it before every test.
 */
#ifndef HIPSCHED_CORE_FIXTURE_H
#define HIPSCHED_CORE_FIXTURE_H

#include <check.h>
#include <string.h>
#include "fake_backend.h"
#include "sched.h"

#define N 256

static struct fake_env fe;
static struct fake_hwq h1, h2, h3;
static struct xcmd cmds[3][N];

static void __attribute__((unused)) setup(void)
{
	memset(&fe, 0, sizeof(fe));
	memset(&h1, 0, sizeof(h1));
	memset(&h2, 0, sizeof(h2));
	memset(&h3, 0, sizeof(h3));
	memset(cmds, 0, sizeof(cmds));
}

static void __attribute__((unused)) submit_n(struct xq *q, struct xcmd *c, int n, hs_ns now)
{
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(xq_submit(q, &c[i], now), 0);
}

static struct xq_stats __attribute__((unused)) stats(struct xq *q)
{
	struct xq_stats st;
	xq_get_stats(q, &st);
	return st;
}

/* ---- errors and registry ---------------------------------------------- */
#endif
