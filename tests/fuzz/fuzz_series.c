/* fuzz_series.c - libFuzzer target for the CSV time-series reader. The first byte picks the
 * options (plain, ERCOT composite time with filter, US Central, fixed format), the rest is the
 * file. Invariants checked on success: times strictly increasing, every row has a line. */
#include "series.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    wm_series_opts o;
    memset(&o, 0, sizeof o);
    o.max_bytes = 1 << 20;
    if (mode & 1) {
        o.date_column = "d";
        o.hour_column = "h";
        if (mode & 2)
            o.interval_column = "i";
        o.dst_flag_column = (mode & 4) ? "f" : NULL;
    }
    if (mode & 8) {
        o.filter_column = "p";
        o.filter_value = "X";
    }
    o.tz = (mode >> 4) % 3;
    o.tz_offset_s = 3600;
    o.ts_format = (mode >> 6) % 4;
    o.allow_unsorted = (mode & 0x20) != 0;
    wm_series *s = NULL;
    wm_err e;
    if (wm_series_parse((const char *)data + 1, size - 1, "fuzz", &o, &s, &e) == WM_OK) {
        const int64_t *t = wm_series_times(s);
        for (size_t i = 1; i < wm_series_len(s); i++)
            if (t[i] <= t[i - 1])
                abort();
        int64_t step = wm_series_step(s);
        wm_gap g[4];
        wm_series_gaps(s, 0, g, 4);
        if (wm_series_ncols(s) > 0 && wm_series_len(s) > 0 && step > 0 && step < 86400 * 400) {
            double out[64];
            int64_t from = t[0];
            wm_series_resample(s, 0, from, from + 64 * step, step, out);
        }
        if (wm_series_ncols(s) > 0) { /* day means: in time order, one per UTC day, cap respected */
            int64_t days[8];
            double means[8];
            size_t nd = wm_series_day_means(s, 0, 1, days, means, 8);
            for (size_t i = 1; i < (nd < 8 ? nd : 8); i++)
                if (days[i] <= days[i - 1] || days[i] % 86400 != 0)
                    abort();
        }
        wm_series_free(s);
    } else if (s) {
        abort(); /* failure must not hand out a series */
    }
    return 0;
}
