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

__attribute__((constructor)) static void hw_errors_register(void)
{
	hs_err_register(HS_ERANGE_HW, sizeof(hw_messages) / sizeof(hw_messages[0]),
			hw_messages);
}

const char *hw_backend_name(void)
{
	return hw__platform;
}
