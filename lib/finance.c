/* finance.c - NPV, IRR, payback and risk measures (see finance.h). IRR uses GSL's Brent
 * solver on a bracket found by scanning a rate grid upward from -0.99. */
#include "finance.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

double wm_finance_npv(const double *cf, size_t n, double r)
{
    double v = 0, df = 1.0, k = 1.0 / (1.0 + r);
    for (size_t i = 0; i < n; i++) {
        v += cf[i] * df;
        df *= k;
    }
    return v;
}

typedef struct {
    const double *cf;
    size_t n;
} irr_ctx;
static double irr_f(double r, void *p)
{
    const irr_ctx *c = p;
    return wm_finance_npv(c->cf, c->n, r);
}

wm_status wm_finance_irr(const double *cf, size_t n, double *irr)
{
    if (!cf || n < 2 || !irr)
        return WM_EINVAL;
    irr_ctx c = {cf, n};
    /* grid: -0.99 .. 1e3, denser near zero */
    double lo = -0.99, flo = irr_f(lo, &c), hi = lo, fhi = flo;
    bool found = false;
    for (int k = 1; k <= 400 && !found; k++) {
        double r = k <= 200 ? -0.99 + k * (1.99 / 200.0) : pow(10.0, (k - 200) * (3.0 / 200.0));
        double f = irr_f(r, &c);
        if (f == 0) {
            *irr = r;
            return WM_OK;
        }
        if ((flo < 0) != (f < 0)) {
            hi = r;
            fhi = f;
            found = true;
        } else {
            lo = r;
            flo = f;
        }
    }
    (void)fhi;
    if (!found)
        return WM_EINFEASIBLE;
    gsl_function F = {irr_f, &c};
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!s)
        return WM_ENOMEM;
    if (gsl_root_fsolver_set(s, &F, lo, hi) != GSL_SUCCESS) {
        gsl_root_fsolver_free(s);
        return WM_EINFEASIBLE;
    }
    double root = 0.5 * (lo + hi);
    for (int it = 0; it < 200; it++) {
        if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS)
            break;
        root = gsl_root_fsolver_root(s);
        double a = gsl_root_fsolver_x_lower(s), b = gsl_root_fsolver_x_upper(s);
        if (gsl_root_test_interval(a, b, 1e-14, 1e-13) == GSL_SUCCESS)
            break;
    }
    gsl_root_fsolver_free(s);
    *irr = root;
    return WM_OK;
}

wm_status wm_finance_payback(const double *cf, size_t n, double r, double *periods)
{
    if (!cf || n == 0 || !periods)
        return WM_EINVAL;
    double cum = 0, df = 1.0, k = r > 0 ? 1.0 / (1.0 + r) : 1.0;
    double cum_last_neg = 0, cum_after = 0;
    long last_neg = -1; /* last time index whose cumulative value is < 0 */
    for (size_t i = 0; i < n; i++) {
        cum += cf[i] * df;
        df *= k;
        if (cum < 0) {
            last_neg = (long)i;
            cum_last_neg = cum;
        } else if (last_neg == (long)i - 1) {
            cum_after = cum;
        }
    }
    if (cum < 0)
        return WM_EINFEASIBLE;
    if (last_neg < 0)
        *periods = 0.0;
    else
        *periods = (double)last_neg + (-cum_last_neg) / (cum_after - cum_last_neg);
    return WM_OK;
}

double wm_finance_quantile_sorted(const double *x, size_t n, double q)
{
    if (n == 0)
        return NAN;
    if (q <= 0)
        return x[0];
    if (q >= 1)
        return x[n - 1];
    double h = q * (double)(n - 1);
    size_t i = (size_t)floor(h);
    if (i + 1 >= n)
        return x[n - 1];
    return x[i] + (h - (double)i) * (x[i + 1] - x[i]);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

wm_status wm_finance_risk_of(const double *x, size_t n, double alpha, double *s, wm_finance_risk *o)
{
    if (!x || !s || !o || n == 0 || !(alpha > 0 && alpha < 1))
        return WM_EINVAL;
    memset(o, 0, sizeof *o);
    double sum = 0;
    size_t neg = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return WM_ERANGE;
        sum += x[i];
        neg += x[i] < 0;
    }
    o->n = n;
    o->mean = sum / (double)n;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - o->mean) * (x[i] - o->mean);
    o->sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_d);
    o->min = s[0];
    o->max = s[n - 1];
    o->p5 = wm_finance_quantile_sorted(s, n, 0.05);
    o->p50 = wm_finance_quantile_sorted(s, n, 0.50);
    o->p95 = wm_finance_quantile_sorted(s, n, 0.95);
    o->var = -wm_finance_quantile_sorted(s, n, alpha);
    size_t k = (size_t)ceil(alpha * (double)n);
    if (k < 1)
        k = 1;
    double t = 0;
    for (size_t i = 0; i < k; i++)
        t += s[i];
    o->cvar = -t / (double)k;
    o->p_negative = (double)neg / (double)n;
    return WM_OK;
}
