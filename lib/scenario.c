/* scenario.c - the daily market models (see scenario.h; formulas in docs/model-mc.md).
 * Random events that are rare (price jumps, fee and power spikes, AI shocks, tenant defaults)
 * are drawn as exponential waiting times, one draw per event, never one per day, from per-lane
 * scalar streams; the daily normals of the lanes come 4 days at a time from one vectorised
 * Philox + inverse-CDF batch; days on which a lane crosses a retarget or halving are finished
 * lane by lane in scalar code. */
/* The whole file at O3: the step's loops vectorise, and with one level everywhere the inline
 * math of fmath.h and rng.h inlines into the target_clones step. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif
#include "scenario.h"

#include "btc.h"
#include "fmath.h"
#include "scenario_defaults.h"
#include "series.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_S 86400.0
#define YEAR_D 365.0
/* expected hashes per unit difficulty */
#define TWO32 4294967296.0

/* ---- parameter table ---- */
#define N_ WM_PARAM_NUM
#define I_ WM_PARAM_INT
#define F_ WM_PARAM_FLAG
const wm_param wm_scenario_table[] = {
    {"start", "start_time_unix_s", I_, "s", (double)WM_SCN_START_TIME, 1230768000, 4102444800, NULL, "start of day 0 (UTC, 00:00)"},
    {"price0", "price0_usd_per_btc", N_, "USD/BTC", WM_SCN_PRICE0, 1, 1e8, NULL, "BTC price at start"},
    {"height0", "height0", I_, "", WM_SCN_HEIGHT0, 0, 6929999, NULL, "tip height at start"},
    {"difficulty0", "difficulty0", N_, "", WM_SCN_DIFFICULTY0, 1, 1e18, NULL, "difficulty at start"},
    {"period-start", "period_start_time_unix_s", I_, "s", 0, 0, 4102444800, NULL, "time of the first block of the current retarget period (0 = estimate)"},
    {"hashrate0", "hashrate0_h_s", N_, "H/s", WM_SCN_HASHRATE0, 0, 1e24, NULL, "network hashrate at start (0 = difficulty-implied)"},
    {"fees0", "fees0_btc_per_block", N_, "BTC/block", WM_SCN_FEES0, 1e-6, 100, NULL, "fees per block at start"},
    {"power0", "power0_usd_per_mwh", N_, "USD/MWh", WM_SCN_POWER0, 0.01, 10000, NULL, "daily power price at start"},
    {"gpu0", "gpu0_usd_per_gpu_hour", N_, "USD/GPU-h", 2.35, 0.01, 100, NULL, "H100 rent at start (SemiAnalysis index Mar 2026)"},
    {"tokens0", "tokens0_usd_per_mtok", N_, "USD/Mtok", 0.42, 0.001, 1000, NULL, "output token price at start (DeepSeek V3.2 list, late 2025; ai.md section 3d; as `wattmux ai`)"},
    {"price-model", "price_model", I_, "", 0, 0, 1, NULL, "0 = jump-diffusion, 1 = block bootstrap of history"},
    /* Planning default: a flat median (log drift 0). The drift fitted on 2015-2026 (WM_SCN_PRICE_DRIFT,
       ~0.48/yr, printed by `wattmux calibrate`) describes the past; used as a forecast it puts the
       median BTC price at ~$8M in ten years. The user states a view with --price-drift. */
    {"price-drift", "price_drift_per_year", N_, "1/yr", 0.0, -2, 2, NULL, "expected log-return of BTC per year, jumps included (planning assumption; calibrate prints the historical fit)"},
    {"price-vol", "price_vol_per_year", N_, "1/sqrt(yr)", WM_SCN_PRICE_VOL, 0, 5, NULL, "diffusion volatility of BTC"},
    {"jump-rate", "jump_per_year", N_, "1/yr", WM_SCN_JUMP_RATE, 0, 365, NULL, "BTC jump intensity"},
    {"jump-mean", "jump_mean_log", N_, "log", WM_SCN_JUMP_MEAN, -3, 3, NULL, "mean log jump size"},
    {"jump-sd", "jump_sd_log", N_, "log", WM_SCN_JUMP_SD, 0, 3, NULL, "sd of the log jump size"},
    {"boot-block", "boot_block_days", I_, "d", 30, 1, 3650, NULL, "bootstrap block length"},
    {"boot-demean", "boot_demean", I_, "", 1, 0, 1, NULL, "bootstrap: replace the history's drift by --price-drift"},
    {"hash-level", "hash_level_log_h_s", N_, "log H/s", WM_SCN_HASH_LEVEL, -100, 200, NULL, "a in log H* = a + b ema(log revenue USD/day) + g (t - 2020)"},
    {"hash-elasticity", "hash_elasticity", N_, "", WM_SCN_HASH_ELASTICITY, 0, 3, NULL, "b: elasticity of equilibrium hashrate to revenue"},
    {"hash-trend", "hash_trend_per_year", N_, "1/yr", WM_SCN_HASH_TREND, -1, 2, NULL, "g: efficiency gains of new ASIC generations, log per year"},
    {"hash-adjust", "hash_adjust_per_day", N_, "1/d", WM_SCN_HASH_ADJUST, 0, 1, NULL, "share of the gap to equilibrium closed per day"},
    {"hash-lag", "hash_lag_days", N_, "d", WM_SCN_HASH_LAG, 1, 1000, NULL, "time constant of the revenue average miners respond to"},
    {"revenue-ema0", "revenue_ema0_log_usd_per_day", N_, "log USD/d", WM_SCN_REV_EMA0, 0, 40, NULL, "initial revenue average miners respond to (0 = revenue at start)"},
    {"hash-vol", "hash_vol_per_day", N_, "1/sqrt(d)", WM_SCN_HASH_VOL, 0, 1, NULL, "daily log-hashrate noise"},
    {"fee-level", "fee_level_btc_per_block", N_, "BTC/block", WM_SCN_FEE_LEVEL, 1e-6, 100, NULL, "long-run (geometric mean) fees per block"},
    {"fee-revert", "fee_revert_per_day", N_, "1/d", WM_SCN_FEE_REVERT, 0, 1, NULL, "mean reversion of log fees"},
    {"fee-vol", "fee_vol_per_day", N_, "1/sqrt(d)", WM_SCN_FEE_VOL, 0, 5, NULL, "daily noise of log fees"},
    {"fee-spike-rate", "fee_spike_per_year", N_, "1/yr", WM_SCN_FEE_SPIKE_RATE, 0, 365, NULL, "fee spike intensity (ordinals, runes, halving day)"},
    {"fee-spike-mean", "fee_spike_mean_log", N_, "log", WM_SCN_FEE_SPIKE_MEAN, 0, 10, NULL, "mean (exponential) log size of a fee spike"},
    {"fee-cap", "fee_cap_btc_per_block", N_, "BTC/block", 10, 1e-6, 1000, NULL, "ceiling of fees per block (record daily mean: 9.3 BTC/block, 2024-04-20)"},
    {"power-level", "power_level_usd_per_mwh", N_, "USD/MWh", WM_SCN_POWER_LEVEL, 0.01, 10000, NULL, "long-run (geometric mean) daily power price"},
    {"power-revert", "power_revert_per_day", N_, "1/d", WM_SCN_POWER_REVERT, 0, 1, NULL, "mean reversion of the log daily power price"},
    {"power-vol", "power_vol_per_day", N_, "1/sqrt(d)", WM_SCN_POWER_VOL, 0, 5, NULL, "daily noise of the log power price"},
    {"power-spike-rate", "power_spike_per_year", N_, "1/yr", WM_SCN_POWER_SPIKE_RATE, 0, 365, NULL, "power price spike intensity"},
    {"power-spike-mean", "power_spike_mean_log", N_, "log", WM_SCN_POWER_SPIKE_MEAN, 0, 10, NULL, "mean (exponential) log size of a power spike"},
    {"gpu-trend", "gpu_trend_per_year", N_, "1/yr", -0.18, -3, 1, NULL, "expected log change of $/GPU-hour per year, shocks included (H100 $3.49 Jan 2024 -> $2.35 Mar 2026, R1 shock within)"},
    {"gpu-vol", "gpu_vol_per_year", N_, "1/sqrt(yr)", 0.10, 0, 3, NULL, "volatility of log $/GPU-hour"},
    {"tokens-trend", "tokens_trend_per_year", N_, "1/yr", -0.60, -5, 1, NULL, "expected log change of $/M tokens per year, shocks included"},
    {"tokens-vol", "tokens_vol_per_year", N_, "1/sqrt(yr)", 0.10, 0, 3, NULL, "volatility of log $/M tokens"},
    {"ai-shock-rate", "ai_shock_per_year", N_, "1/yr", 0.5, 0, 52, NULL, "intensity of DeepSeek-R1-like AI price shocks"},
    {"gpu-shock", "gpu_shock_log", N_, "log", -0.17, -5, 5, NULL, "log jump of $/GPU-hour at a shock (NVDA -17% on 2025-01-27)"},
    {"tokens-shock", "tokens_shock_log", N_, "log", -0.69, -5, 5, NULL, "log jump of $/M tokens at a shock (-50%)"},
    {"tenant-default", "tenant_default_per_year", N_, "1/yr", 0.02, 0, 10, NULL, "colocation tenant default intensity"},
    {"tenant-relet", "tenant_relet_days", N_, "d", 270, 0, 3650, NULL, "vacancy before a new tenant pays"},
    {"tenant-relet-rent", "tenant_relet_rent_factor", N_, "", 0.8, 0, 2, NULL, "rent of a new tenant relative to the previous one"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};
#undef N_
#undef I_
#undef F_

typedef enum { T_D, T_I64, T_INT, T_BOOL } field_type;
typedef struct {
    size_t off;
    field_type type;
} field;
#define FD(f) {offsetof(wm_scenario_params, f), T_D}
#define FI(f) {offsetof(wm_scenario_params, f), T_I64}
#define FN(f) {offsetof(wm_scenario_params, f), T_INT}
#define FB(f) {offsetof(wm_scenario_params, f), T_BOOL}
static const field fields[] = {
    FI(start_time), FD(price0_usd_per_btc), FI(height0), FD(difficulty0), FI(period_start_time),
    FD(hashrate0_h_s), FD(fees0_btc_per_block), FD(power0_usd_per_mwh), FD(gpu0_usd_per_gpu_hour),
    FD(tokens0_usd_per_mtok), FN(price_model), FD(price_drift_per_year), FD(price_vol_per_year),
    FD(jump_per_year), FD(jump_mean_log), FD(jump_sd_log), FN(boot_block_days), FB(boot_demean),
    FD(hash_level), FD(hash_elasticity), FD(hash_trend_per_year), FD(hash_adjust_per_day),
    FD(hash_lag_days), FD(revenue_ema0_log_usd_per_day), FD(hash_vol_per_day), FD(fee_level_btc_per_block), FD(fee_revert_per_day),
    FD(fee_vol_per_day), FD(fee_spike_per_year), FD(fee_spike_mean_log), FD(fee_cap_btc_per_block), FD(power_level_usd_per_mwh),
    FD(power_revert_per_day), FD(power_vol_per_day), FD(power_spike_per_year),
    FD(power_spike_mean_log), FD(gpu_trend_per_year), FD(gpu_vol_per_year),
    FD(tokens_trend_per_year), FD(tokens_vol_per_year), FD(ai_shock_per_year), FD(gpu_shock_log),
    FD(tokens_shock_log), FD(tenant_default_per_year), FD(tenant_relet_days),
    FD(tenant_relet_rent_factor),
};

void wm_scenario_from_values(const wm_value *v, wm_scenario_params *p)
{
    memset(p, 0, sizeof *p);
    size_t n = sizeof fields / sizeof fields[0];
    for (size_t i = 0; i < n; i++) {
        char *dst = (char *)p + fields[i].off;
        switch (fields[i].type) {
        case T_D: *(double *)(void *)dst = v[i].num; break;
        case T_I64: *(int64_t *)(void *)dst = (int64_t)v[i].num; break;
        case T_INT: *(int *)(void *)dst = (int)v[i].num; break;
        case T_BOOL: *(bool *)(void *)dst = v[i].num != 0; break;
        }
    }
}

void wm_scenario_defaults(wm_scenario_params *p)
{
    wm_value v[sizeof fields / sizeof fields[0] + 1];
    wm_param_defaults(wm_scenario_table, v);
    wm_scenario_from_values(v, p);
}

wm_status wm_scenario_check(const wm_scenario_params *p, wm_err *err)
{
    size_t n = sizeof fields / sizeof fields[0];
    if (wm_param_count(wm_scenario_table) != n)
        return wm_err_set(err, WM_EINVAL, "scenario", 0, 0, "parameter table and fields differ");
    for (size_t i = 0; i < n; i++) {
        const char *src = (const char *)p + fields[i].off;
        double x = 0;
        switch (fields[i].type) {
        case T_D: x = *(const double *)(const void *)src; break;
        case T_I64: x = (double)*(const int64_t *)(const void *)src; break;
        case T_INT: x = *(const int *)(const void *)src; break;
        case T_BOOL: x = *(const bool *)(const void *)src; break;
        }
        const wm_param *t = &wm_scenario_table[i];
        if (!(x >= t->min && x <= t->max))
            return wm_err_set(err, WM_ERANGE, "scenario", 0, 0, "%s = %g %s is outside [%g, %g]",
                              t->key, x, t->unit, t->min, t->max);
    }
    if (p->price_model == WM_PRICE_BOOTSTRAP &&
        (!p->boot_returns || p->boot_n < (size_t)p->boot_block_days))
        return wm_err_set(err, WM_EINVAL, "scenario", 0, 0,
                          "bootstrap needs at least boot_block_days (%d) historical returns, got %zu",
                          p->boot_block_days, p->boot_returns ? p->boot_n : 0);
    for (int m = 0; m < 12; m++)
        if (p->shapes_per_month[m] < 0)
            return wm_err_set(err, WM_EINVAL, "scenario", 0, 0, "negative shape count for month %d", m + 1);
    const double ev[5] = {p->event_price_log, p->event_hash_log, p->event_gpu_log, p->event_tokens_log,
                          p->event_ai_shocks};
    for (int k = 0; k < 5; k++)
        if (!(fabs(ev[k]) <= 50))
            return wm_err_set(err, WM_ERANGE, "scenario", 0, 0, "a stress event's log change or shock count %g is outside [-50, 50]", ev[k]);
    if (!(p->event_tenant_factor >= 0 && p->event_tenant_factor <= 1000))
        return wm_err_set(err, WM_ERANGE, "scenario", 0, 0, "stress tenant default factor %g is outside [0, 1000]",
                          p->event_tenant_factor);
    if (p->event_day < 0 || p->event_day > WM_SCENARIO_MAX_DAYS || p->event_power_n < 0 ||
        (p->event_power_n > 0 && !p->event_power))
        return wm_err_set(err, WM_EINVAL, "scenario", 0, 0, "stress event day %d outside [0, %d] or power levels missing",
                          p->event_day, WM_SCENARIO_MAX_DAYS);
    for (int k = 0; k < p->event_power_n; k++)
        if (!(p->event_power[k] > -1e4 && p->event_power[k] < 1e5))
            return wm_err_set(err, WM_ERANGE, "scenario", 0, 0, "stress power level %g USD/MWh is outside (-1e4, 1e5)",
                              p->event_power[k]);
    return WM_OK;
}

void wm_scenario_zero_vol(wm_scenario_params *p)
{
    p->price_vol_per_year = 0;
    p->jump_per_year = 0;
    p->hash_vol_per_day = 0;
    p->fee_vol_per_day = 0;
    p->fee_spike_per_year = 0;
    p->power_vol_per_day = 0;
    p->power_spike_per_year = 0;
    p->gpu_vol_per_year = 0;
    p->tokens_vol_per_year = 0;
    p->ai_shock_per_year = 0;
    p->tenant_default_per_year = 0;
}

/* Next event time (days since start) of a Poisson process with `rate_per_day`, from `from`. */
static double next_arrival(wm_rng *r, bool random, double rate_per_day, double from)
{
    if (!random || !(rate_per_day > 0))
        return INFINITY;
    return from + wm_rng_exponential(r) / rate_per_day;
}

static void draw_setup(const wm_scenario_params *p, wm_scenario_state *s);

/* No noise, jump, spike or shock moves a level (the tenant and the day shapes may be random). */
static bool levels_deterministic(const wm_scenario_params *p)
{
    return p->price_model == WM_PRICE_JUMP_DIFFUSION && p->price_vol_per_year == 0 && p->jump_per_year == 0 &&
           p->fee_vol_per_day == 0 && p->fee_spike_per_year == 0 && p->hash_vol_per_day == 0 &&
           p->power_vol_per_day == 0 && p->power_spike_per_year == 0 && p->gpu_vol_per_year == 0 &&
           p->tokens_vol_per_year == 0 && p->ai_shock_per_year == 0;
}

/* Difficulty D of lane l and what the step needs of it: blocks per day per H/s,
 * 86400 / (D 2^32) (H_D = D 2^32 / 600 gives 144 blocks a day), and BTC per PH/s-day per BTC of
 * block reward, 1e15 times that. */
static void set_difficulty(wm_scenario_state *s, unsigned l, double d)
{
    s->difficulty[l] = d;
    s->blk_per_h[l] = (86400.0 / TWO32) / d;
    s->hp_per_btc[l] = 1e15 * s->blk_per_h[l];
}
/* The same from canonical nBits: D = GetDifficulty (65535 / mantissa, times 256 per byte of
 * exponent below 29, an exact power of two) and 1 / D from the bits too, so the two divisions
 * run side by side. */
static void set_difficulty_bits(wm_scenario_state *s, unsigned l, uint32_t bits)
{
    const int e = (int)(bits >> 24);
    const double m = (double)(bits & 0x00ffffffu);
    s->bits[l] = bits;
    s->difficulty[l] = 65535.0 / m * wm_fm_from_bits((uint64_t)(1023 + 8 * (29 - e)) << 52);
    s->blk_per_h[l] = (86400.0 / TWO32) * m / 65535.0 * wm_fm_from_bits((uint64_t)(1023 - 8 * (29 - e)) << 52);
    s->hp_per_btc[l] = 1e15 * s->blk_per_h[l];
}

/* Lane l's earliest pending rare event. */
static double lane_next_rare(const wm_scenario_state *s, unsigned l)
{
    double a = s->next_jump[l] < s->next_fee_spike[l] ? s->next_jump[l] : s->next_fee_spike[l];
    double b = s->next_power_spike[l] < s->next_ai_shock[l] ? s->next_power_spike[l] : s->next_ai_shock[l];
    double c = s->next_default[l] < s->relet_at[l] ? s->next_default[l] : s->relet_at[l];
    a = a < b ? a : b;
    return a < c ? a : c;
}

/* The earliest pending rare event of any lane (one compare a day instead of one per lane),
 * from the lanes' own earliest (kept in lane_rare, refreshed for the lanes that had an event). */
static void update_next_rare(wm_scenario_state *s)
{
    double m = INFINITY;
    for (unsigned l = 0; l < WM_LANES; l++)
        m = m < s->lane_rare[l] ? m : s->lane_rare[l];
    s->next_rare = m;
}

wm_status wm_scenario_start_lanes(const wm_scenario_params *p, uint64_t seed, uint64_t first, bool random,
                                  wm_scenario_state *s)
{
    wm_status st;
    memset(s, 0, sizeof *s);
    s->random = random;
    s->key[0] = (uint32_t)seed;
    s->key[1] = (uint32_t)(seed >> 32);

    /* network: bits from the difficulty, as the chain holds it (compact truncation) */
    wm_u256 target;
    if ((st = wm_btc_target_from_difficulty(p->difficulty0, &target)) != WM_OK)
        return st;
    uint32_t bits = wm_btc_compact_encode(&target, false);
    if ((st = wm_btc_check_bits(bits, NULL)) != WM_OK)
        return st;
    double diff = wm_btc_difficulty_bits(bits), hd = diff * TWO32 / 600.0; /* hashrate implied by D */
    double h0 = p->hashrate0_h_s > 0 ? p->hashrate0_h_s : hd;
    int64_t next_h = p->height0 + 1;
    int64_t in_period = next_h % WM_RETARGET_INTERVAL;
    int64_t sub;
    if ((st = wm_btc_subsidy(next_h, &sub)) != WM_OK)
        return st;
    double subsidy = (double)sub / WM_COIN_SAT;
    double lp0 = log(p->price0_usd_per_btc);
    double ema0 = p->revenue_ema0_log_usd_per_day > 0 ? p->revenue_ema0_log_usd_per_day
                                                      : lp0 + log(144.0 * (subsidy + p->fees0_btc_per_block));
    double years0 = ((double)p->start_time - (double)WM_SCENARIO_EPOCH) / (365.25 * DAY_S);
    double dev0 = log(h0) - (p->hash_level + p->hash_elasticity * ema0 + p->hash_trend_per_year * years0);
    for (unsigned l = 0; l < WM_LANES; l++) {
        uint64_t path = first + l;
        s->path_lo[l] = (uint32_t)path;
        s->path_hi[l] = (uint32_t)(path >> 32);
        wm_rng_init(&s->rng_jump[l], seed, path, WM_STREAM_PRICE_JUMP);
        wm_rng_init(&s->rng_fee_spike[l], seed, path, WM_STREAM_FEE_SPIKE);
        wm_rng_init(&s->rng_power_spike[l], seed, path, WM_STREAM_POWER_SPIKE);
        wm_rng_init(&s->rng_ai_jump[l], seed, path, WM_STREAM_AI_JUMP);
        wm_rng_init(&s->rng_tenant[l], seed, path, WM_STREAM_TENANT);
        s->bits[l] = bits;
        s->difficulty[l] = diff;
        set_difficulty(s, l, diff);
        s->hash_h_s[l] = h0;
        s->c[l] = (double)next_h;
        s->next_retarget[l] = next_h - in_period + WM_RETARGET_INTERVAL;
        s->period_first_time[l] = p->period_start_time > 0 ? p->period_start_time
                                  : in_period > 0 ? p->start_time - in_period * WM_TARGET_SPACING_S
                                                  : p->start_time + WM_TARGET_SPACING_S;
        s->subsidy_btc[l] = subsidy;
        s->next_halving[l] = (next_h / WM_HALVING_INTERVAL + 1) * WM_HALVING_INTERVAL;
        s->next_event[l] = (double)(s->next_retarget[l] < s->next_halving[l] ? s->next_retarget[l] : s->next_halving[l]);
        s->log_price[l] = lp0;
        s->log_fee[l] = log(p->fees0_btc_per_block);
        s->rev_ema[l] = ema0;
        s->hash_dev[l] = dev0;
        s->log_power[l] = log(p->power0_usd_per_mwh);
        s->log_gpu[l] = log(p->gpu0_usd_per_gpu_hour);
        s->log_tokens[l] = log(p->tokens0_usd_per_mtok);
        s->next_jump[l] = next_arrival(&s->rng_jump[l], random, p->jump_per_year / YEAR_D, 0);
        s->next_fee_spike[l] = next_arrival(&s->rng_fee_spike[l], random, p->fee_spike_per_year / YEAR_D, 0);
        s->next_power_spike[l] = next_arrival(&s->rng_power_spike[l], random, p->power_spike_per_year / YEAR_D, 0);
        s->next_ai_shock[l] = next_arrival(&s->rng_ai_jump[l], random, p->ai_shock_per_year / YEAR_D, 0);
        s->next_default[l] = next_arrival(&s->rng_tenant[l], random, p->tenant_default_per_year / YEAR_D, 0);
        s->relet_at[l] = INFINITY;
        s->rent_factor[l] = 1.0;
        s->ai_shocks[l] = 0;
    }
    if (p->price_model == WM_PRICE_BOOTSTRAP) {
        if (!p->boot_returns || p->boot_n < (size_t)p->boot_block_days || p->boot_block_days < 1)
            return WM_EINVAL;
        double m = 0;
        for (size_t i = 0; i < p->boot_n; i++)
            m += p->boot_returns[i];
        m /= (double)p->boot_n;
        s->boot_adj = p->boot_demean ? p->price_drift_per_year / YEAR_D - m : 0.0;
        s->boot_det = m + s->boot_adj; /* the projection's daily return: the bootstrap's mean */
    }
    s->start_day = (p->start_time >= 0 ? p->start_time : p->start_time - 86399) / 86400;
    s->log_fee_level = log(p->fee_level_btc_per_block);
    s->log_fee_cap = log(p->fee_cap_btc_per_block);
    s->log_power_level = log(p->power_level_usd_per_mwh);
    s->next_month_day = 0;
    for (unsigned l = 0; l < WM_LANES; l++)
        s->lane_rare[l] = lane_next_rare(s, l);
    update_next_rare(s);
    draw_setup(p, s);
    s->exact = !random || levels_deterministic(p);
    return WM_OK;
}

wm_status wm_scenario_start(const wm_scenario_params *p, uint64_t seed, uint64_t path, bool random,
                            wm_scenario_state *s)
{
    return wm_scenario_start_lanes(p, seed, path, random, s);
}

bool wm_scenario_fast_retarget(uint32_t bits, int64_t first_time, int64_t last_time, uint32_t *new_bits)
{
    int64_t span = last_time - first_time;
    span = span < WM_TARGET_TIMESPAN_S / 4 ? WM_TARGET_TIMESPAN_S / 4 : span;
    span = span > WM_TARGET_TIMESPAN_S * 4 ? WM_TARGET_TIMESPAN_S * 4 : span;
    uint32_t e = bits >> 24, m = bits & 0x007fffffu;
    if (e < 4 || e > 0x1d || m < 0x8000u || (bits & 0x00800000u) || WM_TARGET_TIMESPAN_S != 256 * 4725)
        return false;
    int S = 8 * ((int)e - 3);
    uint64_t q = (((uint64_t)m * (uint64_t)span) << 16) / 4725u; /* < 2^23 2^23 2^16 = 2^62 */
#if defined(__GNUC__)
    int lq = q ? 64 - __builtin_clzll(q) : 0;
#else
    int lq = 0;
    for (uint64_t t = q; t; t >>= 1)
        lq++;
#endif
    int len = lq + S - 24; /* bit length of the new target */
    if (len > 224)         /* above powLimit = 2^224 - 1 */
        return false;
    int size = (len + 7) / 8;
    int sh = 8 * (size - 3) - S + 24;
    if (size <= 3 || sh < 0 || sh > 63)
        return false;
    uint32_t mant = (uint32_t)(q >> sh);
    const uint32_t top = (mant >> 23) & 1u;
    mant >>= 8 * top;
    size += (int)top;
    *new_bits = ((uint32_t)size << 24) | mant;
    return true;
}

/* A retarget or halving reached by lane l at time t (UTC s). */
static void network_event(wm_scenario_state *s, unsigned l, double t)
{
    if ((double)s->next_retarget[l] <= s->c[l]) {
        int64_t last = (int64_t)t; /* floor: t > 0 (start_time >= 2009) */
        uint32_t nb;
        wm_retarget rt;
        /* the period's first block followed its opening retarget by one expected block
           interval, 600 H_D / H = D 2^32 / H seconds (D of this period, H of that day; the cast
           is the floor of a positive number): computed now rather than then, so that division
           is off the chain from that retarget to its day's blocks */
        const double h0 = s->pft_h_s[l];
        const int64_t first = s->period_first_time[l] + (h0 > 0 ? (int64_t)(s->difficulty[l] * TWO32 / h0) : 0);
        if (wm_scenario_fast_retarget(s->bits[l], first, last, &nb)) {
            set_difficulty_bits(s, l, nb);
        } else if (wm_btc_retarget(s->bits[l], first, last, &rt) == WM_OK) {
            s->bits[l] = rt.new_bits;
            set_difficulty(s, l, rt.new_difficulty);
        }
        s->period_first_time[l] = last;
        s->pft_h_s[l] = s->hash_h_s[l];
        s->next_retarget[l] += WM_RETARGET_INTERVAL;
    }
    if ((double)s->next_halving[l] <= s->c[l]) {
        int64_t sub = 0;
        wm_btc_subsidy(s->next_halving[l], &sub);
        s->subsidy_btc[l] = (double)sub / WM_COIN_SAT;
        s->next_halving[l] += WM_HALVING_INTERVAL;
    }
    s->next_event[l] = (double)(s->next_retarget[l] < s->next_halving[l] ? s->next_retarget[l] : s->next_halving[l]);
}

/* Lane l's blocks of a day that holds a retarget or halving: walk from event to event. The
 * test "an event within the remaining time" is the vector step's (next_event - c < rate). */
static void day_with_events(const wm_scenario_params *p, wm_scenario_state *s, unsigned l, double d1, double fee,
                            double *hp_btc, double *blocks, double *sub_mean)
{
    double rem = 1.0, hp = 0, nbs = 0, ss = 0, sub0 = s->subsidy_btc[l];
    const double h = s->hash_h_s[l];
    while (rem > 0) {
        double rate = h * s->blk_per_h[l];
        double hpd = s->hp_per_btc[l] * (s->subsidy_btc[l] + fee);
        if (!(s->next_event[l] - s->c[l] < rate * rem)) {
            double nb = rate * rem;
            hp += rem * hpd;
            nbs += nb;
            ss += nb * s->subsidy_btc[l];
            s->c[l] += nb;
            rem = 0;
        } else {
            double nb = s->next_event[l] - s->c[l];
            double need = nb / rate;
            hp += need * hpd;
            nbs += nb;
            ss += nb * s->subsidy_btc[l];
            s->c[l] = s->next_event[l];
            rem -= need;
            rem = rem < 0 ? 0 : rem;
            network_event(s, l, (double)p->start_time + (d1 - rem) * DAY_S);
        }
    }
    *hp_btc = hp;
    *blocks = nbs;
    /* block-weighted mean subsidy; the subsidy itself on a day without a halving */
    *sub_mean = s->subsidy_btc[l] == sub0 ? sub0 : nbs > 0 ? ss / nbs : s->subsidy_btc[l];
}

/* The Philox blocks of every 4 days: one per drawing model stream and lane (two for the AI
 * stream: $/GPU-hour, then tokens; two for power: normals, then shapes). Slot k of the batch
 * holds counters (step q + off, stream, path low, path high) for the days 4q .. 4q + 3, so a
 * block's counter depends only on (model, q), never on which other models draw. */
static const struct {
    uint32_t stream, step, off;
} draw_block[WM_SCN_NZ + 1] = {{WM_STREAM_PRICE, 1, 0}, {WM_STREAM_FEES, 1, 0}, {WM_STREAM_NETWORK, 1, 0},
                               {WM_STREAM_POWER, 2, 0}, {WM_STREAM_AI, 2, 0},   {WM_STREAM_AI, 2, 1},
                               {WM_STREAM_POWER, 2, 1}}; /* WM_SCN_Z_* order, then the shape words */

static void draw_setup(const wm_scenario_params *p, wm_scenario_state *s)
{
    int shapes = 0;
    for (int k = 0; k < 12; k++)
        shapes |= p->shapes_per_month[k] > 0;
    /* only the streams that draw (a model with zero volatility takes no numbers) */
    const bool on[WM_SCN_NZ + 1] = {p->price_model == WM_PRICE_JUMP_DIFFUSION && p->price_vol_per_year > 0,
                                    p->fee_vol_per_day > 0, p->hash_vol_per_day > 0, p->power_vol_per_day > 0,
                                    p->gpu_vol_per_year > 0, p->tokens_vol_per_year > 0, shapes};
    unsigned n = 0;
    for (unsigned k = 0; k <= WM_SCN_NZ; k++) {
        s->draw_slot[k] = on[k] ? (int)n : -1;
        if (k < WM_SCN_NZ)
            s->z_off[k] = n * WM_LANES; /* read only when the model draws */
        if (!on[k])
            continue;
        for (unsigned l = 0; l < WM_LANES; l++) {
            unsigned i = n * WM_LANES + l;
            s->draw_step[i] = draw_block[k].step;
            s->draw_off[i] = draw_block[k].off;
            s->draw_ctr[1][i] = draw_block[k].stream;
            s->draw_ctr[2][i] = s->path_lo[l];
            s->draw_ctr[3][i] = s->path_hi[l];
        }
        n++;
    }
    s->draw_n = n * WM_LANES;
}

/* Draws of days day .. day + 3 (day a multiple of 4), all blocks in one vectorised batch. */
static inline __attribute__((always_inline)) void draw_days(wm_scenario_state *s)
{
    enum { W = WM_LANES };
    const uint32_t q = (uint32_t)(s->day / 4);
    const unsigned n = s->draw_n;
    uint32_t w[4][WM_SCN_DRAW_MAX];
    for (unsigned i = 0; i < n; i++)
        s->draw_ctr[0][i] = q * s->draw_step[i] + s->draw_off[i];
    const unsigned m = wm_rng_philox_simd(s->key, n, s->draw_ctr[0], s->draw_ctr[1], s->draw_ctr[2], s->draw_ctr[3],
                                          w[0], w[1], w[2], w[3]);
    wm_rng_philox_n(s->key, n - m, s->draw_ctr[0] + m, s->draw_ctr[1] + m, s->draw_ctr[2] + m, s->draw_ctr[3] + m,
                    w[0] + m, w[1] + m, w[2] + m, w[3] + m);
    /* the normal models' slots come first (the shape words, if drawn, are the last slot) */
    const unsigned nz = n - (s->draw_slot[WM_SCN_NZ] >= 0 ? W : 0);
    for (unsigned d = 0; d < 4; d++)
        wm_rng_normals_n(nz, w[d], s->z[d]);
    if (s->draw_slot[WM_SCN_NZ] >= 0)
        for (unsigned d = 0; d < 4; d++)
            memcpy(s->shape_w[d], w[d] + (unsigned)s->draw_slot[WM_SCN_NZ] * W, sizeof s->shape_w[d]);
}

/* The stress event at the start of day p->event_day, on every lane: the levels' logs move
 * (the hashrate's through its deviation from equilibrium, so it then relaxes as after any
 * shock), the AI shock count moves by event_ai_shocks, the tenant default intensity is
 * multiplied from now on, and the next halving can be brought forward to now. */
static void stress_event(const wm_scenario_params *p, wm_scenario_state *s)
{
    const double hf = exp(p->event_hash_log), day0 = (double)s->day;
    for (unsigned l = 0; l < WM_LANES; l++) {
        s->log_price[l] += p->event_price_log;
        s->hash_dev[l] += p->event_hash_log;
        s->hash_h_s[l] *= hf;
        s->log_gpu[l] += p->event_gpu_log;
        s->log_tokens[l] += p->event_tokens_log;
        s->ai_shocks[l] += p->event_ai_shocks;
        /* a pending default arrival: its remaining exponential time shrinks by the factor (the
           same draw, so the paths stay common; memoryless, so the intensity is x factor from now) */
        if (p->event_tenant_factor > 0 && s->next_default[l] > day0 && s->next_default[l] < INFINITY)
            s->next_default[l] = day0 + (s->next_default[l] - day0) / p->event_tenant_factor;
        s->lane_rare[l] = lane_next_rare(s, l);
        if (p->event_halving) {
            int64_t sub = 0;
            wm_btc_subsidy(s->next_halving[l], &sub);
            s->subsidy_btc[l] = (double)sub / WM_COIN_SAT;
            s->next_halving[l] += WM_HALVING_INTERVAL;
            s->next_event[l] = (double)(s->next_retarget[l] < s->next_halving[l] ? s->next_retarget[l] : s->next_halving[l]);
        }
    }
    update_next_rare(s);
}

/* Rare events of the day (d, d1] for every lane: jumps, spikes, shocks, tenant. */
static void rare_events(const wm_scenario_params *p, wm_scenario_state *s, double d1, double *r)
{
    const bool rnd = s->random;
    unsigned list[WM_LANES], n = 0; /* the lanes with an event today */
    for (unsigned l = 0; l < WM_LANES; l++) {
        list[n] = l;
        n += s->lane_rare[l] < d1;
    }
    for (unsigned k = 0; k < n; k++) {
        const unsigned l = list[k];
        while (s->next_jump[l] < d1) {
            r[l] += p->jump_mean_log + p->jump_sd_log * wm_rng_normal(&s->rng_jump[l]);
            s->next_jump[l] = next_arrival(&s->rng_jump[l], rnd, p->jump_per_year / YEAR_D, s->next_jump[l]);
        }
        while (s->next_fee_spike[l] < d1) {
            s->log_fee[l] += p->fee_spike_mean_log * wm_rng_exponential(&s->rng_fee_spike[l]);
            s->next_fee_spike[l] = next_arrival(&s->rng_fee_spike[l], rnd, p->fee_spike_per_year / YEAR_D,
                                                s->next_fee_spike[l]);
        }
        while (s->next_power_spike[l] < d1) {
            s->log_power[l] += p->power_spike_mean_log * wm_rng_exponential(&s->rng_power_spike[l]);
            s->next_power_spike[l] = next_arrival(&s->rng_power_spike[l], rnd, p->power_spike_per_year / YEAR_D,
                                                  s->next_power_spike[l]);
        }
        while (s->next_ai_shock[l] < d1) {
            s->log_gpu[l] += p->gpu_shock_log;
            s->log_tokens[l] += p->tokens_shock_log;
            s->ai_shocks[l] += 1.0;
            s->next_ai_shock[l] = next_arrival(&s->rng_ai_jump[l], rnd, p->ai_shock_per_year / YEAR_D,
                                               s->next_ai_shock[l]);
        }
        if (s->next_default[l] < d1) {
            s->relet_at[l] = s->next_default[l] + p->tenant_relet_days;
            s->next_default[l] = INFINITY;
        }
        if (s->relet_at[l] < d1) {
            s->rent_factor[l] *= p->tenant_relet_rent_factor;
            const double f = p->event_tenant_factor > 0 && s->relet_at[l] >= p->event_day ? p->event_tenant_factor : 1.0;
            s->next_default[l] = next_arrival(&s->rng_tenant[l], rnd, f * p->tenant_default_per_year / YEAR_D, s->relet_at[l]);
            s->relet_at[l] = INFINITY;
        }
        s->lane_rare[l] = lane_next_rare(s, l);
    }
    update_next_rare(s);
}

/* e^x of every lane for the levels that drive the network (BTC price, fees, hashrate): in
 * double on deterministic paths, so the projection holds to closed forms and btc.h within
 * 1e-12; to 3e-7 on random paths, whose daily noise is 1e-2 and more, at half the cost. */
static inline __attribute__((always_inline)) void level_exp(bool exact, const double *restrict x,
                                                            double *restrict y)
{
    if (exact)
        for (unsigned l = 0; l < WM_LANES; l++)
            y[l] = wm_fexp(x[l]);
    else
        for (unsigned l = 0; l < WM_LANES; l++)
            y[l] = wm_fexp_single(x[l]);
}

/* One day of every lane. The order of the models within the day is fixed (price, fees,
 * blocks, hashrate, power, AI, tenant); the rare events of the day are applied where their
 * model's state is updated, all from their own per-lane streams. */
/* gcc builds one clone per ISA with a run-time resolver (x86-64-v3: AVX2, FMA, BMI and the rest
 * of that level; FMA makes the explicit fma() calls single instructions); clang 14 (the
 * libFuzzer build) emits no resolver for a clone called only from another file, so there the
 * step is built once. */
#if defined(__clang__)
#define WM_STEP_CLONES
#else
#define WM_STEP_CLONES __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#endif
WM_STEP_CLONES
void wm_scenario_step_lanes(const wm_scenario_params *restrict p, wm_scenario_state *restrict s,
                            wm_scenario_lanes *restrict o)
{
    enum { W = WM_LANES };
    const bool rnd = s->random;
    const int dq = s->day & 3;
    const double d1 = (double)s->day + 1.0;
    double r[W], lrev[W];
    /* the day's outputs are computed in place (no copy at the end of the step) */
    double *const price = o->price_usd_per_btc, *const fee = o->fees_btc_per_block;
    double *const hp = o->hashprice_btc_per_ph_day, *const nb = o->blocks, *const ss = o->subsidy_btc;

    if (rnd && dq == 0)
        draw_days(s);
    const float *zt[WM_SCN_NZ]; /* today's normal of each drawing model */
    for (unsigned k = 0; k < WM_SCN_NZ; k++)
        zt[k] = s->z[dq] + s->z_off[k];
    if (s->day == p->event_day)
        stress_event(p, s);

    /* ---- BTC price: the day's log-return ---- */
    if (p->price_model == WM_PRICE_BOOTSTRAP) {
        if (s->boot_left <= 0) {
            uint32_t w[4][W];
            if (rnd)
                wm_rng_philox_lanes(s->key, 0x80000000u + s->boot_block++, WM_STREAM_PRICE, s->path_lo, s->path_hi, w);
            for (unsigned l = 0; l < W; l++)
                s->boot_pos[l] = rnd ? wm_rng_word_below(w[0][l], (uint32_t)(p->boot_n - (size_t)p->boot_block_days + 1)) : 0;
            s->boot_left = p->boot_block_days;
        }
        for (unsigned l = 0; l < W; l++) {
            r[l] = rnd ? p->boot_returns[s->boot_pos[l]] + s->boot_adj : s->boot_det;
            s->boot_pos[l]++;
        }
        s->boot_left--;
    } else {
        const double rdet = (p->price_drift_per_year - p->jump_per_year * p->jump_mean_log) / YEAR_D;
        const double vd = p->price_vol_per_year * sqrt(1.0 / YEAR_D);
        for (unsigned l = 0; l < W; l++)
            r[l] = rdet;
        if (rnd && p->price_vol_per_year > 0)
            for (unsigned l = 0; l < W; l++)
                r[l] = fma(vd, (double)zt[WM_SCN_Z_PRICE][l], r[l]);
    }

    /* ---- fees: mean reversion and noise ---- */
    for (unsigned l = 0; l < W; l++)
        s->log_fee[l] = fma(p->fee_revert_per_day, s->log_fee_level - s->log_fee[l], s->log_fee[l]);
    if (rnd && p->fee_vol_per_day > 0)
        for (unsigned l = 0; l < W; l++)
            s->log_fee[l] = fma(p->fee_vol_per_day, (double)zt[WM_SCN_Z_FEE][l], s->log_fee[l]);
    /* ---- power level: mean reversion and noise ---- */
    for (unsigned l = 0; l < W; l++)
        s->log_power[l] = fma(p->power_revert_per_day, s->log_power_level - s->log_power[l], s->log_power[l]);
    if (rnd && p->power_vol_per_day > 0)
        for (unsigned l = 0; l < W; l++)
            s->log_power[l] = fma(p->power_vol_per_day, (double)zt[WM_SCN_Z_POWER][l], s->log_power[l]);
    /* ---- AI prices: trend and noise ---- */
    /* the trends are expected log changes with the shocks included (they were measured over
     * periods with shocks in them), so the shocks' mean is taken out of the daily drift, as for
     * the BTC price's jumps */
    const double gpu_d = (p->gpu_trend_per_year - p->ai_shock_per_year * p->gpu_shock_log) / YEAR_D;
    const double tok_d = (p->tokens_trend_per_year - p->ai_shock_per_year * p->tokens_shock_log) / YEAR_D;
    for (unsigned l = 0; l < W; l++) {
        s->log_gpu[l] += gpu_d;
        s->log_tokens[l] += tok_d;
    }
    if (rnd && p->gpu_vol_per_year > 0) {
        const double v = p->gpu_vol_per_year * sqrt(1.0 / YEAR_D);
        for (unsigned l = 0; l < W; l++)
            s->log_gpu[l] = fma(v, (double)zt[WM_SCN_Z_GPU][l], s->log_gpu[l]);
    }
    if (rnd && p->tokens_vol_per_year > 0) {
        const double v = p->tokens_vol_per_year * sqrt(1.0 / YEAR_D);
        for (unsigned l = 0; l < W; l++)
            s->log_tokens[l] = fma(v, (double)zt[WM_SCN_Z_TOKENS][l], s->log_tokens[l]);
    }

    /* ---- rare events (jumps, spikes, shocks, tenant), only on days some lane has one ---- */
    if (s->next_rare < d1)
        rare_events(p, s, d1, r);

    for (unsigned l = 0; l < W; l++) {
        s->log_price[l] += r[l];
        s->log_fee[l] = s->log_fee[l] > s->log_fee_cap ? s->log_fee_cap : s->log_fee[l];
    }
    level_exp(s->exact, s->log_price, price);
    level_exp(s->exact, s->log_fee, fee);

    /* ---- blocks: a day without events in one step, else walk its events ---- */
    int any = 0, ev[W];
    for (unsigned l = 0; l < W; l++) {
        double rate = s->hash_h_s[l] * s->blk_per_h[l];
        ev[l] = s->next_event[l] - s->c[l] < rate;
        hp[l] = s->hp_per_btc[l] * (s->subsidy_btc[l] + fee[l]);
        nb[l] = rate;
        ss[l] = s->subsidy_btc[l];
        s->c[l] = ev[l] ? s->c[l] : s->c[l] + rate;
        any |= ev[l];
    }
    if (any) {
        /* the event lanes as a list (no unpredictable branch per lane) */
        unsigned list[W], n = 0;
        for (unsigned l = 0; l < W; l++) {
            list[n] = l;
            n += (unsigned)ev[l];
        }
        for (unsigned k = 0; k < n; k++) {
            unsigned l = list[k];
            day_with_events(p, s, l, d1, fee[l], &hp[l], &nb[l], &ss[l]);
        }
    }

    /* ---- hashrate: equilibrium on lagged revenue plus a mean-reverting deviation ---- */
    const double years = ((double)p->start_time + d1 * DAY_S - (double)WM_SCENARIO_EPOCH) * (1.0 / (365.25 * DAY_S));
    const double xs0 = p->hash_level + p->hash_trend_per_year * years, inv_lag = 1.0 / p->hash_lag_days;
    if (s->exact)
        for (unsigned l = 0; l < W; l++)
            lrev[l] = s->log_price[l] + wm_flog(144.0 * (s->subsidy_btc[l] + fee[l]));
    else
        for (unsigned l = 0; l < W; l++)
            lrev[l] = s->log_price[l] + (double)wm_flogf((float)(144.0 * (s->subsidy_btc[l] + fee[l])));
    for (unsigned l = 0; l < W; l++) {
        s->rev_ema[l] = fma(lrev[l] - s->rev_ema[l], inv_lag, s->rev_ema[l]);
        s->hash_dev[l] *= 1.0 - p->hash_adjust_per_day;
    }
    if (rnd && p->hash_vol_per_day > 0)
        for (unsigned l = 0; l < W; l++)
            s->hash_dev[l] = fma(p->hash_vol_per_day, (double)zt[WM_SCN_Z_NET][l], s->hash_dev[l]);
    double lh[W]; /* log hashrate */
    for (unsigned l = 0; l < W; l++)
        lh[l] = fma(p->hash_elasticity, s->rev_ema[l], xs0) + s->hash_dev[l];
    level_exp(s->exact, lh, s->hash_h_s);

    /* ---- calendar month and day shape ---- */
    if (s->day >= s->next_month_day) {
        int64_t zd = s->start_day + s->day;
        int y;
        unsigned m, dd;
        wm_civil_from_days(zd, &y, &m, &dd);
        s->month = (int)m;
        s->next_month_day = s->day + (int)(wm_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - zd);
    }
    const int nshapes = p->shapes_per_month[s->month - 1];
    if (nshapes > 0 && rnd)
        for (unsigned l = 0; l < W; l++)
            o->shape[l] = (int)wm_rng_word_below(s->shape_w[dq][l], (uint32_t)nshapes);
    else
        for (unsigned l = 0; l < W; l++)
            o->shape[l] = nshapes > 0 ? s->day % nshapes : -1;

    const int pk = s->day - p->event_day; /* a stress week's real levels replace the simulated ones */
    if (pk >= 0 && pk < p->event_power_n)
        for (unsigned l = 0; l < W; l++)
            o->power_usd_per_mwh[l] = p->event_power[pk];
    else
        for (unsigned l = 0; l < W; l++)
            o->power_usd_per_mwh[l] = wm_fexpf(s->log_power[l]);
    for (unsigned l = 0; l < W; l++)
        o->gpu_usd_per_gpu_hour[l] = wm_fexpf(s->log_gpu[l]);
    for (unsigned l = 0; l < W; l++)
        o->tokens_usd_per_mtok[l] = wm_fexpf(s->log_tokens[l]);
    for (unsigned l = 0; l < W; l++) {
        o->hashprice_usd_per_ph_day[l] = hp[l] * price[l];
        o->colo_rent_factor[l] = s->relet_at[l] < INFINITY ? 0.0 : s->rent_factor[l];
    }
    o->hashrate_h_s = s->hash_h_s;
    o->difficulty = s->difficulty;
    o->height = s->c;
    o->ai_shocks = s->ai_shocks;
    o->month = s->month;
    s->day++;
}

void wm_scenario_lanes_get(const wm_scenario_lanes *d, unsigned l, wm_scenario_day *q)
{
    q->price_usd_per_btc = d->price_usd_per_btc[l];
    q->hashrate_h_s = d->hashrate_h_s[l];
    q->difficulty = d->difficulty[l];
    q->height = d->height[l];
    q->blocks = d->blocks[l];
    q->subsidy_btc = d->subsidy_btc[l];
    q->fees_btc_per_block = d->fees_btc_per_block[l];
    q->hashprice_btc_per_ph_day = d->hashprice_btc_per_ph_day[l];
    q->hashprice_usd_per_ph_day = d->hashprice_usd_per_ph_day[l];
    q->power_usd_per_mwh = d->power_usd_per_mwh[l];
    q->gpu_usd_per_gpu_hour = d->gpu_usd_per_gpu_hour[l];
    q->tokens_usd_per_mtok = d->tokens_usd_per_mtok[l];
    q->colo_rent_factor = d->colo_rent_factor[l];
    q->ai_shocks = d->ai_shocks[l];
    q->shape = d->shape[l];
    q->month = d->month;
}

void wm_scenario_step(const wm_scenario_params *p, wm_scenario_state *s, wm_scenario_day *out)
{
    wm_scenario_lanes o;
    wm_scenario_step_lanes(p, s, &o);
    wm_scenario_lanes_get(&o, 0, out);
}

wm_status wm_scenario_project(const wm_scenario_params *p, int ndays, wm_scenario_day *out)
{
    if (ndays < 0 || ndays > WM_SCENARIO_MAX_DAYS)
        return WM_EINVAL;
    wm_scenario_state *s = malloc(sizeof *s);
    if (!s)
        return WM_ENOMEM;
    wm_status st = wm_scenario_start(p, 0, 0, false, s);
    if (st == WM_OK)
        for (int d = 0; d < ndays; d++)
            wm_scenario_step(p, s, &out[d]);
    free(s);
    return st;
}
