/* test_aiecon.c - AI revenue arithmetic against published figures (DeepSeek's serving day,
 * SemiAnalysis' ChatGPT cost, the Core Scientific-CoreWeave lease) and the per-day API the
 * planner calls (lead time, escalator, pass-through, rent decline, the R1 shock). */
#include "wmtest.h"

#include "aiecon.h"

#include <math.h>
#include <string.h>

/* Case 7, DeepSeek open-infra-index day 6 (2025-02-27/28): 226.75 nodes x 8 H800 at $2/GPU-h ->
 * $87,072/day exactly; 342B cache-hit + 266B miss input and 168B output tokens at R1 prices
 * 0.14/0.55/2.19 $/M -> revenue $562,027 (DeepSeek's figure; the rounded token counts give
 * $562,100, so 0.1%); "cost profit margin" 545% (+-1 point). */
static void test_deepseek_serving_day(void **state)
{
    (void)state;
    wm_fleet_day_in in = {.gpus = 226.75 * 8, .usd_per_gpu_h = 2.0, .hours = 24, .tokens_in_hit = 342e9,
                          .tokens_in_miss = 608e9 - 342e9, .tokens_out = 168e9, .usd_per_m_in_hit = 0.14,
                          .usd_per_m_in_miss = 0.55, .usd_per_m_out = 2.19};
    wm_fleet_day o;
    assert_int_equal(wm_aiecon_fleet_day(&in, &o, NULL), WM_OK);
    assert_true(fabs(o.cost_usd - 87072.0) < 1e-6);
    assert_near_rel(o.revenue_usd, 562027.0, 0.001);
    assert_true(fabs(o.cost_margin * 100 - 545) < 1.0);
}

/* Case 8, SemiAnalysis (Feb 2023): 3,617 HGX A100 = 28,936 GPUs at $1/A100-hour -> $694,444/day
 * (the identity gives $694,464, 0.003%); 13M DAU x 15 queries = 195M queries -> 0.36 cents/query
 * (+-2%); 2,000 tokens per response on a 175B dense model -> ~55 TFLOP/s per GPU average (1%). */
static void test_chatgpt_cost(void **state)
{
    (void)state;
    double queries = 13e6 * 15;
    wm_fleet_day_in in = {.gpus = 3617 * 8, .usd_per_gpu_h = 1.0, .hours = 24, .tokens_out = queries * 2000,
                          .queries = queries};
    wm_fleet_day o;
    assert_int_equal(wm_aiecon_fleet_day(&in, &o, NULL), WM_OK);
    assert_near_rel(o.cost_usd, 694444.0, 0.0001);
    assert_near_rel(o.cents_per_query, 0.36, 0.02);
    double flops_per_gpu_s = 2 * 175e9 * in.tokens_out / (o.gpu_hours * 3600);
    assert_near_rel(flops_per_gpu_s, 55e12, 0.01);
}

/* Case 10, Core Scientific - CoreWeave: 200 MW IT, 12 years, $3.5B -> $121.5/kW-month (+-0.1%),
 * $1.46M per MW-year (rounded, 0.5%); the expanded ~500 MW / $8.7B gives ~$121 too (1%). */
static void test_colo_deal(void **state)
{
    (void)state;
    double r = wm_aiecon_colo_usd_per_kw_month(3.5e9, 200, 12);
    assert_near_rel(r, 121.5, 0.001);
    assert_near_rel(r * 1000 * 12, 1.46e6, 0.005); /* ai.md rounds to $1.46M */
    assert_near_rel(wm_aiecon_colo_usd_per_kw_month(8.7e9, 500, 12), 121.0, 0.01);
    /* with a 3% escalator the first-year rate is lower and the same total comes back */
    double r0 = wm_aiecon_colo_first_year_rate(3.5e9, 200, 12, 0.03);
    assert_true(r0 < r);
    double total = 0;
    for (int y = 0; y < 12; y++)
        total += r0 * 200e3 * 12 * pow(1.03, y);
    assert_near_rel(total, 3.5e9, 1e-12);
    assert_near_rel(wm_aiecon_colo_first_year_rate(3.5e9, 200, 12, 0), r, 1e-12);
    assert_true(isnan(wm_aiecon_colo_usd_per_kw_month(3.5e9, 0, 12)));
    assert_true(isnan(wm_aiecon_colo_first_year_rate(3.5e9, 200, 0, 0.03)));
}

/* The per-day API: the default colo rate is the deal's rate, so a year of colo revenue per MW IT
 * is $1.458M; nothing before the lead time; the escalator steps yearly; power cost only when
 * power is included; the rent decline; the R1 shock divides token revenue by 27.4 from its day. */
static void test_day_api(void **state)
{
    (void)state;
    wm_aiecon p;
    wm_aiecon_defaults(&p);
    assert_int_equal(wm_aiecon_check(&p, NULL), WM_OK);
    wm_ai_day_in d = {.day = 400, .power_usd_per_mwh = 50, .token_price_mult = 1, .rent_mult = 1};
    wm_ai_day_out o;
    wm_aiecon_day(&p, &d, &o);
    assert_near_rel(o.revenue[WM_AI_COLO] * 365.25, 121.5 * 12000, 1e-12);
    assert_true(o.power_cost[WM_AI_COLO] == 0); /* pass-through */
    assert_near_rel(o.net_per_meter_mw[WM_AI_COLO], o.net[WM_AI_COLO] / 1.3, 1e-12);
    d.day = 100; /* before the 12-month lead time */
    wm_aiecon_day(&p, &d, &o);
    assert_true(o.revenue[WM_AI_COLO] == 0);
    p.colo.escalator_per_year = 0.03;
    p.colo.power_passthrough = false;
    d.day = 365.25 + 2.5 * 365.25; /* 2.5 years after the lead time: two step-ups */
    wm_aiecon_day(&p, &d, &o);
    assert_near_rel(o.revenue[WM_AI_COLO], 121.5 * 12000 / 365.25 * 1.03 * 1.03, 1e-12);
    assert_near_rel(o.power_cost[WM_AI_COLO], 0.8 * 1.3 * 24 * 50, 1e-12);

    /* GPU cloud: 784 GPUs per MW IT at 1275 W; rent falls e^-0.18 per year */
    assert_near_rel(wm_aiecon_gpus_per_mw_it(&p.fleet), 784.3, 0.001);
    d.day = 0;
    wm_aiecon_day(&p, &d, &o);
    double rev0 = o.revenue[WM_AI_CLOUD];
    assert_near_rel(rev0, 1e6 / 1275 * 24 * 0.8 * 2.35, 1e-12);
    d.day = 365.25;
    wm_aiecon_day(&p, &d, &o);
    assert_near_rel(o.revenue[WM_AI_CLOUD], rev0 * exp(-0.18), 1e-12);
    d.day = 365.25 * 30; /* the floor holds */
    wm_aiecon_day(&p, &d, &o);
    assert_near_rel(o.revenue[WM_AI_CLOUD], rev0 / 2.35 * 1.0, 1e-12);

    /* tokens and the R1 shock at day 100 */
    wm_ai_shock_deepseek_r1(&p.shock, 100);
    assert_int_equal(wm_aiecon_check(&p, NULL), WM_OK);
    d.day = 99;
    wm_aiecon_day(&p, &d, &o);
    double before = o.revenue[WM_AI_TOKENS];
    assert_near_rel(before, 1e6 / 1275 * 1850 * 86400 * 0.8 * 0.42 / 1e6, 1e-12);
    d.day = 100;
    wm_aiecon_day(&p, &d, &o);
    assert_near_rel(o.revenue[WM_AI_TOKENS], before * 2.19 / 60, 1e-12);
    /* a compute shock: 2x less compute per token doubles throughput */
    p.shock.token_price_factor = 1;
    p.shock.compute_factor = 0.5;
    wm_aiecon_day(&p, &d, &o);
    assert_near_rel(o.revenue[WM_AI_TOKENS], 2 * before, 1e-12);

    /* interruptible training: hours lost to restarts, idle draw when curtailed */
    d.day = 0;
    wm_aiecon_day(&p, &d, &o);
    assert_near_rel(o.revenue[WM_AI_TRAIN], 1e6 / 1275 * (24 * 0.95 - 0.25) * 2.0, 1e-12);
    assert_near_rel(o.power_cost[WM_AI_TRAIN], (0.3 + 0.7 * 0.95) * 1.2 * 24 * 50, 1e-12);
    for (int m = 0; m < WM_AI_MODE_COUNT; m++)
        assert_near_rel(o.net[m], o.revenue[m] - o.power_cost[m] - o.fixed_cost[m], 1e-12);
}

/* Monte Carlo split: base (per day) + apply (per path) equals the one-call API bit for bit, and
 * the path's multipliers scale only the modes they belong to. */
static void test_base_apply(void **state)
{
    (void)state;
    wm_aiecon p;
    wm_aiecon_defaults(&p);
    p.colo.power_passthrough = false;
    p.colo.escalator_per_year = 0.025;
    wm_ai_shock_deepseek_r1(&p.shock, 500);
    for (int day = 0; day < 4000; day += 37) {
        wm_ai_day_base b;
        wm_aiecon_base(&p, day, &b);
        for (int k = 0; k < 3; k++) {
            wm_ai_day_in d = {.day = day, .power_usd_per_mwh = -20 + 45.0 * k, .token_price_mult = 0.5 + k,
                              .rent_mult = 1.5 - 0.4 * k};
            wm_ai_day_out o1, o2;
            wm_aiecon_day(&p, &d, &o1);
            wm_aiecon_apply(&b, &d, &o2);
            assert_memory_equal(&o1, &o2, sizeof o1);
            wm_ai_day_in d1 = {.day = day, .power_usd_per_mwh = d.power_usd_per_mwh, .token_price_mult = 1,
                               .rent_mult = 1};
            wm_ai_day_out o3;
            wm_aiecon_apply(&b, &d1, &o3);
            assert_near_rel(o2.revenue[WM_AI_TOKENS], o3.revenue[WM_AI_TOKENS] * d.token_price_mult, 1e-15);
            assert_near_rel(o2.revenue[WM_AI_CLOUD], o3.revenue[WM_AI_CLOUD] * d.rent_mult, 1e-15);
            assert_true(o2.revenue[WM_AI_COLO] == o3.revenue[WM_AI_COLO]);
        }
    }
}

static void test_errors(void **state)
{
    (void)state;
    wm_aiecon p;
    wm_aiecon_defaults(&p);
    wm_err e;
    p.cloud.utilization = -0.2;
    assert_int_equal(wm_aiecon_check(&p, &e), WM_ERANGE);
    assert_non_null(strstr(e.msg, "cloud_utilization"));
    wm_aiecon_defaults(&p);
    p.fleet.pue = 0.9;
    assert_int_equal(wm_aiecon_check(&p, &e), WM_ERANGE);
    wm_aiecon_defaults(&p);
    p.shock.on = true;
    p.shock.token_price_factor = 0;
    assert_int_equal(wm_aiecon_check(&p, &e), WM_EINVAL);
    wm_fleet_day_in in = {.gpus = -1, .hours = 24};
    wm_fleet_day o;
    assert_int_equal(wm_aiecon_fleet_day(&in, &o, &e), WM_EINVAL);
    assert_string_equal(wm_ai_mode_name(WM_AI_TOKENS), "tokens");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deepseek_serving_day),
        cmocka_unit_test(test_chatgpt_cost),
        cmocka_unit_test(test_colo_deal),
        cmocka_unit_test(test_day_api),
        cmocka_unit_test(test_base_apply),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
