/* finance.c - NPV, IRR, payback and risk measures (see finance.h). IRR uses GSL's Brent
 * solver on a bracket found by scanning a rate grid upward from -0.99. */
#include "finance.h"

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

/* NPV and its derivative in r, by Horner in x = 1/(1+r). */
static double npv_d(const double *cf, size_t n, double r, double *dv)
{
    double x = 1.0 / (1.0 + r), v = 0, d = 0; /* d = dV/dx */
    for (size_t i = n; i-- > 0;) {
        d = d * x + v;
        v = v * x + cf[i];
    }
    *dv = -d * x * x; /* dx/dr = -x^2 */
    return v;
}

/* Root of the NPV in [lo, hi] where it changes sign: Newton safeguarded by bisection. */
static double irr_polish(const double *cf, size_t n, double lo, double hi)
{
    double d, flo = npv_d(cf, n, lo, &d);
    double r = 0.1 > lo && 0.1 < hi ? 0.1 : 0.5 * (lo + hi);
    for (int it = 0; it < 300; it++) {
        double f = npv_d(cf, n, r, &d);
        if (f == 0)
            break;
        if ((f < 0) == (flo < 0))
            lo = r, flo = f;
        else
            hi = r;
        double next = d != 0 ? r - f / d : NAN;
        if (!(next > lo && next < hi)) /* Newton left the bracket: bisect */
            next = 0.5 * (lo + hi);
        if (fabs(next - r) <= 1e-15 * fmax(1.0, fabs(r)) || hi - lo <= 1e-14 * fmax(1.0, fabs(r))) {
            r = next;
            break;
        }
        r = next;
    }
    return r;
}

static wm_status irr_unique(const double *cf, size_t n, double *irr)
{
    double lo = -0.99, hi = 1e3, d;
    double flo = npv_d(cf, n, lo, &d), fhi = npv_d(cf, n, hi, &d);
    if (flo == 0 || fhi == 0) {
        *irr = flo == 0 ? lo : hi;
        return WM_OK;
    }
    if ((flo < 0) == (fhi < 0))
        return WM_EINFEASIBLE;
    *irr = irr_polish(cf, n, lo, hi);
    return WM_OK;
}

wm_status wm_finance_irr(const double *cf, size_t n, double *irr)
{
    if (!cf || n < 2 || !irr)
        return WM_EINVAL;
    irr_ctx c = {cf, n};
    /* Conventional flows (one sign change, zeros ignored) have exactly one root in x = 1/(1+r)
     * > 0 (Descartes' rule of signs): bracket it on [-0.99, 1e3], the scan's range, and polish by
     * Newton safeguarded with bisection; other flows take the scan below. */
    int changes = 0;
    double last = 0;
    for (size_t i = 0; i < n; i++)
        if (cf[i] != 0) {
            if (last != 0 && (cf[i] < 0) != (last < 0))
                changes++;
            last = cf[i];
        }
    if (changes == 0) /* no sign change: no root at all */
        return WM_EINFEASIBLE;
    if (changes == 1)
        return irr_unique(cf, n, irr);
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
    double root = irr_polish(cf, n, lo, hi);
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

/* Hoare-style selection: afterwards x[k] is the k-th smallest, x[..k) <= x[k] <= x(k..]. */
static void select_k(double *x, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        double a = x[lo], b = x[lo + (hi - lo) / 2], c = x[hi]; /* median of three */
        double pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
        size_t i = lo, j = hi;
        while (i <= j) {
            while (x[i] < pivot)
                i++;
            while (x[j] > pivot)
                j--;
            if (i <= j) {
                double t = x[i];
                x[i] = x[j];
                x[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

void wm_finance_quantiles(double *x, size_t n, const double *q, size_t nq, double *out)
{
    size_t base = 0; /* x[..base) holds the smallest values, already placed */
    for (size_t m = 0; m < nq; m++) {
        if (n == 0) {
            out[m] = NAN;
            continue;
        }
        double qq = q[m] <= 0 ? 0 : q[m] >= 1 ? 1 : q[m];
        double h = qq * (double)(n - 1);
        size_t i = (size_t)floor(h);
        if (i >= n - 1) {
            i = n - 1;
            h = (double)i;
        }
        if (i >= base) {
            select_k(x + base, n - base, i - base);
            base = i;
        }
        double lo = x[i], v = lo;
        if (h > (double)i) { /* the next order statistic: the smallest above position i */
            double nx = x[i + 1];
            for (size_t k = i + 2; k < n; k++)
                nx = x[k] < nx ? x[k] : nx;
            v = lo + (h - (double)i) * (nx - lo);
        }
        out[m] = v;
    }
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
