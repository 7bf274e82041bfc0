/*
 * A fake device layer for the hw/ tests (struct hw_devops): each stream is
 * a host thread running its FIFO; a replay kernel sleeps spin_ns times its
 * number of waves (FAKE_OCC blocks per SM, FAKE_SMS SMs) and stamps its
 * start and end, unless the queue's flag (ctl->host[0]) is set at its
 * start: then it marks its abort slot and ends at once. Events complete in
 * stream order. Event timestamps (event_elapsed) and kernel execution
 * times (ctl->times) follow the stream's device clock (each kernel starts
 * at max(previous end, its submission) and lasts as planned), as a GPU's
 * timers would, however late the host thread wakes. Device 0 exists, no other.
 *
 * Faults to inject (fake_faults, set before the run; forked run processes
 * inherit them; counts are per process, from 1):
 *   kernel_fail_at  the Nth kernel launch call returns HW_EDEVICE
 *   event_wait_fail every event wait returns HW_EDEVICE
 *   kernel_hang_at  the Nth kernel never completes (its stream hangs)
 *   die_at          the process kills itself (SIGKILL) at the Nth launch
 */
#ifndef HIPSCHED_FAKE_HWDEV_H
#define HIPSCHED_FAKE_HWDEV_H

#include "dev_internal.h"

#define FAKE_SMS 4
#define FAKE_OCC 2

struct fake_faults {
	int kernel_fail_at, event_wait_fail, kernel_hang_at, die_at;
};
extern struct fake_faults fake_faults;

extern const struct hw_devops fake_hwdev_ops;
void fake_hwdev_info(void *dev, struct hw_devinfo *in);
/* Appends each replay kernel's submission time (hw__now(), when the host
 * enqueued it) to buf[*n], up to cap, from now on (*n reset to 0); NULL
 * stops. Not thread-safe against itself: one test at a time. */
void fake_hwdev_log(hs_ns *buf, size_t cap, size_t *n);

#endif
