/* test_series.c - the CSV time-series reader on hand-made inputs: every format, quirk and error. */
#include "wmtest.h"
#include "series.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static wm_series *parse(const char *text, const wm_series_opts *o, wm_status want, wm_err *err)
{
    wm_series *s = NULL;
    wm_err e;
    wm_err *ep = err ? err : &e;
    wm_err_clear(ep);
    wm_status st = wm_series_parse(text, strlen(text), "t.csv", o, &s, ep);
    if (st != want)
        print_error("status %d (%s:%ld:%ld: %s)\n", st, ep->source, ep->line, ep->col, ep->msg);
    assert_int_equal(st, want);
    return s;
}

static void test_iso_quoted_thousands(void **state)
{
    (void)state;
    const char *csv = "\xEF\xBB\xBF" "date,price,note_usd\r\n"
                      "2024-04-20,\"63,823.55\",1\r\n"
                      "2024-04-21,\"1,234,567.5\",\r\n";
    wm_series *s = parse(csv, NULL, WM_OK, NULL);
    assert_int_equal(wm_series_len(s), 2);
    assert_int_equal(wm_series_ncols(s), 2);
    assert_string_equal(wm_series_colname(s, 0), "price");
    assert_int_equal(wm_series_times(s)[0], 1713571200);
    assert_near_rel(wm_series_values(s, 0)[0], 63823.55, 1e-15);
    assert_near_rel(wm_series_values(s, 0)[1], 1234567.5, 1e-15);
    assert_true(isnan(wm_series_values(s, 1)[1]));
    wm_series_free(s);
}

static void test_unix_ms_and_seconds(void **state)
{
    (void)state;
    wm_series *s = parse("\"x\",\"y\"\n\"1682812800000\",\"29244.68\"\n\"1682899200000\",\"1\"\n", NULL, WM_OK, NULL);
    assert_int_equal(wm_series_ts_format(s), WM_TS_UNIX_MS);
    assert_int_equal(wm_series_times(s)[1], 1682899200);
    wm_series_free(s);
    s = parse("TIME,CLOSE\n1594512000,9300.95\n1594598400,9237.89\n", NULL, WM_OK, NULL);
    assert_int_equal(wm_series_ts_format(s), WM_TS_UNIX_S);
    assert_int_equal(wm_series_times(s)[0], 1594512000);
    wm_series_free(s);
}

static void test_dmy_mdy_detection(void **state)
{
    (void)state;
    wm_series *s = parse("d,v\n11/8/2009,1\n12/8/2009,2\n13/8/2009,3\n", NULL, WM_OK, NULL);
    assert_int_equal(wm_series_ts_format(s), WM_TS_DMY);
    assert_int_equal(wm_series_times(s)[0], wm_days_from_civil(2009, 8, 11) * 86400);
    wm_series_free(s);
    s = parse("d,v\n02/01/2021,1\n02/13/2021,2\n", NULL, WM_OK, NULL);
    assert_int_equal(wm_series_ts_format(s), WM_TS_MDY);
    assert_int_equal(wm_series_times(s)[1], wm_days_from_civil(2021, 2, 13) * 86400);
    wm_series_free(s);
    wm_err e;
    parse("d,v\n02/01/2021,1\n03/01/2021,2\n", NULL, WM_EPARSE, &e);
    assert_non_null(strstr(e.msg, "ambiguous"));
    assert_int_equal(e.line, 2);
    wm_series_opts o = {0};
    o.ts_format = WM_TS_DMY;
    s = parse("d,v\n02/01/2021,1\n03/01/2021,2\n", &o, WM_OK, NULL);
    assert_int_equal(wm_series_times(s)[1], wm_days_from_civil(2021, 1, 3) * 86400);
    wm_series_free(s);
}

static void test_errors_have_line_col(void **state)
{
    (void)state;
    wm_err e;
    parse("date,price\n2024-01-01,1\n2024-01-02,abc\n", NULL, WM_EPARSE, &e);
    assert_int_equal(e.line, 3);
    assert_int_equal(e.col, 12);
    assert_non_null(strstr(e.msg, "expected a number in column 'price'"));
    parse("date,price\n2024-01-01,1\n2024-13-02,2\n", NULL, WM_EPARSE, &e);
    assert_int_equal(e.line, 3);
    assert_int_equal(e.col, 1);
    parse("date,price\n2024-01-02,1\n2024-01-01,2\n", NULL, WM_EPARSE, &e);
    assert_non_null(strstr(e.msg, "strictly increasing"));
    parse("date,price\n2024-01-01,1\n2024-01-01,2\n", NULL, WM_EPARSE, &e);
    assert_non_null(strstr(e.msg, "repeats"));
    parse("date,price\n2024-01-01,\"1\n", NULL, WM_EPARSE, &e);
    assert_int_equal(e.line, 2);
    parse("date,price\n2024-01-01,1,3\n", NULL, WM_EPARSE, &e);
    assert_non_null(strstr(e.msg, "expected 2 fields"));
    parse("", NULL, WM_EPARSE, &e);
    parse("date,price\n", NULL, WM_EPARSE, &e);
    wm_series_opts o = {0};
    const char *cols[] = {"prise"};
    o.columns = cols;
    o.ncolumns = 1;
    parse("date,price\n2024-01-01,1\n", &o, WM_ENOTFOUND, &e);
    assert_non_null(strstr(e.msg, "prise"));
    o = (wm_series_opts){0};
    o.max_bytes = 10;
    parse("date,price\n2024-01-01,1\n", &o, WM_ELIMIT, &e);
}

static void test_semicolon_tab_noheader(void **state)
{
    (void)state;
    wm_series *s = parse("date;a;b\n2024-01-01;1;2\n", NULL, WM_OK, NULL);
    assert_int_equal(wm_series_ncols(s), 2);
    wm_series_free(s);
    s = parse("2024-01-01\t1\n2024-01-02\t2\n", NULL, WM_OK, NULL);
    assert_int_equal(wm_series_len(s), 2);
    assert_string_equal(wm_series_colname(s, 0), "c2");
    wm_series_free(s);
}

static void test_us_central_dst(void **state)
{
    (void)state;
    bool bad;
    /* 2023-03-12 02:30 local does not exist; 2023-11-05 01:30 happens twice */
    int64_t spring = wm_days_from_civil(2023, 3, 12) * 86400;
    wm_tz_us_central_offset(spring + 2 * 3600 + 1800, false, &bad);
    assert_true(bad);
    assert_int_equal(wm_tz_us_central_offset(spring + 3 * 3600, false, &bad), -5 * 3600);
    int64_t fall = wm_days_from_civil(2023, 11, 5) * 86400 + 3600 + 1800;
    assert_int_equal(wm_tz_us_central_offset(fall, false, NULL), -5 * 3600);
    assert_int_equal(wm_tz_us_central_offset(fall, true, NULL), -6 * 3600);
    /* 2005 rules: DST began the first Sunday of April (April 3) */
    assert_int_equal(wm_tz_us_central_offset(wm_days_from_civil(2005, 3, 20) * 86400, false, NULL), -6 * 3600);
    assert_int_equal(wm_tz_us_central_offset(wm_days_from_civil(2005, 4, 10) * 86400, false, NULL), -5 * 3600);
    /* ERCOT hour-ending with repeated-hour flag: the 25-hour day has two HE 02 rows */
    const char *csv = "Delivery Date,Hour Ending,Repeated Hour Flag,Price\n"
                      "11/05/2023,01:00,N,1\n11/05/2023,02:00,N,2\n11/05/2023,02:00,Y,3\n11/05/2023,03:00,N,4\n";
    wm_series_opts o = {0};
    o.date_column = "Delivery Date";
    o.hour_column = "Hour Ending";
    o.dst_flag_column = "Repeated Hour Flag";
    o.tz = WM_TZ_US_CENTRAL;
    o.ts_format = WM_TS_MDY; /* 11/05 alone is ambiguous */
    wm_series *s = parse(csv, &o, WM_OK, NULL);
    const int64_t *t = wm_series_times(s);
    assert_int_equal(t[1] - t[0], 3600);
    assert_int_equal(t[2] - t[1], 3600);
    assert_int_equal(t[3] - t[2], 3600);
    assert_int_equal(t[0], wm_days_from_civil(2023, 11, 5) * 86400 + 5 * 3600); /* 00:00 CDT */
    wm_series_free(s);
}

static void test_filter_interval(void **state)
{
    (void)state;
    const char *csv = "Delivery Date,Delivery Hour,Delivery Interval,Repeated Hour Flag,Settlement Point Name,Price\n"
                      "02/01/2021,1,1,N,HB_WEST,10\n02/01/2021,1,1,N,HB_NORTH,99\n"
                      "02/01/2021,1,2,N,HB_WEST,20\n02/01/2021,24,4,N,HB_WEST,30\n";
    wm_series_opts o = {0};
    o.date_column = "Delivery Date";
    o.hour_column = "Delivery Hour";
    o.interval_column = "Delivery Interval";
    o.dst_flag_column = "Repeated Hour Flag";
    o.filter_column = "Settlement Point Name";
    o.filter_value = "HB_WEST";
    o.tz = WM_TZ_US_CENTRAL;
    o.ts_format = WM_TS_MDY;
    wm_series *s = parse(csv, &o, WM_OK, NULL);
    assert_int_equal(wm_series_len(s), 3);
    assert_int_equal(wm_series_ncols(s), 1);
    const int64_t *t = wm_series_times(s);
    assert_int_equal(t[0], wm_days_from_civil(2021, 2, 1) * 86400 + 6 * 3600);
    assert_int_equal(t[1] - t[0], 900);
    assert_int_equal(t[2], wm_days_from_civil(2021, 2, 2) * 86400 + 6 * 3600 - 900);
    wm_series_free(s);
}

static void test_resample_and_gaps(void **state)
{
    (void)state;
    const char *csv = "t,v\n2024-01-01 00:00,10\n2024-01-01 00:15,20\n2024-01-01 00:30,30\n2024-01-01 00:45,40\n"
                      "2024-01-01 01:00,50\n2024-01-01 02:00,70\n";
    wm_series *s = parse(csv, NULL, WM_OK, NULL);
    assert_int_equal(wm_series_step(s), 900);
    wm_gap g[4];
    assert_int_equal(wm_series_gaps(s, 0, g, 4), 1);
    assert_int_equal(g[0].missing, 3);
    int64_t t0 = wm_series_times(s)[0];
    double out[3];
    assert_int_equal(wm_series_resample(s, 0, t0, t0 + 3 * 3600, 3600, out), WM_OK);
    assert_near_rel(out[0], 25.0, 1e-15);           /* mean of four quarters */
    assert_near_rel(out[1], 50.0, 1e-15);           /* 01:00-01:15 only: a gap stays a gap */
    assert_near_rel(out[2], 70.0, 1e-15);
    double up[4];
    assert_int_equal(wm_series_resample(s, 0, t0, t0 + 3600, 900, up), WM_OK);
    assert_near_rel(up[3], 40.0, 1e-15);
    assert_int_equal(wm_series_at_or_before(s, t0 + 1000), 1);
    assert_int_equal(wm_series_at_or_before(s, t0 - 1), -1);
    wm_series_free(s);
}

/* Means per UTC day: empty cells are left out, days with fewer values than asked are dropped,
 * a day before 1970 starts at its own midnight, and cap bounds what is written. */
static void test_day_means(void **state)
{
    (void)state;
    const char *csv = "t,p\n1969-12-31T22:00Z,4\n1969-12-31T23:00Z,6\n1970-01-01T00:00Z,1\n"
                      "1970-01-01T12:00Z,\n1970-01-01T23:59Z,3\n1970-01-03T05:00Z,7\n";
    wm_series *s = NULL;
    wm_err e;
    assert_int_equal(wm_series_parse(csv, strlen(csv), "d", NULL, &s, &e), WM_OK);
    int64_t d[4];
    double m[4];
    assert_int_equal(wm_series_day_means(s, 0, 1, d, m, 4), 3);
    assert_true(d[0] == -86400 && m[0] == 5 && d[1] == 0 && m[1] == 2 && d[2] == 2 * 86400 && m[2] == 7);
    assert_int_equal(wm_series_day_means(s, 0, 2, d, m, 4), 2); /* Jan 3 has one value */
    assert_int_equal(wm_series_day_means(s, 0, 1, d, m, 1), 3); /* counts all, writes one */
    assert_true(d[0] == -86400);
    wm_series_free(s);
}

static void test_parse_time(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(wm_parse_time("2024-04-20T00:09:27Z", &t), WM_OK);
    assert_int_equal(t, 1713571767);
    assert_int_equal(wm_parse_time("2024-04-20 01:09:27+01:00", &t), WM_OK);
    assert_int_equal(t, 1713571767);
    assert_int_equal(wm_parse_time("2024-02-30", &t), WM_EPARSE);
    assert_int_equal(wm_parse_time("yesterday", &t), WM_EPARSE);
    char b[21];
    assert_string_equal(wm_fmt_time(1713571767, b), "2024-04-20T00:09:27Z");
    for (int64_t d = -800000; d < 800000; d += 997) {
        int y;
        unsigned m, dd;
        wm_civil_from_days(d, &y, &m, &dd);
        assert_int_equal(wm_days_from_civil(y, m, dd), d);
    }
}

/* Findings of the code review, each with the input that showed it. */
static void test_review_regressions(void **state)
{
    (void)state;
    wm_err e;
    /* 1: asking for a column twice overflowed the kept-column array */
    const char *cols[] = {"v", "v", "v", "v"};
    wm_series_opts o = {.columns = cols, .ncolumns = 4};
    parse("t,v\n2024-01-01,1\n", &o, WM_EINVAL, &e);
    assert_non_null(strstr(e.msg, "asked for twice"));
    /* 2: INT64_MIN milliseconds overflowed when negated */
    parse("t,v\n-9223372036854775808,1\n", NULL, WM_ERANGE, &e);
    /* 3: hour-ending stamps across both DST days of 2024 */
    wm_series_opts end = {.tz = WM_TZ_US_CENTRAL, .time_is_end = true};
    wm_series *s = parse("t,v\n2024-03-10 01:00,1\n2024-03-10 02:00,2\n2024-03-10 04:00,3\n2024-03-10 05:00,4\n",
                         &end, WM_OK, NULL);
    int64_t day = wm_days_from_civil(2024, 3, 10) * 86400;
    assert_int_equal(wm_series_times(s)[0], day + 6 * 3600); /* 00:00-01:00 CST */
    assert_int_equal(wm_series_times(s)[2], day + 8 * 3600); /* 03:00-04:00 CDT */
    wm_series_free(s);
    s = parse("t,v\n2024-11-03 01:00,1\n2024-11-03 02:00,2\n2024-11-03 02:00,3\n2024-11-03 03:00,4\n", &end, WM_OK,
              NULL);
    day = wm_days_from_civil(2024, 11, 3) * 86400;
    for (int i = 0; i < 4; i++)
        assert_int_equal(wm_series_times(s)[i], day + (5 + i) * 3600);
    wm_series_free(s);
    /* 4: errors in records that span lines name the physical line */
    const char *kc[] = {"v"};
    wm_series_opts kv = {.columns = kc, .ncolumns = 1};
    parse("time,note,v\n2024-01-01,\"multi\nline\",bad\n", &kv, WM_EPARSE, &e);
    assert_int_equal(e.line, 3);
    assert_int_equal(e.col, 7);
    parse("time,note,v\n2024-01-01,\"multi\nline\"x,1\n", &kv, WM_EPARSE, &e);
    assert_int_equal(e.line, 3);
    assert_int_equal(e.col, 6);
    /* 5: an over-long flag cell is an error, not an uninitialised read */
    char big[600];
    snprintf(big, sizeof big, "d,h,f,v\n02/13/2024,1,%0400d,1\n", 0);
    wm_series_opts fl = {.date_column = "d", .hour_column = "h", .dst_flag_column = "f"};
    parse(big, &fl, WM_EPARSE, &e);
    assert_non_null(strstr(e.msg, "too long"));
    /* a repeat flag on an ordinary hour */
    wm_series_opts fl2 = {.date_column = "d", .hour_column = "h", .dst_flag_column = "f", .tz = WM_TZ_US_CENTRAL,
                          .ts_format = WM_TS_MDY};
    parse("d,h,f,v\n02/03/2024,02:00,Y,1\n", &fl2, WM_EPARSE, &e);
    assert_non_null(strstr(e.msg, "repeated hour"));
    /* numbers: decimal comma in ';' files; malformed thousands groups rejected */
    s = parse("\n\nt;v\n2024-01-01;1,5\n", NULL, WM_OK, NULL);
    assert_near_rel(wm_series_values(s, 0)[0], 1.5, 0);
    wm_series_free(s);
    parse("t,v\n2024-01-01,\"1234,567\"\n", NULL, WM_EPARSE, &e);
    /* dates */
    parse("t,v\n13/13/2024,1\n", NULL, WM_EPARSE, &e);
    assert_non_null(strstr(e.msg, "not a valid date"));
    parse("t,v\n0000-01-01,1\n", NULL, WM_EPARSE, &e);
    parse("t,v\n1713571767.9,1\n1713571768,2\n", NULL, WM_EPARSE, &e);
    /* NUL bytes */
    const char nul[] = "t,v\n2024-01-01\0junk,1\n";
    wm_series *ns = NULL;
    assert_int_equal(wm_series_parse(nul, sizeof nul - 1, "t.csv", NULL, &ns, &e), WM_EPARSE);
    assert_int_equal(e.line, 2);
    assert_int_equal(e.col, 11);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso_quoted_thousands), cmocka_unit_test(test_unix_ms_and_seconds),
        cmocka_unit_test(test_dmy_mdy_detection),    cmocka_unit_test(test_errors_have_line_col),
        cmocka_unit_test(test_semicolon_tab_noheader), cmocka_unit_test(test_us_central_dst),
        cmocka_unit_test(test_filter_interval),      cmocka_unit_test(test_resample_and_gaps),
        cmocka_unit_test(test_parse_time), cmocka_unit_test(test_day_means),           cmocka_unit_test(test_review_regressions),
    };
    return cmocka_run_group_tests_name("series", tests, NULL, NULL);
}
