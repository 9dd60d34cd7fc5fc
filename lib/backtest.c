/* backtest.c - calibrate, simulate, compare with what happened (see backtest.h). */
#include "backtest.h"

#include "btc.h"
#include "finance.h"
#include "history.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400LL

static double at_day(const wm_series *s, int col, int64_t day)
{
    if (!s || col < 0)
        return NAN;
    long i = wm_series_at_or_before(s, day);
    if (i < 0 || wm_series_times(s)[i] != day)
        return NAN;
    return wm_series_values(s, (size_t)col)[i];
}

/* real fees per block on `day` from any fee file covering it (blocks from the heights file or
 * from realised hashrate), NaN if none */
static double real_fees(const wm_calibrate_in *in, int64_t day)
{
    for (size_t f = 0; f < in->nfees; f++) {
        double v = at_day(in->fees[f], in->fees_col[f], day);
        if (!(v >= 0))
            continue;
        double h1 = at_day(in->heights, in->height_col, day), h0 = at_day(in->heights, in->height_col, day - DAY);
        double blocks = h1 > h0 && h0 > 0 ? h1 - h0 : NAN;
        if (isnan(blocks)) {
            double hr = at_day(in->hashrate, in->hashrate_col, day), d = at_day(in->difficulty, in->difficulty_col, day);
            blocks = hr > 0 && d > 0 ? hr * 1e12 * 86400.0 / (d * 4294967296.0) : 144.0;
        }
        return v / blocks;
    }
    return NAN;
}

static double pct_of(const double *sorted, size_t n, double x)
{
    if (isnan(x))
        return NAN;
    size_t lo = 0, hi = n; /* count of values <= x */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (sorted[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 100.0 * (double)lo / (double)n;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

wm_status wm_backtest_run(const wm_calibrate_in *in0, const wm_backtest_opts *o, wm_backtest_result *r, wm_err *err)
{
    if (!in0 || !o || !r || o->paths < 20 || o->until <= o->fit_to)
        return wm_err_set(err, WM_EINVAL, "backtest", 0, 0, "need at least 20 paths and until > fit end");
    memset(r, 0, sizeof *r);
    wm_calibrate_in in = *in0;
    in.to = o->fit_to;
    wm_status st = wm_calibrate_fit(&in, &r->fit, err);
    if (st != WM_OK)
        return st;
    wm_scenario_params p = r->fit.p;
    p.price_model = o->price_model;
    if (o->price_model == WM_PRICE_BOOTSTRAP) {
        p.boot_returns = r->fit.returns;
        p.boot_n = r->fit.nreturns;
    }
    int ndays = (int)((o->until - p.start_time) / DAY) + 1;
    if (ndays < 1 || ndays > WM_SCENARIO_MAX_DAYS) {
        wm_calibrate_out_free(&r->fit);
        return wm_err_set(err, WM_EINVAL, "backtest", 0, 0, "horizon of %d days is outside [1, %d]", ndays,
                          WM_SCENARIO_MAX_DAYS);
    }
    /* quarter ends within the horizon */
    int qd[WM_BACKTEST_MAX_QUARTERS];
    size_t nq = 0;
    for (int d = 0; d < ndays && nq < WM_BACKTEST_MAX_QUARTERS; d++) {
        int64_t t = p.start_time + (int64_t)d * DAY;
        int y;
        unsigned m, dd, m2, dd2;
        wm_civil_from_days(t / DAY, &y, &m, &dd);
        wm_civil_from_days(t / DAY + 1, &y, &m2, &dd2);
        if (m2 != m && m % 3 == 0)
            qd[nq++] = d;
    }
    if (!nq) {
        wm_calibrate_out_free(&r->fit);
        return wm_err_set(err, WM_EINVAL, "backtest", 0, 0, "no quarter ends between the fit end and until");
    }
    size_t nout = 3 * nq + 1;
    double *out = malloc(o->paths * nout * sizeof *out), *col = malloc(o->paths * sizeof *col);
    if (!out || !col) {
        free(out);
        free(col);
        wm_calibrate_out_free(&r->fit);
        return WM_ENOMEM;
    }
    wm_sim_sample smp = {qd, (int)nq};
    wm_sim_config c;
    memset(&c, 0, sizeof c);
    c.scn = &p;
    c.seed = o->seed;
    c.paths = o->paths;
    c.ndays = ndays;
    c.threads = o->threads;
    c.nout = nout;
    c.day_fn = wm_sim_sample_day_fn;
    c.ctx = &smp;
    st = wm_sim_run(&c, out, err);
    if (st != WM_OK) {
        free(out);
        free(col);
        wm_calibrate_out_free(&r->fit);
        return st;
    }
    r->nq = nq;
    for (size_t k = 0; k < nq; k++) {
        wm_backtest_quarter *q = &r->q[k];
        q->day = p.start_time + (int64_t)qd[k] * DAY;
        q->price_usd_per_btc = at_day(in.price, in.price_col, q->day);
        q->difficulty = at_day(in.difficulty, in.difficulty_col, q->day);
        double fee = real_fees(&in, q->day);
        q->fees_known = !isnan(fee);
        wm_hashprice hp;
        if (q->price_usd_per_btc > 0 && q->difficulty > 0 &&
            wm_btc_hashprice(q->difficulty, q->price_usd_per_btc, wm_history_subsidy_btc(q->day),
                             q->fees_known ? fee : 0.0, &hp) == WM_OK)
            q->hashprice_usd_per_ph_day = hp.usd_per_ph_day;
        else
            q->hashprice_usd_per_ph_day = NAN;
        double real[3] = {q->price_usd_per_btc, q->difficulty, q->hashprice_usd_per_ph_day};
        double *pct[3] = {&q->price_pct, &q->difficulty_pct, &q->hashprice_pct};
        double *band[3][3] = {{&q->price_p5, &q->price_p50, &q->price_p95},
                              {&q->difficulty_p5, &q->difficulty_p50, &q->difficulty_p95},
                              {&q->hashprice_p5, &q->hashprice_p50, &q->hashprice_p95}};
        for (int v = 0; v < 3; v++) {
            for (uint64_t i = 0; i < o->paths; i++)
                col[i] = out[i * nout + 3 * k + (size_t)v];
            qsort(col, o->paths, sizeof *col, cmp_d);
            *pct[v] = pct_of(col, o->paths, real[v]);
            *band[v][0] = wm_finance_quantile_sorted(col, o->paths, 0.05);
            *band[v][1] = wm_finance_quantile_sorted(col, o->paths, 0.50);
            *band[v][2] = wm_finance_quantile_sorted(col, o->paths, 0.95);
            if (!isnan(real[v]) && real[v] >= *band[v][0] && real[v] <= *band[v][2])
                r->inside_90[v]++;
        }
    }
    free(out);
    free(col);
    return WM_OK;
}

void wm_backtest_result_free(wm_backtest_result *r)
{
    if (r)
        wm_calibrate_out_free(&r->fit);
}

wm_status wm_backtest_history_days(const wm_calibrate_in *in, int64_t from, int64_t to, double power,
                                   double gpu, double tokens, wm_scenario_day *out, int max, int *n, wm_err *err)
{
    *n = 0;
    if (to < from)
        return wm_err_set(err, WM_EINVAL, "replay", 0, 0, "the replay ends before it starts");
    for (int64_t t = from; t <= to; t += DAY) {
        char b[11];
        if (*n >= max)
            return wm_err_set(err, WM_ELIMIT, "replay", 0, 0, "more than %d days", max);
        double price = at_day(in->price, in->price_col, t), diff = at_day(in->difficulty, in->difficulty_col, t);
        /* a gap of up to 7 days (the difficulty file misses 2025-11-13..15) holds the last value */
        for (int back = 1; back <= 7 && !(price > 0); back++)
            price = at_day(in->price, in->price_col, t - back * DAY);
        for (int back = 1; back <= 7 && !(diff > 0); back++)
            diff = at_day(in->difficulty, in->difficulty_col, t - back * DAY);
        if (!(price > 0) || !(diff > 0))
            return wm_err_set(err, WM_ENOTFOUND, "replay", 0, 0, "no price or difficulty within 7 days before %s",
                              wm_fmt_date(t, b));
        double fee = real_fees(in, t);
        double sub = wm_history_subsidy_btc(t);
        wm_hashprice hp;
        wm_status st = wm_btc_hashprice(diff, price, sub, isnan(fee) ? 0.0 : fee, &hp);
        if (st != WM_OK)
            return wm_err_set(err, st, "replay", 0, 0, "hashprice on %s", wm_fmt_date(t, b));
        wm_scenario_day *d = &out[(*n)++];
        memset(d, 0, sizeof *d);
        d->price_usd_per_btc = price;
        d->difficulty = diff;
        d->hashrate_h_s = diff * 4294967296.0 / 600.0;
        d->blocks = 144;
        d->subsidy_btc = sub;
        d->fees_btc_per_block = isnan(fee) ? 0.0 : fee;
        d->hashprice_btc_per_ph_day = hp.btc_per_ph_day;
        d->hashprice_usd_per_ph_day = hp.usd_per_ph_day;
        d->power_usd_per_mwh = power;
        d->gpu_usd_per_gpu_hour = gpu;
        d->tokens_usd_per_mtok = tokens;
        d->colo_rent_factor = 1.0;
        d->shape = -1;
        int y;
        unsigned m, dd;
        wm_civil_from_days(t / DAY, &y, &m, &dd);
        d->month = (int)m;
    }
    return WM_OK;
}
