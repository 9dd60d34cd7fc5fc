/* prices.c - see prices.h. The only text handling here is choosing the layout from the header
 * line and dropping ERCOT's energy-weighted load-zone duplicates (type LZEW), which share the
 * settlement point name with the LZ rows; all CSV parsing is lib/series.c's. */
#include "prices.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void wm_prices_free(wm_prices *p)
{
    if (!p)
        return;
    free(p->time);
    free(p->price);
    free(p);
}

static bool header_has(const char *hdr, size_t hlen, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i + n <= hlen; i++)
        if (memcmp(hdr + i, name, n) == 0)
            return true;
    return false;
}

/* Copy buf without the lines whose text contains ",LZEW," (ERCOT RTM settlement point type). */
static char *drop_lzew(const char *buf, size_t len, size_t *outlen)
{
    char *o = malloc(len + 1);
    if (!o)
        return NULL;
    size_t w = 0, i = 0;
    while (i < len) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - buf) + 1 : len;
        bool drop = false;
        for (size_t k = i; k + 6 <= e && !drop; k++)
            drop = memcmp(buf + k, ",LZEW,", 6) == 0;
        if (!drop) {
            memcpy(o + w, buf + i, e - i);
            w += e - i;
        }
        i = e;
    }
    *outlen = w;
    return o;
}

wm_status wm_prices_parse(const char *buf, size_t len, const char *name, const wm_prices_req *req, wm_prices **out,
                          wm_err *err)
{
    *out = NULL;
    if (!req || !req->column || !req->column[0])
        return wm_err_set(err, WM_EINVAL, name, 0, 0, "expected a price column or settlement point name (--column)");
    const char *nl = memchr(buf, '\n', len);
    size_t hlen = nl ? (size_t)(nl - buf) : len;
    wm_series_opts o = {0};
    const char *cols[1] = {req->column};
    const char *layout = "wide";
    char *copy = NULL;
    const char *data = buf;
    size_t dlen = len;
    o.tz = req->tz;
    o.time_column = req->time_column;
    if (header_has(buf, hlen, "Delivery Interval") && header_has(buf, hlen, "Settlement Point Name")) {
        layout = "ercot-rtm-15min";
        o = (wm_series_opts){.date_column = "Delivery Date", .hour_column = "Delivery Hour",
                             .interval_column = "Delivery Interval", .dst_flag_column = "Repeated Hour Flag",
                             .filter_column = "Settlement Point Name", .filter_value = req->column,
                             .tz = WM_TZ_US_CENTRAL, .ts_format = WM_TS_MDY}; /* ERCOT: MM/DD/YYYY */
        cols[0] = "Settlement Point Price";
        if (header_has(buf, hlen, "Settlement Point Type")) {
            copy = drop_lzew(buf, len, &dlen);
            if (!copy)
                return WM_ENOMEM;
            data = copy;
        }
    } else if (header_has(buf, hlen, "Hour Ending") && header_has(buf, hlen, "Settlement Point")) {
        layout = "ercot-dam";
        o = (wm_series_opts){.date_column = "Delivery Date", .hour_column = "Hour Ending",
                             .dst_flag_column = "Repeated Hour Flag", .filter_column = "Settlement Point",
                             .filter_value = req->column, .tz = WM_TZ_US_CENTRAL,
                             .ts_format = WM_TS_MDY}; /* a one-day file (11/03/2024) is not ambiguous */
        cols[0] = "Settlement Point Price";
    } else if (header_has(buf, hlen, "delivery_date") && header_has(buf, hlen, "hour_ending")) {
        layout = "ercot-hourly-wide";
        o = (wm_series_opts){.date_column = "delivery_date", .hour_column = "hour_ending",
                             .dst_flag_column = header_has(buf, hlen, "repeated_hour_flag") ? "repeated_hour_flag" : NULL,
                             .tz = WM_TZ_US_CENTRAL};
    }
    o.columns = cols;
    o.ncolumns = 1;
    wm_series *s = NULL;
    wm_status st = wm_series_parse(data, dlen, name, &o, &s, err);
    free(copy);
    if (st != WM_OK)
        return st;
    size_t ns = wm_series_len(s);
    if (ns == 0) {
        wm_series_free(s);
        return wm_err_set(err, WM_EINVAL, name, 0, 0, "no rows for '%s'", req->column);
    }
    const int64_t *ts = wm_series_times(s);
    int64_t step = req->step_s ? req->step_s : wm_series_step(s);
    if (step <= 0)
        step = 3600;
    if (step < 60 || step > 86400 || 86400 % step != 0) {
        wm_series_free(s);
        return wm_err_set(err, WM_EINVAL, name, 0, 0, "interval of %lld s: expected a divisor of a day of at least 1 min",
                          (long long)step);
    }
    int64_t src_step = wm_series_step(s);
    int64_t from = req->from ? req->from : ts[0];
    int64_t to = req->to ? req->to : ts[ns - 1] + (src_step > 0 ? src_step : step);
    from -= ((from % step) + step) % step; /* align to the grid */
    if (to <= from) {
        wm_series_free(s);
        return wm_err_set(err, WM_EINVAL, name, 0, 0, "empty period: 'to' must be after 'from'");
    }
    size_t maxn = req->max_intervals ? req->max_intervals : 4000000;
    int64_t nn = (to - from + step - 1) / step;
    if (nn <= 0 || (uint64_t)nn > maxn) {
        wm_series_free(s);
        return wm_err_set(err, WM_ELIMIT, name, 0, 0, "%lld intervals requested, the limit is %zu", (long long)nn, maxn);
    }
    if (to <= ts[0] || from > ts[ns - 1]) {
        wm_series_free(s);
        return wm_err_set(err, WM_EINVAL, name, 0, 0, "the period has no data (the file covers %lld..%lld UTC s)",
                          (long long)ts[0], (long long)ts[ns - 1]);
    }
    wm_prices *p = calloc(1, sizeof *p);
    if (!p) {
        wm_series_free(s);
        return WM_ENOMEM;
    }
    p->n = (size_t)nn;
    p->step_s = step;
    p->layout = layout;
    p->time = malloc(p->n * sizeof *p->time);
    p->price = malloc(p->n * sizeof(double));
    if (!p->time || !p->price) {
        wm_series_free(s);
        wm_prices_free(p);
        return WM_ENOMEM;
    }
    st = wm_series_resample(s, 0, from, from + nn * step, step, p->price);
    if (st != WM_OK) {
        wm_series_free(s);
        wm_prices_free(p);
        return wm_err_set(err, st, name, 0, 0, "cannot resample the series to %lld s", (long long)step);
    }
    p->ngaps = wm_series_gaps(s, 0, p->gaps, WM_PRICES_MAX_GAPS);
    wm_series_free(s);
    /* hold the last price over gaps; a leading gap takes the first price */
    size_t first = 0;
    while (first < p->n && !isfinite(p->price[first]))
        first++;
    if (first == p->n) {
        wm_prices_free(p);
        return wm_err_set(err, WM_EINVAL, name, 0, 0, "no price data in the period for '%s'", req->column);
    }
    double sum = 0;
    p->min = INFINITY;
    p->max = -INFINITY;
    for (size_t i = 0; i < p->n; i++) {
        p->time[i] = from + (int64_t)i * step;
        if (!isfinite(p->price[i])) {
            p->price[i] = i < first ? p->price[first] : p->price[i - 1];
            p->filled++;
        }
        sum += p->price[i];
        p->min = fmin(p->min, p->price[i]);
        p->max = fmax(p->max, p->price[i]);
    }
    p->mean = sum / (double)p->n;
    *out = p;
    return WM_OK;
}

wm_status wm_prices_load(const char *path, const wm_prices_req *req, wm_prices **out, wm_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return wm_err_set(err, WM_EIO, path, 0, 0, "cannot open the price file");
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    wm_status st = WM_OK;
    while (buf) {
        if (len == cap) {
            if (cap >= (size_t)WM_SERIES_DEFAULT_MAX_BYTES) {
                st = wm_err_set(err, WM_ELIMIT, path, 0, 0, "price file larger than %u bytes", WM_SERIES_DEFAULT_MAX_BYTES);
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    bool ioerr = ferror(f);
    fclose(f);
    if (!buf)
        return WM_ENOMEM;
    if (st == WM_OK && ioerr)
        st = wm_err_set(err, WM_EIO, path, 0, 0, "cannot read the price file");
    if (st == WM_OK)
        st = wm_prices_parse(buf, len, path, req, out, err);
    free(buf);
    return st;
}
