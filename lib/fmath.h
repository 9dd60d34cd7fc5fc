/* fmath.h - exp and log for the Monte Carlo hot loop, written with plain IEEE arithmetic and
 * bit operations only (no tables, no branches, no libm), so that a loop over paths compiles to
 * SIMD code and a lane computes exactly what the scalar code computes: the batch kernel and the
 * one-path reference give bit-identical paths. Accuracy: |relative error| < 4e-16 (a few ulp)
 * over the ranges used (tested against libm in tests/unit/test_fmath.c). Domain: exp clamps its
 * argument to [-708, 709]; log expects a positive normal number.
 * Methods (docs/model-mc.md): exp by Cody-Waite reduction x = k ln2 + r, |r| <= ln2/2, and a
 * degree-13 Taylor polynomial of e^r; 2^k built in the exponent field. log by splitting
 * x = 2^e m, m in [sqrt(1/2), sqrt(2)), and ln m = 2 atanh(s), s = (m-1)/(m+1), odd series
 * to s^23. */
#ifndef WM_FMATH_H
#define WM_FMATH_H

#include <stdint.h>
#include <string.h>

static inline double wm_fm_from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}
static inline uint64_t wm_fm_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static inline double wm_fexp(double x)
{
    const double shift = 6755399441055744.0; /* 1.5 * 2^52: adding it rounds to an integer */
    const double log2e = 1.4426950408889634;
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    x = x < -708.0 ? -708.0 : x;
    x = x > 709.0 ? 709.0 : x;
    double t = x * log2e + shift;
    double k = t - shift;
    double r = (x - k * ln2_hi) - k * ln2_lo;
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    /* the low bits of t hold k; 2^k = (k + 1023) << 52 */
    uint64_t kb = wm_fm_bits(t) - wm_fm_bits(shift);
    double scale = wm_fm_from_bits((kb + 1023u) << 52);
    return p * scale;
}

static inline double wm_flog(double x)
{
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    uint64_t u = wm_fm_bits(x);
    /* biased exponent as a double without an int->double conversion */
    double e = wm_fm_from_bits((u >> 52) | 0x4330000000000000u) - 4503599627370496.0 - 1023.0;
    double m = wm_fm_from_bits((u & 0x000fffffffffffffu) | 0x3ff0000000000000u); /* [1, 2) */
    double big = m > 1.4142135623730951 ? 1.0 : 0.0;
    m = big > 0 ? m * 0.5 : m;
    e = e + big;
    double s = (m - 1.0) / (m + 1.0), z = s * s;
    double p = 1.0 / 23.0;
    p = p * z + 1.0 / 21.0;
    p = p * z + 1.0 / 19.0;
    p = p * z + 1.0 / 17.0;
    p = p * z + 1.0 / 15.0;
    p = p * z + 1.0 / 13.0;
    p = p * z + 1.0 / 11.0;
    p = p * z + 1.0 / 9.0;
    p = p * z + 1.0 / 7.0;
    p = p * z + 1.0 / 5.0;
    p = p * z + 1.0 / 3.0;
    double lm = 2.0 * s + 2.0 * s * z * p;
    return e * ln2_hi + (lm + e * ln2_lo);
}

#endif
