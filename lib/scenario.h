/* scenario.h - the stochastic market models of the Monte Carlo, one path at daily resolution:
 * BTC price (jump-diffusion or block bootstrap of history), network hashrate responding with a
 * lag to miners' revenue and to efficiency gains, difficulty retargeted period by period with
 * Bitcoin's consensus rule (lib/btc.h: off-by-one, clamp, compact truncation), halvings at their
 * block heights (so their dates move with the hashrate), fees per block, the daily power price
 * level and its intraday shape, AI prices ($/GPU-hour, $/M tokens) with trend and jump shocks,
 * and the colocation tenant's default and re-letting.
 * Invariants: a path is a pure function of (params, seed, path index); each model draws from its
 * own Random123 stream (rng.h), so changing one model leaves the others' draws unchanged; with
 * every volatility, jump and default rate at zero (wm_scenario_zero_vol) a simulated path equals
 * the deterministic projection (wm_scenario_project) bit for bit. No allocation while stepping.
 * Formulas and sources: docs/model-mc.md. Parameters: wm_scenario_table (param.h), whose defaults
 * are written by `wattmux calibrate` into lib/scenario_defaults.h. */
#ifndef WM_SCENARIO_H
#define WM_SCENARIO_H

#include "param.h"
#include "rng.h"

#include <stdbool.h>

#define WM_SCENARIO_MAX_DAYS (366 * 30)
/* Origin of the efficiency-gain trend in the hashrate equilibrium: 2020-01-01 00:00 UTC. */
#define WM_SCENARIO_EPOCH 1577836800LL

typedef enum wm_price_model {
    WM_PRICE_JUMP_DIFFUSION = 0, /* Merton: normal log-returns plus compound-Poisson jumps */
    WM_PRICE_BOOTSTRAP = 1       /* moving-block bootstrap of historical daily log-returns */
} wm_price_model;

typedef struct wm_scenario_params {
    /* ---- initial state (day 0 starts at start_time, 00:00 UTC) ---- */
    int64_t start_time;
    double price0_usd_per_btc;
    int64_t height0;              /* tip height at start_time */
    double difficulty0;           /* difficulty in force for block height0 + 1 */
    int64_t period_start_time;    /* time of the first block of the current retarget period;
                                     0 = estimate from the blocks already in it at 600 s each */
    double hashrate0_h_s;         /* network hashrate at start; 0 = difficulty-implied */
    double fees0_btc_per_block;
    double power0_usd_per_mwh;
    double gpu0_usd_per_gpu_hour;
    double tokens0_usd_per_mtok;
    /* ---- BTC price ---- */
    int price_model;              /* wm_price_model */
    double price_drift_per_year;  /* expected log-return per year, jumps included */
    double price_vol_per_year;    /* diffusion volatility (annualised, 365 days) */
    double jump_per_year;         /* jump intensity */
    double jump_mean_log;         /* mean log jump size */
    double jump_sd_log;           /* sd of log jump size */
    int boot_block_days;          /* bootstrap block length */
    bool boot_demean;             /* bootstrap: replace the history's mean by price_drift_per_year */
    const double *boot_returns;   /* daily log-returns (borrowed); NULL unless bootstrap */
    size_t boot_n;
    /* ---- network hashrate: x = log H = x* + u, x* = a + b ema(log revenue) + g (t - epoch) ---- */
    double hash_level;            /* a (log H/s) */
    double hash_elasticity;       /* b */
    double hash_trend_per_year;   /* g: efficiency gains and cheaper power, log per year */
    double hash_adjust_per_day;   /* kappa: the deviation u = x - x* decays by (1 - kappa) a day */
    double hash_lag_days;         /* time constant of the revenue EMA */
    double revenue_ema0_log_usd_per_day; /* EMA of log revenue at start; 0 = revenue at start */
    double hash_vol_per_day;      /* sd of daily noise of the deviation u = x - x* */
    /* ---- fees: y = log(fees BTC/block), mean-reverting with upward spikes ---- */
    double fee_level_btc_per_block; /* long-run geometric mean */
    double fee_revert_per_day;
    double fee_vol_per_day;
    double fee_spike_per_year;
    double fee_spike_mean_log;    /* mean of the exponential spike size (log units) */
    double fee_cap_btc_per_block; /* ceiling of the fee level (record daily mean ~9.3 BTC/block) */
    /* ---- power price: w = log(daily mean $/MWh), mean-reverting with spikes ---- */
    double power_level_usd_per_mwh; /* long-run geometric mean */
    double power_revert_per_day;
    double power_vol_per_day;
    double power_spike_per_year;
    double power_spike_mean_log;
    int shapes_per_month[12];     /* day shapes available per calendar month (0 = none) */
    /* ---- AI prices: log-linear trend plus common jump shocks ---- */
    double gpu_trend_per_year;
    double gpu_vol_per_year;
    double tokens_trend_per_year;
    double tokens_vol_per_year;
    double ai_shock_per_year;
    double gpu_shock_log;         /* log size of a shock on $/GPU-hour (negative = price cut) */
    double tokens_shock_log;
    /* ---- colocation tenant ---- */
    double tenant_default_per_year;
    double tenant_relet_days;
    double tenant_relet_rent_factor; /* rent of each new tenant relative to the previous */
    /* ---- the stress tests' events, on every path at the start of day event_day (not in the
       parameter table; all zero = none) ---- */
    int event_day;
    double event_price_log;       /* added to the BTC log price */
    double event_hash_log;        /* added to the log network hashrate */
    double event_gpu_log, event_tokens_log; /* added to the AI log prices */
    double event_ai_shocks;       /* added to the AI shock count (the planner's token serving speeds up at each) */
    bool event_halving;           /* the next halving happens then (the one after stays at its height) */
    double event_tenant_factor;   /* from then on the tenant default intensity x this (0 = unchanged) */
    const double *event_power;    /* daily power price levels of days event_day .. + n - 1 (borrowed) */
    int event_power_n;
} wm_scenario_params;

/* One simulated day. Revenue-relevant quantities are day averages where events (retarget,
 * halving) happen inside the day. */
typedef struct wm_scenario_day {
    double price_usd_per_btc;
    double hashrate_h_s;          /* network, end of day */
    double difficulty;            /* end of day */
    double height;                /* blocks mined so far (tip height + 1), fractional */
    double blocks;                /* blocks mined this day */
    double subsidy_btc;           /* block-weighted mean subsidy of the day */
    double fees_btc_per_block;
    double hashprice_btc_per_ph_day; /* expected BTC for 1 PH/s over the day (segments by D) */
    double hashprice_usd_per_ph_day;
    double power_usd_per_mwh;     /* daily mean level */
    double gpu_usd_per_gpu_hour;
    double tokens_usd_per_mtok;
    double colo_rent_factor;      /* 0 while vacant; 1 for the first tenant */
    double ai_shocks;             /* AI price shocks so far on this path (count) */
    int shape;                    /* index of the day shape within its month, -1 = none */
    int month;                    /* 1..12 */
} wm_scenario_day;

/* One day of WM_LANES paths, field by field (structure of arrays: what the SIMD step writes);
 * wm_scenario_lanes_get gives lane l as a wm_scenario_day. The step computes the day's fields
 * in place here; the four that are the stepped state itself are views of the state, not copies
 * (valid until the next step of that state): field[l] reads the same either way. */
typedef struct wm_scenario_lanes {
    double price_usd_per_btc[WM_LANES];
    double blocks[WM_LANES], subsidy_btc[WM_LANES], fees_btc_per_block[WM_LANES];
    double hashprice_btc_per_ph_day[WM_LANES], hashprice_usd_per_ph_day[WM_LANES];
    double power_usd_per_mwh[WM_LANES], gpu_usd_per_gpu_hour[WM_LANES], tokens_usd_per_mtok[WM_LANES];
    double colo_rent_factor[WM_LANES];
    const double *hashrate_h_s, *difficulty, *height, *ai_shocks; /* views of the state */
    int shape[WM_LANES];
    int month;
} wm_scenario_lanes;
void wm_scenario_lanes_get(const wm_scenario_lanes *d, unsigned lane, wm_scenario_day *out);

/* State of WM_LANES paths stepped side by side (lane l = path first_path + l): structure of
 * arrays, so the daily update compiles to SIMD. A lane's numbers depend only on its own path.
 * A plain value (about 41 KB at 32 lanes): lives in a worker's workspace. */
#define WM_SCN_LANES WM_LANES
enum { WM_SCN_Z_PRICE, WM_SCN_Z_FEE, WM_SCN_Z_NET, WM_SCN_Z_POWER, WM_SCN_Z_GPU, WM_SCN_Z_TOKENS, WM_SCN_NZ };
#define WM_SCN_DRAW_MAX ((WM_SCN_NZ + 1) * WM_LANES)
typedef struct wm_scenario_state {
    /* daily draws, made 4 days at a time: one Philox block per model stream and lane gives
       that model's normals of days 4q .. 4q + 3 (word j, day 4q + j; rng.h inversion); the power
       stream's next block gives the day-shape words */
    uint32_t key[2], path_lo[WM_LANES], path_hi[WM_LANES];
    uint32_t draw_ctr[4][WM_SCN_DRAW_MAX], draw_step[WM_SCN_DRAW_MAX], draw_off[WM_SCN_DRAW_MAX];
    unsigned draw_n;              /* blocks per batch (drawing models x lanes) */
    int draw_slot[WM_SCN_NZ + 1]; /* batch slot of each model's block, -1 = does not draw */
    float z[4][WM_SCN_DRAW_MAX];  /* [day 4q + j][slot x WM_LANES + lane]: the normals */
    unsigned z_off[WM_SCN_NZ];    /* each drawing model's offset in z[j] (its slot x WM_LANES) */
    uint32_t shape_w[4][WM_LANES];
    uint32_t boot_block;          /* bootstrap blocks drawn so far */
    /* per-lane streams of rare events */
    wm_rng rng_jump[WM_LANES], rng_fee_spike[WM_LANES], rng_power_spike[WM_LANES],
        rng_ai_jump[WM_LANES], rng_tenant[WM_LANES];
    bool random;                  /* false: deterministic projection, no draws */
    bool exact;                   /* levels in double precision (deterministic paths) */
    int day;
    double log_price[WM_LANES], hash_dev[WM_LANES], rev_ema[WM_LANES], log_fee[WM_LANES];
    double log_power[WM_LANES], log_gpu[WM_LANES], log_tokens[WM_LANES];
    double hash_h_s[WM_LANES];    /* network hashrate during the next day */
    double c[WM_LANES];           /* blocks mined (height of next block) */
    double difficulty[WM_LANES];
    double blk_per_h[WM_LANES];   /* 86400 / (difficulty 2^32): blocks per day per H/s */
    double hp_per_btc[WM_LANES];  /* 1e15 blk_per_h: BTC per PH/s-day per BTC of block reward */
    double subsidy_btc[WM_LANES];
    double next_event[WM_LANES];  /* min(next retarget, next halving) as a height */
    uint32_t bits[WM_LANES];
    /* the period's first block time: period_first_time, plus D 2^32 / pft_h_s (one block
       interval at the hashrate of its opening retarget's day) when pft_h_s > 0 */
    int64_t period_first_time[WM_LANES];
    double pft_h_s[WM_LANES];
    int64_t next_retarget[WM_LANES], next_halving[WM_LANES];
    double next_jump[WM_LANES], next_fee_spike[WM_LANES], next_power_spike[WM_LANES];
    double next_ai_shock[WM_LANES], next_default[WM_LANES], relet_at[WM_LANES];
    double lane_rare[WM_LANES];   /* per lane: min of its next_* above and relet_at */
    double next_rare;             /* min over lanes of lane_rare */
    double rent_factor[WM_LANES];
    double ai_shocks[WM_LANES];   /* AI price shocks so far */
    size_t boot_pos[WM_LANES];
    int boot_left;                /* shared: blocks have one length */
    double boot_adj;              /* added to each bootstrapped return */
    double boot_det;              /* daily return of the deterministic projection */
    int month, next_month_day;    /* calendar month of the current day; day index of the next 1st */
    double log_fee_level, log_power_level, log_fee_cap;
    int64_t start_day;            /* start_time / 86400 */
} wm_scenario_state;

/* The parameter table (flags, JSON keys with units, defaults from calibration, bounds). */
extern const wm_param wm_scenario_table[];
/* Fill p from the table defaults (boot_returns NULL). */
void wm_scenario_defaults(wm_scenario_params *p);
/* Fill p from values parsed against wm_scenario_table. */
void wm_scenario_from_values(const wm_value *vals, wm_scenario_params *p);
/* Check bounds and consistency (err names the parameter). */
wm_status wm_scenario_check(const wm_scenario_params *p, wm_err *err);
/* Turn off every source of randomness (volatilities, jumps, spikes, shocks, defaults). */
void wm_scenario_zero_vol(wm_scenario_params *p);

/* Start WM_LANES paths first_path .. first_path + WM_LANES - 1 (random = false: the
 * deterministic projection, no draws). */
wm_status wm_scenario_start_lanes(const wm_scenario_params *p, uint64_t seed, uint64_t first_path, bool random,
                                  wm_scenario_state *s);
/* Advance every lane one day and describe it. */
void wm_scenario_step_lanes(const wm_scenario_params *restrict p, wm_scenario_state *restrict s,
                            wm_scenario_lanes *restrict out);
/* One path: lane 0 of a batch starting at `path` (the other lanes are computed and dropped). */
wm_status wm_scenario_start(const wm_scenario_params *p, uint64_t seed, uint64_t path, bool random,
                            wm_scenario_state *s);
void wm_scenario_step(const wm_scenario_params *p, wm_scenario_state *s, wm_scenario_day *out);
/* Bitcoin's retarget for the simulation's nBits in 64-bit integer arithmetic: new nBits equal to
 * wm_btc_retarget's (Core's CalculateNextWorkRequired + GetCompact) whenever it returns true;
 * false (exponent < 4, non-canonical bits, result at powLimit) leaves the case to wm_btc_retarget. */
bool wm_scenario_fast_retarget(uint32_t bits, int64_t first_time, int64_t last_time, uint32_t *new_bits);
/* Deterministic projection of ndays (the zero-randomness path). */
wm_status wm_scenario_project(const wm_scenario_params *p, int ndays, wm_scenario_day *out);

#endif
