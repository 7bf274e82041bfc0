/* Internals of core/: never included from outside the folder. */
#ifndef HIPSCHED_SCHED_INTERNAL_H
#define HIPSCHED_SCHED_INTERNAL_H

#include "sched.h"

/* Built-in policies, one file each. */
extern const struct policy_ops policy_native;
extern const struct policy_ops policy_streamprio;
extern const struct policy_ops policy_hpf;
extern const struct policy_ops policy_edf;
extern const struct policy_ops policy_bp;
extern const struct policy_ops policy_lax;
extern const struct policy_ops policy_kedf;
extern const struct policy_ops policy_cfs;
extern const struct policy_ops policy_up;
extern const struct policy_ops policy_pup;
extern const struct policy_ops policy_mlfq;
extern const struct policy_ops policy_awf;

/* Parses "key" of params as a positive number into *out (unchanged when
 * absent). Returns 0, or HS_EPARAM with a message naming the key. */
int policy__param_double(const struct hs_param *params, size_t n,
			 const char *key, double *out, char *err, size_t errlen);
/* HS_EPARAM naming the first key not in `known` (NULL-ended), else 0. */
int policy__check_keys(const char *policy, const struct hs_param *params,
		       size_t n, const char *const *known, char *err,
		       size_t errlen);

/* Parses "key" as an integer in [min, max] into *out (unchanged when
 * absent). Returns 0, or HS_EPARAM with a message naming the key. */
int policy__param_uint(const struct hs_param *params, size_t n,
		       const char *key, unsigned min, unsigned max,
		       unsigned *out, char *err, size_t errlen);

/* Per-queue state of a policy, indexed by queue id and grown (zeroed) on
 * first sight of an id: ids are small and dense (xq_create numbers them).
 * Zero-initialise the struct with elem set; release frees the array. */
struct policy_slots {
	void *a;
	size_t n;              /* slots allocated */
	size_t elem;           /* bytes per slot */
};
/* The slot of queue `id`, or NULL when out of memory (the policy then
 * treats the queue as new on every call). O(1) amortised. */
void *policy__slot(struct policy_slots *t, int id);
void policy__slots_release(struct policy_slots *t);

/* linger (hpf, edf): a queue still counts as busy for ns after it went
 * idle, so that the host gaps of an eager application between its kernels
 * do not hand the GPU to other queues and back (policy.c). Zero-initialise;
 * ns <= 0: busy means ready. */
struct policy_linger {
	hs_ns ns;
	struct policy_slots until;   /* hs_ns by queue id: INT64_MAX while ready, 0 never */
	int lift;                    /* hpf's "lift" (0 or 1) */
};
/* The whole state of a policy whose parameters are linger and, when
 * `lift` is nonzero, lift (hpf; on unless lift=0 is given; edf has none):
 * refuses other keys (naming `policy`), reads "linger" (ms) and "lift"
 * (0 or 1), allocates *state;
 * HS_OK or the error. policy__linger_free is its fini. */
int policy__linger_new(const char *policy, const struct hs_param *params,
		       size_t n, int lift, void **state, char *err, size_t errlen);
void policy__linger_free(void *state);
/* Whether q counts as busy at now; lowers *next to the earliest linger end
 * (for sched_timer()). */
int policy__busy(struct policy_linger *l, const struct xq_status *q, hs_ns now,
		 hs_ns *next);

/* A zeroed scratch array of n bytes kept in t (elem 1), or NULL when out
 * of memory. */
unsigned char *policy__run_buf(struct policy_slots *t, size_t n);
/* Resumes the queues of st whose run[i] is set and suspends the others
 * (i indexes st->q). run NULL (a policy out of memory) resumes every
 * queue: a policy that cannot decide must not leave work stuck. */
void policy__apply(struct sched *s, const struct sched_status *st,
		   const unsigned char *run);

/* edf's order (policy_edf.c), kedf's too: earlier absolute deadline (none
 * = after every deadline), then higher priority, then lower id. */
int policy__deadline_before(const struct xq_status *a, const struct xq_status *b);

/* The shared machine of up and pup (policy_up.c): partition by queue
 * (by_process 0) or by xq_status.group (1). */
int up__init(const char *name, const struct hs_param *params, size_t n,
	     void **state, char *err, size_t errlen);
void up__sched(struct sched *s, void *state, const struct sched_status *st);
void up__fini(void *state);

#endif
