/*
 * `hipsched serve --bench`: the decision round trip over a Unix socket.
 * A policy server (hpf) in this process serves two client processes with
 * a core each: "hi" (priority 2) alternates between one command pending
 * and idle; each change is a LOAD, and the server's answer is a DECIDE (suspend or
 * resume) of "lo" (priority 1) in the other process. The round trip is
 * hi's LOAD sent -> lo's core call applying the decision returned (one
 * CLOCK_MONOTONIC for both), as the server collects it from lo's APPLIED;
 * printed as P50 / P90 / P99 / max. HIPSCHED_RELAY_SPIN=1 measures the
 * busy-polling variant. With --queues N, lo has N queues (a PyTorch
 * process opens some 34 streams), all suspended and resumed together:
 * the round trip is then the one of their DECIDE messages.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli.h"
#include "serve/serve.h"

static void noop_launch(void *be, void *hwq, struct xcmd *cmd, hs_ns now)
{
}

static const struct backend_ops bench_ops = { .name = "bench", .launch = noop_launch };

static void noop_done(void *ctx, struct xcmd *cmd, hs_ns now)
{
}

static void lock_mu(void *m) { pthread_mutex_lock(m); }
static void unlock_mu(void *m) { pthread_mutex_unlock(m); }

/* One client process: hi toggles its load `count` times (200 us apart),
 * lo, with nq queues, waits for the end (its parent closes `hold`). */
static int client(const char *sock, int hi, size_t count, size_t nq, int hold)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	char err[256];
	struct sched_env env = { .ops = &bench_ops, .cmd_done = noop_done };
	int e;
	struct sched *s = sched_create(&env, hs_client_policy_name(), NULL, 0, &e, err,
				       sizeof(err));
	struct hs_hello h = { .name = hi ? "bench-hi" : "bench-lo", .priority = hi ? 2 : 1,
			      .level = 1 };
	struct hs_client_lock lk = { &mu, lock_mu, unlock_mu, NULL };
	struct hs_client *c;
	if (!s || hs_client_open(sock, -1, &h, s, &lk, &c, err, sizeof(err))) {
		fprintf(stderr, "hipsched serve --bench: %s\n", err);
		return 1;
	}
	nq = hi ? 1 : nq;
	void **ep = calloc(nq, sizeof(*ep));
	struct xq **qs = calloc(nq, sizeof(*qs));
	if (!ep || !qs)
		return 1;
	for (size_t k = 0; k < nq; k++) {
		ep[k] = hs_client_ep_new(c);
		struct xq_config cfg = { .priority = h.priority, .level = 1, .user = ep[k] };
		if (!ep[k] || xq_create(s, &cfg, &qs[k]) ||
		    hs_client_join(c, qs[k], HS_PRIO_DEFAULT))
			return 1;
	}
	struct xq *q = qs[0];
	if (hi) {
		struct xcmd x;
		usleep(100000);          /* lo has joined */
		for (size_t i = 0; i < count; i += 2) {
			memset(&x, 0, sizeof(x));
			x.flags = XCMD_F_SYNC;
			pthread_mutex_lock(&mu);
			xq_submit(q, &x, hs_now());      /* ready: LOAD */
			pthread_mutex_unlock(&mu);
			usleep(200);
			pthread_mutex_lock(&mu);
			xq_complete(q, &x, hs_now());    /* idle: LOAD */
			pthread_mutex_unlock(&mu);
			usleep(200);
		}
	} else {
		char b;
		while (read(hold, &b, 1) < 0 && errno == EINTR) {
		}
	}
	for (size_t k = 0; k < nq; k++)
		hs_client_leave(c, qs[k]);
	hs_client_close(c);
	for (size_t k = 0; k < nq; k++) {
		xq_free(qs[k]);
		hs_client_ep_free(ep[k]);
	}
	free(qs);
	free(ep);
	sched_free(s);
	return 0;
}

static void *serve_main(void *s)
{
	return (void *)(intptr_t)hs_server_run(s, 1);
}

int cli_serve_bench(size_t count, size_t queues)
{
	char dir[] = "/tmp/hipsched-bench.XXXXXX", sock[64], err[512];
	if (!mkdtemp(dir)) {
		cli_error("serve --bench: mkdtemp: %s", strerror(errno));
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s/s.sock", dir);
	const char *spin = getenv(HS_ENV_SPIN);
	struct hs_server_opts o = { .policy = "hpf", .spin = spin && *spin == '1' };
	struct hs_server *srv;
	int status = 1, hold[2] = { -1, -1 };
	pid_t pid[2] = { -1, -1 };
	if (hs_server_create(&o, &srv, err, sizeof(err)) ||
	    hs_server_listen(srv, sock, -1, err, sizeof(err))) {
		cli_error("serve --bench: %s", err);
		rmdir(dir);
		return 1;
	}
	if (pipe(hold)) {
		cli_error("serve --bench: pipe: %s", strerror(errno));
		goto out;
	}
	fflush(NULL);
	for (int k = 0; k < 2; k++) {
		pid[k] = fork();
		if (pid[k] == 0) {
			close(hold[1]);
			_exit(client(sock, k == 1, count, queues, hold[0]));
		}
	}
	close(hold[0]);
	pthread_t thr;
	if (pthread_create(&thr, NULL, serve_main, srv)) {
		cli_error("serve --bench: cannot start the server thread");
		goto out;
	}
	int st1 = 0, st0 = 0;
	waitpid(pid[1], &st1, 0);          /* hi done */
	close(hold[1]);
	hold[1] = -1;
	waitpid(pid[0], &st0, 0);
	pid[0] = pid[1] = -1;
	pthread_join(thr, NULL);
	struct run_result r = { 0 };
	if (!WIFEXITED(st0) || WEXITSTATUS(st0) || !WIFEXITED(st1) || WEXITSTATUS(st1) ||
	    run_result_init(&r, 0) || hs_server_figures(srv, &r)) {
		cli_error("serve --bench: a client failed");
		run_result_release(&r);
		goto out;
	}
	double *v = malloc((r.nrtt ? r.nrtt : 1) * sizeof(*v));
	static const double q[4] = { 0.50, 0.90, 0.99, 1.0 };
	double p[4];
	for (size_t i = 0; v && i < r.nrtt; i++)
		v[i] = (double)r.rtt_ns[i] / 1e3;
	run_quantiles(v, v ? r.nrtt : 0, q, p, 4);
	free(v);
	printf("decision round trip over a Unix socket (%s, %zu queue%s suspended "
	       "at once): %zu round trips, p50 %.1f us, p90 %.1f us, p99 %.1f us, "
	       "max %.1f us\n", o.spin ? "busy-polling" : "blocking", queues,
	       queues == 1 ? "" : "s", r.nrtt, p[0], p[1], p[2], p[3]);
	status = r.nrtt ? 0 : 1;
	run_result_release(&r);
out:
	for (int k = 0; k < 2; k++)
		if (pid[k] > 0) {
			kill(pid[k], SIGKILL);
			waitpid(pid[k], NULL, 0);
		}
	if (hold[1] >= 0)
		close(hold[1]);
	hs_server_free(srv);
	rmdir(dir);
	return status;
}
