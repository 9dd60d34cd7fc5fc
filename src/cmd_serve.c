/* cmd_serve.c - `wattmux serve`: the live daemon. Each tick it reads the market price (a CSV
 * replayed on an accelerated clock, or an HTTP JSON feed), runs the controller (lib/ctl:
 * poll, confirm, decide, command), records to SQLite (lib/store) and publishes the API,
 * /metrics and the dashboard (lib/api). The miner list and site limits come from flags until
 * the site YAML loader (lib/site, branch dispatch) lands. SIGINT/SIGTERM stop it cleanly;
 * after a kill -9 a restart marks the commands that were in flight "interrupted" and
 * re-reads the fleet before commanding anything. */
#include "api.h"
#include "cli.h"
#include "commands.h"
#include "ctl.h"
#include "series.h"
#include "site.h"

#include <curl/curl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REQ NAN
#define BIG 1e300

static const wm_param p_serve[] = {
    {"miners", "miners", WM_PARAM_STR, "", 0, 0, 0, NULL, "miners: A-B ranges and addresses with optional :port (127.0.0.1-127.0.3.232:4028)"},
    {"cap-mw", "cap_mw", WM_PARAM_NUM, "MW", 0, 0, 1e5, NULL, "power cap for the miners (0: the site file's interconnect minus its firm AI load)"},
    {"db", "db", WM_PARAM_STR, "", 0, 0, 0, "wattmux.db", "SQLite history file (WAL)"},
    {"listen", "listen", WM_PARAM_STR, "", 0, 0, 0, "127.0.0.1:8080", "HTTP address:port (API, /metrics, dashboard)"},
    {"token-file", "token_file", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "file holding the bearer token for control endpoints (none: control disabled)"},
    {"http-threads", "http_threads", WM_PARAM_INT, "", 2, 1, 64, NULL, "HTTP server threads"},
    {"prices", "prices", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "price CSV replayed on an accelerated clock"},
    {"price-column", "price_column", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "price column of the CSV (default: the first value column)"},
    {"price-tz", "price_tz", WM_PARAM_STR, "", 0, 0, 0, "utc", "time zone of the CSV's local times: utc or us-central"},
    {"price-start", "price_start_s", WM_PARAM_INT, "unix s", 0, 0, 1e11, NULL, "start the replay at this time (0: the first row)"},
    {"speed", "speed", WM_PARAM_NUM, "x", 1, 1e-3, 1e7, NULL, "replay speed (simulated seconds per wall second)"},
    {"price-url", "price_url", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "HTTP feed returning {\"price_usd_per_mwh\":x,\"t\":unix}"},
    {"stale-s", "stale_s", WM_PARAM_NUM, "s", 3600, 1, 1e9, NULL, "a price older than this (feed time) is stale: safe mode"},
    {"safe", "safe_mode", WM_PARAM_STR, "", 0, 0, 0, "curtail", "safe mode on stale prices or lost telemetry: curtail or hold"},
    {"interval-s", "interval_s", WM_PARAM_NUM, "s", 300, 0.1, 86400, NULL, "decision interval (wall clock)"},
    {"tick-s", "tick_s", WM_PARAM_NUM, "s", 5, 0.05, 3600, NULL, "poll/confirm period (wall clock)"},
    {"hashprice", "hashprice_usd_per_ph_day", WM_PARAM_NUM, "USD/PH/day", 50, 0, 1e6, NULL, "hashprice for the break-even rule"},
    {"pue", "pue", WM_PARAM_NUM, "", 1.05, 1, 3, NULL, "facility power / IT power"},
    {"eff", "default_eff_j_per_th", WM_PARAM_NUM, "J/TH", 30, 1, 1000, NULL, "power estimate for miners that report none"},
    {"sleep-s", "sleep_s", WM_PARAM_NUM, "s", 5, 0, 3600, NULL, "time a miner takes to fall to idle after a curtail"},
    {"wake-s", "wake_s", WM_PARAM_NUM, "s", 10, 0, 3600, NULL, "time a miner takes to reach full power after a wakeup"},
    {"confirm-margin-s", "confirm_margin_s", WM_PARAM_NUM, "s", 5, 0, 3600, NULL, "extra wait before a command counts as unconfirmed"},
    {"max-attempts", "max_attempts", WM_PARAM_INT, "", 3, 1, 100, NULL, "sends before an unconfirmed command raises an alarm"},
    {"idle-w", "idle_w", WM_PARAM_NUM, "W", 100, 0, 1e4, NULL, "power at or below which a miner counts as asleep"},
    {"batch", "batch_max", WM_PARAM_INT, "", 500, 1, 1e6, NULL, "miners per command batch"},
    {"nameplate-w", "default_nameplate_w", WM_PARAM_NUM, "W", 3600, 1, 1e5, NULL, "worst-case power assumed for a miner not yet seen mining steadily"},
    {"stale-telemetry-s", "stale_telemetry_s", WM_PARAM_NUM, "s", 30, 1, 1e6, NULL, "a miner whose clock has not advanced this long counts as unknown"},
    {"duration-s", "duration_s", WM_PARAM_NUM, "s", 0, 0, 1e9, NULL, "stop after this long (0: run until SIGTERM)"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};
enum { V_MINERS, V_CAP, V_DB, V_LISTEN, V_TOKEN, V_HTTPT, V_PRICES, V_PCOL, V_PTZ, V_PSTART, V_SPEED, V_PURL,
       V_STALE, V_SAFE, V_INTERVAL, V_TICK, V_HASHPRICE, V_PUE, V_EFF, V_SLEEP, V_WAKE, V_MARGIN, V_ATTEMPTS,
       V_IDLE, V_BATCH, V_NAMEPLATE, V_STALETEL, V_DURATION, V__N };

static bool p_set(const wm_value *v, int i) { return v[i].set; }

static volatile sig_atomic_t g_stop;
static void on_sig(int s)
{
    (void)s;
    g_stop = 1;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct feed {
    wm_series *s;
    int col;
    double t0_wall, t0_sim, speed, stale_s;
    const char *url;
    CURL *curl;
} feed;

/* Price now; *fresh false when the feed is stale or ended. */
static double feed_price(feed *f, double now, bool *fresh, double *sim_t)
{
    *fresh = false;
    if (f->s) {
        double t = f->t0_sim + (now - f->t0_wall) * f->speed;
        *sim_t = t;
        const int64_t *ts = wm_series_times(f->s);
        const double *v = wm_series_values(f->s, (size_t)f->col);
        size_t n = wm_series_len(f->s), lo = 0, hi = n;
        while (lo < hi) { /* first row with time > t */
            size_t mid = (lo + hi) / 2;
            if ((double)ts[mid] <= t)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == 0)
            return NAN;
        double p = v[lo - 1];
        double step = n > 1 ? (double)wm_series_step(f->s) : f->stale_s;
        *fresh = isfinite(p) && t - (double)ts[lo - 1] <= fmin(f->stale_s, step > 0 ? step : f->stale_s);
        return p;
    }
    if (f->url && f->curl) {
        char buf[4096];
        size_t n = 0;
        struct wbuf { char *b; size_t *n; } w = {buf, &n};
        (void)w;
        FILE *mem = fmemopen(buf, sizeof buf - 1, "w");
        if (!mem)
            return NAN;
        curl_easy_setopt(f->curl, CURLOPT_URL, f->url);
        curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, mem);
        curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, 2000L);
        curl_easy_setopt(f->curl, CURLOPT_MAXFILESIZE, 4000L);
        CURLcode rc = curl_easy_perform(f->curl);
        n = (size_t)ftell(mem);
        fclose(mem);
        if (rc != CURLE_OK || n == 0)
            return NAN;
        buf[n < sizeof buf ? n : sizeof buf - 1] = 0;
        json_t *j = json_loads(buf, 0, NULL);
        double p = json_number_value(json_object_get(j, "price_usd_per_mwh"));
        double t = json_number_value(json_object_get(j, "t"));
        bool has = json_is_number(json_object_get(j, "price_usd_per_mwh")) && json_is_number(json_object_get(j, "t"));
        json_decref(j);
        *sim_t = t;
        *fresh = has && isfinite(p) && now - t <= f->stale_s;
        return has ? p : NAN;
    }
    return NAN;
}

/* Decider from the site file (lib/site): mine while the price is below the fleets' value per
 * facility MWh (net hashprice after pool fee, at nominal J/TH and the hall's PUE; site.c),
 * weighted by each fleet's facility MW. */
typedef struct site_decider {
    double value_usd_per_mwh;
    char name[64];
} site_decider;

static wm_status site_decide(void *ctx, const wm_decide_in *in, wm_decide_out *out)
{
    const site_decider *sd = ctx;
    wm_decide_in in2 = *in;
    in2.breakeven_usd_per_mwh = sd->value_usd_per_mwh;
    wm_status st = wm_decide_breakeven(NULL, &in2, out);
    out->breakeven_usd_per_mwh = sd->value_usd_per_mwh;
    if (st == WM_OK && in2.price_fresh) {
        char r[sizeof out->reason];
        snprintf(r, sizeof r, "%.100s (site %.40s)", out->reason, sd->name);
        memcpy(out->reason, r, sizeof r);
    }
    return st;
}

static int fail_msg(const char *prog, const char *msg)
{
    fprintf(stderr, "%s: %s\n", prog, msg);
    return CLI_USAGE;
}

int cmd_serve(int argc, char **argv)
{
    const char *prog = "wattmux serve";
    wm_value v[V__N];
    cli_opts o;
    int rc = cli_parse(prog, "Live operation: poll and command the miners, decide each interval, record "
                             "to SQLite, serve the JSON API, /metrics and the dashboard.",
                       p_serve, argc, argv, v, &o);
    if (rc != CLI_OK || o.help)
        return rc;
    if (o.npos > 1)
        return fail_msg(prog, "expected at most one site file");
    static wm_site site; /* large: keep it off the stack */
    site_decider sdec = {0};
    bool have_site = o.npos == 1;
    if (have_site) {
        wm_err serr;
        wm_err_clear(&serr);
        wm_status sst = wm_site_load(o.pos[0], &site, &serr);
        if (sst != WM_OK)
            return cli_error(prog, sst, &serr);
        double firm_mw = 0, fleet_mw = 0, value = 0;
        for (size_t i = 0; i < site.ninference; i++)
            firm_mw += site.inference[i].it_mw * site.halls[site.inference[i].hall_index].pue;
        for (size_t i = 0; i < site.nfleets; i++) {
            fleet_mw += site.fleets[i].facility_mw;
            value += site.fleets[i].value_usd_per_mwh * site.fleets[i].facility_mw;
        }
        if (fleet_mw <= 0)
            return fail_msg(prog, "the site file has no mining fleets to control");
        sdec.value_usd_per_mwh = value / fleet_mw;
        snprintf(sdec.name, sizeof sdec.name, "%s", site.name);
        if (v[V_CAP].num == 0)
            v[V_CAP].num = site.interconnect_mw - firm_mw;
        if (!(v[V_CAP].num > 0))
            return fail_msg(prog, "the site's interconnect leaves no power for mining after its firm AI load");
    } else if (v[V_CAP].num == 0)
        return fail_msg(prog, "--cap-mw: required without a site file");
    if (!v[V_MINERS].str || !*v[V_MINERS].str)
        return fail_msg(prog, "--miners: required (e.g. 127.0.0.1-127.0.3.232:4028)");
    bool have_csv = v[V_PRICES].str && *v[V_PRICES].str, have_url = v[V_PURL].str && *v[V_PURL].str;
    if (have_csv == have_url)
        return fail_msg(prog, "give exactly one price source: --prices FILE.csv or --price-url URL");
    wm_safe_mode safe;
    if (!strcmp(v[V_SAFE].str, "curtail"))
        safe = WM_SAFE_CURTAIL;
    else if (!strcmp(v[V_SAFE].str, "hold"))
        safe = WM_SAFE_HOLD;
    else
        return fail_msg(prog, "--safe: expected curtail or hold");
    char laddr[64];
    int lport;
    {
        const char *l = v[V_LISTEN].str, *colon = strrchr(l, ':');
        char *end;
        long pp = colon ? strtol(colon + 1, &end, 10) : -1;
        if (!colon || *end || pp < 0 || pp > 65535 || (size_t)(colon - l) >= sizeof laddr)
            return fail_msg(prog, "--listen: expected ADDRESS:PORT (e.g. 127.0.0.1:8080)");
        snprintf(laddr, sizeof laddr, "%.*s", (int)(colon - l), l);
        lport = (int)pp;
    }
    char token[256] = "";
    if (v[V_TOKEN].str && *v[V_TOKEN].str) {
        FILE *tf = fopen(v[V_TOKEN].str, "r");
        if (!tf || !fgets(token, sizeof token, tf)) {
            if (tf)
                fclose(tf);
            fprintf(stderr, "%s: --token-file: cannot read %s\n", prog, v[V_TOKEN].str);
            return CLI_USAGE;
        }
        fclose(tf);
        token[strcspn(token, "\r\n")] = 0;
        if (strlen(token) < 16)
            return fail_msg(prog, "--token-file: the token must have at least 16 characters");
    }
    wm_err err;
    wm_err_clear(&err);
    wm_target *tg = NULL;
    size_t n = 0;
    wm_status st = wm_targets_parse(v[V_MINERS].str, 4028, &tg, &n, 100000, &err);
    if (st != WM_OK)
        return cli_error(prog, st, &err);

    feed f = {.t0_wall = wall(), .speed = v[V_SPEED].num, .stale_s = v[V_STALE].num};
    int ret = CLI_FAIL;
    wm_store *store = NULL;
    wm_ctl *ctl = NULL;
    wm_api *api = NULL;
    if (have_csv) {
        wm_series_opts so = {0};
        if (!strcmp(v[V_PTZ].str, "us-central"))
            so.tz = WM_TZ_US_CENTRAL;
        else if (strcmp(v[V_PTZ].str, "utc") != 0) {
            free(tg);
            return fail_msg(prog, "--price-tz: expected utc or us-central");
        }
        const char *cols[1] = {v[V_PCOL].str};
        if (v[V_PCOL].str && *v[V_PCOL].str) {
            so.columns = cols;
            so.ncolumns = 1;
        }
        st = wm_series_load(v[V_PRICES].str, &so, &f.s, &err);
        if (st != WM_OK) {
            free(tg);
            return cli_error(prog, st, &err);
        }
        f.col = 0;
        if (wm_series_len(f.s) == 0) {
            fprintf(stderr, "%s: %s: no price rows\n", prog, v[V_PRICES].str);
            goto out;
        }
        f.t0_sim = v[V_PSTART].num > 0 ? v[V_PSTART].num : (double)wm_series_times(f.s)[0];
    } else {
        f.url = v[V_PURL].str;
        curl_global_init(CURL_GLOBAL_DEFAULT);
        f.curl = curl_easy_init();
    }
    st = wm_store_open(v[V_DB].str, &store, &err);
    if (st != WM_OK) {
        ret = cli_error(prog, st, &err);
        goto out;
    }
    {
        json_t *inflight = NULL;
        if (wm_store_inflight(store, &inflight) == WM_OK && json_array_size(inflight) > 0) {
            size_t i;
            json_t *r;
            double now = wall();
            json_array_foreach(inflight, i, r)
                wm_store_command_state(store, json_integer_value(json_object_get(r, "id")), now, "interrupted",
                                       "daemon restarted while the command was in flight; fleet re-read");
            fprintf(stderr, "%s: %zu command(s) were in flight at the last stop; marked interrupted\n", prog,
                    json_array_size(inflight));
        }
        json_decref(inflight);
    }
    wm_ctl_cfg cfg;
    wm_ctl_cfg_default(&cfg);
    cfg.cap_w = v[V_CAP].num * 1e6;
    cfg.interval_s = v[V_INTERVAL].num;
    cfg.sleep_s = v[V_SLEEP].num;
    cfg.wake_s = v[V_WAKE].num;
    cfg.confirm_margin_s = v[V_MARGIN].num;
    cfg.max_attempts = (int)v[V_ATTEMPTS].num;
    cfg.idle_w = v[V_IDLE].num;
    cfg.safe = safe;
    cfg.hashprice_usd_per_ph_day = v[V_HASHPRICE].num;
    cfg.pue = v[V_PUE].num;
    cfg.default_eff_j_per_th = v[V_EFF].num;
    cfg.batch_max = (int)v[V_BATCH].num;
    cfg.default_nameplate_w = v[V_NAMEPLATE].num;
    cfg.stale_telemetry_s = v[V_STALETEL].num;
    wm_decider dec = {wm_decide_breakeven, NULL};
    if (have_site) {
        dec = (wm_decider){site_decide, &sdec};
        /* worst case before a miner is seen mining: the largest ASIC of the site's fleets */
        double np = 0, w = 0, th = 0;
        for (size_t i = 0; i < site.nfleets; i++) {
            np = fmax(np, site.fleets[i].asic->power_w);
            w += site.fleets[i].count * site.fleets[i].asic->power_w;
            th += site.fleets[i].count * site.fleets[i].asic->hashrate_th_s;
        }
        if (!p_set(v, V_NAMEPLATE))
            cfg.default_nameplate_w = np;
        if (!p_set(v, V_EFF) && th > 0)
            cfg.default_eff_j_per_th = w / th;
        if (!p_set(v, V_HASHPRICE))
            cfg.hashprice_usd_per_ph_day = site.hashprice_used_usd_per_ph_day;
    }
    if ((st = wm_ctl_new(&cfg, tg, n, store, dec, &ctl)) != WM_OK) {
        fprintf(stderr, "%s: cannot start the controller: %s\n", prog, wm_strerror(st));
        goto out;
    }
    if ((st = wm_api_new(v[V_DB].str, token[0] ? token : NULL, &api)) != WM_OK ||
        (st = wm_api_listen(api, laddr, lport, (int)v[V_HTTPT].num, &err)) != WM_OK) {
        ret = cli_error(prog, st, &err);
        goto out;
    }
    signal(SIGINT, on_sig);
    signal(SIGTERM, on_sig);
    signal(SIGPIPE, SIG_IGN);
    fprintf(stderr, "%s: %zu miners, cap %.3f MW, listening on %s:%d, history in %s\n", prog, n, v[V_CAP].num, laddr,
            lport, v[V_DB].str);
    double start = wall();
    while (!g_stop) {
        double now = wall();
        int m = wm_api_take_mode(api);
        if (m >= 0)
            wm_ctl_set_mode(ctl, (wm_ctl_mode)m);
        bool fresh;
        double sim_t = NAN;
        double price = feed_price(&f, now, &fresh, &sim_t);
        wm_ctl_tick(ctl, now, price, fresh);
        wm_api_publish(api, ctl, now);
        if (v[V_DURATION].num > 0 && now - start >= v[V_DURATION].num)
            break;
        double next = now + v[V_TICK].num;
        while (!g_stop && wall() < next) {
            double left = next - wall();
            struct timespec ts = {(time_t)left, (long)((left - floor(left)) * 1e9)};
            if (left > 0.05)
                ts = (struct timespec){0, 50000000L};
            nanosleep(&ts, NULL);
        }
    }
    fprintf(stderr, "%s: stopped\n", prog);
    ret = CLI_OK;
out:
    wm_api_free(api);
    wm_ctl_free(ctl);
    wm_store_free(store);
    wm_series_free(f.s);
    if (f.curl) {
        curl_easy_cleanup(f.curl);
        curl_global_cleanup();
    }
    free(tg);
    return ret;
}
