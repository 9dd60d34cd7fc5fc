/* aiecon.h - what a megawatt of an AI hall earns in each revenue mode, per MW of IT load and
 * per MW at the meter (docs/model-ai.md): colocation lease, GPU cloud rental, token serving,
 * interruptible training; a model-efficiency shock (DeepSeek R1 style) applied from a date;
 * fleet-day accounting (published serving days) and lease-rate arithmetic (published deals).
 * Invariants: wm_aiecon_day is allocation-free and pure (the Monte Carlo planner calls it per
 * path-day); every parameter has an entry in the mode's wm_param table (name, unit, default,
 * bounds) and wm_aiecon_check enforces those bounds. Money in USD, power in MW, time in days. */
#ifndef WM_AIECON_H
#define WM_AIECON_H

#include "param.h"

#include <stdbool.h>

typedef enum wm_ai_mode { WM_AI_COLO = 0, WM_AI_CLOUD, WM_AI_TOKENS, WM_AI_TRAIN, WM_AI_MODE_COUNT } wm_ai_mode;
const char *wm_ai_mode_name(wm_ai_mode m); /* "colo", "cloud", "tokens", "train" */

typedef struct wm_colo {
    double usd_per_kw_month;     /* per kW of contracted IT, first year */
    double term_years;
    double escalator_per_year;   /* annual step-up of the rate */
    bool power_passthrough;      /* tenant pays the power bill (else included in the rate) */
    double fitout_capex_usd_per_mw; /* per MW IT, depreciated over the term */
    double lead_time_months;     /* no rent (and no load) before */
    double pue;
    double load_factor;          /* average IT draw / contracted IT */
    double opex_usd_per_mw_year; /* staff, maintenance, insurance per MW IT */
} wm_colo;

/* A GPU fleet filling a hall; shared by cloud, tokens and train. */
typedef struct wm_ai_fleet {
    double it_w_per_gpu;         /* IT watts per GPU at full load, incl. host share (DGX H100 10.2 kW/8) */
    double idle_frac;            /* IT draw when idle / at full load */
    double gpu_capex_usd;        /* per GPU incl. server and network share */
    double facility_capex_usd_per_mw; /* shell, power, cooling per MW IT */
    double life_years;           /* straight-line depreciation */
    double opex_frac_per_year;   /* non-power opex as a share of capex per year */
    double pue;
} wm_ai_fleet;

typedef struct wm_ai_cloud {
    double usd_per_gpu_h;        /* at day 0 */
    double decline_per_year;     /* continuous rate: p(t) = max(floor, p0 e^{-k t}) */
    double floor_usd_per_gpu_h;
    double utilization;          /* share of GPU-hours sold */
} wm_ai_cloud;

typedef struct wm_ai_tokens {
    double usd_per_m_tokens;     /* blended price per million output tokens */
    double tok_s_per_gpu;        /* busy throughput, from wm_llm_serve */
    double utilization;
} wm_ai_tokens;

typedef struct wm_ai_train {
    double usd_per_gpu_h;        /* value of a GPU-hour of interruptible training */
    double availability;         /* share of hours the hall computes (the rest: curtailed) */
    double interruptions_per_day;
    double restart_h;            /* GPU-hours lost per GPU per interruption (checkpoint + restart) */
} wm_ai_train;

/* A step change at day `day`: token price x token_price_factor, compute per token x
 * compute_factor (throughput / compute_factor), GPU rent x rent_factor. */
typedef struct wm_ai_shock {
    bool on;
    double day;
    double token_price_factor, compute_factor, rent_factor;
} wm_ai_shock;

typedef struct wm_aiecon {
    wm_colo colo;
    wm_ai_fleet fleet;
    wm_ai_cloud cloud;
    wm_ai_tokens tokens;
    wm_ai_train train;
    wm_ai_shock shock;
} wm_aiecon;

/* Defaults (sources in docs/model-ai.md) and validation against the tables' bounds. */
void wm_aiecon_defaults(wm_aiecon *p);
wm_status wm_aiecon_check(const wm_aiecon *p, wm_err *err);
/* The DeepSeek R1 case: o1 -> R1 output price 60 -> 2.19 $/M (x 1/27.4) on 2025-01-20. */
void wm_ai_shock_deepseek_r1(wm_ai_shock *s, double day);

/* Parameter tables (drive the CLI, --help, validation, the planner's forms). */
extern const wm_param wm_aiecon_colo_table[];
extern const wm_param wm_aiecon_fleet_table[];
extern const wm_param wm_aiecon_cloud_table[];
extern const wm_param wm_aiecon_tokens_table[];
extern const wm_param wm_aiecon_train_table[];
/* Copy the values of a table (filled by cli_parse or a site loader) into p. */
void wm_aiecon_set_colo(wm_aiecon *p, const wm_value *v);
void wm_aiecon_set_fleet(wm_aiecon *p, const wm_value *v);
void wm_aiecon_set_cloud(wm_aiecon *p, const wm_value *v);
void wm_aiecon_set_tokens(wm_aiecon *p, const wm_value *v);
void wm_aiecon_set_train(wm_aiecon *p, const wm_value *v);

typedef struct wm_ai_day_in {
    double day;                  /* days since the start of the plan */
    double power_usd_per_mwh;    /* the day's average price at the meter */
    double token_price_mult;     /* market multipliers from a scenario (1 = parameters as given) */
    double rent_mult;
} wm_ai_day_in;

typedef struct wm_ai_day_out {   /* USD per MW of IT per day, per mode */
    double revenue[WM_AI_MODE_COUNT];
    double power_cost[WM_AI_MODE_COUNT];
    double fixed_cost[WM_AI_MODE_COUNT];  /* depreciation + opex */
    double net[WM_AI_MODE_COUNT];         /* revenue - power - fixed */
    double net_per_meter_mw[WM_AI_MODE_COUNT]; /* net / pue of the mode */
    double meter_mw_per_it_mw[WM_AI_MODE_COUNT];
} wm_ai_day_out;
/* Allocation-free; p must have passed wm_aiecon_check. */
void wm_aiecon_day(const wm_aiecon *p, const wm_ai_day_in *d, wm_ai_day_out *out);

/* The same split in two for Monte Carlo: everything that depends only on the day (lease steps,
 * rent decline, the shock) goes into a base computed once per day and shared by all paths;
 * wm_aiecon_apply then needs only the path's prices (a few multiply-adds, no libm calls).
 * wm_aiecon_day(p, d) == wm_aiecon_apply(base(p, d->day), d) exactly. */
typedef struct wm_ai_day_base {
    double revenue[WM_AI_MODE_COUNT];   /* at multipliers 1 */
    double mwh[WM_AI_MODE_COUNT];       /* energy at the meter per MW IT per day */
    double fixed_cost[WM_AI_MODE_COUNT];
    double meter_mw_per_it_mw[WM_AI_MODE_COUNT];
} wm_ai_day_base;
void wm_aiecon_base(const wm_aiecon *p, double day, wm_ai_day_base *b);
void wm_aiecon_apply(const wm_ai_day_base *b, const wm_ai_day_in *d, wm_ai_day_out *out);
double wm_aiecon_gpus_per_mw_it(const wm_ai_fleet *f);

/* ---- published-figure arithmetic ---- */
/* Flat $/kW-month implied by a lease's total value (NAN unless mw_it > 0, years > 0). */
double wm_aiecon_colo_usd_per_kw_month(double total_usd, double mw_it, double years);
/* First-year $/kW-month of a lease escalating by esc per year with the same total. */
double wm_aiecon_colo_first_year_rate(double total_usd, double mw_it, double years, double esc);

typedef struct wm_fleet_day_in {
    double gpus, usd_per_gpu_h, hours;
    double tokens_in_hit, tokens_in_miss, tokens_out; /* per day */
    double usd_per_m_in_hit, usd_per_m_in_miss, usd_per_m_out;
    double queries;                                  /* per day, 0 = unknown */
} wm_fleet_day_in;
typedef struct wm_fleet_day {
    double cost_usd, revenue_usd, profit_usd;
    double cost_margin;          /* profit / cost ("cost profit margin") */
    double usd_per_m_out_cost, usd_per_m_in_cost; /* cost over tokens */
    double cents_per_query;
    double gpu_hours;
} wm_fleet_day;
wm_status wm_aiecon_fleet_day(const wm_fleet_day_in *in, wm_fleet_day *out, wm_err *err);

#endif
