/* test_plan.c - strategies on common random numbers: the per-MW daily margins against btc.h's
 * hashcost and the colocation rent arithmetic, a zero-randomness run against NPVs computed here
 * from the deterministic projection, identical results on 1 and 2 threads, the risk limit and
 * the efficient frontier, and input checks. */
#include "wmtest.h"

#include "btc.h"
#include "plan.h"
#include "series.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shipped market and site defaults, with every source of randomness off when zero_vol. */
static void defaults(wm_scenario_params *p, wm_plan_site *s, bool zero_vol)
{
    wm_scenario_defaults(p);
    if (zero_vol)
        wm_scenario_zero_vol(p);
    wm_plan_site_defaults(s);
}

static void test_daily_margins(void **state)
{
    (void)state;
    wm_plan_site s;
    wm_plan_site_defaults(&s);
    s.uptime = 1;
    s.pool_fee = 0;
    s.power_adder_usd_per_mwh = 5;
    wm_scenario_day d;
    memset(&d, 0, sizeof d);
    d.hashprice_usd_per_ph_day = 50;
    d.power_usd_per_mwh = 40;
    d.colo_rent_factor = 1;
    /* 1 facility MW at PUE 1.05 and 17.5 J/TH holds 1e6/1.05/17.5 TH/s; power, adder and the
     * $5/MWh maintenance are paid per MWh run, the fixed opex every day */
    double ph = 1e6 / 1.05 / 17.5 / 1000.0;
    double want = ph * 50 - ph * wm_btc_hashcost_usd_per_ph_day(17.5, 40 + 5 + 5, 1.05) - 50000.0 / 365;
    assert_near_rel(wm_plan_mining_usd_per_mw_day(&s, NULL, &d, 17.5), want, 1e-12);
    /* a losing day is curtailed: no power, no maintenance, only the fixed opex remains */
    d.power_usd_per_mwh = 500;
    assert_near_rel(wm_plan_mining_usd_per_mw_day(&s, NULL, &d, 17.5), -50000.0 / 365, 1e-12);
    s.curtail_daily = false;
    assert_true(wm_plan_mining_usd_per_mw_day(&s, NULL, &d, 17.5) < -50000.0 / 365);
    /* colocation: 1 MW facility at PUE 1.4 = 714 kW IT at $121.5/kW-month, 82% NOI */
    assert_near_rel(wm_plan_colo_usd_per_mw_day(&s, &d, 0), 1000.0 / 1.4 * 121.5 * 12 / 365 * 0.82, 1e-12);
    s.colo_escalator_per_year = 0.03; /* third lease year: two step-ups */
    assert_near_rel(wm_plan_colo_usd_per_mw_day(&s, &d, 2), 1000.0 / 1.4 * 121.5 * 1.03 * 1.03 * 12 / 365 * 0.82,
                    1e-12);
    s.colo_power_pass_through = false; /* the landlord buys the hall's 24 MWh a day */
    assert_near_rel(wm_plan_colo_usd_per_mw_day(&s, &d, 2),
                    1000.0 / 1.4 * 121.5 * 1.03 * 1.03 * 12 / 365 * 0.82 - 24 * (500 + 5), 1e-12);
    d.colo_rent_factor = 0; /* vacant: no rent, no load */
    assert_true(wm_plan_colo_usd_per_mw_day(&s, &d, 0) == 0);
    /* resale value: TH/s x $15 x 17.5/13.5 (same $/W as an S21 XP at $15/TH) x 0.65^2; new machines
     * on a MW cost the same whatever their J/TH */
    assert_near_rel(wm_plan_fleet_value_usd_per_mw(&s, 17.5, 2), 1e6 / 1.05 / 17.5 * 15 * 17.5 / 13.5 * 0.65 * 0.65,
                    1e-12);
    assert_near_rel(wm_plan_fleet_value_usd_per_mw(&s, 10, 0), wm_plan_fleet_value_usd_per_mw(&s, 30, 0), 1e-12);
}

/* Mining rows of a fleet kept whatever happens: day margins summed by year, resale at the end. */
static void mining_rows(const wm_plan_site *s, const wm_scenario_day *d, int years, double *m)
{
    for (int y = 0; y <= years; y++)
        m[y] = 0;
    for (int i = 0; i < years * 365; i++)
        m[i / 365 + 1] += wm_plan_mining_usd_per_mw_day(s, NULL, &d[i], s->eff_j_per_th);
    m[years] += wm_plan_fleet_value_usd_per_mw(s, s->eff_j_per_th, s->fleet_age_years + years);
}

/* With every source of randomness off, each strategy's NPV is one number. Colocation: the lease
 * cash flows by hand (not through the planner's day function): 100 facility MW / PUE 1.4 =
 * 71.43 MW IT; 12-month lead = 365 days without rent; then rent x 12 x NOI per kW-year with a 3%
 * step-up each lease year; a 3-year term ends the rent after year 4; the landlord pays 20% of
 * $9M/MW IT at t = 0 and sells the converted MW's ASICs (2 years old) at t = 0. Mining with the
 * fleet kept: the same day margins and the resale value at the horizon. */
static void test_zero_vol_npv(void **state)
{
    (void)state;
    wm_scenario_params p;
    wm_plan_site s;
    defaults(&p, &s, true);
    s.years = 5;
    s.grid_steps = 4;
    s.fleet_policy = false;
    s.colo_escalator_per_year = 0.03;
    s.colo_term_years = 3;
    wm_plan_out *o = malloc(sizeof *o);
    assert_non_null(o);
    assert_int_equal(wm_plan_run(&p, &s, NULL, 9, 40, 2, o, NULL), WM_OK);
    assert_int_equal(o->n, 5);
    int nd = 5 * 365;
    wm_scenario_day *d = malloc((size_t)nd * sizeof *d);
    assert_non_null(d);
    assert_int_equal(wm_scenario_project(&p, nd, d), WM_OK);
    double m[6];
    mining_rows(&s, d, 5, m);
    double it_kw = 1000.0 / 1.4, th = 1e6 / 1.05 / 17.5, salvage = th * 15 * 17.5 / 13.5 * 0.65 * 0.65;
    double lease[6] = {salvage, 0, 0, 0, 0, 0}; /* per facility MW */
    for (int y = 2; y <= 4; y++)
        lease[y] = it_kw * 121.5 * pow(1.03, y - 2) * 12 * 0.82;
    for (size_t k = 0; k < o->n; k++) {
        double x = o->r[k].x_mw, f[6];
        for (int y = 0; y < 6; y++)
            f[y] = (100 - x) * m[y] + x * lease[y];
        f[0] -= x / 1.4 * 9e6 * (1 - 0.8);
        double want = wm_finance_npv(f, 6, 0.12);
        assert_near_rel(o->r[k].npv.mean, want, 1e-9);
        assert_near_rel(o->r[k].npv.p5, want, 1e-9);
        assert_near_rel(o->r[k].npv.p95, want, 1e-9);
        assert_true(o->r[k].npv.p_negative == (want < 0 ? 1.0 : 0.0));
    }
    /* all colocation, written out: NPV = -capex + salvage + sum of the lease years discounted */
    double all = -100 / 1.4 * 9e6 * 0.2 + 100 * salvage;
    for (int y = 2; y <= 4; y++)
        all += 100 * it_kw * 121.5 * pow(1.03, y - 2) * 12 * 0.82 / pow(1.12, y);
    assert_near_rel(o->r[4].npv.mean, all, 1e-9);
    assert_true(isnan(o->r[0].irr_median)); /* staying has no investment */
    /* a 12-year term outlives the 5-year horizon: years 6..13 of the contract are counted at the
     * horizon, each stepped up 3% and discounted to year 5 */
    s.colo_term_years = 12;
    assert_int_equal(wm_plan_run(&p, &s, NULL, 9, 40, 2, o, NULL), WM_OK);
    double y4 = it_kw * 121.5 * pow(1.03, 3) * 12 * 0.82, tail = 0;
    for (int k = 1; k <= 8; k++)
        tail += y4 * pow(1.03, k) / pow(1.12, k);
    all = -100 / 1.4 * 9e6 * 0.2 + 100 * salvage;
    for (int y = 2; y <= 5; y++)
        all += 100 * it_kw * 121.5 * pow(1.03, y - 2) * 12 * 0.82 / pow(1.12, y);
    all += 100 * tail / pow(1.12, 5);
    assert_near_rel(o->r[4].npv.mean, all, 1e-9);
    s.colo_value_remaining_term = false;
    assert_int_equal(wm_plan_run(&p, &s, NULL, 9, 40, 2, o, NULL), WM_OK);
    assert_near_rel(o->r[4].npv.mean, all - 100 * tail / pow(1.12, 5), 1e-9);
    free(d);
    free(o);
}

/* The fleet policy on a deterministic path whose hashprice falls (zero randomness): without
 * purchases the fleet is sold once its trailing half-year no longer covers the fixed opex;
 * from then on the mining MW earn nothing and cost nothing, which beats keeping it. */
static void test_fleet_retires(void **state)
{
    (void)state;
    wm_scenario_params p;
    wm_plan_site s;
    defaults(&p, &s, true);
    s.years = 12;
    s.grid_steps = 1;
    s.refresh_every_years = 0;
    s.eff_j_per_th = 30; /* an old fleet */
    wm_plan_out *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(wm_plan_run(&p, &s, NULL, 1, 24, 1, a, NULL), WM_OK);
    assert_true(a->fleet_retired_share == 1.0);
    assert_true(a->fleet_purchases_mean == 0.0);
    int ry = (int)a->fleet_first_retire_year_mean + 1; /* the year of the sale */
    assert_true(ry >= 1 && ry < 12);
    for (int y = ry + 1; y <= 12; y++)
        assert_true(a->r[0].cf_mean[y] == 0.0);
    assert_true(a->r[0].cf_mean[ry - 1 > 0 ? ry - 1 : 1] != 0.0);
    s.fleet_policy = false;
    assert_int_equal(wm_plan_run(&p, &s, NULL, 1, 24, 1, b, NULL), WM_OK);
    assert_true(a->r[0].npv.mean > b->r[0].npv.mean);
    assert_true(b->fleet_retired_share == 0.0);
    /* a cheap new generation with a long payback allowance is bought */
    s.fleet_policy = true;
    s.refresh_every_years = 1;
    s.refresh_usd_per_th = 1;
    s.refresh_payback_years = 10;
    assert_int_equal(wm_plan_run(&p, &s, NULL, 1, 24, 1, b, NULL), WM_OK);
    assert_true(b->fleet_purchases_mean >= 1.0);
    free(a);
    free(b);
}

static double const_ai(void *ctx, wm_plan_use use, int day, const wm_scenario_day *d)
{
    (void)day;
    (void)d;
    return ((const double *)ctx)[use];
}

/* Own-AI uses appear only with their hook and price X MW at the hook's margin for that use after
 * the lead time, with their own capex; hybrids mix two uses with mining on the rest, and every
 * strategy's NPV is the linear combination of the per-MW rows. */
static void test_own_ai_hook_and_hybrids(void **state)
{
    (void)state;
    wm_scenario_params p;
    wm_plan_site s;
    defaults(&p, &s, true);
    s.years = 4;
    s.grid_steps = 2;
    s.fleet_policy = false;
    s.use[WM_USE_TOKENS] = true;
    s.use[WM_USE_TRAIN] = true;
    double margin[WM_USE_COUNT] = {0, 0, 30000, 12000};
    wm_plan_hooks h = {NULL, const_ai, margin};
    wm_plan_out *o = malloc(sizeof *o);
    assert_non_null(o);
    /* without the hook only colocation is offered */
    assert_int_equal(wm_plan_run(&p, &s, NULL, 2, 24, 1, o, NULL), WM_OK);
    assert_int_equal(o->n, 3);
    assert_int_equal(wm_plan_run(&p, &s, &h, 2, 24, 1, o, NULL), WM_OK);
    assert_int_equal(o->n, 7); /* stay; colo 50, 100; tokens 50, 100; train 50, 100 */
    assert_int_equal(o->r[3].main_use, WM_USE_TOKENS);
    assert_int_equal(o->r[6].main_use, WM_USE_TRAIN);
    s.hybrids = true;
    assert_int_equal(wm_plan_strategy_count(&s, true), 10); /* + colo/tokens, colo/train, tokens/train 50+50 */
    assert_int_equal(wm_plan_run(&p, &s, &h, 2, 24, 1, o, NULL), WM_OK);
    assert_int_equal(o->n, 10);
    char lab[160];
    assert_string_equal(wm_plan_strategy_label(&s, &o->r[7], lab, sizeof lab), "50 MW colo + 50 MW tokens");
    assert_true(isnan(o->r[7].irr_median) && !isnan(o->r[3].irr_median));
    assert_true(o->r[3].irr_median == o->r[4].irr_median); /* scale-invariant: solved once per use */
    int nd = 4 * 365;
    wm_scenario_day *d = malloc((size_t)nd * sizeof *d);
    assert_non_null(d);
    assert_int_equal(wm_scenario_project(&p, nd, d), WM_OK);
    double v0 = wm_plan_fleet_value_usd_per_mw(&s, s.eff_j_per_th, 2);
    double m[5], a[WM_USE_COUNT][5] = {{0}};
    mining_rows(&s, d, 4, m);
    for (int u = WM_USE_TOKENS; u <= WM_USE_TRAIN; u++) {
        a[u][0] = v0;
        for (int i = 365; i < nd; i++) /* 12-month lead = 365 days */
            a[u][i / 365 + 1] += margin[u];
        a[u][4] += s.own_ai_hall_usd_per_mw * (1.0 - 3.0 / s.own_ai_hall_life_years); /* 3 years in service */
        a[u][1] -= s.own_ai_capex_usd_per_mw - s.own_ai_hall_usd_per_mw; /* the GPUs, when the hall is ready */
    }
    for (size_t k = 3; k < o->n; k++) {
        if (o->r[k].mw[WM_USE_COLO] > 0)
            continue; /* colocation rows are checked by the colo tests */
        double f[5];
        for (int y = 0; y < 5; y++) {
            f[y] = (100 - o->r[k].x_mw) * m[y];
            for (int u = WM_USE_TOKENS; u <= WM_USE_TRAIN; u++)
                f[y] += o->r[k].mw[u] * a[u][y];
        }
        f[0] -= o->r[k].x_mw * s.own_ai_hall_usd_per_mw;
        assert_near_rel(o->r[k].npv.mean, wm_finance_npv(f, 5, 0.12), 1e-9);
    }
    /* the hybrid colo 50 + tokens 50 is the half-sum of the two pure strategies' flows */
    for (int y = 0; y <= 4; y++)
        assert_near_rel(o->r[7].cf_mean[y], 0.5 * (o->r[2].cf_mean[y] + o->r[4].cf_mean[y]), 1e-9);
    free(d);
    free(o);
}

static void test_threads_limit_frontier(void **state)
{
    (void)state;
    wm_scenario_params p;
    wm_plan_site s;
    defaults(&p, &s, false);
    s.years = 6;
    wm_plan_out *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(wm_plan_run(&p, &s, NULL, 3, 400, 1, a, NULL), WM_OK);
    assert_int_equal(wm_plan_run(&p, &s, NULL, 3, 400, 2, b, NULL), WM_OK);
    assert_memory_equal(a->r, b->r, a->n * sizeof a->r[0]);
    assert_int_equal(a->n, 11);
    /* without a limit the recommendation is the best mean and lies on the frontier */
    int best = 0, nfront = 0;
    for (size_t k = 0; k < a->n; k++) {
        if (a->r[k].npv.mean > a->r[best].npv.mean)
            best = (int)k;
        nfront += a->r[k].efficient;
        assert_true(a->r[k].npv.cvar >= a->r[k].npv.var);
    }
    assert_int_equal(a->recommended, best);
    assert_true(a->r[best].efficient);
    assert_true(nfront >= 1);
    /* a limit between two CVaRs excludes the riskier ones */
    double lim = 0.5 * (a->r[0].npv.cvar + a->r[a->n - 1].npv.cvar);
    s.max_cvar_usd = lim;
    assert_int_equal(wm_plan_run(&p, &s, NULL, 3, 400, 2, b, NULL), WM_OK);
    if (b->recommended >= 0) {
        assert_true(b->r[b->recommended].npv.cvar <= lim);
        for (size_t k = 0; k < b->n; k++)
            if (b->r[k].npv.cvar <= lim)
                assert_true(b->r[k].npv.mean <= b->r[b->recommended].npv.mean);
    }
    free(a);
    free(b);
}

static double shock_count_ai(void *ctx, wm_plan_use use, int day, const wm_scenario_day *d)
{
    (void)ctx;
    (void)use;
    (void)day;
    return 1000.0 * d->ai_shocks;
}

/* The AI-shock stress counts as one shock (token serving's tokens/s jump with the token price's
 * fall beyond the GPU-hour's) with the scenario's sizes, but not as a drop of both prices alike
 * (--stress-ai-drop), which has no such gap: a hook paid per shock sees the difference. */
static void test_ai_shock_stress_count(void **state)
{
    (void)state;
    wm_scenario_params p;
    wm_plan_site s;
    defaults(&p, &s, true); /* no random shocks: the count is the stress's */
    s.years = 3;
    s.grid_steps = 1;
    s.use[WM_USE_COLO] = false;
    s.use[WM_USE_TOKENS] = true;
    wm_plan_hooks h = {NULL, shock_count_ai, NULL};
    wm_plan_out *b = malloc(sizeof *b), *x = malloc(sizeof *x);
    assert_non_null(b);
    assert_non_null(x);
    assert_int_equal(wm_plan_run(&p, &s, &h, 1, 20, 1, b, NULL), WM_OK);
    assert_int_equal(b->n, 2);
    const wm_plan_stress_opts model = {400, 0, NULL, 0}, drop = {400, 0.3, NULL, 0};
    wm_scenario_params q = p;
    wm_plan_stress_apply(WM_STRESS_AI_SHOCK, &model, &q);
    assert_true(q.event_ai_shocks == 1);
    assert_int_equal(wm_plan_run(&q, &s, &h, 1, 20, 1, x, NULL), WM_OK);
    /* 100 MW x $1,000 a day from day 400 (after the 365-day lead) to the end of year 3 */
    double f[4] = {0};
    for (int d = 400; d < 3 * 365; d++)
        f[d / 365 + 1] += 100 * 1000.0;
    assert_near_rel(x->r[1].npv.mean - b->r[1].npv.mean, wm_finance_npv(f, 4, s.discount_rate), 1e-9);
    q = p;
    wm_plan_stress_apply(WM_STRESS_AI_SHOCK, &drop, &q);
    assert_true(q.event_ai_shocks == 0 && fabs(q.event_tokens_log - log(0.7)) < 1e-15);
    assert_int_equal(wm_plan_run(&q, &s, &h, 1, 20, 1, x, NULL), WM_OK);
    assert_true(x->r[1].npv.mean == b->r[1].npv.mean);
    free(b);
    free(x);
}

/* Own AI's GPUs are paid at the last year end not after the hall is ready (an 18-month lead:
 * year 1) and not at all when the hall is not ready within the horizon (then neither margin nor
 * hall value either: only the hall's capex and the fleet's sale). */
static void test_own_ai_gpu_timing(void **state)
{
    (void)state;
    wm_scenario_params p;
    wm_plan_site s;
    defaults(&p, &s, true);
    s.years = 4;
    s.grid_steps = 1;
    s.fleet_policy = false;
    s.use[WM_USE_COLO] = false;
    s.use[WM_USE_TOKENS] = true;
    double margin[WM_USE_COUNT] = {0, 0, 30000, 0};
    wm_plan_hooks h = {NULL, const_ai, margin};
    wm_plan_out *o = malloc(sizeof *o);
    assert_non_null(o);
    const double v0 = wm_plan_fleet_value_usd_per_mw(&s, s.eff_j_per_th, s.fleet_age_years);
    const double gpus = s.own_ai_capex_usd_per_mw - s.own_ai_hall_usd_per_mw;
    for (int c = 0; c < 2; c++) {
        s.own_ai_lead_months = c == 0 ? 18 : 48;
        const int lead = c == 0 ? 548 : 4 * 365; /* lround(months x 365 / 12) */
        assert_int_equal(wm_plan_run(&p, &s, &h, 1, 20, 1, o, NULL), WM_OK);
        double f[5] = {v0, 0, 0, 0, 0};
        if (lead < 4 * 365) {
            f[lead / 365] -= gpus;
            for (int d = lead; d < 4 * 365; d++)
                f[d / 365 + 1] += 30000;
            f[4] += s.own_ai_hall_usd_per_mw * (1.0 - (4.0 * 365 - lead) / 365 / s.own_ai_hall_life_years);
        }
        f[0] -= s.own_ai_hall_usd_per_mw;
        for (int y = 0; y < 5; y++)
            f[y] *= 100;
        assert_near_rel(o->r[1].npv.mean, wm_finance_npv(f, 5, s.discount_rate), 1e-9);
    }
    free(o);
}

/* A PPA block with sell-back is a swap: every strategy's NPV rises by the same discounted
 * 24 MW (level - price) over its term, written out here on the projection, and the conversion's
 * IRR and payback (incremental flows against staying) do not move. */
static void test_ppa_swap(void **state)
{
    (void)state;
    wm_scenario_params p;
    wm_plan_site s;
    defaults(&p, &s, true);
    s.years = 4;
    s.grid_steps = 2;
    wm_plan_out *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(wm_plan_run(&p, &s, NULL, 3, 40, 2, a, NULL), WM_OK);
    s.ppa_mw = 30;
    s.ppa_usd_per_mwh = 25;
    s.ppa_years = 2.5;
    assert_int_equal(wm_plan_run(&p, &s, NULL, 3, 40, 2, b, NULL), WM_OK);
    const int nd = 4 * 365;
    wm_scenario_day *d = malloc((size_t)nd * sizeof *d);
    assert_non_null(d);
    assert_int_equal(wm_scenario_project(&p, nd, d), WM_OK);
    double f[5] = {0};
    for (int i = 0; i < 2.5 * 365; i++) /* the days that start within the term */
        f[i / 365 + 1] += 24 * 30 * (d[i].power_usd_per_mwh - 25);
    const double add = wm_finance_npv(f, 5, s.discount_rate);
    assert_true(add > 1e6); /* the level is above $25 */
    assert_int_equal(a->n, b->n);
    for (size_t k = 0; k < a->n; k++) {
        assert_near_rel(b->r[k].npv.mean - a->r[k].npv.mean, add, 1e-9);
        assert_true(b->r[k].cf_mean[3] - a->r[k].cf_mean[3] > 0 && b->r[k].cf_mean[4] == a->r[k].cf_mean[4]);
        assert_true(b->r[k].irr_median == a->r[k].irr_median || (isnan(b->r[k].irr_median) && isnan(a->r[k].irr_median)));
        assert_true(b->r[k].payback_years_of_mean == a->r[k].payback_years_of_mean ||
                    (isnan(b->r[k].payback_years_of_mean) && isnan(a->r[k].payback_years_of_mean)));
    }
    s.ppa_mw = 200; /* more than the site */
    wm_err e;
    assert_int_equal(wm_plan_site_check(&s, &e), WM_ERANGE);
    free(d);
    free(a);
    free(b);
}

/* Stress tests on common random numbers: a BTC crash lowers mining's NPV but leaves the
 * all-colocation NPV bit for bit unchanged (its paths do not involve BTC); a tenant default
 * stress lowers colocation's; a power spike lowers mining's. A terminal value raises colo's. */
static void test_stress_common_numbers(void **state)
{
    (void)state;
    wm_scenario_params p;
    wm_plan_site s;
    defaults(&p, &s, false);
    s.years = 6;
    s.grid_steps = 2;
    wm_plan_out *b = malloc(sizeof *b), *x = malloc(sizeof *x);
    assert_non_null(b);
    assert_non_null(x);
    assert_int_equal(wm_plan_run(&p, &s, NULL, 5, 300, 2, b, NULL), WM_OK);
    const double week[7] = {2000, 3000, 7000, 9000, 9000, 9000, 3500};
    const wm_plan_stress_opts now = {0, 0, week, 7}, later = {3 * 365, 0, week, 7};
    wm_scenario_params q = p;
    wm_plan_stress_apply(WM_STRESS_BTC_CRASH, &now, &q);
    assert_int_equal(wm_plan_run(&q, &s, NULL, 5, 300, 2, x, NULL), WM_OK);
    assert_true(x->r[0].npv.mean < b->r[0].npv.mean);
    assert_memory_equal(&x->r[2].npv, &b->r[2].npv, sizeof b->r[2].npv);
    /* the same crash on day 3 x 365: the first three years' cash flows are the base's bit for
       bit (no look-ahead: the fleet policy too), mining's later ones differ, colocation's not.
       (Whether it costs mining more or less than a crash now is not fixed: the hashrate follows
       revenue down, and the policy may sell the fleet.) */
    q = p;
    wm_plan_stress_apply(WM_STRESS_BTC_CRASH, &later, &q);
    assert_int_equal(wm_plan_run(&q, &s, NULL, 5, 300, 2, x, NULL), WM_OK);
    assert_memory_equal(x->r[0].cf_mean, b->r[0].cf_mean, 4 * sizeof b->r[0].cf_mean[0]);
    assert_true(x->r[0].cf_mean[4] != b->r[0].cf_mean[4] && x->r[0].npv.mean != b->r[0].npv.mean);
    assert_memory_equal(&x->r[2].npv, &b->r[2].npv, sizeof b->r[2].npv);
    /* the next halving now: mining loses, colocation (its power passed through) does not */
    q = p;
    wm_plan_stress_apply(WM_STRESS_NEXT_HALVING, &now, &q);
    assert_true(q.event_halving && q.event_day == 0);
    assert_int_equal(wm_plan_run(&q, &s, NULL, 5, 300, 2, x, NULL), WM_OK);
    assert_true(x->r[0].npv.mean < b->r[0].npv.mean);
    assert_memory_equal(&x->r[2].npv, &b->r[2].npv, sizeof b->r[2].npv);
    /* a Uri week: the site curtails whole days, so mining loses about a week of margin; the
       colocation tenant pays the hall's power (passed through), so colocation loses nothing */
    q = p;
    wm_plan_stress_apply(WM_STRESS_URI_WEEK, &now, &q);
    assert_true(q.event_power == week && q.event_power_n == 7);
    assert_int_equal(wm_plan_run(&q, &s, NULL, 5, 300, 2, x, NULL), WM_OK);
    assert_true(x->r[0].npv.mean <= b->r[0].npv.mean);
    assert_true(b->r[0].npv.mean - x->r[0].npv.mean < s.site_mw * 7 * 24 * 200);
    assert_memory_equal(&x->r[2].npv, &b->r[2].npv, sizeof b->r[2].npv);
    /* the AI shock: the scenario's sizes, or both prices by the given share */
    q = p;
    wm_plan_stress_apply(WM_STRESS_AI_SHOCK, &now, &q);
    assert_true(q.event_gpu_log == p.gpu_shock_log && q.event_tokens_log == p.tokens_shock_log);
    assert_true(q.tenant_default_per_year == p.tenant_default_per_year && q.event_tenant_factor == 5);
    const wm_plan_stress_opts drop = {100, 0.4, NULL, 0};
    q = p;
    wm_plan_stress_apply(WM_STRESS_AI_SHOCK, &drop, &q);
    assert_true(q.event_day == 100 && fabs(q.event_gpu_log - log(0.6)) < 1e-15 && q.event_tokens_log == q.event_gpu_log);
    q = p;
    wm_plan_stress_apply(WM_STRESS_TENANT_DEFAULT, &now, &q);
    assert_int_equal(wm_plan_run(&q, &s, NULL, 5, 300, 2, x, NULL), WM_OK);
    assert_true(x->r[2].npv.mean < b->r[2].npv.mean);
    assert_memory_equal(&x->r[0].npv, &b->r[0].npv, sizeof b->r[0].npv);
    q = p;
    wm_plan_stress_apply(WM_STRESS_POWER_DOUBLE, &now, &q);
    assert_int_equal(wm_plan_run(&q, &s, NULL, 5, 300, 2, x, NULL), WM_OK);
    assert_true(x->r[0].npv.mean < b->r[0].npv.mean);
    s.colo_terminal_noi_multiple = 8;
    assert_int_equal(wm_plan_run(&p, &s, NULL, 5, 300, 2, x, NULL), WM_OK);
    assert_true(x->r[2].npv.mean > b->r[2].npv.mean);
    assert_string_equal(wm_plan_stress_name(WM_STRESS_AI_SHOCK), "ai-shock");
    assert_string_equal(wm_plan_stress_name(WM_STRESS_URI_WEEK), "uri-week");
    free(b);
    free(x);
}

/* The uri-week stress's prices: the worst 7 UTC days of ERCOT LZ_WEST in February 2021 are
 * Feb 13-19 (Winter Storm Uri; daily means from the hourly file, $1,617-$9,022/MWh); a file
 * with no 7 consecutive days is refused. */
static void test_worst_week(void **state)
{
    (void)state;
    static const char *const cols[] = {"LZ_WEST"};
    wm_series_opts o = {.tz = WM_TZ_US_CENTRAL, .columns = cols, .ncolumns = 1};
    wm_series *h = NULL;
    wm_err e;
    assert_int_equal(wm_series_load(wmt_shared("power/ercot_rtm_spp_hourly_2021-02.csv"), &o, &h, &e), WM_OK);
    double w[7];
    int64_t first = 0;
    assert_int_equal(wm_plan_worst_week(h, 0, w, &first, &e), WM_OK);
    char d[11];
    assert_string_equal(wm_fmt_date(first, d), "2021-02-13");
    double sum = 0;
    for (int k = 0; k < 7; k++)
        sum += w[k];
    assert_true(sum / 7 > 5000 && sum / 7 < 7000);
    for (int k = 3; k < 6; k++) /* Feb 16-18 (UTC days): at or near the $9,000 cap */
        assert_true(w[k] > 8500 && w[k] < 9400);
    /* the same by hand from the file's hours of the first worst day (UTC 2021-02-13) */
    const int64_t *t = wm_series_times(h);
    const double *v = wm_series_values(h, 0);
    double s0 = 0;
    int n0 = 0;
    for (size_t i = 0; i < wm_series_len(h); i++)
        if (t[i] >= first && t[i] < first + 86400) {
            s0 += v[i];
            n0++;
        }
    assert_int_equal(n0, 24);
    assert_near_rel(w[0], s0 / 24, 1e-12);
    wm_series_free(h);
    const char *six = "t,p\n2021-01-01,1\n2021-01-02,2\n2021-01-03,3\n2021-01-05,4\n";
    assert_int_equal(wm_series_parse(six, strlen(six), "six", NULL, &h, &e), WM_OK);
    assert_int_equal(wm_plan_worst_week(h, 0, w, &first, &e), WM_EINVAL);
    wm_series_free(h);
}

/* Replay on a given day series: one path; NPVs from the same per-day margins. */
static void test_replay(void **state)
{
    (void)state;
    wm_plan_site s;
    wm_plan_site_defaults(&s);
    s.grid_steps = 1;
    s.fleet_policy = false;
    s.colo_value_remaining_term = false; /* checked in test_zero_vol_npv */
    int nd = 2 * 365 + 10; /* two whole years priced, the rest ignored */
    wm_scenario_day *d = calloc((size_t)nd, sizeof *d);
    assert_non_null(d);
    for (int i = 0; i < nd; i++) {
        d[i].hashprice_usd_per_ph_day = 40 + 0.01 * i;
        d[i].power_usd_per_mwh = 35;
        d[i].colo_rent_factor = 1;
    }
    wm_plan_out o;
    assert_int_equal(wm_plan_replay(&s, NULL, d, nd, &o, NULL), WM_OK);
    assert_int_equal(o.n, 2);
    assert_int_equal(o.paths, 1);
    double m[3], c[3] = {wm_plan_fleet_value_usd_per_mw(&s, s.eff_j_per_th, 2), 0, 0};
    mining_rows(&s, d, 2, m);
    for (int i = 365; i < 730; i++)
        c[i / 365 + 1] += wm_plan_colo_usd_per_mw_day(&s, &d[i], (i - 365) / 365);
    double f0[3] = {100 * m[0], 100 * m[1], 100 * m[2]};
    assert_near_rel(o.r[0].npv.mean, wm_finance_npv(f0, 3, 0.12), 1e-12);
    double f1[3] = {100 * c[0] - 100 / 1.4 * 9e6 * 0.2, 100 * c[1], 100 * c[2]};
    assert_near_rel(o.r[1].npv.mean, wm_finance_npv(f1, 3, 0.12), 1e-12);
    wm_err e;
    assert_int_equal(wm_plan_replay(&s, NULL, d, 100, &o, &e), WM_EINVAL);
    free(d);
}

/* Curtailment table from the dispatch module on two synthetic days: day 1 has 12 hours at $10
 * and 12 at $50 (mean 30), day 2 is flat at $30. The value of hourly dispatch at break-even B is
 * sum_h max(p_h - B, 0): checked by hand at several B and levels. */
static void test_curtail_table(void **state)
{
    (void)state;
    char csv[4096];
    size_t len = (size_t)snprintf(csv, sizeof csv, "time,price\n");
    for (int d = 0; d < 2; d++)
        for (int h = 0; h < 24; h++)
            len += (size_t)snprintf(csv + len, sizeof csv - len, "2023-01-%02dT%02d:00:00Z,%d\n", d + 1, h,
                                    d == 0 ? (h < 12 ? 10 : 50) : 30);
    wm_series *hs = NULL;
    assert_int_equal(wm_series_parse(csv, len, "synthetic", NULL, &hs, NULL), WM_OK);
    int per_month[12] = {0};
    wm_plan_curtail *c = NULL;
    assert_int_equal(wm_plan_curtail_new(hs, 0, per_month, &c, NULL), WM_OK);
    assert_int_equal(per_month[0], 2);
    assert_int_equal(per_month[1], 0);
    wm_scenario_day d;
    memset(&d, 0, sizeof d);
    d.month = 1;
    d.power_usd_per_mwh = 30;
    d.shape = 0;
    assert_near_rel(wm_plan_curtail_value(c, &d, 20), 12 * (50 - 20), 1e-12);
    assert_near_rel(wm_plan_curtail_value(c, &d, 40), 12 * (50 - 40), 1e-12);
    assert_near_rel(wm_plan_curtail_value(c, &d, 5), 12 * (10 - 5) + 12 * (50 - 5), 1e-12);
    assert_true(wm_plan_curtail_value(c, &d, 60) == 0);
    d.power_usd_per_mwh = 60; /* the same shape at twice the level: $20 and $100 */
    assert_near_rel(wm_plan_curtail_value(c, &d, 30), 12 * (100 - 30), 1e-12);
    d.power_usd_per_mwh = 30;
    d.shape = 1; /* flat day */
    assert_near_rel(wm_plan_curtail_value(c, &d, 20), 24 * 10, 1e-12);
    assert_true(wm_plan_curtail_value(c, &d, 31) == 0);
    d.shape = -1;
    assert_true(wm_plan_curtail_value(c, &d, 20) == 0);
    /* in the planner the hook replaces the whole-day switch: margin = u sum_h max(B - p_h, 0) */
    wm_plan_site s;
    wm_plan_site_defaults(&s);
    s.uptime = 1;
    s.pool_fee = 0;
    s.power_adder_usd_per_mwh = 0;
    s.mining_fixed_opex_usd_per_mw_year = 0;
    s.mining_var_opex_usd_per_mwh = 0;
    wm_plan_hooks h = {wm_plan_curtail_value, NULL, c};
    d.shape = 0;
    d.power_usd_per_mwh = 30;
    double ph = 1e6 / s.pue_mining / s.eff_j_per_th / 1000.0;
    d.hashprice_usd_per_ph_day = 20.0 * 24 / ph; /* break-even exactly $20/MWh */
    assert_near_rel(wm_plan_mining_usd_per_mw_day(&s, &h, &d, s.eff_j_per_th), 12 * (20 - 10), 1e-9);
    wm_plan_curtail_free(c);
    wm_plan_curtail_free(NULL);
    wm_series_free(hs);
}

static void test_site_checks(void **state)
{
    (void)state;
    wm_plan_site s;
    wm_plan_site_defaults(&s);
    assert_int_equal(wm_plan_site_check(&s, NULL), WM_OK);
    wm_err e;
    s.years = 40;
    assert_int_equal(wm_plan_site_check(&s, &e), WM_ERANGE);
    assert_non_null(strstr(e.msg, "years"));
    wm_plan_site_defaults(&s);
    s.uptime = 0;
    assert_int_equal(wm_plan_site_check(&s, &e), WM_ERANGE);
    wm_scenario_params p;
    wm_scenario_defaults(&p);
    wm_plan_site_defaults(&s);
    wm_plan_out o;
    assert_int_equal(wm_plan_run(&p, &s, NULL, 1, 5, 1, &o, &e), WM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_daily_margins),
        cmocka_unit_test(test_zero_vol_npv),
        cmocka_unit_test(test_fleet_retires),
        cmocka_unit_test(test_own_ai_hook_and_hybrids),
        cmocka_unit_test(test_threads_limit_frontier),
        cmocka_unit_test(test_stress_common_numbers),
        cmocka_unit_test(test_worst_week),
        cmocka_unit_test(test_ppa_swap),
        cmocka_unit_test(test_own_ai_gpu_timing),
        cmocka_unit_test(test_ai_shock_stress_count),
        cmocka_unit_test(test_replay),
        cmocka_unit_test(test_curtail_table),
        cmocka_unit_test(test_site_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
