/* backtest.h - out-of-sample check of the market models: calibrate on history up to `fit_to`,
 * simulate from the next day to `until`, and report, at the end of each calendar quarter, where
 * the realised BTC price, difficulty and hashprice fall in the simulated distributions
 * (percentile = share of paths at or below the realised value, in %). Realised hashprice uses
 * that day's subsidy (block-weighted on a halving day) and the real fees where a fee file covers
 * the day, else subsidy only (flagged). Invariants: the fit sees no data after fit_to
 * (calibrate.h); the simulation is deterministic in (seed, paths) for any thread count. */
#ifndef WM_BACKTEST_H
#define WM_BACKTEST_H

#include "calibrate.h"
#include "sim.h"

#define WM_BACKTEST_MAX_QUARTERS 80

typedef struct wm_backtest_quarter {
    int64_t day;                       /* quarter's last day (00:00 UTC) */
    double price_usd_per_btc, difficulty, hashprice_usd_per_ph_day; /* realised (NaN if missing) */
    bool fees_known;                   /* realised hashprice includes real fees */
    double price_pct, difficulty_pct, hashprice_pct;                /* percentile of realised */
    double price_p5, price_p50, price_p95;
    double difficulty_p5, difficulty_p50, difficulty_p95;
    double hashprice_p5, hashprice_p50, hashprice_p95;
} wm_backtest_quarter;

typedef struct wm_backtest_opts {
    int64_t fit_to, until;             /* last day of the fit; last day simulated */
    uint64_t paths, seed;
    int threads;
    int price_model;                   /* wm_price_model */
} wm_backtest_opts;

typedef struct wm_backtest_result {
    wm_calibrate_out fit;              /* owned: free with wm_backtest_result_free */
    size_t nq;
    wm_backtest_quarter q[WM_BACKTEST_MAX_QUARTERS];
    int inside_90[3];                  /* quarters with price/difficulty/hashprice inside p5..p95 */
} wm_backtest_result;

wm_status wm_backtest_run(const wm_calibrate_in *in, const wm_backtest_opts *o, wm_backtest_result *r,
                          wm_err *err);
void wm_backtest_result_free(wm_backtest_result *r);

/* The real days [from, to] as scenario days for a history replay of the strategies: price,
 * difficulty, the day's subsidy (block-weighted on a halving day), real fees where a fee file
 * covers the day (else 0), hashprice from btc.h; the power price, $/GPU-hour and $/M tokens are
 * held at the given constants (no history for them here) and the tenant pays throughout.
 * A gap of up to 7 days holds the last value; a longer one is an error naming the day. */
wm_status wm_backtest_history_days(const wm_calibrate_in *in, int64_t from, int64_t to, double power_usd_per_mwh,
                                   double gpu_usd_per_gpu_hour, double tokens_usd_per_mtok, wm_scenario_day *out,
                                   int max, int *n, wm_err *err);

#endif
