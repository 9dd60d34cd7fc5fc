/* cmd_plan.c - `wattmux plan`: stay mining vs convert X MW to AI colocation, priced by Monte
 * Carlo on common random numbers (lib/plan). Options: the site's table below plus every market
 * model parameter of lib/scenario (their defaults are the calibrated ones). Prints the seed,
 * one row per strategy (NPV distribution, P(NPV<0), VaR/CVaR 5%, IRR, payback), the
 * recommended split under --max-cvar and the yearly cash-flow fan of the recommendation.
 * --stress reruns every strategy under each stress test on the same seed (common random numbers).
 * --replay-from prices every strategy on the real days of the history files (one path).
 * --own-ai adds own GPU cloud on X MW (lib/aiecon's margin plugged into the planner's hook);
 * --intraday values hourly curtailment with the dispatch module on real day shapes.
 * An optional SITE.yaml (lib/site) gives the interconnect, fleets, pool fee, contract adder and a PPA block that sells back.
 * --out DIR writes the report (lib/report: report.html, results.json, CSV tables, results.xlsx)
 * with the stress tests, a history replay (default 2023-2025) and the 2023 dispatch heat map.
 * A progress bar goes to stderr when it is a terminal and the run lasts over half a second.
 * Not yet here: a `plan:` section in the site file, token serving / training as own-AI modes,
 * hybrids of colocation and own AI. */
#include "aiecon.h"
#include "backtest.h"
#include "cli.h"
#include "commands.h"
#include "plan.h"
#include "report.h"
#include "series.h"
#include "site.h"
#include "scenario_defaults.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define N_ WM_PARAM_NUM
#define I_ WM_PARAM_INT
static const wm_param site_table[] = {
    {"site-mw", "site_mw", N_, "MW", 100, 0.1, 1e5, NULL, "facility (grid) power of the site"},
    {"years", "years", I_, "yr", 10, 1, WM_PLAN_MAX_YEARS, NULL, "horizon"},
    {"discount", "discount_rate_per_year", N_, "1/yr", 0.12, -0.5, 2, NULL, "discount rate"},
    {"eff", "eff_j_per_th", N_, "J/TH", 17.5, 5, 200, NULL, "fleet efficiency (S21 = 17.5)"},
    {"pue-mining", "pue_mining", N_, "", 1.05, 1, 3, NULL, "facility/IT power of the mining halls"},
    {"uptime", "uptime", N_, "", 0.97, 0.01, 1, NULL, "mining uptime"},
    {"pool-fee", "pool_fee", N_, "", 0.02, 0, 0.5, NULL, "pool fee (FPPS)"},
    {"power-adder", "power_adder_usd_per_mwh", N_, "USD/MWh", 5, -100, 1000, NULL, "delivery and fees on top of the simulated wholesale price"},
    {"ppa-mw", "ppa_mw", N_, "MW", 0, 0, 1e5, NULL, "fixed-price power block with sell-back (a site file's contract.ppa when it sells back), priced as a swap: every day 24 x MW x (simulated level - PPA price), the same for every strategy"},
    {"ppa-price", "ppa_usd_per_mwh", N_, "USD/MWh", 0, -1000, 10000, NULL, "price of the PPA block (needed with --ppa-mw; a site file gives its own)"},
    {"ppa-years", "ppa_years", N_, "yr", 0, 0, 100, NULL, "term of the PPA block from the start (0 = the whole horizon)"},
    {"mining-fixed-opex", "mining_fixed_opex_usd_per_mw_year", N_, "USD/MW/yr", 50000, 0, 1e7, NULL, "site staff, insurance, land: paid while a fleet is installed, even idle"},
    {"mining-var-opex", "mining_var_opex_usd_per_mwh", N_, "USD/MWh", 5, 0, 1000, NULL, "maintenance and repairs per MWh actually mined"},
    {"no-curtail", "no_curtail", WM_PARAM_FLAG, "", 0, 0, 1, NULL, "keep mining on days when it loses money"},
    {"no-fleet-policy", "no_fleet_policy", WM_PARAM_FLAG, "", 0, 0, 1, NULL, "keep the fleet whatever happens (no quarterly sell / buy / replace)"},
    {"fleet-age", "fleet_age_years", N_, "yr", 2, 0, 30, NULL, "age of the installed ASICs at the start"},
    {"asic-value-decline", "asic_value_decline_per_year", N_, "1/yr", 0.35, 0, 0.99, NULL, "resale value of an ASIC = new price x (1 - this)^age"},
    {"refresh-years", "refresh_every_years", I_, "yr", 3, 0, 15, NULL, "replace the ASICs once they are this old and the new generation pays (0 = never buy)"},
    {"refresh-usd-per-th", "refresh_usd_per_th", N_, "USD/TH", 15, 0, 1000, NULL, "price of the newest generation at the start (later generations: same USD per watt)"},
    {"refresh-eff", "refresh_eff_j_per_th", N_, "J/TH", 13.5, 5, 200, NULL, "newest generation at the start (S21 XP = 13.5)"},
    {"refresh-eff-gain", "refresh_eff_gain_per_year", N_, "1/yr", 0.21, 0, 0.9, NULL, "yearly fall of the newest J/TH"},
    {"refresh-payback", "refresh_payback_years", N_, "yr", 2, 0.1, 20, NULL, "buy only if the trailing margin gain repays the net price within this"},
    {"colo-capex", "colo_capex_usd_per_mw_it", N_, "USD/MW", 9e6, 0, 1e8, NULL, "fit-out capex per MW of IT"},
    {"colo-tenant-capex", "colo_tenant_capex_share", N_, "", 0.8, 0, 1, NULL, "share of the fit-out funded by the tenant"},
    {"colo-lead", "colo_lead_months", N_, "months", 12, 0, 60, NULL, "decision to first rent; the MW earn nothing meanwhile"},
    {"colo-rent", "colo_rent_usd_per_kw_month", N_, "USD/kW-month", 121.5, 0, 2000, NULL, "rent per kW of IT, first lease year"},
    {"colo-escalator", "colo_escalator_per_year", N_, "1/yr", 0, -0.2, 0.2, NULL, "yearly step-up of the rent"},
    {"colo-term", "colo_term_years", N_, "yr", 12, 1, 50, NULL, "lease term: no rent after it"},
    {"colo-noi", "colo_noi_margin", N_, "", 0.82, 0, 1, NULL, "net operating income / rent"},
    {"colo-landlord-power", "colo_landlord_power", WM_PARAM_FLAG, "", 0, 0, 1, NULL, "the landlord pays the hall's power (default: passed through to the tenant)"},
    {"colo-horizon-only", "colo_horizon_only", WM_PARAM_FLAG, "", 0, 0, 1, NULL, "do not count the lease's contracted NOI after the horizon"},
    {"pue-ai", "pue_ai", N_, "", 1.4, 1, 3, NULL, "facility/IT power of the AI hall"},
    {"own-ai-hall-life", "own_ai_hall_life_years", N_, "yr", 20, 0, 100, NULL, "own AI: the hall (shell, power, cooling; not the GPUs) counts at its straight-line book value over this life at the horizon (0 = no value)"},
    {"tokens-efficiency", "tokens_efficiency_share", N_, "", 1, 0, 1, NULL, "token serving: share of the token price's fall beyond the GPU-hour's that own GPUs win back as tokens/s (newer models, serving software; 0 = fixed tokens/s per GPU)"},
    {"colo-terminal", "colo_terminal_noi_multiple", N_, "", 0, 0, 50, NULL, "hall value at the horizon as a multiple of the last year's NOI (0 = none)"},
    {"uses", "uses", WM_PARAM_STR, "", 0, 0, 0, "colo", "uses offered for the converted MW, comma-separated: colo, cloud (own GPUs rented by the hour), tokens (own GPUs serving an LLM), train (own GPUs sold as interruptible training)"},
    {"hybrids", "hybrids", WM_PARAM_FLAG, "", 0, 0, 1, NULL, "also price every mix of two offered uses (X + Y MW, mining on the rest)"},
    {"grid", "grid_steps", I_, "", 10, 1, 30, NULL, "X = site MW x k / grid"},
    {"max-cvar", "max_cvar_usd", N_, "USD", 0, 0, 1e12, NULL, "risk limit: CVaR 5% of NPV (loss) at most this (0 = none)"},
    {"paths", "paths", I_, "", 2000, 20, 1e7, NULL, "Monte Carlo paths"},
    {"seed", "seed", I_, "", 1, 0, 9007199254740991.0, NULL, "random seed (printed)"},
    {"threads", "threads", I_, "", 0, 0, 256, NULL, "worker threads (0 = all cores)"},
    {"stress", "stress", WM_PARAM_FLAG, "", 0, 0, 1, NULL, "also run the stress tests on the same paths (uri-week reads ERCOT February 2021 from --data)"},
    {"stress-date", "stress_date", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "day of the dated stress events: BTC crash, AI shock, next halving, Uri week, hashrate surge (YYYY-MM-DD; default: the start; implies --stress)"},
    {"stress-ai-drop", "stress_ai_drop", N_, "", 0, 0, 0.99, NULL, "AI-shock stress: GPU-hour and token prices both fall by this share (0: the scenario's DeepSeek-R1-like shock, GPU-hour -16%, tokens -50%; implies --stress)"},
    {"own-ai", "own_ai", WM_PARAM_FLAG, "", 0, 0, 1, NULL, "shorthand: add cloud to --uses"},
    {"intraday", "intraday", WM_PARAM_FLAG, "", 0, 0, 1, NULL, "value hourly curtailment with the dispatch module on real day shapes (ERCOT LZ_WEST 2023 from --data)"},
    {"replay-from", "replay_from_date", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "history replay: price every strategy on the real days from this date (YYYY-MM-DD)"},
    {"replay-to", "replay_to_date", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "last day of the history replay (default: 3 years later)"},
    {"data", "data_dir", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "history directory for the replay (default $WM_SHARED/data or ../shared/data)"},
    {"out", "out_dir", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "write report.html, results.json, CSV tables and results.xlsx into this directory (implies --stress, a 2023 dispatch heat map and a history replay)"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};
enum {
    O_SITE_MW, O_YEARS, O_DISCOUNT, O_EFF, O_PUE_MINING, O_UPTIME, O_POOL_FEE, O_ADDER, O_PPA_MW, O_PPA_PRICE, O_PPA_YEARS,
    O_FIXED_OPEX, O_VAR_OPEX,
    O_NO_CURTAIL, O_NO_POLICY, O_FLEET_AGE, O_VALUE_DECLINE, O_REFRESH_YEARS, O_REFRESH_USD, O_REFRESH_EFF,
    O_REFRESH_GAIN, O_REFRESH_PAYBACK, O_COLO_CAPEX, O_COLO_TENANT, O_COLO_LEAD, O_COLO_RENT, O_COLO_ESC, O_COLO_TERM,
    O_COLO_NOI, O_COLO_LANDLORD_POWER, O_COLO_HORIZON_ONLY, O_PUE_AI, O_HALL_LIFE, O_TOK_EFF, O_COLO_TERMINAL, O_USES, O_HYBRIDS, O_GRID, O_MAX_CVAR, O_PATHS, O_SEED, O_THREADS,
    O_STRESS, O_STRESS_DATE, O_STRESS_AI_DROP, O_OWN_AI, O_INTRADAY, O_REPLAY_FROM, O_REPLAY_TO, O_DATA, O_OUT
};
#undef N_
#undef I_

/* Terminal: every one-use strategy, and of the hybrids only those on the frontier or
 * recommended (the full set is in --json and the report's CSV). */
static void print_strategies(cli_out *o, const char *key, const wm_plan_site *s, const wm_plan_out *out)
{
    static const cli_col cols[] = {
        {"strategy", "strategy", 36, -1},
        {"x_mw", "X MW", 6, 1},
        {"npv_mean_musd", "NPV mean $M", 12, 1},
        {"npv_p5_musd", "p5 $M", 9, 1},
        {"npv_p95_musd", "p95 $M", 9, 1},
        {"p_npv_negative", "P(NPV<0)", 9, 3},
        {"var5_musd", "VaR5 $M", 9, 1},
        {"cvar5_musd", "CVaR5 $M", 9, 1},
        {"irr_median", "IRR p50", 8, 3},
        {"irr_of_mean", "IRR mean", 8, 3},
        {"payback_years", "payback y", 9, 2},
        {"within_limit", "in limit", 8, -1},
        {"efficient", "frontier", 8, -1},
    };
    cli_table_begin(o, key, cols, (int)(sizeof cols / sizeof cols[0]));
    size_t hidden = 0;
    for (size_t i = 0; i < out->n; i++) {
        const wm_plan_result *r = &out->r[i];
        if (wm_plan_is_mix(r) && !r->efficient && (int)i != out->recommended && !o->json) {
            hidden++;
            continue;
        }
        char lab[160];
        json_t *row = json_object();
        json_object_set_new(row, "strategy", json_string(wm_plan_strategy_label(s, r, lab, sizeof lab)));
        json_object_set_new(row, "x_mw", json_real(r->x_mw));
        for (int u = 0; u < WM_USE_COUNT; u++) {
            char k[32];
            snprintf(k, sizeof k, "%s_mw", wm_plan_use_name((wm_plan_use)u));
            json_object_set_new(row, k, json_real(r->mw[u]));
        }
        json_object_set_new(row, "mining_mw", json_real(s->site_mw - r->x_mw));
        json_object_set_new(row, "npv_mean_musd", json_real(r->npv.mean / 1e6));
        json_object_set_new(row, "npv_p5_musd", json_real(r->npv.p5 / 1e6));
        json_object_set_new(row, "npv_p95_musd", json_real(r->npv.p95 / 1e6));
        json_object_set_new(row, "p_npv_negative", json_real(r->npv.p_negative));
        json_object_set_new(row, "var5_musd", json_real(r->npv.var / 1e6));
        json_object_set_new(row, "cvar5_musd", json_real(r->npv.cvar / 1e6));
        json_object_set_new(row, "irr_median", isnan(r->irr_median) ? json_null() : json_real(r->irr_median));
        json_object_set_new(row, "irr_of_mean", isnan(r->irr_of_mean) ? json_null() : json_real(r->irr_of_mean));
        json_object_set_new(row, "payback_years",
                            isnan(r->payback_years_of_mean) ? json_null() : json_real(r->payback_years_of_mean));
        json_object_set_new(row, "within_limit", json_string(r->within_limit ? "yes" : "no"));
        json_object_set_new(row, "efficient", json_string(r->efficient ? "yes" : "no"));
        cli_table_row(o, row);
    }
    cli_table_end(o);
    if (hidden) {
        char note[128];
        snprintf(note, sizeof note, "%zu hybrids off the frontier not shown (all of them: --json or --out)", hidden);
        cli_note(o, note);
    }
}

/* ERCOT LZ_WEST prices from DATA/power/<file> (US Central times; only that column is read, as
 * some files carry text columns): the series and the column's index. */
static wm_status load_lz_west(const char *data_dir, const char *file, wm_series **out, int *col, wm_err *err)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/power/%s", data_dir, file);
    static const char *const lz[] = {"LZ_WEST"};
    wm_series_opts o = {.tz = WM_TZ_US_CENTRAL, .columns = lz, .ncolumns = 1};
    *out = NULL;
    wm_status st = wm_series_load(path, &o, out, err);
    *col = st == WM_OK ? wm_series_col(*out, "LZ_WEST") : -1;
    if (st == WM_OK && *col < 0) {
        st = wm_err_set(err, WM_ENOTFOUND, path, 1, 0, "expected a column named 'LZ_WEST'");
        wm_series_free(*out);
        *out = NULL;
    }
    return st;
}

/* Own AI compute through lib/aiecon: GPU cloud and interruptible training are scaled by the
 * simulated $/GPU-hour path, token serving by the simulated $/M tokens path (aiecon's own decline
 * and shock are off: the scenario owns the trend and the shocks); capex is charged by the planner
 * (the hall at t = 0, the GPUs when it is ready), so only revenue - power - opex is a daily margin. Per facility MW. The day-invariant
 * part (aiecon's base at day 0) is computed once. */
typedef struct own_ai_ctx {
    wm_aiecon ai;
    wm_ai_day_base base;
    double gpu0, tok0, adder, opex_usd_per_mw_it_day;
    /* token serving's tokens/s per GPU relative to the start, on plan day d after k AI shocks:
       thr[d] thr_jump[k]. The share of the token price's fall beyond the GPU-hour's comes back
       as throughput: between shocks e^{g (d + 1) / 365} (the day-d prices carry d + 1 days of
       drift), g = share (GPU-hour drift - token drift), and at each shock share (GPU-hour jump -
       token jump) (the DeepSeek R1 case: a cheaper model is a faster one); each floored at 0 */
    double thr_growth_per_year;   /* expected log growth, shocks included (reported) */
    double thr_jump_log;          /* log growth at each shock */
    double thr[WM_PLAN_MAX_YEARS * 366 + 1];
    double thr_jump[64];          /* e^{jump k}, k < 64 (more shocks: computed) */
} own_ai_ctx;

/* thr: tokens/s per GPU relative to the start (token serving only) */
static double own_ai_margin(const own_ai_ctx *c, wm_plan_use use, const wm_scenario_day *d, double thr)
{
    wm_ai_mode m = use == WM_USE_TOKENS ? WM_AI_TOKENS : use == WM_USE_TRAIN ? WM_AI_TRAIN : WM_AI_CLOUD;
    wm_ai_day_in in = {0, d->power_usd_per_mwh + c->adder, d->tokens_usd_per_mtok / c->tok0 * thr,
                       d->gpu_usd_per_gpu_hour / c->gpu0};
    wm_ai_day_out o;
    wm_aiecon_apply(&c->base, &in, &o);
    double it = o.revenue[m] - o.power_cost[m] - c->opex_usd_per_mw_it_day;
    return it / o.meter_mw_per_it_mw[m];
}

typedef struct hook_ctx {
    own_ai_ctx *ai;
    wm_plan_curtail *ct;
    bool history;                 /* the replay: AI prices held at their start, so tokens/s too */
} hook_ctx;
static double own_ai_hook(void *c, wm_plan_use use, int day, const wm_scenario_day *d)
{
    const hook_ctx *h = c;
    const own_ai_ctx *ai = h->ai;
    double thr = 1.0;
    if (use == WM_USE_TOKENS && !h->history) {
        double k = d->ai_shocks;
        thr = ai->thr[day] * (k < 64 ? ai->thr_jump[(int)k] : exp(fmin(ai->thr_jump_log * k, 350.0)));
    }
    return own_ai_margin(ai, use, d, thr);
}
static double curtail_hook(void *c, const wm_scenario_day *d, double breakeven)
{
    return wm_plan_curtail_value(((hook_ctx *)c)->ct, d, breakeven);
}

/* Progress bar on stderr when it is a terminal: one line redrawn in place, per Monte Carlo run
 * (base and each stress test), throttled to whole percent steps. */
typedef struct progress_ctx {
    bool tty;
    int run, total_runs;
    const char *what;
    int last_pct;
    bool drawn;
    struct timespec t0; /* nothing is drawn during the first half second (short runs stay quiet) */
} progress_ctx;

static bool progress_cb(void *vctx, uint64_t done, uint64_t total)
{
    progress_ctx *p = vctx;
    if (!p->tty || total == 0)
        return true;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!p->drawn && (double)(now.tv_sec - p->t0.tv_sec) + 1e-9 * (double)(now.tv_nsec - p->t0.tv_nsec) < 0.5)
        return true;
    int pct = (int)(100 * (double)done / (double)total);
    int overall = (int)(100 * ((double)p->run + (double)done / (double)total) / p->total_runs);
    if (p->drawn && pct == p->last_pct)
        return true;
    p->last_pct = pct;
    p->drawn = true;
    char bar[41];
    int fill = overall * 40 / 100;
    for (int i = 0; i < 40; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[40] = 0;
    fprintf(stderr, "\r%s [%s] %3d%%  run %d/%d, %llu/%llu paths ", p->what, bar, overall, p->run + 1, p->total_runs,
            (unsigned long long)done, (unsigned long long)total);
    fflush(stderr);
    return true;
}

static void progress_end(progress_ctx *p)
{
    if (p->tty && p->drawn) {
        fprintf(stderr, "\r%*s\r", 100, "");
        fflush(stderr);
    }
    p->drawn = false;
}

int cmd_plan(int argc, char **argv)
{
    const char *prog = "wattmux plan";
    size_t ns = wm_param_count(site_table), nm = wm_param_count(wm_scenario_table);
    wm_param *table = calloc(ns + nm + 1, sizeof *table);
    wm_value *v = calloc(ns + nm + 1, sizeof *v);
    if (!table || !v) {
        free(table);
        free(v);
        return cli_error(prog, WM_ENOMEM, NULL);
    }
    memcpy(table, site_table, ns * sizeof *table);
    memcpy(table + ns, wm_scenario_table, (nm + 1) * sizeof *table);
    cli_opts co;
    int rc = cli_parse(prog, "Compare stay-mining with converting X MW to AI colocation by Monte Carlo "
                             "(optional SITE.yaml: interconnect, fleets, pool fee, contract adder, PPA block with sell-back)",
                       table, argc, argv, v, &co);
    if (rc != CLI_OK || co.help) {
        free(table);
        free(v);
        return rc;
    }
    wm_plan_site s;
    wm_plan_site_defaults(&s);
    /* SITE.yaml (optional): interconnect, fleets (weighted J/TH and PUE), pool fee and the
     * contract adder; options given on the command line win. */
    wm_site *site = NULL;
    char site_name[WM_SITE_NAME] = "";
    bool ppa_ignored = false; /* a site PPA without sell-back: not priced (noted) */
    if (co.npos > 0) {
        wm_err serr;
        wm_err_clear(&serr);
        site = malloc(sizeof *site);
        wm_status sst = site ? wm_site_load(co.pos[0], site, &serr) : WM_ENOMEM;
        if (sst != WM_OK) {
            free(site);
            free(table);
            free(v);
            return cli_error(prog, sst, &serr) == CLI_FAIL ? CLI_USAGE : CLI_USAGE;
        }
        /* the site file's `plan:` section: options by their JSON keys (the command line wins) */
        if ((sst = wm_site_kv_apply(site, site->plan, site->nplan, table, v, &serr)) != WM_OK) {
            free(site);
            free(table);
            free(v);
            return cli_error(prog, sst, &serr) == CLI_FAIL ? CLI_USAGE : CLI_USAGE;
        }
        double it_w = 0, th = 0, fac_mw = 0;
        for (size_t f = 0; f < site->nfleets; f++) {
            it_w += site->fleets[f].count * site->fleets[f].asic->power_w;
            th += site->fleets[f].count * site->fleets[f].asic->hashrate_th_s;
            fac_mw += site->fleets[f].facility_mw;
        }
        if (!v[O_SITE_MW].set)
            v[O_SITE_MW].num = site->interconnect_mw;
        if (!v[O_EFF].set && th > 0)
            v[O_EFF].num = it_w / th;
        if (!v[O_PUE_MINING].set && it_w > 0)
            v[O_PUE_MINING].num = fac_mw * 1e6 / it_w;
        if (!v[O_POOL_FEE].set)
            v[O_POOL_FEE].num = site->pool_fee;
        if (!v[O_ADDER].set && site->energy_type == WM_ENERGY_INDEX)
            v[O_ADDER].num = site->adder_usd_per_mwh;
        /* a block that can be sold back is a swap on the level; one that cannot depends on what
           the site uses each day, which the planner's per-MW rows do not hold */
        if (site->ppa_mw > 0 && site->sell_back) {
            if (!v[O_PPA_MW].set)
                v[O_PPA_MW].num = site->ppa_mw;
            if (!v[O_PPA_PRICE].set) {
                v[O_PPA_PRICE].num = site->ppa_usd_per_mwh;
                v[O_PPA_PRICE].set = true;
            }
        } else if (site->ppa_mw > 0) {
            ppa_ignored = true;
        }
        snprintf(site_name, sizeof site_name, "%s", site->name);
    }
    s.site_mw = v[O_SITE_MW].num;
    s.years = (int)v[O_YEARS].num;
    s.discount_rate = v[O_DISCOUNT].num;
    s.eff_j_per_th = v[O_EFF].num;
    s.pue_mining = v[O_PUE_MINING].num;
    s.uptime = v[O_UPTIME].num;
    s.pool_fee = v[O_POOL_FEE].num;
    s.power_adder_usd_per_mwh = v[O_ADDER].num;
    if (v[O_PPA_MW].num > 0 && !v[O_PPA_PRICE].set) { /* a block at an unstated price would be free power */
        wm_err perr;
        wm_err_set(&perr, WM_EINVAL, "--ppa-mw", 0, 0, "a PPA block needs its price: give --ppa-price USD/MWh");
        free(site);
        free(table);
        free(v);
        return cli_error(prog, WM_EINVAL, &perr) == CLI_FAIL ? CLI_USAGE : CLI_USAGE;
    }
    s.ppa_mw = v[O_PPA_MW].num;
    s.ppa_usd_per_mwh = v[O_PPA_PRICE].num;
    s.ppa_years = v[O_PPA_YEARS].num;
    s.mining_fixed_opex_usd_per_mw_year = v[O_FIXED_OPEX].num;
    s.mining_var_opex_usd_per_mwh = v[O_VAR_OPEX].num;
    s.curtail_daily = v[O_NO_CURTAIL].num == 0;
    s.fleet_policy = v[O_NO_POLICY].num == 0;
    s.fleet_age_years = v[O_FLEET_AGE].num;
    s.asic_value_decline_per_year = v[O_VALUE_DECLINE].num;
    s.refresh_every_years = (int)v[O_REFRESH_YEARS].num;
    s.refresh_usd_per_th = v[O_REFRESH_USD].num;
    s.refresh_eff_j_per_th = v[O_REFRESH_EFF].num;
    s.refresh_eff_gain = v[O_REFRESH_GAIN].num;
    s.refresh_payback_years = v[O_REFRESH_PAYBACK].num;
    s.colo_capex_usd_per_mw_it = v[O_COLO_CAPEX].num;
    s.colo_tenant_capex_share = v[O_COLO_TENANT].num;
    s.colo_lead_months = v[O_COLO_LEAD].num;
    s.colo_rent_usd_per_kw_month = v[O_COLO_RENT].num;
    s.colo_escalator_per_year = v[O_COLO_ESC].num;
    s.colo_term_years = v[O_COLO_TERM].num;
    s.colo_noi_margin = v[O_COLO_NOI].num;
    s.colo_power_pass_through = v[O_COLO_LANDLORD_POWER].num == 0;
    s.colo_value_remaining_term = v[O_COLO_HORIZON_ONLY].num == 0;
    s.pue_ai = v[O_PUE_AI].num;
    s.tokens_efficiency_share = v[O_TOK_EFF].num;
    s.own_ai_hall_life_years = v[O_HALL_LIFE].num;
    s.colo_terminal_noi_multiple = v[O_COLO_TERMINAL].num;
    s.grid_steps = (int)v[O_GRID].num;
    s.hybrids = v[O_HYBRIDS].num != 0;
    wm_err uerr;
    wm_err_clear(&uerr);
    if (wm_plan_uses_parse(v[O_USES].str, s.use, &uerr) != WM_OK) {
        for (size_t k = 0; site && k < site->nplan; k++) /* from the site file: point at its value */
            if (!strcmp(site->plan[k].key, "uses") && v[O_USES].str == site->plan[k].text) {
                char m[WM_ERR_MSG];
                snprintf(m, sizeof m, "%s", uerr.msg);
                wm_err_set(&uerr, WM_EPARSE, site->source, site->plan[k].vline, site->plan[k].vcol, "uses: %s", m);
            }
        free(site);
        free(table);
        free(v);
        return cli_error(prog, WM_EPARSE, &uerr) == CLI_FAIL ? CLI_USAGE : CLI_USAGE;
    }
    if (v[O_OWN_AI].num != 0)
        s.use[WM_USE_CLOUD] = true;
    s.max_cvar_usd = v[O_MAX_CVAR].num;
    uint64_t paths = (uint64_t)v[O_PATHS].num, seed = (uint64_t)v[O_SEED].num;
    int threads = (int)v[O_THREADS].num;
    bool stress = v[O_STRESS].num != 0;
    bool own_ai = s.use[WM_USE_CLOUD] || s.use[WM_USE_TOKENS] || s.use[WM_USE_TRAIN];
    bool intraday = v[O_INTRADAY].num != 0;
    char replay_from[32] = "", replay_to[32] = "", data_dir[1024] = "", out_dir[1024] = "", stress_date[32] = "";
    if (v[O_STRESS_DATE].str)
        snprintf(stress_date, sizeof stress_date, "%s", v[O_STRESS_DATE].str);
    /* the AI-shock stress: both prices by the given share, else the scenario's shock sizes */
    wm_plan_stress_opts sopt = {0, v[O_STRESS_AI_DROP].num, NULL, 0};
    /* the stress options ask for the stress tests */
    if (v[O_STRESS_DATE].set || v[O_STRESS_AI_DROP].set)
        stress = true;
    if (v[O_REPLAY_FROM].str)
        snprintf(replay_from, sizeof replay_from, "%s", v[O_REPLAY_FROM].str);
    if (v[O_REPLAY_TO].str)
        snprintf(replay_to, sizeof replay_to, "%s", v[O_REPLAY_TO].str);
    if (v[O_OUT].str && v[O_OUT].str[0])
        snprintf(out_dir, sizeof out_dir, "%s", v[O_OUT].str);
    if (v[O_DATA].str && v[O_DATA].str[0]) {
        snprintf(data_dir, sizeof data_dir, "%s", v[O_DATA].str);
    } else {
        const char *sh = getenv("WM_SHARED");
        snprintf(data_dir, sizeof data_dir, "%s/data", sh && *sh ? sh : "../shared");
    }
    wm_scenario_params scn;
    wm_scenario_from_values(v + ns, &scn);
    free(table);
    free(v);
    free(site); /* after the values: plan: strings point into it */
    wm_err err;
    wm_err_clear(&err);
    /* the block bootstrap resamples the real daily BTC returns of the shipped fit period */
    double *boot = NULL;
    char boot_text[96] = "";
    if (scn.price_model == WM_PRICE_BOOTSTRAP) {
        wm_calibrate_files bf;
        wm_calibrate_in bin;
        wm_status bst = wm_calibrate_load(data_dir, &bf, &bin, &err);
        if (bst == WM_OK) {
            int64_t f0, f1;
            wm_parse_time(WM_SCN_FIT_FROM, &bin.from);
            wm_parse_time(WM_SCN_FIT_TO, &bin.to);
            bst = wm_calibrate_returns(&bin, &boot, &scn.boot_n, &f0, &f1, &err);
            char a[11], b[11];
            if (bst == WM_OK)
                snprintf(boot_text, sizeof boot_text, "block bootstrap of %zu daily returns %s..%s", scn.boot_n,
                         wm_fmt_date(f0, a), wm_fmt_date(f1, b));
            wm_calibrate_files_free(&bf);
        }
        if (bst != WM_OK)
            return cli_error(prog, bst, &err);
        scn.boot_returns = boot;
    }
    wm_status st = wm_scenario_check(&scn, &err);
    if (st != WM_OK) {
        free(boot);
        return cli_error(prog, st, &err) == CLI_FAIL ? CLI_USAGE : CLI_USAGE;
    }
    own_ai_ctx aic;
    hook_ctx hc = {&aic, NULL, false};
    wm_plan_hooks hooks = {intraday ? curtail_hook : NULL, own_ai ? own_ai_hook : NULL, &hc};
    if (intraday) {
        wm_series *hs;
        int col;
        st = load_lz_west(data_dir, "ercot_rtm_lz_hourly_2023.csv", &hs, &col, &err);
        if (st == WM_OK)
            st = wm_plan_curtail_new(hs, col, scn.shapes_per_month, &hc.ct, &err);
        wm_series_free(hs);
        if (st != WM_OK) {
            free(boot);
            return cli_error(prog, st, &err);
        }
    }
    if (own_ai) {
        wm_aiecon_defaults(&aic.ai);
        aic.ai.cloud.decline_per_year = 0;
        aic.ai.cloud.floor_usd_per_gpu_h = 0;
        aic.ai.shock.on = false;
        aic.ai.cloud.usd_per_gpu_h = scn.gpu0_usd_per_gpu_hour;
        aic.ai.tokens.usd_per_m_tokens = scn.tokens0_usd_per_mtok;
        aic.gpu0 = scn.gpu0_usd_per_gpu_hour;
        aic.tok0 = scn.tokens0_usd_per_mtok;
        {
            const double rate = scn.ai_shock_per_year, share = s.tokens_efficiency_share;
            const double gpu_drift = scn.gpu_trend_per_year - rate * scn.gpu_shock_log;
            const double tok_drift = scn.tokens_trend_per_year - rate * scn.tokens_shock_log;
            const double g = share * fmax(0.0, gpu_drift - tok_drift);
            const double jump = share * fmax(0.0, scn.gpu_shock_log - scn.tokens_shock_log);
            aic.thr_growth_per_year = g + rate * jump;
            aic.thr_jump_log = jump;
            /* each factor at most e^350, so their product stays finite whatever the parameters */
            for (int d = 0; d <= WM_PLAN_MAX_YEARS * 366; d++)
                aic.thr[d] = exp(fmin(g * (d + 1) / 365.0, 350.0));
            for (int k = 0; k < 64; k++)
                aic.thr_jump[k] = exp(fmin(jump * k, 350.0));
        }
        aic.adder = s.power_adder_usd_per_mwh;
        double capex_it = wm_aiecon_gpus_per_mw_it(&aic.ai.fleet) * aic.ai.fleet.gpu_capex_usd +
                          aic.ai.fleet.facility_capex_usd_per_mw;
        aic.opex_usd_per_mw_it_day = aic.ai.fleet.opex_frac_per_year * capex_it / 365.0;
        s.own_ai_capex_usd_per_mw = capex_it / aic.ai.fleet.pue;
        s.own_ai_hall_usd_per_mw = aic.ai.fleet.facility_capex_usd_per_mw / aic.ai.fleet.pue;
        if ((st = wm_aiecon_check(&aic.ai, &err)) != WM_OK) {
            wm_plan_curtail_free(hc.ct);
            free(boot);
            return cli_error(prog, st, &err);
        }
        wm_aiecon_base(&aic.ai, 0, &aic.base);
    }
    const wm_plan_hooks *hk = own_ai || intraday ? &hooks : NULL;
    bool want_out = out_dir[0] != 0;
    if (stress_date[0]) {
        int64_t t;
        if (wm_parse_time(stress_date, &t) != WM_OK || t % 86400 != 0 || t < scn.start_time ||
            (t - scn.start_time) / 86400 >= (int64_t)s.years * 365) {
            char a[11];
            st = wm_err_set(&err, WM_EPARSE, "--stress-date", 0, 0, "expected a day YYYY-MM-DD from the start %s within the %d-year horizon, got '%s'",
                            wm_fmt_date(scn.start_time, a), s.years, stress_date);
            wm_plan_curtail_free(hc.ct);
            free(boot);
            return cli_error(prog, st, &err) == CLI_FAIL ? CLI_USAGE : CLI_USAGE;
        }
        sopt.day = (int)((t - scn.start_time) / 86400);
    }
    double uri_week[7], uri_mean = 0;
    int64_t uri_first = 0;
    if (want_out) {
        /* fail before a long run if the directory cannot be made */
        if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
            st = wm_err_set(&err, WM_EIO, out_dir, 0, 0, "cannot create the output directory: %s", strerror(errno));
            wm_plan_curtail_free(hc.ct);
            free(boot);
            return cli_error(prog, st, &err);
        }
        stress = true;
        if (!replay_from[0]) { /* the report always shows a replay: the last three whole years of data */
            snprintf(replay_from, sizeof replay_from, "2023-01-01");
            snprintf(replay_to, sizeof replay_to, "2025-12-31");
        }
    }
    if (stress) { /* the uri-week stress: the worst 7 days of ERCOT LZ_WEST in February 2021 */
        wm_series *us;
        int col;
        st = load_lz_west(data_dir, "ercot_rtm_spp_hourly_2021-02.csv", &us, &col, &err);
        if (st == WM_OK)
            st = wm_plan_worst_week(us, col, uri_week, &uri_first, &err);
        wm_series_free(us);
        if (st != WM_OK) {
            /* say which stress needs the file and how to point at it */
            static const char hint[] = " (the uri-week stress test reads ERCOT's February 2021 prices from "
                                       "--data DIR, default $WM_SHARED/data or ../shared/data)";
            size_t n = strlen(err.msg);
            if (n + sizeof hint <= sizeof err.msg)
                memcpy(err.msg + n, hint, sizeof hint);
            wm_plan_curtail_free(hc.ct);
            free(boot);
            return cli_error(prog, st, &err);
        }
        sopt.power_week = uri_week;
        sopt.power_week_n = 7;
        for (int k = 0; k < 7; k++)
            uri_mean += uri_week[k] / 7;
    }
    struct timespec t_start;
    clock_gettime(CLOCK_MONOTONIC, &t_start);
    progress_ctx pg = {isatty(STDERR_FILENO) != 0, 0, 0, "simulating", -1, false, t_start};
    int nruns = 1 + (stress ? WM_STRESS_COUNT : 0);
    pg.total_runs = nruns;
    wm_plan_out *out = malloc(sizeof *out), *ro = NULL, *so[WM_STRESS_COUNT] = {NULL};
    wm_scenario_day *days = NULL, *mdays = NULL;
    double *cum = NULL, *mprice = NULL, *mbe = NULL;
    int64_t *mday_t = NULL;
    unsigned char *mon = NULL;
    int nd = 0, map_nd = 0;
    int64_t t0 = 0, t1 = 0;
    cli_out o;
    bool o_open = false;
    int rc_out = CLI_FAIL;
    if (!out) {
        st = WM_ENOMEM;
        goto fail;
    }
    st = wm_plan_run_progress(&scn, &s, hk, seed, paths, threads, progress_cb, &pg, out, &err);
    if (st != WM_OK)
        goto fail;
    for (int k = 0; stress && k < WM_STRESS_COUNT; k++) {
        pg.run = k + 1;
        wm_scenario_params q = scn;
        wm_plan_stress_apply((wm_plan_stress)k, &sopt, &q);
        if (!(so[k] = malloc(sizeof *so[k]))) {
            st = WM_ENOMEM;
            goto fail;
        }
        if ((st = wm_plan_run_progress(&q, &s, hk, seed, paths, threads, progress_cb, &pg, so[k], &err)) != WM_OK)
            goto fail;
    }
    progress_end(&pg);
    if (replay_from[0]) {
        if (wm_parse_time(replay_from, &t0) != WM_OK || (replay_to[0] && wm_parse_time(replay_to, &t1) != WM_OK)) {
            st = wm_err_set(&err, WM_EPARSE, "--replay-from/--replay-to", 0, 0, "expected dates YYYY-MM-DD");
            goto fail;
        }
        if (!replay_to[0])
            t1 = t0 + (int64_t)3 * 365 * 86400 - 86400;
        wm_calibrate_files files;
        wm_calibrate_in in;
        int max = WM_PLAN_MAX_YEARS * 366;
        days = malloc((size_t)max * sizeof *days);
        ro = malloc(sizeof *ro);
        st = !days || !ro ? WM_ENOMEM : wm_calibrate_load(data_dir, &files, &in, &err);
        if (st == WM_OK) {
            st = wm_backtest_history_days(&in, t0, t1, scn.power_level_usd_per_mwh, scn.gpu0_usd_per_gpu_hour,
                                          scn.tokens0_usd_per_mtok, days, max, &nd, &err);
            if (st == WM_OK && want_out) {
                /* the dispatch heat map: ERCOT LZ_WEST 2023 in CST days, with the real hashprice of each day */
                int64_t h0, h1;
                wm_parse_time("2022-12-31", &h0);
                wm_parse_time("2024-01-01", &h1);
                int hmax = 400, hn = 0;
                wm_series *hs = NULL;
                int col = -1;
                mdays = malloc((size_t)hmax * sizeof *mdays);
                mday_t = malloc((size_t)hmax * sizeof *mday_t);
                mprice = malloc((size_t)hmax * 24 * sizeof *mprice);
                mon = malloc((size_t)hmax * 24);
                mbe = malloc((size_t)hmax * sizeof *mbe);
                st = !mdays || !mday_t || !mprice || !mon || !mbe ? WM_ENOMEM
                                                                   : wm_backtest_history_days(&in, h0, h1, scn.power_level_usd_per_mwh,
                                                                                              scn.gpu0_usd_per_gpu_hour,
                                                                                              scn.tokens0_usd_per_mtok, mdays,
                                                                                              hmax, &hn, &err);
                if (st == WM_OK)
                    st = load_lz_west(data_dir, "ercot_rtm_lz_hourly_2023.csv", &hs, &col, &err);
                if (st == WM_OK)
                    st = wm_plan_dispatch_map(hs, col, -6 * 3600, &s, mdays, hn, h0, hmax, mday_t, mprice, mon, mbe,
                                              &map_nd, &err);
                wm_series_free(hs);
            }
            wm_calibrate_files_free(&files);
        }
        {
            hook_ctx hh = hc;
            hh.history = true;
            wm_plan_hooks hr = hooks;
            hr.ctx = &hh;
            if (st == WM_OK)
                st = wm_plan_replay(&s, hk ? &hr : NULL, days, nd, ro, &err);
        }
        if (st != WM_OK)
            goto fail;
        if (want_out) { /* cumulative cash per real day of stay mining, half and all colocation (fleet kept) */
            if (!(cum = malloc(3 * (size_t)nd * sizeof *cum))) {
                st = WM_ENOMEM;
                goto fail;
            }
            int lead = (int)lround(s.colo_lead_months * 365.0 / 12.0);
            double v0 = wm_plan_fleet_value_usd_per_mw(&s, s.eff_j_per_th, s.fleet_age_years);
            for (int k = 0; k < 3; k++) {
                double x = s.site_mw * (k == 0 ? 0 : k == 1 ? (s.grid_steps / 2) : s.grid_steps) / s.grid_steps;
                double acc = x * v0 - x / s.pue_ai * s.colo_capex_usd_per_mw_it * (1 - s.colo_tenant_capex_share);
                for (int d = 0; d < nd; d++) {
                    acc += (s.site_mw - x) * wm_plan_mining_usd_per_mw_day(&s, hk, &days[d], s.eff_j_per_th);
                    if (s.ppa_years <= 0 || d < s.ppa_years * 365) /* the PPA's swap, as in the NPVs */
                        acc += 24 * s.ppa_mw * (days[d].power_usd_per_mwh - s.ppa_usd_per_mwh);
                    if (d >= lead && d < lead + s.colo_term_years * 365)
                        acc += x * wm_plan_colo_usd_per_mw_day(&s, &days[d], (d - lead) / 365);
                    cum[(size_t)k * (size_t)nd + (size_t)d] = acc;
                }
            }
        }
    }

    cli_out_init(&o, co.json);
    o_open = true;
    char d0[11];
    if (site_name[0]) {
        cli_str(&o, "site", "site", site_name);
        cli_num(&o, "eff_j_per_th", "fleet efficiency (from the site)", s.eff_j_per_th, 2, "J/TH");
    }
    cli_int(&o, "seed", "seed", (int64_t)seed, "");
    cli_int(&o, "paths", "paths", (int64_t)paths, "");
    cli_str(&o, "start_date", "start", wm_fmt_date(scn.start_time, d0));
    cli_int(&o, "years", "horizon", s.years, "yr");
    cli_num(&o, "discount_rate_per_year", "discount rate", s.discount_rate, 3, "1/yr");
    const char *curt_text =
        intraday ? "hourly, dispatch module on ERCOT LZ_WEST 2023 day shapes" : (s.curtail_daily ? "whole days" : "none");
    cli_str(&o, "curtailment", "curtailment", curt_text);
    if (s.ppa_mw > 0) {
        char ppa[160], a[32], b[32];
        char c[48] = "";
        if (s.ppa_years > 0)
            snprintf(c, sizeof c, " for %g years", s.ppa_years);
        snprintf(ppa, sizeof ppa, "%s MW at %s USD/MWh%s, sold back at the level when unused (a swap)",
                 cli_fmt(a, sizeof a, s.ppa_mw, 1), cli_fmt(b, sizeof b, s.ppa_usd_per_mwh, 2), c);
        cli_str(&o, "ppa", "PPA block", ppa);
    } else if (ppa_ignored) {
        cli_note(&o, "the site's PPA block cannot be sold back: the planner does not price it (its value depends on "
                     "what the site uses each day)");
    }
    cli_str(&o, "price_model", "BTC price model",
            boot_text[0] ? boot_text : "jump-diffusion (Merton), calibrated");
    print_strategies(&o, "strategies", &s, out);
    if (own_ai) {
        /* the bridge to `wattmux ai compare` (one year at start prices, straight-line
         * depreciation) from the planner's view (hall at t = 0, GPUs at the end of the lead time, prices that fall
         * with the scenario's trend and shocks, discounting) */
        static const cli_col ac[] = {
            {"use", "own AI use", 8, -1},
            {"margin_start_usd_per_mw_year", "margin at start prices $/MW-yr", 30, 0},
            {"depreciation_usd_per_mw_year", "depreciation $/MW-yr", 21, 0},
            {"capex_usd_per_mw", "capex $/MW", 12, 0},
            {"price_change_per_year", "expected price log-change/yr", 28, 3},
            {"throughput_change_per_year", "tokens/s per GPU log-change/yr", 30, 3},
        };
        cli_section(&o, "own_ai_bridge", "own AI per facility MW: the first year at start prices (as `wattmux ai compare`)");
        cli_table_begin(&o, "uses", ac, 6);
        wm_scenario_day day0;
        memset(&day0, 0, sizeof day0);
        day0.power_usd_per_mwh = scn.power0_usd_per_mwh;
        day0.gpu_usd_per_gpu_hour = scn.gpu0_usd_per_gpu_hour;
        day0.tokens_usd_per_mtok = scn.tokens0_usd_per_mtok;
        for (int u = WM_USE_CLOUD; u < WM_USE_COUNT; u++) {
            if (!s.use[u])
                continue;
            bool tok = u == WM_USE_TOKENS;
            json_t *row = json_object();
            json_object_set_new(row, "use", json_string(wm_plan_use_name((wm_plan_use)u)));
            json_object_set_new(row, "margin_start_usd_per_mw_year", json_real(365.0 * own_ai_margin(&aic, (wm_plan_use)u, &day0, 1.0)));
            json_object_set_new(row, "depreciation_usd_per_mw_year",
                                json_real(s.own_ai_capex_usd_per_mw / aic.ai.fleet.life_years));
            json_object_set_new(row, "capex_usd_per_mw", json_real(s.own_ai_capex_usd_per_mw));
            json_object_set_new(row, "price_change_per_year",
                                json_real(tok ? scn.tokens_trend_per_year : scn.gpu_trend_per_year)); /* shocks included */
            json_object_set_new(row, "throughput_change_per_year", json_real(tok ? aic.thr_growth_per_year : 0.0));
            cli_table_row(&o, row);
        }
        cli_table_end(&o);
        cli_note(&o, "the planner pays the hall at t = 0 and the GPUs (at today's price) when the hall is ready, "
                     "earns nothing in the lead time and then follows the simulated prices; the GPUs are not replaced within the horizon and are worth nothing at its end, "
                     "the hall its book value (--own-ai-hall-life); token serving's tokens/s per GPU grow by the "
                     "token price's fall beyond the GPU-hour's (--tokens-efficiency)");
        cli_section(&o, NULL, NULL);
    }
    cli_section(&o, "fleet", "mining fleet policy (stay-mining MW, over paths)");
    cli_str(&o, "policy", "policy",
            s.fleet_policy ? "quarterly: sell when the trailing half-year misses the fixed opex; replace when it pays"
                           : "keep the fleet");
    cli_num(&o, "retired_share", "paths ending with the fleet sold", out->fleet_retired_share, 3, "");
    cli_num(&o, "purchases_mean", "ASIC purchases per path", out->fleet_purchases_mean, 2, "");
    if (!isnan(out->fleet_first_retire_year_mean))
        cli_num(&o, "first_sale_year_mean", "first sale, mean over paths that sold", out->fleet_first_retire_year_mean,
                2, "yr");
    cli_section(&o, NULL, NULL);
    if (out->recommended >= 0) {
        const wm_plan_result *r = &out->r[out->recommended];
        cli_section(&o, "recommended", "recommended (best mean NPV within the risk limit)");
        char lab[160];
        cli_str(&o, "strategy", "strategy", wm_plan_strategy_label(&s, r, lab, sizeof lab));
        for (int u = 0; u < WM_USE_COUNT; u++)
            if (r->mw[u] > 0) {
                char k[32], l[48];
                snprintf(k, sizeof k, "%s_mw", wm_plan_use_name((wm_plan_use)u));
                snprintf(l, sizeof l, "convert to %s", wm_plan_use_name((wm_plan_use)u));
                cli_num(&o, k, l, r->mw[u], 1, "MW");
            }
        cli_num(&o, "x_mw", "convert in all", r->x_mw, 1, "MW");
        cli_num(&o, "mining_mw", "keep mining", s.site_mw - r->x_mw, 1, "MW");
        cli_num(&o, "npv_mean_usd", "NPV mean", r->npv.mean, 0, "USD");
        static const cli_col fc[] = {
            {"year", "year", 5, -1}, {"cf_p5_musd", "p5 $M", 9, 2}, {"cf_p50_musd", "p50 $M", 9, 2},
            {"cf_p95_musd", "p95 $M", 9, 2}, {"cf_mean_musd", "mean $M", 9, 2},
        };
        cli_table_begin(&o, "cash_flow_fan", fc, 5);
        for (int y = 0; y <= s.years; y++) {
            json_t *row = json_object();
            json_object_set_new(row, "year", json_integer(y));
            json_object_set_new(row, "cf_p5_musd", json_real(r->cf_p5[y] / 1e6));
            json_object_set_new(row, "cf_p50_musd", json_real(r->cf_p50[y] / 1e6));
            json_object_set_new(row, "cf_p95_musd", json_real(r->cf_p95[y] / 1e6));
            json_object_set_new(row, "cf_mean_musd", json_real(r->cf_mean[y] / 1e6));
            cli_table_row(&o, row);
        }
        cli_table_end(&o);
        cli_section(&o, NULL, NULL);
    } else {
        cli_note(&o, "no strategy meets the risk limit (--max-cvar)");
    }
    char ra[11] = "", rb[11] = "";
    if (ro) {
        char line[96];
        cli_section(&o, "replay", "history replay: every strategy on the real days");
        snprintf(line, sizeof line, "%s .. %s (%d whole years priced)", wm_fmt_date(t0, ra), wm_fmt_date(t1, rb),
                 nd / 365);
        cli_str(&o, "period", "period", line);
        cli_num(&o, "power_usd_per_mwh", "power price held at", scn.power_level_usd_per_mwh, 2, "USD/MWh");
        print_strategies(&o, "strategies", &s, ro);
        cli_section(&o, NULL, NULL);
    }
    if (stress) {
        /* the base recommendation (or the last strategy when none) under every stress */
        size_t pick = out->recommended >= 0 ? (size_t)out->recommended : out->n - 1;
        static const cli_col sc[] = {
            {"stress", "stress (same paths)", 20, -1}, {"npv_mining_musd", "mining $M", 10, 1},
            {"npv_pick_musd", "base pick $M", 12, 1}, {"p_loss_mining", "P(loss) mine", 12, 3},
            {"p_loss_pick", "P(loss) pick", 12, 3}, {"recommended", "best under the stress", 36, -1},
        };
        char plab[160];
        char sd[11], line[160];
        cli_str(&o, "stress_date", "stress tests: dated events on", wm_fmt_date(scn.start_time + (int64_t)sopt.day * 86400, sd));
        cli_section(&o, "stress_uri_week", "uri-week: the worst 7 days of ERCOT LZ_WEST, February 2021 (Winter Storm Uri)");
        cli_str(&o, "first_day", "first day", wm_fmt_date(uri_first, sd));
        int len = 0;
        for (int k = 0; k < 7; k++) {
            char nb[32];
            len += snprintf(line + len, sizeof line - (size_t)len, "%s%s", k ? " " : "", cli_fmt(nb, sizeof nb, uri_week[k], 0));
        }
        cli_str(&o, "daily_usd_per_mwh", "daily means USD/MWh", line);
        cli_num(&o, "mean_usd_per_mwh", "mean", uri_mean, 0, "USD/MWh");
        cli_section(&o, NULL, NULL);
        cli_str(&o, "stress_pick", "stress tests: base pick", wm_plan_strategy_label(&s, &out->r[pick], plab, sizeof plab));
        cli_table_begin(&o, "stress_tests", sc, 6);
        for (int k = -1; k < WM_STRESS_COUNT; k++) {
            const wm_plan_out *u = k < 0 ? out : so[k];
            json_t *row = json_object();
            char lab[160];
            json_object_set_new(row, "stress", json_string(k < 0 ? "base" : wm_plan_stress_name((wm_plan_stress)k)));
            json_object_set_new(row, "npv_mining_musd", json_real(u->r[0].npv.mean / 1e6));
            json_object_set_new(row, "npv_pick_musd", json_real(u->r[pick].npv.mean / 1e6));
            json_object_set_new(row, "p_loss_mining", json_real(u->r[0].npv.p_negative));
            json_object_set_new(row, "p_loss_pick", json_real(u->r[pick].npv.p_negative));
            json_object_set_new(row, "recommended",
                                u->recommended >= 0
                                    ? json_string(wm_plan_strategy_label(&s, &u->r[u->recommended], lab, sizeof lab))
                                    : json_null());
            cli_table_row(&o, row);
        }
        cli_table_end(&o);
    }
    if (want_out) {
        struct timespec t_end;
        clock_gettime(CLOCK_MONOTONIC, &t_end);
        wm_report rep;
        memset(&rep, 0, sizeof rep);
        rep.site_name = site_name;
        rep.site = &s;
        rep.base = out;
        rep.scn = &scn;
        rep.start_date = d0;
        rep.curtailment = curt_text;
        rep.run_seconds = (double)(t_end.tv_sec - t_start.tv_sec) + 1e-9 * (double)(t_end.tv_nsec - t_start.tv_nsec);
        char scap[900], sday[11], uday[11];
        wm_fmt_date(scn.start_time + (int64_t)sopt.day * 86400, sday);
        char drop[128];
        if (!(sopt.ai_drop > 0))
            snprintf(drop, sizeof drop, "GPU-hour %.0f%%, tokens %.0f%% (a DeepSeek-R1-like shock, counted as an AI shock)",
                     100 * expm1(scn.gpu_shock_log), 100 * expm1(scn.tokens_shock_log));
        else
            snprintf(drop, sizeof drop, "GPU-hour and tokens -%.0f%% (not counted as an AI shock)", 100 * sopt.ai_drop);
        snprintf(scap, sizeof scap,
                 "Dated events on %s. btc-crash: BTC -50%%; ai-shock: %s, tenant defaults x5 from "
                 "then on; next-halving: the next halving then (the one after at its height); uri-week: "
                 "7 days at the daily means of ERCOT LZ_WEST from %s (Winter Storm Uri, mean %.0f USD/MWh); "
                 "power-double: power price level x2 throughout; tenant-default: 1 default a year; hashrate-surge: "
                 "network +30%%, then relaxing to its equilibrium.",
                 sday, drop, wm_fmt_date(uri_first, uday),
                 uri_mean);
        rep.stress_caption = scap;
        rep.nstress = WM_STRESS_COUNT;
        for (int k = 0; k < WM_STRESS_COUNT; k++) {
            rep.stress_name[k] = wm_plan_stress_name((wm_plan_stress)k);
            rep.stress[k] = so[k];
        }
        rep.replay = ro;
        rep.replay_from = ra;
        rep.replay_to = rb;
        rep.replay_ndays = nd;
        rep.replay_t0 = t0;
        for (int k = 0; k < 3; k++)
            rep.replay_cum_usd[k] = cum + (size_t)k * (size_t)nd;
        rep.map_ndays = map_nd;
        rep.map_day_t = mday_t;
        rep.map_price = mprice;
        rep.map_on = mon;
        rep.map_breakeven = mbe;
        rep.map_label = "ERCOT LZ_WEST 2023, hours in CST (UTC-6)";
        if ((st = wm_report_write(&rep, out_dir, &err)) != WM_OK)
            goto fail;
        cli_str(&o, "report", "report", out_dir);
    }
    rc_out = cli_out_finish(&o);
    o_open = false;
fail:
    if (o_open)
        cli_out_finish(&o);
    free(out);
    free(ro);
    for (int k = 0; k < WM_STRESS_COUNT; k++)
        free(so[k]);
    free(days);
    free(mdays);
    free(cum);
    free(mprice);
    free(mbe);
    free(mday_t);
    free(mon);
    wm_plan_curtail_free(hc.ct);
    free(boot);
    if (st != WM_OK) {
        progress_end(&pg);
        return cli_error(prog, st, &err);
    }
    return rc_out;
}
