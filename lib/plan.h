/* plan.h - strategy evaluation on common random numbers: a site of S MW keeps mining (a fleet
 * that idles on losing days, is sold when it no longer covers its fixed opex and is replaced when
 * the newest generation pays back, all decided on trailing data only), or converts X MW to AI
 * colocation (landlord's share of the fit-out, machines sold, lead time during which those MW
 * earn nothing, rent per kW-month with escalator and term, the tenant's default and re-letting
 * from the scenario, power passed through), or runs its own AI compute on X MW (GPU cloud,
 * token serving or interruptible training, when a value for it is plugged in); X on a grid, and
 * optionally hybrids of two AI uses with mining on the rest (X + Y <= S). Every strategy is priced on
 * the same simulated paths (sim.h). Per strategy: NPV (the site's discount rate), IRR, payback,
 * yearly cash-flow fan, P(NPV < 0), VaR and CVaR at 5% (finance.h); the recommended split under
 * the user's risk limit and the efficient frontier (mean NPV vs CVaR).
 * Cash flows are linear in the MW given to each use, so a path is reduced once to per-MW yearly
 * margins (mining, colocation, own AI) and every X is a linear combination of them.
 * Plug-in values (wm_plan_hooks): the intraday value of curtailment per MW-day (from the
 * dispatch module, precomputed per day shape) and the margin of own GPU cloud / token serving per
 * MW-day (from aiecon). Without them those terms are zero / the strategy is not offered.
 * Formulas: docs/model-mc.md. Invariants: no allocation per day; deterministic in (seed, paths). */
#ifndef WM_PLAN_H
#define WM_PLAN_H

#include "finance.h"
#include "series.h"
#include "sim.h"

#define WM_PLAN_MAX_YEARS 15
#define WM_PLAN_MAX_STRATEGIES 512
#define WM_PLAN_HIST_BINS 40

/* What converted MW are used for (mining takes the rest of the site). */
typedef enum wm_plan_use {
    WM_USE_COLO = 0, /* lease to an AI tenant */
    WM_USE_CLOUD,    /* own GPUs rented by the hour */
    WM_USE_TOKENS,   /* own GPUs serving an LLM, paid per token */
    WM_USE_TRAIN,    /* own GPUs sold as interruptible training compute */
    WM_USE_COUNT
} wm_plan_use;
/* "colo", "cloud", "tokens", "train" (the names of --uses and the site file's plan: uses) */
const char *wm_plan_use_name(wm_plan_use u);
/* Parse a comma-separated list of use names into use[WM_USE_COUNT] (all false first). */
wm_status wm_plan_uses_parse(const char *text, bool use[WM_USE_COUNT], wm_err *err);

typedef struct wm_plan_hooks {
    /* USD per MW of mining capacity per day earned by curtailing inside the day (dispatch module,
     * precomputed per day shape: wm_plan_curtail_value); breakeven is the mining break-even
     * wholesale price that day. With it the day's margin is not floored (the hourly dispatch
     * already switches off exactly the hours that lose money). */
    double (*curtail_usd_per_mw_day)(void *ctx, const wm_scenario_day *day, double breakeven_usd_per_mwh);
    /* Margin (after power and opex, before capex) of own AI compute used as `use` (WM_USE_CLOUD,
     * WM_USE_TOKENS or WM_USE_TRAIN) per facility MW per day (aiecon). */
    double (*own_ai_usd_per_mw_day)(void *ctx, wm_plan_use use, int day, const wm_scenario_day *d); /* day: 0 = first */
    void *ctx; /* must be thread-safe: called from worker threads */
} wm_plan_hooks;

typedef struct wm_plan_site {
    double site_mw;                   /* facility (grid) MW */
    int years;                        /* horizon, 1..WM_PLAN_MAX_YEARS */
    double discount_rate;             /* per year */
    /* mining: the fleet on the mining MW (per MW: TH/s = 1e6 / (PUE * J/TH)) */
    double eff_j_per_th, pue_mining, uptime, pool_fee;
    double power_adder_usd_per_mwh;   /* delivery/fees on top of the scenario's wholesale level */
    double ppa_mw, ppa_usd_per_mwh;   /* fixed-price block with sell-back, priced as a swap: every day
                                       * 24 ppa_mw (level - price), the same for every strategy (0 MW = none) */
    double ppa_years;                 /* its term from the start (0 = the whole horizon) */
    double mining_fixed_opex_usd_per_mw_year; /* site staff, insurance, land: paid while a fleet is installed, even idle */
    double mining_var_opex_usd_per_mwh;       /* maintenance and repairs per MWh actually run */
    bool curtail_daily;               /* switch off on days when margin < 0 */
    bool fleet_policy;                /* quarterly reviews: retire (sell) a fleet that does not cover its
                                       * fixed opex, buy / replace when the new generation pays back */
    double fleet_age_years;           /* age of the installed fleet at the start */
    double asic_value_decline_per_year; /* resale value of a machine = new price * (1 - this)^age */
    int refresh_every_years;          /* replacement considered once the fleet is this old (0 = never buy) */
    double refresh_usd_per_th;        /* price of new hashrate of the newest generation at the start;
                                       * new machines cost the same per watt, so USD/TH scales with J/TH */
    double refresh_eff_j_per_th;      /* J/TH of the newest generation at the start */
    double refresh_eff_gain;          /* per year: newest J/TH(t) = refresh_eff_j_per_th * (1 - g)^t */
    double refresh_payback_years;     /* buy only if the trailing margin repays the net price within this */
    /* colocation (lease of the converted MW to an AI tenant; power passed through) */
    double colo_capex_usd_per_mw_it;  /* fit-out: shell, power, cooling */
    double colo_tenant_capex_share;   /* share of the fit-out funded by the tenant */
    double colo_lead_months;          /* from decision to first rent */
    double colo_rent_usd_per_kw_month;/* per kW of IT, first year of the lease */
    double colo_escalator_per_year;   /* yearly step-up of the rent */
    double colo_term_years;           /* rent stops after the term */
    double colo_noi_margin;           /* net operating income / rent */
    bool colo_power_pass_through;     /* tenant pays the power; else the landlord pays IT*PUE at full load */
    double pue_ai;                    /* facility MW / IT MW of the AI hall */
    double colo_terminal_noi_multiple;/* value of the hall at the horizon, x last year's NOI (0 = none) */
    bool colo_value_remaining_term;   /* without a multiple: count the lease's contracted NOI after the horizon */
    /* own AI */
    double own_ai_capex_usd_per_mw;   /* GPUs and hall per facility MW */
    double own_ai_hall_usd_per_mw;    /* the hall's part of it (shell, power, cooling) */
    double own_ai_hall_life_years;    /* the hall counts at its straight-line book value at the horizon
                                       * (from the end of the lead time; 0 = no value); the GPUs at none */
    double own_ai_lead_months;
    double tokens_efficiency_share;   /* token serving: share of the token price's fall beyond the GPU-hour's
                                       * won back as tokens/s per GPU (the own-AI hook applies it) */
    /* strategies, grid and risk limit */
    bool use[WM_USE_COUNT];           /* uses offered for the converted MW (own AI ones need the hook) */
    bool hybrids;                     /* also every mix of two offered uses, X + Y <= site, mining the rest */
    int grid_steps;                   /* X = site_mw * k / grid_steps, k = 0..grid_steps */
    double max_cvar_usd;              /* risk limit: CVaR5 of NPV (loss) at most this; <= 0 = none */
} wm_plan_site;

/* Defaults typed in from ../shared/reference (sources in docs/model-mc.md). */
void wm_plan_site_defaults(wm_plan_site *s);
wm_status wm_plan_site_check(const wm_plan_site *s, wm_err *err);

typedef struct wm_plan_result {
    double mw[WM_USE_COUNT];          /* MW converted to each use; mining runs on site_mw - x_mw */
    double x_mw;                      /* MW converted in all (0 = stay mining) */
    int main_use;                     /* the use with the most MW (-1 = stay mining) */
    wm_finance_risk npv;              /* over paths, USD */
    /* IRR and payback of the conversion: incremental cash flows versus staying with mining
     * (capex, then x_mw * (alternative - mining margin) per year); NaN for x_mw = 0. */
    double irr_median;                /* of per-path IRRs (paths without an IRR excluded); NaN for hybrids */
    double irr_of_mean;               /* IRR of the mean incremental cash flows */
    double payback_years_of_mean;     /* NaN if the mean incremental cash flows never pay back */
    double cf_p5[WM_PLAN_MAX_YEARS + 1], cf_p50[WM_PLAN_MAX_YEARS + 1], cf_p95[WM_PLAN_MAX_YEARS + 1];
    double cf_mean[WM_PLAN_MAX_YEARS + 1];
    /* NPV histogram over paths: WM_PLAN_HIST_BINS equal bins on [hist_lo_usd, hist_hi_usd] */
    double hist_lo_usd, hist_hi_usd;
    uint32_t hist[WM_PLAN_HIST_BINS];
    bool within_limit, efficient;
} wm_plan_result;

typedef struct wm_plan_out {
    size_t n;
    wm_plan_result r[WM_PLAN_MAX_STRATEGIES];
    int recommended;                  /* index in r, -1 if none meets the limit */
    /* fleet policy on the mining MW, over paths: share of paths where the fleet was sold before
     * the horizon and never replaced, mean number of purchases (refreshes), mean year of the
     * first retirement among the paths that retired (NaN if none) */
    double fleet_retired_share, fleet_purchases_mean, fleet_first_retire_year_mean;
    double ppa_npv_mean;              /* mean NPV of the PPA's swap flows: in every strategy's NPV */
    uint64_t seed, paths;
} wm_plan_out;

/* Number of strategies the site's uses, hybrids and grid give (r[0] is always stay mining, then
 * each offered use on k = 1..grid in wm_plan_use order, then the hybrids); has_own_ai: the hook
 * for own AI is plugged in. */
size_t wm_plan_strategy_count(const wm_plan_site *s, bool has_own_ai);
/* True when the strategy gives MW to more than one use (a mix of two uses). */
bool wm_plan_is_mix(const wm_plan_result *r);
/* "stay mining", "40 MW colo + 60 MW mining", "30 MW colo + 20 MW tokens + 50 MW mining". */
const char *wm_plan_strategy_label(const wm_plan_site *s, const wm_plan_result *r, char *buf, size_t n);

/* Run: simulate `paths` paths of the scenario over site->years and price every strategy. */
wm_status wm_plan_run(const wm_scenario_params *scn, const wm_plan_site *site, const wm_plan_hooks *hooks,
                      uint64_t seed, uint64_t paths, int threads, wm_plan_out *out, wm_err *err);
/* The same with a progress callback (sim.h: serialized, may cancel -> WM_ECANCELLED). */
wm_status wm_plan_run_progress(const wm_scenario_params *scn, const wm_plan_site *site, const wm_plan_hooks *hooks,
                               uint64_t seed, uint64_t paths, int threads, wm_sim_progress_fn progress,
                               void *progress_ctx, wm_plan_out *out, wm_err *err);

/* Dispatch map of a real year (the report's heat map): days are local standard days at UTC
 * offset tz_offset_s (ERCOT: -6 h, CST without DST); a day needs 24 hourly prices and a history
 * day (days[], days[0] starting at UTC day hist_t0) for its hashprice. Per day the mining fleet's
 * break-even wholesale price B = revenue / (24 uptime) - adder - variable opex (site J/TH, PUE,
 * pool fee) and the dispatch module's optimal schedule of 1 MW of ASICs valued at B against the
 * hourly prices (wm_dispatch_solve): on[d*24 + h] = 1 mining, 0 curtailed. Writes at most
 * max_days days: day_t (local midnight as a UTC time of the same date), price[d*24+h], on, B. */
wm_status wm_plan_dispatch_map(const wm_series *hourly, int col, int64_t tz_offset_s, const wm_plan_site *site,
                               const wm_scenario_day *days, int ndays, int64_t hist_t0, int max_days,
                               int64_t *day_t, double *price, unsigned char *on, double *breakeven, int *n_out,
                               wm_err *err);

/* Intraday curtailment value from the dispatch module, precomputed per real day shape (the
 * hourly prices of a day divided by their mean, from a real year of hourly prices). For one MW
 * of ASICs valued at r USD/MWh against a day at mean price 1, v(r) = profit of the optimal
 * dispatch (wm_dispatch_solve) - profit running all day (wm_dispatch_always_on); v is convex
 * and piecewise linear in r with kinks at the day's hourly values, so it is solved exactly at
 * r = 0 and at every hourly value, and interpolated between them: exact, no solve in the path
 * loop. In a path: value = level * v(breakeven / level) * 24 / hours of the day.
 * Days are UTC days of the series; shapes_per_month gets the count per calendar month and the
 * scenario's day->shape indexes the month's shapes. */
typedef struct wm_plan_curtail wm_plan_curtail;
wm_status wm_plan_curtail_new(const wm_series *hourly, int col, int shapes_per_month[12], wm_plan_curtail **out,
                              wm_err *err);
void wm_plan_curtail_free(wm_plan_curtail *c);
/* The hook (ctx = the table): USD per MW-day for a day at level d->power_usd_per_mwh. */
double wm_plan_curtail_value(void *ctx, const wm_scenario_day *d, double breakeven_usd_per_mwh);

/* History replay: every strategy on one given day series (e.g. the real 2023-2025 days built
 * from history); the horizon is the whole years it holds (at most WM_PLAN_MAX_YEARS). The
 * risk figures are those of a single path. */
wm_status wm_plan_replay(const wm_plan_site *site, const wm_plan_hooks *hooks, const wm_scenario_day *days,
                         int ndays, wm_plan_out *out, wm_err *err);

/* Stress tests: the base scenario changed in one respect and run on the same seed, so every
 * stressed path differs from its base path only by the stress (common random numbers). The
 * dated ones happen on every path at the start of the stress day (wm_plan_stress_opts.day). */
typedef enum wm_plan_stress {
    WM_STRESS_BTC_CRASH = 0,   /* BTC price halves on the stress day */
    WM_STRESS_AI_SHOCK,        /* on the stress day: DeepSeek-like (the scenario's shock sizes, GPU-hour -16%,
                                  tokens -50%, counted as a shock) or both prices x (1 - ai_drop); tenant defaults
                                  x5 from then on */
    WM_STRESS_NEXT_HALVING,    /* the next halving happens on the stress day (the one after at its height) */
    WM_STRESS_URI_WEEK,        /* a week of real Winter Storm Uri power prices from the stress day */
    WM_STRESS_POWER_DOUBLE,    /* daily power price level and start doubled for the whole horizon */
    WM_STRESS_TENANT_DEFAULT,  /* colocation tenant default intensity 1/yr */
    WM_STRESS_HASH_SURGE,      /* network hashrate +30% on the stress day (a new ASIC generation lands) */
    WM_STRESS_COUNT
} wm_plan_stress;
typedef struct wm_plan_stress_opts {
    int day;                   /* the stress day, 0 = the start */
    double ai_drop;            /* 0: the scenario's shock (sizes and count); else both prices x (1 - ai_drop), (0, 1) */
    const double *power_week;  /* daily power levels USD/MWh for WM_STRESS_URI_WEEK (borrowed) */
    int power_week_n;
} wm_plan_stress_opts;
const char *wm_plan_stress_name(wm_plan_stress k);
void wm_plan_stress_apply(wm_plan_stress k, const wm_plan_stress_opts *o, wm_scenario_params *scn);
/* The 7 consecutive UTC days of column col with the highest mean daily price (days with at
 * least 20 values): the power week of WM_STRESS_URI_WEEK, from ERCOT's February 2021.
 * first_day: the first day's start (UTC s). */
wm_status wm_plan_worst_week(const wm_series *s, int col, double week[7], int64_t *first_day, wm_err *err);

/* Per-MW daily margins of one day (exposed for tests): mining with an installed fleet of the
 * given J/TH (after power, variable opex on running days, fixed opex, optional daily curtailment
 * and the curtailment hook) and colocation NOI per facility MW (rent factor and escalation for
 * lease year `lease_year` = 0, 1, ...; power if not passed through). */
double wm_plan_mining_usd_per_mw_day(const wm_plan_site *s, const wm_plan_hooks *h, const wm_scenario_day *d,
                                     double eff_j_per_th);
double wm_plan_colo_usd_per_mw_day(const wm_plan_site *s, const wm_scenario_day *d, int lease_year);
/* Resale value of the fleet on one facility MW: TH/s * new price per TH of its generation
 * (refresh_usd_per_th * E / refresh_eff_j_per_th: the same price per watt) * (1 - decline)^age;
 * age 0 = the price of new machines. */
double wm_plan_fleet_value_usd_per_mw(const wm_plan_site *s, double eff_j_per_th, double age_years);

#endif
