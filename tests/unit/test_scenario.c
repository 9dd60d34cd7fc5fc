/* test_scenario.c - the daily market models: retargets equal Bitcoin's rule (btc.h) applied
 * to the simulated block times, halvings land at their heights and their dates move with the
 * hashrate, hashprice agrees with btc.h, the price process has the moments it should, the
 * hashrate follows revenue with a lag, streams are independent (common random numbers), the
 * tenant is vacant the expected share of time, and the bootstrap replays history blocks. */
#include "wmtest.h"

#include "btc.h"
#include "scenario.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define T2024 1704067200LL /* 2024-01-01 */

static void base(wm_scenario_params *p)
{
    wm_scenario_defaults(p);
    p->start_time = T2024;
    p->price0_usd_per_btc = 42000;
    p->height0 = 2016 * 500 - 1; /* next block 1,008,000 starts a period */
    p->difficulty0 = 88104191118793.0;
    p->hashrate0_h_s = 0;
    p->fees0_btc_per_block = 0.1;
    p->fee_level_btc_per_block = 0.1;
    /* constant hashrate: x* = 0, so log H = the initial deviation, unchanged (kappa = 0) */
    p->hash_adjust_per_day = 0;
    p->hash_level = 0;
    p->hash_elasticity = 0;
    p->hash_trend_per_year = 0;
    p->revenue_ema0_log_usd_per_day = 0;
    p->price_drift_per_year = 0.2;
    wm_scenario_zero_vol(p);
}

static wm_scenario_day *project(const wm_scenario_params *p, int n)
{
    wm_scenario_day *d = calloc((size_t)n, sizeof *d);
    assert_non_null(d);
    assert_int_equal(wm_scenario_project(p, n, d), WM_OK);
    return d;
}

static void test_defaults_valid(void **state)
{
    (void)state;
    wm_scenario_params p;
    wm_scenario_defaults(&p);
    assert_int_equal(wm_scenario_check(&p, NULL), WM_OK);
    wm_err e;
    p.price_vol_per_year = 6;
    assert_int_equal(wm_scenario_check(&p, &e), WM_ERANGE);
    assert_non_null(strstr(e.msg, "price_vol_per_year"));
    wm_scenario_defaults(&p);
    p.price_model = WM_PRICE_BOOTSTRAP;
    assert_int_equal(wm_scenario_check(&p, &e), WM_EINVAL);
    assert_non_null(strstr(e.msg, "bootstrap"));
}

/* Constant hashrate at the difficulty-implied level: 144 blocks a day, the period's 2015
 * measured intervals last 2015 * 600 s, and the new difficulty is exactly what
 * CalculateNextWorkRequired gives for those block times. */
static void test_retarget_rule(void **state)
{
    (void)state;
    wm_scenario_params p;
    base(&p);
    wm_scenario_day *d = project(&p, 30);
    for (int i = 0; i < 13; i++)
        assert_near_rel(d[i].blocks, 144.0, 1e-12);
    wm_u256 t;
    assert_int_equal(wm_btc_target_from_difficulty(p.difficulty0, &t), WM_OK);
    uint32_t bits0 = wm_btc_compact_encode(&t, false);
    assert_true(d[12].difficulty == wm_btc_difficulty_bits(bits0));
    wm_retarget rt;
    assert_int_equal(wm_btc_retarget(bits0, T2024 + 600, T2024 + 2016 * 600, &rt), WM_OK);
    assert_int_equal(rt.actual_timespan_s, 2015 * 600);
    assert_true(d[14].difficulty == rt.new_difficulty);
    /* the off-by-one makes difficulty rise by 2016/2015 at constant hashrate */
    assert_near_rel(d[14].difficulty / d[12].difficulty, 2016.0 / 2015.0, 2e-5);
    /* so blocks come slightly slower after it */
    assert_true(d[20].blocks < 144.0 && d[20].blocks > 143.9);
    free(d);
}

/* The halving happens at block 1,050,000, on the day the hashrate brings it; the day's
 * subsidy is the block-weighted mix. 20% more hashrate brings it forward. */
static void test_halving_moves(void **state)
{
    (void)state;
    wm_scenario_params p;
    base(&p);
    p.height0 = 1049000 - 1; /* 1,000 blocks before the halving */
    wm_scenario_day *d = project(&p, 10);
    int hday = -1;
    for (int i = 0; i < 10; i++)
        if (d[i].subsidy_btc < 3.125 && hday < 0)
            hday = i;
    assert_int_equal(hday, 6); /* 1000 / 144 = 6.94 days */
    /* day 6 mines blocks 1,049,864 .. 1,050,007: 136 at 3.125 and 8 at 1.5625 */
    assert_near_rel(d[6].subsidy_btc, (136 * 3.125 + 8 * 1.5625) / 144.0, 1e-9);
    assert_true(d[7].subsidy_btc == 1.5625);
    free(d);

    p.hashrate0_h_s = 1.2 * p.difficulty0 * 4294967296.0 / 600.0;
    d = project(&p, 10);
    hday = -1;
    for (int i = 0; i < 10; i++)
        if (d[i].subsidy_btc < 3.125 && hday < 0)
            hday = i;
    assert_int_equal(hday, 5); /* 1000 / 172.8 = 5.79 days */
    free(d);
}

static void test_hashprice_and_price(void **state)
{
    (void)state;
    wm_scenario_params p;
    base(&p);
    p.height0 = 840000 + 10; /* inside a period, no event in the first days */
    wm_scenario_day *d = project(&p, 5);
    for (int i = 0; i < 5; i++) {
        assert_near_rel(d[i].price_usd_per_btc, 42000 * exp(0.2 * (i + 1) / 365.0), 1e-12);
        wm_hashprice hp;
        assert_int_equal(wm_btc_hashprice(d[i].difficulty, d[i].price_usd_per_btc, d[i].subsidy_btc,
                                          d[i].fees_btc_per_block, &hp),
                         WM_OK);
        assert_near_rel(d[i].hashprice_usd_per_ph_day, hp.usd_per_ph_day, 1e-12);
        assert_near_rel(d[i].fees_btc_per_block, 0.1, 1e-12);
        assert_int_equal(d[i].month, 1);
        assert_near_rel(d[i].colo_rent_factor, 1.0, 0);
    }
    free(d);
}

/* Equilibrium hashrate is proportional to revenue^b: at a halving revenue falls to
 * (1.5625 + fees) / (3.125 + fees) and the hashrate follows, but only after the lag. */
static void test_hashrate_follows_revenue(void **state)
{
    (void)state;
    wm_scenario_params p;
    base(&p);
    p.price_drift_per_year = 0;
    p.hash_elasticity = 1.0;
    p.hash_trend_per_year = 0;
    p.hash_adjust_per_day = 0.02;
    p.hash_lag_days = 60;
    p.height0 = 1050000 - 11; /* halving on day 0 */
    /* start at the pre-halving equilibrium (the EMA starts at the day-0 revenue) */
    double lrev = log(42000.0) + log(144.0 * (3.125 + 0.1));
    p.hash_level = log(p.difficulty0 * 4294967296.0 / 600.0) - lrev;
    wm_scenario_day *a = project(&p, 1400); /* next halving ~day 1458 */
    double h0 = p.difficulty0 * 4294967296.0 / 600.0;
    assert_true(a[0].subsidy_btc < 3.125);
    assert_true(a[5].hashrate_h_s / h0 > 0.93);  /* lagged: little change after 5 days */
    assert_true(a[100].hashrate_h_s / h0 < 0.8); /* but it does respond */
    assert_near_rel(a[1399].hashrate_h_s / h0, (1.5625 + 0.1) / (3.125 + 0.1), 0.01);
    /* difficulty follows hashrate retarget by retarget */
    assert_near_rel(a[1399].difficulty / p.difficulty0, (1.5625 + 0.1) / (3.125 + 0.1), 0.02);
    free(a);
}

/* Jump-diffusion: one-year log-return has mean mu and variance sigma^2 + lambda (m^2 + s^2). */
static void test_price_moments(void **state)
{
    (void)state;
    wm_scenario_params p;
    base(&p);
    p.height0 = 840000 + 10;
    p.price_vol_per_year = 0.5;
    p.jump_per_year = 2;
    p.jump_mean_log = -0.05;
    p.jump_sd_log = 0.12;
    const int n = 4000;
    double s1 = 0, s2 = 0;
    wm_scenario_state *st = malloc(sizeof *st);
    assert_non_null(st);
    wm_scenario_day day;
    for (int k = 0; k < n; k++) {
        assert_int_equal(wm_scenario_start(&p, 99, (uint64_t)k, true, st), WM_OK);
        for (int i = 0; i < 365; i++)
            wm_scenario_step(&p, st, &day);
        double x = log(day.price_usd_per_btc / 42000);
        s1 += x;
        s2 += x * x;
    }
    double m = s1 / n, v = s2 / n - m * m, want_v = 0.25 + 2 * (0.0025 + 0.0144);
    assert_true(fabs(m - 0.2) < 4 * sqrt(want_v / n));
    assert_near_rel(v, want_v, 0.1);
    free(st);
}

/* Changing the fee model leaves the price and AI paths untouched (separate streams). */
static void test_common_random_numbers(void **state)
{
    (void)state;
    wm_scenario_params p, q;
    wm_scenario_defaults(&p);
    q = p;
    q.fee_vol_per_day *= 2;
    q.fee_spike_per_year += 3;
    wm_scenario_state *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(wm_scenario_start(&p, 5, 17, true, a), WM_OK);
    assert_int_equal(wm_scenario_start(&q, 5, 17, true, b), WM_OK);
    int fee_diff = 0;
    for (int i = 0; i < 400; i++) {
        wm_scenario_day x, y;
        wm_scenario_step(&p, a, &x);
        wm_scenario_step(&q, b, &y);
        assert_true(x.price_usd_per_btc == y.price_usd_per_btc);
        assert_true(x.gpu_usd_per_gpu_hour == y.gpu_usd_per_gpu_hour);
        assert_true(x.power_usd_per_mwh == y.power_usd_per_mwh);
        fee_diff += x.fees_btc_per_block != y.fees_btc_per_block;
    }
    assert_true(fee_diff > 300);
    free(a);
    free(b);
}


/* AI price shocks are counted per path (token serving's throughput jumps with them): Poisson
 * counts with the rate's mean, each shock moving the log prices by the shock sizes. */
static void test_ai_shock_count(void **state)
{
    (void)state;
    wm_scenario_params p;
    base(&p);
    p.height0 = 840000 + 10;
    p.ai_shock_per_year = 3;
    const int n = 2000;
    double sum = 0;
    wm_scenario_state *st = malloc(sizeof *st);
    assert_non_null(st);
    wm_scenario_day day;
    for (int k = 0; k < n; k++) {
        assert_int_equal(wm_scenario_start(&p, 7, (uint64_t)k, true, st), WM_OK);
        for (int i = 0; i < 365; i++)
            wm_scenario_step(&p, st, &day);
        assert_true(day.ai_shocks == floor(day.ai_shocks) && day.ai_shocks >= 0);
        /* with no noise the log GPU-hour price is the drift plus the shocks exactly */
        double drift = (p.gpu_trend_per_year - p.ai_shock_per_year * p.gpu_shock_log) / 365.0 * 365;
        double got = log(day.gpu_usd_per_gpu_hour / p.gpu0_usd_per_gpu_hour);
        assert_true(fabs(got - (drift + day.ai_shocks * p.gpu_shock_log)) < 2e-6); /* float level */
        sum += day.ai_shocks;
    }
    assert_true(fabs(sum / n - 3.0) < 4 * sqrt(3.0 / n));
    wm_scenario_project(&p, 1, &day);
    assert_true(day.ai_shocks == 0);
    free(st);
}

/* A stress event on day D changes nothing before D; from D on: the BTC price x e^event, the
 * hashrate's deviation by the event (it then relaxes at kappa), the AI prices by their events
 * and the shock count by its own, the next halving now and the one after at its height, and a week of
 * given power levels on days D .. D + 6. On projections, so every number is exact. */
static void test_stress_event_day(void **state)
{
    (void)state;
    wm_scenario_params p;
    base(&p);
    p.height0 = 1049000 - 2000; /* the natural halving about 21 days in */
    const int n = 60, D = 10;
    wm_scenario_day *b = project(&p, n);
    wm_scenario_params q = p;
    const double week[7] = {1939, 2588, 6835, 9003, 9024, 9003, 3412};
    q.event_day = D;
    q.event_price_log = log(0.5);
    q.event_gpu_log = log(0.6);
    q.event_tokens_log = log(0.3);
    q.event_ai_shocks = 1;
    q.event_power = week;
    q.event_power_n = 7;
    wm_err e;
    assert_int_equal(wm_scenario_check(&q, &e), WM_OK);
    wm_scenario_day *x = project(&q, n);
    assert_memory_equal(x, b, (size_t)D * sizeof *x);
    for (int i = D; i < n; i++) {
        assert_near_rel(x[i].price_usd_per_btc, 0.5 * b[i].price_usd_per_btc, 1e-12);
        assert_near_rel(x[i].gpu_usd_per_gpu_hour, 0.6 * b[i].gpu_usd_per_gpu_hour, 2e-6); /* float levels */
        assert_near_rel(x[i].tokens_usd_per_mtok, 0.3 * b[i].tokens_usd_per_mtok, 2e-6);
        assert_true(x[i].ai_shocks == b[i].ai_shocks + 1);
        if (i < D + 7)
            assert_true(x[i].power_usd_per_mwh == week[i - D]);
        else
            assert_true(x[i].power_usd_per_mwh == b[i].power_usd_per_mwh);
    }
    free(x);

    /* the hashrate: +30 % from day D, the surplus decaying by (1 - kappa) a day (an equilibrium
       at the start's hashrate, so that the base stays there) */
    q = p;
    q.hash_adjust_per_day = 0.01;
    q.hash_level = log(q.difficulty0 * 4294967296.0 / 600.0);
    wm_scenario_day *hb = project(&q, n);
    q.event_day = D;
    q.event_hash_log = log(1.3);
    x = project(&q, n);
    assert_memory_equal(x, hb, (size_t)D * sizeof *x);
    assert_near_rel(x[D].blocks, 1.3 * hb[D].blocks, 1e-9);
    for (int i = D; i < n; i++)
        assert_near_rel(log(x[i].hashrate_h_s / hb[i].hashrate_h_s), log(1.3) * pow(0.99, i - D + 1), 1e-6);
    free(x);
    free(hb);

    /* the next halving on day D: the subsidy halves then, not at height 1,050,000, and the
       one after stays at its height (1,260,000: beyond these days) */
    q = p;
    q.event_day = D;
    q.event_halving = true;
    x = project(&q, n);
    assert_memory_equal(x, b, (size_t)D * sizeof *x);
    int hday = -1;
    for (int i = 0; i < n; i++)
        if (b[i].subsidy_btc < 3.125 && hday < 0)
            hday = i;
    assert_true(hday > D + 5 && hday < n);
    for (int i = D; i < n; i++)
        assert_true(x[i].subsidy_btc == 1.5625);
    free(x);

    /* out of range */
    q = p;
    q.event_price_log = 60;
    assert_int_equal(wm_scenario_check(&q, &e), WM_ERANGE);
    q = p;
    q.event_power_n = 3;
    assert_int_equal(wm_scenario_check(&q, &e), WM_EINVAL);
    free(b);
}

/* Renewal process: vacant share = relet / (mean tenancy + relet); each re-let cuts rent. */
static void test_tenant_vacancy(void **state)
{
    (void)state;
    wm_scenario_params p;
    base(&p);
    p.height0 = 840000 + 10;
    p.tenant_default_per_year = 0.5; /* mean tenancy 730 days */
    p.tenant_relet_days = 365;
    p.tenant_relet_rent_factor = 0.8;
    wm_scenario_state *st = malloc(sizeof *st);
    assert_non_null(st);
    long vac = 0, tot = 0;
    int cut = 0;
    for (int k = 0; k < 300; k++) {
        assert_int_equal(wm_scenario_start(&p, 3, (uint64_t)k, true, st), WM_OK);
        for (int i = 0; i < 3650; i++) {
            wm_scenario_day d;
            wm_scenario_step(&p, st, &d);
            if (i >= 1825) { /* past the start-up transient */
                vac += d.colo_rent_factor == 0;
                tot++;
            }
            if (d.colo_rent_factor > 0 && d.colo_rent_factor < 1)
                cut = 1;
        }
    }
    assert_true(cut);
    assert_near_rel((double)vac / tot, 365.0 / (730.0 + 365.0), 0.1);
    free(st);
}

/* A stress event that multiplies the tenant default intensity from day D on: every path's days
 * before D are the base's, a tenant still in place at D defaults at D + (base time - D) / f
 * (the same draw scaled: the paths stay common), so within a year of D, 1 - e^{-f lambda} of
 * them default against 1 - e^{-lambda}. */
static void test_tenant_event(void **state)
{
    (void)state;
    wm_scenario_params p;
    base(&p);
    p.height0 = 840000 + 10;
    p.tenant_default_per_year = 0.5;
    p.tenant_relet_days = 3650; /* no re-letting within the run */
    wm_scenario_params q = p;
    const int D = 365, n = 1200;
    q.event_day = D;
    q.event_tenant_factor = 5;
    wm_err e;
    assert_int_equal(wm_scenario_check(&q, &e), WM_OK);
    wm_scenario_state *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    int in_place = 0, gone_base = 0, gone_stress = 0, earlier = 0;
    for (int k = 0; k < n; k++) {
        assert_int_equal(wm_scenario_start(&p, 5, (uint64_t)k, true, a), WM_OK);
        assert_int_equal(wm_scenario_start(&q, 5, (uint64_t)k, true, b), WM_OK);
        int va = -1, vb = -1;
        for (int i = 0; i < 2 * 365; i++) {
            wm_scenario_day x, y;
            wm_scenario_step(&p, a, &x);
            wm_scenario_step(&q, b, &y);
            if (i < D)
                assert_true(x.colo_rent_factor == y.colo_rent_factor);
            if (va < 0 && x.colo_rent_factor == 0)
                va = i;
            if (vb < 0 && y.colo_rent_factor == 0)
                vb = i;
        }
        if (va >= 0 && va < D)
            continue; /* defaulted before the event: the same in both */
        in_place++;
        gone_base += va >= 0;
        gone_stress += vb >= 0;
        earlier += vb >= 0 && (va < 0 || vb <= va);
    }
    assert_true(in_place > 600);
    assert_int_equal(earlier, gone_stress); /* never later than the base */
    assert_true(fabs((double)gone_base / in_place - (1 - exp(-0.5))) < 0.06);
    assert_true(fabs((double)gone_stress / in_place - (1 - exp(-2.5))) < 0.05);
    free(a);
    free(b);
}

/* Bootstrap with demeaning off replays history in blocks of consecutive days. */
static void test_bootstrap_blocks(void **state)
{
    (void)state;
    double hist[100];
    for (int i = 0; i < 100; i++)
        hist[i] = 0.001 * (i + 1); /* distinct returns identify their index */
    wm_scenario_params p;
    base(&p);
    p.height0 = 840000 + 10;
    p.price_model = WM_PRICE_BOOTSTRAP;
    p.boot_returns = hist;
    p.boot_n = 100;
    p.boot_block_days = 10;
    p.boot_demean = false;
    assert_int_equal(wm_scenario_check(&p, NULL), WM_OK);
    wm_scenario_state *st = malloc(sizeof *st);
    assert_non_null(st);
    assert_int_equal(wm_scenario_start(&p, 1, 2, true, st), WM_OK);
    double prev = log(42000.0);
    int idx[60];
    for (int i = 0; i < 60; i++) {
        wm_scenario_day d;
        wm_scenario_step(&p, st, &d);
        double r = log(d.price_usd_per_btc) - prev;
        prev = log(d.price_usd_per_btc);
        idx[i] = (int)lround(r / 0.001) - 1;
        assert_true(idx[i] >= 0 && idx[i] < 100);
        /* random paths carry the price level to 3e-7 (scenario.c, level_exp): the day's
           return read back from two levels to 6e-7, far inside the 0.001 between returns */
        assert_true(fabs(r - hist[idx[i]]) < 1e-6);
        if (i % 10)
            assert_int_equal(idx[i], idx[i - 1] + 1);
    }
    /* with demeaning, the mean daily return is the drift */
    p.boot_demean = true;
    p.price_drift_per_year = 0.365;
    wm_scenario_day *d = project(&p, 50);
    assert_near_rel(d[49].price_usd_per_btc, 42000 * exp(0.05), 1e-9);
    free(d);
    free(st);
}

/* The 64-bit retarget agrees with lib/btc's (Core's rule, 256-bit arithmetic) on every case it
 * takes, over random canonical nBits and time spans (inside and beyond the 4x clamps), and it
 * takes all of them at mainnet-like exponents. */
static void test_fast_retarget(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ULL;
    int taken = 0, n = 0, main_n = 0, main_taken = 0;
    for (int i = 0; i < 400000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint32_t e = 4 + (uint32_t)(x % 26), m = 0x8000u + (uint32_t)((x >> 8) % (0x800000u - 0x8000u));
        int64_t span = (int64_t)((x >> 40) % 6000000);
        uint32_t bits = (e << 24) | m, fast;
        wm_retarget rt;
        if (wm_btc_retarget(bits, 1000, 1000 + span, &rt) != WM_OK)
            continue;
        n++;
        bool mainnet = e >= 0x14 && e <= 0x1b;
        main_n += mainnet;
        if (wm_scenario_fast_retarget(bits, 1000, 1000 + span, &fast)) {
            taken++;
            main_taken += mainnet;
            assert_int_equal(fast, rt.new_bits);
        }
    }
    assert_true(n > 300000);
    assert_true(taken > 0.9 * n);
    assert_int_equal(main_taken, main_n);
    /* a span of exactly two weeks keeps the bits; 4 weeks (clamp untouched) doubles the target */
    uint32_t same, twice;
    assert_true(wm_scenario_fast_retarget(0x17034219u, 0, 1209600, &same));
    assert_int_equal(same, 0x17034219u);
    assert_true(wm_scenario_fast_retarget(0x17034219u, 0, 2 * 1209600, &twice));
    assert_int_equal(twice, 0x17068432u);
}

/* Daily log-returns of the price over many lanes and days: Gaussian diffusion has the
 * parameters' mean, sd, skewness 0 and kurtosis 3 within sampling error; with jumps the
 * variance adds lambda (m^2 + s^2) per day. */
static void test_daily_return_moments(void **state)
{
    (void)state;
    for (int jumps = 0; jumps <= 1; jumps++) {
        wm_scenario_params p;
        wm_scenario_defaults(&p);
        p.price_drift_per_year = 0.3;
        p.price_vol_per_year = 0.6;
        p.jump_per_year = jumps ? 3.0 : 0;
        p.jump_mean_log = -0.05;
        p.jump_sd_log = 0.18;
        wm_scenario_state *st = malloc(sizeof *st);
        wm_scenario_lanes *o = malloc(sizeof *o);
        assert_true(st && o);
        double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
        long n = 0;
        for (uint64_t b = 0; b < 48; b++) {
            assert_int_equal(wm_scenario_start_lanes(&p, 77, 5 + b * WM_LANES, true, st), WM_OK);
            double prev[WM_LANES];
            for (unsigned l = 0; l < WM_LANES; l++)
                prev[l] = log(p.price0_usd_per_btc);
            for (int d = 0; d < 730; d++) {
                wm_scenario_step_lanes(&p, st, o);
                for (unsigned l = 0; l < WM_LANES; l++) {
                    double lp = log(o->price_usd_per_btc[l]), r = lp - prev[l];
                    prev[l] = lp;
                    s1 += r;
                    s2 += r * r;
                    s3 += r * r * r;
                    s4 += r * r * r * r;
                    n++;
                }
            }
        }
        double m = s1 / n, v = s2 / n - m * m, sd = sqrt(v);
        double skew = (s3 / n - 3 * m * v - m * m * m) / (v * sd);
        double kurt = (s4 / n - 4 * m * s3 / n + 6 * m * m * s2 / n - 3 * m * m * m * m) / (v * v);
        double want_m = 0.3 / 365.0, want_v = 0.36 / 365.0 + (jumps ? 3.0 / 365.0 * (0.0025 + 0.0324) : 0);
        assert_true(fabs(m - want_m) < 4 * sqrt(want_v / n));
        assert_true(fabs(v / want_v - 1) < 4 * sqrt(2.0 / n) * (jumps ? 3 : 1));
        if (!jumps) {
            assert_true(fabs(skew) < 4 * sqrt(6.0 / n));
            assert_true(fabs(kurt - 3) < 4 * sqrt(24.0 / n));
        } else {
            assert_true(kurt > 3.5); /* jumps fatten the tails */
        }
        free(st);
        free(o);
    }
}

/* The AI trends are expected log changes with the shocks included: over many paths the mean
 * one-year log change of $/GPU-hour and $/M tokens equals the trend (shock rate 0.5/yr here),
 * within about 4 standard errors. */
static void test_ai_trend_includes_shocks(void **state)
{
    (void)state;
    wm_scenario_params p;
    wm_scenario_defaults(&p);
    assert_true(p.ai_shock_per_year > 0 && p.gpu_shock_log < 0);
    wm_scenario_state *st = malloc(sizeof *st);
    assert_non_null(st);
    const int batches = 250, days = 365;
    double sg = 0, st2 = 0;
    for (int b = 0; b < batches; b++) {
        assert_int_equal(wm_scenario_start_lanes(&p, 99, (uint64_t)b * WM_LANES, true, st), WM_OK);
        wm_scenario_lanes d;
        for (int k = 0; k < days; k++)
            wm_scenario_step_lanes(&p, st, &d);
        for (int l = 0; l < WM_LANES; l++) {
            sg += log(d.gpu_usd_per_gpu_hour[l] / p.gpu0_usd_per_gpu_hour);
            st2 += log(d.tokens_usd_per_mtok[l] / p.tokens0_usd_per_mtok);
        }
    }
    double n = (double)batches * WM_LANES;
    /* per-path sd: gpu sqrt(0.1^2 + 0.5 * 0.17^2) = 0.16, tokens sqrt(0.1^2 + 0.5 * 0.69^2) = 0.50 */
    assert_true(fabs(sg / n - p.gpu_trend_per_year) < 4 * 0.16 / sqrt(n));
    assert_true(fabs(st2 / n - p.tokens_trend_per_year) < 4 * 0.50 / sqrt(n));
    free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_valid),
        cmocka_unit_test(test_ai_trend_includes_shocks),
        cmocka_unit_test(test_retarget_rule),
        cmocka_unit_test(test_halving_moves),
        cmocka_unit_test(test_hashprice_and_price),
        cmocka_unit_test(test_hashrate_follows_revenue),
        cmocka_unit_test(test_price_moments),
        cmocka_unit_test(test_common_random_numbers),
        cmocka_unit_test(test_tenant_vacancy),
        cmocka_unit_test(test_bootstrap_blocks),
        cmocka_unit_test(test_ai_shock_count),
        cmocka_unit_test(test_stress_event_day),
        cmocka_unit_test(test_tenant_event),
        cmocka_unit_test(test_fast_retarget),
        cmocka_unit_test(test_daily_return_moments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
