/* aiecon.c - AI revenue modes per MW, the efficiency shock, lease and fleet-day arithmetic
 * (see aiecon.h; formulas and sources of the defaults: docs/model-ai.md section 5). */
#include "aiecon.h"

#include <math.h>
#include <string.h>

#define DAYS_PER_YEAR 365.25
#define DAYS_PER_MONTH (DAYS_PER_YEAR / 12.0)

const char *wm_ai_mode_name(wm_ai_mode m)
{
    static const char *n[] = {"colo", "cloud", "tokens", "train"};
    return (unsigned)m < WM_AI_MODE_COUNT ? n[m] : "?";
}

/* flag, key, kind, unit, default, min, max, def_str, help */
const wm_param wm_aiecon_colo_table[] = {
    {"colo-rate", "colo_usd_per_kw_month", WM_PARAM_NUM, "USD/kW-month", 121.5, 0, 10000, NULL,
     "lease rate per kW of IT, first year (Core Scientific-CoreWeave 121.5)"},
    {"colo-term", "colo_term_years", WM_PARAM_NUM, "years", 12, 0.1, 50, NULL, "lease term"},
    {"colo-escalator", "colo_escalator_per_year", WM_PARAM_NUM, "1/year", 0.0, -0.5, 0.5, NULL,
     "annual step-up of the lease rate"},
    {"colo-passthrough", "colo_power_passthrough", WM_PARAM_NUM, "0/1", 1, 0, 1, NULL,
     "1 = tenant pays the power bill, 0 = power included in the rate"},
    {"colo-capex", "colo_fitout_capex_usd_per_mw", WM_PARAM_NUM, "USD/MW IT", 9e6, 0, 1e9, NULL,
     "fit-out capex per MW IT, depreciated over the term (8-11M)"},
    {"colo-lead", "colo_lead_time_months", WM_PARAM_NUM, "months", 12, 0, 120, NULL,
     "deal to first rent (8-21 in 2024-25 deals)"},
    {"colo-pue", "colo_pue", WM_PARAM_NUM, "", 1.3, 1, 3, NULL, "facility / IT power of the AI hall"},
    {"colo-load", "colo_load_factor", WM_PARAM_NUM, "", 0.8, 0, 1, NULL, "average IT draw / contracted IT"},
    {"colo-opex", "colo_opex_usd_per_mw_year", WM_PARAM_NUM, "USD/MW-year", 220000, 0, 1e8, NULL,
     "landlord opex per MW IT (NOI ~85% of rent)"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

const wm_param wm_aiecon_fleet_table[] = {
    {"gpu-it-w", "it_w_per_gpu", WM_PARAM_NUM, "W", 1275, 10, 1e5, NULL,
     "IT watts per GPU at full load incl. host (DGX H100 10.2 kW / 8)"},
    {"idle-frac", "idle_frac", WM_PARAM_NUM, "", 0.3, 0, 1, NULL, "IT draw when idle / full load"},
    {"gpu-capex", "gpu_capex_usd", WM_PARAM_NUM, "USD/GPU", 37000, 0, 1e7, NULL,
     "capex per GPU incl. server and network (IREN $5.8B / 200 MW)"},
    {"facility-capex", "facility_capex_usd_per_mw", WM_PARAM_NUM, "USD/MW IT", 9e6, 0, 1e9, NULL,
     "shell, power, cooling per MW IT"},
    {"life", "life_years", WM_PARAM_NUM, "years", 5, 0.5, 30, NULL, "depreciation life"},
    {"opex-frac", "opex_frac_per_year", WM_PARAM_NUM, "1/year", 0.04, 0, 1, NULL,
     "non-power opex as a share of capex per year"},
    {"pue", "pue", WM_PARAM_NUM, "", 1.2, 1, 3, NULL, "facility / IT power (Epoch sheet 1.2)"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

const wm_param wm_aiecon_cloud_table[] = {
    {"rent", "usd_per_gpu_h", WM_PARAM_NUM, "USD/GPU-h", 2.35, 0, 1000, NULL,
     "GPU rental price at day 0 (H100 index Mar 2026)"},
    {"rent-decline", "rent_decline_per_year", WM_PARAM_NUM, "1/year", 0.18, -1, 5, NULL,
     "continuous decline of the rental price (H100 $3.49 -> $2.35, Jan 2024 - Mar 2026)"},
    {"rent-floor", "rent_floor_usd_per_gpu_h", WM_PARAM_NUM, "USD/GPU-h", 1.0, 0, 1000, NULL,
     "price below which the decline stops"},
    {"cloud-util", "cloud_utilization", WM_PARAM_NUM, "", 0.8, 0, 1, NULL, "share of GPU-hours sold"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

const wm_param wm_aiecon_tokens_table[] = {
    {"token-price", "usd_per_m_tokens", WM_PARAM_NUM, "USD/M tokens", 0.42, 0, 1e4, NULL,
     "price per million output tokens (DeepSeek V3.2 list, late 2025)"},
    {"tok-s-gpu", "tok_s_per_gpu", WM_PARAM_NUM, "tokens/s", 1850, 0, 1e7, NULL,
     "busy output throughput per GPU (DeepSeek decode on H800; or from `ai serve`)"},
    {"token-util", "token_utilization", WM_PARAM_NUM, "", 0.8, 0, 1, NULL, "share of time serving at that rate"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

const wm_param wm_aiecon_train_table[] = {
    {"train-value", "train_usd_per_gpu_h", WM_PARAM_NUM, "USD/GPU-h", 2.0, 0, 1000, NULL,
     "value of an interruptible training GPU-hour (DeepSeek-V3 basis)"},
    {"train-avail", "train_availability", WM_PARAM_NUM, "", 0.95, 0, 1, NULL,
     "share of hours computing (rest curtailed)"},
    {"interruptions", "interruptions_per_day", WM_PARAM_NUM, "1/day", 1, 0, 1000, NULL,
     "curtailment events per day"},
    {"restart-h", "restart_h", WM_PARAM_NUM, "h", 0.25, 0, 24, NULL,
     "GPU-hours lost per GPU per interruption (checkpoint + restart)"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static double val(const wm_param *t, const wm_value *v, const char *flag)
{
    int i = wm_param_find(t, flag);
    return i >= 0 ? v[i].num : NAN;
}

void wm_aiecon_set_colo(wm_aiecon *p, const wm_value *v)
{
    const wm_param *t = wm_aiecon_colo_table;
    p->colo.usd_per_kw_month = val(t, v, "colo-rate");
    p->colo.term_years = val(t, v, "colo-term");
    p->colo.escalator_per_year = val(t, v, "colo-escalator");
    p->colo.power_passthrough = val(t, v, "colo-passthrough") >= 0.5;
    p->colo.fitout_capex_usd_per_mw = val(t, v, "colo-capex");
    p->colo.lead_time_months = val(t, v, "colo-lead");
    p->colo.pue = val(t, v, "colo-pue");
    p->colo.load_factor = val(t, v, "colo-load");
    p->colo.opex_usd_per_mw_year = val(t, v, "colo-opex");
}

void wm_aiecon_set_fleet(wm_aiecon *p, const wm_value *v)
{
    const wm_param *t = wm_aiecon_fleet_table;
    p->fleet.it_w_per_gpu = val(t, v, "gpu-it-w");
    p->fleet.idle_frac = val(t, v, "idle-frac");
    p->fleet.gpu_capex_usd = val(t, v, "gpu-capex");
    p->fleet.facility_capex_usd_per_mw = val(t, v, "facility-capex");
    p->fleet.life_years = val(t, v, "life");
    p->fleet.opex_frac_per_year = val(t, v, "opex-frac");
    p->fleet.pue = val(t, v, "pue");
}

void wm_aiecon_set_cloud(wm_aiecon *p, const wm_value *v)
{
    const wm_param *t = wm_aiecon_cloud_table;
    p->cloud.usd_per_gpu_h = val(t, v, "rent");
    p->cloud.decline_per_year = val(t, v, "rent-decline");
    p->cloud.floor_usd_per_gpu_h = val(t, v, "rent-floor");
    p->cloud.utilization = val(t, v, "cloud-util");
}

void wm_aiecon_set_tokens(wm_aiecon *p, const wm_value *v)
{
    const wm_param *t = wm_aiecon_tokens_table;
    p->tokens.usd_per_m_tokens = val(t, v, "token-price");
    p->tokens.tok_s_per_gpu = val(t, v, "tok-s-gpu");
    p->tokens.utilization = val(t, v, "token-util");
}

void wm_aiecon_set_train(wm_aiecon *p, const wm_value *v)
{
    const wm_param *t = wm_aiecon_train_table;
    p->train.usd_per_gpu_h = val(t, v, "train-value");
    p->train.availability = val(t, v, "train-avail");
    p->train.interruptions_per_day = val(t, v, "interruptions");
    p->train.restart_h = val(t, v, "restart-h");
}

void wm_aiecon_defaults(wm_aiecon *p)
{
    memset(p, 0, sizeof *p);
    wm_value v[16];
    wm_param_defaults(wm_aiecon_colo_table, v);
    wm_aiecon_set_colo(p, v);
    wm_param_defaults(wm_aiecon_fleet_table, v);
    wm_aiecon_set_fleet(p, v);
    wm_param_defaults(wm_aiecon_cloud_table, v);
    wm_aiecon_set_cloud(p, v);
    wm_param_defaults(wm_aiecon_tokens_table, v);
    wm_aiecon_set_tokens(p, v);
    wm_param_defaults(wm_aiecon_train_table, v);
    wm_aiecon_set_train(p, v);
    p->shock.on = false;
    p->shock.token_price_factor = p->shock.compute_factor = p->shock.rent_factor = 1.0;
}

void wm_ai_shock_deepseek_r1(wm_ai_shock *s, double day)
{
    s->on = true;
    s->day = day;
    s->token_price_factor = 2.19 / 60.0; /* o1 $60/M out -> R1 $2.19/M out (api-docs.deepseek.com) */
    s->compute_factor = 1.0;             /* the price change already carries R1's efficiency */
    s->rent_factor = 1.0;                /* H100 rent path shows no step in Jan-Mar 2025 */
}

static wm_status in_table(const wm_param *t, const char *flag, double x, wm_err *err)
{
    int i = wm_param_find(t, flag);
    if (i < 0)
        return WM_EINVAL;
    if (!(x >= t[i].min && x <= t[i].max))
        return wm_err_set(err, WM_ERANGE, "", 0, 0, "%s = %g %s is outside [%g, %g] (%s)", t[i].key, x, t[i].unit,
                          t[i].min, t[i].max, t[i].help);
    return WM_OK;
}

wm_status wm_aiecon_check(const wm_aiecon *p, wm_err *err)
{
    struct { const wm_param *t; const char *f; double x; } c[] = {
        {wm_aiecon_colo_table, "colo-rate", p->colo.usd_per_kw_month},
        {wm_aiecon_colo_table, "colo-term", p->colo.term_years},
        {wm_aiecon_colo_table, "colo-escalator", p->colo.escalator_per_year},
        {wm_aiecon_colo_table, "colo-capex", p->colo.fitout_capex_usd_per_mw},
        {wm_aiecon_colo_table, "colo-lead", p->colo.lead_time_months},
        {wm_aiecon_colo_table, "colo-pue", p->colo.pue},
        {wm_aiecon_colo_table, "colo-load", p->colo.load_factor},
        {wm_aiecon_colo_table, "colo-opex", p->colo.opex_usd_per_mw_year},
        {wm_aiecon_fleet_table, "gpu-it-w", p->fleet.it_w_per_gpu},
        {wm_aiecon_fleet_table, "idle-frac", p->fleet.idle_frac},
        {wm_aiecon_fleet_table, "gpu-capex", p->fleet.gpu_capex_usd},
        {wm_aiecon_fleet_table, "facility-capex", p->fleet.facility_capex_usd_per_mw},
        {wm_aiecon_fleet_table, "life", p->fleet.life_years},
        {wm_aiecon_fleet_table, "opex-frac", p->fleet.opex_frac_per_year},
        {wm_aiecon_fleet_table, "pue", p->fleet.pue},
        {wm_aiecon_cloud_table, "rent", p->cloud.usd_per_gpu_h},
        {wm_aiecon_cloud_table, "rent-decline", p->cloud.decline_per_year},
        {wm_aiecon_cloud_table, "rent-floor", p->cloud.floor_usd_per_gpu_h},
        {wm_aiecon_cloud_table, "cloud-util", p->cloud.utilization},
        {wm_aiecon_tokens_table, "token-price", p->tokens.usd_per_m_tokens},
        {wm_aiecon_tokens_table, "tok-s-gpu", p->tokens.tok_s_per_gpu},
        {wm_aiecon_tokens_table, "token-util", p->tokens.utilization},
        {wm_aiecon_train_table, "train-value", p->train.usd_per_gpu_h},
        {wm_aiecon_train_table, "train-avail", p->train.availability},
        {wm_aiecon_train_table, "interruptions", p->train.interruptions_per_day},
        {wm_aiecon_train_table, "restart-h", p->train.restart_h},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        wm_status st = in_table(c[i].t, c[i].f, c[i].x, err);
        if (st != WM_OK)
            return st;
    }
    if (p->shock.on) {
        const wm_ai_shock *s = &p->shock;
        if (!isfinite(s->day) || !(s->token_price_factor > 0 && s->token_price_factor <= 1e3) ||
            !(s->compute_factor > 0 && s->compute_factor <= 1e3) || !(s->rent_factor > 0 && s->rent_factor <= 1e3))
            return wm_err_set(err, WM_EINVAL, "", 0, 0, "shock factors must be in (0, 1000] and its day finite");
    }
    return WM_OK;
}

double wm_aiecon_gpus_per_mw_it(const wm_ai_fleet *f) { return 1e6 / f->it_w_per_gpu; }

void wm_aiecon_base(const wm_aiecon *p, double day, wm_ai_day_base *o)
{
    const double years = day / DAYS_PER_YEAR;
    const bool shocked = p->shock.on && day >= p->shock.day;
    const double tok_mult = shocked ? p->shock.token_price_factor : 1.0;
    const double thr_mult = shocked ? 1.0 / p->shock.compute_factor : 1.0;
    const double rent_mult = shocked ? p->shock.rent_factor : 1.0;

    /* colocation: rent per MW IT = rate * 1000 kW * 12 / 365.25, stepped up yearly after
     * the lead time; renewal at the last rate after the term (see docs). */
    const wm_colo *c = &p->colo;
    double lead_days = c->lead_time_months * DAYS_PER_MONTH;
    double rev = 0, mwh = 0;
    if (day >= lead_days) {
        double yrs_on = (day - lead_days) / DAYS_PER_YEAR;
        double steps = floor(yrs_on < c->term_years ? yrs_on : c->term_years - 1e-9);
        if (steps < 0)
            steps = 0;
        rev = c->usd_per_kw_month * 1000.0 * 12.0 / DAYS_PER_YEAR * pow(1.0 + c->escalator_per_year, steps);
        if (!c->power_passthrough)
            mwh = c->load_factor * c->pue * 24.0;
    }
    o->revenue[WM_AI_COLO] = rev;
    o->mwh[WM_AI_COLO] = mwh;
    o->fixed_cost[WM_AI_COLO] =
        c->fitout_capex_usd_per_mw / (c->term_years * DAYS_PER_YEAR) + c->opex_usd_per_mw_year / DAYS_PER_YEAR;
    o->meter_mw_per_it_mw[WM_AI_COLO] = c->pue;

    /* GPU fleet modes share the hall: GPUs per MW IT, depreciation and opex per day. */
    const wm_ai_fleet *f = &p->fleet;
    double gpus = 1e6 / f->it_w_per_gpu;
    double capex = gpus * f->gpu_capex_usd + f->facility_capex_usd_per_mw;
    double fixed = capex / (f->life_years * DAYS_PER_YEAR) + capex * f->opex_frac_per_year / DAYS_PER_YEAR;
    /* MW IT drawn at utilization u: idle + (1 - idle) u; energy at the meter: x PUE x 24 h. */
#define DRAW(u) ((f->idle_frac + (1.0 - f->idle_frac) * (u)) * f->pue * 24.0)

    double rent = p->cloud.usd_per_gpu_h * exp(-p->cloud.decline_per_year * years);
    if (rent < p->cloud.floor_usd_per_gpu_h)
        rent = p->cloud.floor_usd_per_gpu_h < p->cloud.usd_per_gpu_h ? p->cloud.floor_usd_per_gpu_h
                                                                      : p->cloud.usd_per_gpu_h;
    o->revenue[WM_AI_CLOUD] = gpus * 24.0 * p->cloud.utilization * rent * rent_mult;
    o->mwh[WM_AI_CLOUD] = DRAW(p->cloud.utilization);

    double tok_day = p->tokens.tok_s_per_gpu * thr_mult * 86400.0 * p->tokens.utilization * gpus;
    o->revenue[WM_AI_TOKENS] = tok_day * p->tokens.usd_per_m_tokens * tok_mult / 1e6;
    o->mwh[WM_AI_TOKENS] = DRAW(p->tokens.utilization);

    /* interruptible training: paid for the hours computed minus the hours lost to restarts;
     * when curtailed the hall draws idle power. */
    double hours = 24.0 * p->train.availability - p->train.interruptions_per_day * p->train.restart_h;
    if (hours < 0)
        hours = 0;
    o->revenue[WM_AI_TRAIN] = gpus * hours * p->train.usd_per_gpu_h * rent_mult;
    o->mwh[WM_AI_TRAIN] = DRAW(p->train.availability);
#undef DRAW
    for (int m = WM_AI_CLOUD; m < WM_AI_MODE_COUNT; m++) {
        o->fixed_cost[m] = fixed;
        o->meter_mw_per_it_mw[m] = f->pue;
    }
}

void wm_aiecon_apply(const wm_ai_day_base *b, const wm_ai_day_in *d, wm_ai_day_out *o)
{
    const double mult[WM_AI_MODE_COUNT] = {1.0, d->rent_mult, d->token_price_mult, d->rent_mult};
    for (int m = 0; m < WM_AI_MODE_COUNT; m++) {
        o->revenue[m] = b->revenue[m] * mult[m];
        o->power_cost[m] = b->mwh[m] * d->power_usd_per_mwh;
        o->fixed_cost[m] = b->fixed_cost[m];
        o->net[m] = o->revenue[m] - o->power_cost[m] - o->fixed_cost[m];
        o->meter_mw_per_it_mw[m] = b->meter_mw_per_it_mw[m];
        o->net_per_meter_mw[m] = o->net[m] / b->meter_mw_per_it_mw[m];
    }
}

void wm_aiecon_day(const wm_aiecon *p, const wm_ai_day_in *d, wm_ai_day_out *o)
{
    wm_ai_day_base b;
    wm_aiecon_base(p, d->day, &b);
    wm_aiecon_apply(&b, d, o);
}

double wm_aiecon_colo_usd_per_kw_month(double total_usd, double mw_it, double years)
{
    if (!(mw_it > 0 && years > 0 && total_usd >= 0))
        return NAN;
    return total_usd / (mw_it * 1000.0 * years * 12.0);
}

double wm_aiecon_colo_first_year_rate(double total_usd, double mw_it, double years, double esc)
{
    /* total = r0 * kW * 12 * sum_{y < years} (1 + esc)^y, whole years plus a fractional last one */
    if (!(mw_it > 0 && years > 0 && years <= 100 && total_usd >= 0 && esc > -1))
        return NAN;
    double sum = 0;
    for (double y = 0; y < years; y += 1.0) {
        double frac = years - y < 1.0 ? years - y : 1.0;
        sum += frac * pow(1.0 + esc, y);
    }
    return total_usd / (mw_it * 1000.0 * 12.0 * sum);
}

wm_status wm_aiecon_fleet_day(const wm_fleet_day_in *in, wm_fleet_day *o, wm_err *err)
{
    memset(o, 0, sizeof *o);
    const double v[] = {in->gpus, in->usd_per_gpu_h, in->hours, in->tokens_in_hit, in->tokens_in_miss,
                        in->tokens_out, in->usd_per_m_in_hit, in->usd_per_m_in_miss, in->usd_per_m_out,
                        in->queries};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (!(v[i] >= 0) || !isfinite(v[i]))
            return wm_err_set(err, WM_EINVAL, "", 0, 0, "fleet-day inputs must be finite and >= 0");
    if (!(in->gpus > 0) || !(in->hours > 0))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "need GPUs > 0 and hours > 0");
    o->gpu_hours = in->gpus * in->hours;
    o->cost_usd = o->gpu_hours * in->usd_per_gpu_h;
    o->revenue_usd = (in->tokens_in_hit * in->usd_per_m_in_hit + in->tokens_in_miss * in->usd_per_m_in_miss +
                      in->tokens_out * in->usd_per_m_out) / 1e6;
    o->profit_usd = o->revenue_usd - o->cost_usd;
    o->cost_margin = o->cost_usd > 0 ? o->profit_usd / o->cost_usd : NAN;
    o->usd_per_m_out_cost = in->tokens_out > 0 ? o->cost_usd / in->tokens_out * 1e6 : NAN;
    double tin = in->tokens_in_hit + in->tokens_in_miss;
    o->usd_per_m_in_cost = tin > 0 ? o->cost_usd / tin * 1e6 : NAN;
    o->cents_per_query = in->queries > 0 ? o->cost_usd / in->queries * 100.0 : NAN;
    return WM_OK;
}
