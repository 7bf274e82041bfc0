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

/* Parses "key" of params as a positive number into *out (unchanged when
 * absent). Returns 0, or HS_EPARAM with a message naming the key. */
int policy__param_double(const struct hs_param *params, size_t n,
			 const char *key, double *out, char *err, size_t errlen);
/* HS_EPARAM naming the first key not in `known` (NULL-ended), else 0. */
int policy__check_keys(const char *policy, const struct hs_param *params,
		       size_t n, const char *const *known, char *err,
		       size_t errlen);

#endif
