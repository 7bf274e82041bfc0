/* The one table of error codes and their messages. */
#include "sched.h"

static const char *const messages[HS_ERR_COUNT_] = {
	[0] = "success",
	[-HS_ENOMEM] = "out of memory",
	[-HS_EINVAL] = "invalid argument",
	[-HS_ELEVEL] = "preemption level not supported by the backend",
	[-HS_ENOPOLICY] = "no such policy",
	[-HS_EEXIST] = "name already registered",
	[-HS_EBUSY] = "queue still has commands",
	[-HS_EPARAM] = "bad policy parameter",
	[-HS_EINTR] = "interrupted",
	[-HS_ELIMIT] = "more requests than a run keeps (SCENARIO_REQUESTS_MAX); "
		       "shorten the duration",
};

const char *hs_strerror(int err)
{
	if (err > 0 || -err >= HS_ERR_COUNT_)
		return "unknown error";
	return messages[-err];
}
