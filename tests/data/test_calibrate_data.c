/* test_calibrate_data.c - calibration on the real history in ../shared/data: fit periods,
 * no look-ahead when the window ends early (the backtest's premise), the start state against
 * the data files, the fitted values against independent computations on the same files, and
 * the rendered defaults header. */
#include "wmtest.h"

#include "calibrate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *data_dir(void)
{
    return wmt_shared_data_dir();
}

static int64_t day(const char *s)
{
    int64_t t = 0;
    assert_int_equal(wm_parse_time(s, &t), WM_OK);
    return t;
}

static void test_full_fit(void **state)
{
    (void)state;
    wm_calibrate_files f;
    wm_calibrate_in in;
    wm_err e;
    assert_int_equal(wm_calibrate_load(data_dir(), &f, &in, &e), WM_OK);
    wm_calibrate_out o;
    assert_int_equal(wm_calibrate_fit(&in, &o, &e), WM_OK);
    assert_int_equal(o.price.from, day("2015-01-01"));
    assert_int_equal(o.price.to, day("2026-02-12")); /* difficulty ends there */
    assert_int_equal(o.price.n, 4060);
    /* drift = mean log-return: ln(P_end / P_start) / days * 365 on the gap-free price file */
    double p0 = 314.248992919922, p1 = 66221.84375;
    assert_near_rel(o.p.price_drift_per_year, log(p1 / p0) / 4060.0 * 365.0, 1e-9);
    /* a diffusion without the jumps is calmer than all returns */
    assert_true(o.p.price_vol_per_year < o.price_sd_per_day * sqrt(365.0));
    assert_true(o.price_jumps > 10 && o.p.jump_mean_log < 0); /* crashes dominate the tails */
    assert_true(o.hash_r2 > 0.9);
    assert_true(o.p.hash_elasticity > 0.5 && o.p.hash_elasticity < 2.0);
    /* efficiency trend from the CBECI list: OLS slope of ln J/GH on release time of the 90
     * models released 2016-2021 (independently: numpy.polyfit gives -0.3728) */
    assert_int_equal(o.hash_trend_models, 90);
    assert_near_rel(o.p.hash_trend_per_year, 0.3728, 0.001);
    assert_int_equal(o.fees.from, day("2023-04-30"));
    /* weekly means: 100 days from 2025-11-05 hold 14 full weeks, the last ending 2026-02-10 */
    assert_int_equal(o.fees.to, day("2026-02-10"));
    assert_int_equal(o.power.to, day("2023-12-31"));
    /* start state: the last price and difficulty, the day after the fit */
    assert_int_equal(o.p.start_time, day("2026-02-13"));
    assert_true(o.p.price0_usd_per_btc == p1);
    assert_true(o.p.difficulty0 == 125864590119494.0);
    /* realised hashrate runs within 15% of the difficulty-implied one */
    assert_near_rel(o.p.hashrate0_h_s, 125864590119494.0 * 4294967296.0 / 600.0, 0.15);
    /* height extrapolated from 2025-04-16 (892,756) with realised blocks: ~144 a day */
    double days_after = (double)(day("2026-02-12") - day("2025-04-16")) / 86400.0;
    assert_near_rel((double)o.p.height0, 892756.0 + 144.0 * days_after, 0.002);
    char buf[8192];
    size_t len = wm_calibrate_header(&o, buf, sizeof buf);
    assert_true(len > 0 && len < sizeof buf);
    assert_non_null(strstr(buf, "#define WM_SCN_FIT_TO \"2026-02-12\""));
    assert_non_null(strstr(buf, "price 2015-01-01..2026-02-12 (4060 returns"));
    wm_calibrate_out_free(&o);
    wm_calibrate_out_free(NULL);
    wm_calibrate_files_free(&f);
}

/* Calibrating to 2022-12-31 reads nothing later: periods end there, fees (files from 2023-04)
 * keep the prior, the start height is the blocks file's height on 2022-12-31. */
static void test_no_look_ahead(void **state)
{
    (void)state;
    wm_calibrate_files f;
    wm_calibrate_in in;
    wm_err e;
    assert_int_equal(wm_calibrate_load(data_dir(), &f, &in, &e), WM_OK);
    in.to = day("2022-12-31");
    wm_calibrate_out o;
    assert_int_equal(wm_calibrate_fit(&in, &o, &e), WM_OK);
    assert_int_equal(o.price.to, day("2022-12-31"));
    assert_int_equal(o.hash.to, day("2022-12-31"));
    assert_int_equal(o.fees.n, 0);
    assert_int_equal(o.power.n, 0);
    assert_near_rel(o.p.fee_level_btc_per_block, 0.1, 0); /* the documented prior */
    long i = wm_series_at_or_before(in.heights, day("2022-12-31"));
    assert_true(i >= 0);
    assert_int_equal(wm_series_times(in.heights)[i], day("2022-12-31"));
    assert_int_equal(o.p.height0, (int64_t)wm_series_values(in.heights, (size_t)in.height_col)[i]);
    assert_int_equal(o.p.start_time, day("2023-01-01"));
    /* the returns handed to the bootstrap are exactly the window's */
    assert_int_equal(o.nreturns, o.price.n);
    wm_calibrate_out_free(&o);
    /* a window too short to fit is an error naming the model */
    in.from = day("2022-12-01");
    assert_int_equal(wm_calibrate_fit(&in, &o, &e), WM_EINVAL);
    assert_non_null(strstr(e.msg, "price"));
    wm_calibrate_files_free(&f);
    /* a missing directory is an I/O error naming the file */
    assert_int_not_equal(wm_calibrate_load("/nonexistent", &f, &in, &e), WM_OK);
    assert_non_null(strstr(e.source, "/nonexistent/bitcoin/"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_fit),
        cmocka_unit_test(test_no_look_ahead),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
