/*
 * The runs of one `hipsched sim|hw` invocation (see cli.h, cli_runs):
 * every tenant standalone, all under native, all under the policy. They are
 * independent (each its own run_opts, result and simulator), so on the
 * simulator they run on several threads; each result is what the serial
 * run gives, byte for byte, whatever the thread count.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

struct runs_ctx {
	run_fn run;
	const struct scenario *sc;
	struct cli_run *r;
	size_t n;
	size_t next;               /* next run to start, under mu */
	pthread_mutex_t mu;
};

static void run_one(run_fn run, const struct scenario *sc, struct cli_run *r)
{
	r->err[0] = '\0';
	r->rc = run(sc, &r->ro, r->res, r->err, sizeof(r->err));
	if (r->rc && !r->err[0])
		snprintf(r->err, sizeof(r->err), "%s", hs_strerror(r->rc));
}

static void *worker(void *arg)
{
	struct runs_ctx *c = arg;
	for (;;) {
		pthread_mutex_lock(&c->mu);
		size_t i = c->next < c->n ? c->next++ : c->n;
		pthread_mutex_unlock(&c->mu);
		if (i == c->n)
			return NULL;
		run_one(c->run, c->sc, &c->r[i]);
	}
}

int cli_jobs_default(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)(n < 256 ? n : 256) : 1;
}

int cli_runs(run_fn run, const struct scenario *sc, struct cli_run *r,
	     size_t n, int jobs)
{
	if (jobs > (int)n)
		jobs = (int)n;
	if (jobs <= 1) {
		for (size_t i = 0; i < n; i++) {
			run_one(run, sc, &r[i]);
			if (r[i].rc)
				return (int)i;
		}
		return -1;
	}
	struct runs_ctx c = { .run = run, .sc = sc, .r = r, .n = n };
	pthread_mutex_init(&c.mu, NULL);
	pthread_t *th = calloc((size_t)jobs, sizeof(*th));
	int started = 0;
	for (int k = 0; th && k < jobs; k++) {
		if (pthread_create(&th[k], NULL, worker, &c))
			break;
		started++;
	}
	if (!started)
		worker(&c);            /* no thread to be had: run them here */
	for (int k = 0; k < started; k++)
		pthread_join(th[k], NULL);
	free(th);
	pthread_mutex_destroy(&c.mu);
	for (size_t i = 0; i < n; i++)
		if (r[i].rc)
			return (int)i;
	return -1;
}
