/*
 * The simulator-only build (HW empty): no device layer. hw_run and
 * hw_calibrate then return HW_ENOBACKEND and `hipsched hw` says the binary
 * was built without a GPU backend.
 */
#include "dev_internal.h"

const struct hw_devops *const hw__devops = NULL;
const char *const hw__platform = "none";
