/* plan.c - strategies priced on common random numbers (see plan.h, docs/model-mc.md). */
#include "plan.h"

#include "dispatch.h"

#include <math.h>
#include <stdio.h>
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
    s->mining_fixed_opex_usd_per_mw_year = 50000; /* assumption: staff, insurance, land (docs/model-mc.md) */
    s->mining_var_opex_usd_per_mwh = 5;           /* as `wattmux btc cost` (other opex $5/MWh) */
    s->curtail_daily = true;
    s->fleet_policy = true;
    s->fleet_age_years = 2;
    s->asic_value_decline_per_year = 0.35;        /* assumption (docs/model-mc.md) */
    s->refresh_every_years = 3;
    s->refresh_usd_per_th = 15;  /* ~$15/TH in 2025 (bitcoin.md section 2, trilogik), newest generation */
    s->refresh_eff_j_per_th = 13.5; /* Antminer S21 XP (bitcoin.md ASIC table) */
    s->refresh_eff_gain = 0.21;  /* S19 34.2 J/TH (2020) -> S21 XP 13.5 (2024): -21 %/yr */
    s->refresh_payback_years = 2;
    s->colo_capex_usd_per_mw_it = 9e6;      /* $8-11M per MW IT (ai.md section 4) */
    s->colo_tenant_capex_share = 0.8;       /* CoreWeave funded $196.4M of Core Scientific's $244.5M, Q3 2025 */
    s->colo_lead_months = 12;               /* 8-21 months deal to first MW (ai.md section 4) */
    s->colo_rent_usd_per_kw_month = 121.5;  /* Core Scientific-CoreWeave: $3.5B / (200 MW IT x 12 yr) (ai.md case 10) */
    s->colo_escalator_per_year = 0;         /* 121.5 is the term average: no separate step-up */
    s->colo_term_years = 12;                /* Core Scientific-CoreWeave term (ai.md section 4) */
    s->colo_noi_margin = 0.82;              /* NOI 80-85% (TeraWulf, Cipher; ai.md section 4) */
    s->colo_power_pass_through = true;      /* licence fee + pass-through power (Core Scientific colocation) */
    s->colo_value_remaining_term = true;    /* the contract's years after the horizon are contracted cash */
    s->pue_ai = 1.4;                        /* gross/IT at design: Muskogee 1.43, Cipher 1.45, TeraWulf 1.25 */
    s->own_ai_capex_usd_per_mw = 38e6;      /* hall ~$9M + GPUs ~$29M per MW (ai.md section 4) */
    s->own_ai_hall_usd_per_mw = 9e6;
    s->own_ai_hall_life_years = 20;         /* assumption: shells and power/cooling plant, 15-39 years */
    s->own_ai_lead_months = 12;
    s->tokens_efficiency_share = 1; /* the fall beyond the GPU-hour's is software and models, which own GPUs get */
    s->use[WM_USE_COLO] = true;
    s->hybrids = false;
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
    REQ(s->ppa_mw >= 0 && s->ppa_mw <= s->site_mw, "ppa_mw %g must be in [0, %g] (the site's MW)", s->ppa_mw, s->site_mw);
    REQ(s->ppa_usd_per_mwh >= -1000 && s->ppa_usd_per_mwh <= 10000, "ppa_usd_per_mwh %g must be in [-1000, 10000]",
        s->ppa_usd_per_mwh);
    REQ(s->ppa_years >= 0 && s->ppa_years <= 100, "ppa_years %g must be in [0, 100]", s->ppa_years);
    REQ(s->mining_fixed_opex_usd_per_mw_year >= 0 && s->mining_var_opex_usd_per_mwh >= 0, "mining opex must be >= 0");
    REQ(s->fleet_age_years >= 0 && s->fleet_age_years <= 30, "fleet_age_years %g must be in [0, 30]", s->fleet_age_years);
    REQ(s->asic_value_decline_per_year >= 0 && s->asic_value_decline_per_year < 1,
        "asic_value_decline_per_year %g must be in [0, 1)", s->asic_value_decline_per_year);
    REQ(s->refresh_eff_j_per_th > 1 && s->refresh_eff_j_per_th < 1000, "refresh_eff_j_per_th %g must be in (1, 1000)",
        s->refresh_eff_j_per_th);
    REQ(s->refresh_payback_years > 0 && s->refresh_payback_years <= 20, "refresh_payback_years %g must be in (0, 20]",
        s->refresh_payback_years);
    REQ(s->refresh_usd_per_th >= 0, "refresh_usd_per_th must be >= 0");
    REQ(s->colo_noi_margin >= 0 && s->colo_noi_margin <= 1, "colo_noi_margin %g must be in [0, 1]", s->colo_noi_margin);
    REQ(s->colo_tenant_capex_share >= 0 && s->colo_tenant_capex_share <= 1,
        "colo_tenant_capex_share %g must be in [0, 1]", s->colo_tenant_capex_share);
    REQ(s->colo_term_years > 0 && s->colo_term_years <= 50, "colo_term_years %g must be in (0, 50]", s->colo_term_years);
    REQ(s->colo_escalator_per_year > -0.5 && s->colo_escalator_per_year < 0.5,
        "colo_escalator_per_year %g must be in (-0.5, 0.5)", s->colo_escalator_per_year);
    REQ(s->colo_terminal_noi_multiple >= 0 && s->colo_terminal_noi_multiple <= 50,
        "colo_terminal_noi_multiple %g must be in [0, 50]", s->colo_terminal_noi_multiple);
    REQ(s->colo_lead_months >= 0 && s->colo_lead_months <= 120 && s->own_ai_lead_months >= 0 &&
            s->own_ai_lead_months <= 120,
        "lead times must be in [0, 120] months");
    REQ(s->own_ai_hall_usd_per_mw >= 0 && s->own_ai_hall_usd_per_mw <= s->own_ai_capex_usd_per_mw &&
            s->own_ai_hall_life_years >= 0 && s->own_ai_hall_life_years <= 100,
        "own_ai_hall_usd_per_mw must be in [0, own_ai_capex_usd_per_mw] and own_ai_hall_life_years in [0, 100]");
    REQ(s->tokens_efficiency_share >= 0 && s->tokens_efficiency_share <= 1,
        "tokens_efficiency_share %g must be in [0, 1]", s->tokens_efficiency_share);
    REQ(s->refresh_every_years >= 0 && s->refresh_eff_gain >= 0 && s->refresh_eff_gain < 1,
        "refresh_every_years >= 0 and refresh_eff_gain in [0, 1)");
    REQ(s->grid_steps >= 1 && s->grid_steps <= 100, "grid_steps %d must be in [1, 100]", s->grid_steps);
    REQ(wm_plan_strategy_count(s, true) <= WM_PLAN_MAX_STRATEGIES,
        "%zu strategies: more than %d (offer fewer uses, drop hybrids or use a coarser grid)",
        wm_plan_strategy_count(s, true), WM_PLAN_MAX_STRATEGIES);
#undef REQ
    return WM_OK;
}

double wm_plan_mining_usd_per_mw_day(const wm_plan_site *s, const wm_plan_hooks *h, const wm_scenario_day *d,
                                     double eff)
{
    double th_per_mw = 1e6 / s->pue_mining / eff;
    double revenue = th_per_mw / 1000.0 * d->hashprice_usd_per_ph_day * s->uptime * (1.0 - s->pool_fee);
    double var = s->power_adder_usd_per_mwh + s->mining_var_opex_usd_per_mwh; /* per MWh run */
    double cost = 24.0 * s->uptime * (d->power_usd_per_mwh + var);
    double margin = revenue - cost;
    if (h && h->curtail_usd_per_mw_day) {
        /* hourly dispatch: sum_h max(B - p_h, 0) = sum_h (B - p_h) + sum_h max(p_h - B, 0) */
        double breakeven = revenue / (24.0 * s->uptime) - var;
        margin += s->uptime * h->curtail_usd_per_mw_day(h->ctx, d, breakeven);
    } else if (s->curtail_daily && margin < 0) {
        margin = 0; /* off all day: no power bought, no wear */
    }
    return margin - s->mining_fixed_opex_usd_per_mw_year / YEAR_DAYS;
}

double wm_plan_colo_usd_per_mw_day(const wm_plan_site *s, const wm_scenario_day *d, int lease_year)
{
    double it_kw = 1000.0 / s->pue_ai;
    double step = s->colo_escalator_per_year == 0 || lease_year == 0
                      ? 1.0
                      : pow(1.0 + s->colo_escalator_per_year, (double)lease_year); /* pow is costly per path-day */
    double rent = s->colo_rent_usd_per_kw_month * step;
    double noi = it_kw * rent * 12.0 / YEAR_DAYS * s->colo_noi_margin * d->colo_rent_factor;
    if (!s->colo_power_pass_through && d->colo_rent_factor > 0) /* the hall draws its full facility MW */
        noi -= 24.0 * (d->power_usd_per_mwh + s->power_adder_usd_per_mwh);
    return noi;
}

double wm_plan_fleet_value_usd_per_mw(const wm_plan_site *s, double eff, double age_years)
{
    double th_per_mw = 1e6 / s->pue_mining / eff;
    /* ASICs cost about the same per watt across generations (S21 $3,100 / 3,500 W = $0.89/W; S21+
     * $3,349 / 235 TH; bitcoin.md): the new price per TH scales with J/TH, so a new machine on one
     * facility MW costs the same whatever its generation: 1e6 / PUE / E * usd_per_th * E / E_ref */
    double new_usd_per_th = s->refresh_usd_per_th * eff / s->refresh_eff_j_per_th;
    return th_per_mw * new_usd_per_th * pow(1.0 - s->asic_value_decline_per_year, age_years > 0 ? age_years : 0);
}

typedef struct plan_ctx {
    const wm_plan_site *site;
    const wm_plan_hooks *hooks;
} plan_ctx;

#define REVIEW_DAYS 91  /* fleet reviews every quarter ... */
#define WINDOW_DAYS 182 /* ... on the trailing half-year (days before the review only) */
#define ROW_EXTRA 3     /* after the 3 x (Y + 1) margins: retired at the end, purchases, first retirement year */

static int lead_days(double months)
{
    return (int)lround(months * YEAR_DAYS / 12.0);
}

/* Row per path: mining[0..Y], then for each use u: alt_u[0..Y], USD per facility MW by year
 * (index 0 = at the start; purchases and sales fall in the year they happen), then ROW_EXTRA
 * fleet figures. Mining: the installed fleet runs day by day (wm_plan_mining_usd_per_mw_day);
 * every REVIEW_DAYS, on the trailing WINDOW_DAYS only (no look-ahead), the operator replaces it
 * with the newest generation when the gain repays the price net of the old fleet's resale value
 * within refresh_payback_years, buys into an empty site on the same test, or sells a fleet that
 * no longer covers its fixed opex. The converted MW sell their machines at the start. Uses that
 * are not offered keep zero rows. */
#define NROW(Y) ((2 + WM_USE_COUNT) * (size_t)((Y) + 1) + ROW_EXTRA)
/* the site row (the PPA's swap flows, the same for every strategy) after the extras */
#define SITE_ROW(Y) ((1 + WM_USE_COUNT) * (size_t)((Y) + 1) + ROW_EXTRA)
static bool own_ai_on(const wm_plan_site *s, const wm_plan_hooks *h, int u)
{
    return u != WM_USE_COLO && s->use[u] && h && h->own_ai_usd_per_mw_day;
}

static wm_status reduce_path(void *vctx, void *ws, uint64_t path, const wm_scenario_day *days, int ndays, double *out)
{
    (void)ws;
    (void)path;
    const plan_ctx *c = vctx;
    const wm_plan_site *s = c->site;
    const int Y = s->years;
    double *m = out, *extra = out + (1 + WM_USE_COUNT) * (size_t)(Y + 1), *alt[WM_USE_COUNT], *site = out + SITE_ROW(Y);
    memset(out, 0, NROW(Y) * sizeof *out);
    for (int u = 0; u < WM_USE_COUNT; u++)
        alt[u] = out + (size_t)(1 + u) * (size_t)(Y + 1);
    const double fixed_day = s->mining_fixed_opex_usd_per_mw_year / YEAR_DAYS;
    double eff = s->eff_j_per_th;
    double trail[WINDOW_DAYS]; /* contribution before fixed opex of the installed fleet, ring */
    bool inst = true;
    int bought = -(int)lround(s->fleet_age_years * YEAR_DAYS), purchases = 0, first_retire = -1;
    const int colo_lead = lead_days(s->colo_lead_months), ai_lead = lead_days(s->own_ai_lead_months);
    const double ppa_mwh_day = 24.0 * s->ppa_mw, ppa_end = s->ppa_years > 0 ? s->ppa_years * YEAR_DAYS : INFINITY;
    const double colo_end = colo_lead + s->colo_term_years * YEAR_DAYS;
    bool ai_on[WM_USE_COUNT];
    for (int u = 0; u < WM_USE_COUNT; u++) {
        ai_on[u] = own_ai_on(s, c->hooks, u);
        /* the converted MW's machines are sold at the start */
        alt[u][0] += wm_plan_fleet_value_usd_per_mw(s, eff, s->fleet_age_years);
    }
    /* the margin gain of a purchase is expected to fade as the network adopts the same
     * generation: at the rate of the efficiency gain, so the payback test integrates
     * (1 - g)^t over the payback period */
    const double lg = -log1p(-s->refresh_eff_gain);
    const double payback_years_eff = lg > 0 ? -expm1(-lg * s->refresh_payback_years) / lg : s->refresh_payback_years;
    int d = 0;
    for (; d < ndays && d < Y * YEAR_DAYS; d++) {
        int y = d / YEAR_DAYS + 1;
        if (s->fleet_policy && d >= WINDOW_DAYS && d % REVIEW_DAYS == 0) {
            double c_cur = 0;
            if (inst)
                for (int k = 0; k < WINDOW_DAYS; k++)
                    c_cur += trail[k] / WINDOW_DAYS;
            bool done = false;
            if (s->refresh_every_years > 0 && (!inst || d - bought >= s->refresh_every_years * YEAR_DAYS)) {
                double eff_new = s->refresh_eff_j_per_th * pow(1.0 - s->refresh_eff_gain, (double)d / YEAR_DAYS);
                double c_new = 0;
                for (int k = d - WINDOW_DAYS; k < d; k++)
                    c_new += (wm_plan_mining_usd_per_mw_day(s, c->hooks, &days[k], eff_new) + fixed_day) / WINDOW_DAYS;
                double price = wm_plan_fleet_value_usd_per_mw(s, eff_new, 0);
                double credit = inst ? wm_plan_fleet_value_usd_per_mw(s, eff, (double)(d - bought) / YEAR_DAYS) : 0;
                double gain = c_new - (inst ? c_cur : fixed_day);
                if (c_new > fixed_day && gain * YEAR_DAYS * payback_years_eff >= price - credit) {
                    m[y] += credit - price;
                    eff = eff_new;
                    bought = d;
                    inst = true;
                    purchases++;
                    done = true;
                }
            }
            if (!done && inst && d - bought >= WINDOW_DAYS && c_cur < fixed_day) {
                m[y] += wm_plan_fleet_value_usd_per_mw(s, eff, (double)(d - bought) / YEAR_DAYS);
                inst = false;
                if (first_retire < 0)
                    first_retire = d;
            }
        }
        if (inst) {
            double v = wm_plan_mining_usd_per_mw_day(s, c->hooks, &days[d], eff);
            m[y] += v;
            trail[d % WINDOW_DAYS] = v + fixed_day;
        }
        /* the PPA block as a swap: its energy is bought at the PPA price and sold back at the day's
           level whatever the site runs (what the site uses it then buys at the level) */
        if (d < ppa_end)
            site[y] += ppa_mwh_day * (days[d].power_usd_per_mwh - s->ppa_usd_per_mwh);
        if (s->use[WM_USE_COLO] && d >= colo_lead && d < colo_end)
            alt[WM_USE_COLO][y] += wm_plan_colo_usd_per_mw_day(s, &days[d], (d - colo_lead) / YEAR_DAYS);
        if (d >= ai_lead)
            for (int u = WM_USE_CLOUD; u < WM_USE_COUNT; u++)
                if (ai_on[u])
                    alt[u][y] += c->hooks->own_ai_usd_per_mw_day(c->hooks->ctx, (wm_plan_use)u, d, &days[d]);
    }
    /* own AI: the GPUs are bought when the hall is ready (at the end of the lead time, at their
     * price today), counted at the last year end not after it (floor: never later than they are
     * paid); none when the hall is not ready within the horizon */
    if (ai_lead < Y * YEAR_DAYS)
        for (int u = WM_USE_CLOUD; u < WM_USE_COUNT; u++)
            if (ai_on[u])
                alt[u][ai_lead / YEAR_DAYS] -= s->own_ai_capex_usd_per_mw - s->own_ai_hall_usd_per_mw;
    /* own AI: the hall at its book value at the horizon (the GPUs at none) */
    const double in_service_years = (double)(Y * YEAR_DAYS - ai_lead) / YEAR_DAYS;
    if (s->own_ai_hall_life_years > 0 && in_service_years > 0)
        for (int u = WM_USE_CLOUD; u < WM_USE_COUNT; u++)
            if (ai_on[u])
                alt[u][Y] += s->own_ai_hall_usd_per_mw * fmax(0.0, 1.0 - in_service_years / s->own_ai_hall_life_years);
    if (inst) /* the fleet's resale value at the horizon */
        m[Y] += wm_plan_fleet_value_usd_per_mw(s, eff, (double)(d - bought) / YEAR_DAYS);
    double *co = alt[WM_USE_COLO];
    if (!s->use[WM_USE_COLO]) {
        /* not offered */
    } else if (s->colo_terminal_noi_multiple > 0) {
        co[Y] += s->colo_terminal_noi_multiple * co[Y];
    } else if (s->colo_value_remaining_term && d > colo_lead && colo_end > d) {
        /* the lease still runs after the horizon: its remaining contracted NOI, at the last day's
         * run rate stepped up yearly, discounted to the horizon (whole years, then the part year) */
        double rate = wm_plan_colo_usd_per_mw_day(s, &days[d - 1], (d - 1 - colo_lead) / YEAR_DAYS) * YEAR_DAYS;
        double rem = (colo_end - d) / YEAR_DAYS, pv = 0, step = 1;
        for (int k = 1; k <= (int)ceil(rem); k++) {
            step *= 1.0 + s->colo_escalator_per_year;
            double part = fmin(1.0, rem - (k - 1));
            pv += rate * step * part / pow(1.0 + s->discount_rate, k - 1 + part);
        }
        co[Y] += pv;
    }
    extra[0] = inst ? 0.0 : 1.0;
    extra[1] = purchases;
    extra[2] = first_retire >= 0 ? (double)first_retire / YEAR_DAYS : -1.0;
    return WM_OK;
}

const char *wm_plan_use_name(wm_plan_use u)
{
    static const char *names[WM_USE_COUNT] = {"colo", "cloud", "tokens", "train"};
    return u < WM_USE_COUNT ? names[u] : "?";
}

wm_status wm_plan_uses_parse(const char *text, bool use[WM_USE_COUNT], wm_err *err)
{
    for (int u = 0; u < WM_USE_COUNT; u++)
        use[u] = false;
    const char *p = text;
    int n = 0;
    while (p && *p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        int u = 0;
        for (; u < WM_USE_COUNT; u++)
            if (strlen(wm_plan_use_name((wm_plan_use)u)) == len && strncmp(p, wm_plan_use_name((wm_plan_use)u), len) == 0)
                break;
        if (u == WM_USE_COUNT)
            return wm_err_set(err, WM_EPARSE, "uses", 0, 0, "unknown use '%.*s': expected colo, cloud, tokens or train",
                              (int)(len > 40 ? 40 : len), p);
        use[u] = true;
        n++;
        p = e ? e + 1 : NULL;
    }
    if (n == 0)
        return wm_err_set(err, WM_EPARSE, "uses", 0, 0, "expected at least one of colo, cloud, tokens, train");
    return WM_OK;
}

/* Offered uses (own AI ones only with the hook), in wm_plan_use order. */
static int offered(const wm_plan_site *s, bool has_own_ai, int *list)
{
    int n = 0;
    for (int u = 0; u < WM_USE_COUNT; u++)
        if (s->use[u] && (u == WM_USE_COLO || has_own_ai))
            list[n++] = u;
    return n;
}

size_t wm_plan_strategy_count(const wm_plan_site *s, bool has_own_ai)
{
    int list[WM_USE_COUNT], n = offered(s, has_own_ai, list);
    size_t g = s->grid_steps > 0 ? (size_t)s->grid_steps : 0;
    size_t pairs = s->hybrids ? (size_t)n * (size_t)(n - 1) / 2 : 0;
    return 1 + (size_t)n * g + pairs * (g > 1 ? g * (g - 1) / 2 : 0);
}

/* Fill out->r[..].mw with the strategies in wm_plan_strategy_count's order. */
static void enumerate(const wm_plan_site *s, bool has_own_ai, wm_plan_out *out)
{
    int list[WM_USE_COUNT], n = offered(s, has_own_ai, list), g = s->grid_steps;
    out->n = 0;
    memset(out->r[out->n++].mw, 0, sizeof out->r[0].mw);
    for (int a = 0; a < n; a++)
        for (int k = 1; k <= g; k++) {
            wm_plan_result *r = &out->r[out->n++];
            memset(r->mw, 0, sizeof r->mw);
            r->mw[list[a]] = s->site_mw * k / g;
        }
    for (int a = 0; s->hybrids && a < n; a++)
        for (int b = a + 1; b < n; b++)
            for (int i = 1; i < g; i++)
                for (int j = 1; i + j <= g; j++) {
                    wm_plan_result *r = &out->r[out->n++];
                    memset(r->mw, 0, sizeof r->mw);
                    r->mw[list[a]] = s->site_mw * i / g;
                    r->mw[list[b]] = s->site_mw * j / g;
                }
    for (size_t i = 0; i < out->n; i++) {
        wm_plan_result *r = &out->r[i];
        r->x_mw = 0;
        r->main_use = -1;
        for (int u = 0; u < WM_USE_COUNT; u++) {
            r->x_mw += r->mw[u];
            if (r->mw[u] > 0 && (r->main_use < 0 || r->mw[u] > r->mw[r->main_use]))
                r->main_use = u;
        }
    }
}

bool wm_plan_is_mix(const wm_plan_result *r)
{
    int n = 0;
    for (int u = 0; u < WM_USE_COUNT; u++)
        n += r->mw[u] > 0;
    return n > 1;
}

const char *wm_plan_strategy_label(const wm_plan_site *s, const wm_plan_result *r, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    if (r->x_mw <= 0) {
        snprintf(buf, n, "stay mining");
        return buf;
    }
    for (int u = 0; u < WM_USE_COUNT; u++)
        if (r->mw[u] > 0 && k < n)
            k += (size_t)snprintf(buf + k, n - k, "%s%.0f MW %s", k ? " + " : "", r->mw[u],
                                  wm_plan_use_name((wm_plan_use)u));
    if (s->site_mw - r->x_mw > 1e-9 * s->site_mw && k < n)
        snprintf(buf + k, n - k, " + %.0f MW mining", s->site_mw - r->x_mw);
    return buf;
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
    const size_t nrow = NROW(Y);
    wm_status st = WM_OK;
    double *cf = malloc(paths * (size_t)(Y + 1) * sizeof *cf);
    double *npv = malloc(paths * sizeof *npv), *scratch = malloc(paths * sizeof *scratch);
    double *irr = malloc(paths * sizeof *irr);
    if (!cf || !npv || !scratch || !irr) {
        st = WM_ENOMEM;
        goto done;
    }
    enumerate(site, hooks && hooks->own_ai_usd_per_mw_day, out);
    out->ppa_npv_mean = 0;
    for (uint64_t i = 0; i < paths; i++)
        out->ppa_npv_mean += wm_finance_npv(rows + i * nrow + SITE_ROW(Y), (size_t)Y + 1, site->discount_rate) / (double)paths;
    bool irr_done[WM_USE_COUNT] = {false};
    double irr_median_of[WM_USE_COUNT] = {0};
    for (size_t si = 0; si < out->n; si++) {
        wm_plan_result *r = &out->r[si];
        double capex = r->mw[WM_USE_COLO] / site->pue_ai * site->colo_capex_usd_per_mw_it *
                       (1.0 - site->colo_tenant_capex_share);
        for (int u = WM_USE_CLOUD; u < WM_USE_COUNT; u++)
            capex += r->mw[u] * site->own_ai_hall_usd_per_mw; /* the GPUs: in the use's rows */
        double mean_cf[WM_PLAN_MAX_YEARS + 1] = {0}, mean_inc[WM_PLAN_MAX_YEARS + 1] = {0};
        size_t nirr = 0;
        /* a one-use strategy's incremental flows are x times those of 1 MW: every x of a use
         * has the same per-path IRRs, so they are solved once per use */
        int one = r->main_use >= 0 && r->mw[r->main_use] == r->x_mw ? r->main_use : -1;
        /* hybrids: only the IRR of the mean flows (per-path IRRs of ~300 mixes x paths would
         * dominate the run time; their flows often change sign twice, so no fast path) */
        bool irr_known = one < 0 || irr_done[one];
        for (uint64_t i = 0; i < paths; i++) {
            const double *m = rows + i * nrow;
            double *f = cf + i * (size_t)(Y + 1), inc[WM_PLAN_MAX_YEARS + 1];
            const double *ppa = rows + i * nrow + SITE_ROW(Y);
            for (int y = 0; y <= Y; y++) {
                f[y] = (site->site_mw - r->x_mw) * m[y] + ppa[y]; /* not in inc: the same whatever is done */
                inc[y] = 0;
                for (int u = 0; u < WM_USE_COUNT; u++)
                    if (r->mw[u] > 0) {
                        double a = m[(size_t)(1 + u) * (size_t)(Y + 1) + (size_t)y];
                        f[y] += r->mw[u] * a;
                        inc[y] += r->mw[u] * (a - m[y]); /* versus staying with mining */
                    }
            }
            f[0] -= capex;
            inc[0] -= capex;
            for (int y = 0; y <= Y; y++) {
                mean_cf[y] += f[y] / (double)paths;
                mean_inc[y] += inc[y] / (double)paths;
            }
            npv[i] = wm_finance_npv(f, (size_t)Y + 1, site->discount_rate);
            double v;
            if (r->x_mw > 0 && !irr_known && wm_finance_irr(inc, (size_t)Y + 1, &v) == WM_OK)
                irr[nirr++] = v;
        }
        if ((st = wm_finance_risk_of(npv, paths, 0.05, scratch, &r->npv)) != WM_OK)
            goto done;
        r->hist_lo_usd = r->hist_hi_usd = npv[0];
        for (uint64_t i = 1; i < paths; i++) {
            r->hist_lo_usd = fmin(r->hist_lo_usd, npv[i]);
            r->hist_hi_usd = fmax(r->hist_hi_usd, npv[i]);
        }
        if (r->hist_hi_usd <= r->hist_lo_usd) { /* one value: a bin of +-0.5% around it */
            double w = fabs(r->hist_lo_usd) * 0.005 + 1.0;
            r->hist_lo_usd -= w;
            r->hist_hi_usd += w;
        }
        for (uint64_t i = 0; i < paths; i++) {
            int b = (int)((npv[i] - r->hist_lo_usd) / (r->hist_hi_usd - r->hist_lo_usd) * WM_PLAN_HIST_BINS);
            r->hist[b < 0 ? 0 : b >= WM_PLAN_HIST_BINS ? WM_PLAN_HIST_BINS - 1 : b]++;
        }
        if (one < 0) {
            r->irr_median = NAN;
        } else if (irr_known) {
            r->irr_median = irr_median_of[one];
        } else if (nirr) {
            qsort(irr, nirr, sizeof *irr, cmp_d);
            r->irr_median = wm_finance_quantile_sorted(irr, nirr, 0.5);
        } else {
            r->irr_median = NAN;
        }
        if (one >= 0 && !irr_known) {
            irr_done[one] = true;
            irr_median_of[one] = r->irr_median;
        }
        if (r->x_mw <= 0 || wm_finance_irr(mean_inc, (size_t)Y + 1, &r->irr_of_mean) != WM_OK)
            r->irr_of_mean = NAN;
        if (r->x_mw <= 0 || wm_finance_payback(mean_inc, (size_t)Y + 1, 0, &r->payback_years_of_mean) != WM_OK)
            r->payback_years_of_mean = NAN;
        for (int y = 0; y <= Y; y++) {
            for (uint64_t i = 0; i < paths; i++)
                scratch[i] = cf[i * (size_t)(Y + 1) + (size_t)y];
            static const double qs[3] = {0.05, 0.50, 0.95};
            double qv[3];
            wm_finance_quantiles(scratch, paths, qs, 3, qv);
            r->cf_p5[y] = qv[0];
            r->cf_p50[y] = qv[1];
            r->cf_p95[y] = qv[2];
            r->cf_mean[y] = mean_cf[y];
        }
    }
    /* fleet policy figures (the mining rows' extras) */
    size_t nret = 0;
    double sret = 0, nend = 0, nbuy = 0;
    for (uint64_t i = 0; i < paths; i++) {
        const double *e = rows + i * nrow + (1 + WM_USE_COUNT) * (size_t)(Y + 1);
        nend += e[0];
        nbuy += e[1];
        if (e[2] >= 0) {
            nret++;
            sret += e[2];
        }
    }
    out->fleet_retired_share = nend / (double)paths;
    out->fleet_purchases_mean = nbuy / (double)paths;
    out->fleet_first_retire_year_mean = nret ? sret / (double)nret : NAN;
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
    return wm_plan_run_progress(scn, site, hooks, seed, paths, threads, NULL, NULL, out, err);
}

wm_status wm_plan_run_progress(const wm_scenario_params *scn, const wm_plan_site *site, const wm_plan_hooks *hooks,
                               uint64_t seed, uint64_t paths, int threads, wm_sim_progress_fn progress,
                               void *progress_ctx, wm_plan_out *out, wm_err *err)
{
    wm_status st = wm_plan_site_check(site, err);
    if (st != WM_OK)
        return st;
    if (paths < 20 || !out)
        return wm_err_set(err, WM_EINVAL, "plan", 0, 0, "need at least 20 paths");
    if (wm_plan_strategy_count(site, hooks && hooks->own_ai_usd_per_mw_day) > WM_PLAN_MAX_STRATEGIES)
        return wm_err_set(err, WM_ERANGE, "plan", 0, 0, "%zu strategies: more than %d (fewer uses, no hybrids or a coarser grid)",
                          wm_plan_strategy_count(site, hooks && hooks->own_ai_usd_per_mw_day), WM_PLAN_MAX_STRATEGIES);
    const size_t nrow = NROW(site->years);
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
    c.progress = progress;
    c.progress_ctx = progress_ctx;
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
    double rows[NROW(WM_PLAN_MAX_YEARS)];
    plan_ctx ctx = {&site, hooks};
    reduce_path(&ctx, NULL, 0, days, site.years * YEAR_DAYS, rows);
    memset(out, 0, sizeof *out);
    out->paths = 1;
    return price_strategies(&site, hooks, rows, 1, out);
}

const char *wm_plan_stress_name(wm_plan_stress k)
{
    static const char *names[WM_STRESS_COUNT] = {"btc-crash",    "ai-shock",       "next-halving",  "uri-week",
                                                 "power-double", "tenant-default", "hashrate-surge"};
    return k < WM_STRESS_COUNT ? names[k] : "?";
}

void wm_plan_stress_apply(wm_plan_stress k, const wm_plan_stress_opts *o, wm_scenario_params *p)
{
    p->event_day = o->day;
    switch (k) {
    case WM_STRESS_BTC_CRASH:
        p->event_price_log = log(0.5);
        break;
    case WM_STRESS_AI_SHOCK:
        /* the scenario's shock counts as one (token serving's tokens/s jump with its token
           price's fall beyond the GPU-hour's); a drop of both prices alike has no such gap */
        if (o->ai_drop > 0) {
            p->event_gpu_log = p->event_tokens_log = log1p(-o->ai_drop);
        } else {
            p->event_gpu_log = p->gpu_shock_log;
            p->event_tokens_log = p->tokens_shock_log;
            p->event_ai_shocks = 1;
        }
        p->event_tenant_factor = 5.0; /* tenants default more from the shock on */
        break;
    case WM_STRESS_NEXT_HALVING:
        p->event_halving = true;
        break;
    case WM_STRESS_URI_WEEK:
        p->event_power = o->power_week;
        p->event_power_n = o->power_week_n;
        break;
    case WM_STRESS_POWER_DOUBLE:
        p->power_level_usd_per_mwh *= 2.0;
        p->power0_usd_per_mwh *= 2.0;
        break;
    case WM_STRESS_TENANT_DEFAULT:
        p->tenant_default_per_year = 1.0;
        break;
    case WM_STRESS_HASH_SURGE:
        p->event_hash_log = log(1.3);
        break;
    case WM_STRESS_COUNT:
        break;
    }
}

wm_status wm_plan_worst_week(const wm_series *s, int col, double week[7], int64_t *first_day, wm_err *err)
{
    if (col < 0 || (size_t)col >= wm_series_ncols(s))
        return wm_err_set(err, WM_EINVAL, "stress", 0, 0, "no such price column");
    size_t cap = wm_series_len(s) / 20 + 2;
    int64_t *days = malloc(cap * sizeof *days);
    double *mean = malloc(cap * sizeof *mean);
    if (!days || !mean) {
        free(days);
        free(mean);
        return WM_ENOMEM;
    }
    size_t nd = wm_series_day_means(s, (size_t)col, 20, days, mean, cap), best = SIZE_MAX;
    nd = nd < cap ? nd : cap;
    double best_sum = -INFINITY;
    for (size_t i = 0; i + 7 <= nd; i++) {
        if (days[i + 6] - days[i] != 6 * 86400)
            continue; /* not 7 consecutive days */
        double sum = 0;
        for (int k = 0; k < 7; k++)
            sum += mean[i + (size_t)k];
        if (sum > best_sum) {
            best_sum = sum;
            best = i;
        }
    }
    wm_status st = WM_OK;
    if (best == SIZE_MAX) {
        st = wm_err_set(err, WM_EINVAL, "stress", 0, 0, "the power prices hold no 7 consecutive days");
    } else {
        for (int k = 0; k < 7; k++)
            week[k] = mean[best + (size_t)k];
        *first_day = days[best];
    }
    free(days);
    free(mean);
    return st;
}

/* ---- curtailment value per day shape (dispatch module) ---- */
#define CT_MAX_H 25
struct wm_plan_curtail {
    size_t nshapes;
    int first[12], count[12];     /* shapes of each calendar month */
    double *r;                    /* nshapes x (CT_MAX_H + 1) breakpoints, ascending */
    double *v;                    /* v at each breakpoint (level 1, per MW-day of the shape's hours) */
    int *nb;                      /* breakpoints per shape */
    int *hours;                   /* hours of the day */
};

void wm_plan_curtail_free(wm_plan_curtail *c)
{
    if (!c)
        return;
    free(c->r);
    free(c->v);
    free(c->nb);
    free(c->hours);
    free(c);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

wm_status wm_plan_curtail_new(const wm_series *hs, int col, int per_month[12], wm_plan_curtail **out, wm_err *err)
{
    *out = NULL;
    size_t n = wm_series_len(hs);
    const int64_t *t = wm_series_times(hs);
    const double *v = wm_series_values(hs, (size_t)col);
    wm_plan_curtail *c = calloc(1, sizeof *c);
    size_t maxd = n / 20 + 2;
    if (c) {
        c->r = malloc(maxd * (CT_MAX_H + 1) * sizeof *c->r);
        c->v = malloc(maxd * (CT_MAX_H + 1) * sizeof *c->v);
        c->nb = malloc(maxd * sizeof *c->nb);
        c->hours = malloc(maxd * sizeof *c->hours);
    }
    wm_dispatch_ws *ws = NULL;
    if (!c || !c->r || !c->v || !c->nb || !c->hours || wm_dispatch_ws_new(CT_MAX_H, 1, 0, &ws) != WM_OK) {
        wm_plan_curtail_free(c);
        return WM_ENOMEM;
    }
    int month_of[4096];
    wm_status st = WM_OK;
    for (size_t i = 0; i < n && st == WM_OK;) {
        int64_t day = (t[i] >= 0 ? t[i] : t[i] - 86399) / 86400 * 86400;
        size_t j = i;
        double buy[CT_MAX_H], cap[CT_MAX_H], sum = 0;
        int h = 0;
        bool ok = true;
        for (; j < n && (t[j] >= 0 ? t[j] : t[j] - 86399) / 86400 * 86400 == day; j++) {
            if (h < CT_MAX_H && !isnan(v[j]))
                buy[h++] = v[j];
            else
                ok = false;
        }
        i = j;
        if (!ok || h < 20 || c->nshapes >= maxd || c->nshapes >= 4096)
            continue; /* partial days are not shapes */
        for (int k = 0; k < h; k++)
            sum += buy[k];
        double mean = sum / h;
        if (!(mean >= 1.0))
            mean = 1.0; /* a day averaging below $1/MWh is scaled as if it averaged $1 */
        for (int k = 0; k < h; k++) {
            buy[k] /= mean;
            cap[k] = 1.0;
        }
        wm_dispatch_problem pr;
        memset(&pr, 0, sizeof pr);
        pr.n = (size_t)h;
        pr.dt_h = 1.0;
        pr.buy = buy;
        pr.cap_mw = cap;
        pr.ngroups = 1;
        pr.group[0].name = "asic";
        pr.group[0].kind = WM_LOAD_FLEX;
        pr.group[0].max_mw = 1.0;
        pr.group[0].min_on = pr.group[0].min_off = 1;
        double *rr = c->r + c->nshapes * (CT_MAX_H + 1), *vv = c->v + c->nshapes * (CT_MAX_H + 1);
        rr[0] = 0.0;
        memcpy(rr + 1, buy, (size_t)h * sizeof *buy);
        qsort(rr, (size_t)h + 1, sizeof *rr, cmp_dbl);
        for (int k = 0; k <= h && st == WM_OK; k++) {
            pr.group[0].value_usd_per_mwh = rr[k];
            double opt, on;
            if ((st = wm_dispatch_solve(&pr, ws, err)) != WM_OK)
                break;
            opt = wm_dispatch_result(ws)->profit_usd;
            if ((st = wm_dispatch_always_on(&pr, ws, err)) != WM_OK)
                break;
            on = wm_dispatch_result(ws)->profit_usd;
            vv[k] = opt - on;
        }
        int y;
        unsigned m, dd;
        wm_civil_from_days(day / 86400, &y, &m, &dd);
        month_of[c->nshapes] = (int)m;
        c->nb[c->nshapes] = h + 1;
        c->hours[c->nshapes] = h;
        c->nshapes++;
    }
    wm_dispatch_ws_free(ws);
    if (st != WM_OK || c->nshapes == 0) {
        wm_plan_curtail_free(c);
        return st != WM_OK ? st : wm_err_set(err, WM_EINVAL, "curtail", 0, 0, "no whole days in the hourly prices");
    }
    /* the series is in time order: group the shapes by calendar month (stable) */
    double *r2 = malloc(c->nshapes * (CT_MAX_H + 1) * sizeof *r2), *v2 = malloc(c->nshapes * (CT_MAX_H + 1) * sizeof *v2);
    int *nb2 = malloc(c->nshapes * sizeof *nb2), *h2 = malloc(c->nshapes * sizeof *h2);
    if (!r2 || !v2 || !nb2 || !h2) {
        free(r2);
        free(v2);
        free(nb2);
        free(h2);
        wm_plan_curtail_free(c);
        return WM_ENOMEM;
    }
    size_t k = 0;
    for (int m = 1; m <= 12; m++) {
        c->first[m - 1] = (int)k;
        for (size_t i = 0; i < c->nshapes; i++)
            if (month_of[i] == m) {
                memcpy(r2 + k * (CT_MAX_H + 1), c->r + i * (CT_MAX_H + 1), (CT_MAX_H + 1) * sizeof *r2);
                memcpy(v2 + k * (CT_MAX_H + 1), c->v + i * (CT_MAX_H + 1), (CT_MAX_H + 1) * sizeof *v2);
                nb2[k] = c->nb[i];
                h2[k] = c->hours[i];
                k++;
            }
        c->count[m - 1] = (int)k - c->first[m - 1];
        per_month[m - 1] = c->count[m - 1];
    }
    free(c->r);
    free(c->v);
    free(c->nb);
    free(c->hours);
    c->r = r2;
    c->v = v2;
    c->nb = nb2;
    c->hours = h2;
    *out = c;
    return WM_OK;
}

double wm_plan_curtail_value(void *ctx, const wm_scenario_day *d, double breakeven)
{
    const wm_plan_curtail *c = ctx;
    if (d->shape < 0 || d->month < 1 || d->month > 12 || d->shape >= c->count[d->month - 1])
        return 0.0;
    size_t i = (size_t)(c->first[d->month - 1] + d->shape);
    const double *r = c->r + i * (CT_MAX_H + 1), *v = c->v + i * (CT_MAX_H + 1);
    int nb = c->nb[i];
    double level = d->power_usd_per_mwh, x = level > 0 ? breakeven / level : 0.0, val;
    if (x >= r[nb - 1])
        val = 0.0; /* runs every hour */
    else if (x <= r[0])
        val = v[0] + (r[0] - x) * (double)(nb - 1); /* below every hour (x < 0): slope -hours */
    else {
        int lo = 0, hi = nb - 1;
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            if (r[mid] <= x)
                lo = mid;
            else
                hi = mid;
        }
        double w = r[hi] > r[lo] ? (x - r[lo]) / (r[hi] - r[lo]) : 0.0;
        val = v[lo] + w * (v[hi] - v[lo]);
    }
    return level * val * 24.0 / c->hours[i];
}

/* ---- dispatch map of a real year (report) ---- */
wm_status wm_plan_dispatch_map(const wm_series *hs, int col, int64_t tz, const wm_plan_site *s,
                               const wm_scenario_day *days, int ndays, int64_t hist_t0, int max_days,
                               int64_t *day_t, double *price, unsigned char *on, double *breakeven, int *n_out,
                               wm_err *err)
{
    *n_out = 0;
    size_t n = wm_series_len(hs);
    const int64_t *t = wm_series_times(hs);
    const double *v = wm_series_values(hs, (size_t)col);
    wm_dispatch_ws *ws = NULL;
    wm_status st = wm_dispatch_ws_new(24, 1, 0, &ws);
    if (st != WM_OK)
        return st;
    double th_per_mw = 1e6 / s->pue_mining / s->eff_j_per_th;
    double var = s->power_adder_usd_per_mwh + s->mining_var_opex_usd_per_mwh;
    for (size_t i = 0; i < n && st == WM_OK && *n_out < max_days;) {
        int64_t lt = t[i] + tz, key = (lt >= 0 ? lt : lt - 86399) / 86400;
        double buy[24], cap[24];
        int h = 0;
        bool ok = true;
        size_t j = i;
        for (; j < n; j++) {
            int64_t lj = t[j] + tz;
            if ((lj >= 0 ? lj : lj - 86399) / 86400 != key)
                break;
            int hour = (int)((lj - key * 86400) / 3600);
            if (hour != h || h >= 24 || isnan(v[j]))
                ok = false;
            else
                buy[h++] = v[j];
        }
        i = j;
        int64_t di = (key * 86400 - hist_t0) / 86400;
        if (!ok || h != 24 || di < 0 || di >= ndays)
            continue;
        double rev = th_per_mw / 1000.0 * days[di].hashprice_usd_per_ph_day * s->uptime * (1.0 - s->pool_fee);
        double b = rev / (24.0 * s->uptime) - var;
        for (int k = 0; k < 24; k++)
            cap[k] = 1.0;
        wm_dispatch_problem pr;
        memset(&pr, 0, sizeof pr);
        pr.n = 24;
        pr.dt_h = 1.0;
        pr.buy = buy;
        pr.cap_mw = cap;
        pr.ngroups = 1;
        pr.group[0].name = "asic";
        pr.group[0].kind = WM_LOAD_FLEX;
        pr.group[0].max_mw = 1.0;
        pr.group[0].min_on = pr.group[0].min_off = 1;
        pr.group[0].value_usd_per_mwh = b;
        if ((st = wm_dispatch_solve(&pr, ws, err)) != WM_OK)
            break;
        const double *x = wm_dispatch_power(ws, 0);
        int d = *n_out;
        day_t[d] = key * 86400;
        breakeven[d] = b;
        for (int k = 0; k < 24; k++) {
            price[d * 24 + k] = buy[k];
            on[d * 24 + k] = x[k] > 0.5;
        }
        (*n_out)++;
    }
    wm_dispatch_ws_free(ws);
    if (st == WM_OK && *n_out == 0)
        st = wm_err_set(err, WM_EINVAL, "dispatch map", 0, 0, "no whole local day of hourly prices with a history day");
    return st;
}
