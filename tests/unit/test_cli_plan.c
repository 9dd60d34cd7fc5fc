/* test_cli_plan.c - `wattmux calibrate` and `wattmux plan` end to end: runs the built binary
 * ($WM_BIN, default build/wattmux) and checks the JSON, exit codes and messages; the shipped
 * defaults (lib/scenario_defaults.h) must be exactly what calibrate writes from ../shared/data. */
#include "wmtest.h"

#include <jansson.h>
#include <math.h>
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
    assert_int_equal(json_array_size(st), 8);
    assert_string_equal(json_string_value(json_object_get(json_array_get(st, 1), "stress")), "btc-crash");
    assert_string_equal(json_string_value(json_object_get(json_array_get(st, 4), "stress")), "uri-week");
    /* the Uri week the stress replays, from ERCOT's February 2021 */
    json_t *uw = json_object_get(j, "stress_uri_week");
    assert_string_equal(json_string_value(json_object_get(uw, "first_day")), "2021-02-13");
    double uri_mean = json_number_value(json_object_get(uw, "mean_usd_per_mwh"));
    assert_true(uri_mean > 5000 && uri_mean < 7000);
    assert_string_equal(json_string_value(json_object_get(j, "stress_date")), json_string_value(json_object_get(j, "start_date")));
    /* the same seed gives the same numbers */
    double npv = json_number_value(json_object_get(json_array_get(s, 0), "npv_mean_musd"));
    json_decref(j);
    j = wattmux_json("plan --paths 200 --years 3 --seed 7 --threads 1");
    double npv1 = json_number_value(json_object_get(json_array_get(json_object_get(j, "strategies"), 0), "npv_mean_musd"));
    assert_true(npv == npv1);
    json_decref(j);
    /* a later stress date moves the dated stresses (and asks for the stress tests); a date
       outside the horizon is refused */
    j = wattmux_json("plan --paths 200 --years 3 --seed 7 --stress-date 2027-01-01 --stress-ai-drop 0.4");
    assert_string_equal(json_string_value(json_object_get(j, "stress_date")), "2027-01-01");
    assert_int_equal(json_array_size(json_object_get(j, "stress_tests")), 8);
    json_decref(j);
    wattmux("plan --paths 200 --years 3 --ppa-mw 20"); /* a block without its price */
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "--ppa-price"));
    wattmux("plan --paths 200 --years 3 --stress --stress-date 2040-01-01");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "--stress-date"));
    assert_non_null(strstr(err, "2040-01-01"));
    wattmux("plan --paths 200 --years 3 --stress --stress-date 2027-13-01");
    assert_int_equal(rc, 2);
    wattmux("plan --paths 200 --years 3 --stress --stress-ai-drop 1.5");
    assert_int_equal(rc, 2);
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
    /* its 40 MW PPA at $32 sells back: priced as a swap */
    assert_non_null(strstr(json_string_value(json_object_get(j, "ppa")), "40.0 MW at 32.00 USD/MWh"));
    double with = json_number_value(json_object_get(json_array_get(json_object_get(j, "strategies"), 0), "npv_mean_musd"));
    json_decref(j);
    j = wattmux_json("plan examples/site.yaml --paths 100 --years 2 --intraday --ppa-mw 0");
    assert_null(json_object_get(j, "ppa"));
    double without = json_number_value(json_object_get(json_array_get(json_object_get(j, "strategies"), 0), "npv_mean_musd"));
    assert_true(with != without);
    json_decref(j);
    /* a block without sell-back is not priced, and the run says so */
    char path[64], a[128];
    snprintf(path, sizeof path, "/tmp/wm_plan_ppa_%d.yaml", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "site:\n  name: P\n  interconnect_mw: 40\nhalls:\n  - name: h\n    pue: 1.05\n"
               "mining:\n  hashprice_usd_per_ph_day: 40\nfleets:\n  - name: a\n    hall: h\n    model: s21\n"
               "    count: 1000\ncontract:\n  energy:\n    type: index\n  ppa:\n    block_mw: 10\n"
               "    price_usd_per_mwh: 30\n    sell_back: false\n");
    fclose(f);
    snprintf(a, sizeof a, "plan %s --paths 100 --years 2", path);
    j = wattmux_json(a);
    assert_null(json_object_get(j, "ppa"));
    json_t *notes = json_object_get(j, "notes");
    int seen = 0;
    for (size_t i = 0; i < json_array_size(notes); i++)
        seen += strstr(json_string_value(json_array_get(notes, i)), "cannot be sold back") != NULL;
    assert_int_equal(seen, 1);
    json_decref(j);
    remove(path);
    wattmux("plan /nonexistent/site.yaml");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "/nonexistent/site.yaml"));
}

/* The site file's plan: section sets options by their JSON keys (nested maps flattened, lists
 * joined); the command line wins; errors point at the key or the value. */
static void write_site(const char *path, const char *plan)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "site:\n  name: T\n  interconnect_mw: 40\nhalls:\n  - name: h\n    pue: 1.05\n"
               "mining:\n  hashprice_usd_per_ph_day: 40\nfleets:\n  - name: a\n    hall: h\n    model: s21\n"
               "    count: 1000\ncontract:\n  energy:\n    type: index\nplan:\n%s",
            plan);
    fclose(f);
}

/* Token serving: tokens/s per own GPU grow by the token price's fall beyond the GPU-hour's
 * (-0.60 vs -0.18 a year, shocks included: 0.42), between shocks and at each shock, so revenue
 * per GPU-hour falls like the GPU-hour's; --tokens-efficiency 0 keeps tokens/s fixed. */
static void test_tokens_efficiency(void **state)
{
    (void)state;
    const char *base = "plan --uses tokens --grid 1 --years 6 --paths 200 --seed 3";
    char a[512];
    snprintf(a, sizeof a, "%s", base);
    json_t *j = wattmux_json(a);
    json_t *b = json_array_get(json_object_get(json_object_get(j, "own_ai_bridge"), "uses"), 0);
    assert_string_equal(json_string_value(json_object_get(b, "use")), "tokens");
    assert_near_rel(json_number_value(json_object_get(b, "throughput_change_per_year")), 0.60 - 0.18, 1e-12);
    double with = json_number_value(json_object_get(json_array_get(json_object_get(j, "strategies"), 1), "npv_mean_musd"));
    json_decref(j);
    snprintf(a, sizeof a, "%s --tokens-efficiency 0", base);
    j = wattmux_json(a);
    b = json_array_get(json_object_get(json_object_get(j, "own_ai_bridge"), "uses"), 0);
    assert_true(json_number_value(json_object_get(b, "throughput_change_per_year")) == 0.0);
    double without = json_number_value(json_object_get(json_array_get(json_object_get(j, "strategies"), 1), "npv_mean_musd"));
    json_decref(j);
    /* 100 MW over 5 years after the lead time: hundreds of $M apart, not noise (same paths) */
    assert_true(with > without + 100.0);
    /* a token price that falls no faster than the GPU-hour's gives no growth (never a fall) */
    snprintf(a, sizeof a, "%s --tokens-trend -0.1 --tokens-shock -0.1", base);
    j = wattmux_json(a);
    b = json_array_get(json_object_get(json_object_get(j, "own_ai_bridge"), "uses"), 0);
    assert_true(json_number_value(json_object_get(b, "throughput_change_per_year")) == 0.0);
    json_decref(j);
    /* with no token noise and no shocks, share 1 is the token price falling like the GPU-hour:
       the same NPV as fixed tokens/s with the GPU-hour's trend, to the float levels' precision
       (tokens/s one day off would differ by 0.42/365 = 1e-3) */
    const char *calm = "plan --uses tokens --grid 1 --years 3 --paths 50 --seed 4 --tokens-vol 0 --ai-shock-rate 0";
    snprintf(a, sizeof a, "%s", calm);
    j = wattmux_json(a);
    double grow = json_number_value(json_object_get(json_array_get(json_object_get(j, "strategies"), 1), "npv_mean_musd"));
    json_decref(j);
    snprintf(a, sizeof a, "%s --tokens-efficiency 0 --tokens-trend -0.18", calm);
    j = wattmux_json(a);
    double flat = json_number_value(json_object_get(json_array_get(json_object_get(j, "strategies"), 1), "npv_mean_musd"));
    json_decref(j);
    assert_true(fabs(grow - flat) < 1e-5 * fabs(flat));
    wattmux("plan --uses tokens --tokens-efficiency 1.5");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "tokens-efficiency"));
}

static void test_plan_section(void **state)
{
    (void)state;
    char path[64], a[256];
    snprintf(path, sizeof path, "/tmp/wm_plan_site_%d.yaml", (int)getpid());
    write_site(path, "  years: 3\n  seed: 9\n  paths: 100\n  uses: [colo, tokens]\n  hybrids: true\n"
                     "  grid_steps: 4\n  market:\n    price_vol_per_year: 0.3\n");
    snprintf(a, sizeof a, "plan %s", path);
    json_t *j = wattmux_json(a);
    assert_int_equal(json_integer_value(json_object_get(j, "years")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "seed")), 9);
    assert_int_equal(json_integer_value(json_object_get(j, "paths")), 100);
    json_t *s = json_object_get(j, "strategies");
    assert_int_equal(json_array_size(s), 1 + 2 * 4 + 6); /* stay; colo x4; tokens x4; 6 mixes */
    assert_string_equal(json_string_value(json_object_get(json_array_get(s, 9), "strategy")),
                        "10 MW colo + 10 MW tokens + 20 MW mining");
    double npv = json_number_value(json_object_get(json_array_get(s, 0), "npv_mean_musd"));
    json_decref(j);
    /* the market key took effect: another volatility gives another stay-mining NPV */
    snprintf(a, sizeof a, "plan %s --price-vol 0.6", path);
    j = wattmux_json(a);
    assert_true(json_number_value(json_object_get(json_array_get(json_object_get(j, "strategies"), 0),
                                                  "npv_mean_musd")) != npv);
    json_decref(j);
    /* the command line wins */
    snprintf(a, sizeof a, "plan %s --years 2 --uses colo", path);
    j = wattmux_json(a);
    assert_int_equal(json_integer_value(json_object_get(j, "years")), 2);
    assert_int_equal(json_array_size(json_object_get(j, "strategies")), 5);
    json_decref(j);
    /* errors at the key or the value, exit 2 */
    write_site(path, "  years: 3\n  yeers: 5\n");
    snprintf(a, sizeof a, "plan %s", path);
    wattmux(a);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, ":19:3: unknown key 'yeers'"));
    write_site(path, "  years: 50\n");
    wattmux(a);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, ":18:10: years: 50 is outside [1, 15]"));
    write_site(path, "  uses: [colo, tokenz]\n");
    wattmux(a);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, ":18:10: uses: unknown use 'tokenz'"));
    write_site(path, "  hybrids: maybe\n");
    wattmux(a);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, ":18:12: hybrids: expected true or false"));
    remove(path);
}

/* --price-model 1 resamples the real daily returns of the shipped fit period. */
static void test_plan_bootstrap(void **state)
{
    (void)state;
    char a[1400];
    snprintf(a, sizeof a, "plan --paths 200 --years 2 --price-model 1 %s", data_arg());
    json_t *j = wattmux_json(a);
    assert_string_equal(json_string_value(json_object_get(j, "price_model")),
                        "block bootstrap of 4060 daily returns 2015-01-01..2026-02-12");
    double boot = json_number_value(json_object_get(json_array_get(json_object_get(j, "strategies"), 0), "npv_p5_musd"));
    json_decref(j);
    snprintf(a, sizeof a, "plan --paths 200 --years 2 %s", data_arg());
    j = wattmux_json(a);
    double jd = json_number_value(json_object_get(json_array_get(json_object_get(j, "strategies"), 0), "npv_p5_musd"));
    assert_true(boot != jd);
    json_decref(j);
    wattmux("plan --paths 200 --years 2 --price-model 1 --data /nonexistent");
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(err, "/nonexistent/bitcoin/"));
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
        cmocka_unit_test(test_plan_section),
        cmocka_unit_test(test_tokens_efficiency),
        cmocka_unit_test(test_plan_bootstrap),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
