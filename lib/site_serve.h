/* site_serve.h - the `serve:` section of the site file: what `wattmux serve SITE.yaml` needs to
 * run without flags (miners per fleet, price source, safe mode, timing, API, history). Kept
 * apart from site.h so the section is one self-contained block: site.h embeds wm_site_serve in
 * wm_site and appends wm_site_serve_schema to its root table; the schema and the checks live in
 * site_serve.c. Invariants after a successful site load: every miners entry names a fleet of
 * the site (fleet_index resolved), at most one price source is given, texts fit their buffers,
 * and the paths it names (csv, headers_file, db, token_file, plan_json) are relative to the
 * site file's directory (resolved: prefixed with it) or absolute.
 * An absent section leaves present == false and every value at its default. */
#ifndef WM_SITE_SERVE_H
#define WM_SITE_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WM_SITE_SERVE_MAX_MINERS 64
#define WM_SITE_SERVE_TEXT 512

typedef enum wm_site_serve_driver {
    WM_SERVE_DRIVER_AUTO = 0, WM_SERVE_DRIVER_STOCK, WM_SERVE_DRIVER_CGMINER, WM_SERVE_DRIVER_BOSMINER,
    WM_SERVE_DRIVER_LUXOS
} wm_site_serve_driver;        /* same order as wm_miner_fw (auto = detect) */
typedef enum wm_site_serve_format { WM_SERVE_FEED_JSON = 0, WM_SERVE_FEED_ERCOT } wm_site_serve_format;
typedef enum wm_site_serve_decider { WM_SERVE_DECIDER_DISPATCH = 0, WM_SERVE_DECIDER_BREAKEVEN } wm_site_serve_decider;

typedef struct wm_site_serve_miners {
    char fleet[64];
    long fleet_pos[2];          /* line, column of the fleet name (for errors) */
    char addresses[WM_SITE_SERVE_TEXT]; /* "127.0.0.1-127.0.3.232:4028, 10.0.0.7" */
    double port;                /* default port of addresses without one */
    int driver;                 /* wm_site_serve_driver */
    int fleet_index;            /* resolved: index into wm_site.fleets */
} wm_site_serve_miners;

typedef struct wm_site_serve {
    bool present;               /* the file has a serve: section */
    wm_site_serve_miners miners[WM_SITE_SERVE_MAX_MINERS];
    size_t nminers;
    /* price source: a CSV replayed on an accelerated clock, or an HTTP feed */
    char csv[WM_SITE_SERVE_TEXT];
    long csv_pos[2];
    char column[64];
    int csv_tz;                 /* 0 us-central, 1 utc (wm_site_tz order) */
    double speed;
    int64_t start;              /* UTC s; 0 = first row */
    char url[WM_SITE_SERVE_TEXT];
    long url_pos[2];
    int format;                 /* wm_site_serve_format */
    char settlement_point[64];  /* ercot format: e.g. LZ_WEST, HB_NORTH */
    char headers_file[WM_SITE_SERVE_TEXT]; /* HTTP header lines added to feed requests */
    double stale_s;
    int safe_mode;              /* 0 curtail, 1 hold */
    int decider;                /* wm_site_serve_decider */
    double interval_s, tick_s;
    char listen[64];
    char db[WM_SITE_SERVE_TEXT];
    char token_file[WM_SITE_SERVE_TEXT];
    char plan_json[WM_SITE_SERVE_TEXT]; /* `wattmux plan --json` output (or --out DIR) served by /api/v1/plan */
    double cap_mw;              /* 0 = the interconnect minus firm AI load */
    double revert_guard_s;      /* after a confirmed stop, count the miner at nameplate this long; -1: 3 x sleep_s */
    double revert_window_s;     /* two curtail reverts this close: uncontrollable */
} wm_site_serve;

#endif
