/* rng.h - counter-based random numbers for the Monte Carlo (Random123 Philox4x32-10, Salmon et
 * al., SC'11). A stream is keyed by (seed, path, stream id): key = the 64-bit seed, counter =
 * (block index, stream id, path low 32 bits, path high 32 bits). The numbers a path sees
 * therefore depend only on (seed, path, stream), never on which thread or MPI rank runs it or in
 * which order paths are run: that is what makes results bit-identical for any thread count.
 * Invariants: a wm_rng is a plain value (no allocation, no global state except the ziggurat
 * tables, built once and read-only); every draw is a pure function of (key, counter position).
 * Uniforms are in the open interval (0, 1); normals come from a 256-layer ziggurat (Marsaglia and
 * Tsang 2000). Formulas and sources: docs/model-mc.md. */
#ifndef WM_RNG_H
#define WM_RNG_H

#include "wattmux.h"

#include <stdint.h>

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

/* ---- lock-step lanes: WM_LANES paths drawn side by side (SIMD) ----
 * Lane l is path first_path + l; its words are exactly the words of the scalar stream
 * (seed, first_path + l, stream), so a lane's numbers never depend on the other lanes. Every
 * lane consumes one word per call; when a normal's first word is rejected by the ziggurat, that
 * lane continues on its own auxiliary stream (stream id + WM_STREAM_AUX), keeping the lanes in
 * step. Invariant: pos is shared by all lanes. */
#define WM_LANES 8
#define WM_LANE_WORDS 16 /* 4 Philox blocks per refill */
#define WM_STREAM_AUX 0x40000000u
typedef struct wm_rng_lanes {
    uint32_t key[2];
    uint32_t stream;
    uint32_t block;      /* next Philox block index */
    unsigned pos;        /* next word of buf; WM_LANE_WORDS = empty */
    uint32_t path_lo[WM_LANES], path_hi[WM_LANES];
    uint32_t buf[WM_LANE_WORDS][WM_LANES];
    wm_rng aux[WM_LANES];
} wm_rng_lanes;
void wm_rng_lanes_init(wm_rng_lanes *r, uint64_t seed, uint64_t first_path, uint32_t stream);
void wm_rng_lanes_refill(wm_rng_lanes *r);
/* Next word of every lane. */
static inline const uint32_t *wm_rng_lanes_u32(wm_rng_lanes *r)
{
    if (r->pos >= WM_LANE_WORDS)
        wm_rng_lanes_refill(r);
    return r->buf[r->pos++];
}
/* One standard normal per lane. */
void wm_rng_lanes_normal(wm_rng_lanes *r, double out[WM_LANES]);
/* The same, inlinable into a caller's SIMD loop: the ziggurat's fast path here, rejected lanes
 * finished by wm_rng_lanes_normal_fix (identical numbers to wm_rng_lanes_normal). */
extern const double *const wm_rng_zig_x;   /* 257 layer edges, read-only after the first init */
void wm_rng_lanes_normal_fix(wm_rng_lanes *r, const uint32_t *u, double out[WM_LANES]);
static inline void wm_rng_lanes_normal_inline(wm_rng_lanes *r, double out[WM_LANES])
{
    const uint32_t *u = wm_rng_lanes_u32(r);
    const double *zx = wm_rng_zig_x;
    int bad = 0;
    for (unsigned l = 0; l < WM_LANES; l++) {
        unsigned i = u[l] & 0xffu;
        double sign = (u[l] & 0x100u) ? -1.0 : 1.0;
        double x = ((double)(u[l] >> 9) + 0.5) * (1.0 / 8388608.0) * zx[i];
        out[l] = sign * x;
        bad |= !(x < zx[i + 1]);
    }
    if (bad)
        wm_rng_lanes_normal_fix(r, u, out);
}
/* Uniform integer in [0, n) per lane by multiply-shift (bias below n / 2^32). */
void wm_rng_lanes_below(wm_rng_lanes *r, uint32_t n, uint32_t out[WM_LANES]);

/* One raw Philox4x32-10 block (for known-answer tests and other modules). */
void wm_rng_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

#endif
