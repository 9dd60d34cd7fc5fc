/* mc_mpi.c - the Monte Carlo over MPI ranks (optional build: `make mpi`, needs openmpi). Rank r
 * of n runs the contiguous path range [r*P/n, (r+1)*P/n) with first_path set to its start, so
 * each path uses the streams of its global index (rng.h) and the gathered rows are the same
 * bits for any number of ranks (and of threads per rank). Rank 0 prints the seed, a checksum of
 * all rows (FNV-1a over their bytes) and summary figures; `make mpi-check` compares -np 1 and
 * -np 2. Usage: mpirun -np N wattmux-mc-mpi [paths] [days] [threads per rank]. */
#include "sim.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    uint64_t paths = argc > 1 ? strtoull(argv[1], NULL, 10) : 4000;
    int ndays = argc > 2 ? atoi(argv[2]) : 10 * 365;
    int threads = argc > 3 ? atoi(argv[3]) : 1;
    const uint64_t seed = 20260213;
    if (paths < 1 || ndays < 1 || ndays > WM_SCENARIO_MAX_DAYS) {
        if (!rank)
            fprintf(stderr, "usage: wattmux-mc-mpi [paths] [days 1..%d] [threads]\n", WM_SCENARIO_MAX_DAYS);
        MPI_Finalize();
        return 2;
    }
    wm_scenario_params p;
    wm_scenario_defaults(&p);
    int sd[2] = {364, ndays - 1};
    wm_sim_sample smp = {sd, ndays > 365 ? 2 : 1};
    if (ndays <= 365)
        sd[0] = ndays - 1;
    size_t nout = 3 * (size_t)smp.nsample + 1;
    uint64_t p0 = paths * (uint64_t)rank / (uint64_t)size, p1 = paths * (uint64_t)(rank + 1) / (uint64_t)size;
    double *mine = malloc(((p1 - p0) ? (p1 - p0) : 1) * nout * sizeof *mine);
    wm_sim_config c;
    memset(&c, 0, sizeof c);
    c.scn = &p;
    c.seed = seed;
    c.paths = p1 - p0;
    c.first_path = p0;
    c.ndays = ndays;
    c.threads = threads;
    c.nout = nout;
    c.day_fn = wm_sim_sample_day_fn;
    c.ctx = &smp;
    wm_err e;
    double t0 = MPI_Wtime();
    wm_status st = mine ? wm_sim_run(&c, mine, &e) : WM_ENOMEM;
    int ok = st == WM_OK, all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    if (!all_ok) {
        if (!ok)
            fprintf(stderr, "rank %d: %s\n", rank, st == WM_ENOMEM ? "out of memory" : e.msg);
        MPI_Finalize();
        return 1;
    }
    int *counts = NULL, *displs = NULL;
    double *all = NULL;
    if (!rank) {
        counts = malloc((size_t)size * sizeof *counts);
        displs = malloc((size_t)size * sizeof *displs);
        all = malloc(paths * nout * sizeof *all);
        for (int r = 0; r < size; r++) {
            uint64_t a = paths * (uint64_t)r / (uint64_t)size, b = paths * (uint64_t)(r + 1) / (uint64_t)size;
            counts[r] = (int)((b - a) * nout);
            displs[r] = (int)(a * nout);
        }
    }
    MPI_Gatherv(mine, (int)((p1 - p0) * nout), MPI_DOUBLE, all, counts, displs, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    double dt = MPI_Wtime() - t0;
    if (!rank) {
        uint64_t h = 1469598103934665603ULL;
        const unsigned char *b = (const unsigned char *)all;
        for (size_t i = 0; i < paths * nout * sizeof *all; i++)
            h = (h ^ b[i]) * 1099511628211ULL;
        double hp = 0;
        for (uint64_t i = 0; i < paths; i++)
            hp += all[i * nout + nout - 1] / ndays;
        printf("wattmux-mc-mpi: seed %llu, %d ranks x %d threads, %llu paths x %d days: %.3f s, %.3g path-days/s\n",
               (unsigned long long)seed, size, threads, (unsigned long long)paths, ndays, dt,
               (double)paths * ndays / dt);
        printf("checksum %016llx mean_hashprice_usd_per_ph_day %.9g\n", (unsigned long long)h, hp / (double)paths);
    }
    free(mine);
    free(all);
    free(counts);
    free(displs);
    MPI_Finalize();
    return 0;
}
