/* plan.c - strategies priced on common random numbers (see plan.h, docs/model-mc.md). */
#include "plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define YEAR_DAYS 365
#define MONTH_DAYS 30.4375

void wm_plan_site_defaults(wm_plan_site *s)
{
    memset(s, 0, sizeof *s);
    s->site_mw = 100;
    s->years = 10;
    s->discount_rate = 0.12;
    s->eff_j_per_th = 17.5;     /* Antminer S21 (bitcoin.md ASIC table) */
    s->pue_mining = 1.05;       /* immersion 1.03, air 1.1-1.5 (ai.md section 4) */
    s->uptime = 0.97;
    s->pool_fee = 0.02;
    s->power_adder_usd_per_mwh = 5;
    s->mining_opex_usd_per_mw_year = 150000;
    s->curtail_daily = true;
    s->refresh_every_years = 0;
    s->refresh_usd_per_th = 15; /* ~$15/TH in 2025 (bitcoin.md section 2, trilogik) */
    s->refresh_eff_gain = 0.10;
    s->colo_capex_usd_per_mw_it = 9e6;      /* $8-11M per MW IT (ai.md section 4) */
    s->colo_lead_months = 12;               /* 8-21 months deal to first MW (ai.md section 4) */
    s->colo_rent_usd_per_kw_month = 130;    /* $100-160/kW-month (ai.md section 4) */
    s->colo_noi_margin = 0.82;              /* NOI 80-85% (TeraWulf, Cipher; ai.md section 4) */
    s->pue_ai = 1.3;                        /* gross/IT 1.25-1.45 at design (ai.md section 4) */
    s->own_ai_capex_usd_per_mw = 38e6;      /* hall ~$9M + GPUs ~$29M per MW (ai.md section 4) */
    s->own_ai_lead_months = 12;
    s->grid_steps = 10;
    s->max_cvar_usd = 0;
}

wm_status wm_plan_site_check(const wm_plan_site *s, wm_err *err)
{
#define REQ(cond, ...)                                                   \
    do {                                                                 \
        if (!(cond))                                                     \
            return wm_err_set(err, WM_ERANGE, "site", 0, 0, __VA_ARGS__); \
    } while (0)
    REQ(s->site_mw > 0 && s->site_mw <= 1e5, "site_mw %g must be in (0, 100000]", s->site_mw);
    REQ(s->years >= 1 && s->years <= WM_PLAN_MAX_YEARS, "years %d must be in [1, %d]", s->years, WM_PLAN_MAX_YEARS);
    REQ(s->discount_rate > -0.99 && s->discount_rate < 10, "discount_rate %g must be in (-0.99, 10)", s->discount_rate);
    REQ(s->eff_j_per_th > 1 && s->eff_j_per_th < 1000, "eff_j_per_th %g must be in (1, 1000)", s->eff_j_per_th);
    REQ(s->pue_mining >= 1 && s->pue_mining <= 3, "pue_mining %g must be in [1, 3]", s->pue_mining);
    REQ(s->pue_ai >= 1 && s->pue_ai <= 3, "pue_ai %g must be in [1, 3]", s->pue_ai);
    REQ(s->uptime > 0 && s->uptime <= 1, "uptime %g must be in (0, 1]", s->uptime);
    REQ(s->pool_fee >= 0 && s->pool_fee < 1, "pool_fee %g must be in [0, 1)", s->pool_fee);
    REQ(s->colo_noi_margin >= 0 && s->colo_noi_margin <= 1, "colo_noi_margin %g must be in [0, 1]", s->colo_noi_margin);
    REQ(s->colo_terminal_noi_multiple >= 0 && s->colo_terminal_noi_multiple <= 50,
        "colo_terminal_noi_multiple %g must be in [0, 50]", s->colo_terminal_noi_multiple);
    REQ(s->colo_lead_months >= 0 && s->own_ai_lead_months >= 0, "lead times must be >= 0");
    REQ(s->refresh_every_years >= 0 && s->refresh_eff_gain >= 0 && s->refresh_eff_gain < 1,
        "refresh_every_years >= 0 and refresh_eff_gain in [0, 1)");
    REQ(s->grid_steps >= 1 && 2 * (s->grid_steps + 1) <= WM_PLAN_MAX_STRATEGIES, "grid_steps %d must be in [1, %d]",
        s->grid_steps, WM_PLAN_MAX_STRATEGIES / 2 - 1);
#undef REQ
    return WM_OK;
}

double wm_plan_mining_usd_per_mw_day(const wm_plan_site *s, const wm_plan_hooks *h, const wm_scenario_day *d,
                                     double eff)
{
    double th_per_mw = 1e6 / s->pue_mining / eff;
    double revenue = th_per_mw / 1000.0 * d->hashprice_usd_per_ph_day * s->uptime * (1.0 - s->pool_fee);
    double cost = 24.0 * s->uptime * (d->power_usd_per_mwh + s->power_adder_usd_per_mwh);
    double margin = revenue - cost;
    if (s->curtail_daily && margin < 0)
        margin = 0;
    if (h && h->curtail_usd_per_mw_day) {
        double breakeven = revenue / (24.0 * s->uptime) - s->power_adder_usd_per_mwh;
        margin += h->curtail_usd_per_mw_day(h->ctx, d, breakeven);
    }
    return margin - s->mining_opex_usd_per_mw_year / YEAR_DAYS;
}

double wm_plan_colo_usd_per_mw_day(const wm_plan_site *s, const wm_scenario_day *d)
{
    double it_kw = 1000.0 / s->pue_ai;
    return it_kw * s->colo_rent_usd_per_kw_month * 12.0 / YEAR_DAYS * s->colo_noi_margin * d->colo_rent_factor;
}

typedef struct plan_ctx {
    const wm_plan_site *site;
    const wm_plan_hooks *hooks;
} plan_ctx;

/* Row per path: mining[0..Y], colo[0..Y], own AI[0..Y], USD per facility MW by year
 * (index 0 = at the start; refresh capex falls in the year it happens). */
static wm_status reduce_path(void *vctx, void *ws, uint64_t path, const wm_scenario_day *days, int ndays, double *out)
{
    (void)ws;
    (void)path;
    const plan_ctx *c = vctx;
    const wm_plan_site *s = c->site;
    const int Y = s->years;
    double *m = out, *co = out + (Y + 1), *ai = out + 2 * (Y + 1);
    memset(out, 0, 3 * (size_t)(Y + 1) * sizeof *out);
    double eff = s->eff_j_per_th;
    double colo_lead = s->colo_lead_months * MONTH_DAYS, ai_lead = s->own_ai_lead_months * MONTH_DAYS;
    bool has_ai = c->hooks && c->hooks->own_ai_usd_per_mw_day;
    for (int d = 0; d < ndays; d++) {
        int y = d / YEAR_DAYS + 1;
        if (y > Y)
            break;
        if (d % YEAR_DAYS == 0 && s->refresh_every_years > 0 && y > 1 && (y - 1) % s->refresh_every_years == 0) {
            eff = s->eff_j_per_th * pow(1.0 - s->refresh_eff_gain, (double)(y - 1));
            m[y] -= 1e6 / s->pue_mining / eff * s->refresh_usd_per_th;
        }
        m[y] += wm_plan_mining_usd_per_mw_day(s, c->hooks, &days[d], eff);
        if (d >= colo_lead)
            co[y] += wm_plan_colo_usd_per_mw_day(s, &days[d]);
        if (has_ai && d >= ai_lead)
            ai[y] += c->hooks->own_ai_usd_per_mw_day(c->hooks->ctx, &days[d]);
    }
    co[Y] += s->colo_terminal_noi_multiple * co[Y];
    return WM_OK;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Price every strategy from the per-path rows (reduce_path's layout). */
static wm_status price_strategies(const wm_plan_site *site, const wm_plan_hooks *hooks, const double *rows,
                                  uint64_t paths, wm_plan_out *out)
{
    const int Y = site->years;
    const size_t nrow = 3 * (size_t)(Y + 1);
    wm_status st = WM_OK;
    double *cf = malloc(paths * (size_t)(Y + 1) * sizeof *cf);
    double *npv = malloc(paths * sizeof *npv), *scratch = malloc(paths * sizeof *scratch);
    double *irr = malloc(paths * sizeof *irr);
    if (!cf || !npv || !scratch || !irr) {
        st = WM_ENOMEM;
        goto done;
    }
    out->n = 0;
    bool has_ai = hooks && hooks->own_ai_usd_per_mw_day;
    for (int kind = 0; kind < (has_ai ? 2 : 1); kind++) {
        for (int k = kind ? 1 : 0; k <= site->grid_steps; k++) {
            wm_plan_result *r = &out->r[out->n++];
            r->kind = (wm_plan_kind)kind;
            r->x_mw = site->site_mw * k / site->grid_steps;
            double capex = kind == 0 ? r->x_mw / site->pue_ai * site->colo_capex_usd_per_mw_it
                                     : r->x_mw * site->own_ai_capex_usd_per_mw;
            double mean_cf[WM_PLAN_MAX_YEARS + 1] = {0}, mean_inc[WM_PLAN_MAX_YEARS + 1] = {0};
            size_t nirr = 0;
            for (uint64_t i = 0; i < paths; i++) {
                const double *m = rows + i * nrow, *alt = m + (size_t)(Y + 1) * (kind == 0 ? 1 : 2);
                double *f = cf + i * (size_t)(Y + 1), inc[WM_PLAN_MAX_YEARS + 1];
                for (int y = 0; y <= Y; y++) {
                    f[y] = (site->site_mw - r->x_mw) * m[y] + r->x_mw * alt[y];
                    inc[y] = r->x_mw * (alt[y] - m[y]); /* versus staying with mining */
                }
                f[0] -= capex;
                inc[0] -= capex;
                for (int y = 0; y <= Y; y++) {
                    mean_cf[y] += f[y] / (double)paths;
                    mean_inc[y] += inc[y] / (double)paths;
                }
                npv[i] = wm_finance_npv(f, (size_t)Y + 1, site->discount_rate);
                double v;
                if (r->x_mw > 0 && wm_finance_irr(inc, (size_t)Y + 1, &v) == WM_OK)
                    irr[nirr++] = v;
            }
            if ((st = wm_finance_risk_of(npv, paths, 0.05, scratch, &r->npv)) != WM_OK)
                goto done;
            if (nirr) {
                qsort(irr, nirr, sizeof *irr, cmp_d);
                r->irr_median = wm_finance_quantile_sorted(irr, nirr, 0.5);
            } else {
                r->irr_median = NAN;
            }
            if (r->x_mw <= 0 || wm_finance_irr(mean_inc, (size_t)Y + 1, &r->irr_of_mean) != WM_OK)
                r->irr_of_mean = NAN;
            if (r->x_mw <= 0 || wm_finance_payback(mean_inc, (size_t)Y + 1, 0, &r->payback_years_of_mean) != WM_OK)
                r->payback_years_of_mean = NAN;
            for (int y = 0; y <= Y; y++) {
                for (uint64_t i = 0; i < paths; i++)
                    scratch[i] = cf[i * (size_t)(Y + 1) + (size_t)y];
                qsort(scratch, paths, sizeof *scratch, cmp_d);
                r->cf_p5[y] = wm_finance_quantile_sorted(scratch, paths, 0.05);
                r->cf_p50[y] = wm_finance_quantile_sorted(scratch, paths, 0.50);
                r->cf_p95[y] = wm_finance_quantile_sorted(scratch, paths, 0.95);
                r->cf_mean[y] = mean_cf[y];
            }
        }
    }
    /* risk limit, recommendation (best mean NPV within the limit), frontier (mean vs CVaR) */
    out->recommended = -1;
    for (size_t i = 0; i < out->n; i++) {
        wm_plan_result *r = &out->r[i];
        r->within_limit = site->max_cvar_usd <= 0 || r->npv.cvar <= site->max_cvar_usd;
        if (r->within_limit && (out->recommended < 0 || r->npv.mean > out->r[out->recommended].npv.mean))
            out->recommended = (int)i;
        r->efficient = true;
        for (size_t j = 0; j < out->n && r->efficient; j++) {
            const wm_plan_result *q = &out->r[j];
            if (j != i && q->npv.mean >= r->npv.mean && q->npv.cvar <= r->npv.cvar &&
                (q->npv.mean > r->npv.mean || q->npv.cvar < r->npv.cvar))
                r->efficient = false;
        }
    }
done:
    free(cf);
    free(npv);
    free(scratch);
    free(irr);
    return st;
}

wm_status wm_plan_run(const wm_scenario_params *scn, const wm_plan_site *site, const wm_plan_hooks *hooks,
                      uint64_t seed, uint64_t paths, int threads, wm_plan_out *out, wm_err *err)
{
    wm_status st = wm_plan_site_check(site, err);
    if (st != WM_OK)
        return st;
    if (paths < 20 || !out)
        return wm_err_set(err, WM_EINVAL, "plan", 0, 0, "need at least 20 paths");
    const size_t nrow = 3 * (size_t)(site->years + 1);
    double *rows = malloc(paths * nrow * sizeof *rows);
    if (!rows)
        return WM_ENOMEM;
    plan_ctx ctx = {site, hooks};
    wm_sim_config c;
    memset(&c, 0, sizeof c);
    c.scn = scn;
    c.seed = seed;
    c.paths = paths;
    c.ndays = site->years * YEAR_DAYS;
    c.threads = threads;
    c.nout = nrow;
    c.path_fn = reduce_path;
    c.ctx = &ctx;
    st = wm_sim_run(&c, rows, err);
    if (st == WM_OK) {
        memset(out, 0, sizeof *out);
        out->seed = seed;
        out->paths = paths;
        st = price_strategies(site, hooks, rows, paths, out);
    }
    free(rows);
    return st;
}

wm_status wm_plan_replay(const wm_plan_site *site0, const wm_plan_hooks *hooks, const wm_scenario_day *days,
                         int ndays, wm_plan_out *out, wm_err *err)
{
    if (!days || ndays < YEAR_DAYS || !out)
        return wm_err_set(err, WM_EINVAL, "replay", 0, 0, "need at least one year of days, got %d", ndays);
    wm_plan_site site = *site0;
    site.years = ndays / YEAR_DAYS;
    if (site.years > WM_PLAN_MAX_YEARS)
        site.years = WM_PLAN_MAX_YEARS;
    wm_status st = wm_plan_site_check(&site, err);
    if (st != WM_OK)
        return st;
    double rows[3 * (WM_PLAN_MAX_YEARS + 1)];
    plan_ctx ctx = {&site, hooks};
    reduce_path(&ctx, NULL, 0, days, site.years * YEAR_DAYS, rows);
    memset(out, 0, sizeof *out);
    out->paths = 1;
    return price_strategies(&site, hooks, rows, 1, out);
}

const char *wm_plan_stress_name(wm_plan_stress k)
{
    static const char *names[WM_STRESS_COUNT] = {"btc-crash", "ai-shock", "power-spike", "tenant-default",
                                                 "hashrate-surge"};
    return k < WM_STRESS_COUNT ? names[k] : "?";
}

void wm_plan_stress_apply(wm_plan_stress k, wm_scenario_params *p)
{
    switch (k) {
    case WM_STRESS_BTC_CRASH:
        p->price0_usd_per_btc *= 0.5;
        break;
    case WM_STRESS_AI_SHOCK:
        p->gpu0_usd_per_gpu_hour *= exp(p->gpu_shock_log);
        p->tokens0_usd_per_mtok *= exp(p->tokens_shock_log);
        p->tenant_default_per_year *= 5.0;
        break;
    case WM_STRESS_POWER_SPIKE:
        p->power_level_usd_per_mwh *= 2.0;
        p->power0_usd_per_mwh *= 2.0;
        break;
    case WM_STRESS_TENANT_DEFAULT:
        p->tenant_default_per_year = 1.0;
        break;
    case WM_STRESS_HASH_SURGE: {
        double h0 = p->hashrate0_h_s > 0 ? p->hashrate0_h_s : p->difficulty0 * 4294967296.0 / 600.0;
        p->hashrate0_h_s = 1.3 * h0;
        break;
    }
    case WM_STRESS_COUNT:
        break;
    }
}
