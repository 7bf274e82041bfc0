/*
 * The processes of a run (hw__run_with): every group of tenants runs in a
 * forked child, the parent never touches the GPU (a CUDA context does not
 * survive fork(), and the parent runs the next mode in fresh children).
 * Group 0 holds the `process = shared` tenants, group 1 + i the tenant i
 * with `process = own`. The children announce readiness in a shared page,
 * the parent sets one t0 for all, and each child sends its results back
 * through a pipe: per tenant its request records, kernels and busy time,
 * then its merged GPU execution intervals (one device timer for every
 * context, so the parent computes the union over processes), its
 * preemption latencies and, with --timeline, its part of the timeline
 * (tl.c).
 *
 * With more than one process and a policy that is not passthrough, the
 * parent runs a policy server (hw/serve/serve.h) in a thread of its own,
 * from the first child's HELLO to the last child's BYE, on one socketpair
 * per child; its figures (decisions, round trips) go into the result.
 */
#include <errno.h>
#include <pthread.h>
#include <execinfo.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "run_internal.h"
#include "serve.h"

int hw__write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int hw__read_all(int fd, void *p, size_t n)
{
	char *c = p;
	while (n) {
		ssize_t r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Child -> parent: status, message, then per member tenant its records,
 * kernels and busy time, then the group's busy time and preemptions, then
 * its part of the timeline (tl.c) when the run writes one. */
static void child_send(int fd, struct group *g, int rc, const char *err)
{
	const struct run_result *r = g->res;
	int32_t code = rc;
	char msg[512] = { 0 };
	snprintf(msg, sizeof(msg), "%s", err);
	hw__write_all(fd, &code, sizeof(code));
	hw__write_all(fd, msg, sizeof(msg));
	if (rc)
		return;
	uint64_t n = 0;
	for (size_t i = 0; i < g->sc->ntenants; i++)
		n += g->member[i];
	hw__write_all(fd, &n, sizeof(n));
	for (size_t i = 0; i < g->sc->ntenants; i++) {
		if (!g->member[i])
			continue;
		const struct tenant_result *t = &r->t[i];
		uint64_t idx = i, nreq = t->nreq;
		hw__write_all(fd, &idx, sizeof(idx));
		hw__write_all(fd, &nreq, sizeof(nreq));
		hw__write_all(fd, t->req, nreq * sizeof(*t->req));
		hw__write_all(fd, &t->kernels, sizeof(t->kernels));
		hw__write_all(fd, &t->gpu_busy_ns, sizeof(t->gpu_busy_ns));
	}
	/* the group's merged GPU execution intervals */
	hs_ns busy = 0;
	const struct hw_ivs *iv = NULL;
	if (g->e) {
		hw__engine_lock(g->e);
		iv = hw__engine_busy(g->e, &busy);
		hw__engine_unlock(g->e);
	}
	n = iv ? iv->n : 0;
	hw__write_all(fd, &n, sizeof(n));
	if (n)
		hw__write_all(fd, iv->v, n * sizeof(*iv->v));
	n = r->npreempt;
	hw__write_all(fd, &n, sizeof(n));
	hw__write_all(fd, r->preempt_ns, n * sizeof(*r->preempt_ns));
	if (g->e) {
		hw__engine_lock(g->e);
		hw__tl_send(fd, g);
		hw__engine_unlock(g->e);
	}
}

static int parent_recv(int fd, struct run_result *r, struct hw_ivs *ivs,
		       struct hw_tl_merge *tl, char *err, size_t errlen)
{
	int32_t code;
	char msg[512];
	uint64_t n, m;
	if (hw__read_all(fd, &code, sizeof(code)) || hw__read_all(fd, msg, sizeof(msg))) {
		snprintf(err, errlen, "a run process died without a result");
		return HW_EDEVICE;
	}
	msg[sizeof(msg) - 1] = 0;
	if (code) {
		snprintf(err, errlen, "%s", msg);
		return code;
	}
	if (hw__read_all(fd, &n, sizeof(n)))
		goto trunc;
	for (uint64_t k = 0; k < n; k++) {
		uint64_t idx;
		if (hw__read_all(fd, &idx, sizeof(idx)) || idx >= r->ntenants ||
		    hw__read_all(fd, &m, sizeof(m)))
			goto trunc;
		for (uint64_t i = 0; i < m; i++) {
			struct req_record rec;
			if (hw__read_all(fd, &rec, sizeof(rec)))
				goto trunc;
			if (run_result_add_req(r, idx, &rec))
				return HS_ENOMEM;
		}
		if (hw__read_all(fd, &r->t[idx].kernels, sizeof(r->t[idx].kernels)) ||
		    hw__read_all(fd, &r->t[idx].gpu_busy_ns, sizeof(hs_ns)))
			goto trunc;
		r->kernels_simulated += r->t[idx].kernels;
	}
	if (hw__read_all(fd, &n, sizeof(n)))
		goto trunc;
	for (uint64_t i = 0; i < n; i++) {
		struct hw_iv v;
		if (hw__read_all(fd, &v, sizeof(v)))
			goto trunc;
		if (hw__ivs_add(ivs, v.a, v.b))
			return HS_ENOMEM;
	}
	if (hw__read_all(fd, &n, sizeof(n)))
		goto trunc;
	for (uint64_t i = 0; i < n; i++) {
		hs_ns v;
		if (hw__read_all(fd, &v, sizeof(v)))
			goto trunc;
		if (run_result_add_preempt(r, v))
			return HS_ENOMEM;
	}
	if (tl) {
		int rc = hw__tl_recv(fd, tl);
		if (rc == HS_ENOMEM)
			return rc;
		if (rc)
			goto trunc;
	}
	return HS_OK;
trunc:
	snprintf(err, errlen, "a run process sent a truncated result");
	return HW_EDEVICE;
}

/* HIPSCHED_HW_DEBUG: a crashing run process prints its stack. */
static void crash(int sig)
{
	void *bt[64];
	int n = backtrace(bt, 64);
	char m[64];
	int l = snprintf(m, sizeof(m), "hipsched: run process: signal %d\n", sig);
	if (write(2, m, (size_t)l) < 0)
		_exit(128 + sig);
	backtrace_symbols_fd(bt, n, 2);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Runs one group in a child process; returns the read end of its pipe.
 * relay[2]: the socketpair to the policy server (relay[0] the parent's,
 * relay[1] the child's), or -1s for none. */
static int spawn_group(const struct hw_devops *ops, int direct, const struct scenario *sc,
		       const struct run_opts *o, hs_ns dur, unsigned char *member,
		       struct sync_area *sa, const int relay[2], pid_t *pid,
		       char *err, size_t errlen)
{
	int p[2];
	if (pipe(p)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	*pid = fork();
	if (*pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		if (relay[1] >= 0)
			close(relay[1]);
		return -1;
	}
	if (*pid > 0) {
		close(p[1]);
		if (relay[1] >= 0)
			close(relay[1]);
		return p[0];
	}
	close(p[0]);
	if (relay[0] >= 0)
		close(relay[0]);
	/* the parent decides what a signal means (guard_check): the child,
	 * which writes no file, ends at once when told */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (getenv("HIPSCHED_HW_DEBUG")) {
		signal(SIGSEGV, crash);
		signal(SIGBUS, crash);
		signal(SIGABRT, crash);
		signal(SIGFPE, crash);
	}
	struct run_result cr;
	char cerr[512] = "";
	size_t n = sc->ntenants;
	struct group g = { .sc = sc, .o = o, .res = &cr, .ops = ops, .dur = dur,
			   .member = member, .direct = direct, .relay_fd = relay[1] };
	g.t = calloc(n ? n : 1, sizeof(*g.t));
	int rc = g.t ? run_result_init(&cr, n) : HS_ENOMEM;
	if (!rc)
		rc = hw__group_setup(&g, cerr, sizeof(cerr));
	if (rc)
		__atomic_store_n(&sa->failed, 1, __ATOMIC_SEQ_CST);
	else
		rc = hw__group_run(&g, sa, cerr, sizeof(cerr));
	if (!rc)
		hw__group_results(&g);
	child_send(p[1], &g, rc, cerr);
	close(p[1]);
	if (g.t)
		hw__group_release(&g);
	_exit(0);
}

/* ---- the parent's watch over its children ---------------------------------
 * A signal (run_opts.stop) ends the children (SIGTERM, then SIGKILL 2 s
 * later) and the run returns HS_EINTR. The watchdog: a child that has not
 * delivered its results HIPSCHED_HW_WATCHDOG_S seconds (default 10) after
 * the window ended -- a GPU stream that never completes, a hung driver
 * call -- is killed and the run fails with a message saying so. Either
 * way nothing waits forever. */
struct guard {
	const struct run_opts *o;
	pid_t *pid;
	int *fd;
	size_t ng;
	hs_ns grace_ns;
	hs_ns deadline;            /* kill the children at this time */
	hs_ns killed_at;           /* when SIGTERM went out (stop) */
	int why;                   /* 0, HS_EINTR or HW_EDEVICE (watchdog) */
	hs_ns t0, dur;             /* the window, for progress */
};

static void guard_init(struct guard *g, const struct run_opts *o, pid_t *pid,
		       int *fd, size_t ng, hs_ns dur)
{
	memset(g, 0, sizeof(*g));
	g->o = o;
	g->pid = pid;
	g->fd = fd;
	g->ng = ng;
	g->dur = dur;
	const char *w = getenv("HIPSCHED_HW_WATCHDOG_S");
	double secs = w && *w ? atof(w) : 10.0;
	g->grace_ns = (hs_ns)((secs > 0 ? secs : 10.0) * 1e9);
	/* setting up (trace loading, device, calibration) gets a minute */
	g->deadline = hw__now() + 60 * (hs_ns)1000000000 + g->grace_ns;
}

static void guard_kill(struct guard *g, int sig)
{
	for (size_t gi = 0; gi < g->ng; gi++)
		if (g->fd[gi] >= 0 && g->pid[gi] > 0)
			kill(g->pid[gi], sig);
}

/* Called every 100 ms or so while the parent waits for its children. */
static void guard_check(struct guard *g)
{
	hs_ns now = hw__now();
	if (g->why) {
		if (g->why == HS_EINTR && now > g->killed_at + 2000000000LL) {
			guard_kill(g, SIGKILL);
			g->killed_at = INT64_MAX / 2;
		}
		return;
	}
	if (g->o->stop && *g->o->stop) {
		g->why = HS_EINTR;
		g->killed_at = now;
		guard_kill(g, SIGTERM);
	} else if (now > g->deadline) {
		g->why = HW_EDEVICE;
		guard_kill(g, SIGKILL);
	}
}

static void tick(void *ctx)
{
	struct guard *g = ctx;
	hs_ns now = hw__now();
	if (g->o->progress && now >= g->t0 && now < g->t0 + g->dur)
		g->o->progress(g->o->progress_ctx, (double)(now - g->t0) / (double)g->dur);
	guard_check(g);
}

/* Waits until every child's result is ready to read (or the child is
 * gone), watching the guard. */
static void wait_results(struct guard *g)
{
	struct pollfd *pf = calloc(g->ng ? g->ng : 1, sizeof(*pf));
	unsigned char *ready = calloc(g->ng ? g->ng : 1, 1);
	if (!pf || !ready) {
		free(pf);
		free(ready);
		return;             /* the blocking reads then wait */
	}
	for (;;) {
		nfds_t n = 0;
		size_t map[64];
		for (size_t gi = 0; gi < g->ng && n < 64; gi++)
			if (g->fd[gi] >= 0 && !ready[gi]) {
				pf[n].fd = g->fd[gi];
				pf[n].events = POLLIN;
				map[n++] = gi;
			}
		if (!n)
			break;
		int r = poll(pf, n, 100);
		for (nfds_t k = 0; r > 0 && k < n; k++)
			if (pf[k].revents)
				ready[map[k]] = 1;
		tick(g);
	}
	free(pf);
	free(ready);
}

/* The policy server's thread: serves until every child's socket closed. */
static void *serve_main(void *arg)
{
	return (void *)(intptr_t)hs_server_run(arg, 1);
}

static void serve_log(void *ctx, const char *line)
{
	fprintf(stderr, "hipsched: policy server: %s\n", line);
}

/* ---- hw_run -------------------------------------------------------------------------- */
int hw__run_with(const struct hw_devops *ops, int direct, const struct scenario *sc,
		 const struct run_opts *o, struct run_result *res,
		 char *err, size_t errlen)
{
	size_t n = sc->ntenants;
	int rc = run_result_init(res, n);
	if (rc) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	hs_ns dur = o->duration_ns > 0 ? o->duration_ns : sc->duration_ns;
	snprintf(res->backend, sizeof(res->backend), "hw");
	snprintf(res->policy, sizeof(res->policy), "%s", o->policy ? o->policy : sc->policy);
	snprintf(res->mode, sizeof(res->mode), "%s", o->mode ? o->mode : "policy");
	res->seed = o->seed;
	res->duration_ns = dur;

	/* group 0: the shared tenants; group 1 + i: own tenant i */
	size_t ng = n + 1, nproc = 0, ngroups = 0;
	struct hw_ivs ivs = { 0 };
	hs_ns t0 = 0;
	struct hs_server *srv = NULL;
	/* the children's timeline parts (not in direct mode: no core) */
	struct hw_tl_merge *tlm = o->timeline_path && !direct ?
		hw__tl_merge_new(n) : NULL;
	pthread_t srv_thr;
	int srv_started = 0;
	unsigned char *member = calloc(ng * (n ? n : 1), 1);
	pid_t *pid = calloc(ng, sizeof(*pid));
	int *fd = calloc(ng, sizeof(*fd));
	int *status = calloc(ng, sizeof(*status));
	unsigned char *reaped = calloc(ng, 1);
	struct sync_area *sa = mmap(NULL, sizeof(*sa), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!member || !pid || !fd || !status || !reaped || sa == MAP_FAILED ||
	    (o->timeline_path && !direct && !tlm)) {
		snprintf(err, errlen, "out of memory");
		rc = HS_ENOMEM;
		goto out;
	}
	memset(sa, 0, sizeof(*sa));
	for (size_t i = 0; i < n; i++) {
		if (o->active && !o->active[i])
			continue;
		size_t gi = sc->tenants[i].process == PROCESS_OWN ? 1 + i : 0;
		member[gi * n + i] = 1;
	}
	for (size_t gi = 0; gi < ng; gi++) {
		int any = 0;
		fd[gi] = -1;
		for (size_t i = 0; i < n; i++)
			any |= member[gi * n + i];
		ngroups += any != 0;
	}
	/* several processes under a policy that controls: serve it here */
	const struct policy_ops *pol = policy_find(res->policy);
	if (!direct && ngroups > 1 && pol && !(pol->flags & POLICY_F_PASSTHROUGH)) {
		const struct hs_param *params;
		size_t np = scenario_policy_params(sc, res->policy, &params);
		const char *spin = getenv(HS_ENV_SPIN);
		struct hs_server_opts so = { .policy = res->policy, .params = params,
					     .nparams = np, .spin = spin && *spin == '1',
					     .log = serve_log,
					     .decided = tlm ? hw__tl_server_decided : NULL,
					     .decided_ctx = tlm };
		rc = hs_server_create(&so, &srv, err, errlen);
		if (rc)
			goto out;
	}
	for (size_t gi = 0; gi < ng; gi++) {
		int any = 0, sp[2] = { -1, -1 };
		for (size_t i = 0; i < n; i++)
			any |= member[gi * n + i];
		if (!any || rc)
			continue;
		if (srv && socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp)) {
			snprintf(err, errlen, "socketpair: %s", strerror(errno));
			rc = HW_EIO;
			__atomic_store_n(&sa->failed, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		/* the server owns sp[0] from here; the child closes its copy */
		if (srv && (rc = hs_server_add_fd(srv, sp[0]))) {
			snprintf(err, errlen, "policy server: %s", hs_strerror(rc));
			close(sp[1]);
			__atomic_store_n(&sa->failed, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		fd[gi] = spawn_group(ops, direct, sc, o, dur, &member[gi * n], sa,
				     sp, &pid[gi], err, errlen);
		if (fd[gi] < 0) {
			rc = HW_EIO;
			__atomic_store_n(&sa->failed, 1, __ATOMIC_SEQ_CST);
		} else {
			nproc++;
		}
	}
	/* the children's HELLOs wait in their sockets until this starts */
	if (srv && nproc) {
		if (pthread_create(&srv_thr, NULL, serve_main, srv)) {
			snprintf(err, errlen, "cannot start the policy server's thread");
			rc = HS_ENOMEM;
			__atomic_store_n(&sa->failed, 1, __ATOMIC_SEQ_CST);
		} else {
			srv_started = 1;
		}
	}
	/* all set up: one t0 for everyone, 20 ms ahead */
	struct guard gd;
	guard_init(&gd, o, pid, fd, ng, dur);
	while (!rc && __atomic_load_n(&sa->ready, __ATOMIC_SEQ_CST) < (int)nproc &&
	       !__atomic_load_n(&sa->failed, __ATOMIC_SEQ_CST) && !gd.why) {
		usleep(1000);
		guard_check(&gd);
		/* a child that died while setting up never becomes ready */
		for (size_t gi = 0; gi < ng; gi++)
			if (fd[gi] >= 0 && kill(pid[gi], 0) == 0 &&
			    waitpid(pid[gi], &status[gi], WNOHANG) == pid[gi]) {
				reaped[gi] = 1;
				__atomic_store_n(&sa->failed, 1, __ATOMIC_SEQ_CST);
			}
	}
	t0 = hw__now() + 20000000;
	gd.t0 = t0;
	if (!gd.why)
		gd.deadline = t0 + dur + gd.grace_ns;
	__atomic_store_n(&sa->t0, t0, __ATOMIC_SEQ_CST);
	wait_results(&gd);
	for (size_t gi = 0; gi < ng; gi++) {
		if (fd[gi] < 0)
			continue;
		char e2[512] = "";
		int crc = parent_recv(fd[gi], res, &ivs, tlm, e2, sizeof(e2));
		close(fd[gi]);
		if (!reaped[gi])
			waitpid(pid[gi], &status[gi], 0);
		if (crc && WIFSIGNALED(status[gi]))
			snprintf(e2, sizeof(e2), "a run process died of signal %d (%s)",
				 WTERMSIG(status[gi]), strsignal(WTERMSIG(status[gi])));
		if (crc && !rc) {
			rc = crc;
			snprintf(err, errlen, "%s", e2);
		}
	}
	if (gd.why == HS_EINTR) {
		rc = HS_EINTR;
		snprintf(err, errlen, "interrupted");
	} else if (gd.why) {
		rc = gd.why;
		snprintf(err, errlen, "watchdog: a run process had not finished %.0f s "
			 "after the run's window ended (a GPU stream that never "
			 "completes?); it was killed", (double)gd.grace_ns / 1e9);
	}
	/* one device timer for every context: the union over processes */
	res->gpu_busy_ns = hw__ivs_merge(&ivs);
	if (res->gpu_busy_ns > dur)
		res->gpu_busy_ns = dur;
out:
	if (srv_started) {
		/* every child has ended (its socket closed): the loop returns */
		void *src;
		pthread_join(srv_thr, &src);
		if ((intptr_t)src && !rc) {
			snprintf(err, errlen, "policy server: %s", hs_strerror((int)(intptr_t)src));
			rc = (int)(intptr_t)src;
		}
		if (!rc && hs_server_figures(srv, res)) {
			snprintf(err, errlen, "out of memory");
			rc = HS_ENOMEM;
		}
	}
	/* after the server's thread ended: its decisions are all in */
	if (!rc && o->timeline_path)
		rc = hw__tl_write(sc, res, o, t0, tlm, err, errlen);
	hw__tl_merge_free(tlm);
	hs_server_free(srv);
	hw__ivs_release(&ivs);
	if (sa != MAP_FAILED)
		munmap(sa, sizeof(*sa));
	free(member);
	free(pid);
	free(fd);
	free(status);
	free(reaped);
	return rc;
}

