/* btc.h - Bitcoin chain economics. The consensus parts are integer-exact and follow Bitcoin
 * Core (GetBlockSubsidy in validation.cpp; SetCompact/GetCompact in arith_uint256.cpp;
 * CalculateNextWorkRequired in pow.cpp; GetDifficulty in rpc/blockchain.cpp). The economics
 * (hashprice, break-even, production cost) are doubles with units in every name.
 * Formulas and sources: docs/model-btc.md. All functions are pure. */
#ifndef WM_BTC_H
#define WM_BTC_H

#include "u256.h"

#define WM_COIN_SAT 100000000LL
#define WM_HALVING_INTERVAL 210000
#define WM_RETARGET_INTERVAL 2016
#define WM_TARGET_SPACING_S 600
#define WM_TARGET_TIMESPAN_S 1209600 /* 2016 * 600 */
#define WM_POW_LIMIT_BITS 0x1d00ffffu /* mainnet; powLimit = 2^224 - 1 (GetCompact gives this) */
#define WM_HALVING_MAX_ERA 64

/* ---- subsidy and supply ---- */
wm_status wm_btc_subsidy(int64_t height, int64_t *subsidy_sat);
/* Sum of subsidies of blocks 0..height inclusive (height >= -1; -1 gives 0). */
wm_status wm_btc_supply(int64_t height, int64_t *supply_sat);
#define WM_BTC_MAX_SUPPLY_SAT 2099999997690000LL
/* First height with subsidy 0: 6,930,000 (era 33). */
#define WM_BTC_LAST_SUBSIDY_HEIGHT 6929999LL

/* ---- compact targets (nBits) ---- */
typedef struct wm_compact {
    wm_u256 target;
    bool negative; /* sign bit set with a non-zero mantissa */
    bool overflow; /* exponent too large for 256 bits */
} wm_compact;
void wm_btc_compact_decode(uint32_t bits, wm_compact *out);             /* SetCompact */
uint32_t wm_btc_compact_encode(const wm_u256 *target, bool negative);   /* GetCompact */
/* Parse nBits text: "0x1d00ffff" or 8 hex digits (Core's RPC form) are hex; otherwise decimal. */
wm_status wm_btc_parse_bits(const char *text, uint32_t *bits, wm_err *err);
/* A target valid for mining: not negative, not zero, no overflow, <= powLimit (Core's DeriveTarget). */
wm_status wm_btc_check_bits(uint32_t bits, wm_err *err);
void wm_btc_pow_limit(wm_u256 *out);

/* ---- difficulty ---- */
double wm_btc_difficulty_bits(uint32_t bits);              /* GetDifficulty (double arithmetic) */
double wm_btc_difficulty_target(const wm_u256 *target);    /* (0xffff * 2^208) / target */
wm_status wm_btc_target_from_difficulty(double difficulty, wm_u256 *target);
double wm_btc_hashrate_h_s(double difficulty);             /* D * 2^32 / 600 */

/* ---- retarget ---- */
typedef struct wm_retarget {
    int64_t actual_timespan_s;   /* t(last) - t(first), first = last - 2015 */
    int64_t clamped_timespan_s;  /* within [302400, 4838400] */
    bool clamped;
    bool pow_limited;            /* the new target was capped at powLimit */
    uint32_t new_bits;
    wm_u256 new_target;          /* SetCompact(new_bits): what the chain uses */
    double old_difficulty, new_difficulty;
    double change;               /* new/old - 1 */
} wm_retarget;
/* first_time is the time of block (last - 2015), last_time of the last block of the period. */
wm_status wm_btc_retarget(uint32_t old_bits, int64_t first_time, int64_t last_time, wm_retarget *out);
/* Height of the block whose time is "first_time" for the retarget after block `last_height`. */
bool wm_btc_is_retarget_height(int64_t height); /* true when `height` starts a new period */

/* Difficulty-adjustment estimate from the blocks seen so far in a period, like
 * mempool.space's: blocks_in_period = height % 2016 + 1 blocks since the period's first block. */
typedef struct wm_diff_estimate {
    int64_t period_start_height, next_retarget_height, blocks_in_period, remaining_blocks;
    double progress;               /* 0..1 */
    double avg_block_time_s;       /* over the blocks seen so far */
    double change;                 /* projected by Core's rule incl. the 2015-interval off-by-one */
    double change_mempool;         /* 600/avg - 1, clamped to [-0.75, 3] (mempool.space) */
    int64_t estimated_retarget_time;
    double next_difficulty;
} wm_diff_estimate;
wm_status wm_btc_estimate_retarget(int64_t tip_height, int64_t tip_time, int64_t period_start_time,
                                   double difficulty, wm_diff_estimate *out);

/* ---- halvings ---- */
typedef struct wm_halving {
    int64_t height;
    int64_t time;            /* projected UTC s */
    int64_t subsidy_sat;     /* subsidy from this height on */
    double difficulty;       /* projected at that height */
} wm_halving;
/* Project the next n halvings from (height, time, difficulty, network hashrate now, growth of
 * the hashrate per year as a continuous rate), applying the retarget rule period by period. */
wm_status wm_btc_halvings(int64_t height, int64_t time, double difficulty, double hashrate_h_s,
                          double growth_per_year, int n, wm_halving *out);

/* ---- economics ---- */
/* Expected BTC per day for a hashrate at a difficulty (uses D, not realised blocks). */
double wm_btc_btc_per_day(double hashrate_h_s, double difficulty, double reward_btc_per_block);
typedef struct wm_hashprice {
    double btc_per_ph_day;
    double usd_per_ph_day;
    double usd_per_th_day;
    double subsidy_share;     /* subsidy / (subsidy + fees) */
} wm_hashprice;
wm_status wm_btc_hashprice(double difficulty, double price_usd_per_btc, double subsidy_btc,
                           double fees_btc_per_block, wm_hashprice *out);
/* Luxor hashcost: E[J/TH] * p[$/MWh] * 24 / 1000 in $/PH/day, times PUE. */
double wm_btc_hashcost_usd_per_ph_day(double eff_j_per_th, double price_usd_per_mwh, double pue);

typedef enum wm_payout { WM_PAYOUT_FPPS, WM_PAYOUT_PPS, WM_PAYOUT_PPLNS } wm_payout;
wm_status wm_btc_parse_payout(const char *text, wm_payout *out);
const char *wm_btc_payout_name(wm_payout p);
/* Share of the gross block reward a miner receives: FPPS/PPLNS pay subsidy + fees, PPS pays the
 * subsidy only; all minus the pool fee. */
double wm_btc_payout_factor(wm_payout p, double pool_fee, double subsidy_btc, double fees_btc);

typedef struct wm_breakeven_in {
    double hashrate_th_s, power_w;   /* per machine */
    double hashprice_usd_per_ph_day; /* gross (subsidy + fees) */
    double payout_factor;            /* from wm_btc_payout_factor, 1 = gross */
    double pue;                      /* facility power / IT power */
    double uptime;                   /* 0..1 */
    double price_usd_per_mwh;        /* for profit */
} wm_breakeven_in;
typedef struct wm_breakeven {
    double revenue_usd_per_day, power_cost_usd_per_day, profit_usd_per_day;
    double breakeven_usd_per_mwh;    /* power price at which profit = 0 */
    double eff_j_per_th;
    double hashcost_usd_per_ph_day;
} wm_breakeven;
wm_status wm_btc_breakeven(const wm_breakeven_in *in, wm_breakeven *out);

/* Production cost per BTC. Electrical: energy per BTC * power price. All-in adds capex
 * depreciated over its life and opex; both per TH/s. */
typedef struct wm_cost_in {
    double difficulty, subsidy_btc, fees_btc_per_block;
    double eff_j_per_th, price_usd_per_mwh, pue;
    double capex_usd_per_th;      /* hardware price per TH/s */
    double life_years;            /* straight-line depreciation */
    double opex_usd_per_mwh;      /* non-power opex per MWh of facility energy */
    double payout_factor;
} wm_cost_in;
typedef struct wm_cost {
    double energy_mwh_per_btc;
    double electrical_usd_per_btc;
    double depreciation_usd_per_btc;
    double opex_usd_per_btc;
    double all_in_usd_per_btc;
    double sensitivity_usd_per_btc_per_usd_mwh; /* d(cost)/d(price) */
} wm_cost;
wm_status wm_btc_production_cost(const wm_cost_in *in, wm_cost *out);
/* Network-wide (JPMorgan/Capriole EHV form): fleet-average efficiency implied by a cost. */
double wm_btc_implied_fleet_eff(double cost_usd_per_btc, double hashrate_h_s,
                                double price_usd_per_mwh, double btc_per_day);
/* CBECI v1 profitability threshold in J/TH: revenue/day over hashrate, in J at price p. */
double wm_btc_cbeci_threshold_j_per_th(double revenue_usd_per_day, double hashrate_th_s,
                                       double price_usd_per_mwh);

#endif
