/* fmath.h - exp and log for the Monte Carlo hot loop, written with plain IEEE arithmetic and
 * bit operations only (no tables, no branches, no libm), so that a loop over paths compiles to
 * SIMD code and a lane computes exactly what the scalar code computes: the batch kernel and the
 * one-path reference give bit-identical paths. Accuracy: |relative error| < 4e-16 (a few ulp)
 * over the ranges used (tested against libm in tests/unit/test_fmath.c). Domain: exp clamps its
 * argument to [-708, 709]; log expects a positive normal number.
 * Methods (docs/model-mc.md): exp by Cody-Waite reduction x = k ln2 + r, |r| <= ln2/2, and a
 * degree-13 Taylor polynomial of e^r evaluated by Estrin's scheme; 2^k built in the exponent
 * field. log by splitting
 * x = 2^e m, m in [sqrt(1/2), sqrt(2)), and ln m = 2 atanh(s), s = (m-1)/(m+1), odd series
 * to s^23.
 * Float versions for the levels of random paths (scenario.c): wm_fexp_single, wm_fexpf
 * (below) and wm_flogf (same method, series to s^9, |relative error| < 3e-7 for x in
 * [2^-24, 1], absolute error < 1e-6 up to 2^24). Float and double code alike: explicit fma()
 * and fmaf() where a product meets a sum, and no other contraction (ISO C mode), so every
 * target_clones variant gives the same bits (fma is correctly rounded: one instruction where the
 * CPU has FMA, libm's exact fma elsewhere). */
#ifndef WM_FMATH_H
#define WM_FMATH_H

#include <math.h>
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
    double t = fma(x, log2e, shift);
    double k = t - shift;
    double r = fma(-k, ln2_lo, fma(-k, ln2_hi, x));
    /* e^r = 1 + (r + r^2 q(r)), q = sum_{i=2..13} r^(i-2)/i! by Estrin's scheme (pairs, then
       powers r^2, r^4, r^8): the same terms as Horner's rule with a third of its dependency
       chain, so several exps overlap in the pipeline */
    double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    double a = fma(r, 1.0 / 6.0, 1.0 / 2.0), b = fma(r, 1.0 / 120.0, 1.0 / 24.0);
    double c = fma(r, 1.0 / 5040.0, 1.0 / 720.0), d = fma(r, 1.0 / 362880.0, 1.0 / 40320.0);
    double e = fma(r, 1.0 / 39916800.0, 1.0 / 3628800.0), f = fma(r, 1.0 / 6227020800.0, 1.0 / 479001600.0);
    double q = fma(r8, fma(r2, f, e), fma(r4, fma(r2, d, c), fma(r2, b, a)));
    double p = 1.0 + fma(r2, q, r);
    /* the low bits of t hold k; 2^k = (k + 1023) << 52 */
    uint64_t kb = wm_fm_bits(t) - wm_fm_bits(shift);
    double scale = wm_fm_from_bits((kb + 1023u) << 52);
    return p * scale;
}

/* e^x to single precision (|relative error| < 3e-7), for the levels of random paths (BTC price,
 * fees, hashrate; scenario.c): the same reduction in double, then a degree-6 Taylor polynomial of e^r in
 * float (16 floats per AVX-512 register instead of 8 doubles). Outside [-708, 709] the power of two
 * saturates at 2^-1022 or 2^1023 (clamped as an integer, which GCC vectorises; a clamp of x
 * before the float conversion it does not). */
static inline double wm_fexp_single(double x)
{
    const double shift = 6755399441055744.0;
    const double log2e = 1.4426950408889634;
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    double t = fma(x, log2e, shift);
    double k = t - shift;
    float r = (float)fma(-k, ln2_lo, fma(-k, ln2_hi, x));
    float r2 = r * r;
    float a = fmaf(r, 1.0f / 6.0f, 0.5f), b = fmaf(r, 1.0f / 120.0f, 1.0f / 24.0f), c = 1.0f / 720.0f;
    float p = 1.0f + fmaf(r2, fmaf(r2, fmaf(r2, c, b), a), r);
    int64_t kb = (int64_t)(wm_fm_bits(t) - wm_fm_bits(shift));
    kb = kb < -1022 ? -1022 : kb;
    kb = kb > 1023 ? 1023 : kb;
    return (double)p * wm_fm_from_bits((uint64_t)(kb + 1023) << 52);
}

/* e^x with the reduction in float too, for levels whose log is float-sized (|relative error|
 * < 5e-7 for |x| < 8, < 7.5e-7 for |x| < 16, the rounding of x to float included, against
 * wm_fexp_single's 3e-7): one register of 16 floats
 * does the work of two of 8 doubles. Beyond about [-87, 88] the power of two saturates (float's
 * range), as wm_fexp_single's does. */
static inline double wm_fexpf(double xd)
{
    const float log2e = 1.44269504f, ln2_hi = 0.693145751953125f, ln2_lo = 1.42860676533018691e-06f;
    const float shift = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    float x = (float)xd;
    float t = fmaf(x, log2e, shift);
    float k = t - shift;
    float r = fmaf(-k, ln2_lo, fmaf(-k, ln2_hi, x));
    float r2 = r * r;
    float a = fmaf(r, 1.0f / 6.0f, 0.5f), b = fmaf(r, 1.0f / 120.0f, 1.0f / 24.0f), c = 1.0f / 720.0f;
    float p = 1.0f + fmaf(r2, fmaf(r2, fmaf(r2, c, b), a), r);
    /* the low bits of t hold k; 2^k = (k + 127) << 23, k clamped to [-126, 127] as an integer
       (GCC vectorises that, not a clamp of x) */
    uint32_t tb;
    memcpy(&tb, &t, sizeof tb);
    int32_t kb = (int32_t)(tb - 0x4b400000u);
    kb = kb < -126 ? -126 : kb;
    kb = kb > 127 ? 127 : kb;
    uint32_t sb = (uint32_t)(kb + 127) << 23;
    float sc;
    memcpy(&sc, &sb, sizeof sc);
    return (double)(p * sc);
}

static inline double wm_flog(double x)
{
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    uint64_t u = wm_fm_bits(x);
    /* biased exponent as a double without an int->double conversion */
    double e = wm_fm_from_bits((u >> 52) | 0x4330000000000000u) - 4503599627370496.0 - 1023.0;
    double m = wm_fm_from_bits((u & 0x000fffffffffffffu) | 0x3ff0000000000000u); /* [1, 2) */
    int big = m > 1.4142135623730951;
    m = m * (big ? 0.5 : 1.0);
    e = e + (big ? 1.0 : 0.0);
    double s = (m - 1.0) / (m + 1.0), z = s * s, z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
    /* p = sum_{i=0..10} z^i / (2i + 3) by Estrin's scheme (as in wm_fexp) */
    double p0 = fma(z, 1.0 / 5.0, 1.0 / 3.0), p1 = fma(z, 1.0 / 9.0, 1.0 / 7.0);
    double p2 = fma(z, 1.0 / 13.0, 1.0 / 11.0), p3 = fma(z, 1.0 / 17.0, 1.0 / 15.0);
    double p4 = fma(z, 1.0 / 21.0, 1.0 / 19.0), p5 = 1.0 / 23.0;
    double p = fma(z8, fma(z2, p5, p4), fma(z4, fma(z2, p3, p2), fma(z2, p1, p0)));
    double s2 = 2.0 * s, lm = fma(s2 * z, p, s2);
    return fma(e, ln2_hi, fma(e, ln2_lo, lm));
}

/* ln x for a positive normal float. */
static inline float wm_flogf(float x)
{
    const float ln2_hi = 0.693145751953125f, ln2_lo = 1.42860676533018691e-06f;
    uint32_t u, mb;
    float m;
    memcpy(&u, &x, sizeof u);
    float e = (float)((int32_t)(u >> 23) - 127);
    mb = (u & 0x007fffffu) | 0x3f800000u;
    memcpy(&m, &mb, sizeof m); /* [1, 2) */
    int big = m > 1.41421356f;
    m = m * (big ? 0.5f : 1.0f);
    e = e + (big ? 1.0f : 0.0f);
    float s = (m - 1.0f) / (m + 1.0f), z = s * s;
    float p = fmaf(fmaf(fmaf(1.0f / 9.0f, z, 1.0f / 7.0f), z, 1.0f / 5.0f), z, 1.0f / 3.0f);
    float s2 = 2.0f * s, lm = fmaf(s2 * z, p, s2);
    return fmaf(e, ln2_hi, fmaf(e, ln2_lo, lm));
}

#endif
