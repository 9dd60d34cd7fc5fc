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

/* ---- live price feed for `wattmux serve` (prices_feed.c) ----
 * A price source read once per controller tick: a CSV replayed on an accelerated clock (read
 * with wm_prices_load, so the daemon sees exactly the intervals `wattmux dispatch` sees), or an
 * HTTP source: a JSON object {"price_usd_per_mwh": x, "t": unix s}, or ERCOT's Public API report
 * NP6-905-CD (/np6-905-cd/spp_node_zone_hub, "Settlement Point Prices at Resource Nodes, Hubs and
 * Load Zones": fields[] naming the columns, data[] rows; docs/control.md). Invariants: a read never
 * fails and never blocks longer than the timeout; stale, malformed, oversized or missing data
 * gives fresh == false with the reason, never a guessed price; responses are capped at
 * WM_PRICES_FEED_MAX_BYTES. */
#define WM_PRICES_FEED_MAX_BYTES (4 * 1024 * 1024)
typedef enum wm_prices_feed_format { WM_PRICES_FEED_JSON = 0, WM_PRICES_FEED_ERCOT } wm_prices_feed_format;

typedef struct wm_prices_feed_cfg {
    const char *csv;           /* replay: file, column (settlement point), tz of generic files */
    const char *column;
    wm_tz tz;
    double speed;              /* simulated seconds per wall second */
    int64_t start;             /* replay start (UTC s); 0 = first interval */
    const char *url;           /* HTTP source */
    wm_prices_feed_format format;
    const char *settlement_point; /* ercot: e.g. LZ_WEST */
    const char *headers_file;  /* lines "Name: value" added to each request; NULL = none */
    double stale_s;            /* HTTP: a price whose interval started longer ago is stale */
    double timeout_s;          /* HTTP request timeout (0 = 2 s) */
} wm_prices_feed_cfg;

typedef struct wm_prices_reading {
    double price_usd_per_mwh;  /* NaN when unknown */
    double t;                  /* UTC start of the price's interval (replay: simulated time) */
    double interval_h;         /* length of that interval */
    bool fresh;
    char why[160];             /* why not fresh */
} wm_prices_reading;

typedef struct wm_prices_feed wm_prices_feed;
/* now = wall-clock time the replay starts at. */
wm_status wm_prices_feed_new(const wm_prices_feed_cfg *cfg, double now, wm_prices_feed **out, wm_err *err);
void wm_prices_feed_free(wm_prices_feed *f);
void wm_prices_feed_read(wm_prices_feed *f, double now, wm_prices_reading *r);
/* Parse one HTTP response body (pure): the latest price of settlement_point (ercot) or the
 * object's price (json). Errors say what was expected. */
wm_status wm_prices_feed_parse(wm_prices_feed_format fmt, const char *body, size_t len, const char *settlement_point,
                               wm_prices_reading *r, wm_err *err);

#endif
