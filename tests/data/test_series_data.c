/* test_series_data.c - the reader on every kind of real file in ../shared/data, checked against
 * the facts their READMEs state (row counts, ranges, gaps, extremes). */
#include "wmtest.h"
#include "series.h"

#include <math.h>
#include <string.h>

static wm_series *load(const char *rel, const wm_series_opts *o)
{
    wm_series *s = NULL;
    wm_err e;
    wm_err_clear(&e);
    wm_status st = wm_series_load(wmt_shared(rel), o, &s, &e);
    if (st != WM_OK)
        print_error("%s:%ld:%ld: %s\n", e.source, e.line, e.col, e.msg);
    assert_int_equal(st, WM_OK);
    return s;
}

static double col_max(const wm_series *s, int c, size_t *at)
{
    const double *v = wm_series_values(s, (size_t)c);
    double m = -INFINITY;
    for (size_t i = 0; i < wm_series_len(s); i++)
        if (v[i] > m) {
            m = v[i];
            if (at)
                *at = i;
        }
    return m;
}

static void test_daily_network_files(void **state)
{
    (void)state;
    wm_series *d = load("bitcoin/difficulty_daily_2009_2026.csv", NULL);
    assert_int_equal(wm_series_len(d), 6247);
    wm_gap g[4];
    assert_int_equal(wm_series_gaps(d, 86400, g, 4), 1); /* 2025-11-13..15 */
    char b[11];
    assert_string_equal(wm_fmt_date(g[0].after, b), "2025-11-12");
    assert_int_equal(g[0].missing, 3);
    wm_series_free(d);
    wm_series *f = load("bitcoin/fees_daily_btc_2025-11_2026-02.csv", &(wm_series_opts){.time_column = "date"});
    assert_int_equal(wm_series_len(f), 100);
    assert_true(wm_series_col(f, "fees_btc") >= 0);
    wm_series_free(f);
}

static void test_bom_dmy_blocks(void **state)
{
    (void)state;
    wm_series *s = load("bitcoin/blocks_per_day_2009_2025.csv", NULL);
    assert_int_equal(wm_series_len(s), 5728);
    assert_int_equal(wm_series_ts_format(s), WM_TS_DMY);
    assert_string_equal(wm_series_colname(s, 0), "Blocks Per Day");
    const double *bpd = wm_series_values(s, 0), *h = wm_series_values(s, 1);
    for (size_t i = 1; i < wm_series_len(s); i++)
        assert_true(h[i] - h[i - 1] == bpd[i]);
    wm_series_free(s);
    wm_series *o = load("bitcoin/btc_usd_daily_ohlc_2011_2025.csv", NULL);
    assert_int_equal(wm_series_len(o), 4958);
    assert_int_equal(wm_series_gaps(o, 86400, NULL, 0), 19);
    wm_series_free(o);
}

static void test_unix_files(void **state)
{
    (void)state;
    wm_series *s = load("bitcoin/blockchaincom_2023-04_2024-04/difficulty.csv", NULL);
    assert_int_equal(wm_series_len(s), 364);
    assert_int_equal(wm_series_step(s), 86400);
    assert_int_equal(wm_series_gaps(s, 86400, NULL, 0), 0);
    char b[11];
    assert_string_equal(wm_fmt_date(wm_series_times(s)[0], b), "2023-04-30");
    wm_series_free(s);
    s = load("bitcoin/btc_usd_daily_ohlcv_cryptocompare_2020_2026.csv", NULL);
    assert_int_equal(wm_series_len(s), 2049);
    assert_string_equal(wm_fmt_date(wm_series_times(s)[0], b), "2020-07-12");
    wm_series_free(s);
}

static void test_ercot_15min_uri(void **state)
{
    (void)state;
    wm_series_opts o = {.date_column = "Delivery Date", .hour_column = "Delivery Hour",
                        .interval_column = "Delivery Interval", .dst_flag_column = "Repeated Hour Flag",
                        .filter_column = "Settlement Point Name", .filter_value = "HB_WEST",
                        .tz = WM_TZ_US_CENTRAL};
    const char *cols[] = {"Settlement Point Price"};
    o.columns = cols;
    o.ncolumns = 1;
    wm_series *s = load("power/ercot_rtm_spp_15min_2021-02.csv", &o);
    assert_int_equal(wm_series_len(s), 28 * 96);
    assert_int_equal(wm_series_step(s), 900);
    assert_int_equal(wm_series_gaps(s, 900, NULL, 0), 0);
    assert_int_equal(wm_series_times(s)[0], wm_days_from_civil(2021, 2, 1) * 86400 + 6 * 3600);
    double mx = col_max(s, 0, NULL);
    assert_true(mx >= 9300 && mx < 9320); /* README: 15-min max $9,310 */
    /* hourly means equal the derived hourly file's HB_WEST column */
    double hourly[28 * 24];
    int64_t t0 = wm_series_times(s)[0];
    assert_int_equal(wm_series_resample(s, 0, t0, t0 + 28 * 86400, 3600, hourly), WM_OK);
    wm_series_opts oh = {.tz = WM_TZ_US_CENTRAL};
    const char *hc[] = {"HB_WEST"};
    oh.columns = hc;
    oh.ncolumns = 1;
    wm_series *h = load("power/ercot_rtm_spp_hourly_2021-02.csv", &oh);
    assert_int_equal(wm_series_len(h), 672);
    assert_int_equal(wm_series_times(h)[0], t0);
    for (size_t i = 0; i < 672; i++)
        assert_true(fabs(hourly[i] - wm_series_values(h, 0)[i]) < 0.00051); /* file has 4 decimals */
    wm_series_free(h);
    wm_series_free(s);
}

static void test_ercot_2023_dst_and_dam(void **state)
{
    (void)state;
    wm_series_opts o = {.tz = WM_TZ_US_CENTRAL};
    wm_series *s = load("power/ercot_rtm_lz_hourly_2023.csv", &o);
    assert_int_equal(wm_series_len(s), 8759);
    /* In UTC the spring-forward day has no hole; the fall-back day misses its repeated hour. */
    wm_gap g[4];
    assert_int_equal(wm_series_gaps(s, 3600, g, 4), 1);
    char b[21];
    assert_string_equal(wm_fmt_time(g[0].after, b), "2023-11-05T06:00:00Z"); /* 01:00 CDT */
    int w = wm_series_col(s, "LZ_WEST");
    assert_true(w >= 0);
    size_t at = 0;
    double mx = col_max(s, w, &at);
    assert_near_rel(mx, 5260.935, 1e-12); /* README rounds it to 5,260.94 */
    assert_string_equal(wm_fmt_time(wm_series_times(s)[at], b), "2023-09-07T00:00:00Z"); /* 19:00 CDT */
    double sum = 0;
    for (size_t i = 0; i < wm_series_len(s); i++)
        sum += wm_series_values(s, (size_t)w)[i];
    assert_true(fabs(sum / 8759 - 59.81) < 0.005);
    wm_series_free(s);
    wm_series_opts d = {.date_column = "Delivery Date", .hour_column = "Hour Ending",
                        .dst_flag_column = "Repeated Hour Flag", .filter_column = "Settlement Point",
                        .filter_value = "HB_WEST", .tz = WM_TZ_US_CENTRAL};
    s = load("power/ercot_dam_spp_hourly_2021-02.csv", &d);
    assert_int_equal(wm_series_len(s), 672);
    assert_near_rel(col_max(s, 0, NULL), 9000.01, 1e-12);
    wm_series_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_daily_network_files), cmocka_unit_test(test_bom_dmy_blocks),
        cmocka_unit_test(test_unix_files),          cmocka_unit_test(test_ercot_15min_uri),
        cmocka_unit_test(test_ercot_2023_dst_and_dam),
    };
    return cmocka_run_group_tests_name("series_data", tests, NULL, NULL);
}
