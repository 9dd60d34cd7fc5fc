/* history.h - day-by-day replay of mining economics on real daily series: hashprice (BTC and
 * USD per PH/s/day, Luxor's definition with that day's fees) and a fleet's BTC, revenue, power
 * cost and margin. Inputs are series already loaded by lib/series (one value column each);
 * days are joined on the UTC date. Subsidy per day follows the block height: halvings at their
 * real times (known past halvings), with a halving day's subsidy weighted by the share of that
 * day's blocks mined before it (from the real time, assuming even block spacing that day). */
#ifndef WM_HISTORY_H
#define WM_HISTORY_H

#include "series.h"

typedef struct wm_history_in {
    const wm_series *price;       /* USD per BTC */
    const wm_series *difficulty;  /* daily difficulty */
    const wm_series *fees;        /* total fees per day in BTC (optional: NULL = no fees) */
    const wm_series *blocks;      /* blocks per day (optional) */
    const wm_series *hashrate;    /* realised TH/s (optional: gives blocks = H*86400/(D*2^32)) */
    int price_col, difficulty_col, fees_col, blocks_col, hashrate_col; /* value column of each */
    /* fleet */
    double hashrate_th_s, power_kw, pue, uptime, payout_factor;
    double price_usd_per_mwh;
    int64_t from, to;             /* UTC day range [from, to); 0/0 = everything */
} wm_history_in;

typedef struct wm_history_day {
    int64_t day;                  /* UTC midnight */
    double price_usd_per_btc, difficulty;
    double blocks;                /* used to spread fees (144 when unknown) */
    double subsidy_btc;           /* mean per block that day */
    double fees_btc_per_block;
    double hashprice_btc_per_ph_day, hashprice_usd_per_ph_day;
    double fleet_btc, revenue_usd, power_cost_usd, margin_usd;
} wm_history_day;

typedef struct wm_history_summary {
    size_t days;
    double btc, revenue_usd, power_cost_usd, margin_usd;
    double min_hashprice_usd_per_ph_day, max_hashprice_usd_per_ph_day;
    int64_t min_day, max_day;
    size_t days_unprofitable;
} wm_history_summary;

/* Number of days the replay will produce (the join), so callers can size `out`. */
size_t wm_history_count(const wm_history_in *in);
/* Fills out (capacity max) and the summary; WM_EINVAL on bad fleet inputs. */
wm_status wm_history_replay(const wm_history_in *in, wm_history_day *out, size_t max, size_t *n,
                            wm_history_summary *sum);
/* Mean subsidy per block over the UTC day starting at `day` (BTC). */
double wm_history_subsidy_btc(int64_t day);

#endif
