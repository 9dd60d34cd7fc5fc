/* btc.c - Bitcoin chain economics (see btc.h; formulas in docs/model-btc.md).
 * Invariant: consensus quantities (subsidy, targets, nBits, retarget) are computed with
 * integers exactly as Bitcoin Core does; doubles appear only for difficulty and economics. */
#include "btc.h"

#include <ctype.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#define TWO32 4294967296.0

/* SPEC: Bitcoin Core validation.cpp GetBlockSubsidy */
wm_status wm_btc_subsidy(int64_t height, int64_t *subsidy_sat)
{
    if (height < 0)
        return WM_EINVAL;
    int64_t halvings = height / WM_HALVING_INTERVAL;
    *subsidy_sat = halvings >= 64 ? 0 : (50 * WM_COIN_SAT) >> halvings;
    return WM_OK;
}

wm_status wm_btc_supply(int64_t height, int64_t *supply_sat)
{
    if (height < -1)
        return WM_EINVAL;
    int64_t total = 0;
    for (int64_t era = 0; era < 64; era++) {
        int64_t start = era * WM_HALVING_INTERVAL;
        if (height < start)
            break;
        int64_t end = start + WM_HALVING_INTERVAL - 1;
        int64_t blocks = (height < end ? height : end) - start + 1;
        total += blocks * ((50 * WM_COIN_SAT) >> era);
    }
    *supply_sat = total;
    return WM_OK;
}

/* SPEC: Bitcoin Core arith_uint256.cpp arith_uint256::SetCompact */
void wm_btc_compact_decode(uint32_t bits, wm_compact *out)
{
    unsigned size = bits >> 24;
    uint32_t word = bits & 0x007fffffu;
    if (size <= 3) {
        word >>= 8 * (3 - size);
        wm_u256_set_u64(&out->target, word);
    } else {
        wm_u256_set_u64(&out->target, word);
        wm_u256_shl(&out->target, 8 * (size - 3));
    }
    out->negative = word != 0 && (bits & 0x00800000u) != 0;
    out->overflow = word != 0 && ((size > 34) || (word > 0xff && size > 33) ||
                                  (word > 0xffff && size > 32));
}

/* SPEC: Bitcoin Core arith_uint256.cpp arith_uint256::GetCompact */
uint32_t wm_btc_compact_encode(const wm_u256 *target, bool negative)
{
    unsigned size = (wm_u256_bits(target) + 7) / 8;
    uint32_t compact;
    if (size <= 3) {
        compact = (uint32_t)(target->w[0] << 8 * (3 - size));
    } else {
        wm_u256 bn = *target;
        wm_u256_shr(&bn, 8 * (size - 3));
        compact = (uint32_t)bn.w[0];
    }
    /* The 0x00800000 bit denotes the sign: if it is set, divide the mantissa by 256. */
    if (compact & 0x00800000u) {
        compact >>= 8;
        size++;
    }
    compact |= (uint32_t)size << 24;
    compact |= (negative && (compact & 0x007fffffu)) ? 0x00800000u : 0;
    return compact;
}

void wm_btc_pow_limit(wm_u256 *out)
{
    /* mainnet consensus.powLimit = 00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff */
    out->w[0] = out->w[1] = out->w[2] = UINT64_MAX;
    out->w[3] = 0x00000000ffffffffull;
}

wm_status wm_btc_parse_bits(const char *s, uint32_t *bits, wm_err *err)
{
    const char *src = "nBits";
    if (!s || !*s)
        return wm_err_set(err, WM_EPARSE, src, 1, 1, "expected nBits as 0x + 8 hex digits (e.g. 0x17034219), got nothing");
    size_t n = strlen(s);
    bool hex = false;
    size_t start = 0;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        hex = true;
        start = 2;
    } else if (n == 8) {
        hex = true; /* Core's RPC prints "bits" as 8 hex digits */
        for (size_t i = 0; i < n; i++)
            if (!isxdigit((unsigned char)s[i]))
                hex = false;
        if (!hex) {
            for (size_t i = 0; i < n; i++)
                if (!isxdigit((unsigned char)s[i]))
                    return wm_err_set(err, WM_EPARSE, src, 1, (long)i + 1,
                                      "expected 8 hex digits (Core's RPC form), got '%c'",
                                      isprint((unsigned char)s[i]) ? s[i] : '?');
        }
    }
    uint64_t v = 0;
    size_t digits = 0;
    for (size_t i = start; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        unsigned d;
        if (isdigit(c))
            d = c - '0';
        else if (hex && isxdigit(c))
            d = (unsigned)(tolower(c) - 'a' + 10);
        else
            return wm_err_set(err, WM_EPARSE, src, 1, (long)i + 1, "expected a %s digit, got '%c'",
                              hex ? "hex" : "decimal", isprint(c) ? c : '?');
        v = v * (hex ? 16 : 10) + d;
        digits++;
        if (v > 0xffffffffull)
            return wm_err_set(err, WM_ERANGE, src, 1, (long)i + 1,
                              "nBits is a 32-bit field: value exceeds 0xffffffff");
    }
    if (digits == 0)
        return wm_err_set(err, WM_EPARSE, src, 1, (long)n + 1, "expected hex digits after 0x");
    *bits = (uint32_t)v;
    return WM_OK;
}

/* SPEC: Bitcoin Core pow.cpp DeriveTarget (validity of a header's nBits) */
wm_status wm_btc_check_bits(uint32_t bits, wm_err *err)
{
    wm_compact c;
    wm_btc_compact_decode(bits, &c);
    wm_u256 lim;
    wm_btc_pow_limit(&lim);
    if (c.negative)
        return wm_err_set(err, WM_EINVAL, "nBits", 0, 0, "0x%08x has the sign bit (0x00800000) set", bits);
    if (c.overflow)
        return wm_err_set(err, WM_ERANGE, "nBits", 0, 0, "0x%08x overflows 256 bits (exponent 0x%02x)",
                          bits, bits >> 24);
    if (wm_u256_is_zero(&c.target))
        return wm_err_set(err, WM_EINVAL, "nBits", 0, 0, "0x%08x encodes a zero target", bits);
    if (wm_u256_cmp(&c.target, &lim) > 0)
        return wm_err_set(err, WM_ERANGE, "nBits", 0, 0,
                          "0x%08x is easier than the mainnet powLimit 0x1d00ffff", bits);
    return WM_OK;
}

/* SPEC: Bitcoin Core rpc/blockchain.cpp GetDifficulty */
double wm_btc_difficulty_bits(uint32_t bits)
{
    int shift = (int)((bits >> 24) & 0xff);
    double diff = (double)0x0000ffff / (double)(bits & 0x00ffffff);
    while (shift < 29) {
        diff *= 256.0;
        shift++;
    }
    while (shift > 29) {
        diff /= 256.0;
        shift--;
    }
    return diff;
}

double wm_btc_difficulty_target(const wm_u256 *target)
{
    return 65535.0 * ldexp(1.0, 208) / wm_u256_to_double(target);
}

wm_status wm_btc_target_from_difficulty(double d, wm_u256 *target)
{
    if (!isfinite(d) || d <= 0)
        return WM_EINVAL;
    return wm_u256_from_double(target, 65535.0 * ldexp(1.0, 208) / d);
}

double wm_btc_hashrate_h_s(double difficulty)
{
    return difficulty * TWO32 / WM_TARGET_SPACING_S;
}

bool wm_btc_is_retarget_height(int64_t height)
{
    return height > 0 && height % WM_RETARGET_INTERVAL == 0;
}

/* SPEC: Bitcoin Core pow.cpp CalculateNextWorkRequired. Only 2015 intervals are measured
 * (first = last - 2015) against 2016 * 600 s: Satoshi's off-by-one, kept for consensus. */
wm_status wm_btc_retarget(uint32_t old_bits, int64_t first_time, int64_t last_time, wm_retarget *out)
{
    memset(out, 0, sizeof *out);
    wm_status st = wm_btc_check_bits(old_bits, NULL);
    if (st != WM_OK)
        return st;
    int64_t span = last_time - first_time;
    out->actual_timespan_s = span;
    if (span < WM_TARGET_TIMESPAN_S / 4)
        span = WM_TARGET_TIMESPAN_S / 4;
    if (span > WM_TARGET_TIMESPAN_S * 4)
        span = WM_TARGET_TIMESPAN_S * 4;
    out->clamped_timespan_s = span;
    out->clamped = span != out->actual_timespan_s;
    wm_compact c;
    wm_btc_compact_decode(old_bits, &c);
    wm_u256 t = c.target, lim;
    wm_u256_mul_u64(&t, (uint64_t)span); /* < 2^224 * 2^23: no wrap for valid bits */
    wm_u256_div_u64(&t, WM_TARGET_TIMESPAN_S);
    wm_btc_pow_limit(&lim);
    if (wm_u256_cmp(&t, &lim) > 0) {
        t = lim;
        out->pow_limited = true;
    }
    out->new_bits = wm_btc_compact_encode(&t, false);
    wm_compact nc;
    wm_btc_compact_decode(out->new_bits, &nc);
    out->new_target = nc.target;
    /* GetDifficulty reads the raw mantissa: use the canonical encoding of the old target so a
     * non-canonical input (0x0108ffff encodes 8) is measured by the target it really holds. */
    out->old_difficulty = wm_btc_difficulty_bits(wm_btc_compact_encode(&c.target, false));
    out->new_difficulty = wm_btc_difficulty_bits(out->new_bits);
    out->change = out->new_difficulty / out->old_difficulty - 1.0;
    return WM_OK;
}

wm_status wm_btc_estimate_retarget(int64_t tip_height, int64_t tip_time, int64_t period_start_time,
                                   double difficulty, wm_diff_estimate *out)
{
    memset(out, 0, sizeof *out);
    if (tip_height < 0 || !(difficulty > 0) || !isfinite(difficulty) || tip_time < period_start_time)
        return WM_EINVAL;
    int64_t start = tip_height - tip_height % WM_RETARGET_INTERVAL;
    int64_t intervals = tip_height - start; /* block intervals observed since the period's first block */
    out->period_start_height = start;
    out->next_retarget_height = start + WM_RETARGET_INTERVAL;
    out->blocks_in_period = intervals + 1;
    out->remaining_blocks = WM_RETARGET_INTERVAL - out->blocks_in_period;
    out->progress = (double)out->blocks_in_period / WM_RETARGET_INTERVAL;
    out->avg_block_time_s = intervals > 0 ? (double)(tip_time - period_start_time) / (double)intervals
                                          : WM_TARGET_SPACING_S;
    if (out->avg_block_time_s <= 0)
        out->avg_block_time_s = 1; /* timestamps may tie; keep the projection finite */
    double span = out->avg_block_time_s * (WM_RETARGET_INTERVAL - 1);
    double lo = WM_TARGET_TIMESPAN_S / 4.0, hi = WM_TARGET_TIMESPAN_S * 4.0;
    span = span < lo ? lo : span > hi ? hi : span;
    out->change = WM_TARGET_TIMESPAN_S / span - 1.0;
    double m = WM_TARGET_SPACING_S / out->avg_block_time_s - 1.0;
    out->change_mempool = m < -0.75 ? -0.75 : m > 3.0 ? 3.0 : m;
    out->estimated_retarget_time =
        tip_time + (int64_t)llround((double)(out->next_retarget_height - tip_height) * out->avg_block_time_s);
    out->next_difficulty = difficulty * (1.0 + out->change);
    return WM_OK;
}

/* Time at which `work` more hashes are done from time ta, with H(t) = h0 * exp(g (t - t0)). */
static double time_after_work(double ta, double t0, double h0, double g_per_s, double work)
{
    if (fabs(g_per_s) < 1e-15)
        return ta + work / h0;
    double x = exp(g_per_s * (ta - t0)) + work * g_per_s / h0;
    if (x <= 0) /* shrinking hashrate never finishes the work */
        return INFINITY;
    return t0 + log(x) / g_per_s;
}

wm_status wm_btc_halvings(int64_t height, int64_t time, double difficulty, double hashrate_h_s,
                          double growth_per_year, int n, wm_halving *out)
{
    if (height < 0 || n < 0 || !(difficulty > 0) || !(hashrate_h_s > 0) || !isfinite(growth_per_year) ||
        !isfinite(difficulty) || !isfinite(hashrate_h_s))
        return WM_EINVAL;
    const double g = growth_per_year / (365.25 * 86400.0);
    const double t0 = (double)time;
    double t = t0, d = difficulty;
    int64_t h = height;
    int64_t period_first = h;  /* first simulated block of the current period */
    double period_t = t;
    int found = 0;
    while (found < n) {
        int64_t next_retarget = h - h % WM_RETARGET_INTERVAL + WM_RETARGET_INTERVAL;
        int64_t next_halving = h - h % WM_HALVING_INTERVAL + WM_HALVING_INTERVAL;
        int64_t target = next_retarget < next_halving ? next_retarget : next_halving;
        if (target / WM_HALVING_INTERVAL >= 64)
            break;
        double work = (double)(target - h) * d * TWO32;
        t = time_after_work(t, t0, hashrate_h_s, g, work);
        if (!isfinite(t) || t > 9.0e15)
            return WM_ERANGE;
        h = target;
        if (h == next_retarget) {
            /* Core measures 2015 intervals against 1,209,600 s; scale a partial first period.
               Applied before a halving at the same height: that block is mined at the new D. */
            double blocks = (double)(h - period_first);
            double span = (t - period_t) * (WM_RETARGET_INTERVAL - 1) / blocks;
            double lo = WM_TARGET_TIMESPAN_S / 4.0, hi = WM_TARGET_TIMESPAN_S * 4.0;
            span = span < lo ? lo : span > hi ? hi : span;
            d *= WM_TARGET_TIMESPAN_S / span;
            period_first = h;
            period_t = t;
        }
        if (h == next_halving) {
            int64_t sub;
            wm_btc_subsidy(h, &sub);
            out[found].height = h;
            out[found].time = (int64_t)llround(t);
            out[found].subsidy_sat = sub;
            out[found].difficulty = d;
            found++;
        }
    }
    return found == n ? WM_OK : WM_ERANGE;
}

double wm_btc_btc_per_day(double hashrate_h_s, double difficulty, double reward_btc_per_block)
{
    return hashrate_h_s * 86400.0 * reward_btc_per_block / (difficulty * TWO32);
}

wm_status wm_btc_hashprice(double difficulty, double price, double subsidy_btc, double fees_btc,
                           wm_hashprice *out)
{
    memset(out, 0, sizeof *out);
    if (!(difficulty > 0) || !isfinite(difficulty) || !(price >= 0) || !isfinite(price) ||
        !(subsidy_btc >= 0) || !(fees_btc >= 0) || !isfinite(fees_btc) || !isfinite(subsidy_btc))
        return WM_EINVAL;
    out->btc_per_ph_day = wm_btc_btc_per_day(1e15, difficulty, subsidy_btc + fees_btc);
    out->usd_per_ph_day = out->btc_per_ph_day * price;
    out->usd_per_th_day = out->usd_per_ph_day / 1000.0;
    out->subsidy_share = subsidy_btc + fees_btc > 0 ? subsidy_btc / (subsidy_btc + fees_btc) : 0;
    return WM_OK;
}

double wm_btc_hashcost_usd_per_ph_day(double eff_j_per_th, double price_usd_per_mwh, double pue)
{
    return eff_j_per_th * price_usd_per_mwh * 24.0 / 1000.0 * pue;
}

wm_status wm_btc_parse_payout(const char *s, wm_payout *out)
{
    if (strcasecmp(s, "fpps") == 0)
        *out = WM_PAYOUT_FPPS;
    else if (strcasecmp(s, "pps") == 0)
        *out = WM_PAYOUT_PPS;
    else if (strcasecmp(s, "pplns") == 0)
        *out = WM_PAYOUT_PPLNS;
    else
        return WM_ENOTFOUND;
    return WM_OK;
}

const char *wm_btc_payout_name(wm_payout p)
{
    return p == WM_PAYOUT_PPS ? "PPS" : p == WM_PAYOUT_PPLNS ? "PPLNS" : "FPPS";
}

double wm_btc_payout_factor(wm_payout p, double pool_fee, double subsidy_btc, double fees_btc)
{
    double gross = subsidy_btc + fees_btc;
    if (gross <= 0)
        return 0;
    double share = p == WM_PAYOUT_PPS ? subsidy_btc / gross : 1.0;
    return share * (1.0 - pool_fee);
}

wm_status wm_btc_breakeven(const wm_breakeven_in *in, wm_breakeven *out)
{
    memset(out, 0, sizeof *out);
    if (!(in->hashrate_th_s > 0) || !(in->power_w > 0) || !(in->pue >= 1) || !(in->uptime >= 0) ||
        in->uptime > 1 || !(in->payout_factor >= 0) || !isfinite(in->hashprice_usd_per_ph_day) ||
        !isfinite(in->price_usd_per_mwh))
        return WM_EINVAL;
    double mwh_day = in->power_w * 24.0 / 1e6 * in->pue * in->uptime;
    out->revenue_usd_per_day =
        in->hashprice_usd_per_ph_day / 1000.0 * in->hashrate_th_s * in->payout_factor * in->uptime;
    out->power_cost_usd_per_day = mwh_day * in->price_usd_per_mwh;
    out->profit_usd_per_day = out->revenue_usd_per_day - out->power_cost_usd_per_day;
    out->eff_j_per_th = in->power_w / in->hashrate_th_s;
    out->breakeven_usd_per_mwh = mwh_day > 0 ? out->revenue_usd_per_day / mwh_day : NAN; /* never runs */
    out->hashcost_usd_per_ph_day =
        wm_btc_hashcost_usd_per_ph_day(out->eff_j_per_th, in->price_usd_per_mwh, in->pue);
    return WM_OK;
}

wm_status wm_btc_production_cost(const wm_cost_in *in, wm_cost *out)
{
    memset(out, 0, sizeof *out);
    double reward = in->subsidy_btc + in->fees_btc_per_block;
    if (!(in->difficulty > 0) || !(reward > 0) || !(in->eff_j_per_th > 0) || !isfinite(in->eff_j_per_th) ||
        !(in->pue >= 1) ||
        !(in->payout_factor > 0) || !(in->life_years > 0) || in->capex_usd_per_th < 0 ||
        in->opex_usd_per_mwh < 0 || !isfinite(in->price_usd_per_mwh))
        return WM_EINVAL;
    double btc_day_per_th = wm_btc_btc_per_day(1e12, in->difficulty, reward) * in->payout_factor;
    double mwh_day_per_th = in->eff_j_per_th * 24.0 / 1e6 * in->pue;
    out->energy_mwh_per_btc = mwh_day_per_th / btc_day_per_th;
    out->electrical_usd_per_btc = out->energy_mwh_per_btc * in->price_usd_per_mwh;
    out->depreciation_usd_per_btc = in->capex_usd_per_th / (in->life_years * 365.25) / btc_day_per_th;
    out->opex_usd_per_btc = out->energy_mwh_per_btc * in->opex_usd_per_mwh;
    out->all_in_usd_per_btc =
        out->electrical_usd_per_btc + out->depreciation_usd_per_btc + out->opex_usd_per_btc;
    out->sensitivity_usd_per_btc_per_usd_mwh = out->energy_mwh_per_btc;
    return WM_OK;
}

double wm_btc_implied_fleet_eff(double cost_usd_per_btc, double hashrate_h_s, double price_usd_per_mwh,
                                double btc_per_day)
{
    double th = hashrate_h_s / 1e12;
    return cost_usd_per_btc * btc_per_day / (th * 24.0 / 1e6 * price_usd_per_mwh);
}

double wm_btc_cbeci_threshold_j_per_th(double revenue_usd_per_day, double hashrate_th_s,
                                       double price_usd_per_mwh)
{
    double usd_per_th = revenue_usd_per_day / (hashrate_th_s * 86400.0); /* per TH of work */
    double usd_per_j = price_usd_per_mwh / 3.6e9;
    return usd_per_th / usd_per_j;
}
