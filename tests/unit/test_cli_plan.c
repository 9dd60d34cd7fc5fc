/* test_cli_plan.c - `wattmux calibrate` and `wattmux plan` end to end: runs the built binary
 * ($WM_BIN, default build/wattmux) and checks the JSON, exit codes and messages; the shipped
 * defaults (lib/scenario_defaults.h) must be exactly what calibrate writes from ../shared/data. */
#include "wmtest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int rc;
static char out[1 << 18], err[4096];

static void wattmux(const char *args)
{
    rc = wmt_run(args, out, sizeof out, err, sizeof err);
}

static json_t *wattmux_json(const char *args)
{
    char a[2048];
    snprintf(a, sizeof a, "%s --json", args);
    wattmux(a);
    if (rc)
        print_error("exit %d: %s\n", rc, err);
    assert_int_equal(rc, 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    return j;
}

static const char *data_arg(void)
{
    static char a[1100];
    snprintf(a, sizeof a, "--data %s", wmt_shared_data_dir());
    return a;
}

static void test_calibrate_backtest_json(void **state)
{
    (void)state;
    char a[1400];
    snprintf(a, sizeof a, "calibrate %s --to 2022-12-31 --backtest-until 2023-12-31 --paths 100 --seed 5", data_arg());
    json_t *j = wattmux_json(a);
    json_t *price = json_object_get(j, "price");
    assert_string_equal(json_string_value(json_object_get(price, "fit_period")), "2015-01-01 .. 2022-12-31 (2921)");
    json_t *bt = json_object_get(j, "backtest");
    assert_int_equal(json_integer_value(json_object_get(bt, "seed")), 5);
    json_t *q = json_object_get(bt, "quarters");
    assert_int_equal(json_array_size(q), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(q, 3), "date")), "2023-12-31");
    double pct = json_number_value(json_object_get(json_array_get(q, 0), "price_pct"));
    assert_true(pct >= 0 && pct <= 100);
    json_decref(j);
}

/* The committed defaults are the output of `wattmux calibrate --write` on the shared data. */
static void test_shipped_defaults_are_calibrated(void **state)
{
    (void)state;
    char a[1400], path[64];
    snprintf(path, sizeof path, "/tmp/wm_defaults_%d.h", (int)getpid());
    snprintf(a, sizeof a, "calibrate %s --write %s", data_arg(), path);
    wattmux(a);
    assert_int_equal(rc, 0);
    FILE *f = fopen(path, "r"), *g = fopen("lib/scenario_defaults.h", "r");
    assert_non_null(f);
    assert_non_null(g);
    static char x[16384], y[16384];
    size_t nx = fread(x, 1, sizeof x, f), ny = fread(y, 1, sizeof y, g);
    fclose(f);
    fclose(g);
    remove(path);
    assert_int_equal(nx, ny);
    assert_memory_equal(x, y, nx);
}

static void test_plan_json_and_stress(void **state)
{
    (void)state;
    json_t *j = wattmux_json("plan --paths 200 --years 3 --seed 7 --stress");
    assert_int_equal(json_integer_value(json_object_get(j, "seed")), 7);
    json_t *s = json_object_get(j, "strategies");
    assert_int_equal(json_array_size(s), 11);
    json_t *r = json_object_get(j, "recommended");
    assert_non_null(r);
    json_t *fan = json_object_get(r, "cash_flow_fan");
    assert_int_equal(json_array_size(fan), 4);
    json_t *st = json_object_get(j, "stress_tests");
    assert_int_equal(json_array_size(st), 6);
    assert_string_equal(json_string_value(json_object_get(json_array_get(st, 1), "stress")), "btc-crash");
    /* the same seed gives the same numbers */
    double npv = json_number_value(json_object_get(json_array_get(s, 0), "npv_mean_musd"));
    json_decref(j);
    j = wattmux_json("plan --paths 200 --years 3 --seed 7 --threads 1");
    double npv1 = json_number_value(json_object_get(json_array_get(json_object_get(j, "strategies"), 0), "npv_mean_musd"));
    assert_true(npv == npv1);
    json_decref(j);
}

/* A site file sets the interconnect, the fleet-weighted J/TH and PUE, the pool fee and adder:
 * examples/site.yaml has 14,000 S19 XP (140 TH/s, 3,010 W) and 9,000 S21 (200 TH/s, 3,500 W). */
static void test_plan_site_file(void **state)
{
    (void)state;
    json_t *j = wattmux_json("plan examples/site.yaml --paths 100 --years 2 --intraday");
    assert_string_equal(json_string_value(json_object_get(j, "site")), "Permian Flex 1");
    double eff = json_number_value(json_object_get(j, "eff_j_per_th"));
    assert_near_rel(eff, (14000.0 * 3010 + 9000.0 * 3500) / (14000.0 * 140 + 9000.0 * 200), 1e-12);
    assert_non_null(strstr(json_string_value(json_object_get(j, "curtailment")), "hourly"));
    json_decref(j);
    wattmux("plan /nonexistent/site.yaml");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "/nonexistent/site.yaml"));
}

static void test_errors(void **state)
{
    (void)state;
    wattmux("plan --years 0");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "--years"));
    wattmux("calibrate --to 2022-13-45");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "expected a date"));
    wattmux("calibrate --data /nonexistent");
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(err, "/nonexistent/bitcoin/"));
    wattmux("plan --price-vol 9");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "--price-vol"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calibrate_backtest_json),
        cmocka_unit_test(test_shipped_defaults_are_calibrated),
        cmocka_unit_test(test_plan_json_and_stress),
        cmocka_unit_test(test_plan_site_file),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
