/* test_sim.c - the Monte Carlo engine: bit-identical results for 1 and 2 threads and for any
 * split of the paths (as MPI ranks would split them), zero volatility equals the deterministic
 * projection exactly on every path, progress reaches the total, cancel stops the run. */
#include "wmtest.h"

#include "sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NDAYS 800
#define NF 6

/* Reducer that keeps every day's main fields (for exact comparisons). */
static wm_status keep_all(void *ctx, void *ws, uint64_t path, const wm_scenario_day *d, int n, double *out)
{
    (void)ctx;
    (void)ws;
    (void)path;
    for (int i = 0; i < n; i++) {
        out[NF * i + 0] = d[i].price_usd_per_btc;
        out[NF * i + 1] = d[i].difficulty;
        out[NF * i + 2] = d[i].hashprice_usd_per_ph_day;
        out[NF * i + 3] = d[i].power_usd_per_mwh;
        out[NF * i + 4] = d[i].gpu_usd_per_gpu_hour;
        out[NF * i + 5] = d[i].colo_rent_factor;
    }
    return WM_OK;
}

static wm_sim_config config(const wm_scenario_params *p, uint64_t paths, int threads)
{
    wm_sim_config c;
    memset(&c, 0, sizeof c);
    c.scn = p;
    c.seed = 20260212;
    c.paths = paths;
    c.ndays = NDAYS;
    c.threads = threads;
    c.nout = (size_t)NF * NDAYS;
    c.path_fn = keep_all;
    return c;
}

static void test_threads_identical(void **state)
{
    (void)state;
    wm_scenario_params p;
    wm_scenario_defaults(&p);
    const uint64_t n = 200;
    size_t sz = (size_t)n * NF * NDAYS;
    double *a = malloc(sz * sizeof *a), *b = malloc(sz * sizeof *b), *c = malloc(sz * sizeof *c);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    wm_sim_config c1 = config(&p, n, 1), c2 = config(&p, n, 2);
    assert_int_equal(wm_sim_run(&c1, a, NULL), WM_OK);
    assert_int_equal(wm_sim_run(&c2, b, NULL), WM_OK);
    assert_memory_equal(a, b, sz * sizeof *a);
    /* two "ranks": paths [0, 77) and [77, 200) with first_path offsets */
    wm_sim_config r0 = config(&p, 77, 2), r1 = config(&p, n - 77, 1);
    r1.first_path = 77;
    assert_int_equal(wm_sim_run(&r0, c, NULL), WM_OK);
    assert_int_equal(wm_sim_run(&r1, c + (size_t)77 * NF * NDAYS, NULL), WM_OK);
    assert_memory_equal(a, c, sz * sizeof *a);
    /* and the paths really are random: prices differ between paths */
    assert_true(a[NF * (NDAYS - 1)] != a[(size_t)NF * NDAYS + NF * (NDAYS - 1)]);
    /* a different seed gives different numbers */
    c1.seed++;
    assert_int_equal(wm_sim_run(&c1, c, NULL), WM_OK);
    assert_true(memcmp(a, c, sz * sizeof *a) != 0);
    free(a);
    free(b);
    free(c);
}

/* Volatility zero: every simulated path equals the deterministic projection bit for bit. */
static void test_zero_vol_is_projection(void **state)
{
    (void)state;
    wm_scenario_params p;
    wm_scenario_defaults(&p);
    wm_scenario_zero_vol(&p);
    const uint64_t n = 40;
    size_t row = (size_t)NF * NDAYS;
    double *a = malloc(n * row * sizeof *a);
    assert_non_null(a);
    wm_sim_config c = config(&p, n, 2);
    assert_int_equal(wm_sim_run(&c, a, NULL), WM_OK);
    wm_scenario_day *proj = malloc(NDAYS * sizeof *proj);
    assert_non_null(proj);
    assert_int_equal(wm_scenario_project(&p, NDAYS, proj), WM_OK);
    double *want = malloc(row * sizeof *want);
    assert_non_null(want);
    keep_all(NULL, NULL, 0, proj, NDAYS, want);
    for (uint64_t k = 0; k < n; k++)
        assert_memory_equal(a + k * row, want, row * sizeof *want);
    /* the deterministic flag gives the same */
    c.deterministic = true;
    memset(a, 0, n * row * sizeof *a);
    assert_int_equal(wm_sim_run(&c, a, NULL), WM_OK);
    assert_memory_equal(a + (n - 1) * row, want, row * sizeof *want);
    free(a);
    free(proj);
    free(want);
}

typedef struct prog {
    uint64_t last, total;
    uint64_t cancel_after;
    int calls;
} prog;
static bool on_progress(void *ctx, uint64_t done, uint64_t total)
{
    prog *g = ctx;
    g->calls++;
    if (done > g->last)
        g->last = done;
    g->total = total;
    return !(g->cancel_after && done >= g->cancel_after);
}

static void test_progress_and_cancel(void **state)
{
    (void)state;
    wm_scenario_params p;
    wm_scenario_defaults(&p);
    const uint64_t n = 300;
    double *a = malloc((size_t)n * NF * NDAYS * sizeof *a);
    assert_non_null(a);
    prog g = {0, 0, 0, 0};
    wm_sim_config c = config(&p, n, 2);
    c.progress = on_progress;
    c.progress_ctx = &g;
    assert_int_equal(wm_sim_run(&c, a, NULL), WM_OK);
    assert_int_equal(g.last, n);
    assert_int_equal(g.total, n);
    assert_true(g.calls >= 2);
    prog h = {0, 0, 40, 0};
    c.progress_ctx = &h;
    assert_int_equal(wm_sim_run(&c, a, NULL), WM_ECANCELLED);
    assert_true(h.last < n);
    free(a);
}

/* The streaming sample reducer gives the same numbers as the per-path one. */
static void test_day_fn_equals_path_fn(void **state)
{
    (void)state;
    wm_scenario_params p;
    wm_scenario_defaults(&p);
    int sd[3] = {10, 400, NDAYS - 1};
    wm_sim_sample smp = {sd, 3};
    const uint64_t n = 37; /* not a multiple of the lane count */
    size_t nout = 10;
    double a[37 * 10], b[37 * 10];
    wm_sim_config c = config(&p, n, 2);
    c.nout = nout;
    c.path_fn = wm_sim_sample_fn;
    c.ctx = &smp;
    assert_int_equal(wm_sim_run(&c, a, NULL), WM_OK);
    c.path_fn = NULL;
    c.day_fn = wm_sim_sample_day_fn;
    c.threads = 1;
    assert_int_equal(wm_sim_run(&c, b, NULL), WM_OK);
    assert_memory_equal(a, b, sizeof a);
    assert_true(a[9] > 0 && a[0] > 0);
    c.path_fn = wm_sim_sample_fn; /* both reducers at once is refused */
    assert_int_equal(wm_sim_run(&c, b, NULL), WM_EINVAL);
}

static void test_bad_config(void **state)
{
    (void)state;
    wm_scenario_params p;
    wm_scenario_defaults(&p);
    double out[NF];
    wm_sim_config c = config(&p, 1, 1);
    wm_err e;
    c.ndays = 0;
    assert_int_equal(wm_sim_run(&c, out, &e), WM_EINVAL);
    c = config(&p, 1, 1);
    c.path_fn = NULL;
    assert_int_equal(wm_sim_run(&c, out, &e), WM_EINVAL);
    p.hash_lag_days = 0;
    c = config(&p, 1, 1);
    assert_int_equal(wm_sim_run(&c, out, &e), WM_ERANGE);
    assert_non_null(strstr(e.msg, "hash_lag_days"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_zero_vol_is_projection),
        cmocka_unit_test(test_progress_and_cancel),
        cmocka_unit_test(test_day_fn_equals_path_fn),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
