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
    static char dir[1024];
    const char *p = wmt_shared("bitcoin/btc_usd_daily_2015_2026.csv");
    size_t n = strlen(p) - strlen("/bitcoin/btc_usd_daily_2015_2026.csv");
    memcpy(dir, p, n);
    dir[n] = 0;
    return dir;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backtest_2023_2025),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
