/*
 * The ceiling for the simulator's event loop: a minimal binary-heap event
 * loop with nothing around it. `pending` events ordered by (time, seq);
 * each pop schedules one new event a pseudo-random delay later, as a
 * simulation in steady state does. Prints events per wall second; `make
 * bench` sets the simulator's events/s against it.
 *
 * usage: sim_ceiling [EVENTS [PENDING]]   (defaults 20000000, 64)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct ev {
	int64_t t;
	uint64_t seq;
};

static inline int before(const struct ev *a, const struct ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void push(struct ev *h, size_t *n, struct ev x)
{
	size_t i = (*n)++;
	while (i > 0 && before(&x, &h[(i - 1) / 2])) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = x;
}

static struct ev pop(struct ev *h, size_t *n)
{
	struct ev top = h[0], x = h[--*n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && before(&h[c + 1], &h[c]))
			c++;
		if (!before(&h[c], &x))
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = x;
	return top;
}

int main(int argc, char **argv)
{
	long long events = argc > 1 ? atoll(argv[1]) : 20000000;
	long pending = argc > 2 ? atol(argv[2]) : 64;
	if (events <= 0 || pending <= 0) {
		fprintf(stderr, "usage: sim_ceiling [EVENTS [PENDING]]\n");
		return 2;
	}
	struct ev *h = malloc((size_t)pending * sizeof(*h));
	if (!h)
		return 1;
	size_t n = 0;
	uint64_t seq = 0, x = 88172645463325252ull, sum = 0;
	for (long i = 0; i < pending; i++)
		push(h, &n, (struct ev){ (int64_t)(i * 1000), seq++ });
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long long k = 0; k < events; k++) {
		struct ev e = pop(h, &n);
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;       /* xorshift64 */
		sum += (uint64_t)e.t;
		push(h, &n, (struct ev){ e.t + (int64_t)(x % 20000), seq++ });
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double w = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
	printf("ceiling: %.2f M events/s (%lld events, %ld pending, check %llu)\n",
	       (double)events / w / 1e6, events, pending, (unsigned long long)(sum & 0xff));
	free(h);
	return 0;
}
