/* calibrate.c - fitting the market models on history (see calibrate.h, docs/model-mc.md).
 * Least squares by GSL (gsl_multifit_linear); everything else is plain sums. */
#include "calibrate.h"

#include "history.h"

#include <jansson.h>

#include <gsl/gsl_multifit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400LL
#define TWO32 4294967296.0

/* Value of column col on exactly `day`, NaN if absent. */
static double on_day(const wm_series *s, int col, int64_t day)
{
    if (!s || col < 0)
        return NAN;
    long i = wm_series_at_or_before(s, day);
    if (i < 0 || wm_series_times(s)[i] != day)
        return NAN;
    return wm_series_values(s, (size_t)col)[i];
}

/* Last value at or before day (and its day), NaN if none. */
static double last_on_or_before(const wm_series *s, int col, int64_t day, int64_t *at)
{
    if (!s || col < 0)
        return NAN;
    long i = wm_series_at_or_before(s, day);
    while (i >= 0 && isnan(wm_series_values(s, (size_t)col)[i]))
        i--;
    if (i < 0)
        return NAN;
    if (at)
        *at = wm_series_times(s)[i];
    return wm_series_values(s, (size_t)col)[i];
}

static int64_t floor_day(int64_t t)
{
    return (t >= 0 ? t : t - (DAY - 1)) / DAY * DAY;
}

/* ---- price ---- */
wm_status wm_calibrate_returns(const wm_calibrate_in *in, double **out, size_t *nout, int64_t *first_out,
                               int64_t *last_out, wm_err *err)
{
    const wm_series *s = in->price;
    size_t n = wm_series_len(s);
    const int64_t *t = wm_series_times(s);
    const double *v = wm_series_values(s, (size_t)in->price_col);
    double *r = malloc((n ? n : 1) * sizeof *r);
    *out = NULL;
    *nout = 0;
    if (!r)
        return WM_ENOMEM;
    size_t k = 0;
    int64_t first = 0, last = 0;
    for (size_t i = 1; i < n; i++) {
        if (t[i] > in->to)
            break;
        if (t[i] - 1 < in->from)
            continue;
        if (t[i] - t[i - 1] != DAY || !(v[i] > 0) || !(v[i - 1] > 0))
            continue;
        if (!k)
            first = t[i - 1];
        last = t[i];
        r[k++] = log(v[i] / v[i - 1]);
    }
    if (k < 60) {
        free(r);
        return wm_err_set(err, WM_EINVAL, "calibrate", 0, 0,
                          "price: %zu daily returns up to the fit end, need at least 60", k);
    }
    *out = r;
    *nout = k;
    *first_out = first;
    *last_out = last;
    return WM_OK;
}

static wm_status fit_price(const wm_calibrate_in *in, wm_calibrate_out *o, wm_err *err)
{
    double *r;
    size_t k;
    int64_t first, last;
    wm_status st = wm_calibrate_returns(in, &r, &k, &first, &last, err);
    if (st != WM_OK)
        return st;
    double m = 0, ss = 0;
    for (size_t i = 0; i < k; i++)
        m += r[i];
    m /= (double)k;
    for (size_t i = 0; i < k; i++)
        ss += (r[i] - m) * (r[i] - m);
    double sd = sqrt(ss / (double)(k - 1));
    o->price_mean_per_day = m;
    o->price_sd_per_day = sd;
    /* iterated 4-sigma thresholding: diffusion moments from the returns inside the band */
    double cm = m, cs = sd;
    for (int it = 0; it < 50; it++) {
        double s1 = 0, s2 = 0;
        size_t c = 0;
        for (size_t i = 0; i < k; i++)
            if (fabs(r[i] - cm) <= 4.0 * cs) {
                s1 += r[i];
                s2 += r[i] * r[i];
                c++;
            }
        double nm = s1 / (double)c, ns = sqrt((s2 - (double)c * nm * nm) / (double)(c - 1));
        bool same = ns == cs && nm == cm;
        cm = nm;
        cs = ns;
        if (same)
            break;
    }
    double j1 = 0, j2 = 0;
    size_t nj = 0;
    for (size_t i = 0; i < k; i++)
        if (fabs(r[i] - cm) > 4.0 * cs) {
            j1 += r[i];
            j2 += r[i] * r[i];
            nj++;
        }
    double years = (double)k / 365.0;
    wm_scenario_params *p = &o->p;
    p->price_drift_per_year = m * 365.0;
    p->price_vol_per_year = cs * sqrt(365.0);
    p->jump_per_year = (double)nj / years;
    p->jump_mean_log = nj ? j1 / (double)nj : 0.0;
    p->jump_sd_log = nj > 1 ? sqrt(fmax(0.0, (j2 - (double)nj * p->jump_mean_log * p->jump_mean_log) / (double)(nj - 1)))
                            : 4.0 * cs;
    o->price_jumps = nj;
    o->price.from = first;
    o->price.to = last;
    o->price.n = k;
    o->returns = r;
    o->nreturns = k;
    return WM_OK;
}

/* ---- AR(1) in logs with positive spikes: y' - y = kappa (m - y) + e ---- */
typedef struct ar1 {
    double kappa, level_log, vol, spike_rate, spike_mean;
} ar1;

static wm_status fit_ar1(const double *y0, const double *y1, size_t n, double per_year, ar1 *o)
{
    if (n < 20)
        return WM_EINVAL;
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        double x = y0[i], d = y1[i] - y0[i];
        sx += x;
        sy += d;
        sxx += x * x;
        sxy += x * d;
    }
    double nn = (double)n, beta = (nn * sxy - sx * sy) / (nn * sxx - sx * sx), alpha = (sy - beta * sx) / nn;
    double kappa = -beta;
    if (kappa < 1e-3)
        kappa = 1e-3;
    if (kappa > 1)
        kappa = 1;
    double m = -beta > 1e-3 ? alpha / -beta : sx / nn;
    /* residuals, then 3-sd spikes (positive) removed iteratively */
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double e = y1[i] - y0[i] - (alpha + beta * y0[i]);
        s += e * e;
    }
    s = sqrt(s / (nn - 2));
    size_t ns = 0;
    double spike_sum = 0;
    for (int it = 0; it < 50; it++) {
        double q = 0;
        size_t c = 0;
        ns = 0;
        spike_sum = 0;
        for (size_t i = 0; i < n; i++) {
            double e = y1[i] - y0[i] - (alpha + beta * y0[i]);
            if (e > 3.0 * s) {
                ns++;
                spike_sum += e;
            } else {
                q += e * e;
                c++;
            }
        }
        double s2 = sqrt(q / (double)(c > 2 ? c - 2 : 1));
        if (s2 == s)
            break;
        s = s2;
    }
    o->kappa = kappa;
    o->level_log = m;
    o->vol = s;
    o->spike_rate = (double)ns / (nn / per_year);
    o->spike_mean = ns ? spike_sum / (double)ns : 0.0;
    return WM_OK;
}

/* Blocks mined on `day`: from the height series, else from realised hashrate and difficulty. */
static double blocks_on(const wm_calibrate_in *in, int64_t day)
{
    double h1 = on_day(in->heights, in->height_col, day), h0 = on_day(in->heights, in->height_col, day - DAY);
    if (h1 > 0 && h0 > 0 && h1 > h0)
        return h1 - h0;
    double hr = on_day(in->hashrate, in->hashrate_col, day), d = on_day(in->difficulty, in->difficulty_col, day);
    if (hr > 0 && d > 0)
        return hr * 1e12 * 86400.0 / (d * TWO32);
    return 144.0;
}

/* Fees: the day-to-day noise of fees per block is transient (it does not move a month's
 * revenue), so the AR(1) is fitted on weekly means of log fees per block (7 consecutive days
 * with data) and mapped to a daily AR(1) with the same 7-day behaviour:
 * kappa_d = 1 - (1 - kappa_w)^(1/7), sigma_d = sigma_w sqrt((1 - phi^2) / (1 - phi^14)). */
static wm_status fit_fees(const wm_calibrate_in *in, wm_calibrate_out *o)
{
    size_t cap = 0;
    for (size_t f = 0; f < in->nfees; f++)
        cap += wm_series_len(in->fees[f]) / 7 + 1;
    if (!cap)
        return WM_OK;
    double *y0 = malloc(cap * sizeof *y0), *y1 = malloc(cap * sizeof *y1);
    if (!y0 || !y1) {
        free(y0);
        free(y1);
        return WM_ENOMEM;
    }
    size_t n = 0;
    int64_t first = 0, last = 0;
    double last_y = NAN;
    for (size_t f = 0; f < in->nfees; f++) {
        const wm_series *s = in->fees[f];
        const int64_t *t = wm_series_times(s);
        const double *v = wm_series_values(s, (size_t)in->fees_col[f]);
        size_t len = wm_series_len(s);
        double prev_w = NAN;
        int64_t prev_end = 0;
        for (size_t i = 0; i + 7 <= len; i += 7) {
            double sum = 0;
            bool ok = true;
            for (size_t k = 0; k < 7 && ok; k++) {
                int64_t d = floor_day(t[i + k]);
                ok = d <= in->to && v[i + k] > 0 && (k == 0 || d - floor_day(t[i + k - 1]) == DAY);
                if (ok)
                    sum += log(v[i + k] / blocks_on(in, d));
            }
            if (!ok)
                break;
            double w = sum / 7.0;
            int64_t end = floor_day(t[i + 6]);
            if (!isnan(prev_w) && end - prev_end == 7 * DAY && n < cap) {
                y0[n] = prev_w;
                y1[n] = w;
                n++;
            }
            if (!first || floor_day(t[i]) < first)
                first = floor_day(t[i]);
            if (end > last) {
                last = end;
                last_y = w;
            }
            prev_w = w;
            prev_end = end;
        }
    }
    ar1 a;
    wm_status st = fit_ar1(y0, y1, n, 365.0 / 7.0, &a);
    free(y0);
    free(y1);
    if (st != WM_OK)
        return WM_OK; /* too little data: the prior stays */
    wm_scenario_params *p = &o->p;
    double kd = 1.0 - pow(1.0 - a.kappa, 1.0 / 7.0), phi = 1.0 - kd;
    p->fee_level_btc_per_block = exp(a.level_log);
    p->fee_revert_per_day = kd;
    p->fee_vol_per_day = a.vol * sqrt((1.0 - phi * phi) / (1.0 - pow(phi, 14.0)));
    p->fee_spike_per_year = a.spike_rate;
    p->fee_spike_mean_log = a.spike_mean;
    if (in->to - last <= 30 * DAY)
        p->fees0_btc_per_block = exp(last_y);
    else
        p->fees0_btc_per_block = p->fee_level_btc_per_block;
    o->fees.from = first;
    o->fees.to = last;
    o->fees.n = n;
    return WM_OK;
}

static wm_status fit_power(const wm_calibrate_in *in, wm_calibrate_out *o)
{
    const wm_series *s = in->power;
    if (!s)
        return WM_OK;
    size_t cap = wm_series_len(s) / 20 + 2;
    double *day_mean = malloc(cap * sizeof *day_mean);
    int64_t *days = malloc(cap * sizeof *days);
    double *y0 = malloc(cap * sizeof *y0), *y1 = malloc(cap * sizeof *y1);
    if (!day_mean || !days || !y0 || !y1) {
        free(day_mean);
        free(days);
        free(y0);
        free(y1);
        return WM_ENOMEM;
    }
    /* days after the fit's end are dropped (the series is sorted: they come last) */
    size_t nd = wm_series_day_means(s, (size_t)in->power_col, 20, days, day_mean, cap);
    nd = nd < cap ? nd : cap;
    while (nd > 0 && days[nd - 1] > in->to)
        nd--;
    size_t np = 0;
    for (size_t i = 1; i < nd; i++)
        if (days[i] - days[i - 1] == DAY) {
            /* a daily mean below $1/MWh is floored at $1 for the log model */
            y0[np] = log(fmax(day_mean[i - 1], 1.0));
            y1[np] = log(fmax(day_mean[i], 1.0));
            np++;
        }
    ar1 a;
    wm_status st = fit_ar1(y0, y1, np, 365.0, &a);
    if (st == WM_OK) {
        wm_scenario_params *p = &o->p;
        p->power_level_usd_per_mwh = exp(a.level_log);
        p->power_revert_per_day = a.kappa;
        p->power_vol_per_day = a.vol;
        p->power_spike_per_year = a.spike_rate;
        p->power_spike_mean_log = a.spike_mean;
        p->power0_usd_per_mwh = p->power_level_usd_per_mwh;
        o->power.from = days[0];
        o->power.to = days[nd - 1];
        o->power.n = np;
    }
    free(day_mean);
    free(days);
    free(y0);
    free(y1);
    return WM_OK;
}

/* ---- network hashrate ---- */
static wm_status fit_hash(const wm_calibrate_in *in, wm_calibrate_out *o, wm_err *err)
{
    const wm_series *ps = in->price;
    size_t n = wm_series_len(ps);
    const int64_t *t = wm_series_times(ps);
    const double *pv = wm_series_values(ps, (size_t)in->price_col);
    int64_t d_first = t[0];
    int64_t fit_from = in->from > d_first + 365 * DAY ? in->from : d_first + 365 * DAY;
    size_t nd = (size_t)((in->to - d_first) / DAY + 1);
    double *lrev = malloc(nd * sizeof *lrev), *x = malloc(nd * sizeof *x), *ema = malloc(nd * sizeof *ema);
    if (!lrev || !x || !ema) {
        free(lrev);
        free(x);
        free(ema);
        return WM_ENOMEM;
    }
    double fee = o->p.fee_level_btc_per_block;
    size_t i = 0;
    for (size_t k = 0; k < nd; k++) {
        int64_t day = d_first + (int64_t)k * DAY;
        while (i < n && t[i] < day)
            i++;
        double price = i < n && t[i] == day ? pv[i] : NAN;
        double d = on_day(in->difficulty, in->difficulty_col, day);
        lrev[k] = price > 0 ? log(price * 144.0 * (wm_history_subsidy_btc(day) + fee)) : NAN;
        x[k] = d > 0 ? log(d * TWO32 / 600.0) : NAN;
    }
    /* the efficiency trend: given, from the ASIC list, or (neither) fitted with a and b */
    bool fixg = in->fix_hash_trend;
    double g = in->hash_trend_per_year;
    o->hash_trend_source = fixg ? "given" : "regression";
    if (!fixg && in->nasic) {
        double st = 0, se = 0, stt = 0, ste = 0;
        size_t na = 0;
        for (size_t a = 0; a < in->nasic; a++) {
            double rel = in->asic_release_unix[a];
            if (rel < 1451606400.0 || rel > (double)in->to || !(in->asic_j_per_gh[a] > 0))
                continue; /* models released from 2016-01-01 up to the fit end */
            double yr = rel / (365.25 * 86400.0), le = log(in->asic_j_per_gh[a]);
            st += yr;
            se += le;
            stt += yr * yr;
            ste += yr * le;
            na++;
        }
        if (na >= 5) {
            double slope = ((double)na * ste - st * se) / ((double)na * stt - st * st);
            fixg = true;
            g = -slope;
            o->hash_trend_source = "ASIC efficiency list";
            o->hash_trend_models = na;
        }
    }
    static const double lags[] = {15, 30, 45, 60, 90, 120, 180, 270, 365};
    double best_r2 = -1, best[3] = {0, 0, 0}, best_lag = 0;
    size_t used = 0;
    int64_t used_from = 0, used_to = 0;
    for (size_t L = 0; L < sizeof lags / sizeof lags[0]; L++) {
        double e = NAN;
        for (size_t k = 0; k < nd; k++) {
            if (!isnan(lrev[k]))
                e = isnan(e) ? lrev[k] : e + (lrev[k] - e) / lags[L];
            ema[k] = e;
        }
        size_t m = 0;
        for (size_t k = 0; k < nd; k++) {
            int64_t day = d_first + (int64_t)k * DAY;
            if (day >= fit_from && !isnan(ema[k]) && !isnan(x[k]))
                m++;
        }
        if (m < 100)
            continue;
        const size_t npar = fixg ? 2 : 3;
        gsl_matrix *X = gsl_matrix_alloc(m, npar), *cov = gsl_matrix_alloc(npar, npar);
        gsl_vector *y = gsl_vector_alloc(m), *c = gsl_vector_alloc(npar);
        gsl_multifit_linear_workspace *w = gsl_multifit_linear_alloc(m, npar);
        if (!X || !cov || !y || !c || !w) {
            gsl_matrix_free(X);
            gsl_matrix_free(cov);
            gsl_vector_free(y);
            gsl_vector_free(c);
            gsl_multifit_linear_free(w);
            free(lrev);
            free(x);
            free(ema);
            return WM_ENOMEM;
        }
        size_t r = 0;
        int64_t f0 = 0, f1 = 0;
        double ybar = 0;
        for (size_t k = 0; k < nd; k++) {
            int64_t day = d_first + (int64_t)k * DAY;
            if (day >= fit_from && !isnan(ema[k]) && !isnan(x[k])) {
                double yrs = (double)(day - WM_SCENARIO_EPOCH) / (365.25 * DAY);
                gsl_matrix_set(X, r, 0, 1.0);
                gsl_matrix_set(X, r, 1, ema[k]);
                if (fixg)
                    gsl_vector_set(y, r, x[k] - g * yrs);
                else {
                    gsl_matrix_set(X, r, 2, yrs);
                    gsl_vector_set(y, r, x[k]);
                }
                ybar += x[k];
                if (!r)
                    f0 = day;
                f1 = day;
                r++;
            }
        }
        double chisq;
        int rc = gsl_multifit_linear(X, y, c, cov, &chisq, w);
        ybar /= (double)m;
        double tss = 0; /* R^2 of x itself, also when x - g t was fitted */
        for (size_t k = 0, q = 0; k < nd && q < m; k++) {
            int64_t day = d_first + (int64_t)k * DAY;
            if (day >= fit_from && !isnan(ema[k]) && !isnan(x[k])) {
                tss += (x[k] - ybar) * (x[k] - ybar);
                q++;
            }
        }
        double r2 = 1.0 - chisq / tss;
        if (rc == 0 && r2 > best_r2) {
            best_r2 = r2;
            best_lag = lags[L];
            for (size_t q = 0; q < npar; q++)
                best[q] = gsl_vector_get(c, q);
            if (fixg)
                best[2] = g;
            used = m;
            used_from = f0;
            used_to = f1;
        }
        gsl_matrix_free(X);
        gsl_matrix_free(cov);
        gsl_vector_free(y);
        gsl_vector_free(c);
        gsl_multifit_linear_free(w);
    }
    if (best_r2 < 0) {
        free(lrev);
        free(x);
        free(ema);
        return wm_err_set(err, WM_EINVAL, "calibrate", 0, 0,
                          "hashrate: fewer than 100 days with price and difficulty in the fit window");
    }
    /* deviation u = x - x*: AR(1) at a 14-day horizon, u(t+14) = rho u(t) + e */
    double e = NAN, suu = 0, su1 = 0;
    for (size_t k = 0; k < nd; k++) {
        if (!isnan(lrev[k]))
            e = isnan(e) ? lrev[k] : e + (lrev[k] - e) / best_lag;
        ema[k] = e;
    }
    double *u = lrev; /* reuse: lrev is no longer needed */
    for (size_t k = 0; k < nd; k++) {
        int64_t day = d_first + (int64_t)k * DAY;
        u[k] = isnan(ema[k]) || isnan(x[k]) ? NAN
               : x[k] - (best[0] + best[1] * ema[k] + best[2] * (double)(day - WM_SCENARIO_EPOCH) / (365.25 * DAY));
    }
    size_t cnt = 0;
    for (size_t k = 0; k + 14 < nd; k++) {
        int64_t day = d_first + (int64_t)k * DAY;
        if (day < fit_from || isnan(u[k]) || isnan(u[k + 14]))
            continue;
        suu += u[k] * u[k];
        su1 += u[k] * u[k + 14];
        cnt++;
    }
    double rho = suu > 0 ? su1 / suu : 0;
    if (rho < 0.01)
        rho = 0.01;
    if (rho > 0.9999)
        rho = 0.9999;
    double se = 0;
    for (size_t k = 0; k + 14 < nd; k++) {
        int64_t day = d_first + (int64_t)k * DAY;
        if (day < fit_from || isnan(u[k]) || isnan(u[k + 14]))
            continue;
        double res = u[k + 14] - rho * u[k];
        se += res * res;
    }
    wm_scenario_params *p = &o->p;
    p->hash_level = best[0];
    p->hash_elasticity = best[1];
    p->hash_trend_per_year = best[2];
    p->hash_lag_days = best_lag;
    p->hash_adjust_per_day = 1.0 - pow(rho, 1.0 / 14.0);
    double sd14 = cnt > 1 ? sqrt(se / (double)(cnt - 1)) : 0.0;
    p->hash_vol_per_day = sd14 * sqrt((1.0 - rho * rho) / (1.0 - pow(rho, 28.0)));
    p->revenue_ema0_log_usd_per_day = ema[nd - 1];
    o->hash_r2 = best_r2;
    o->hash_lag_days_best = best_lag;
    o->hash.from = used_from;
    o->hash.to = used_to;
    o->hash.n = used;
    free(lrev);
    free(x);
    free(ema);
    return WM_OK;
}

/* ---- start state at the end of the window ---- */
static wm_status start_state(const wm_calibrate_in *in, wm_calibrate_out *o, wm_err *err)
{
    wm_scenario_params *p = &o->p;
    int64_t at;
    double price = last_on_or_before(in->price, in->price_col, in->to, &at);
    double diff = last_on_or_before(in->difficulty, in->difficulty_col, in->to, NULL);
    if (!(price > 0) || !(diff > 0))
        return wm_err_set(err, WM_EINVAL, "calibrate", 0, 0, "no price or difficulty at or before the fit end");
    p->start_time = in->to + DAY;
    p->price0_usd_per_btc = price;
    p->difficulty0 = diff;
    /* height: last known end-of-day height, then realised blocks day by day */
    int64_t hday = 0;
    double h = last_on_or_before(in->heights, in->height_col, in->to, &hday);
    if (!(h > 0))
        return wm_err_set(err, WM_EINVAL, "calibrate", 0, 0, "no block height at or before the fit end");
    for (int64_t d = hday + DAY; d <= in->to; d += DAY)
        h += blocks_on(in, d);
    p->height0 = (int64_t)floor(h);
    /* hashrate0: mean realised hashrate of the last 14 days (it leads the difficulty) */
    double s = 0;
    int c = 0;
    for (int64_t d = in->to - 13 * DAY; d <= in->to; d += DAY) {
        double v = on_day(in->hashrate, in->hashrate_col, d);
        if (v > 0) {
            s += v;
            c++;
        }
    }
    p->hashrate0_h_s = c ? s / c * 1e12 : 0.0;
    p->period_start_time = 0;
    return WM_OK;
}

wm_status wm_calibrate_fit(const wm_calibrate_in *in, wm_calibrate_out *out, wm_err *err)
{
    if (!in || !out || !in->price || !in->difficulty || !in->hashrate)
        return wm_err_set(err, WM_EINVAL, "calibrate", 0, 0, "price, difficulty and hashrate series are required");
    if (in->nfees > 4)
        return wm_err_set(err, WM_EINVAL, "calibrate", 0, 0, "at most 4 fee series");
    wm_calibrate_out o;
    memset(&o, 0, sizeof o);
    wm_scenario_defaults(&o.p);
    /* prior for fees when no fee data precede the fit end (documented in docs/model-mc.md) */
    o.p.fee_level_btc_per_block = 0.1;
    o.p.fees0_btc_per_block = 0.1;
    o.p.fee_revert_per_day = 0.05;
    o.p.fee_vol_per_day = 0.2;
    o.p.fee_spike_per_year = 2.0;
    o.p.fee_spike_mean_log = 0.7;
    wm_status st;
    if ((st = fit_price(in, &o, err)) != WM_OK)
        return st;
    if ((st = fit_fees(in, &o)) != WM_OK || (st = fit_power(in, &o)) != WM_OK ||
        (st = fit_hash(in, &o, err)) != WM_OK || (st = start_state(in, &o, err)) != WM_OK) {
        free(o.returns);
        return st;
    }
    /* keep fitted values within the table's bounds */
    wm_scenario_params *p = &o.p;
    if (p->hash_elasticity < 0)
        p->hash_elasticity = 0;
    if (p->hash_elasticity > 3)
        p->hash_elasticity = 3;
    if ((st = wm_scenario_check(p, err)) != WM_OK) {
        free(o.returns);
        return st;
    }
    *out = o;
    return WM_OK;
}

void wm_calibrate_out_free(wm_calibrate_out *o)
{
    if (!o)
        return;
    free(o->returns);
    o->returns = NULL;
    o->nreturns = 0;
}

size_t wm_calibrate_header(const wm_calibrate_out *o, char *buf, size_t n)
{
    const wm_scenario_params *p = &o->p;
    char a[11], b[11], c[11], d[11], e[11], f[11], g[11], h[11], s0[11];
    wm_fmt_date(o->price.from, a);
    wm_fmt_date(o->price.to, b);
    wm_fmt_date(o->hash.from, c);
    wm_fmt_date(o->hash.to, d);
    if (o->fees.n) {
        wm_fmt_date(o->fees.from, e);
        wm_fmt_date(o->fees.to, f);
    } else {
        snprintf(e, sizeof e, "prior");
        snprintf(f, sizeof f, "prior");
    }
    if (o->power.n) {
        wm_fmt_date(o->power.from, g);
        wm_fmt_date(o->power.to, h);
    } else {
        snprintf(g, sizeof g, "default");
        snprintf(h, sizeof h, "default");
    }
    wm_fmt_date(p->start_time, s0);
    int len = snprintf(buf, n,
        "/* scenario_defaults.h - shipped defaults of the market models (wm_scenario_table), written by\n"
        " * `wattmux calibrate --write lib/scenario_defaults.h`. Do not edit by hand: re-run calibrate.\n"
        " * Fit periods: price %s..%s (%zu returns, %zu jumps), hashrate %s..%s (%zu days, lag %g d,\n"
        " * R2 %.4f; trend from the %s), fees %s..%s (%zu week pairs), power %s..%s (%zu day pairs).\n"
        " * Start state: %s. */\n"
        "#ifndef WM_SCENARIO_DEFAULTS_H\n#define WM_SCENARIO_DEFAULTS_H\n\n"
        "#define WM_SCN_FIT_FROM \"%s\"\n#define WM_SCN_FIT_TO \"%s\"\n"
        "#define WM_SCN_START_TIME %lldLL\n#define WM_SCN_PRICE0 %.17g\n#define WM_SCN_HEIGHT0 %lld\n"
        "#define WM_SCN_DIFFICULTY0 %.17g\n#define WM_SCN_HASHRATE0 %.17g\n#define WM_SCN_FEES0 %.17g\n#define WM_SCN_POWER0 %.17g\n"
        "#define WM_SCN_PRICE_DRIFT %.17g\n#define WM_SCN_PRICE_VOL %.17g\n#define WM_SCN_JUMP_RATE %.17g\n"
        "#define WM_SCN_JUMP_MEAN %.17g\n#define WM_SCN_JUMP_SD %.17g\n"
        "#define WM_SCN_HASH_LEVEL %.17g\n#define WM_SCN_HASH_ELASTICITY %.17g\n#define WM_SCN_HASH_TREND %.17g\n"
        "#define WM_SCN_HASH_ADJUST %.17g\n#define WM_SCN_HASH_LAG %.17g\n#define WM_SCN_HASH_VOL %.17g\n#define WM_SCN_REV_EMA0 %.17g\n"
        "#define WM_SCN_FEE_LEVEL %.17g\n#define WM_SCN_FEE_REVERT %.17g\n#define WM_SCN_FEE_VOL %.17g\n"
        "#define WM_SCN_FEE_SPIKE_RATE %.17g\n#define WM_SCN_FEE_SPIKE_MEAN %.17g\n"
        "#define WM_SCN_POWER_LEVEL %.17g\n#define WM_SCN_POWER_REVERT %.17g\n#define WM_SCN_POWER_VOL %.17g\n"
        "#define WM_SCN_POWER_SPIKE_RATE %.17g\n#define WM_SCN_POWER_SPIKE_MEAN %.17g\n\n#endif\n",
        a, b, o->price.n, o->price_jumps, c, d, o->hash.n, o->hash_lag_days_best, o->hash_r2,
        o->hash_trend_source ? o->hash_trend_source : "regression", e, f,
        o->fees.n, g, h, o->power.n, s0, a, b, (long long)p->start_time, p->price0_usd_per_btc,
        (long long)p->height0, p->difficulty0, p->hashrate0_h_s, p->fees0_btc_per_block,
        p->power0_usd_per_mwh, p->price_drift_per_year,
        p->price_vol_per_year, p->jump_per_year, p->jump_mean_log, p->jump_sd_log, p->hash_level,
        p->hash_elasticity, p->hash_trend_per_year, p->hash_adjust_per_day, p->hash_lag_days,
        p->hash_vol_per_day, p->revenue_ema0_log_usd_per_day, p->fee_level_btc_per_block, p->fee_revert_per_day, p->fee_vol_per_day,
        p->fee_spike_per_year, p->fee_spike_mean_log, p->power_level_usd_per_mwh,
        p->power_revert_per_day, p->power_vol_per_day, p->power_spike_per_year, p->power_spike_mean_log);
    return len < 0 ? 0 : (size_t)len;
}

static wm_status load_one(wm_calibrate_files *set, const char *dir, const char *rel, const wm_series_opts *o,
                          const char *col, wm_series **s, int *c, wm_err *err)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    wm_status st = wm_series_load(path, o, s, err);
    if (st != WM_OK)
        return st;
    set->s[set->n++] = *s;
    *c = wm_series_col(*s, col);
    if (*c < 0)
        return wm_err_set(err, WM_ENOTFOUND, path, 1, 0, "expected a column named '%s'", col);
    return WM_OK;
}

wm_status wm_calibrate_load(const char *dir, wm_calibrate_files *set, wm_calibrate_in *in, wm_err *err)
{
    memset(set, 0, sizeof *set);
    memset(in, 0, sizeof *in);
    wm_series *s;
    wm_status st;
    wm_series_opts date = {.time_column = "date"};
    wm_series_opts central = {.tz = WM_TZ_US_CENTRAL};
    if ((st = load_one(set, dir, "bitcoin/btc_usd_daily_2015_2026.csv", &date, "price", &s, &in->price_col, err)) != WM_OK)
        goto fail;
    in->price = s;
    if ((st = load_one(set, dir, "bitcoin/difficulty_daily_2009_2026.csv", &date, "difficulty", &s, &in->difficulty_col, err)) != WM_OK)
        goto fail;
    in->difficulty = s;
    if ((st = load_one(set, dir, "bitcoin/hashrate_daily_ths_2009_2026.csv", &date, "hashrate", &s, &in->hashrate_col, err)) != WM_OK)
        goto fail;
    in->hashrate = s;
    if ((st = load_one(set, dir, "bitcoin/blocks_per_day_2009_2025.csv", NULL, "Height", &s, &in->height_col, err)) != WM_OK)
        goto fail;
    in->heights = s;
    if ((st = load_one(set, dir, "bitcoin/blockchaincom_2023-04_2024-04/transaction-fees.csv", NULL, "y", &s,
                       &in->fees_col[0], err)) != WM_OK)
        goto fail;
    in->fees[0] = s;
    if ((st = load_one(set, dir, "bitcoin/fees_daily_btc_2025-11_2026-02.csv", &date, "fees_btc", &s, &in->fees_col[1],
                       err)) != WM_OK)
        goto fail;
    in->fees[1] = s;
    in->nfees = 2;
    if ((st = load_one(set, dir, "power/ercot_rtm_lz_hourly_2023.csv", &central, "LZ_WEST", &s, &in->power_col, err)) != WM_OK)
        goto fail;
    in->power = s;
    {
        char path[1024];
        snprintf(path, sizeof path, "%s/bitcoin/reference/cbeci_asic_efficiency_jgh_2014_2021.json", dir);
        json_error_t je;
        json_t *j = json_load_file(path, 0, &je);
        if (!j || !json_is_array(j)) {
            st = wm_err_set(err, j ? WM_EPARSE : WM_EIO, path, j ? 1 : je.line, j ? 1 : je.column,
                            "expected a JSON array of [model, release unix time, J/GH]%s%s", j ? "" : ": ",
                            j ? "" : je.text);
            json_decref(j);
            goto fail;
        }
        size_t na = json_array_size(j);
        set->asic = malloc((na ? na : 1) * 2 * sizeof *set->asic);
        if (!set->asic) {
            json_decref(j);
            st = WM_ENOMEM;
            goto fail;
        }
        for (size_t i = 0; i < na; i++) {
            json_t *row = json_array_get(j, i);
            json_t *t = json_array_get(row, 1), *e = json_array_get(row, 2);
            if (!json_is_number(t) || !json_is_number(e)) {
                json_decref(j);
                st = wm_err_set(err, WM_EPARSE, path, 0, 0, "row %zu: expected [model, release unix time, J/GH]", i + 1);
                goto fail;
            }
            set->asic[i] = json_number_value(t);
            set->asic[na + i] = json_number_value(e);
        }
        json_decref(j);
        in->asic_release_unix = set->asic;
        in->asic_j_per_gh = set->asic + na;
        in->nasic = na;
    }
    /* default window: the whole price history, up to the last day with price and difficulty */
    const int64_t *pt = wm_series_times(in->price), *dt = wm_series_times(in->difficulty);
    in->from = pt[0];
    int64_t pe = pt[wm_series_len(in->price) - 1], de = dt[wm_series_len(in->difficulty) - 1];
    in->to = pe < de ? pe : de;
    return WM_OK;
fail:
    wm_calibrate_files_free(set);
    return st;
}

void wm_calibrate_files_free(wm_calibrate_files *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        wm_series_free(set->s[i]);
    set->n = 0;
    free(set->asic);
    set->asic = NULL;
}
