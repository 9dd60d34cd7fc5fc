/* rng.c - Philox4x32-10 streams and the draws built on them (see rng.h). The block function is
 * Random123's philox4x32 (librandom123-dev); the ziggurat tables are computed once, on first
 * use, from the normal density (256 layers, r and v from Marsaglia and Tsang 2000) and are
 * read-only afterwards (pthread_once), so concurrent streams never race. */
#include "rng.h"

#include <Random123/philox.h>
#include <math.h>
#include <pthread.h>

void wm_rng_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    philox4x32_ctr_t c = {{ctr[0], ctr[1], ctr[2], ctr[3]}};
    philox4x32_key_t k = {{key[0], key[1]}};
    philox4x32_ctr_t o = philox4x32(c, k);
    out[0] = o.v[0];
    out[1] = o.v[1];
    out[2] = o.v[2];
    out[3] = o.v[3];
}

/* ---- ziggurat for the normal (256 layers) ---- */
#define ZIG_N 256
#define ZIG_R 3.6541528853610088
#define ZIG_V 0.00492867323399
static double zig_x[ZIG_N + 1]; /* layer right edges, decreasing; x[0] = V/f(R) (base + tail) */
static double zig_f[ZIG_N + 1]; /* f(x[i]) = exp(-x^2/2) */
static pthread_once_t zig_once = PTHREAD_ONCE_INIT;
const double *const wm_rng_zig_x = zig_x;

static void zig_build(void)
{
    zig_x[0] = ZIG_V / exp(-0.5 * ZIG_R * ZIG_R);
    zig_x[1] = ZIG_R;
    for (int i = 1; i < ZIG_N - 1; i++) {
        double fx = exp(-0.5 * zig_x[i] * zig_x[i]);
        zig_x[i + 1] = sqrt(-2.0 * log(ZIG_V / zig_x[i] + fx));
    }
    zig_x[ZIG_N] = 0.0;
    for (int i = 0; i <= ZIG_N; i++)
        zig_f[i] = exp(-0.5 * zig_x[i] * zig_x[i]);
    zig_f[0] = 0.0; /* the base layer has no wedge */
}

void wm_rng_init(wm_rng *r, uint64_t seed, uint64_t path, uint32_t stream)
{
    r->key[0] = (uint32_t)seed;
    r->key[1] = (uint32_t)(seed >> 32);
    r->ctr[0] = 0;
    r->ctr[1] = stream;
    r->ctr[2] = (uint32_t)path;
    r->ctr[3] = (uint32_t)(path >> 32);
    r->pos = WM_RNG_BUF;
    pthread_once(&zig_once, zig_build);
}

void wm_rng_refill(wm_rng *r)
{
    philox4x32_key_t k = {{r->key[0], r->key[1]}};
    philox4x32_ctr_t c = {{r->ctr[0], r->ctr[1], r->ctr[2], r->ctr[3]}};
    for (unsigned b = 0; b < WM_RNG_BUF / 4; b++) {
        philox4x32_ctr_t o = philox4x32(c, k);
        r->buf[4 * b + 0] = o.v[0];
        r->buf[4 * b + 1] = o.v[1];
        r->buf[4 * b + 2] = o.v[2];
        r->buf[4 * b + 3] = o.v[3];
        c.v[0]++;
    }
    r->ctr[0] = c.v[0];
    r->pos = 0;
}

double wm_rng_normal(wm_rng *r)
{
    for (;;) {
        uint32_t u = wm_rng_u32(r);
        unsigned i = u & 0xffu;
        double sign = (u & 0x100u) ? -1.0 : 1.0;
        double uu = ((double)(u >> 9) + 0.5) * (1.0 / 8388608.0); /* 23 bits, (0,1) */
        double x = uu * zig_x[i];
        if (x < zig_x[i + 1])
            return sign * x;
        if (i == 0) {
            /* tail beyond R (Marsaglia 1964) */
            double a, b;
            do {
                a = -log(wm_rng_uniform(r)) / ZIG_R;
                b = -log(wm_rng_uniform(r));
            } while (b + b <= a * a);
            return sign * (ZIG_R + a);
        }
        /* wedge between f(x[i]) and f(x[i+1]) */
        double y = zig_f[i] + wm_rng_uniform(r) * (zig_f[i + 1] - zig_f[i]);
        if (y < exp(-0.5 * x * x))
            return sign * x;
    }
}

double wm_rng_exponential(wm_rng *r)
{
    return -log(wm_rng_uniform(r));
}

uint32_t wm_rng_below(wm_rng *r, uint32_t n)
{
    if (n <= 1)
        return 0;
    uint64_t m = (uint64_t)wm_rng_u32(r) * n;
    uint32_t l = (uint32_t)m;
    if (l < n) {
        uint32_t t = (uint32_t)(-n) % n;
        while (l < t) {
            m = (uint64_t)wm_rng_u32(r) * n;
            l = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

double wm_rng_gamma(wm_rng *r, double a)
{
    if (!(a > 0))
        return NAN;
    if (a < 1.0) {
        double g = wm_rng_gamma(r, a + 1.0);
        return g * pow(wm_rng_uniform(r), 1.0 / a);
    }
    double d = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = wm_rng_normal(r);
            v = 1.0 + c * x;
        } while (v <= 0);
        v = v * v * v;
        double u = wm_rng_uniform(r);
        if (u < 1.0 - 0.0331 * x * x * x * x)
            return d * v;
        if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
            return d * v;
    }
}

double wm_rng_student_t(wm_rng *r, double nu)
{
    if (!(nu > 2))
        return NAN;
    double z = wm_rng_normal(r), chi2;
    if (nu <= 16 && nu == floor(nu)) {
        chi2 = 0;
        for (int k = 0; k < (int)nu; k++) {
            double g = wm_rng_normal(r);
            chi2 += g * g;
        }
    } else {
        chi2 = 2.0 * wm_rng_gamma(r, 0.5 * nu);
    }
    return z / sqrt(chi2 / nu) * sqrt((nu - 2.0) / nu);
}

uint32_t wm_rng_poisson(wm_rng *r, double lambda)
{
    if (!(lambda > 0))
        return 0;
    if (lambda > 1e6)
        lambda = 1e6;
    if (lambda < 30) {
        double p = exp(-lambda), s = p, u = wm_rng_uniform(r);
        uint32_t k = 0;
        while (u > s && k < 1000) {
            k++;
            p *= lambda / k;
            s += p;
        }
        return k;
    }
    double x = floor(lambda + sqrt(lambda) * wm_rng_normal(r) + 0.5);
    return x < 0 ? 0 : (uint32_t)x;
}

/* ---- Philox batches with AVX-512F intrinsics (see wm_rng_philox_simd) ----
 * 64-bit lanes hold the 32-bit words; vpmuludq reads only the low 32 bits of each lane, so the
 * upper halves may hold anything between rounds and the words are the low halves at the end.
 * Two vectors of 8 counters per iteration keep two independent round chains in flight. */
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

/* Ten rounds on G groups of 8 blocks (64-bit lanes holding 32-bit words): the groups are
 * independent, so more of them hide the multiply's latency (the rounds are a dependent chain). */
#define PHILOX_GROUPS(G)                                                                                       \
    do {                                                                                                       \
        __m512i a0[G], a1[G], a2[G], a3[G];                                                                    \
        _Pragma("GCC unroll 8") for (int g = 0; g < G; g++) {                                                  \
            a0[g] = _mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)(c0 + i + 8 * g)));              \
            a1[g] = _mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)(c1 + i + 8 * g)));              \
            a2[g] = _mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)(c2 + i + 8 * g)));              \
            a3[g] = _mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)(c3 + i + 8 * g)));              \
        }                                                                                                      \
        uint32_t k0 = key[0], k1 = key[1];                                                                     \
        _Pragma("GCC unroll 10") for (int r = 0; r < 10; r++) {                                                \
            const __m512i ka = _mm512_set1_epi64(k0), kb = _mm512_set1_epi64(k1);                              \
            _Pragma("GCC unroll 8") for (int g = 0; g < G; g++) {                                              \
                __m512i p0 = _mm512_mul_epu32(a0[g], m0), p1 = _mm512_mul_epu32(a2[g], m1);                    \
                a0[g] = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p1, 32), a1[g], ka, 0x96);                 \
                a2[g] = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p0, 32), a3[g], kb, 0x96);                 \
                a1[g] = p1;                                                                                    \
                a3[g] = p0;                                                                                    \
            }                                                                                                  \
            k0 += 0x9E3779B9u;                                                                                 \
            k1 += 0xBB67AE85u;                                                                                 \
        }                                                                                                      \
        _Pragma("GCC unroll 8") for (int g = 0; g < G; g++) {                                                  \
            _mm256_storeu_si256((__m256i *)(o0 + i + 8 * g), _mm512_cvtepi64_epi32(a0[g]));                    \
            _mm256_storeu_si256((__m256i *)(o1 + i + 8 * g), _mm512_cvtepi64_epi32(a1[g]));                    \
            _mm256_storeu_si256((__m256i *)(o2 + i + 8 * g), _mm512_cvtepi64_epi32(a2[g]));                    \
            _mm256_storeu_si256((__m256i *)(o3 + i + 8 * g), _mm512_cvtepi64_epi32(a3[g]));                    \
        }                                                                                                      \
    } while (0)

__attribute__((target("avx512f"))) static unsigned philox_avx512(const uint32_t key[2], unsigned n, const uint32_t *c0,
                                                                 const uint32_t *c1, const uint32_t *c2,
                                                                 const uint32_t *c3, uint32_t *o0, uint32_t *o1,
                                                                 uint32_t *o2, uint32_t *o3)
{
    const __m512i m0 = _mm512_set1_epi64(0xD2511F53), m1 = _mm512_set1_epi64(0xCD9E8D57);
    unsigned i = 0;
    for (; i + 32 <= n; i += 32)
        PHILOX_GROUPS(4);
    for (; i + 16 <= n; i += 16)
        PHILOX_GROUPS(2);
    return i;
}
#endif

unsigned wm_rng_philox_simd(const uint32_t key[2], unsigned n, const uint32_t *c0, const uint32_t *c1, const uint32_t *c2,
                            const uint32_t *c3, uint32_t *o0, uint32_t *o1, uint32_t *o2, uint32_t *o3)
{
#if defined(__GNUC__) && defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f"))
        return philox_avx512(key, n, c0, c1, c2, c3, o0, o1, o2, o3);
#else
    (void)key, (void)n, (void)c0, (void)c1, (void)c2, (void)c3, (void)o0, (void)o1, (void)o2, (void)o3;
#endif
    return 0;
}
