/* api.h - the daemon's HTTP surface: a JSON API (docs/api.yaml, OpenAPI 3), Prometheus
 * metrics (names per ../shared/reference/control.md section 5) and the dashboard assets.
 * Request handling (wm_api_handle) is a pure function of a published snapshot, so it is
 * fuzzed without sockets; wm_api_listen serves it with libmicrohttpd.
 *
 * Invariants: the controller thread publishes, HTTP threads only read copies under a mutex;
 * control endpoints require "Authorization: Bearer <token>" and are disabled without a
 * token; request bodies over WM_API_MAX_BODY are refused (413) and change nothing; a bad plan
 * file is reported in the plan's JSON, never fatal; the
 * server binds 127.0.0.1 unless told otherwise; unknown power is absent from /metrics and
 * null in JSON, never 0. */
#ifndef WM_API_H
#define WM_API_H

#include "ctl.h"

#define WM_API_MAX_BODY 4096

typedef struct wm_api wm_api;

/* store_path: the SQLite file for history queries (opened read-only per query thread);
 * token: bearer token for control endpoints (NULL = control disabled). */
wm_status wm_api_new(const char *store_path, const char *token, wm_api **out);
void wm_api_free(wm_api *a);

/* Plan results served by /api/v1/plan next to the decision: a file written by `wattmux plan
 * SITE.yaml --json > FILE`, or the results.json of `wattmux plan --out DIR` (a directory means
 * DIR/results.json). Read at the next publish and again whenever its mtime or size changes; a
 * missing, oversized (> WM_API_MAX_PLAN) or malformed file serves "plan": null with the reason
 * in "plan_error". NULL or "": no plan file. */
#define WM_API_MAX_PLAN (16 * 1024 * 1024)
wm_status wm_api_set_plan_file(wm_api *a, const char *path);

/* Render status, fleet, plan and metrics from the controller (controller thread, after a tick). */
wm_status wm_api_publish(wm_api *a, const wm_ctl *c, double now);
/* A mode change requested over the API since the last call (-1 = none). */
int wm_api_take_mode(wm_api *a);
/* Miner resets requested over the API (POST /api/v1/miners/reset) since the last call, oldest
 * first: copies up to max names ("*" = every miner) into names and returns how many. */
#define WM_API_MAX_RESETS 32
size_t wm_api_take_resets(wm_api *a, char names[][24], size_t max);

typedef struct wm_http_req {
    const char *method;   /* "GET", "POST", ... */
    const char *path;     /* without the query string */
    const char *query;    /* "a=1&b=2" or NULL */
    const char *auth;     /* Authorization header or NULL */
    const char *body;
    size_t body_len;
} wm_http_req;

typedef struct wm_http_resp {
    int code;
    const char *ctype;
    char *body;           /* malloc'd; free with free() */
    size_t len;
} wm_http_resp;

wm_status wm_api_handle(wm_api *a, const wm_http_req *req, wm_http_resp *resp);

/* Serve on addr:port (addr NULL = 127.0.0.1) with `threads` threads until wm_api_stop. */
wm_status wm_api_listen(wm_api *a, const char *addr, int port, int threads, wm_err *err);
void wm_api_stop(wm_api *a);

/* Dashboard assets (web_assets.c, generated from web/ by the Makefile's web block). */
typedef struct wm_web_asset {
    const char *path;
    const char *ctype;
    const unsigned char *data;
    size_t len;
} wm_web_asset;
const wm_web_asset *wm_web_find(const char *path);

#endif
