/*
 * How late a thread sleeping until an absolute time wakes: what a server
 * loop serving periodic arrivals sees (clock_nanosleep(CLOCK_MONOTONIC,
 * TIMER_ABSTIME) to each arrival, then the request starts). Prints the
 * P50 / P99 / max lateness of N sleeps (default 10000) at a period of
 * PERIOD_US (default 200 us), and the two lines to put in a device profile
 * for the simulator's `wake_late = auto` model (scenarios/scenario.h).
 *
 *   wake_late [N [PERIOD_US]]
 *
 * Run by `make bench`. The figure depends on the machine, its load and the
 * kernel's timer slack (50 us by default for normal threads): measure on
 * the host that runs the application.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* GSL's quantile of sorted data (linear between order statistics), as
 * run_quantiles: the same numbers the project's tables would give. */
static double quantile(const long long *v, size_t n, double q)
{
	double idx = q * (double)(n - 1);
	size_t lo = (size_t)idx;
	double f = idx - (double)lo;
	return lo + 1 < n ? (double)v[lo] * (1 - f) + (double)v[lo + 1] * f :
		(double)v[lo];
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
	long period_us = argc > 2 ? strtol(argv[2], NULL, 10) : 200;
	if (n < 2 || n > 10000000 || period_us < 1 || period_us > 1000000) {
		fprintf(stderr, "usage: wake_late [N (2..1e7) [PERIOD_US (1..1e6)]]\n");
		return 2;
	}
	long long *late = malloc((size_t)n * sizeof(*late));
	if (!late) {
		fprintf(stderr, "wake_late: out of memory\n");
		return 1;
	}
	long long t = now_ns() + 1000000;
	for (long i = 0; i < n; i++) {
		t += period_us * 1000LL;
		struct timespec ts = { .tv_sec = t / 1000000000LL,
				       .tv_nsec = t % 1000000000LL };
		int rc;
		while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == EINTR)
			;
		if (rc) {
			fprintf(stderr, "wake_late: clock_nanosleep: error %d\n", rc);
			free(late);
			return 1;
		}
		long long w = now_ns();
		late[i] = w - t;
		if (w > t)             /* woke past the next slot: skip ahead */
			while (t + period_us * 1000LL < w)
				t += period_us * 1000LL;
	}
	qsort(late, (size_t)n, sizeof(*late), cmp_ll);
	double p50 = quantile(late, (size_t)n, 0.5), p99 = quantile(late, (size_t)n, 0.99);
	printf("timer wake-up lateness, %ld sleeps to an absolute time every %ld us "
	       "(CLOCK_MONOTONIC):\n  P50 %.1f us  P99 %.1f us  max %.1f us\n",
	       n, period_us, p50 / 1e3, p99 / 1e3, (double)late[n - 1] / 1e3);
	printf("device profile lines ([device]):\n  wake_late_p50_us = %lld\n"
	       "  wake_late_p99_us = %lld\n", (long long)(p50 / 1e3 + 0.5),
	       (long long)(p99 / 1e3 + 0.5));
	free(late);
	return 0;
}
