/* bench_series.c - CSV reader throughput on the largest real price file (ERCOT 15-minute RTM,
 * Feb 2021, 61,824 rows: composite date + hour-ending + interval time, DST flag, a long-format
 * filter and US Central conversion). Prints MB/s and rows/s; bench/run.sh runs the Python csv
 * peer on the same file in the same run and prints the ratio. */
#include "series.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    const char *root = getenv("WM_SHARED") ? getenv("WM_SHARED") : "../shared";
    char path[1024];
    snprintf(path, sizeof path, "%s/data/power/ercot_rtm_spp_15min_2021-02.csv", root);
    int reps = argc > 1 ? atoi(argv[1]) : 20;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bench_series: cannot open %s\n", path);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        return 1;
    fclose(f);
    const char *cols[] = {"Settlement Point Price"};
    wm_series_opts o = {.date_column = "Delivery Date", .hour_column = "Delivery Hour",
                        .interval_column = "Delivery Interval", .dst_flag_column = "Repeated Hour Flag",
                        .filter_column = "Settlement Point Name", .filter_value = "HB_WEST",
                        .columns = cols, .ncolumns = 1, .tz = WM_TZ_US_CENTRAL};
    double best = 1e9;
    size_t rows = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        wm_series *s;
        wm_err e;
        if (wm_series_parse(buf, (size_t)n, path, &o, &s, &e) != WM_OK) {
            fprintf(stderr, "bench_series: %s:%ld: %s\n", path, e.line, e.msg);
            return 1;
        }
        double dt = now() - t0;
        rows = wm_series_len(s);
        wm_series_free(s);
        if (dt < best)
            best = dt;
    }
    printf("series_parse file_mb=%.2f rows_kept=%zu rows_read=61824 best_s=%.5f mb_per_s=%.1f\n", n / 1e6, rows,
           best, n / 1e6 / best);
    free(buf);
    return 0;
}
