/* api.c - JSON API, /metrics and dashboard serving (see api.h). Snapshots are rendered once
 * per controller tick into strings; handlers copy them under the mutex. History endpoints
 * query SQLite through a read-only connection per call (WAL lets readers run beside the
 * writer). Query parameters are parsed strictly: integers in range, else 400. */
#include "api.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct wm_api {
    pthread_mutex_t mu;
    char *status, *fleet, *metrics, *plan, *plan_brief;
    size_t status_len, fleet_len, metrics_len, plan_len, plan_brief_len;
    char store_path[1024];
    char token[256];
    bool has_token;
    int want_mode;
    char resets[WM_API_MAX_RESETS][24]; /* pending POST /api/v1/miners/reset names */
    size_t nresets;
    struct MHD_Daemon *mhd;
    /* plan results file (controller thread only) */
    char plan_path[1024];
    bool plan_seen;             /* stat/read attempted with plan_mtim/plan_size */
    struct timespec plan_mtim;
    off_t plan_size;
    char *plan_text;            /* the file's JSON, compact; NULL when none or bad */
    long plan_version;          /* changes whenever plan_text or plan_err does */
    char plan_err[600];
};

wm_status wm_api_new(const char *store_path, const char *token, wm_api **out)
{
    *out = NULL;
    wm_api *a = calloc(1, sizeof *a);
    if (!a)
        return WM_ENOMEM;
    pthread_mutex_init(&a->mu, NULL);
    if (store_path)
        snprintf(a->store_path, sizeof a->store_path, "%s", store_path);
    if (token && *token) {
        if (strlen(token) >= sizeof a->token) {
            wm_api_free(a);
            return WM_EINVAL;
        }
        snprintf(a->token, sizeof a->token, "%s", token);
        a->has_token = true;
    }
    a->want_mode = -1;
    /* versions from the start time in microseconds: a dashboard open across a restart still
       sees a new version */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    a->plan_version = (long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    a->status = strdup("{\"state\":\"starting\"}");
    a->status_len = strlen(a->status);
    a->fleet = strdup("{\"miners\":[]}");
    a->fleet_len = strlen(a->fleet);
    a->plan = strdup("{}");
    a->plan_len = 2;
    a->plan_brief = strdup("{}");
    a->plan_brief_len = 2;
    a->metrics = strdup("");
    *out = a;
    return WM_OK;
}

void wm_api_free(wm_api *a)
{
    if (!a)
        return;
    wm_api_stop(a);
    pthread_mutex_destroy(&a->mu);
    free(a->status), free(a->fleet), free(a->metrics), free(a->plan), free(a->plan_brief), free(a->plan_text);
    free(a);
}

int wm_api_take_mode(wm_api *a)
{
    pthread_mutex_lock(&a->mu);
    int m = a->want_mode;
    a->want_mode = -1;
    pthread_mutex_unlock(&a->mu);
    return m;
}

size_t wm_api_take_resets(wm_api *a, char names[][24], size_t max)
{
    pthread_mutex_lock(&a->mu);
    size_t n = a->nresets < max ? a->nresets : max;
    memcpy(names, a->resets, n * sizeof a->resets[0]);
    memmove(a->resets, a->resets + n, (a->nresets - n) * sizeof a->resets[0]);
    a->nresets -= n;
    pthread_mutex_unlock(&a->mu);
    return n;
}

/* ------------------------------------------------------------------ plan results file */

wm_status wm_api_set_plan_file(wm_api *a, const char *path)
{
    if (path && strlen(path) >= sizeof a->plan_path)
        return WM_EINVAL;
    snprintf(a->plan_path, sizeof a->plan_path, "%s", path ? path : "");
    a->plan_seen = false;
    free(a->plan_text);
    a->plan_text = NULL;
    a->plan_err[0] = 0;
    a->plan_version++;
    return WM_OK;
}

static void plan_fail(wm_api *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void plan_fail(wm_api *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->plan_err, sizeof a->plan_err, fmt, ap);
    va_end(ap);
    free(a->plan_text);
    a->plan_text = NULL;
    a->plan_version++;
}

/* Read the plan file at path into plan_text; false with plan_err set when it is not usable. */
static bool plan_load(wm_api *a, const char *path, const struct stat *sb)
{
    if (!S_ISREG(sb->st_mode)) {
        plan_fail(a, "plan file %s: not a regular file", path);
        return false;
    }
    if (sb->st_size > WM_API_MAX_PLAN) {
        plan_fail(a, "plan file %s: %lld bytes, more than the %d allowed", path, (long long)sb->st_size,
                  WM_API_MAX_PLAN);
        return false;
    }
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        plan_fail(a, "plan file %s:%d:%d: %s", path, je.line, je.column, je.text);
        return false;
    }
    if (!json_is_object(j) || !json_is_array(json_object_get(j, "strategies"))) {
        json_decref(j);
        plan_fail(a, "plan file %s: expected the JSON of `wattmux plan --json` (an object with strategies[])", path);
        return false;
    }
    char *txt = json_dumps(j, JSON_COMPACT); /* 17 digits: numbers round-trip */
    json_decref(j);
    if (!txt) {
        plan_fail(a, "plan file %s: out of memory", path);
        return false;
    }
    free(a->plan_text);
    a->plan_text = txt;
    a->plan_err[0] = 0;
    a->plan_version++;
    return true;
}

/* Re-read the plan file when its mtime or size changed since the last look. */
static void plan_refresh(wm_api *a)
{
    if (!a->plan_path[0])
        return;
    char path[sizeof a->plan_path + sizeof "/results.json"];
    snprintf(path, sizeof path, "%s", a->plan_path);
    struct stat sb;
    int rc = stat(path, &sb);
    if (rc == 0 && S_ISDIR(sb.st_mode)) { /* `wattmux plan --out DIR` */
        snprintf(path, sizeof path, "%s/results.json", a->plan_path);
        rc = stat(path, &sb);
    }
    if (rc != 0) {
        int e = errno;
        if (!a->plan_seen || a->plan_size != -1 || a->plan_text)
            plan_fail(a, "plan file %s: %s", path, strerror(e));
        a->plan_seen = true;
        a->plan_size = -1;
        return;
    }
    if (a->plan_seen && sb.st_size == a->plan_size && sb.st_mtim.tv_sec == a->plan_mtim.tv_sec &&
        sb.st_mtim.tv_nsec == a->plan_mtim.tv_nsec)
        return;
    a->plan_seen = true;
    a->plan_size = sb.st_size;
    a->plan_mtim = sb.st_mtim;
    plan_load(a, path, &sb);
}

/* ------------------------------------------------------------------ rendering */

static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0)
            return;
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 65536;
        while (nc < b->n + (size_t)k + 1)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np)
            return;
        b->p = np;
        b->cap = nc;
    }
}

static const char *verb_outcome[6] = {"sent", "confirmed", "retried", "alarmed", "unsupported", "reverted"};

static char *render_metrics(const wm_ctl *c, size_t *len)
{
    sbuf b = {0};
    size_t n = wm_ctl_count(c);
    const wm_site_sample *s = wm_ctl_site(c);
    sb_printf(&b, "# HELP wattmux_info Build information.\n# TYPE wattmux_info gauge\n"
                  "wattmux_info{version=\"%s\"} 1\n", WM_VERSION);
    sb_printf(&b, "# HELP site_power_watts Sum of known miner power (reported or estimated).\n"
                  "# TYPE site_power_watts gauge\nsite_power_watts %.1f\n", s->power_w);
    sb_printf(&b, "# HELP site_power_cap_watts Interconnect limit.\n# TYPE site_power_cap_watts gauge\n"
                  "site_power_cap_watts %.1f\n", s->cap_w);
    sb_printf(&b, "# HELP site_miners_unknown_power Miners whose power is unknown.\n"
                  "# TYPE site_miners_unknown_power gauge\nsite_miners_unknown_power %ld\n", s->miners_unknown_power);
    if (isfinite(s->price_usd_per_mwh))
        sb_printf(&b, "# HELP power_price_usd_per_mwh Current power price.\n# TYPE power_price_usd_per_mwh gauge\n"
                      "power_price_usd_per_mwh %.4f\n", s->price_usd_per_mwh);
    if (isfinite(s->breakeven_usd_per_mwh))
        sb_printf(&b, "# HELP breakeven_usd_per_mwh Fleet break-even power price.\n# TYPE breakeven_usd_per_mwh gauge\n"
                      "breakeven_usd_per_mwh %.4f\n", s->breakeven_usd_per_mwh);
    sb_printf(&b, "# HELP miner_up Whether the last poll of the miner succeeded.\n# TYPE miner_up gauge\n");
    for (size_t i = 0; i < n; i++) {
        const wm_ctl_miner *m = wm_ctl_miner_at(c, i);
        sb_printf(&b, "miner_up{miner=\"%s\"} %d\n", m->target.name, m->last.fail == WM_MF_NONE);
    }
    sb_printf(&b, "# HELP miner_info Miner model and firmware.\n# TYPE miner_info gauge\n");
    for (size_t i = 0; i < n; i++) {
        const wm_ctl_miner *m = wm_ctl_miner_at(c, i);
        char model[64];
        size_t k = 0;
        for (const char *p = m->last.data.model; *p && k + 2 < sizeof model; p++) {
            if (*p == '"' || *p == '\\')
                model[k++] = '\\';
            model[k++] = *p == '\n' ? ' ' : *p;
        }
        model[k] = 0;
        sb_printf(&b, "miner_info{miner=\"%s\",model=\"%s\",firmware=\"%s\",commandable=\"%s\"} 1\n",
                  m->target.name, model, wm_miner_fw_name(m->fw), wm_miner_can(m->fw, WM_VERB_STOP) ? "true" : "false");
    }
    sb_printf(&b, "# HELP miner_hashrate_hashes_per_second Reported hashrate.\n"
                  "# TYPE miner_hashrate_hashes_per_second gauge\n");
    for (size_t i = 0; i < n; i++) {
        const wm_ctl_miner *m = wm_ctl_miner_at(c, i);
        if (m->last.fail == WM_MF_NONE && isfinite(m->last.data.hashrate_th_s))
            sb_printf(&b, "miner_hashrate_hashes_per_second{miner=\"%s\"} %.6e\n", m->target.name,
                      m->last.data.hashrate_th_s * 1e12);
    }
    sb_printf(&b, "# HELP miner_power_watts Miner power; absent when unknown.\n# TYPE miner_power_watts gauge\n");
    for (size_t i = 0; i < n; i++) {
        const wm_ctl_miner *m = wm_ctl_miner_at(c, i);
        if (isfinite(m->power_w) && m->power_source)
            sb_printf(&b, "miner_power_watts{miner=\"%s\",source=\"%s\"} %.1f\n", m->target.name, m->power_source,
                      m->power_w);
    }
    sb_printf(&b, "# HELP miner_temperature_celsius Hottest board sensor.\n# TYPE miner_temperature_celsius gauge\n");
    for (size_t i = 0; i < n; i++) {
        const wm_ctl_miner *m = wm_ctl_miner_at(c, i);
        if (m->last.fail == WM_MF_NONE && isfinite(m->last.data.temp_max_c))
            sb_printf(&b, "miner_temperature_celsius{miner=\"%s\",board=\"max\"} %.1f\n", m->target.name,
                      m->last.data.temp_max_c);
    }
    sb_printf(&b, "# HELP miner_fan_rpm Fastest fan.\n# TYPE miner_fan_rpm gauge\n");
    for (size_t i = 0; i < n; i++) {
        const wm_ctl_miner *m = wm_ctl_miner_at(c, i);
        if (m->last.fail == WM_MF_NONE && isfinite(m->last.data.fan_rpm_max))
            sb_printf(&b, "miner_fan_rpm{miner=\"%s\",fan=\"max\"} %.0f\n", m->target.name, m->last.data.fan_rpm_max);
    }
    sb_printf(&b, "# HELP miner_state Miner state (1 for the current one).\n# TYPE miner_state gauge\n");
    for (size_t i = 0; i < n; i++) {
        const wm_ctl_miner *m = wm_ctl_miner_at(c, i);
        sb_printf(&b, "miner_state{miner=\"%s\",state=\"%s\"} 1\n", m->target.name,
                  wm_miner_state_name(m->last.fail ? WM_MS_UNKNOWN : m->last.data.state));
    }
    const wm_ctl_stats *st = wm_ctl_stats_get(c);
    sb_printf(&b, "# HELP miner_api_request_duration_seconds Duration of successful miner API requests.\n"
                  "# TYPE miner_api_request_duration_seconds histogram\n");
    for (int k = 0; k < WM_CTL_REQ_BUCKETS; k++)
        sb_printf(&b, "miner_api_request_duration_seconds_bucket{le=\"%g\"} %ld\n", wm_ctl_req_bounds_s[k],
                  st->req_bucket[k]);
    sb_printf(&b, "miner_api_request_duration_seconds_bucket{le=\"+Inf\"} %ld\n", st->req_count);
    sb_printf(&b, "miner_api_request_duration_seconds_sum %.6f\nminer_api_request_duration_seconds_count %ld\n",
              st->req_sum_s, st->req_count);
    sb_printf(&b, "# HELP miner_api_errors_total Failed miner API requests.\n# TYPE miner_api_errors_total counter\n");
    for (int k = WM_MF_TIMEOUT; k < WM_MF__COUNT; k++)
        if (k != WM_MF_UNSUPPORTED)
        sb_printf(&b, "miner_api_errors_total{kind=\"%s\"} %ld\n", wm_miner_fail_name((wm_miner_fail)k), st->api_errors[k]);
    sb_printf(&b, "# HELP curtail_commands_total Commands by verb and outcome.\n# TYPE curtail_commands_total counter\n");
    for (int v = WM_VERB_STOP; v <= WM_VERB_RESUME; v++)
        for (int o = 0; o < 6; o++)
            sb_printf(&b, "curtail_commands_total{verb=\"%s\",outcome=\"%s\"} %ld\n", wm_miner_verb_name((wm_miner_verb)v),
                      verb_outcome[o], st->commands[v][o]);
    sb_printf(&b, "# HELP wattmux_alarms_total Alarms raised.\n# TYPE wattmux_alarms_total counter\n"
                  "wattmux_alarms_total %ld\n", wm_ctl_alarms(c));
    sb_printf(&b, "# HELP fleet_poll_duration_seconds Duration of the last fleet poll.\n"
                  "# TYPE fleet_poll_duration_seconds gauge\nfleet_poll_duration_seconds %.4f\n", st->last_poll_s);
    *len = b.n;
    return b.p;
}

wm_status wm_api_publish(wm_api *a, const wm_ctl *c, double now)
{
    const wm_site_sample *s = wm_ctl_site(c);
    const wm_decide_out *d = wm_ctl_decision(c);
    json_t *st = json_object();
    json_object_set_new(st, "t", json_real(now));
    json_object_set_new(st, "mode", json_string(s->mode ? s->mode : "starting"));
    json_object_set_new(st, "override", json_string(wm_ctl_get_mode(c) == WM_CTL_AUTO ? "auto"
                                                    : wm_ctl_get_mode(c) == WM_CTL_FORCE_MINE ? "mine" : "curtail"));
    json_object_set_new(st, "power_w", json_real(s->power_w));
    json_object_set_new(st, "mining_power_w", json_real(s->mining_power_w));
    json_object_set_new(st, "cap_w", num_or_null(s->cap_w));
    json_object_set_new(st, "projected_w", num_or_null(wm_ctl_projected_w(c)));
    json_object_set_new(st, "hashrate_th_s", json_real(s->hashrate_th_s));
    json_object_set_new(st, "miners", json_integer(s->miners));
    json_object_set_new(st, "miners_up", json_integer(s->miners_up));
    json_object_set_new(st, "miners_unknown_power", json_integer(s->miners_unknown_power));
    json_object_set_new(st, "price_usd_per_mwh", num_or_null(s->price_usd_per_mwh));
    json_object_set_new(st, "breakeven_usd_per_mwh", num_or_null(s->breakeven_usd_per_mwh));
    json_object_set_new(st, "alarms", json_integer(wm_ctl_alarms(c)));
    json_object_set_new(st, "reason", json_string(d->reason));
    char *status = json_dumps(st, JSON_COMPACT);
    json_decref(st);

    json_t *fl = json_object(), *arr = json_array();
    size_t n = wm_ctl_count(c);
    for (size_t i = 0; i < n; i++) {
        const wm_ctl_miner *m = wm_ctl_miner_at(c, i);
        json_t *o = json_object();
        json_object_set_new(o, "miner", json_string(m->target.name));
        json_object_set_new(o, "firmware", json_string(wm_miner_fw_name(m->fw)));
        json_object_set_new(o, "model", json_string(m->last.data.model));
        json_object_set_new(o, "up", json_boolean(m->last.fail == WM_MF_NONE));
        json_object_set_new(o, "error", m->last.fail ? json_string(m->last.why) : json_null());
        json_object_set_new(o, "state", json_string(wm_miner_state_name(m->last.fail ? WM_MS_UNKNOWN : m->last.data.state)));
        json_object_set_new(o, "hashrate_th_s", m->last.fail ? json_null() : num_or_null(m->last.data.hashrate_th_s));
        json_object_set_new(o, "power_w", num_or_null(m->power_w));
        json_object_set_new(o, "power_source", m->power_source ? json_string(m->power_source) : json_null());
        json_object_set_new(o, "temp_c", m->last.fail ? json_null() : num_or_null(m->last.data.temp_max_c));
        json_object_set_new(o, "commandable", json_boolean(wm_ctl_commandable(c, i)));
        json_object_set_new(o, "curtail_reverts", json_integer(m->reverts));
        json_object_set_new(o, "uncontrollable", json_boolean(m->uncontrollable));
        json_object_set_new(o, "command", m->cmd_active ? json_string(wm_miner_verb_name(m->cmd_verb)) : json_null());
        json_array_append_new(arr, o);
    }
    json_object_set_new(fl, "miners", arr);
    char *fleet = json_dumps(fl, JSON_COMPACT);
    json_decref(fl);

    json_t *pl = json_object();
    json_t *det = d->detail[0] ? json_loads(d->detail, 0, NULL) : NULL;
    json_t *dec_name = json_object_get(det, "decider");
    json_object_set_new(pl, "source", json_string(json_is_string(dec_name) ? json_string_value(dec_name) : "breakeven"));
    json_object_set_new(pl, "mine", json_boolean(d->mine));
    json_object_set_new(pl, "mode", json_string(d->mode));
    json_object_set_new(pl, "target_mining_w", json_real(d->target_mining_w));
    json_object_set_new(pl, "price_usd_per_mwh", num_or_null(s->price_usd_per_mwh));
    json_object_set_new(pl, "breakeven_usd_per_mwh", num_or_null(s->breakeven_usd_per_mwh));
    json_object_set_new(pl, "reason", json_string(d->reason));
    json_t *fa = json_array();
    for (size_t f = 0; f < wm_ctl_fleets(c); f++) {
        json_t *o = json_object();
        json_object_set_new(o, "fleet", json_string(wm_ctl_fleet_name(c, f)));
        json_object_set_new(o, "miners", json_integer(wm_ctl_fleet_miners(c, f)));
        json_object_set_new(o, "running", json_integer(wm_ctl_fleet_running(c, f)));
        json_object_set_new(o, "target_miners", json_integer(d->fleet[f].target_miners));
        json_object_set_new(o, "target_mw", num_or_null(d->fleet[f].target_mw));
        json_object_set_new(o, "max_mw", num_or_null(d->fleet[f].max_mw));
        json_object_set_new(o, "breakeven_usd_per_mwh", num_or_null(d->fleet[f].breakeven_usd_per_mwh));
        json_array_append_new(fa, o);
    }
    json_object_set_new(pl, "fleets", fa);
    json_object_set_new(pl, "detail", json_is_object(det) ? det : json_null());
    if (!json_is_object(det))
        json_decref(det);
    char *dec_txt = json_dumps(pl, JSON_COMPACT);
    json_decref(pl);
    /* {"decision": ..., "plan": <the plan file's JSON> | null, "plan_version", "plan_file",
       "plan_error"}; the brief form (?plan=0) leaves out "plan", which can be megabytes, so a
       dashboard polling every few seconds fetches the plan only when plan_version changes */
    plan_refresh(a);
    json_t *pf = json_object();
    json_object_set_new(pf, "plan_version", json_integer(a->plan_version));
    json_object_set_new(pf, "plan_file", a->plan_path[0] ? json_string(a->plan_path) : json_null());
    json_object_set_new(pf, "plan_error", a->plan_err[0] ? json_string(a->plan_err) : json_null());
    char *pf_txt = json_dumps(pf, JSON_COMPACT);
    json_decref(pf);
    char *plan = NULL, *brief = NULL;
    if (dec_txt && pf_txt) {
        sbuf pb = {0}, bb = {0};
        sb_printf(&pb, "{\"decision\":%s,\"plan\":%s,%s", dec_txt, a->plan_text ? a->plan_text : "null", pf_txt + 1);
        sb_printf(&bb, "{\"decision\":%s,%s", dec_txt, pf_txt + 1);
        plan = pb.p;
        brief = bb.p;
    }
    free(dec_txt), free(pf_txt);

    size_t mlen;
    char *metrics = render_metrics(c, &mlen);
    if (!status || !fleet || !plan || !brief || !metrics) {
        free(status), free(fleet), free(plan), free(brief), free(metrics);
        return WM_ENOMEM;
    }
    pthread_mutex_lock(&a->mu);
    free(a->status), free(a->fleet), free(a->plan), free(a->plan_brief), free(a->metrics);
    a->plan_brief = brief, a->plan_brief_len = strlen(brief);
    a->status = status, a->status_len = strlen(status);
    a->fleet = fleet, a->fleet_len = strlen(fleet);
    a->plan = plan, a->plan_len = strlen(plan);
    a->metrics = metrics, a->metrics_len = mlen;
    pthread_mutex_unlock(&a->mu);
    return WM_OK;
}

/* ------------------------------------------------------------------ handling */

static void reply(wm_http_resp *r, int code, const char *ctype, const char *body, size_t len)
{
    r->code = code;
    r->ctype = ctype;
    r->body = malloc(len + 1);
    if (r->body) {
        memcpy(r->body, body, len);
        r->body[len] = 0;
        r->len = len;
    } else
        r->len = 0;
}

static void err(wm_http_resp *r, int code, const char *msg)
{
    json_t *o = json_object();
    json_object_set_new(o, "error", json_string(msg));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    reply(r, code, "application/json", s ? s : "{}", s ? strlen(s) : 2);
    free(s);
}

static void snap(wm_api *a, wm_http_resp *r, char *const *p, const size_t *len, const char *ctype)
{
    pthread_mutex_lock(&a->mu);
    reply(r, 200, ctype, *p, *len);
    pthread_mutex_unlock(&a->mu);
}

/* Value of key in a query string into out (URL decoding of %XX and +). */
static bool query_get(const char *q, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = q; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t l = amp ? (size_t)(amp - p) : strlen(p);
        if (l > kl && !strncmp(p, key, kl) && p[kl] == '=') {
            size_t k = 0;
            for (size_t i = kl + 1; i < l && k + 1 < cap; i++) {
                char c = p[i];
                if (c == '+')
                    c = ' ';
                else if (c == '%' && i + 2 < l && isxdigit((unsigned char)p[i + 1]) && isxdigit((unsigned char)p[i + 2])) {
                    char h[3] = {p[i + 1], p[i + 2], 0};
                    c = (char)strtol(h, NULL, 16);
                    i += 2;
                }
                out[k++] = c;
            }
            out[k] = 0;
            return true;
        }
        p = amp ? amp + 1 : NULL;
    }
    return false;
}

static bool query_num(const char *q, const char *key, double lo, double hi, double *v)
{
    char b[64];
    if (!query_get(q, key, b, sizeof b))
        return true; /* absent: keep the default */
    char *end;
    errno = 0;
    double x = strtod(b, &end);
    if (end == b || *end || errno || !isfinite(x) || x < lo || x > hi)
        return false;
    *v = x;
    return true;
}

static void history(wm_api *a, const wm_http_req *q, wm_http_resp *r, const char *what)
{
    double since = 0, limit = 500;
    if (!query_num(q->query, "since", 0, 1e11, &since) || !query_num(q->query, "limit", 1, 100000, &limit)) {
        err(r, 400, "bad query: since must be unix seconds >= 0, limit 1..100000");
        return;
    }
    if (!a->store_path[0]) {
        err(r, 503, "no history store");
        return;
    }
    wm_store *st;
    if (wm_store_open(a->store_path, &st, NULL) != WM_OK) {
        err(r, 503, "history store unavailable");
        return;
    }
    json_t *rows;
    wm_status s = wm_store_query(st, what, since, (long)limit, &rows);
    wm_store_free(st);
    if (s != WM_OK) {
        err(r, 500, "query failed");
        return;
    }
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) { /* decisions.detail is JSON text: serve it as an object */
        json_t *dt = json_object_get(row, "detail");
        if (json_is_string(dt)) {
            json_t *parsed = json_loads(json_string_value(dt), 0, NULL);
            json_object_set_new(row, "detail", parsed ? parsed : json_null());
        }
    }
    json_t *o = json_object();
    json_object_set_new(o, what, rows);
    char *txt = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    reply(r, 200, "application/json", txt ? txt : "{}", txt ? strlen(txt) : 2);
    free(txt);
}

static bool authorized(const wm_api *a, const char *auth)
{
    if (!a->has_token || !auth || strncmp(auth, "Bearer ", 7) != 0)
        return false;
    const char *t = auth + 7;
    size_t tl = strlen(t), al = strlen(a->token);
    unsigned diff = (unsigned)(tl ^ al); /* constant time over the token */
    for (size_t i = 0; i < al; i++)
        diff |= (unsigned)(a->token[i] ^ (i < tl ? t[i] : 0));
    return diff == 0;
}

/* The checks every control endpoint makes first; false when it has replied. */
static bool control_allowed(const wm_api *a, const wm_http_req *q, wm_http_resp *r)
{
    if (!a->has_token) {
        err(r, 403, "control endpoints are disabled: start serve with --token-file");
        return false;
    }
    if (!authorized(a, q->auth)) {
        err(r, 401, "missing or wrong bearer token");
        return false;
    }
    if (q->body_len > WM_API_MAX_BODY) {
        err(r, 413, "body larger than 4096 bytes");
        return false;
    }
    return true;
}

/* {"miner": "host:port"} or {"miner": "*"}: queued for the controller's next tick; the name
 * must be a miner of the last published fleet. */
static void reset_miner(wm_api *a, const wm_http_req *q, wm_http_resp *r)
{
    if (!control_allowed(a, q, r))
        return;
    json_error_t je;
    json_t *b = json_loadb(q->body ? q->body : "", q->body_len, 0, &je);
    const char *m = json_string_value(json_object_get(b, "miner"));
    char name[24];
    bool ok = m && *m && strlen(m) < sizeof name;
    if (ok)
        snprintf(name, sizeof name, "%s", m);
    json_decref(b);
    if (!ok) {
        char msg[200];
        snprintf(msg, sizeof msg, "expected {\"miner\":\"host:port\"} or {\"miner\":\"*\"}%s%.120s", b ? "" : ": ",
                 b ? "" : je.text);
        err(r, 400, msg);
        return;
    }
    /* the name as the fleet snapshot spells it ("miner":"...", JSON-escaped) */
    char needle[80] = "";
    if (strcmp(name, "*")) {
        json_t *js = json_string(name);
        char *enc = js ? json_dumps(js, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        json_decref(js);
        if (enc)
            snprintf(needle, sizeof needle, "\"miner\":%s", enc);
        free(enc);
        if (!needle[0]) {
            err(r, 400, "miner name is not valid UTF-8");
            return;
        }
    }
    int code = 202;
    pthread_mutex_lock(&a->mu);
    if (needle[0] && !strstr(a->fleet, needle))
        code = 404;
    else if (a->nresets == WM_API_MAX_RESETS)
        code = 503;
    else
        snprintf(a->resets[a->nresets++], sizeof a->resets[0], "%s", name);
    pthread_mutex_unlock(&a->mu);
    if (code == 404)
        err(r, 404, "no such miner in the fleet");
    else if (code == 503)
        err(r, 503, "too many resets pending: retry after the next tick");
    else {
        const char *okb = "{\"accepted\":true}";
        reply(r, 202, "application/json", okb, strlen(okb));
    }
}

static void set_mode(wm_api *a, const wm_http_req *q, wm_http_resp *r)
{
    if (!control_allowed(a, q, r))
        return;
    json_error_t je;
    json_t *b = json_loadb(q->body ? q->body : "", q->body_len, 0, &je);
    const char *m = json_string_value(json_object_get(b, "mode"));
    int mode = -1;
    if (m && !strcmp(m, "auto"))
        mode = WM_CTL_AUTO;
    else if (m && !strcmp(m, "mine"))
        mode = WM_CTL_FORCE_MINE;
    else if (m && !strcmp(m, "curtail"))
        mode = WM_CTL_FORCE_CURTAIL;
    json_decref(b);
    if (mode < 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "expected {\"mode\":\"auto|mine|curtail\"}%s%.120s", b ? "" : ": ", b ? "" : je.text);
        err(r, 400, msg);
        return;
    }
    pthread_mutex_lock(&a->mu);
    a->want_mode = mode;
    pthread_mutex_unlock(&a->mu);
    const char *ok = "{\"accepted\":true}";
    reply(r, 202, "application/json", ok, strlen(ok));
}

wm_status wm_api_handle(wm_api *a, const wm_http_req *q, wm_http_resp *r)
{
    memset(r, 0, sizeof *r);
    if (!q->method || !q->path)
        return WM_EINVAL;
    bool get = !strcmp(q->method, "GET") || !strcmp(q->method, "HEAD");
    bool post = !strcmp(q->method, "POST");
    const char *p = q->path;
    if (!strcmp(p, "/api/v1/mode") || !strcmp(p, "/api/v1/miners/reset")) {
        if (!post)
            err(r, 405, "use POST");
        else if (!strcmp(p, "/api/v1/mode"))
            set_mode(a, q, r);
        else
            reset_miner(a, q, r);
        return WM_OK;
    }
    if (!get) {
        err(r, 405, "method not allowed");
        return WM_OK;
    }
    if (q->body_len > WM_API_MAX_BODY) {
        err(r, 413, "body too large");
        return WM_OK;
    }
    if (!strcmp(p, "/api/v1/status"))
        snap(a, r, &a->status, &a->status_len, "application/json");
    else if (!strcmp(p, "/api/v1/fleet"))
        snap(a, r, &a->fleet, &a->fleet_len, "application/json");
    else if (!strcmp(p, "/api/v1/plan")) {
        char v[8];
        if (query_get(q->query, "plan", v, sizeof v) && !strcmp(v, "0"))
            snap(a, r, &a->plan_brief, &a->plan_brief_len, "application/json");
        else
            snap(a, r, &a->plan, &a->plan_len, "application/json");
    }
    else if (!strcmp(p, "/metrics"))
        snap(a, r, &a->metrics, &a->metrics_len, "text/plain; version=0.0.4; charset=utf-8");
    else if (!strcmp(p, "/api/v1/history"))
        history(a, q, r, "site");
    else if (!strcmp(p, "/api/v1/decisions"))
        history(a, q, r, "decisions");
    else if (!strcmp(p, "/api/v1/commands"))
        history(a, q, r, "commands");
    else if (!strcmp(p, "/api/v1/alarms"))
        history(a, q, r, "alarms");
    else {
        const wm_web_asset *w = wm_web_find(!strcmp(p, "/") ? "/index.html" : p);
        if (w)
            reply(r, 200, w->ctype, (const char *)w->data, w->len);
        else
            err(r, 404, "not found");
    }
    return WM_OK;
}

/* ------------------------------------------------------------------ libmicrohttpd */

typedef struct upload {
    char *buf;
    size_t len;
    bool too_big;
} upload;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url, const char *method,
                                  const char *version, const char *data, size_t *data_size, void **con_cls)
{
    (void)version;
    wm_api *a = cls;
    upload *u = *con_cls;
    if (!u) {
        u = calloc(1, sizeof *u);
        if (!u)
            return MHD_NO;
        *con_cls = u;
        return MHD_YES;
    }
    if (*data_size) {
        if (u->len + *data_size > WM_API_MAX_BODY)
            u->too_big = true;
        else {
            char *nb = realloc(u->buf, u->len + *data_size + 1);
            if (!nb)
                return MHD_NO;
            u->buf = nb;
            memcpy(u->buf + u->len, data, *data_size);
            u->len += *data_size;
        }
        *data_size = 0;
        return MHD_YES;
    }
    /* rebuild the query string from MHD's parsed arguments we care about */
    char query[256] = "";
    const char *keys[] = {"since", "limit"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, keys[i]);
        if (v) {
            size_t l = strlen(query);
            snprintf(query + l, sizeof query - l, "%s%s=%.60s", l ? "&" : "", keys[i], v);
        }
    }
    wm_http_req q = {.method = method, .path = url, .query = query,
                     .auth = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Authorization"),
                     .body = u->buf, .body_len = u->too_big ? WM_API_MAX_BODY + 1 : u->len};
    wm_http_resp r;
    wm_api_handle(a, &q, &r);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r.len, r.body ? r.body : (char *)"", r.body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(r.body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", r.ctype ? r.ctype : "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(con, (unsigned)(r.code ? r.code : 500), resp);
    MHD_destroy_response(resp);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *con, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)con, (void)toe;
    upload *u = *con_cls;
    if (u) {
        free(u->buf);
        free(u);
        *con_cls = NULL;
    }
}

wm_status wm_api_listen(wm_api *a, const char *addr, int port, int threads, wm_err *e)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, addr ? addr : "127.0.0.1", &sa.sin_addr) != 1)
        return wm_err_set(e, WM_EINVAL, "--listen", 0, 0, "expected an IPv4 address, got '%s'", addr);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    a->mhd = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, a, MHD_OPTION_SOCK_ADDR, &sa,
                              MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(threads > 0 ? threads : 1),
                              MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536, MHD_OPTION_NOTIFY_COMPLETED,
                              on_done, a, MHD_OPTION_END);
    if (!a->mhd)
        return wm_err_set(e, WM_EIO, "--listen", 0, 0, "cannot listen on %s:%d", addr ? addr : "127.0.0.1", port);
    return WM_OK;
}

void wm_api_stop(wm_api *a)
{
    if (a && a->mhd) {
        MHD_stop_daemon(a->mhd);
        a->mhd = NULL;
    }
}
