/* sim.h - the Monte Carlo engine: runs scenario paths on a pool of pthreads and hands each
 * path's days to a caller-supplied reducer that writes a fixed number of outputs per path.
 * Invariants: path i always gets the random streams of global index first_path + i (rng.h),
 * and writes only its own output row, so results are bit-identical for any number of threads
 * (and for any split of paths among MPI ranks); workers allocate their workspace once, never
 * inside the path loop; a progress callback (serialized, called from worker threads) may
 * cancel the run, which then returns WM_ECANCELLED with the rows computed so far. */
#ifndef WM_SIM_H
#define WM_SIM_H

#include "scenario.h"

/* Reduce one path: days[0..ndays) -> out[0..nout). ws is the worker's scratch (ws_bytes,
 * zeroed once per worker, reused across its paths). Must be thread-safe over ctx. */
typedef wm_status (*wm_sim_path_fn)(void *ctx, void *ws, uint64_t path, const wm_scenario_day *days,
                                    int ndays, double *out);
/* Streaming alternative (no per-path day arrays): called for every day of a batch of nlanes
 * paths (first_path ..); lane l of `lanes` is path first_path + l; rows[l * nout ..] is that
 * path's output row (zeroed before day 0). */
typedef wm_status (*wm_sim_day_fn)(void *ctx, uint64_t first_path, int nlanes, int day,
                                   const wm_scenario_lanes *lanes, double *rows, size_t nout);
/* Progress: paths done so far out of total; return false to cancel. */
typedef bool (*wm_sim_progress_fn)(void *ctx, uint64_t done, uint64_t total);

typedef struct wm_sim_config {
    const wm_scenario_params *scn;
    uint64_t seed;
    uint64_t paths;        /* paths of this run */
    uint64_t first_path;   /* global index of the first path (MPI rank offset) */
    int ndays;             /* 1 .. WM_SCENARIO_MAX_DAYS */
    int threads;           /* 0 = one per online CPU */
    size_t nout;           /* outputs per path */
    wm_sim_path_fn path_fn;   /* one of path_fn / day_fn */
    wm_sim_day_fn day_fn;
    void *ctx;
    size_t ws_bytes;
    wm_sim_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    bool deterministic;    /* run the zero-randomness projection on every path */
} wm_sim_config;

/* out holds paths * nout doubles (row per path). */
wm_status wm_sim_run(const wm_sim_config *c, double *out, wm_err *err);
int wm_sim_default_threads(void);

/* A ready-made reducer for the benchmark and the backtest: for each of `nsample` sample days
 * (ctx = wm_sim_sample), writes price, difficulty and hashprice (USD/PH/day), plus the sum of
 * hashprice over all days as the last output. nout = 3 * nsample + 1. */
typedef struct wm_sim_sample {
    const int *days;       /* sample day indexes, increasing, < ndays */
    int nsample;
} wm_sim_sample;
wm_status wm_sim_sample_fn(void *ctx, void *ws, uint64_t path, const wm_scenario_day *days, int ndays,
                           double *out);
/* The same outputs as a streaming reducer (identical numbers). */
wm_status wm_sim_sample_day_fn(void *ctx, uint64_t first_path, int nlanes, int day, const wm_scenario_lanes *lanes,
                               double *rows, size_t nout);

#endif
