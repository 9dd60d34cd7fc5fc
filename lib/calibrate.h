/* calibrate.h - fits the market models of scenario.h on history series (loaded by series.h):
 * BTC price (jump-diffusion by iterated 4-sigma thresholding; the daily log-returns are kept
 * for the block bootstrap), network hashrate (equilibrium regression of log difficulty-implied
 * hashrate on an EMA of log miner revenue and time, lag chosen by best fit; partial-adjustment
 * speed from 14-day changes), fees per block and the daily power price level (AR(1) in logs
 * with spikes beyond 3 sd), and the start state at the end of the fit window. Every model
 * reports the period it was fitted on. Formulas: docs/model-mc.md.
 * Invariants: only data with time <= `to` is read (no look-ahead: the backtest depends on it);
 * outputs are written only on success. */
#ifndef WM_CALIBRATE_H
#define WM_CALIBRATE_H

#include "scenario.h"
#include "series.h"

typedef struct wm_calibrate_in {
    const wm_series *price;      int price_col;      /* daily close USD/BTC */
    const wm_series *difficulty; int difficulty_col; /* daily difficulty */
    const wm_series *hashrate;   int hashrate_col;   /* realised TH/s (heights and hashrate0) */
    const wm_series *heights;    int height_col;     /* block height at the end of each UTC day (optional) */
    const wm_series *fees[4];    int fees_col[4];    /* fees BTC/day, disjoint windows (optional) */
    size_t nfees;
    const wm_series *power;      int power_col;      /* hourly $/MWh (optional) */
    int64_t from;                /* first day of the price and hashrate fits (0 = data start) */
    int64_t to;                  /* last day used (inclusive, 00:00 UTC) */
    /* ASIC efficiency list (release time, J/GH), optional: when given, the hashrate trend g is
     * the rate at which new models' efficiency improved (OLS of ln J/GH on release time over the
     * models released from 2016 up to `to`), and a, b are fitted on x - g t. */
    const double *asic_release_unix, *asic_j_per_gh;
    size_t nasic;
    bool fix_hash_trend;         /* take g as given instead (overrides the list) */
    double hash_trend_per_year;
} wm_calibrate_in;

typedef struct wm_fit_period {
    int64_t from, to;            /* first and last day used; 0/0 = not fitted (defaults kept) */
    size_t n;                    /* observations */
} wm_fit_period;

typedef struct wm_calibrate_out {
    wm_scenario_params p;        /* defaults overwritten by the fitted values; boot_returns = returns */
    wm_fit_period price, hash, fees, power;
    double price_mean_per_day, price_sd_per_day; /* of all returns */
    size_t price_jumps;
    double hash_r2;              /* equilibrium regression */
    double hash_lag_days_best;
    const char *hash_trend_source;  /* "ASIC efficiency list (n models)", "given", "regression" */
    size_t hash_trend_models;
    double *returns;             /* daily log-returns of the price fit (owned) */
    size_t nreturns;
} wm_calibrate_out;

/* The history files of the shared data layout, loaded from data_dir (".../data"): bitcoin/
 * price, difficulty, realised hashrate, blocks per day with heights, the two fee files, and
 * power/ercot_rtm_lz_hourly_2023.csv (LZ_WEST, US Central) and the ASIC efficiency list
 * bitcoin/reference/cbeci_asic_efficiency_jgh_2014_2021.json. Everything stays owned by `set`. */
typedef struct wm_calibrate_files {
    wm_series *s[8];
    size_t n;
    double *asic;          /* release times then J/GH of the CBECI efficiency list */
} wm_calibrate_files;
wm_status wm_calibrate_load(const char *data_dir, wm_calibrate_files *set, wm_calibrate_in *in, wm_err *err);
void wm_calibrate_files_free(wm_calibrate_files *set);

wm_status wm_calibrate_fit(const wm_calibrate_in *in, wm_calibrate_out *out, wm_err *err);
/* The daily log-returns of the price series between in->from and in->to (consecutive days,
 * positive prices; at least 60), malloc'd into *out; first/last: the days they span. */
wm_status wm_calibrate_returns(const wm_calibrate_in *in, double **out, size_t *n, int64_t *first, int64_t *last,
                               wm_err *err);
void wm_calibrate_out_free(wm_calibrate_out *out); /* frees returns; NULL is a no-op */
/* Render the fitted defaults as lib/scenario_defaults.h text. Returns the length needed
 * (snprintf convention). */
size_t wm_calibrate_header(const wm_calibrate_out *out, char *buf, size_t n);

#endif
