/* prices.h - an electricity price series on a regular grid, ready for dispatch: recognises the
 * ERCOT layouts (RTM 15-min long format, DAM hourly long format, hourly wide with hour-ending and
 * DST flag) and any other CSV (time column + named column) read through lib/series.h, picks the
 * settlement point or column, cuts [from, to), resamples to the interval, fills gaps by holding
 * the last price, and reports the gaps. Invariants: the output grid is regular and complete;
 * every price is finite; errors carry file:line:col (from the series reader). */
#ifndef WM_PRICES_H
#define WM_PRICES_H

#include "series.h"

typedef struct wm_prices_req {
    const char *column;        /* settlement point (long formats) or column name (wide) */
    const char *time_column;   /* wide generic files; NULL = first column */
    wm_tz tz;                  /* local time of generic files (ERCOT layouts: US Central) */
    int64_t from, to;          /* UTC [from, to); 0 = the data's range */
    int64_t step_s;            /* 0 = the series' most common step */
    size_t max_intervals;      /* 0 = 4,000,000 */
} wm_prices_req;

#define WM_PRICES_MAX_GAPS 16
typedef struct wm_prices {
    size_t n;
    int64_t step_s;
    int64_t *time;             /* UTC start of each interval */
    double *price;             /* USD/MWh */
    size_t filled;             /* intervals without data, filled by holding the last price */
    size_t ngaps;              /* gaps in the source series (steps longer than its step) */
    wm_gap gaps[WM_PRICES_MAX_GAPS];
    const char *layout;        /* "ercot-rtm-15min", "ercot-dam", "ercot-hourly-wide", "wide" */
    double min, max, mean;
} wm_prices;

wm_status wm_prices_parse(const char *buf, size_t len, const char *name, const wm_prices_req *req, wm_prices **out,
                          wm_err *err);
wm_status wm_prices_load(const char *path, const wm_prices_req *req, wm_prices **out, wm_err *err);
void wm_prices_free(wm_prices *p);

#endif
