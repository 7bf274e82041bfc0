/* The one table of error codes and their messages: the core's block here,
 * the other modules' blocks registered (numbering in sched.h). */
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
};

static struct {
	const char *const *msg;
	size_t n;
} blocks[HS_ERANGE_MAX_ + 1];   /* [k]: codes -100k .. -100k - 99 */

int hs_err_register(int base, size_t n, const char *const *msg)
{
	if (base > -HS_ERANGE_SIZE || base % HS_ERANGE_SIZE ||
	    -base / HS_ERANGE_SIZE > HS_ERANGE_MAX_ || !msg || !n ||
	    n > HS_ERANGE_SIZE)
		return HS_EINVAL;
	int k = -base / HS_ERANGE_SIZE;
	if (blocks[k].msg)
		return blocks[k].msg == msg && blocks[k].n == n ? HS_OK : HS_EEXIST;
	blocks[k].msg = msg;
	blocks[k].n = n;
	return HS_OK;
}

const char *hs_strerror(int err)
{
	if (err > 0 || err <= -(HS_ERANGE_MAX_ + 1) * HS_ERANGE_SIZE)
		return "unknown error";
	if (-err < HS_ERR_COUNT_)
		return messages[-err];
	int k = -err / HS_ERANGE_SIZE, i = -err % HS_ERANGE_SIZE;
	if (k > HS_ERANGE_MAX_ || !blocks[k].msg || (size_t)i >= blocks[k].n ||
	    !blocks[k].msg[i])
		return "unknown error";
	return blocks[k].msg[i];
}
