/* test_backtest_data.c - the backtest on real data: calibrated to 2022-12-31, simulated
 * 2023-01-01 .. 2025-12-31; the realised quarter-end values are the files' values, the
 * percentiles agree with the simulated bands, results do not depend on the thread count, and
 * the realised hashprice equals btc.h's on the real inputs. */
#include "wmtest.h"

#include "backtest.h"
#include "btc.h"

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

static void test_backtest_2023_2025(void **state)
{
    (void)state;
    wm_calibrate_files f;
    wm_calibrate_in in;
    wm_err e;
    assert_int_equal(wm_calibrate_load(data_dir(), &f, &in, &e), WM_OK);
    wm_backtest_opts o = {day("2022-12-31"), day("2025-12-31"), 400, 7, 1, WM_PRICE_JUMP_DIFFUSION};
    wm_backtest_result *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(wm_backtest_run(&in, &o, a, &e), WM_OK);
    assert_int_equal(a->fit.price.to, day("2022-12-31"));
    assert_int_equal(a->nq, 12);
    assert_int_equal(a->q[0].day, day("2023-03-31"));
    assert_int_equal(a->q[11].day, day("2025-12-31"));
    /* realised values are the files' */
    char b1[11];
    assert_string_equal(wm_fmt_date(a->q[11].day, b1), "2025-12-31");
    for (size_t k = 0; k < a->nq; k++) {
        const wm_backtest_quarter *q = &a->q[k];
        long i = wm_series_at_or_before(in.price, q->day);
        assert_true(q->price_usd_per_btc == wm_series_values(in.price, (size_t)in.price_col)[i]);
        long j = wm_series_at_or_before(in.difficulty, q->day);
        assert_true(q->difficulty == wm_series_values(in.difficulty, (size_t)in.difficulty_col)[j]);
        /* percentile consistent with the bands */
        double pc[3] = {q->price_pct, q->difficulty_pct, q->hashprice_pct};
        double real[3] = {q->price_usd_per_btc, q->difficulty, q->hashprice_usd_per_ph_day};
        double lo[3] = {q->price_p5, q->difficulty_p5, q->hashprice_p5};
        double hi[3] = {q->price_p95, q->difficulty_p95, q->hashprice_p95};
        for (int v = 0; v < 3; v++) {
            assert_true(pc[v] >= 0 && pc[v] <= 100);
            if (real[v] < lo[v])
                assert_true(pc[v] <= 5.0 + 0.25);
            if (real[v] > hi[v])
                assert_true(pc[v] >= 95.0);
        }
    }
    /* Q2 2023 (2023-06-30) is covered by the blockchain.com fee file: hashprice includes fees and
     * exceeds the subsidy-only value */
    assert_true(a->q[1].fees_known);
    wm_hashprice hp;
    assert_int_equal(wm_btc_hashprice(a->q[1].difficulty, a->q[1].price_usd_per_btc, 6.25, 0, &hp), WM_OK);
    assert_true(a->q[1].hashprice_usd_per_ph_day > hp.usd_per_ph_day);
    /* halving 2024-04-20: the quarter after it has a 3.125 subsidy in the realised hashprice */
    assert_false(a->q[6].fees_known);
    assert_int_equal(wm_btc_hashprice(a->q[6].difficulty, a->q[6].price_usd_per_btc, 3.125, 0, &hp), WM_OK);
    assert_near_rel(a->q[6].hashprice_usd_per_ph_day, hp.usd_per_ph_day, 1e-12);
    /* same numbers on 2 threads */
    o.threads = 2;
    assert_int_equal(wm_backtest_run(&in, &o, b, &e), WM_OK);
    assert_memory_equal(a->q, b->q, a->nq * sizeof a->q[0]);
    wm_backtest_result_free(a);
    wm_backtest_result_free(b);
    /* the bootstrap variant runs on the fitted window's returns */
    o.price_model = WM_PRICE_BOOTSTRAP;
    assert_int_equal(wm_backtest_run(&in, &o, a, &e), WM_OK);
    assert_int_equal(a->nq, 12);
    wm_backtest_result_free(a);
    /* until before the fit end is refused */
    o.until = day("2022-06-30");
    assert_int_equal(wm_backtest_run(&in, &o, a, &e), WM_EINVAL);
    free(a);
    free(b);
    wm_calibrate_files_free(&f);
}

/* History days for the replay: the halving day 2024-04-20 reproduces bitcoin.md's validation
 * case 6 (fees 1,257.72 BTC over 135 blocks, D 86,388,558,925,171, $63,823.55 from that
 * file; here the price comes from the daily close file) within the price difference; the
 * difficulty file's 3-day gap in Nov 2025 is held. */
static void test_history_days(void **state)
{
    (void)state;
    wm_calibrate_files f;
    wm_calibrate_in in;
    wm_err e;
    assert_int_equal(wm_calibrate_load(data_dir(), &f, &in, &e), WM_OK);
    static wm_scenario_day d[1200];
    int n = 0;
    assert_int_equal(wm_backtest_history_days(&in, day("2024-04-20"), day("2024-04-20"), 40, 2, 2, d, 1200, &n, &e),
                     WM_OK);
    assert_int_equal(n, 1);
    assert_near_rel(d[0].fees_btc_per_block, 1257.72 / 135.0, 0.001);
    assert_near_rel(d[0].difficulty, 86388558925171.0, 1e-12); /* the file has ...171.2 */
    /* case 6: 2.897e-3 BTC/PH/day (with the day's mixed subsidy weighting of the file) */
    assert_near_rel(d[0].hashprice_btc_per_ph_day, 2.897e-3, 0.02);
    assert_int_equal(wm_backtest_history_days(&in, day("2025-11-01"), day("2025-11-30"), 40, 2, 2, d, 1200, &n, &e),
                     WM_OK);
    assert_int_equal(n, 30);
    assert_true(d[12].difficulty == d[11].difficulty); /* 2025-11-13 held from 11-12 */
    assert_int_equal(wm_backtest_history_days(&in, day("2030-01-01"), day("2030-01-02"), 40, 2, 2, d, 1200, &n, &e),
                     WM_ENOTFOUND);
    assert_non_null(strstr(e.msg, "2030-01-01"));
    wm_calibrate_files_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backtest_2023_2025),
        cmocka_unit_test(test_history_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
