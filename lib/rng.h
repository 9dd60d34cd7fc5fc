/* rng.h - counter-based random numbers for the Monte Carlo (Random123 Philox4x32-10, Salmon et
 * al., SC'11). A stream is keyed by (seed, path, stream id): key = the 64-bit seed, counter =
 * (block index, stream id, path low 32 bits, path high 32 bits). The numbers a path sees
 * therefore depend only on (seed, path, stream), never on which thread or MPI rank runs it or in
 * which order paths are run: that is what makes results bit-identical for any thread count.
 * Invariants: a wm_rng is a plain value (no allocation, no global state except the ziggurat
 * tables, built once and read-only); every draw is a pure function of (key, counter position).
 * Uniforms are in the open interval (0, 1); scalar normals come from a 256-layer ziggurat
 * (Marsaglia and Tsang 2000), lane normals by inversion of the normal CDF in float (below).
 * Formulas and sources: docs/model-mc.md. */
#ifndef WM_RNG_H
#define WM_RNG_H

#include "wattmux.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Stream ids: one per independent source of randomness, so that changing one model's
 * parameters (or whether it draws at all) leaves every other model's draws unchanged
 * (common random numbers across strategies and stress tests). */
enum wm_rng_stream {
    WM_STREAM_PRICE = 1,      /* BTC log-returns (diffusion) or bootstrap block starts */
    WM_STREAM_PRICE_JUMP = 2, /* BTC jump arrivals and sizes */
    WM_STREAM_NETWORK = 3,    /* hashrate noise */
    WM_STREAM_FEES = 4,       /* fee level noise and spikes */
    WM_STREAM_POWER = 5,      /* daily power price level and day shapes */
    WM_STREAM_AI = 6,         /* AI price noise */
    WM_STREAM_TENANT = 7,     /* colocation tenant default and re-letting */
    WM_STREAM_FEE_SPIKE = 8,  /* fee spike arrivals and sizes */
    WM_STREAM_POWER_SPIKE = 9, /* power price spike arrivals and sizes */
    WM_STREAM_AI_JUMP = 10,   /* AI price shock arrivals */
    WM_STREAM_USER = 16       /* first id free for callers */
};

#define WM_RNG_BUF 32 /* u32 per refill: 8 Philox blocks */

typedef struct wm_rng {
    uint32_t key[2];
    uint32_t ctr[4];     /* ctr[0] = next block index */
    uint32_t buf[WM_RNG_BUF];
    unsigned pos;        /* next unused word of buf; WM_RNG_BUF = empty */
} wm_rng;

/* Position the stream at its first number. */
void wm_rng_init(wm_rng *r, uint64_t seed, uint64_t path, uint32_t stream);
/* Refill the buffer (internal; called by the inline draws). */
void wm_rng_refill(wm_rng *r);

static inline uint32_t wm_rng_u32(wm_rng *r)
{
    if (r->pos >= WM_RNG_BUF)
        wm_rng_refill(r);
    return r->buf[r->pos++];
}

/* Uniform on (0, 1) with 2^-32 resolution: (u + 0.5) 2^-32. */
static inline double wm_rng_uniform(wm_rng *r)
{
    return ((double)wm_rng_u32(r) + 0.5) * (1.0 / 4294967296.0);
}

/* Standard normal (ziggurat; about 1.01 words per draw). */
double wm_rng_normal(wm_rng *r);
/* Exponential with mean 1 (-log U). */
double wm_rng_exponential(wm_rng *r);
/* Uniform integer in [0, n), n >= 1, without modulo bias (Lemire 2019). */
uint32_t wm_rng_below(wm_rng *r, uint32_t n);
/* Student-t with nu > 2 degrees of freedom scaled to unit variance (fat-tailed shocks):
 * z / sqrt(chi2_nu / nu) * sqrt((nu - 2) / nu), chi2 as a sum of nu squared normals when nu is
 * an integer <= 16, else via the Marsaglia-Tsang gamma sampler. */
double wm_rng_student_t(wm_rng *r, double nu);
/* Gamma(shape a > 0, scale 1), Marsaglia and Tsang (2000). */
double wm_rng_gamma(wm_rng *r, double a);
/* Poisson with mean lambda in [0, 1e6]: inversion for lambda < 30, else normal rounding
 * (documented approximation, used only for counts of rare events). */
uint32_t wm_rng_poisson(wm_rng *r, double lambda);

/* ---- lanes: WM_LANES paths drawn side by side (SIMD) ----
 * Lane l is path first_path + l. wm_rng_philox_lanes computes, for every lane at once, the
 * Philox4x32-10 block at counter (block, stream, path low, path high): exactly the words the
 * scalar stream (seed, path, stream) holds at positions 4 block .. 4 block + 3 (same rounds and
 * key schedule as Random123's philox4x32), so a lane never depends on its neighbours.
 * wm_rng_normals_n turns each word into one standard normal (float) by inversion:
 * z = Phi^-1(u) for the 24-bit uniform u = (w >> 8 + 1/2) 2^-24, so |z| <= 5.42 (P(|z| > 5.42)
 * = 6e-8 for the exact normal). 32 lanes: each AVX-512 register holds 16 floats or 8 doubles,
 * and 32 paths a step give the out-of-order core two or three lanes' retarget walks (scalar,
 * long dependent chains) to overlap each day, where 16 gave it one (+8 % for the whole step;
 * 48 and 64 ran slower on two threads). */
#define WM_LANES 32
/* n Philox4x32-10 blocks at once: block i at counter (c0[i], c1[i], c2[i], c3[i]) under key,
 * word j to oj[i]. The ten rounds run on one counter in registers (64-bit lanes holding 32-bit
 * words, so the 32x32->64 products are single SIMD multiplies); the loop over i vectorises,
 * best with n a multiple of 8. */
static inline void wm_rng_philox_n(const uint32_t key[2], unsigned n, const uint32_t *c0, const uint32_t *c1,
                                   const uint32_t *c2, const uint32_t *c3, uint32_t *o0, uint32_t *o1,
                                   uint32_t *o2, uint32_t *o3)
{
    uint64_t ka[10], kb[10];
    for (uint32_t r = 0; r < 10; r++) {
        ka[r] = (uint32_t)(key[0] + r * 0x9E3779B9u);
        kb[r] = (uint32_t)(key[1] + r * 0xBB67AE85u);
    }
    for (unsigned i = 0; i < n; i++) {
        uint64_t a0 = c0[i], a1 = c1[i], a2 = c2[i], a3 = c3[i];
        for (int r = 0; r < 10; r++) {
            uint64_t p0 = (uint64_t)(uint32_t)a0 * 0xD2511F53u;
            uint64_t p1 = (uint64_t)(uint32_t)a2 * 0xCD9E8D57u;
            uint64_t n0 = (p1 >> 32) ^ a1 ^ ka[r];
            uint64_t n2 = (p0 >> 32) ^ a3 ^ kb[r];
            a1 = p1 & 0xffffffffu;
            a3 = p0 & 0xffffffffu;
            a0 = n0;
            a2 = n2;
        }
        o0[i] = (uint32_t)a0;
        o1[i] = (uint32_t)a1;
        o2[i] = (uint32_t)a2;
        o3[i] = (uint32_t)a3;
    }
}
/* The first blocks of such a batch on x86-64 CPUs with AVX-512F (checked at run time), by SIMD
 * intrinsics whose multiplies are single vpmuludq instructions (GCC 12 turns the portable
 * loop's masked 64-bit products into a three-multiply emulation). Returns how many blocks it
 * computed: a multiple of 16, 0 elsewhere; wm_rng_philox_n does the rest. Same words. */
unsigned wm_rng_philox_simd(const uint32_t key[2], unsigned n, const uint32_t *c0, const uint32_t *c1, const uint32_t *c2,
                            const uint32_t *c3, uint32_t *o0, uint32_t *o1, uint32_t *o2, uint32_t *o3);
/* The block at counter (block, stream, path) for every lane: out[j][l] = word j of lane l. */
static inline void wm_rng_philox_lanes(const uint32_t key[2], uint32_t block, uint32_t stream,
                                       const uint32_t *path_lo, const uint32_t *path_hi,
                                       uint32_t out[4][WM_LANES])
{
    uint32_t b[WM_LANES], st[WM_LANES];
    for (unsigned l = 0; l < WM_LANES; l++) {
        b[l] = block;
        st[l] = stream;
    }
    wm_rng_philox_n(key, WM_LANES, b, st, path_lo, path_hi, out[0], out[1], out[2], out[3]);
}
/* The normal of a word by inversion: z = Phi^-1(u) for u = (w >> 8 + 1/2) 2^-24, up to the
 * approximation of Q(v) = -Phi^-1(v) on v in (0, 1/2): with the word's top bit clear (u < 1/2)
 * its next 23 bits are h, v = u = (2h + 1) 2^-25 and z = -Q(v); with it set, h is their
 * complement, v = 1 - u and z = +Q(v). Per binade e of 2h + 1 (the exponent of the float
 * 2h + 1, exact below 2^24), 2h + 1 = 2^e (1.5 + t) with t in [-1/2, 1/2),
 * and Q is a degree-6 polynomial in t (wm_rng_icdf, from tools/fit_icdf.py). |error| < 1e-6
 * against Phi^-1 over all 2^24 inputs (tested exhaustively). Branch-free; its table lookups are
 * register permutes in wm_rng_normals_simd, which gives the same bits (fmaf is correctly rounded). */
extern const float wm_rng_icdf[7][32];
static inline float wm_rng_normal_of_word(uint32_t w)
{
    /* w ^ (all ones if the top bit is set) complements h and clears the top bit; >> 7 is then
       2h plus a low bit that | 1 overwrites */
    const uint32_t wf = w ^ (uint32_t)((int32_t)w >> 31);
    const float x = (float)(int32_t)((wf >> 7) | 1u); /* 2h + 1 */
    uint32_t xb, tb;
    memcpy(&xb, &x, sizeof xb);
    const uint32_t e = (xb >> 23) - 127u;        /* 0..23 */
    tb = (xb & 0x007fffffu) | 0x3f800000u; /* 2h + 1 = 2^e (1 + f): 1 + f in [1, 2) */
    float t;
    memcpy(&t, &tb, sizeof t);
    t -= 1.5f;
    float q = wm_rng_icdf[6][e];
    for (int k = 5; k >= 0; k--)
        q = fmaf(q, t, wm_rng_icdf[k][e]);
    uint32_t qb;
    memcpy(&qb, &q, sizeof qb);
    qb ^= (~w & 0x80000000u); /* top bit clear: u < 1/2, z = -Q */
    memcpy(&q, &qb, sizeof q);
    return q;
}
/* The first words of a batch on x86-64 CPUs with AVX-512F (checked at run time): 16 at a time,
 * the table rows in registers. Returns how many it converted (a multiple of 16, 0 elsewhere). */
unsigned wm_rng_normals_simd(unsigned n, const uint32_t *w, float *z);
/* z[i] = wm_rng_normal_of_word(w[i]) for i < n. */
static inline void wm_rng_normals_n(unsigned n, const uint32_t *w, float *z)
{
    for (unsigned i = wm_rng_normals_simd(n, w, z); i < n; i++)
        z[i] = wm_rng_normal_of_word(w[i]);
}
/* Uniform integer in [0, n) from a word by multiply-shift (bias below n / 2^32). */
static inline uint32_t wm_rng_word_below(uint32_t w, uint32_t n)
{
    return (uint32_t)(((uint64_t)w * n) >> 32);
}

/* One raw Philox4x32-10 block (for known-answer tests and other modules). */
void wm_rng_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

#endif
