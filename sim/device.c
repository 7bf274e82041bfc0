/*
 * Device profiles: INI files read with libinih (sim/devices/NAME.ini).
 */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "sim.h"

enum { F_NS, F_US, F_INT, F_BOOL };   /* F_US: integer us, kept in ns */
#define DEVICE_NS_MAX (60LL * 1000000000LL)

struct field {
	const char *key;
	int type;
	size_t off;
	int required;
};

#define NS(k) { #k, F_NS, offsetof(struct sim_device, k), 1 }
static const struct field fields[] = {
	{ "units", F_INT, offsetof(struct sim_device, units), 1 },
	NS(launch_ns), NS(sync_ns), NS(l2_deactivate_ns), NS(l2_relaunch_ns),
	{ "l2_abort_ns", F_NS, offsetof(struct sim_device, l2_abort_ns), 0 },
	NS(l3_interrupt_ns), NS(l3_restore_ns), NS(timeslice_ns),
	NS(ctx_switch_ns),
	{ "rolling_slices", F_BOOL, offsetof(struct sim_device, rolling_slices), 0 },
	{ "ctx_hold_ns", F_NS, offsetof(struct sim_device, ctx_hold_ns), 0 },
	{ "share_contexts", F_BOOL, offsetof(struct sim_device, share_contexts), 1 },
	{ "max_level", F_INT, offsetof(struct sim_device, max_level), 0 },
	{ "max_blocks_per_unit", F_INT, offsetof(struct sim_device, max_blocks_per_unit), 0 },
	{ "max_threads_per_unit", F_INT, offsetof(struct sim_device, max_threads_per_unit), 0 },
	{ "regs_per_unit", F_INT, offsetof(struct sim_device, regs_per_unit), 0 },
	{ "shmem_per_unit", F_INT, offsetof(struct sim_device, shmem_per_unit), 0 },
	{ "wake_late_p50_us", F_US, offsetof(struct sim_device, wake_late_p50_ns), 0 },
	{ "wake_late_p99_us", F_US, offsetof(struct sim_device, wake_late_p99_ns), 0 },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

struct load_ctx {
	struct sim_device *dev;
	int seen[NFIELDS];
	int seen_section;
	char msg[200];            /* first error, without the file:line */
};

static int parse_i64(const char *v, long long *out)
{
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || end == v || *end || x < 0)
		return -1;
	*out = x;
	return 0;
}

/* inih handler: returns 0 on error; ini_parse() then reports the line. */
static int on_kv(void *user, const char *section, const char *key,
		 const char *val)
{
	struct load_ctx *c = user;
	if (c->msg[0])
		return 1;          /* keep only the first error */
	if (strcmp(section, "device") != 0) {
		snprintf(c->msg, sizeof(c->msg), "unknown section [%s]", section);
		return 0;
	}
	c->seen_section = 1;
	if (strcmp(key, "name") == 0) {
		snprintf(c->dev->name, sizeof(c->dev->name), "%s", val);
		return 1;
	}
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct field *f = &fields[i];
		if (strcmp(key, f->key) != 0)
			continue;
		long long x;
		if (parse_i64(val, &x)) {
			snprintf(c->msg, sizeof(c->msg),
				 "%s: '%s' is not a non-negative integer", key, val);
			return 0;
		}
		char *p = (char *)c->dev + f->off;
		if (f->type == F_NS) {
			/* the simulator adds these to event times: a bound far
			 * above any device's (microseconds) keeps sums in range */
			if (x > DEVICE_NS_MAX) {
				snprintf(c->msg, sizeof(c->msg), "%s: %lld ns out of "
					 "range (at most %lld, 60 s)", key, x,
					 (long long)DEVICE_NS_MAX);
				return 0;
			}
			*(hs_ns *)p = x;
		} else if (f->type == F_US) {
			if (x > DEVICE_NS_MAX / 1000) {
				snprintf(c->msg, sizeof(c->msg), "%s: %lld us out of "
					 "range (at most %lld, 60 s)", key, x,
					 (long long)(DEVICE_NS_MAX / 1000));
				return 0;
			}
			*(hs_ns *)p = x * 1000;
		} else {
			if (x > 100000000 || (f->type == F_BOOL && x > 1)) {
				snprintf(c->msg, sizeof(c->msg),
					 "%s: %lld out of range", key, x);
				return 0;
			}
			*(int *)p = (int)x;
		}
		c->seen[i] = 1;
		return 1;
	}
	snprintf(c->msg, sizeof(c->msg), "unknown key '%s'", key);
	return 0;
}

int sim_device_load(const char *path, struct sim_device *dev, char *err,
		    size_t errlen)
{
	struct load_ctx c = { .dev = dev };
	memset(dev, 0, sizeof(*dev));
	dev->max_level = 3;
	int line = ini_parse(path, on_kv, &c);
	if (line < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 line == -1 ? strerror(errno) : "out of memory");
		return HS_EINVAL;
	}
	if (line > 0) {
		snprintf(err, errlen, "%s:%d: %s", path, line,
			 c.msg[0] ? c.msg : "syntax error");
		return HS_EINVAL;
	}
	if (!c.seen_section) {
		snprintf(err, errlen, "%s:1: no [device] section", path);
		return HS_EINVAL;
	}
	for (size_t i = 0; i < NFIELDS; i++)
		if (fields[i].required && !c.seen[i]) {
			snprintf(err, errlen, "%s:1: missing key '%s' in [device]",
				 path, fields[i].key);
			return HS_EINVAL;
		}
	if (dev->units < 1) {
		snprintf(err, errlen, "%s:1: units must be >= 1", path);
		return HS_EINVAL;
	}
	if (dev->max_level < 1 || dev->max_level > 3) {
		snprintf(err, errlen, "%s:1: max_level must be 1, 2 or 3", path);
		return HS_EINVAL;
	}
	if (dev->timeslice_ns < 1) {
		snprintf(err, errlen, "%s:1: timeslice_ns must be >= 1", path);
		return HS_EINVAL;
	}
	if (!dev->name[0])
		snprintf(dev->name, sizeof(dev->name), "%s", path);
	return HS_OK;
}

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Length of the folder part of path, including the '/'; 0 if none. */
static size_t dir_len(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;
	return s ? (size_t)(s - path + 1) : 0;
}

int sim_device_resolve(const char *device, const char *scenario_path,
		       char *path, size_t pathlen, char *err, size_t errlen)
{
	size_t dl = dir_len(scenario_path);
	size_t n = strlen(device);
	if (!n) {
		snprintf(err, errlen, "empty device name");
		return HS_EINVAL;
	}
	if (strchr(device, '/') || (n > 4 && strcmp(device + n - 4, ".ini") == 0)) {
		snprintf(path, pathlen, "%s", device);
		if (is_file(path))
			return HS_OK;
		if (device[0] != '/' && dl) {
			snprintf(path, pathlen, "%.*s%s", (int)dl, scenario_path, device);
			if (is_file(path))
				return HS_OK;
		}
		snprintf(err, errlen, "device profile '%s' not found", device);
		return HS_EINVAL;
	}
	const char *env = getenv("HIPSCHED_DEVICES");
	if (env && *env) {
		snprintf(path, pathlen, "%s/%s.ini", env, device);
		if (is_file(path))
			return HS_OK;
	}
	snprintf(path, pathlen, "sim/devices/%s.ini", device);
	if (is_file(path))
		return HS_OK;
	if (dl) {
		snprintf(path, pathlen, "%.*s../sim/devices/%s.ini", (int)dl,
			 scenario_path, device);
		if (is_file(path))
			return HS_OK;
	}
	snprintf(err, errlen, "unknown device '%s' (looked for %s.ini in "
		 "$HIPSCHED_DEVICES, sim/devices/ and the scenario's ../sim/devices/)",
		 device, device);
	return HS_EINVAL;
}
