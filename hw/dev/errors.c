/* hw/'s block of the one error table (numbering in core/sched.h) and the
 * platform's name. */
#include "dev_internal.h"

static const char *const hw_messages[] = {
	[HS_ERANGE_HW - HW_ENOBACKEND] = "built without a GPU backend",
	[HS_ERANGE_HW - HW_ENODEV] = "no HIP device",
	[HS_ERANGE_HW - HW_EDEVICE] = "HIP call failed",
	[HS_ERANGE_HW - HW_ETRACE] = "cannot load the trace",
	[HS_ERANGE_HW - HW_EIO] = "cannot write the file",
};

HS_ERR_BLOCK(HS_ERANGE_HW, hw_messages);

const char *hw_backend_name(void)
{
	return hw__platform;
}
