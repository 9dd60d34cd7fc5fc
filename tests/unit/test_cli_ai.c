/* test_cli_ai.c - `wattmux ai` end to end: runs the built binary ($WM_BIN, default
 * build/wattmux), parses its --json output and checks figures, exit codes and error messages. */
#include "wmtest.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int rc;
static char out[1 << 17], errbuf[4096];

static void run(const char *args)
{
    rc = wmt_run(args, out, sizeof out, errbuf, sizeof errbuf);
}

static json_t *run_json(const char *args)
{
    char a[2048];
    snprintf(a, sizeof a, "%s --json", args);
    run(a);
    if (rc != 0)
        print_error("exit %d: %s\n", rc, errbuf);
    assert_int_equal(rc, 0);
    json_error_t je;
    json_t *j = json_loads(out, 0, &je);
    if (!j)
        print_error("bad JSON: %s\n", je.text);
    assert_non_null(j);
    return j;
}

static double get(json_t *j, const char *sec, const char *key)
{
    json_t *o = sec ? json_object_get(j, sec) : j;
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        print_error("missing number %s.%s\n", sec ? sec : "", key);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

/* The example: MLPerf Llama-2-70B Offline on 8xH100 (24,525 tok/s) within 15 %. */
static void test_serve_mlperf(void **state)
{
    (void)state;
    json_t *j = run_json("ai serve --model llama-2-70b --gpu h100 --gpus 8 --scenario offline");
    assert_near_rel(get(j, "throughput", "out_tok_s_system"), 24525, 0.15);
    assert_true(get(j, "memory", "kv_bytes_per_token") == 163840); /* FP8 KV */
    json_decref(j);
    /* interactive bound: TPOT <= 40 ms */
    j = run_json("ai serve --model llama-2-70b --gpu h100 --gpus 8 --scenario interactive");
    assert_true(get(j, "roofline", "tpot_ms") <= 40.0);
    json_decref(j);
}

static void test_train_deepseek(void **state)
{
    (void)state;
    json_t *j = run_json("ai train --model deepseek-v3 --tokens 14.8e12 --gpu h800 --gpus 2048 --gpu-hours 2.664e6");
    assert_true(fabs(get(j, NULL, "mfu") - 0.346) < 0.001);
    assert_true(fabs(get(j, NULL, "cost_usd") - 5328000) < 1);
    json_decref(j);
}

static void test_colo_deal(void **state)
{
    (void)state;
    json_t *j = run_json("ai colo --deal-total 3.5e9 --deal-mw 200 --deal-years 12");
    assert_near_rel(get(j, "deal", "flat_usd_per_kw_month"), 121.53, 1e-4);
    json_t *row = json_array_get(json_object_get(j, "year"), 0);
    /* first year of rent per MW IT = 121.53 x 12,000 (pass-through, no escalator) */
    assert_near_rel(json_number_value(json_object_get(row, "revenue_usd_per_mw_year")) * 1.3, 121.5277 * 12000, 1e-3);
    json_decref(j);
}

/* compare: mining revenue per meter MW is the hashprice times the TH/s that fit, after pool fee
 * and uptime; every mode has its row. */
static void test_compare(void **state)
{
    (void)state;
    json_t *j = run_json("ai compare --asic s21 --difficulty 1.5e14 --btc-price 90000 --fees-per-block 0.03 "
                         "--power-price 45");
    double hp = get(j, NULL, "hashprice_usd_per_ph_day");
    json_t *modes = json_object_get(j, "modes");
    assert_int_equal(json_array_size(modes), 5);
    json_t *btc = json_array_get(modes, 0);
    assert_string_equal(json_string_value(json_object_get(btc, "mode")), "bitcoin mining");
    double machines = 1e6 / (3500 * 1.05);
    double want = hp / 1000 * 200 * 0.98 * 0.97 * 365.25 * machines;
    assert_near_rel(json_number_value(json_object_get(btc, "revenue_usd_per_mw_year")), want, 1e-9);
    double power = json_number_value(json_object_get(btc, "power_usd_per_mw_year"));
    assert_near_rel(power, 24 * 45 * 0.97 * 365.25, 1e-9);
    json_decref(j);
    /* token serving from the roofline */
    j = run_json("ai compare --asic s21 --difficulty 1.5e14 --btc-price 90000 --serve-model llama-3.1-70b "
                 "--serve-gpu h200");
    assert_true(get(j, NULL, "token_tok_s_per_gpu") > 100);
    json_decref(j);
}

static void test_errors(void **state)
{
    (void)state;
    run("ai serve --model llama-2-70b --gpu z100");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(errbuf, "unknown GPU 'z100'"));
    run("ai serve --model llama-3.1-405b --gpu a100 --gpus 2 --precision bf16");
    assert_int_equal(rc, 1);
    assert_non_null(strstr(errbuf, "does not fit"));
    run("ai serve --model llama-2-70b --gpu h100 --util -0.5");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(errbuf, "--util: -0.5"));
    assert_non_null(strstr(errbuf, "outside [0, 1]"));
    run("ai cloud --cloud-util -1");
    assert_int_equal(rc, 2);
    run("ai compare --asic s21");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(errbuf, "--difficulty"));
    char path[] = "/tmp/wm_cards_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char bad[] = "[model m]\nlayers = x\n";
    assert_int_equal(write(fd, bad, sizeof bad - 1), (ssize_t)(sizeof bad - 1));
    close(fd);
    char args[256];
    snprintf(args, sizeof args, "ai gpus --cards %s", path);
    run(args);
    remove(path);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(errbuf, ":2:10: layers: expected a whole number"));
}

static void test_cards_example(void **state)
{
    (void)state;
    json_t *j = run_json("ai gpus --cards examples/ai-cards.ini");
    json_t *g = json_object_get(j, "gpus");
    int found = 0;
    for (size_t i = 0; i < json_array_size(g); i++) {
        json_t *r = json_array_get(g, i);
        if (!strcmp(json_string_value(json_object_get(r, "id")), "h100-pcie")) {
            found = 1;
            assert_true(json_is_true(json_object_get(r, "user_defined")));
        }
    }
    assert_true(found);
    json_decref(j);
    j = run_json("ai serve --cards examples/ai-cards.ini --model mixtral-8x7b --gpu h100-pcie --gpus 2");
    assert_true(get(j, "throughput", "out_tok_s_per_gpu") > 0);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serve_mlperf), cmocka_unit_test(test_train_deepseek), cmocka_unit_test(test_colo_deal),
        cmocka_unit_test(test_compare),      cmocka_unit_test(test_errors),         cmocka_unit_test(test_cards_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
