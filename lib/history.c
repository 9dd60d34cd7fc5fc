/* history.c - daily replay of mining economics on real series (see history.h). */
#include "history.h"
#include "btc.h"

#include <math.h>
#include <string.h>

/* Times of the past halving blocks (block header times; sources in docs/model-btc.md). */
static const int64_t halving_time[] = {
    1354116278, /* 210,000: 2012-11-28 15:24:38 */
    1468082773, /* 420,000: 2016-07-09 16:46:13 */
    1589225023, /* 630,000: 2020-05-11 19:23:43 */
    1713571767, /* 840,000: 2024-04-20 00:09:27 */
};
#define NHALV ((int)(sizeof halving_time / sizeof halving_time[0]))

static double subsidy_at(int64_t t)
{
    int era = 0;
    while (era < NHALV && t >= halving_time[era])
        era++;
    if (era == NHALV) {
        /* later halvings: projected at 600 s per block from the last known one */
        int64_t extra = (t - halving_time[NHALV - 1]) / ((int64_t)WM_HALVING_INTERVAL * WM_TARGET_SPACING_S);
        era += (int)extra;
    }
    int64_t sat;
    wm_btc_subsidy((int64_t)era * WM_HALVING_INTERVAL, &sat);
    return (double)sat / WM_COIN_SAT;
}

double wm_history_subsidy_btc(int64_t day)
{
    for (int i = 0; i < NHALV; i++) {
        if (halving_time[i] > day && halving_time[i] < day + 86400) {
            double before = (double)(halving_time[i] - day) / 86400.0;
            return before * subsidy_at(day) + (1 - before) * subsidy_at(day + 86399);
        }
    }
    return subsidy_at(day);
}

static double value_on(const wm_series *s, int col, int64_t day, bool *ok)
{
    long i = wm_series_at_or_before(s, day);
    if (i < 0 || wm_series_times(s)[i] != day) {
        *ok = false;
        return NAN;
    }
    double v = wm_series_values(s, (size_t)col)[i];
    if (isnan(v))
        *ok = false;
    return v;
}

static bool day_of(const wm_history_in *in, int64_t day, wm_history_day *d)
{
    bool ok = true;
    memset(d, 0, sizeof *d);
    d->day = day;
    d->price_usd_per_btc = value_on(in->price, in->price_col, day, &ok);
    d->difficulty = value_on(in->difficulty, in->difficulty_col, day, &ok);
    double fees = in->fees ? value_on(in->fees, in->fees_col, day, &ok) : 0.0;
    if (!ok || !(d->difficulty > 0) || d->price_usd_per_btc < 0 || fees < 0)
        return false;
    /* blocks that day: the blocks series, else realised hashrate, else the expected 144 */
    d->blocks = NAN;
    if (in->blocks) {
        bool bok = true;
        double b = value_on(in->blocks, in->blocks_col, day, &bok);
        if (bok && b > 0)
            d->blocks = b;
    }
    if (isnan(d->blocks) && in->hashrate) {
        bool hok = true;
        double h = value_on(in->hashrate, in->hashrate_col, day, &hok);
        if (hok && h > 0)
            d->blocks = h * 1e12 * 86400.0 / (d->difficulty * 4294967296.0);
    }
    if (isnan(d->blocks))
        d->blocks = 144.0;
    d->subsidy_btc = wm_history_subsidy_btc(day);
    d->fees_btc_per_block = fees / d->blocks;
    wm_hashprice hp;
    if (wm_btc_hashprice(d->difficulty, d->price_usd_per_btc, d->subsidy_btc, d->fees_btc_per_block, &hp) != WM_OK)
        return false;
    d->hashprice_btc_per_ph_day = hp.btc_per_ph_day;
    d->hashprice_usd_per_ph_day = hp.usd_per_ph_day;
    double th = in->hashrate_th_s * in->uptime;
    d->fleet_btc = hp.btc_per_ph_day * th / 1000.0 * in->payout_factor;
    d->revenue_usd = d->fleet_btc * d->price_usd_per_btc;
    d->power_cost_usd = in->power_kw * in->pue * in->uptime * 24.0 / 1000.0 * in->price_usd_per_mwh;
    d->margin_usd = d->revenue_usd - d->power_cost_usd;
    return true;
}

static bool in_range(const wm_history_in *in, int64_t day)
{
    return !(in->from || in->to) || (day >= in->from && day < in->to);
}

size_t wm_history_count(const wm_history_in *in)
{
    size_t n = 0;
    const int64_t *t = wm_series_times(in->price);
    wm_history_day d;
    for (size_t i = 0; i < wm_series_len(in->price); i++)
        if (t[i] % 86400 == 0 && in_range(in, t[i]) && day_of(in, t[i], &d))
            n++;
    return n;
}

wm_status wm_history_replay(const wm_history_in *in, wm_history_day *out, size_t max, size_t *n,
                            wm_history_summary *sum)
{
    *n = 0;
    memset(sum, 0, sizeof *sum);
    if (!in->price || !in->difficulty || !(in->hashrate_th_s >= 0) || !(in->power_kw >= 0) ||
        !(in->pue >= 1) || !(in->uptime >= 0 && in->uptime <= 1) || !(in->payout_factor >= 0) ||
        !isfinite(in->price_usd_per_mwh))
        return WM_EINVAL;
    const int64_t *t = wm_series_times(in->price);
    sum->min_hashprice_usd_per_ph_day = INFINITY;
    sum->max_hashprice_usd_per_ph_day = -INFINITY;
    for (size_t i = 0; i < wm_series_len(in->price); i++) {
        wm_history_day d;
        if (t[i] % 86400 != 0 || !in_range(in, t[i]) || !day_of(in, t[i], &d))
            continue;
        if (*n < max)
            out[*n] = d;
        (*n)++;
        sum->days++;
        sum->btc += d.fleet_btc;
        sum->revenue_usd += d.revenue_usd;
        sum->power_cost_usd += d.power_cost_usd;
        sum->margin_usd += d.margin_usd;
        sum->days_unprofitable += d.margin_usd < 0;
        if (d.hashprice_usd_per_ph_day < sum->min_hashprice_usd_per_ph_day) {
            sum->min_hashprice_usd_per_ph_day = d.hashprice_usd_per_ph_day;
            sum->min_day = d.day;
        }
        if (d.hashprice_usd_per_ph_day > sum->max_hashprice_usd_per_ph_day) {
            sum->max_hashprice_usd_per_ph_day = d.hashprice_usd_per_ph_day;
            sum->max_day = d.day;
        }
    }
    return *n <= max ? WM_OK : WM_ELIMIT;
}
