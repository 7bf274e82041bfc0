/*
 * Tests of the GPU-free parts of hw/ with no device at all: the calibration
 * fit and its inverse, the device profile writer / reader, the interval
 * union behind the GPU busy time, the stream priority mapping, and the
 * clean refusal of a build without a GPU backend (or, in a HW build, of a
 * device that does not exist).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "run_internal.h"
#include "test_util.h"

static char tmpdir[256];


START_TEST(test_no_backend_refuses)
{
	char err[256] = "";
	struct hw_calib c;
	if (hw__devops) {
		/* a HW build: a device that does not exist is refused cleanly */
		int rc = hw_calibrate(999, &c, err, sizeof(err));
		ck_assert_int_eq(rc, HW_ENODEV);
		ck_assert_ptr_nonnull(strstr(err, "no HIP device"));
		return;
	}
	ck_assert_str_eq(hw_backend_name(), "none");
	ck_assert_int_eq(hw_calibrate(0, &c, err, sizeof(err)), HW_ENOBACKEND);
	ck_assert_ptr_nonnull(strstr(err, "without a GPU backend"));
	struct scenario sc = { .name = "x" };
	struct run_opts o = { 0 };
	struct run_result res = { 0 };
	ck_assert_int_eq(hw_run(&sc, &o, &res, err, sizeof(err)), HW_ENOBACKEND);
	ck_assert_str_eq(hs_strerror(HW_ENOBACKEND), "built without a GPU backend");
	ck_assert_str_eq(hs_strerror(HW_ENODEV), "no HIP device");
	ck_assert_str_eq(hs_strerror(HS_ENOMEM), "out of memory");
	run_result_release(&res);
}
END_TEST

START_TEST(test_calib_fit_and_correct)
{
	struct hw_calib c;
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(hw_calib_fit(&c), HS_EINVAL);
	for (int i = 0; i < 8; i++) {
		c.pt[i].blocks = 132;
		c.pt[i].req_ns = 10000 * (i + 1);
		c.pt[i].meas_ns = 3000 + (hs_ns)(1.05 * 10000 * (i + 1));
	}
	c.npts = 8;
	ck_assert_int_eq(hw_calib_fit(&c), 0);
	ck_assert(fabs(c.fit_offset_ns - 3000) < 1);
	ck_assert(fabs(c.fit_slope - 1.05) < 1e-6);
	ck_assert(c.fit_r2 > 0.999999);
	ck_assert_int_eq(hw_calib_correct(&c, 3000 + 105000), 100000);
	ck_assert_int_eq(hw_calib_correct(&c, 1000), 0);        /* below the offset */
	ck_assert_int_eq(hw_calib_correct(NULL, 1234), 1234);
}
END_TEST

START_TEST(test_calib_profile_roundtrip)
{
	test_mkdtemp(tmpdir, sizeof(tmpdir), "check_hwcalib");
	struct hw_calib c, d;
	memset(&c, 0, sizeof(c));
	snprintf(c.device, sizeof(c.device), "NVIDIA H100 80GB HBM3");
	c.sms = 132;
	c.launch_ns = 2500;
	c.launch_to_start_ns = 4000;
	c.sync_ns = 6000;
	c.fit_offset_ns = 2950.5;
	c.fit_slope = 1.0123;
	c.fit_r2 = 0.9999;
	c.npts = 1;
	c.pt[0] = (struct hw_calib_point){ 132, 100000, 106500 };
	char base[400], path[400], err[512] = "";
	snprintf(base, sizeof(base), "%s/base.ini", tmpdir);
	snprintf(path, sizeof(path), "%s/out.ini", tmpdir);
	test_write_file(base, "# base\n[device]\nname = old\nunits = 100\nlaunch_ns = 1\n"
		   "timeslice_ns = 2000000\nshare_contexts = 0\n");
	ck_assert_int_eq(hw_calib_write(&c, path, base, err, sizeof(err)), 0);
	ck_assert_int_eq(hw_calib_load(path, &d, err, sizeof(err)), 0);
	ck_assert(fabs(d.fit_offset_ns - 2950.5) < 0.01);
	ck_assert(fabs(d.fit_slope - 1.0123) < 1e-6);
	FILE *f = fopen(path, "r");
	char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "[device]\nname = NVIDIA H100 80GB HBM3\nunits = 132\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\nlaunch_ns = 4000\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\nsync_ns = 6000\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\ntimeslice_ns = 2000000\n"));   /* from base */
	ck_assert_ptr_null(strstr(buf, "launch_ns = 1\n"));                  /* not copied */
	ck_assert_ptr_null(strstr(buf, "units = 100"));
	/* errors name the file and line */
	test_write_file(base, "[device]\n# hw: fit_offset_ns = 10\n# hw: fit_slope = -1\n");
	ck_assert_int_eq(hw_calib_load(base, &d, err, sizeof(err)), HS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "base.ini:3: fit_slope"));
	test_write_file(base, "[device]\nunits = 1\n");
	ck_assert_int_eq(hw_calib_load(base, &d, err, sizeof(err)), HS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "base.ini:2: no '# hw: fit_offset_ns'"));
	snprintf(path, sizeof(path), "%s/nodir/x.ini", tmpdir);
	ck_assert_int_eq(hw_calib_write(&c, path, NULL, err, sizeof(err)), HW_EIO);
	test_rmtree(tmpdir);
}
END_TEST

/* Unsorted, tied, nested and touching intervals merge to their union. */
START_TEST(test_ivs_union)
{
	struct hw_ivs s = { 0 };
	ck_assert_int_eq(hw__ivs_merge(&s), 0);
	hs_ns iv[][2] = { { 50, 60 }, { 0, 10 }, { 5, 8 }, { 10, 20 }, { 50, 55 },
			  { 30, 40 }, { 35, 45 }, { 0, 10 } };
	for (size_t i = 0; i < sizeof(iv) / sizeof(iv[0]); i++)
		ck_assert_int_eq(hw__ivs_add(&s, iv[i][0], iv[i][1]), 0);
	ck_assert_int_eq(hw__ivs_merge(&s), 20 + 15 + 10);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_int_eq(s.v[0].a, 0);
	ck_assert_int_eq(s.v[0].b, 20);
	ck_assert_int_eq(s.v[1].a, 30);
	ck_assert_int_eq(s.v[1].b, 45);
	ck_assert_int_eq(s.v[2].b, 60);
	ck_assert_int_eq(hw__ivs_merge(&s), 45);     /* idempotent */
	hw__ivs_release(&s);
}
END_TEST

START_TEST(test_stream_prio_map)
{
	/* H100: 0 (least) .. -5 (greatest) */
	ck_assert_int_eq(hw__stream_prio(10, 1, 10, 0, -5), -5);
	ck_assert_int_eq(hw__stream_prio(1, 1, 10, 0, -5), 0);
	ck_assert_int_eq(hw__stream_prio(5, 0, 10, 0, -5), -3);   /* -2.5 rounds away */
	ck_assert_int_eq(hw__stream_prio(3, 3, 3, 0, -5), -5);    /* one level */
	ck_assert_int_eq(hw__stream_prio(2, 0, 4, 0, 4), 2);      /* positive range */
}
END_TEST

Suite *hwcalib_suite(void)
{
	Suite *s = suite_create("hwcalib");
	TCase *t = tcase_create("hwcalib");
	tcase_add_test(t, test_no_backend_refuses);
	tcase_add_test(t, test_calib_fit_and_correct);
	tcase_add_test(t, test_calib_profile_roundtrip);
	tcase_add_test(t, test_ivs_union);
	tcase_add_test(t, test_stream_prio_map);
	suite_add_tcase(s, t);
	return s;
}
