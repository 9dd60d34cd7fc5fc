/* bench_dispatch.c - dispatch speed: one year of 15-minute intervals (35,040) with 20 load groups
 * (1 firm inference load, 1 interruptible training load or none, the rest ASIC fleet segments of
 * different efficiency), on the real 2023 LZ_WEST prices held over each hour, solved by the
 * specialised exact algorithm and by the GLPK formulation of the same instance in the same run.
 * Prints both times, their ratio and the objectives (targets: < 50 ms, >= 100x, relative 1e-9).
 * Instances: A = PPA with sell-back + monthly demand charge + 4CP (merit order + demand-level
 * search; GLPK solves an LP); B = A's loads without the demand charge plus a training load with a
 * checkpoint cost and minimum run/off times (DP; GLPK solves a MILP, limited to WM_BENCH_GLPK_S). */
#include "dispatch.h"
#include "prices.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* GLPK on the same LP, one billing month at a time: the LP is block-separable by month (no
 * variable or row spans two months when there is no block load), so this is the same optimum and
 * strictly easier for GLPK than the whole-year LP (which takes hours). Returns the objective. */
static double glpk_by_month(const wm_dispatch_problem *p, wm_dispatch_ws *ws)
{
    double obj = 0;
    size_t t0 = 0;
    while (t0 < p->n) {
        size_t t1 = t0;
        while (t1 < p->n && p->month[t1] == p->month[t0])
            t1++;
        wm_dispatch_problem q = *p;
        q.n = t1 - t0;
        q.time = p->time + t0;
        q.buy = p->buy + t0;
        q.sell = p->sell ? p->sell + t0 : NULL;
        q.cap_mw = p->cap_mw + t0;
        q.charge4cp = p->charge4cp ? p->charge4cp + t0 : NULL;
        q.month = NULL;
        q.nmonths = 1;
        wm_err e;
        if (wm_dispatch_solve_glpk(&q, ws, &e) != WM_OK) {
            fprintf(stderr, "glpk failed: %s\n", e.msg);
            exit(1);
        }
        obj += wm_dispatch_result(ws)->profit_usd;
        t0 = t1;
    }
    return obj;
}

static double time_solve(const wm_dispatch_problem *p, wm_dispatch_ws *ws, int reps, double *obj)
{
    double t[64];
    for (int i = 0; i < reps; i++) {
        double t0 = now_s();
        wm_err e;
        if (wm_dispatch_solve(p, ws, &e) != WM_OK) {
            fprintf(stderr, "solve failed: %s\n", e.msg);
            exit(1);
        }
        t[i] = now_s() - t0;
    }
    *obj = wm_dispatch_result(ws)->profit_usd;
    qsort(t, (size_t)reps, sizeof t[0], cmp_d);
    return t[reps / 2];
}

int main(void)
{
    const char *root = getenv("WM_SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/power/ercot_rtm_lz_hourly_2023.csv", root && *root ? root : "../shared");
    wm_prices_req req = {.column = "LZ_WEST", .tz = WM_TZ_US_CENTRAL, .step_s = 900};
    wm_prices *pr;
    wm_err e;
    if (wm_prices_load(path, &req, &pr, &e) != WM_OK) {
        fprintf(stderr, "bench_dispatch: %s: %s\n", path, e.msg);
        return 1;
    }
    size_t n = pr->n;
    const char *nenv = getenv("WM_BENCH_N");
    if (nenv && strtoul(nenv, NULL, 10) > 0 && strtoul(nenv, NULL, 10) < n)
        n = strtoul(nenv, NULL, 10);
    double *buy = malloc(n * sizeof(double)), *sell = malloc(n * sizeof(double)), *cap = malloc(n * sizeof(double)),
           *c4 = calloc(n, sizeof(double));
    int *month = malloc(n * sizeof(int));
    int m = -1;
    int64_t prev = -1;
    for (size_t t = 0; t < n; t++) {
        buy[t] = pr->price[t] + 2.0;
        sell[t] = pr->price[t] - 0.5;
        cap[t] = 100.0;
        int64_t day = (pr->time[t] - 6 * 3600) / 86400; /* months by CST day: enough for a benchmark */
        int y;
        unsigned mo, d;
        wm_civil_from_days(day, &y, &mo, &d);
        if ((int64_t)mo != prev) {
            m++;
            prev = mo;
        }
        month[t] = m;
    }
    for (size_t t = 0; t < n; t += n / 4 + 7)
        c4[t] = 100.0 * 1000 / 4 / 0.25;
    wm_dispatch_problem p = {.n = n, .dt_h = 0.25, .time = pr->time, .buy = buy, .sell = sell, .cap_mw = cap,
                             .charge4cp = c4, .month = month, .nmonths = m + 1, .ppa_mw = 40, .ppa_usd_per_mwh = 32,
                             .demand_usd_per_mw_month = 4000};
    p.group[0] = (wm_dispatch_group){.name = "inference", .load = 0, .kind = WM_LOAD_FIRM, .max_mw = 7.5,
                                     .value_usd_per_mwh = 240};
    for (int g = 1; g < 20; g++)
        p.group[g] = (wm_dispatch_group){.name = "fleet", .load = g, .kind = WM_LOAD_FLEX, .max_mw = 4.0 + (g % 5),
                                         .value_usd_per_mwh = 60.0 + 7.3 * g};
    p.ngroups = 20;
    wm_dispatch_ws *ws;
    if (wm_dispatch_ws_new(n, 20, 0, &ws) != WM_OK)
        return 1;
    double objA, tA = time_solve(&p, ws, 21, &objA);
    const char *algA = wm_dispatch_algo_name(wm_dispatch_last_algo(ws));
    if (getenv("WM_BENCH_NO_GLPK")) { /* quick timing runs */
        printf("A: %s %.2f ms\n", algA, 1e3 * tA);
        p.demand_usd_per_mw_month = 0;
        double o;
        printf("A without demand charge: %.2f ms\n", 1e3 * time_solve(&p, ws, 21, &o));
        return 0;
    }
    double t0 = now_s();
    double objGA = glpk_by_month(&p, ws);
    double gA = now_s() - t0;
    printf("bench_dispatch A (%zu intervals x 20 groups, PPA+sell-back, monthly demand charge, 4CP): %s %.2f ms; "
           "GLPK dual simplex, same LP month by month, %.2f s; ratio %.0fx; objective %.6f vs %.6f (rel diff %.2e)\n",
           n, algA, 1e3 * tA, gA, gA / tA, objA, objGA, fabs(objA - objGA) / fmax(1, fabs(objGA)));

    /* B: training with checkpoint cost and min run/off, no demand charge */
    p.demand_usd_per_mw_month = 0;
    p.group[19] = (wm_dispatch_group){.name = "training", .load = 19, .kind = WM_LOAD_BLOCK, .max_mw = 10,
                                      .value_usd_per_mwh = 150, .interrupt_cost_usd = 2500, .min_on = 8, .min_off = 4,
                                      .initially_on = true};
    double objB, tB = time_solve(&p, ws, 21, &objB);
    const char *algB = wm_dispatch_algo_name(wm_dispatch_last_algo(ws));
    printf("bench_dispatch B (%zu intervals: training with checkpoint cost and min run/off + inference + 18 fleets): "
           "%s %.2f ms\n",
           n, algB, 1e3 * tB);
    /* the MILP does not split by month (training state carries over): GLPK on the first week */
    wm_dispatch_problem w = p;
    w.n = n < 672 ? n : 672;
    w.month = NULL;
    w.nmonths = 1;
    double objW, tW = time_solve(&w, ws, 21, &objW);
    t0 = now_s();
    if (wm_dispatch_solve_glpk(&w, ws, &e) != WM_OK) {
        fprintf(stderr, "glpk B failed: %s\n", e.msg);
        return 1;
    }
    double gW = now_s() - t0, objGW = wm_dispatch_result(ws)->profit_usd;
    printf("bench_dispatch B, first week (%zu intervals): DP %.3f ms, GLPK MILP %.2f s, ratio %.0fx, objective %.6f vs "
           "%.6f (rel diff %.2e)\n",
           w.n, 1e3 * tW, gW, gW / tW, objW, objGW, fabs(objW - objGW) / fmax(1, fabs(objGW)));
    wm_dispatch_ws_free(ws);
    wm_prices_free(pr);
    free(buy);
    free(sell);
    free(cap);
    free(c4);
    free(month);
    return 0;
}
