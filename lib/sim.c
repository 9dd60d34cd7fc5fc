/* sim.c - pthread pool over Monte Carlo paths (see sim.h). Workers take chunks of paths from
 * an atomic counter; the order in which chunks run never affects a path's numbers. */
#include "sim.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK WM_LANES /* paths a worker takes at a time: one batch of lanes */
#define MAX_THREADS 256

typedef struct shared {
    const wm_sim_config *c;
    double *out;
    atomic_uint_fast64_t next;
    atomic_uint_fast64_t done;
    atomic_int stop;     /* 0 run, 1 cancelled, 2 failed */
    wm_status fail;
    pthread_mutex_t lock;
} shared;

int wm_sim_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

static void fail(shared *sh, wm_status st)
{
    pthread_mutex_lock(&sh->lock);
    sh->fail = st;
    pthread_mutex_unlock(&sh->lock);
    atomic_store(&sh->stop, 2);
}

static void *worker(void *arg)
{
    shared *sh = arg;
    const wm_sim_config *c = sh->c;
    const size_t nd = (size_t)c->ndays;
    wm_scenario_day *days = c->day_fn ? NULL : malloc(WM_LANES * nd * sizeof *days);
    void *ws = c->ws_bytes ? calloc(1, c->ws_bytes) : NULL;
    wm_scenario_state *st = malloc(sizeof *st);
    if ((!c->day_fn && !days) || !st || (c->ws_bytes && !ws)) {
        fail(sh, WM_ENOMEM);
        goto out;
    }
    for (;;) {
        if (atomic_load(&sh->stop))
            break;
        uint64_t i0 = atomic_fetch_add(&sh->next, CHUNK);
        if (i0 >= c->paths)
            break;
        uint64_t i1 = i0 + CHUNK < c->paths ? i0 + CHUNK : c->paths;
        for (uint64_t i = i0; i < i1; i += WM_LANES) {
            int nl = (int)(i1 - i < WM_LANES ? i1 - i : WM_LANES);
            uint64_t gp = c->first_path + i;
            double *rows = sh->out + i * c->nout;
            wm_status s = wm_scenario_start_lanes(c->scn, c->seed, gp, !c->deterministic, st);
            if (s == WM_OK && c->day_fn) {
                memset(rows, 0, (size_t)nl * c->nout * sizeof *rows);
                wm_scenario_lanes lanes;
                for (int d = 0; s == WM_OK && d < c->ndays; d++) {
                    wm_scenario_step_lanes(c->scn, st, &lanes);
                    s = c->day_fn(c->ctx, gp, nl, d, &lanes, rows, c->nout);
                }
            } else if (s == WM_OK) {
                wm_scenario_lanes lanes;
                for (size_t d = 0; d < nd; d++) {
                    wm_scenario_step_lanes(c->scn, st, &lanes);
                    for (int l = 0; l < nl; l++)
                        wm_scenario_lanes_get(&lanes, (unsigned)l, &days[(size_t)l * nd + d]);
                }
                for (int l = 0; s == WM_OK && l < nl; l++)
                    s = c->path_fn(c->ctx, ws, gp + (uint64_t)l, days + (size_t)l * nd, c->ndays,
                                   rows + (size_t)l * c->nout);
            }
            if (s != WM_OK) {
                fail(sh, s);
                goto out;
            }
        }
        uint64_t done = atomic_fetch_add(&sh->done, i1 - i0) + (i1 - i0);
        if (c->progress) {
            pthread_mutex_lock(&sh->lock);
            bool go = c->progress(c->progress_ctx, done, c->paths);
            pthread_mutex_unlock(&sh->lock);
            if (!go) {
                int zero = 0;
                atomic_compare_exchange_strong(&sh->stop, &zero, 1);
            }
        }
    }
out:
    free(days);
    free(ws);
    free(st);
    return NULL;
}

wm_status wm_sim_run(const wm_sim_config *c, double *out, wm_err *err)
{
    if (!c || !c->scn || (!c->path_fn == !c->day_fn) || !out || c->nout == 0)
        return wm_err_set(err, WM_EINVAL, "sim", 0, 0, "missing scenario, output, or not exactly one reducer");
    if (c->ndays < 1 || c->ndays > WM_SCENARIO_MAX_DAYS)
        return wm_err_set(err, WM_EINVAL, "sim", 0, 0, "days %d outside [1, %d]", c->ndays,
                          WM_SCENARIO_MAX_DAYS);
    if (c->threads < 0 || c->threads > MAX_THREADS)
        return wm_err_set(err, WM_EINVAL, "sim", 0, 0, "threads %d outside [0, %d]", c->threads, MAX_THREADS);
    wm_status st = wm_scenario_check(c->scn, err);
    if (st != WM_OK)
        return st;
    if (c->paths == 0)
        return WM_OK;
    shared sh;
    memset(&sh, 0, sizeof sh);
    sh.c = c;
    sh.out = out;
    atomic_init(&sh.next, 0);
    atomic_init(&sh.done, 0);
    atomic_init(&sh.stop, 0);
    sh.fail = WM_OK;
    pthread_mutex_init(&sh.lock, NULL);
    int nt = c->threads ? c->threads : wm_sim_default_threads();
    if ((uint64_t)nt > (c->paths + CHUNK - 1) / CHUNK)
        nt = (int)((c->paths + CHUNK - 1) / CHUNK);
    pthread_t tid[MAX_THREADS];
    int started = 0;
    for (int t = 1; t < nt; t++) {
        if (pthread_create(&tid[t], NULL, worker, &sh) != 0)
            break;
        started = t;
    }
    worker(&sh); /* the calling thread works too */
    for (int t = 1; t <= started; t++)
        pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&sh.lock);
    int stop = atomic_load(&sh.stop);
    if (stop == 2)
        return wm_err_set(err, sh.fail, "sim", 0, 0, "a path failed: %s", wm_strerror(sh.fail));
    if (stop == 1)
        return WM_ECANCELLED;
    return WM_OK;
}

wm_status wm_sim_sample_fn(void *ctx, void *ws, uint64_t path, const wm_scenario_day *days, int ndays,
                           double *out)
{
    (void)ws;
    (void)path;
    const wm_sim_sample *s = ctx;
    for (int k = 0; k < s->nsample; k++) {
        int d = s->days[k];
        if (d < 0 || d >= ndays)
            return WM_EINVAL;
        out[3 * k + 0] = days[d].price_usd_per_btc;
        out[3 * k + 1] = days[d].difficulty;
        out[3 * k + 2] = days[d].hashprice_usd_per_ph_day;
    }
    double sum = 0;
    for (int d = 0; d < ndays; d++)
        sum += days[d].hashprice_usd_per_ph_day;
    out[3 * s->nsample] = sum;
    return WM_OK;
}

wm_status wm_sim_sample_day_fn(void *ctx, uint64_t first_path, int nlanes, int day, const wm_scenario_lanes *lanes,
                               double *rows, size_t nout)
{
    (void)first_path;
    const wm_sim_sample *s = ctx;
    for (int k = 0; k < s->nsample; k++)
        if (s->days[k] == day)
            for (int l = 0; l < nlanes; l++) {
                double *o = rows + (size_t)l * nout;
                o[3 * k + 0] = lanes->price_usd_per_btc[l];
                o[3 * k + 1] = lanes->difficulty[l];
                o[3 * k + 2] = lanes->hashprice_usd_per_ph_day[l];
            }
    for (int l = 0; l < nlanes; l++)
        rows[(size_t)l * nout + 3 * (size_t)s->nsample] += lanes->hashprice_usd_per_ph_day[l];
    return WM_OK;
}
