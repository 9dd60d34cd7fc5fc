/* finance.h - project valuation and risk measures over Monte Carlo outcomes: NPV, IRR, payback,
 * quantiles (linear interpolation between order statistics, Hyndman-Fan type 7, the NumPy
 * default), Value-at-Risk and Conditional VaR, probability of loss. Conventions: cash flow cf[0]
 * falls at t = 0 (undiscounted), cf[k] at the end of period k; rates are per period. VaR and
 * CVaR at level alpha are reported as losses (positive = money lost): VaR = -q_alpha(X),
 * CVaR = -mean of the ceil(alpha n) smallest outcomes. Formulas: docs/model-mc.md. Pure
 * functions; no allocation except where a scratch buffer is passed in. */
#ifndef WM_FINANCE_H
#define WM_FINANCE_H

#include "wattmux.h"

double wm_finance_npv(const double *cf, size_t n, double rate_per_period);
/* The internal rate of return: the lowest rate in (-0.99, 1e3) where the NPV changes sign
 * (Brent's method inside that bracket). WM_EINFEASIBLE when the NPV never changes sign. */
wm_status wm_finance_irr(const double *cf, size_t n, double *irr_per_period);
/* Periods until the cumulative (undiscounted, or discounted when rate > 0) cash flow turns
 * non-negative for good, interpolated within the period; WM_EINFEASIBLE if it never does. */
wm_status wm_finance_payback(const double *cf, size_t n, double rate_per_period, double *periods);

/* Type-7 quantile of an ascending array. */
double wm_finance_quantile_sorted(const double *sorted, size_t n, double q);
/* The same quantiles of an unsorted x (reordered in place) by selection, O(n) each instead of a
 * sort: q[0..nq) ascending, equal to wm_finance_quantile_sorted on the sorted data. */
void wm_finance_quantiles(double *x, size_t n, const double *q, size_t nq, double *out);

typedef struct wm_finance_risk {
    double mean, sd;          /* sd with n - 1 */
    double min, p5, p50, p95, max;
    double var, cvar;         /* at the requested alpha, as losses */
    double p_negative;        /* share of outcomes < 0 */
    size_t n;
} wm_finance_risk;
/* x: n outcomes (n >= 1); scratch: n doubles (x is not changed). */
wm_status wm_finance_risk_of(const double *x, size_t n, double alpha, double *scratch, wm_finance_risk *out);

#endif
