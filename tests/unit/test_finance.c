/* test_finance.c - NPV, IRR, payback against closed forms; quantiles as NumPy's default
 * (type 7); VaR/CVaR of a normal sample against the analytic values. */
#include "wmtest.h"

#include "finance.h"
#include "rng.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>
#include <stdlib.h>

static void test_npv_irr_closed_form(void **state)
{
    (void)state;
    const double cf[3] = {-100, 60, 60};
    assert_near_rel(wm_finance_npv(cf, 3, 0.10), -100 + 60 / 1.1 + 60 / 1.21, 1e-14);
    /* 60x + 60x^2 = 100 with x = 1/(1+r) */
    double x = (-1.0 + sqrt(1.0 + 4.0 * 100.0 / 60.0)) / 2.0, want = 1.0 / x - 1.0, irr;
    assert_int_equal(wm_finance_irr(cf, 3, &irr), WM_OK);
    assert_near_rel(irr, want, 1e-10);
    assert_true(fabs(wm_finance_npv(cf, 3, irr)) < 1e-9);
    /* a level annuity: -1000 then 10 x 150: NPV(IRR) = 0 and IRR within (0.08, 0.09) */
    double a[11] = {-1000};
    for (int i = 1; i < 11; i++)
        a[i] = 150;
    assert_int_equal(wm_finance_irr(a, 11, &irr), WM_OK);
    assert_true(irr > 0.08 && irr < 0.09);
    assert_true(fabs(wm_finance_npv(a, 11, irr)) < 1e-8);
    /* losing project: negative IRR */
    const double l[3] = {-100, 40, 40};
    assert_int_equal(wm_finance_irr(l, 3, &irr), WM_OK);
    assert_true(irr < 0);
    /* never pays back at any rate: no sign change */
    const double nv[3] = {-100, -1, -1};
    assert_int_equal(wm_finance_irr(nv, 3, &irr), WM_EINFEASIBLE);
}

static void test_payback(void **state)
{
    (void)state;
    const double cf[4] = {-100, 60, 60, 60};
    double pb;
    assert_int_equal(wm_finance_payback(cf, 4, 0, &pb), WM_OK);
    assert_near_rel(pb, 1.0 + 40.0 / 60.0, 1e-12);
    /* discounted at 10%: -100, 54.55, 49.59 (cum 4.13) -> 1 + 45.45/49.59 */
    assert_int_equal(wm_finance_payback(cf, 4, 0.10, &pb), WM_OK);
    assert_near_rel(pb, 1.0 + (100 - 60 / 1.1) / (60 / 1.21), 1e-12);
    const double never[3] = {-100, 10, 10};
    assert_int_equal(wm_finance_payback(never, 3, 0, &pb), WM_EINFEASIBLE);
    /* dips below zero again later: payback counts the last crossing */
    const double dip[5] = {-100, 120, -50, 10, 100};
    assert_int_equal(wm_finance_payback(dip, 5, 0, &pb), WM_OK);
    assert_near_rel(pb, 3.0 + 20.0 / 100.0, 1e-12);
}

static void test_quantile_type7(void **state)
{
    (void)state;
    const double x[5] = {1, 2, 3, 4, 5};
    /* numpy.quantile([1,2,3,4,5], q) */
    assert_near_rel(wm_finance_quantile_sorted(x, 5, 0.05), 1.2, 1e-15);
    assert_near_rel(wm_finance_quantile_sorted(x, 5, 0.5), 3.0, 1e-15);
    assert_near_rel(wm_finance_quantile_sorted(x, 5, 0.9), 4.6, 1e-15);
    assert_near_rel(wm_finance_quantile_sorted(x, 5, 1.0), 5.0, 0);
}

/* Quantiles by selection equal those of the sorted data, with ties and any order. */
static void test_quantiles_by_selection(void **state)
{
    (void)state;
    enum { N = 2001 };
    static double x[N], sorted[N];
    wm_rng r;
    wm_rng_init(&r, 5, 0, WM_STREAM_USER);
    const double q[6] = {0, 0.05, 0.37, 0.5, 0.95, 1};
    for (int trial = 0; trial < 50; trial++) {
        size_t n = 1 + (size_t)(wm_rng_uniform(&r) * (N - 1));
        for (size_t i = 0; i < n; i++) /* many ties on even trials */
            x[i] = trial % 2 ? wm_rng_normal(&r) : floor(10 * wm_rng_uniform(&r));
        memcpy(sorted, x, n * sizeof *x);
        for (size_t i = 1; i < n; i++) /* insertion sort: independent of the code under test */
            for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
                double t = sorted[j];
                sorted[j] = sorted[j - 1];
                sorted[j - 1] = t;
            }
        double got[6];
        wm_finance_quantiles(x, n, q, 6, got);
        for (int k = 0; k < 6; k++)
            assert_true(got[k] == wm_finance_quantile_sorted(sorted, n, q[k]));
    }
}

/* The fast path (one sign change) and the scan (several) agree with closed forms. */
static void test_irr_paths(void **state)
{
    (void)state;
    double irr;
    /* -100, 230, -132 = -100 (1 - 1.1 x')(1 - 1.2 x') : IRRs 10% and 20%; the lowest is reported */
    const double two[3] = {-100, 230, -132};
    assert_int_equal(wm_finance_irr(two, 3, &irr), WM_OK);
    assert_near_rel(irr, 0.10, 1e-10);
    const double none[3] = {-100, -5, -1}; /* no sign change: no IRR */
    assert_int_equal(wm_finance_irr(none, 3, &irr), WM_EINFEASIBLE);
    const double zeros[5] = {-100, 0, 0, 0, 146.41}; /* 1.1^4 */
    assert_int_equal(wm_finance_irr(zeros, 5, &irr), WM_OK);
    assert_near_rel(irr, 0.10, 1e-12);
}

static void test_var_cvar_normal(void **state)
{
    (void)state;
    const size_t n = 200000;
    double *x = malloc(n * sizeof *x), *s = malloc(n * sizeof *s);
    assert_non_null(x);
    assert_non_null(s);
    wm_rng r;
    wm_rng_init(&r, 11, 0, WM_STREAM_USER);
    const double mu = 50, sigma = 100;
    for (size_t i = 0; i < n; i++)
        x[i] = mu + sigma * wm_rng_normal(&r);
    wm_finance_risk k;
    assert_int_equal(wm_finance_risk_of(x, n, 0.05, s, &k), WM_OK);
    double z = gsl_cdf_ugaussian_Pinv(0.05); /* -1.6449 */
    double phi = exp(-0.5 * z * z) / sqrt(2 * M_PI);
    assert_near_rel(k.mean, mu, 0.02);
    assert_near_rel(k.sd, sigma, 0.01);
    assert_near_rel(k.var, -(mu + sigma * z), 0.02);
    assert_near_rel(k.cvar, -(mu - sigma * phi / 0.05), 0.02);
    assert_near_rel(k.p_negative, gsl_cdf_ugaussian_P(-mu / sigma), 0.02);
    assert_true(k.cvar > k.var);
    assert_true(k.p5 == -k.var);
    x[3] = NAN;
    assert_int_equal(wm_finance_risk_of(x, n, 0.05, s, &k), WM_ERANGE);
    assert_int_equal(wm_finance_risk_of(x, n, 1.5, s, &k), WM_EINVAL);
    free(x);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_npv_irr_closed_form),
        cmocka_unit_test(test_payback),
        cmocka_unit_test(test_quantile_type7),
        cmocka_unit_test(test_quantiles_by_selection),
        cmocka_unit_test(test_irr_paths),
        cmocka_unit_test(test_var_cvar_normal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
