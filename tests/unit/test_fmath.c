/* test_fmath.c - the SIMD-friendly exp and log against libm over the ranges the models use,
 * and their clamps. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exp_accuracy),
        cmocka_unit_test(test_log_accuracy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
