/* site_serve.c - the serve: section of the site file (site_serve.h): its schema, walked by the
 * generic loader in site.c, and its checks once the whole file is read (fleet names resolved
 * against fleets:, one price source). Errors carry file:line:col of the offending value. */
#include "site.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#define SV(field) offsetof(wm_site, serve.field)
#define TEXTF(k, field, pos, h)                                                                                    \
    {k, WM_SK_STR, "", NAN, 0, sizeof(((wm_site_serve *)0)->field), false, SV(field), pos, NULL, NULL, h}

static const char *const driver_names[] = {"auto", "stock", "cgminer", "bosminer", "luxos", NULL};
static const char *const format_names[] = {"json", "ercot", NULL};
static const char *const tz_names[] = {"us-central", "utc", NULL};
static const char *const safe_names[] = {"curtail", "hold", NULL};
static const char *const decider_names[] = {"dispatch", "breakeven", NULL};

#define MN(field) offsetof(wm_site_serve_miners, field)
static const wm_site_field miners_fields[] = {
    {"fleet", WM_SK_STR, "", NAN, 0, 0, true, MN(fleet), MN(fleet_pos), NULL, NULL, "fleet name (fleets:)"},
    {"addresses", WM_SK_STR, "", NAN, 0, WM_SITE_SERVE_TEXT, true, MN(addresses), 0, NULL, NULL,
     "comma-separated IPv4 addresses and ranges A-B, each with an optional :port"},
    {"port", WM_SK_NUM, "", 4028, 1, 65535, false, MN(port), 0, NULL, NULL, "port of addresses given without one"},
    {"driver", WM_SK_ENUM, "", 0, 0, 0, false, MN(driver), 0, NULL, driver_names,
     "firmware when known: auto (detect), stock, cgminer, bosminer, luxos"},
    {NULL, WM_SK_NUM, NULL, 0, 0, 0, false, 0, 0, NULL, NULL, NULL}};
static const wm_site_schema miners_schema = {"miners", sizeof(wm_site_serve_miners), WM_SITE_SERVE_MAX_MINERS,
                                             miners_fields};

static const wm_site_field prices_fields[] = {
    TEXTF("csv", csv, SV(csv_pos), "price CSV replayed on an accelerated clock (ERCOT layouts or time + columns)"),
    TEXTF("column", column, 0, "settlement point or column of the CSV (default: the first)"),
    {"tz", WM_SK_ENUM, "", 0, 0, 0, false, SV(csv_tz), 0, NULL, tz_names, "local time of a generic CSV"},
    {"speed", WM_SK_NUM, "x", 1, 1e-3, 1e7, false, SV(speed), 0, NULL, NULL, "replay speed (simulated s per wall s)"},
    {"start", WM_SK_TIME, "local time", 0, 0, 0, false, SV(start), 0, NULL, NULL, "replay start (default: the first row)"},
    TEXTF("url", url, SV(url_pos), "HTTP price feed (format json or ercot)"),
    {"format", WM_SK_ENUM, "", 0, 0, 0, false, SV(format), 0, NULL, format_names,
     "json: {\"price_usd_per_mwh\": x, \"t\": unix s}; ercot: ERCOT Public API report NP6-905-CD"},
    TEXTF("settlement_point", settlement_point, 0, "ercot: settlement point (LZ_WEST, HB_NORTH, ...)"),
    TEXTF("headers_file", headers_file, 0, "file of HTTP header lines sent with feed requests (API keys)"),
    {"stale_s", WM_SK_NUM, "s", 3600, 1, 1e9, false, SV(stale_s), 0, NULL, NULL,
     "a price older than this is stale: safe mode"},
    {NULL, WM_SK_NUM, NULL, 0, 0, 0, false, 0, 0, NULL, NULL, NULL}};
static const wm_site_schema prices_schema = {"prices", 0, 0, prices_fields};

static const wm_site_field serve_fields[] = {
    {"miners", WM_SK_LIST, "", 0, 0, 0, false, SV(miners), SV(nminers), &miners_schema, NULL, "miners per fleet"},
    {"prices", WM_SK_MAP, "", 0, 0, 0, false, 0, 0, &prices_schema, NULL, "market price source"},
    {"decider", WM_SK_ENUM, "", 0, 0, 0, false, SV(decider), 0, NULL, decider_names,
     "dispatch (lib/dispatch on the site's loads) or breakeven (price below the fleets' value)"},
    {"safe_mode", WM_SK_ENUM, "", 0, 0, 0, false, SV(safe_mode), 0, NULL, safe_names,
     "on stale prices or lost telemetry: curtail or hold"},
    {"interval_s", WM_SK_NUM, "s", 300, 0.1, 86400, false, SV(interval_s), 0, NULL, NULL,
     "decision interval (wall clock); a new price interval is decided at once"},
    {"tick_s", WM_SK_NUM, "s", 5, 0.05, 3600, false, SV(tick_s), 0, NULL, NULL, "poll/confirm period (wall clock)"},
    {"cap_mw", WM_SK_NUM, "MW", 0, 0, 1e5, false, SV(cap_mw), 0, NULL, NULL,
     "miners' power cap; 0 = interconnect minus firm AI load, over the fleets' highest PUE"},
    {"revert_guard_s", WM_SK_NUM, "s", -1, -1, 86400, false, SV(revert_guard_s), 0, NULL, NULL,
     "after a confirmed stop, keep counting the miner at its nameplate this long when waking others (a miner may "
     "resume mining on its own); -1 = 3 x sleep_s"},
    {"revert_window_s", WM_SK_NUM, "s", 3600, 1, 30 * 86400, false, SV(revert_window_s), 0, NULL, NULL,
     "two curtail reverts this close raise curtail_reverted and the miner is no longer commanded (until POST "
     "/api/v1/miners/reset)"},
    TEXTF("listen", listen, 0, "HTTP address:port (default 127.0.0.1:8080)"),
    TEXTF("db", db, 0, "SQLite history file (default wattmux.db)"),
    TEXTF("token_file", token_file, 0, "file holding the bearer token for control endpoints"),
    TEXTF("plan_json", plan_json, 0,
          "plan results served by /api/v1/plan: `wattmux plan SITE.yaml --json > FILE` (or a --out DIR); re-read when "
          "it changes"),
    {NULL, WM_SK_NUM, NULL, 0, 0, 0, false, 0, 0, NULL, NULL, NULL}};
const wm_site_schema wm_site_serve_schema = {"serve", 0, 0, serve_fields};

/* A relative path of the serve: section made relative to the site file's directory. */
static wm_status rebase(const wm_site *s, char *path, const char *key, wm_err *err)
{
    if (!path[0] || path[0] == '/')
        return WM_OK;
    if (strlen(s->source) + 1 >= sizeof s->source) /* the name was cut: its directory is unknown */
        return wm_err_set(err, WM_ELIMIT, s->source, 0, 0, "serve: %s: relative path, and the site file's name is "
                          "too long (over %zu characters) to locate it: give an absolute path", key,
                          sizeof s->source - 2);
    const char *slash = strrchr(s->source, '/');
    if (!slash)
        return WM_OK;
    size_t dl = (size_t)(slash - s->source) + 1, pl = strlen(path);
    if (dl + pl >= WM_SITE_SERVE_TEXT)
        return wm_err_set(err, WM_ELIMIT, s->source, 0, 0, "serve: %s: the path with the site file's directory is "
                          "longer than %d characters", key, WM_SITE_SERVE_TEXT - 1);
    memmove(path + dl, path, pl + 1);
    memcpy(path, s->source, dl);
    return WM_OK;
}

wm_status wm_site_serve_resolve(wm_site *s, wm_err *err)
{
    wm_site_serve *v = &s->serve;
    v->present = v->nminers > 0 || v->csv[0] || v->url[0] || v->listen[0] || v->db[0] || v->token_file[0] ||
                 v->plan_json[0];
    struct { char *p; const char *key; } paths[] = {{v->csv, "prices.csv"}, {v->headers_file, "prices.headers_file"},
                                                     {v->db, "db"}, {v->token_file, "token_file"},
                                                     {v->plan_json, "plan_json"}};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        wm_status st = rebase(s, paths[i].p, paths[i].key, err);
        if (st != WM_OK)
            return st;
    }
    for (size_t i = 0; i < v->nminers; i++) {
        wm_site_serve_miners *m = &v->miners[i];
        m->fleet_index = -1;
        for (size_t f = 0; f < s->nfleets; f++)
            if (!strcmp(s->fleets[f].name, m->fleet))
                m->fleet_index = (int)f;
        if (m->fleet_index < 0) {
            char list[256] = "";
            for (size_t f = 0; f < s->nfleets; f++) {
                strncat(list, f ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, s->fleets[f].name, sizeof list - strlen(list) - 1);
            }
            return wm_err_set(err, WM_ENOTFOUND, s->source, m->fleet_pos[0], m->fleet_pos[1],
                              "serve.miners: unknown fleet '%s' (expected one of the fleets: %s)", m->fleet,
                              list[0] ? list : "none");
        }
    }
    if (v->csv[0] && v->url[0])
        return wm_err_set(err, WM_EINVAL, s->source, v->url_pos[0], v->url_pos[1],
                          "serve.prices: give csv or url, not both");
    if (v->url[0] && v->format == WM_SERVE_FEED_ERCOT && !v->settlement_point[0])
        return wm_err_set(err, WM_EINVAL, s->source, v->url_pos[0], v->url_pos[1],
                          "serve.prices: format ercot needs settlement_point (e.g. LZ_WEST)");
    return WM_OK;
}
