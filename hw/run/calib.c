/*
 * Calibration of the replay kernels and of the device's latencies, and the
 * device profile it writes.
 *
 * A replay kernel asked to spin for D takes a little more than D between
 * two events (block scheduling, the kernel's launch processing, timer
 * granularity): measured earlier on the H100, a 100 us spin over 132
 * blocks ran 106-108 us. The calibration runs replay kernels of several
 * sizes and durations back to back, fits measured = offset + slope *
 * requested (least squares, GSL), and hw_run then requests
 * (want - offset) / slope.
 *
 * The profile is the simulator's format (sim/devices/NAME.ini, a [device]
 * section; sim/device.c rejects unknown sections and keys), so the fit and
 * the raw points travel in comment lines "# hw: key = value" that inih
 * skips and hw_calib_load reads.
 */
#include <assert.h>
#include <errno.h>
#include <gsl/gsl_fit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "run_internal.h"

/* ---- the fit --------------------------------------------------------------- */
int hw_calib_fit(struct hw_calib *c)
{
	if (c->npts < 2)
		return HS_EINVAL;
	double x[HW_CALIB_MAXPTS], y[HW_CALIB_MAXPTS];
	for (size_t i = 0; i < c->npts; i++) {
		x[i] = (double)c->pt[i].req_ns;
		y[i] = (double)c->pt[i].meas_ns;
	}
	double c0, c1, cov00, cov01, cov11, sumsq;
	if (gsl_fit_linear(x, 1, y, 1, c->npts, &c0, &c1, &cov00, &cov01, &cov11, &sumsq))
		return HS_EINVAL;
	double mean = 0, tss = 0;
	for (size_t i = 0; i < c->npts; i++)
		mean += y[i];
	mean /= (double)c->npts;
	for (size_t i = 0; i < c->npts; i++)
		tss += (y[i] - mean) * (y[i] - mean);
	if (c1 <= 0)
		return HS_EINVAL;
	c->fit_offset_ns = c0;
	c->fit_slope = c1;
	c->fit_r2 = tss > 0 ? 1.0 - sumsq / tss : 1.0;
	return HS_OK;
}

hs_ns hw_calib_correct(const struct hw_calib *c, hs_ns want_ns)
{
	if (!c || c->fit_slope <= 0)
		return want_ns;
	double v = ((double)want_ns - c->fit_offset_ns) / c->fit_slope;
	return v > 0 ? (hs_ns)llround(v) : 0;
}

int hw__kernel_shape(const struct hw_devops *ops, void *dev,
		     const struct hw_devinfo *in, const uint32_t grid[3],
		     const uint32_t block[3], int64_t shmem, hs_ns dur_ns,
		     const struct hw_calib *cal, struct hw_kernel *out)
{
	memset(out, 0, sizeof(*out));
	uint64_t blocks = 1;
	for (int d = 0; d < 3; d++) {
		uint32_t g = grid[d] ? grid[d] : 1;
		if (d > 0 && g > 65535)
			g = 65535;
		out->grid[d] = g;
		out->block[d] = block[d] ? block[d] : 1;
		blocks *= g;
	}
	unsigned threads = out->block[0] * out->block[1] * out->block[2];
	unsigned maxt = in->max_threads > 0 ? (unsigned)in->max_threads : 1024;
	if (threads > maxt || out->block[2] > 64) {
		out->block[0] = maxt;
		out->block[1] = out->block[2] = 1;
		threads = maxt;
	}
	size_t maxs = in->max_shmem > 64 ? in->max_shmem - 64 : 0;
	out->shmem = shmem > 0 ? (uint32_t)((size_t)shmem > maxs ? maxs : (size_t)shmem) : 0;
	int occ = hw__dev_occupancy(ops, dev, threads, out->shmem);
	if (occ < 0)
		return occ;
	uint64_t per_wave = (uint64_t)occ * (uint64_t)(in->sms > 0 ? in->sms : 1);
	uint64_t waves = (blocks + per_wave - 1) / per_wave;
	hs_ns total = hw_calib_correct(cal, dur_ns);
	out->spin_ns = total / (hs_ns)(waves ? waves : 1);
	return HS_OK;
}

/* ---- measuring ----------------------------------------------------------------- */
#define REPS 101

static hs_ns median(const hs_ns *v, size_t n)
{
	double d[REPS], q = 0.5, m;
	assert(n <= REPS);
	for (size_t i = 0; i < n; i++)
		d[i] = (double)v[i];
	run_quantiles(d, n, &q, &m, 1);
	return n ? (hs_ns)llround(m) : 0;
}

#define BATCH 10

struct meas {
	const struct hw_devops *ops;
	void *dev, *st, *e0, *e1;
	struct hw_ctl ctl;
};

/* Back to back: `n` kernels between two timing events; ns per kernel. */
static int timed(struct meas *m, const struct hw_kernel *k, int n, hs_ns *per)
{
	const struct hw_devops *o = m->ops;
	int rc = hw__dev_event_record(o, m->dev, m->e0, m->st);
	for (int i = 0; i < n && !rc; i++)
		rc = hw__dev_kernel(o, m->dev, m->st, k, &m->ctl, -1);
	if (!rc)
		rc = hw__dev_event_record(o, m->dev, m->e1, m->st);
	if (!rc)
		rc = hw__dev_event_wait(o, m->dev, m->e1);
	double ms = 0;
	if (!rc)
		rc = hw__dev_event_elapsed(o, m->dev, m->e0, m->e1, &ms);
	*per = (hs_ns)llround(ms * 1e6 / n);
	return rc;
}

int hw__calibrate_with(const struct hw_devops *o, int device, struct hw_calib *c,
		       char *err, size_t errlen)
{
	struct meas m = { .ops = o };
	hs_ns v[REPS];
	int rc = hw__dev_open(o, device, &m.dev, err, errlen);
	if (rc)
		return rc;
	memset(c, 0, sizeof(*c));
	struct hw_devinfo in;
	hw__dev_info(o, m.dev, &in);
	snprintf(c->device, sizeof(c->device), "%s", in.name);
	c->sms = in.sms;
	c->prio_lo = in.prio_lo;
	c->prio_hi = in.prio_hi;
	if ((rc = hw__dev_stream_create(o, m.dev, 0, &m.st)) ||
	    (rc = hw__dev_ctl_alloc(o, m.dev, &m.ctl)) ||
	    (rc = hw__dev_event_create(o, m.dev, 1, &m.e0)) ||
	    (rc = hw__dev_event_create(o, m.dev, 1, &m.e1)))
		goto fail;

	struct hw_kernel empty = { { 1, 1, 1 }, { 32, 1, 1 }, 0, 0 };
	hs_ns per;
	for (int i = 0; i < 20 && !rc; i++)          /* warm up */
		rc = timed(&m, &empty, BATCH, &per);
	/* host cost of one launch call */
	for (int i = 0; i < REPS && !rc; i++) {
		hs_ns t = hw__now();
		rc = hw__dev_kernel(o, m.dev, m.st, &empty, &m.ctl, -1);
		v[i] = hw__now() - t;
		if (!rc)
			rc = hw__dev_stream_sync(o, m.dev, m.st);
	}
	c->launch_ns = median(v, REPS);
	/* sync: event on an idle stream, recorded and waited for */
	for (int i = 0; i < REPS && !rc; i++) {
		hs_ns t = hw__now();
		rc = hw__dev_event_record(o, m.dev, m.e1, m.st);
		if (!rc)
			rc = hw__dev_event_wait(o, m.dev, m.e1);
		v[i] = hw__now() - t;
	}
	c->sync_ns = median(v, REPS);
	/* round trip of an empty kernel */
	for (int i = 0; i < REPS && !rc; i++) {
		hs_ns t = hw__now();
		rc = hw__dev_kernel(o, m.dev, m.st, &empty, &m.ctl, -1);
		if (!rc)
			rc = hw__dev_event_record(o, m.dev, m.e1, m.st);
		if (!rc)
			rc = hw__dev_event_wait(o, m.dev, m.e1);
		v[i] = hw__now() - t;
	}
	hs_ns rt = median(v, REPS);
	/* per-kernel cost back to back */
	for (int i = 0; i < 21 && !rc; i++)
		rc = timed(&m, &empty, 100, &v[i]);
	c->kernel_gap_ns = median(v, 21);
	c->roundtrip_ns = rt;
	c->launch_to_start_ns = rt - c->launch_ns - c->sync_ns;
	if (c->launch_to_start_ns < 0)
		c->launch_to_start_ns = 0;
	if (rc)
		goto fail;

	/* replay accuracy: grids of 1 block, one block per SM, one full wave,
	 * four waves; 256 threads */
	int occ = hw__dev_occupancy(o, m.dev, 256, 0);
	if (occ < 0) {
		rc = occ;
		goto fail;
	}
	const unsigned grids[] = { 1, (unsigned)in.sms, (unsigned)(in.sms * occ),
				   (unsigned)(4 * in.sms * occ) };
	const hs_ns durs[] = { 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000 };
	for (size_t gi = 0; gi < 4; gi++) {
		for (size_t di = 0; di < sizeof(durs) / sizeof(durs[0]); di++) {
			uint32_t gr[3] = { grids[gi], 1, 1 }, bl[3] = { 256, 1, 1 };
			struct hw_kernel k;
			if ((rc = hw__kernel_shape(o, m.dev, &in, gr, bl, 0, durs[di], NULL, &k)))
				goto fail;
			int nrep = durs[di] >= 500000 ? 5 : 9;
			for (int r = 0; r < nrep && !rc; r++)
				rc = timed(&m, &k, BATCH, &v[r]);
			if (rc)
				goto fail;
			struct hw_calib_point *p = &c->pt[c->npts++];
			p->blocks = grids[gi];
			p->req_ns = durs[di];
			p->meas_ns = median(v, (size_t)nrep);
		}
	}
	if (hw_calib_fit(c)) {
		snprintf(err, errlen, "calibration: the fit failed (slope <= 0)");
		rc = HS_EINVAL;
		goto fail;
	}
	hw__dev_event_destroy(o, m.dev, m.e0);
	hw__dev_event_destroy(o, m.dev, m.e1);
	hw__dev_ctl_free(o, m.dev, &m.ctl);
	hw__dev_stream_destroy(o, m.dev, m.st);
	hw__dev_close(o, m.dev);
	return HS_OK;
fail:
	if (rc && !err[0])
		snprintf(err, errlen, "calibration: %s", hw__dev_error(o, m.dev));
	if (m.e0)
		hw__dev_event_destroy(o, m.dev, m.e0);
	if (m.e1)
		hw__dev_event_destroy(o, m.dev, m.e1);
	if (m.ctl.host)
		hw__dev_ctl_free(o, m.dev, &m.ctl);
	if (m.st)
		hw__dev_stream_destroy(o, m.dev, m.st);
	hw__dev_close(o, m.dev);
	return rc;
}

int hw_calibrate(int device, struct hw_calib *out, char *err, size_t errlen)
{
	if (!hw__devops) {
		snprintf(err, errlen, "this hipsched was built without a GPU backend "
			 "(rebuild with make HW=nvidia or make HW=amd)");
		return HW_ENOBACKEND;
	}
	err[0] = 0;
	return hw__calibrate_with(hw__devops, device, out, err, errlen);
}

/* ---- the profile ------------------------------------------------------------------- */
/* Copies the [device] keys of `base` that the calibration does not measure
 * (every key but name, units, launch_ns, sync_ns, l2_*). */
static int copy_base(FILE *f, const char *base, char *err, size_t errlen)
{
	static const char *const own[] = { "name", "units", "launch_ns", "sync_ns",
					   "l2_deactivate_ns", "l2_relaunch_ns" };
	FILE *b = fopen(base, "r");
	if (!b) {
		snprintf(err, errlen, "%s: %s", base, strerror(errno));
		return HW_EIO;
	}
	char line[512];
	int in_dev = 0;
	fprintf(f, "# not measured by the calibration: from %s\n", base);
	while (fgets(line, sizeof(line), b)) {
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[') {
			in_dev = strncmp(p, "[device]", 8) == 0;
			continue;
		}
		if (!in_dev || *p == '#' || *p == ';' || *p == '\n' || !*p)
			continue;
		size_t klen = strcspn(p, " \t=");
		int mine = 0;
		for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
			if (strlen(own[i]) == klen && strncmp(p, own[i], klen) == 0)
				mine = 1;
		if (!mine)
			fputs(p, f);
	}
	fclose(b);
	return HS_OK;
}

int hw_calib_write(const struct hw_calib *c, const char *path, const char *base,
		   char *err, size_t errlen)
{
	struct trace_out out;
	struct trace_err te;
	if (trace_out_open(&out, path, &te)) {
		snprintf(err, errlen, "%s", te.msg);
		return HW_EIO;
	}
	FILE *f = out.f;
	time_t now = time(NULL);
	char when[64];
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	fprintf(f, "# Device profile measured by `hipsched hw calibrate` (%s backend),\n"
		"# %s. The [device] keys are the simulator's (sim/device.c); the\n"
		"# '# hw:' lines are the replay-kernel calibration hw_run applies\n"
		"# (HIPSCHED_CALIB=this file) and the raw points it was fitted to.\n"
		"# Keys not measured here (l3_*, timeslice_ns, ctx_switch_ns,\n"
		"# share_contexts) come from `--base PROFILE` or are left out.\n",
		hw__platform, when);
	fprintf(f, "[device]\nname = %s\nunits = %d\n", c->device, c->sms);
	fprintf(f, "# launch call -> kernel visible to the stream (round trip of an\n"
		"# empty kernel minus the launch call and the sync)\n");
	fprintf(f, "launch_ns = %lld\n", (long long)c->launch_to_start_ns);
	fprintf(f, "# event recorded on an idle stream -> host woken\n");
	fprintf(f, "sync_ns = %lld\n", (long long)c->sync_ns);
	fprintf(f, "# Level 2 on replay kernels: a flag in device memory and a\n"
		"# drain event (as sync); relaunch = launch calls\n");
	fprintf(f, "l2_deactivate_ns = %lld\n", (long long)c->sync_ns);
	fprintf(f, "l2_relaunch_ns = %lld\n", (long long)c->launch_ns);
	if (base && copy_base(f, base, err, errlen)) {
		trace_out_close(&out, 0, &te);
		return HW_EIO;
	}
	fprintf(f, "# hw: launch_call_ns = %lld\n", (long long)c->launch_ns);
	fprintf(f, "# hw: roundtrip_ns = %lld\n", (long long)c->roundtrip_ns);
	fprintf(f, "# hw: kernel_gap_ns = %lld\n", (long long)c->kernel_gap_ns);
	fprintf(f, "# hw: stream_priorities = %d %d\n", c->prio_lo, c->prio_hi);
	fprintf(f, "# hw: fit_offset_ns = %.1f\n", c->fit_offset_ns);
	fprintf(f, "# hw: fit_slope = %.6f\n", c->fit_slope);
	fprintf(f, "# hw: fit_r2 = %.6f\n", c->fit_r2);
	fprintf(f, "# hw: points = blocks requested_ns measured_ns (10 back to back, median)\n");
	for (size_t i = 0; i < c->npts; i++)
		fprintf(f, "# hw: point = %u %lld %lld\n", c->pt[i].blocks,
			(long long)c->pt[i].req_ns, (long long)c->pt[i].meas_ns);
	if (trace_out_close(&out, 1, &te)) {
		snprintf(err, errlen, "%s", te.msg);
		return HW_EIO;
	}
	return HS_OK;
}

int hw_calib_load(const char *path, struct hw_calib *c, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return HW_EIO;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory, not a calibration profile",
			 path);
		fclose(f);
		return HS_EINVAL;
	}
	memset(c, 0, sizeof(*c));
	char line[512];
	long ln = 0;
	int have_off = 0, have_slope = 0;
	while (fgets(line, sizeof(line), f)) {
		ln++;
		char key[64];
		double a;
		if (strncmp(line, "# hw:", 5) != 0)
			continue;
		if (sscanf(line + 5, " %63s = %lf", key, &a) != 2)
			continue;
		if (strcmp(key, "fit_offset_ns") == 0) {
			/* replay durations are (requested - offset) / slope,
			 * converted to integer ns: both bounded */
			if (!(a > -1e9 && a < 1e9)) {
				snprintf(err, errlen, "%s:%ld: fit_offset_ns must lie "
					 "within +-1e9 ns", path, ln);
				fclose(f);
				return HS_EINVAL;
			}
			c->fit_offset_ns = a;
			have_off = 1;
		} else if (strcmp(key, "fit_slope") == 0) {
			if (!(a > 1e-3 && a < 1e3)) {
				snprintf(err, errlen, "%s:%ld: fit_slope must lie within "
					 "0.001 and 1000", path, ln);
				fclose(f);
				return HS_EINVAL;
			}
			c->fit_slope = a;
			have_slope = 1;
		} else if (strcmp(key, "fit_r2") == 0) {
			c->fit_r2 = a;
		}
	}
	fclose(f);
	if (!have_off || !have_slope) {
		snprintf(err, errlen, "%s:%ld: no '# hw: fit_offset_ns' / '# hw: fit_slope' "
			 "lines (write one with hipsched hw calibrate -o FILE)", path, ln);
		return HS_EINVAL;
	}
	return HS_OK;
}
