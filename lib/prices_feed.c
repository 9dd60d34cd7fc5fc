/* prices_feed.c - the live price feed of `wattmux serve` (see prices.h): CSV replay on an
 * accelerated clock over a wm_prices grid, or an HTTP source through libcurl (JSON object or
 * ERCOT Public API report NP6-905-CD). Invariants: reads never fail (a problem is a reading with
 * fresh == false and a reason); an HTTP body is capped at WM_PRICES_FEED_MAX_BYTES and parsed
 * only when complete and with status 200; ERCOT times are hour-ending local prevailing time
 * (US Central) converted with the DST flag, so the repeated hour maps to the right UTC. */
#include "prices.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wm_prices_feed {
    wm_prices_feed_cfg cfg;
    wm_prices *pr;
    double t0_wall, t0_sim;
    CURL *curl;
    struct curl_slist *hdr;
    char *buf;
    size_t len;
    bool over;
    char sp[64];
};

void wm_prices_feed_free(wm_prices_feed *f)
{
    if (!f)
        return;
    wm_prices_free(f->pr);
    if (f->curl)
        curl_easy_cleanup(f->curl);
    curl_slist_free_all(f->hdr);
    free(f->buf);
    free(f);
}

wm_status wm_prices_feed_new(const wm_prices_feed_cfg *cfg, double now, wm_prices_feed **out, wm_err *err)
{
    *out = NULL;
    bool csv = cfg->csv && cfg->csv[0], url = cfg->url && cfg->url[0];
    if (csv == url)
        return wm_err_set(err, WM_EINVAL, "prices", 0, 0, "give exactly one price source: a CSV file or a URL");
    if (url && cfg->format == WM_PRICES_FEED_ERCOT && !(cfg->settlement_point && cfg->settlement_point[0]))
        return wm_err_set(err, WM_EINVAL, "prices", 0, 0, "the ercot format needs a settlement point (e.g. LZ_WEST)");
    wm_prices_feed *f = calloc(1, sizeof *f);
    if (!f)
        return WM_ENOMEM;
    f->cfg = *cfg;
    f->cfg.csv = f->cfg.url = f->cfg.column = f->cfg.headers_file = NULL; /* borrowed strings are not kept */
    snprintf(f->sp, sizeof f->sp, "%s", cfg->settlement_point ? cfg->settlement_point : "");
    f->t0_wall = now;
    wm_status st = WM_OK;
    if (csv) {
        wm_prices_req req = {.column = cfg->column && cfg->column[0] ? cfg->column : NULL, .tz = cfg->tz};
        st = wm_prices_load(cfg->csv, &req, &f->pr, err);
        if (st == WM_OK && f->pr->n == 0)
            st = wm_err_set(err, WM_EPARSE, cfg->csv, 0, 0, "no price rows");
        if (st == WM_OK)
            f->t0_sim = cfg->start > 0 ? (double)cfg->start : (double)f->pr->time[0];
        if (!(f->cfg.speed > 0))
            f->cfg.speed = 1;
    } else {
        if (!(f->curl = curl_easy_init()) || !(f->buf = malloc(WM_PRICES_FEED_MAX_BYTES + 1)))
            st = WM_ENOMEM;
        if (st == WM_OK && cfg->headers_file && cfg->headers_file[0]) {
            FILE *h = fopen(cfg->headers_file, "r");
            if (!h)
                st = wm_err_set(err, WM_EIO, cfg->headers_file, 0, 0, "cannot read the feed's header file");
            char line[1024];
            long ln = 0;
            while (st == WM_OK && fgets(line, sizeof line, h)) {
                ln++;
                line[strcspn(line, "\r\n")] = 0;
                if (!line[0] || line[0] == '#')
                    continue;
                if (!strchr(line, ':'))
                    st = wm_err_set(err, WM_EPARSE, cfg->headers_file, ln, 1, "expected a header line 'Name: value'");
                else {
                    struct curl_slist *n = curl_slist_append(f->hdr, line);
                    if (!n)
                        st = WM_ENOMEM;
                    else
                        f->hdr = n;
                }
            }
            if (h)
                fclose(h);
        }
        if (st == WM_OK) {
            /* the URL is copied by libcurl (CURLOPT_URL keeps its own copy since 7.17) */
            curl_easy_setopt(f->curl, CURLOPT_URL, cfg->url);
            curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, f->hdr);
            curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
            curl_easy_setopt(f->curl, CURLOPT_FOLLOWLOCATION, 0L);
            long ms = (long)((cfg->timeout_s > 0 ? cfg->timeout_s : 2.0) * 1000);
            curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, ms);
            curl_easy_setopt(f->curl, CURLOPT_CONNECTTIMEOUT_MS, ms);
        }
    }
    if (st != WM_OK) {
        wm_prices_feed_free(f);
        return st;
    }
    *out = f;
    return WM_OK;
}

static size_t on_body(char *p, size_t sz, size_t nm, void *u)
{
    wm_prices_feed *f = u;
    size_t n = sz * nm;
    if (f->len + n > WM_PRICES_FEED_MAX_BYTES) {
        f->over = true;
        return 0; /* abort the transfer */
    }
    memcpy(f->buf + f->len, p, n);
    f->len += n;
    return n;
}

static void not_fresh(wm_prices_reading *r, const char *why)
{
    r->fresh = false;
    snprintf(r->why, sizeof r->why, "%s", why);
}

/* "YYYY-MM-DD" (API) or "MM/DD/YYYY" (the report's CSV) -> days since 1970-01-01 */
static bool parse_date(const char *s, int64_t *days)
{
    int y, m, d, n = 0;
    if (!(sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && (s[n] == 0 || s[n] == 'T')) &&
        !(sscanf(s, "%2d/%2d/%4d%n", &m, &d, &y, &n) == 3 && s[n] == 0))
        return false;
    if (y < 1970 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    *days = wm_days_from_civil(y, (unsigned)m, (unsigned)d);
    int yy;
    unsigned mm, dd;
    wm_civil_from_days(*days, &yy, &mm, &dd);
    return (int)mm == m && (int)dd == d;
}

static json_t *cell(json_t *row, json_t *fields, int idx, const char *name)
{
    if (json_is_array(row))
        return idx >= 0 ? json_array_get(row, (size_t)idx) : NULL;
    (void)fields;
    return json_object_get(row, name);
}

static double as_num(json_t *v)
{
    if (json_is_number(v))
        return json_number_value(v);
    if (json_is_string(v)) {
        char *end;
        double x = strtod(json_string_value(v), &end);
        return *end == 0 && end != json_string_value(v) ? x : NAN;
    }
    return NAN;
}

static wm_status parse_ercot(json_t *j, const char *sp, wm_prices_reading *r, wm_err *err)
{
    static const char *names[] = {"deliveryDate", "deliveryHour", "deliveryInterval", "settlementPoint",
                                  "settlementPointPrice", "DSTFlag", "settlementPointType"};
    int idx[7] = {-1, -1, -1, -1, -1, -1, -1};
    json_t *fields = json_object_get(j, "fields"), *data = json_object_get(j, "data");
    if (!json_is_array(data))
        return wm_err_set(err, WM_EPARSE, "ercot", 0, 0, "expected an ERCOT report: an object with a data array");
    size_t i;
    json_t *fd;
    json_array_foreach(fields, i, fd) {
        const char *nm = json_string_value(json_object_get(fd, "name"));
        for (int k = 0; nm && k < 7; k++)
            if (!strcmp(nm, names[k]))
                idx[k] = (int)i;
    }
    double best_t = -INFINITY, best_p = NAN;
    json_t *row;
    json_array_foreach(data, i, row) {
        if (json_is_array(row) && (idx[0] < 0 || idx[1] < 0 || idx[2] < 0 || idx[3] < 0 || idx[4] < 0))
            return wm_err_set(err, WM_EPARSE, "ercot", 0, 0,
                              "expected fields deliveryDate, deliveryHour, deliveryInterval, settlementPoint, "
                              "settlementPointPrice");
        const char *name = json_string_value(cell(row, fields, idx[3], names[3]));
        if (!name || strcmp(name, sp) != 0)
            continue;
        const char *type = json_string_value(cell(row, fields, idx[6], names[6]));
        if (type && !strcmp(type, "LZEW"))
            continue; /* load zones come twice: LZ is the settlement price, LZEW energy-weighted */
        const char *date = json_string_value(cell(row, fields, idx[0], names[0]));
        double he = as_num(cell(row, fields, idx[1], names[1])), iv = as_num(cell(row, fields, idx[2], names[2]));
        double p = as_num(cell(row, fields, idx[4], names[4]));
        json_t *dstv = cell(row, fields, idx[5], names[5]);
        bool dst = json_is_true(dstv) || (json_is_string(dstv) && (!strcmp(json_string_value(dstv), "Y") ||
                                                                   !strcmp(json_string_value(dstv), "true")));
        int64_t days;
        if (!date || !parse_date(date, &days) || !(he >= 1 && he <= 24) || he != floor(he) || !(iv >= 1 && iv <= 4) ||
            iv != floor(iv) || !isfinite(p))
            return wm_err_set(err, WM_EPARSE, "ercot", 0, (long)i + 1,
                              "row %zu: expected deliveryDate, deliveryHour 1..24, deliveryInterval 1..4 and a price", i + 1);
        int64_t local = days * 86400 + (int64_t)(he - 1) * 3600 + (int64_t)(iv - 1) * 900;
        bool ne = false;
        int32_t off = wm_tz_us_central_offset(local, dst, &ne);
        if (ne)
            return wm_err_set(err, WM_EPARSE, "ercot", 0, (long)i + 1, "row %zu: local time in the spring-forward gap", i + 1);
        double t = (double)(local - off);
        if (t > best_t) {
            best_t = t;
            best_p = p;
        }
    }
    if (!isfinite(best_t))
        return wm_err_set(err, WM_ENOTFOUND, "ercot", 0, 0, "no row for settlement point %s", sp);
    r->price_usd_per_mwh = best_p;
    r->t = best_t;
    r->interval_h = 0.25;
    return WM_OK;
}

wm_status wm_prices_feed_parse(wm_prices_feed_format fmt, const char *body, size_t len, const char *sp,
                               wm_prices_reading *r, wm_err *err)
{
    memset(r, 0, sizeof *r);
    r->price_usd_per_mwh = r->t = r->interval_h = NAN;
    if (len > WM_PRICES_FEED_MAX_BYTES)
        return wm_err_set(err, WM_ELIMIT, "feed", 0, 0, "response larger than %d bytes", WM_PRICES_FEED_MAX_BYTES);
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return wm_err_set(err, WM_EPARSE, "feed", je.line, je.column, "expected a JSON object: %s", j ? "not an object" : je.text);
    }
    wm_status st = WM_OK;
    if (fmt == WM_PRICES_FEED_ERCOT)
        st = parse_ercot(j, sp ? sp : "", r, err);
    else {
        json_t *p = json_object_get(j, "price_usd_per_mwh"), *t = json_object_get(j, "t");
        if (!json_is_number(p) || !json_is_number(t) || !isfinite(json_number_value(p)))
            st = wm_err_set(err, WM_EPARSE, "feed", 0, 0, "expected {\"price_usd_per_mwh\": number, \"t\": unix seconds}");
        else {
            r->price_usd_per_mwh = json_number_value(p);
            r->t = json_number_value(t);
            json_t *ih = json_object_get(j, "interval_h");
            r->interval_h = json_is_number(ih) && json_number_value(ih) > 0 ? json_number_value(ih) : NAN;
        }
    }
    json_decref(j);
    return st;
}

void wm_prices_feed_read(wm_prices_feed *f, double now, wm_prices_reading *r)
{
    memset(r, 0, sizeof *r);
    r->price_usd_per_mwh = r->t = r->interval_h = NAN;
    if (f->pr) {
        const wm_prices *p = f->pr;
        double sim = f->t0_sim + (now - f->t0_wall) * f->cfg.speed;
        double k = floor((sim - (double)p->time[0]) / (double)p->step_s);
        if (k < 0 || k >= (double)p->n) {
            not_fresh(r, k < 0 ? "replay before the first price" : "replay past the last price");
            return;
        }
        size_t i = (size_t)k;
        r->price_usd_per_mwh = p->price[i];
        r->t = (double)p->time[i];
        r->interval_h = (double)p->step_s / 3600.0;
        r->fresh = true;
        return;
    }
    f->len = 0;
    f->over = false;
    curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, f);
    CURLcode rc = curl_easy_perform(f->curl);
    long code = 0;
    curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &code);
    if (f->over) {
        not_fresh(r, "feed response too large");
        return;
    }
    if (rc != CURLE_OK) {
        snprintf(r->why, sizeof r->why, "feed request failed: %s", curl_easy_strerror(rc));
        return;
    }
    if (code != 200) {
        snprintf(r->why, sizeof r->why, "feed answered HTTP %ld", code);
        return;
    }
    wm_err e;
    wm_err_clear(&e);
    if (wm_prices_feed_parse(f->cfg.format, f->buf, f->len, f->sp, r, &e) != WM_OK) {
        snprintf(r->why, sizeof r->why, "feed: %.150s", e.msg);
        r->price_usd_per_mwh = NAN;
        return;
    }
    if (now - r->t > f->cfg.stale_s)
        not_fresh(r, "feed price is stale");
    else if (r->t > now + 3600)
        not_fresh(r, "feed price is from the future");
    else
        r->fresh = true;
}
