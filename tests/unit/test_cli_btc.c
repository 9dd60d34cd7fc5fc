/* test_cli_btc.c - `wattmux btc` end to end: runs the built binary ($WM_BIN, default
 * build/wattmux) and checks its JSON, its exit codes and its error messages. */
#include "wmtest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

typedef struct run {
    int rc;
    char out[1 << 17];
    char err[4096];
} run;

static run R;

static void wm(const char *args)
{
    R.rc = wmt_run(args, R.out, sizeof R.out, R.err, sizeof R.err);
}

static json_t *wm_json(const char *args)
{
    char a[1024];
    snprintf(a, sizeof a, "%s --json", args);
    wm(a);
    if (R.rc != 0)
        print_error("exit %d: %s\n", R.rc, R.err);
    assert_int_equal(R.rc, 0);
    json_error_t je;
    json_t *j = json_loads(R.out, 0, &je);
    if (!j)
        print_error("bad JSON: %s\n", je.text);
    assert_non_null(j);
    return j;
}

static void test_retarget_json(void **state)
{
    (void)state;
    json_t *j = wm_json("btc retarget --bits 0x17034219 --first-time 1712783853 --last-time 1713969900 --height 840672");
    assert_string_equal(json_string_value(json_object_get(j, "new_bits")), "0x170331db");
    assert_int_equal(json_integer_value(json_object_get(j, "actual_timespan_s")), 1186047);
    json_decref(j);
}

static void test_hashprice_and_breakeven_json(void **state)
{
    (void)state;
    json_t *j = wm_json("btc hashprice --difficulty 88104191118793 --price 63000 --fees-per-block 0.15");
    double hp = json_real_value(json_object_get(json_object_get(j, "hashprice"), "usd_per_ph_day"));
    assert_near_rel(hp, 47.1, 1e-3);
    json_decref(j);
    j = wm_json("btc breakeven --asic s21 --difficulty 88104191118793 --price 63000 --fees-per-block 0.15");
    json_t *row = json_array_get(json_object_get(j, "machines"), 0);
    assert_near_rel(json_real_value(json_object_get(row, "breakeven_usd_per_kwh")), 0.112, 5e-3);
    json_decref(j);
    /* PPS pays the subsidy only: a lower break-even than FPPS */
    j = wm_json("btc breakeven --asic s21 --payout pps --pool-fee 0.02 --fees-per-block 1");
    double pps = json_real_value(json_object_get(json_array_get(json_object_get(j, "machines"), 0), "revenue_usd_per_day"));
    json_decref(j);
    j = wm_json("btc breakeven --asic s21 --payout fpps --pool-fee 0.02 --fees-per-block 1");
    double fpps = json_real_value(json_object_get(json_array_get(json_object_get(j, "machines"), 0), "revenue_usd_per_day"));
    json_decref(j);
    assert_near_rel(pps / fpps, 3.125 / 4.125, 1e-12);
}

static void test_subsidy_target_halvings(void **state)
{
    (void)state;
    json_t *j = wm_json("btc subsidy --height 6929999");
    assert_int_equal(json_integer_value(json_object_get(j, "subsidy_sat")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "supply_sat")), 2099999997690000LL);
    json_decref(j);
    j = wm_json("btc target --difficulty 86388558925171.02");
    assert_string_equal(json_string_value(json_object_get(j, "bits")), "0x17034219");
    json_decref(j);
    j = wm_json("btc target --bits 0x0108ffff");
    assert_string_equal(json_string_value(json_object_get(j, "canonical_bits")), "0x01080000");
    json_decref(j);
    j = wm_json("btc halvings --count 2");
    assert_int_equal(json_array_size(json_object_get(j, "halvings")), 2);
    json_decref(j);
}

static void test_bad_input_exit_2(void **state)
{
    (void)state;
    struct {
        const char *args, *want;
    } bad[] = {
        {"btc target --bits 0x1703421z", "--bits: '0x1703421z', character 10: expected a hex digit"},
        {"btc subsidy --height -1", "--height: -1 is outside"},
        {"btc breakeven --asic s9", "unknown ASIC model 's9'"},
        {"btc hashprice --price abc", "--price: expected a number in USD/BTC, got 'abc'"},
        {"btc retarget --bits 0x04923456 --first-time 0 --last-time 1", "sign bit"},
        {"btc retarget --bits 0x17034219 --first-time 0", "missing required option --last-time"},
        {"btc history --price-file /nonexistent.csv", "/nonexistent.csv: cannot open"},
        {"btc nosuch", "unknown subcommand 'nosuch'"},
        {"btc hashprice --nosuch 1", "unknown option --nosuch"},
        {"btc fleet --fleet s19xp:1x", "--fleet:1:7: expected a machine count"},
        {"btc cost --json", "give --eff J/TH, --asic MODEL or --network-cost"},
        {"btc cost --network-cost 45000 --power-price 0", "needs a positive --power-price"},
        {"btc history --monthly=no", "--monthly takes no value"},
        {"btc hashprice --bits 0x17034219 --difficulty 1e14", "not both"},
        {"btc halvings --height 12900000 --count 5", "only 2 halvings remain"},
        {"btc retarget --bits 1d00fffg --first-time 0 --last-time 1", "character 8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wm(bad[i].args);
        if (R.rc != 2 || !strstr(R.err, bad[i].want))
            print_error("'%s' -> exit %d, stderr '%s', wanted '%s'\n", bad[i].args, R.rc, R.err, bad[i].want);
        assert_int_equal(R.rc, 2);
        assert_non_null(strstr(R.err, bad[i].want));
        assert_string_equal(R.out, ""); /* nothing half-printed */
    }
}

static void test_history_csv_errors_name_the_line(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/wm_hist_%d.csv", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs("date,price\n2024-01-01,42000\n2024-01-0x,43000\n", f);
    fclose(f);
    char args[256];
    snprintf(args, sizeof args, "btc history --price-file %s", path);
    wm(args);
    remove(path);
    assert_int_equal(R.rc, 2);
    char want[128];
    snprintf(want, sizeof want, "%s:3:1: expected", path);
    assert_non_null(strstr(R.err, want));
}

static void test_report_and_history_on_shared_data(void **state)
{
    (void)state;
    wmt_shared("bitcoin/difficulty_daily_2009_2026.csv"); /* fails if the data is missing */
    json_t *j = wm_json("btc report");
    assert_non_null(json_object_get(j, "history"));
    json_t *hist = json_object_get(json_object_get(j, "history"), "months");
    assert_true(json_array_size(hist) >= 24);
    double be = json_real_value(json_object_get(json_object_get(j, "economics"), "breakeven_usd_per_mwh"));
    assert_true(be > 20 && be < 200);
    json_decref(j);
    char args[1024];
    snprintf(args, sizeof args, "btc history --from 2025-11-05 --to 2026-02-13 --fees-file %s",
             wmt_shared("bitcoin/fees_daily_btc_2025-11_2026-02.csv"));
    j = wm_json(args);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "summary"), "days")), 97);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retarget_json),        cmocka_unit_test(test_hashprice_and_breakeven_json),
        cmocka_unit_test(test_subsidy_target_halvings), cmocka_unit_test(test_bad_input_exit_2),
        cmocka_unit_test(test_history_csv_errors_name_the_line),
        cmocka_unit_test(test_report_and_history_on_shared_data),
    };
    return cmocka_run_group_tests_name("cli_btc", tests, NULL, NULL);
}
