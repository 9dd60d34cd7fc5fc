/* test_replay_consistency.c - the planner's history replay and the btc module's day-by-day replay
 * see the same days: the planner builds its real days in lib/backtest (for `wattmux plan
 * --replay-from` and the report), `wattmux btc history` in lib/history. On the same files, day by
 * day, their hashprices agree and a 100 MW S19 XP fleet's revenue agrees to the cent (issue 5). */
#include "wmtest.h"
#include "backtest.h"
#include "calibrate.h"
#include "history.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_replay_matches_btc_history(void **state)
{
    (void)state;
    const char *dir = wmt_shared_data_dir();
    wm_calibrate_files files;
    wm_calibrate_in in;
    wm_err e;
    wm_err_clear(&e);
    if (wm_calibrate_load(dir, &files, &in, &e) != WM_OK)
        print_error("%s:%ld: %s\n", e.source, e.line, e.msg);
    assert_non_null(in.price);
    int64_t from, to;
    wm_parse_time("2023-01-01", &from);
    wm_parse_time("2025-12-31", &to);
    int max = 4 * 366, nd = 0;
    wm_scenario_day *days = calloc((size_t)max, sizeof *days);
    assert_int_equal(wm_backtest_history_days(&in, from, to, 40, 2, 2, days, max, &nd, &e), WM_OK);
    assert_true(nd > 1000);
    /* 100 MW of S19 XP (140 TH/s, 3010 W), uptime 0.97, FPPS with a 2 % fee */
    const double th = 33222 * 140.0, kw = 33222 * 3.010, up = 0.97, pay = 0.98;
    size_t compared = 0, with_fees = 0;
    /* each fee window once, then the days without fee data with no fee series at all */
    for (size_t w = 0; w <= in.nfees; w++) {
        wm_history_in h = {.price = in.price, .price_col = in.price_col, .difficulty = in.difficulty,
                           .difficulty_col = in.difficulty_col, .hashrate = in.hashrate,
                           .hashrate_col = in.hashrate_col, .hashrate_th_s = th,
                           .blocks = in.heights, .blocks_col = in.heights ? wm_series_col(in.heights, "Blocks Per Day") : 0, .power_kw = kw, .pue = 1.05,
                           .uptime = up, .payout_factor = pay, .price_usd_per_mwh = 45, .from = from,
                           .to = to + 86400};
        if (w < in.nfees) {
            h.fees = in.fees[w];
            h.fees_col = in.fees_col[w];
        }
        size_t cnt = wm_history_count(&h), n;
        wm_history_day *hd = calloc(cnt ? cnt : 1, sizeof *hd);
        wm_history_summary sum;
        assert_int_equal(wm_history_replay(&h, hd, cnt, &n, &sum), WM_OK);
        for (size_t i = 0; i < n; i++) {
            int k = (int)((hd[i].day - from) / 86400);
            if (k < 0 || k >= nd)
                continue;
            const wm_scenario_day *b = &days[k];
            bool b_has_fees = b->fees_btc_per_block > 0;
            if ((w < in.nfees) != b_has_fees)
                continue; /* the other pass covers this day */
            assert_near_rel(b->price_usd_per_btc, hd[i].price_usd_per_btc, 0);
            assert_near_rel(b->subsidy_btc, hd[i].subsidy_btc, 1e-15);
            assert_near_rel(b->fees_btc_per_block, hd[i].fees_btc_per_block, 1e-12);
            assert_near_rel(b->hashprice_usd_per_ph_day, hd[i].hashprice_usd_per_ph_day, 1e-12);
            double rev_plan = b->hashprice_btc_per_ph_day * th / 1000.0 * up * pay * b->price_usd_per_btc;
            if (fabs(rev_plan - hd[i].revenue_usd) >= 0.005) {
                char t[11];
                print_error("%s: planner day $%.4f vs btc history $%.4f\n", wm_fmt_date(hd[i].day, t), rev_plan,
                            hd[i].revenue_usd);
            }
            assert_true(fabs(rev_plan - hd[i].revenue_usd) < 0.005);
            compared++;
            with_fees += w < in.nfees;
        }
        free(hd);
    }
    print_message("replay consistency: %zu days compared (%zu with real fees), all to the cent\n", compared, with_fees);
    assert_true(compared >= (size_t)nd - 5); /* every replayed day but the difficulty-gap days */
    assert_true(with_fees > 100);
    free(days);
    wm_calibrate_files_free(&files);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_replay_matches_btc_history)};
    return cmocka_run_group_tests_name("replay_consistency", tests, NULL, NULL);
}
