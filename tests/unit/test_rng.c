/* test_rng.c - Philox streams: known-answer vectors, reproducibility, independence of
 * (seed, path, stream), independence from the thread that draws, and the distributions
 * (moments and Kolmogorov-Smirnov against GSL's CDFs). */
#include "wmtest.h"

#include "rng.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Known-answer vectors of Random123 (kat_vectors, philox4x32 with 10 rounds). */
static void test_philox_kat(void **state)
{
    (void)state;
    uint32_t out[4];
    const uint32_t c0[4] = {0, 0, 0, 0}, k0[2] = {0, 0};
    wm_rng_philox4x32(c0, k0, out);
    assert_int_equal(out[0], 0x6627e8d5u);
    assert_int_equal(out[1], 0xe169c58du);
    assert_int_equal(out[2], 0xbc57ac4cu);
    assert_int_equal(out[3], 0x9b00dbd8u);
    const uint32_t c1[4] = {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u};
    const uint32_t k1[2] = {0xa4093822u, 0x299f31d0u};
    wm_rng_philox4x32(c1, k1, out);
    assert_int_equal(out[0], 0xd16cfe09u);
    assert_int_equal(out[1], 0x94fdccebu);
    assert_int_equal(out[2], 0x5001e420u);
    assert_int_equal(out[3], 0x24126ea1u);
}

/* The stream is exactly Philox applied to (block, stream, path lo, path hi) under the seed. */
static void test_stream_layout(void **state)
{
    (void)state;
    uint64_t seed = 0x0123456789abcdefULL, path = 0x500000007ULL;
    wm_rng r;
    wm_rng_init(&r, seed, path, WM_STREAM_FEES);
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    for (uint32_t b = 0; b < 20; b++) {
        uint32_t ctr[4] = {b, WM_STREAM_FEES, 7, 5}, want[4];
        wm_rng_philox4x32(ctr, key, want);
        for (int j = 0; j < 4; j++)
            assert_int_equal(wm_rng_u32(&r), want[j]);
    }
}

static void test_reproducible_and_distinct(void **state)
{
    (void)state;
    wm_rng a, b, c, d, e;
    wm_rng_init(&a, 42, 3, WM_STREAM_PRICE);
    wm_rng_init(&b, 42, 3, WM_STREAM_PRICE);
    wm_rng_init(&c, 42, 4, WM_STREAM_PRICE);   /* other path */
    wm_rng_init(&d, 42, 3, WM_STREAM_NETWORK); /* other stream */
    wm_rng_init(&e, 43, 3, WM_STREAM_PRICE);   /* other seed */
    int same_c = 0, same_d = 0, same_e = 0;
    for (int i = 0; i < 1000; i++) {
        double x = wm_rng_normal(&a);
        assert_true(x == wm_rng_normal(&b));
        same_c += x == wm_rng_normal(&c);
        same_d += x == wm_rng_normal(&d);
        same_e += x == wm_rng_normal(&e);
    }
    assert_true(same_c < 3 && same_d < 3 && same_e < 3);
}

/* Correlation between neighbouring paths' streams is nil (|rho| < 4/sqrt(n)). */
static void test_paths_uncorrelated(void **state)
{
    (void)state;
    const int n = 100000;
    wm_rng a, b;
    wm_rng_init(&a, 7, 0, WM_STREAM_PRICE);
    wm_rng_init(&b, 7, 1, WM_STREAM_PRICE);
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) {
        double x = wm_rng_normal(&a), y = wm_rng_normal(&b);
        sxy += x * y;
        sxx += x * x;
        syy += y * y;
    }
    double rho = sxy / sqrt(sxx * syy);
    assert_true(fabs(rho) < 4.0 / sqrt(n));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* KS statistic of sorted sample x against cdf. */
static double ks_stat(double *x, int n, double (*cdf)(double))
{
    qsort(x, (size_t)n, sizeof *x, cmp_double);
    double dmax = 0;
    for (int i = 0; i < n; i++) {
        double f = cdf(x[i]);
        double d1 = fabs(f - (double)i / n), d2 = fabs((double)(i + 1) / n - f);
        if (d1 > dmax)
            dmax = d1;
        if (d2 > dmax)
            dmax = d2;
    }
    return dmax;
}

static double exp_cdf(double x) { return x <= 0 ? 0 : 1.0 - exp(-x); }
static double unif_cdf(double x) { return x <= 0 ? 0 : x >= 1 ? 1 : x; }

/* x[0..n) is a standard normal sample: moments, P(|Z| > 3) = 0.0026998 and KS (1.95/sqrt(n) is
 * the 0.1% critical value). Sorts x. */
static void check_standard_normal(double *x, int n)
{
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0, tail = 0;
    for (int i = 0; i < n; i++) {
        double z = x[i];
        s1 += z;
        s2 += z * z;
        s3 += z * z * z;
        s4 += z * z * z * z;
        tail += fabs(z) > 3.0;
    }
    double m = s1 / n, v = s2 / n - m * m;
    assert_true(fabs(m) < 5.0 / sqrt(n));
    assert_true(fabs(v - 1.0) < 5.0 * sqrt(2.0 / n));
    assert_true(fabs(s3 / n) < 5.0 * sqrt(15.0 / n));
    assert_true(fabs(s4 / n - 3.0) < 5.0 * sqrt(96.0 / n));
    double p3 = 2.0 * gsl_cdf_ugaussian_Q(3.0);
    assert_true(fabs(tail / n - p3) < 5.0 * sqrt(p3 / n));
    assert_true(ks_stat(x, n, gsl_cdf_ugaussian_P) < 1.95 / sqrt(n));
}

static void test_normal_distribution(void **state)
{
    (void)state;
    const int n = 400000;
    double *x = malloc((size_t)n * sizeof *x);
    assert_non_null(x);
    wm_rng r;
    wm_rng_init(&r, 2024, 11, WM_STREAM_PRICE);
    for (int i = 0; i < n; i++)
        x[i] = wm_rng_normal(&r); /* the tail sampler is exercised: P(|Z| > 3) checked */
    check_standard_normal(x, n);
    free(x);
}

static void test_uniform_exponential(void **state)
{
    (void)state;
    const int n = 200000;
    double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    wm_rng r;
    wm_rng_init(&r, 1, 2, WM_STREAM_AI);
    for (int i = 0; i < n; i++) {
        x[i] = wm_rng_uniform(&r);
        assert_true(x[i] > 0 && x[i] < 1);
        y[i] = wm_rng_exponential(&r);
    }
    assert_true(ks_stat(x, n, unif_cdf) < 1.95 / sqrt(n));
    assert_true(ks_stat(y, n, exp_cdf) < 1.95 / sqrt(n));
    free(x);
    free(y);
}

static void test_below_unbiased(void **state)
{
    (void)state;
    const uint32_t k = 7;
    long cnt[7] = {0};
    const int n = 700000;
    wm_rng r;
    wm_rng_init(&r, 5, 5, WM_STREAM_USER);
    for (int i = 0; i < n; i++) {
        uint32_t v = wm_rng_below(&r, k);
        assert_true(v < k);
        cnt[v]++;
    }
    double chi2 = 0, e = (double)n / k;
    for (uint32_t i = 0; i < k; i++)
        chi2 += (cnt[i] - e) * (cnt[i] - e) / e;
    assert_true(chi2 < gsl_cdf_chisq_Qinv(0.001, k - 1));
    assert_int_equal(wm_rng_below(&r, 1), 0);
}

static void test_gamma_student_poisson(void **state)
{
    (void)state;
    const int n = 200000;
    wm_rng r;
    wm_rng_init(&r, 9, 1, WM_STREAM_USER);
    double shapes[3] = {0.5, 2.0, 7.5};
    for (int s = 0; s < 3; s++) {
        double a = shapes[s], s1 = 0, s2 = 0;
        for (int i = 0; i < n; i++) {
            double g = wm_rng_gamma(&r, a);
            s1 += g;
            s2 += g * g;
        }
        double m = s1 / n, v = s2 / n - m * m;
        assert_true(fabs(m - a) < 5.0 * sqrt(a / n));
        assert_near_rel(v, a, 0.05);
    }
    /* unit-variance Student-t with nu = 4 (integer path) and 5.5 (gamma path): variance 1,
     * excess kurtosis > 1 (fat tails) */
    double nus[2] = {4.0, 5.5};
    for (int s = 0; s < 2; s++) {
        double s2 = 0, s4 = 0;
        for (int i = 0; i < n; i++) {
            double t = wm_rng_student_t(&r, nus[s]);
            s2 += t * t;
            s4 += t * t * t * t;
        }
        assert_near_rel(s2 / n, 1.0, 0.05);
        assert_true(s4 / n / ((s2 / n) * (s2 / n)) > 4.0);
    }
    assert_true(isnan(wm_rng_student_t(&r, 2.0)));
    double lams[2] = {0.3, 80.0};
    for (int s = 0; s < 2; s++) {
        double s1 = 0;
        for (int i = 0; i < n; i++)
            s1 += wm_rng_poisson(&r, lams[s]);
        assert_true(fabs(s1 / n - lams[s]) < 5.0 * sqrt(lams[s] / n));
    }
}

/* Drawing paths in two threads, in an interleaved order, gives the same numbers per path
 * as drawing them one after another in one thread. */
#define TP 64
#define TD 500
static double thr_out[TP][TD];
struct thr_arg {
    int first, step;
};
static void *thr_run(void *p)
{
    const struct thr_arg *a = p;
    for (int path = a->first; path < TP; path += a->step) {
        wm_rng r;
        wm_rng_init(&r, 77, (uint64_t)path, WM_STREAM_PRICE);
        for (int d = 0; d < TD; d++)
            thr_out[path][d] = wm_rng_normal(&r);
    }
    return NULL;
}
static void test_thread_independent(void **state)
{
    (void)state;
    static double seq[TP][TD];
    struct thr_arg one = {0, 1};
    thr_run(&one);
    memcpy(seq, thr_out, sizeof seq);
    memset(thr_out, 0, sizeof thr_out);
    pthread_t t[2];
    struct thr_arg a[2] = {{1, 2}, {0, 2}};
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, thr_run, &a[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_memory_equal(seq, thr_out, sizeof seq);
}

/* Lanes: lane l's block b is words 4b .. 4b+3 of the scalar stream of path first + l (any
 * first, not only multiples of the lane count). */
static void test_lanes_words(void **state)
{
    (void)state;
    const uint64_t seed = 0xfeedface12345ULL, first = 1003;
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    uint32_t lo[WM_LANES], hi[WM_LANES];
    wm_rng s[WM_LANES];
    for (unsigned l = 0; l < WM_LANES; l++) {
        lo[l] = (uint32_t)(first + l);
        hi[l] = (uint32_t)((first + l) >> 32);
        wm_rng_init(&s[l], seed, first + l, WM_STREAM_NETWORK);
    }
    for (uint32_t b = 0; b < 50; b++) {
        uint32_t w[4][WM_LANES];
        wm_rng_philox_lanes(key, b, WM_STREAM_NETWORK, lo, hi, w);
        for (unsigned j = 0; j < 4; j++)
            for (unsigned l = 0; l < WM_LANES; l++)
                assert_int_equal(w[j][l], wm_rng_u32(&s[l]));
    }
    /* the AVX-512 batch (where the CPU has it) and the portable loop give the same words, for
       a batch that is not a multiple of 16 too */
    enum { NB = 100 };
    uint32_t cc[4][NB], wa[4][NB], wb[4][NB];
    for (unsigned i = 0; i < NB; i++) {
        cc[0][i] = i * 7u;
        cc[1][i] = 1 + i % 10;
        cc[2][i] = 0xfffffff0u + i;
        cc[3][i] = i / 3;
    }
    /* 100 = 3 groups of 32 + 4 portable; 48 = 32 + 16: both SIMD group sizes */
    wm_rng_philox_n(key, NB, cc[0], cc[1], cc[2], cc[3], wb[0], wb[1], wb[2], wb[3]);
    for (unsigned nb = 48; nb <= NB; nb += NB - 48) {
        memset(wa, 0, sizeof wa);
        unsigned m = wm_rng_philox_simd(key, nb, cc[0], cc[1], cc[2], cc[3], wa[0], wa[1], wa[2], wa[3]);
        assert_true(m % 16 == 0 && m <= nb);
        wm_rng_philox_n(key, nb - m, cc[0] + m, cc[1] + m, cc[2] + m, cc[3] + m, wa[0] + m, wa[1] + m, wa[2] + m,
                        wa[3] + m);
        for (unsigned j = 0; j < 4; j++)
            assert_memory_equal(wa[j], wb[j], nb * sizeof wa[j][0]);
    }
    /* a 64-bit path (high word used) */
    uint32_t c[4] = {7, WM_STREAM_AI, 5, 9}, k[2] = {1, 2}, o[4], o0[1], o1[1], o2[1], o3[1];
    wm_rng_philox4x32(c, k, o);
    wm_rng_philox_n(k, 1, &c[0], &c[1], &c[2], &c[3], o0, o1, o2, o3);
    assert_true(o[0] == o0[0] && o[1] == o1[0] && o[2] == o2[0] && o[3] == o3[0]);
}

/* The lanes' normals by inversion: every one of the 2^24 inputs against GSL's Phi^-1 at
 * u = (k + 1/2) 2^-24 (error, monotone, symmetric); the SIMD batch gives the scalar bits; and
 * normals of Philox words have a standard normal's moments, tails and KS. */
static void test_lanes_normal(void **state)
{
    (void)state;
    double worst = 0;
    float prev = -INFINITY;
    enum { CH = 4096 };
    static uint32_t wc[CH];
    static float zc[CH];
    for (uint32_t k0 = 0; k0 < (1u << 24); k0 += CH) {
        /* the batch (SIMD where the CPU has it) against the scalar function, bit for bit, on
           every pattern of the 24 bits used (the low 8 bits vary and do not matter) */
        for (uint32_t j = 0; j < CH; j++)
            wc[j] = (k0 + j) << 8 | ((k0 + j) * 37u & 0xffu);
        wm_rng_normals_n(CH, wc, zc);
        for (uint32_t j = 0; j < CH; j++) {
            const uint32_t k = k0 + j;
            const float z = wm_rng_normal_of_word(wc[j]);
            assert_memory_equal(&z, &zc[j], sizeof z);
            const double want = gsl_cdf_ugaussian_Pinv((k + 0.5) / 16777216.0);
            worst = fmax(worst, fabs(z - want));
            assert_true(z >= prev);
            prev = z;
            assert_true(z == -wm_rng_normal_of_word(((1u << 24) - 1 - k) << 8));
        }
    }
    print_message("inverse-CDF normals: max |error| %.3g over all 2^24 inputs\n", worst);
    assert_true(worst < 1e-6);
    assert_true(fabs(wm_rng_normal_of_word(0)) > 5.41 && fabs(wm_rng_normal_of_word(0)) < 5.42);

    const unsigned nb = 100000; /* blocks: 4 normals each */
    uint32_t *c = malloc(4 * nb * sizeof *c), *w = malloc(4 * nb * sizeof *w);
    float *z = malloc(4 * nb * sizeof *z);
    double *x = malloc(4 * (size_t)nb * sizeof *x);
    assert_true(c && w && z && x);
    for (unsigned i = 0; i < nb; i++) {
        c[i] = i / 16;
        c[nb + i] = WM_STREAM_PRICE;
        c[2 * nb + i] = i % 16;
        c[3 * nb + i] = 0;
    }
    const uint32_t key[2] = {31, 0};
    wm_rng_philox_n(key, nb, c, c + nb, c + 2 * nb, c + 3 * nb, w, w + nb, w + 2 * nb, w + 3 * nb);
    const unsigned N = 4 * nb;
    wm_rng_normals_n(N - 7, w, z); /* SIMD batches and a scalar tail */
    for (unsigned i = 0; i < N - 7; i++)
        assert_true(z[i] == wm_rng_normal_of_word(w[i]));
    wm_rng_normals_n(7, w + N - 7, z + N - 7);
    double zmax = 0;
    for (unsigned i = 0; i < N; i++) {
        x[i] = z[i];
        zmax = fmax(zmax, fabs(x[i]));
    }
    assert_true(zmax < 5.42 && zmax > 4.0); /* 24-bit uniforms: |z| <= Phi^-1(1 - 2^-25) = 5.42 */
    check_standard_normal(x, (int)N);
    free(c);
    free(w);
    free(z);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_kat),
        cmocka_unit_test(test_stream_layout),
        cmocka_unit_test(test_reproducible_and_distinct),
        cmocka_unit_test(test_paths_uncorrelated),
        cmocka_unit_test(test_normal_distribution),
        cmocka_unit_test(test_uniform_exponential),
        cmocka_unit_test(test_below_unbiased),
        cmocka_unit_test(test_gamma_student_poisson),
        cmocka_unit_test(test_thread_independent),
        cmocka_unit_test(test_lanes_words),
        cmocka_unit_test(test_lanes_normal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
