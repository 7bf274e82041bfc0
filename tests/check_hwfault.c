/*
 * Faults on the GPU path, injected in the fake device (fake_hwdev.h): a
 * failing launch, a failing event synchronize, a stream that never
 * completes (the parent's watchdog), a run process that dies, and a signal
 * during a run. Each must end the run with a clear error, nothing hung:
 * every test has a timeout well below Check's.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "fake_hwdev.h"
#include "run_internal.h"
#include "serve.h"
#include "test_util.h"

static char tmpdir[256];

static const char *trace_csv =
	"request,seq,kind,name,stream,submit_ns,start_ns,end_ns,grid_x,grid_y,grid_z,"
	"block_x,block_y,block_z,shmem,regs,bytes\n"
	"0,0,kernel,a,7,0,10000,1010000,8,1,1,128,1,1,0,32,0\n"
	"0,1,kernel,b,7,100000,1010000,1510000,16,1,1,128,1,1,0,32,0\n";

static struct scenario *load(const char *body)
{
	char path[400], err[512];
	snprintf(path, sizeof(path), "%s/t.csv", tmpdir);
	test_write_file(path, trace_csv);
	snprintf(path, sizeof(path), "%s/s.ini", tmpdir);
	test_write_file(path, body);
	struct scenario *sc = scenario_load(path, err, sizeof(err));
	ck_assert_msg(sc != NULL, "scenario: %s", err);
	return sc;
}

static const char *one_tenant =
	"[scenario]\nduration = 200ms\n"
	"[tenant a]\ntrace = t.csv\narrival = closed\n";
/* a host held in its launch call (threshold 1) when the launch fails */
static const char *one_blocking =
	"[scenario]\nduration = 200ms\n[policy]\nname = hpf\nthreshold = 1\nbatch = 1\n"
	"[tenant a]\ntrace = t.csv\narrival = closed\nhost_launch = blocking\n";
static const char *two_processes =
	"[scenario]\nduration = 200ms\n[policy]\nname = hpf\n"
	"[tenant a]\ntrace = t.csv\npriority = 2\narrival = periodic\nrate = 50\n"
	"[tenant b]\ntrace = t.csv\npriority = 1\narrival = closed\nprocess = own\n";

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs body on the fake device with the faults f (direct: without the
 * scheduler); returns the code, the message in err, the seconds taken. */
static int run_with(const char *body, struct fake_faults f, int direct,
		    const volatile sig_atomic_t *stop, char *err, size_t len,
		    double *secs)
{
	test_mkdtemp(tmpdir, sizeof(tmpdir), "check_hwfault");
	struct scenario *sc = load(body);
	struct run_opts o = { .mode = "policy", .seed = 1, .stop = stop };
	struct run_result res = { 0 };
	fake_faults = f;
	err[0] = 0;
	double t0 = now_s();
	int rc = hw__run_with(&fake_hwdev_ops, direct, sc, &o, &res, err, len);
	*secs = now_s() - t0;
	memset(&fake_faults, 0, sizeof(fake_faults));
	run_result_release(&res);
	scenario_free(sc);
	test_rmtree(tmpdir);
	return rc;
}

START_TEST(test_launch_fails)
{
	char err[512];
	double s;
	struct fake_faults f = { .kernel_fail_at = 3 };
	for (int direct = 0; direct < 2; direct++) {
		int rc = run_with(one_tenant, f, direct, NULL, err, sizeof(err), &s);
		ck_assert_msg(rc != 0 && strstr(err, "kernel launch failed"),
			      "direct %d: rc %d: %s", direct, rc, err);
		ck_assert_double_lt(s, 5.0);
	}
	/* the failure must also wake a host waiting in a held launch */
	int rc = run_with(one_blocking, f, 0, NULL, err, sizeof(err), &s);
	ck_assert_msg(rc != 0 && strstr(err, "kernel launch failed"), "blocking: rc %d: %s",
		      rc, err);
	ck_assert_double_lt(s, 5.0);
}
END_TEST

START_TEST(test_event_sync_fails)
{
	char err[512];
	double s;
	struct fake_faults f = { .event_wait_fail = 1 };
	for (int direct = 0; direct < 2; direct++) {
		int rc = run_with(one_tenant, f, direct, NULL, err, sizeof(err), &s);
		ck_assert_msg(rc != 0 && strstr(err, "event synchronize failed"),
			      "direct %d: rc %d: %s", direct, rc, err);
		ck_assert_double_lt(s, 5.0);
	}
}
END_TEST

/* A kernel that never ends: the watchdog kills the run process
 * HIPSCHED_HW_WATCHDOG_S (1 s here) after the window. */
START_TEST(test_stream_hangs)
{
	char err[512];
	double s;
	setenv("HIPSCHED_HW_WATCHDOG_S", "1", 1);
	struct fake_faults f = { .kernel_hang_at = 2 };
	int rc = run_with(one_tenant, f, 0, NULL, err, sizeof(err), &s);
	ck_assert_msg(rc == HW_EDEVICE && strstr(err, "watchdog"), "rc %d: %s", rc, err);
	ck_assert_double_lt(s, 4.0);
	/* with the policy served to two processes, one of them hung */
	rc = run_with(two_processes, f, 0, NULL, err, sizeof(err), &s);
	ck_assert_msg(rc == HW_EDEVICE && strstr(err, "watchdog"), "rc %d: %s", rc, err);
	ck_assert_double_lt(s, 4.0);
	unsetenv("HIPSCHED_HW_WATCHDOG_S");
}
END_TEST

START_TEST(test_child_dies_mid_run)
{
	char err[512];
	double s;
	struct fake_faults f = { .die_at = 3 };
	int rc = run_with(one_tenant, f, 0, NULL, err, sizeof(err), &s);
	ck_assert_msg(rc == HW_EDEVICE && strstr(err, "signal 9"), "rc %d: %s", rc, err);
	rc = run_with(two_processes, f, 0, NULL, err, sizeof(err), &s);
	ck_assert_msg(rc == HW_EDEVICE && strstr(err, "signal 9"), "rc %d: %s", rc, err);
	ck_assert_double_lt(s, 5.0);
}
END_TEST

/* run_opts.stop turning on mid-run (what SIGINT / SIGTERM do through
 * cli_stop): the children are ended, the run returns HS_EINTR at once,
 * even when a child is hung in a stream that never completes. */
static volatile sig_atomic_t stop_flag;
static void *raise_stop(void *arg)
{
	usleep(150000);
	stop_flag = SIGINT;
	return NULL;
}

START_TEST(test_stop_mid_run)
{
	char err[512];
	double s;
	const char *longer =
		"[scenario]\nduration = 30s\n[policy]\nname = hpf\n"
		"[tenant a]\ntrace = t.csv\npriority = 2\narrival = periodic\nrate = 50\n"
		"[tenant b]\ntrace = t.csv\npriority = 1\narrival = closed\nprocess = own\n";
	struct fake_faults none = { 0 }, hang = { .kernel_hang_at = 2 };
	for (int k = 0; k < 2; k++) {
		pthread_t th;
		stop_flag = 0;
		pthread_create(&th, NULL, raise_stop, NULL);
		int rc = run_with(longer, k ? hang : none, 0, &stop_flag, err,
				  sizeof(err), &s);
		pthread_join(th, NULL);
		ck_assert_msg(rc == HS_EINTR, "%d: rc %d: %s", k, rc, err);
		ck_assert_double_lt(s, 4.0);
	}
}
END_TEST

/* A calibration profile's fit is bounded before it scales replay times. */
START_TEST(test_calibration_bounds)
{
	test_mkdtemp(tmpdir, sizeof(tmpdir), "check_hwfault");
	char p[400], err[512];
	struct hw_calib c;
	static const char *const bad[] = {
		"# hw: fit_offset_ns = inf\n# hw: fit_slope = 1\n",
		"# hw: fit_offset_ns = 0\n# hw: fit_slope = 1e300\n",
		"# hw: fit_offset_ns = nan\n# hw: fit_slope = 1\n",
	};
	snprintf(p, sizeof(p), "%s/cal.ini", tmpdir);
	for (size_t i = 0; i < 3; i++) {
		test_write_file(p, bad[i]);
		ck_assert_int_eq(hw_calib_load(p, &c, err, sizeof(err)), HS_EINVAL);
		ck_assert_msg(strstr(err, "cal.ini:"), "%s", err);
	}
	test_write_file(p, "# hw: fit_offset_ns = 1200\n# hw: fit_slope = 1.02\n");
	ck_assert_int_eq(hw_calib_load(p, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(hw_calib_load(tmpdir, &c, err, sizeof(err)), HS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "is a directory"));
	test_rmtree(tmpdir);
}
END_TEST

/* Found by fuzz_wire (tests/fixtures/wire/crash_deadline_overflow.bin): a
 * client's relative SLO from HELLO plus the sent_ns of its LOAD, both from
 * the wire, overflowed int64 in the server. The sum now saturates: the
 * queue has no deadline instead of one wrapped into the past. */
static void *serve_thread(void *arg)
{
	return (void *)(intptr_t)hs_server_run(arg, 0);
}

START_TEST(test_server_deadline_overflow)
{
	test_mkdtemp(tmpdir, sizeof(tmpdir), "check_hwfault");
	char sock[300], err[256];
	snprintf(sock, sizeof(sock), "%s/s.sock", tmpdir);
	struct hs_server *srv;
	struct hs_server_opts so = { .policy = "edf" };
	ck_assert_int_eq(hs_server_create(&so, &srv, err, sizeof(err)), 0);
	ck_assert_msg(hs_server_listen(srv, sock, -1, err, sizeof(err)) == 0, "%s", err);
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, serve_thread, srv), 0);
	int fd = hs_connect(sock);
	ck_assert_int_ge(fd, 0);
	struct hs_msg m;
	hs_msg_init(&m, HS_OP_HELLO);
	m.u.hello.version = HS_PROTO_VERSION;
	m.u.hello.level = 1;
	m.u.hello.slo_ns = INT64_MAX - 1000;
	snprintf(m.u.hello.name, sizeof(m.u.hello.name), "big");
	ck_assert_int_eq(hs_msg_send(fd, &m), 0);
	ck_assert_int_gt(hs_msg_recv(fd, &m, 0), 0);
	ck_assert_int_eq(m.h.op, HS_OP_WELCOME);
	hs_msg_init(&m, HS_OP_JOIN);
	m.u.join.qid = 0;
	m.u.join.priority = HS_PRIO_DEFAULT;
	m.u.join.level = 1;
	ck_assert_int_eq(hs_msg_send(fd, &m), 0);
	hs_msg_init(&m, HS_OP_LOAD);
	m.u.load.qid = 0;
	m.u.load.pending = 1;
	m.u.load.deadline_ns = INT64_MAX;     /* none of its own */
	m.u.load.sent_ns = INT64_MAX - 5;
	ck_assert_int_eq(hs_msg_send(fd, &m), 0);
	int64_t dl = 0;
	for (int i = 0; i < 200 && !dl; i++) {
		struct hs_status st;
		usleep(5000);
		if (hs_ctl_status(sock, &st, err, sizeof(err)) == 0) {
			for (size_t k = 0; k < st.n; k++)
				if (strcmp(st.q[k].name, "big") == 0 && st.q[k].pending)
					dl = st.q[k].deadline_ns;
			hs_status_release(&st);
		}
	}
	ck_assert_int_eq(dl, INT64_MAX);
	close(fd);
	hs_server_stop(srv);
	pthread_join(th, NULL);
	hs_server_free(srv);
	test_rmtree(tmpdir);
}
END_TEST

Suite *hwfault_suite(void)
{
	Suite *s = suite_create("hwfault");
	TCase *tc = tcase_create("faults");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_launch_fails);
	tcase_add_test(tc, test_event_sync_fails);
	tcase_add_test(tc, test_stream_hangs);
	tcase_add_test(tc, test_child_dies_mid_run);
	tcase_add_test(tc, test_stop_mid_run);
	tcase_add_test(tc, test_calibration_bounds);
	tcase_add_test(tc, test_server_deadline_overflow);
	suite_add_tcase(s, tc);
	return s;
}
