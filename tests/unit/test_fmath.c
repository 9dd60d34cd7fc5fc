/* test_fmath.c - the SIMD-friendly exp and log against libm over the ranges the models use,
 * and their clamps; the float log, sin/cos and single-precision exp against libm. */
#include "wmtest.h"

#include "fmath.h"

#include <math.h>

static void test_exp_accuracy(void **state)
{
    (void)state;
    double worst = 0;
    for (int i = 0; i <= 2000000; i++) {
        double x = -700.0 + 1400.0 * i / 2000000.0;
        double want = exp(x), got = wm_fexp(x);
        double e = fabs(got - want) / want;
        if (e > worst)
            worst = e;
    }
    assert_true(worst < 4e-16);
    assert_true(wm_fexp(0.0) == 1.0);
    assert_true(wm_fexp(-1000.0) == wm_fexp(-708.0)); /* clamped, still positive */
    assert_true(wm_fexp(-1000.0) > 0);
    assert_true(isfinite(wm_fexp(1000.0)));
}

static void test_log_accuracy(void **state)
{
    (void)state;
    double worst = 0;
    for (int i = 1; i <= 2000000; i++) {
        double x = exp(-700.0 + 1400.0 * i / 2000000.0);
        double want = log(x), got = wm_flog(x);
        double e = fabs(got - want) / fmax(fabs(want), 1e-300);
        if (fabs(want) > 1e-3 && e > worst)
            worst = e;
        assert_true(fabs(got - want) < 4e-16 * fmax(fabs(want), 1.0));
    }
    assert_true(worst < 4e-16);
    assert_true(wm_flog(1.0) == 0.0);
    assert_near_rel(wm_flog(2.0), M_LN2, 1e-16);
    assert_near_rel(wm_flog(144.0 * 3.125), log(450.0), 1e-15);
}

/* Single-precision pieces of the random-draw pipeline and of the reported levels. */
static void test_float_accuracy(void **state)
{
    (void)state;
    double worst = 0;
    for (int i = 0; i <= 2000000; i++) {
        double x = -700.0 + 1400.0 * i / 2000000.0;
        double e = fabs(wm_fexp_single(x) / exp(x) - 1);
        worst = e > worst ? e : worst;
    }
    assert_true(worst < 3e-7);
    assert_true(wm_fexp_single(-1000.0) > 0 && isfinite(wm_fexp_single(1000.0)));
    /* the all-float exp on the log levels it serves (power, GPU-hour and token prices) */
    worst = 0;
    for (int i = 0; i <= 2000000; i++) {
        double x = -16.0 + 32.0 * i / 2000000.0;
        double e = fabs(wm_fexpf(x) / exp(x) - 1);
        worst = e > worst ? e : worst;
    }
    assert_true(worst < 7.5e-7); /* half an ulp of x in float (4.8e-7 near 16) plus the polynomial */
    worst = 0;
    for (int i = 0; i <= 1000000; i++) {
        double x = -8.0 + 16.0 * i / 1000000.0;
        double e = fabs(wm_fexpf(x) / exp(x) - 1);
        worst = e > worst ? e : worst;
    }
    assert_true(worst < 5e-7);
    assert_true(wm_fexpf(0.0) == 1.0);
    assert_true(wm_fexpf(-1000.0) > 0 && isfinite(wm_fexpf(1000.0)));
    assert_true(wm_fexpf(80.0) > wm_fexpf(79.0)); /* inside float's range it still rises */
    /* log on (k + 1) 2^-24: absolute error below 3e-7 |ln u| + 1e-9 */
    for (uint32_t k = 0; k < (1u << 24); k += 97) {
        float u = (float)(k + 1) * (1.0f / 16777216.0f);
        double want = log((double)u);
        assert_true(fabs(wm_flogf(u) - want) < 3e-7 * fabs(want) + 1e-9);
    }
    assert_true(wm_flogf(1.0f) == 0.0f);
    /* and on the daily revenue in BTC (144 (subsidy + fees)) of random paths: up to 2^24 */
    for (int i = 0; i <= 200000; i++) {
        float x = (float)exp(24.0 * M_LN2 * i / 200000.0);
        assert_true(fabs(wm_flogf(x) - log((double)x)) < 1e-6);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exp_accuracy),
        cmocka_unit_test(test_log_accuracy),
        cmocka_unit_test(test_float_accuracy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
