/* bench_mc.c - Monte Carlo throughput: path-days per second of the full market model
 * (lib/scenario via lib/sim) with the sample reducer, on 1 thread and on 2 threads, 15-year
 * paths with the shipped (calibrated) defaults. Wall-clock rates, and path-days per CPU second
 * of the process (user + system, all threads): on a shared machine the wall rate of 2 threads
 * drops when the cores are busy with other work, the CPU-second rate much less. Prints the
 * seed, a checksum (equal for 1 and 2 threads) and one "RESULT" line that bench/run.sh reads.
 * Usage: bench_mc [paths] [days] [zero]. */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec + (double)u.ru_stime.tv_sec +
           1e-6 * (double)u.ru_stime.tv_usec;
}

int main(int argc, char **argv)
{
    uint64_t paths = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000;
    int ndays = argc > 2 ? atoi(argv[2]) : 15 * 365;
    if (paths == 0 || ndays < 1 || ndays > WM_SCENARIO_MAX_DAYS) {
        fprintf(stderr, "usage: bench_mc [paths >= 1] [days 1..%d] [zero]\n", WM_SCENARIO_MAX_DAYS);
        return 2;
    }
    wm_scenario_params p;
    wm_scenario_defaults(&p);
    /* "zero": every source of randomness off, to compare the model with the NumPy peer's */
    if (argc > 3 && strcmp(argv[3], "zero") == 0)
        wm_scenario_zero_vol(&p);
    int sd[4] = {364, 3 * 365 - 1, 10 * 365 - 1, ndays - 1};
    int ns = 0;
    for (int i = 0; i < 4; i++)
        if (sd[i] < ndays && (ns == 0 || sd[i] > sd[ns - 1]))
            sd[ns++] = sd[i];
    wm_sim_sample smp = {sd, ns};
    size_t nout = 3 * (size_t)ns + 1;
    double *o1 = malloc(paths * nout * sizeof *o1), *o2 = malloc(paths * nout * sizeof *o2);
    if (!o1 || !o2)
        return 1;
    const uint64_t seed = 20260213;
    printf("bench_mc: seed %llu, %llu paths x %d days, full market model (calibrated defaults)\n",
           (unsigned long long)seed, (unsigned long long)paths, ndays);
    double rate[3] = {0}, cpu_rate[3] = {0};
    for (int t = 1; t <= 2; t++) {
        wm_sim_config c;
        memset(&c, 0, sizeof c);
        c.scn = &p;
        c.seed = seed;
        c.paths = paths;
        c.ndays = ndays;
        c.threads = t;
        c.nout = nout;
        c.day_fn = wm_sim_sample_day_fn;
        c.ctx = &smp;
        wm_err e;
        double t0 = now_s(), c0 = cpu_s();
        wm_status st = wm_sim_run(&c, t == 1 ? o1 : o2, &e);
        double dt = now_s() - t0, dc = cpu_s() - c0;
        if (st != WM_OK) {
            fprintf(stderr, "bench_mc: %s\n", e.msg);
            return 1;
        }
        rate[t] = (double)paths * ndays / dt;
        cpu_rate[t] = (double)paths * ndays / dc;
        printf("  %d thread%s: %.3f s, %.3g path-days/s (%.3f CPU s, %.3g path-days per CPU s)\n", t,
               t > 1 ? "s" : " ", dt, rate[t], dc, cpu_rate[t]);
    }
    int same = memcmp(o1, o2, paths * nout * sizeof *o1) == 0;
    double mean_hp = 0;
    for (uint64_t i = 0; i < paths; i++)
        mean_hp += o1[i * nout + nout - 1] / ndays;
    printf("  1 vs 2 threads identical: %s; mean hashprice over the horizon %.6f USD/PH/day\n",
           same ? "yes" : "NO", mean_hp / (double)paths);
    printf("RESULT bench_mc path_days_per_s_2t %.6g path_days_per_s_1t %.6g identical %d path_days_per_cpu_s_1t %.6g "
           "path_days_per_cpu_s_2t %.6g\n",
           rate[2], rate[1], same, cpu_rate[1], cpu_rate[2]);
    free(o1);
    free(o2);
    return same ? 0 : 1;
}
