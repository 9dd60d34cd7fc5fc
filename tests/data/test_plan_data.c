/* test_plan_data.c - the curtailment table on the real ERCOT LZ_WEST 2023 hourly prices: every
 * whole UTC day becomes a shape, and for each day at its own mean price the dispatch-derived
 * value equals sum_h max(p_h - B, 0) computed directly from the file, at several break-evens
 * (including the summer-2023 scarcity days). */
#include "wmtest.h"

#include "plan.h"

#include <math.h>
#include <string.h>

static void test_ercot_2023_shapes(void **state)
{
    (void)state;
    wm_series_opts o = {.tz = WM_TZ_US_CENTRAL};
    wm_series *hs = NULL;
    wm_err e;
    assert_int_equal(wm_series_load(wmt_shared("power/ercot_rtm_lz_hourly_2023.csv"), &o, &hs, &e), WM_OK);
    int col = wm_series_col(hs, "LZ_WEST");
    assert_true(col >= 0);
    int per_month[12] = {0};
    wm_plan_curtail *c = NULL;
    assert_int_equal(wm_plan_curtail_new(hs, col, per_month, &c, &e), WM_OK);
    int total = 0;
    for (int m = 0; m < 12; m++)
        total += per_month[m];
    /* local 2023 in UTC: 2023-01-01 and 2024-01-01 are partial UTC days; the rest are whole */
    assert_int_equal(total, 364);
    assert_int_equal(per_month[0], 30);
    assert_int_equal(per_month[1], 28);
    size_t n = wm_series_len(hs);
    const int64_t *t = wm_series_times(hs);
    const double *v = wm_series_values(hs, (size_t)col);
    int shape_in_month[13] = {0}, checked = 0;
    double worst = 0, max_value = 0;
    for (size_t i = 0; i < n;) {
        int64_t day = t[i] / 86400 * 86400;
        size_t j = i;
        double sum = 0;
        while (j < n && t[j] / 86400 * 86400 == day)
            sum += v[j++];
        int h = (int)(j - i);
        if (h >= 20) {
            int y;
            unsigned m, dd;
            wm_civil_from_days(day / 86400, &y, &m, &dd);
            int k = shape_in_month[m]++;
            double mean = sum / h;
            if (mean >= 1.0) {
                const double bes[4] = {20, 60, 132, 500};
                for (int b = 0; b < 4; b++) {
                    double want = 0;
                    for (size_t q = i; q < j; q++)
                        want += fmax(v[q] - bes[b], 0);
                    want *= 24.0 / h;
                    wm_scenario_day d;
                    memset(&d, 0, sizeof d);
                    d.month = (int)m;
                    d.shape = k;
                    d.power_usd_per_mwh = mean;
                    double got = wm_plan_curtail_value(c, &d, bes[b]);
                    double err = fabs(got - want) / fmax(1.0, want);
                    if (err > worst)
                        worst = err;
                    if (got > max_value)
                        max_value = got;
                    checked++;
                }
            }
        }
        i = j;
    }
    assert_true(checked > 1400);
    assert_true(worst < 1e-9);
    assert_true(max_value > 10000); /* the EEA days of summer 2023: > $10k per MW-day at B = $20 */
    wm_plan_curtail_free(c);
    wm_series_free(hs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ercot_2023_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
