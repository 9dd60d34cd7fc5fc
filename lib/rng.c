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

/* ---- inverse-CDF normals (rng.h, wm_rng_normal_of_word) ----
 * Row k holds the coefficient of t^k of binade e at [k][e], e = 0..23 (24..31: padding, so a
 * row is two 16-float registers for the permutes). */
/* generated by tools/fit_icdf.py: max |error| of the float coefficients 7.07e-07 */
const float wm_rng_icdf[7][32] = {
    {5.34703445f, 5.22011328f, 5.09023094f, 4.95717478f, 4.82070589f, 4.68055296f,
     4.53640795f, 4.387918f, 4.23467541f, 4.07620668f, 3.91195297f, 3.74125242f,
     3.56330776f, 3.37714601f, 3.18155956f, 2.97502065f, 2.75554895f, 2.52050233f,
     2.26622677f, 1.98742783f, 1.67593968f, 1.31801093f, 0.887146533f, 0.318639368f,
     0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
     0.0f, 0.0f},
    {-0.120714307f, -0.123467118f, -0.126413316f, -0.129576385f, -0.132983953f, -0.136668831f,
     -0.14067024f, -0.145035595f, -0.149822772f, -0.155103236f, -0.160966501f, -0.167526275f,
     -0.174929515f, -0.183370054f, -0.193109363f, -0.204510003f, -0.218091398f, -0.234628126f,
     -0.255334526f, -0.282241702f, -0.319054544f, -0.373417526f, -0.464415848f, -0.659298003f,
     0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
     0.0f, 0.0f},
    {0.0389581695f, 0.0397878624f, 0.0406715982f, 0.0416154005f, 0.0426262692f, 0.0437123701f,
     0.0448833071f, 0.0461504646f, 0.0475274138f, 0.0490305088f, 0.0506796055f, 0.0524990559f,
     0.0545190498f, 0.0567774028f, 0.0593219958f, 0.0622140244f, 0.0655321777f, 0.0693772212f,
     0.0738741532f, 0.0791597143f, 0.0853020474f, 0.0918926448f, 0.0956718475f, 0.0692545101f,
     0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
     0.0f, 0.0f},
    {-0.0169672351f, -0.0173177887f, -0.017690463f, -0.0180876423f, -0.0185120814f, -0.018966984f,
     -0.0194560923f, -0.0199838132f, -0.0205553733f, -0.0211770143f, -0.0218562614f, -0.0226022713f,
     -0.023426285f, -0.0243422575f, -0.0253676996f, -0.0265248362f, -0.0278421808f, -0.0293566678f,
     -0.0311164726f, -0.0331847221f, -0.0356461555f, -0.0386419967f, -0.0427706279f, -0.0572370775f,
     0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
     0.0f, 0.0f},
    {0.00839398336f, 0.00856404193f, 0.00874461606f, 0.0089368159f, 0.00914192107f, 0.00936141331f,
     0.00959701836f, 0.00985076185f, 0.0101250345f, 0.0104226824f, 0.0107471189f, 0.0111024752f,
     0.0114937974f, 0.011927315f, 0.0124107962f, 0.0129540395f, 0.0135695469f, 0.0142734358f,
     0.0150866695f, 0.0160366204f, 0.0171587486f, 0.0184958447f, 0.0200404413f, 0.0189638734f,
     0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
     0.0f, 0.0f},
    {-0.00516054546f, -0.0052632778f, -0.00537225045f, -0.00548810977f, -0.00561159896f, -0.00574357715f,
     -0.00588504178f, -0.00603715982f, -0.0062013045f, -0.00637910375f, -0.00657250406f, -0.00678384909f,
     -0.00701599149f, -0.00727243256f, -0.00755751831f, -0.00787670072f, -0.00823689904f, -0.0086469911f,
     -0.00911848433f, -0.00966639724f, -0.0103103472f, -0.0110757928f, -0.0120022502f, -0.0141017642f,
     0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
     0.0f, 0.0f},
    {0.00287194806f, 0.00292849983f, 0.00298844837f, 0.00305214152f, 0.00311997882f, 0.00319242128f,
     0.00327000255f, 0.00335334684f, 0.00344318617f, 0.00354038738f, 0.00364598329f, 0.00376121537f,
     0.00388758956f, 0.00402694894f, 0.00418157456f, 0.00435431721f, 0.00454878341f, 0.00476958463f,
     0.00502268225f, 0.0053158463f, 0.00565923844f, 0.00606605085f, 0.00655198097f, 0.00681531196f,
     0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
     0.0f, 0.0f},
};

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
/* wm_rng_normal_of_word on 16 words per vector: the binade e indexes each table row by a
 * two-register permute (vpermt2ps) instead of a gather. The polynomial is a dependent chain of
 * FMAs, so two vectors go side by side to keep the FMA units busy. */
#define ICDF_PREP(j)                                                                                           \
    const __m512i wi##j = _mm512_loadu_si512(w + i + 16 * (j));                                                \
    const __m512i xb##j = _mm512_castps_si512(_mm512_cvtepi32_ps(_mm512_or_si512(                             \
        _mm512_srli_epi32(_mm512_xor_si512(wi##j, _mm512_srai_epi32(wi##j, 31)), 7), one)));                   \
    const __m512i e##j = _mm512_sub_epi32(_mm512_srli_epi32(xb##j, 23), b127);                                 \
    const __m512 t##j =                                                                                        \
        _mm512_sub_ps(_mm512_getmant_ps(_mm512_castsi512_ps(xb##j), _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero), c15); \
    __m512 q##j = _mm512_permutex2var_ps(lo[6], e##j, hi[6])
#define ICDF_STEP(j, k) q##j = _mm512_fmadd_ps(q##j, t##j, _mm512_permutex2var_ps(lo[k], e##j, hi[k]))
#define ICDF_STORE(j)                                                                                          \
    _mm512_storeu_ps(z + i + 16 * (j),                                                                         \
                     _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(q##j), _mm512_andnot_si512(wi##j, sign))))

__attribute__((target("avx512f"))) static unsigned normals_avx512(unsigned n, const uint32_t *w, float *z)
{
    __m512 lo[7], hi[7];
    _Pragma("GCC unroll 7") for (int k = 0; k < 7; k++) {
        lo[k] = _mm512_loadu_ps(wm_rng_icdf[k]);
        hi[k] = _mm512_loadu_ps(wm_rng_icdf[k] + 16);
    }
    /* 2h + 1 = ((w ^ (w >>arith 31)) >> 7) | 1 (the xor complements h and clears the top bit);
       1 + f by getmant; z's sign from the word's top bit */
    const __m512i one = _mm512_set1_epi32(1), b127 = _mm512_set1_epi32(127);
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    const __m512 c15 = _mm512_set1_ps(1.5f);
    unsigned i = 0;
    for (; i + 32 <= n; i += 32) {
        ICDF_PREP(0);
        ICDF_PREP(1);
        _Pragma("GCC unroll 6") for (int k = 5; k >= 0; k--) {
            ICDF_STEP(0, k);
            ICDF_STEP(1, k);
        }
        ICDF_STORE(0);
        ICDF_STORE(1);
    }
    for (; i + 16 <= n; i += 16) {
        ICDF_PREP(0);
        _Pragma("GCC unroll 6") for (int k = 5; k >= 0; k--)
            ICDF_STEP(0, k);
        ICDF_STORE(0);
    }
    return i;
}
#endif

unsigned wm_rng_normals_simd(unsigned n, const uint32_t *w, float *z)
{
#if defined(__GNUC__) && defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f"))
        return normals_avx512(n, w, z);
#else
    (void)n, (void)w, (void)z;
#endif
    return 0;
}

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
