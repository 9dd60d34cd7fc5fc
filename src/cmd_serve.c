/* cmd_serve.c - `wattmux serve [SITE.yaml]`: the live daemon. Each tick it reads the market
 * price (lib/prices feed: a CSV replayed on an accelerated clock, an HTTP JSON feed, or ERCOT's
 * Public API report NP6-905-CD), runs the controller (lib/ctl: poll, confirm, decide with
 * lib/dispatch on the site's loads or the break-even rule, command per fleet), records to
 * SQLite (lib/store) and publishes the API, /metrics and the dashboard (lib/api). Settings come
 * from the site file's serve: section; a flag given on the command line overrides it. SIGINT/
 * SIGTERM stop it cleanly; after a kill -9 a restart marks the commands that were in flight
 * "interrupted" and re-reads the fleet before commanding anything. */
#include "api.h"
#include "cli.h"
#include "commands.h"
#include "ctl.h"
#include "ctl_dispatch.h"
#include "prices.h"
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
    {"miners", "miners", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "miners: A-B ranges and addresses with optional :port (127.0.0.1-127.0.3.232:4028); with a site file they form its first fleet (default: serve.miners)"},
    {"cap-mw", "cap_mw", WM_PARAM_NUM, "MW", 0, 0, 1e5, NULL, "power cap for the miners (0: serve.cap_mw, else the interconnect minus firm AI load over the fleets' highest PUE)"},
    {"decider", "decider", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "dispatch (lib/dispatch on the site's loads; default with a site file) or breakeven"},
    {"db", "db", WM_PARAM_STR, "", 0, 0, 0, "wattmux.db", "SQLite history file (WAL)"},
    {"listen", "listen", WM_PARAM_STR, "", 0, 0, 0, "127.0.0.1:8080", "HTTP address:port (API, /metrics, dashboard)"},
    {"token-file", "token_file", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "file holding the bearer token for control endpoints (none: control disabled)"},
    {"plan-json", "plan_json", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "plan results served by /api/v1/plan and the dashboard: the output of `wattmux plan SITE.yaml --json > FILE` (or a `wattmux plan --out` DIR); re-read when it changes"},
    {"http-threads", "http_threads", WM_PARAM_INT, "", 2, 1, 64, NULL, "HTTP server threads"},
    {"prices", "prices", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "price CSV replayed on an accelerated clock"},
    {"price-column", "price_column", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "price column of the CSV (default: the first value column)"},
    {"price-tz", "price_tz", WM_PARAM_STR, "", 0, 0, 0, "utc", "time zone of the CSV's local times: utc or us-central"},
    {"price-start", "price_start_s", WM_PARAM_INT, "unix s", 0, 0, 1e11, NULL, "start the replay at this time (0: the first row)"},
    {"speed", "speed", WM_PARAM_NUM, "x", 1, 1e-3, 1e7, NULL, "replay speed (simulated seconds per wall second)"},
    {"price-url", "price_url", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "HTTP price feed (see --price-format)"},
    {"price-format", "price_format", WM_PARAM_STR, "", 0, 0, 0, "json", "json ({\"price_usd_per_mwh\":x,\"t\":unix}) or ercot (Public API NP6-905-CD report)"},
    {"settlement-point", "settlement_point", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "ercot format: settlement point (LZ_WEST, HB_NORTH, ...)"},
    {"price-headers", "price_headers_file", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "file of HTTP header lines for the feed (API keys)"},
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
    {"revert-guard-s", "revert_guard_s", WM_PARAM_NUM, "s", -1, -1, 86400, NULL, "after a confirmed stop, count the miner at its nameplate this long when waking others (it may resume mining on its own); -1: 3 x sleep_s"},
    {"revert-window-s", "revert_window_s", WM_PARAM_NUM, "s", 3600, 1, 30 * 86400, NULL, "two curtail reverts this close raise curtail_reverted and the miner is no longer commanded (until POST /api/v1/miners/reset)"},
    {"stale-telemetry-s", "stale_telemetry_s", WM_PARAM_NUM, "s", 30, 1, 1e6, NULL, "a miner whose clock has not advanced this long counts as unknown"},
    {"duration-s", "duration_s", WM_PARAM_NUM, "s", 0, 0, 1e9, NULL, "stop after this long (0: run until SIGTERM)"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};
enum { V_MINERS, V_CAP, V_DECIDER, V_DB, V_LISTEN, V_TOKEN, V_PLAN, V_HTTPT, V_PRICES, V_PCOL, V_PTZ, V_PSTART, V_SPEED, V_PURL,
       V_PFMT, V_SPOINT, V_PHDR,
       V_STALE, V_SAFE, V_INTERVAL, V_TICK, V_HASHPRICE, V_PUE, V_EFF, V_SLEEP, V_WAKE, V_MARGIN, V_ATTEMPTS,
       V_IDLE, V_BATCH, V_NAMEPLATE, V_RGUARD, V_RWINDOW, V_STALETEL, V_DURATION, V__N };

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

/* A text setting: the flag when given, else the site file's serve: value when set, else the
 * flag's default. */
static const char *pick(const wm_value *v, int i, const char *from_site)
{
    if (!v[i].set && from_site && from_site[0])
        return from_site;
    return v[i].str;
}
static double pick_num(const wm_value *v, int i, bool site_has, double from_site)
{
    return !v[i].set && site_has ? from_site : v[i].num;
}

static int fail_msg(const char *prog, const char *msg)
{
    fprintf(stderr, "%s: %s\n", prog, msg);
    return CLI_USAGE;
}

/* Miners from the site file's serve.miners (one fleet each) or from --miners (the first fleet). */
static wm_status build_targets(const wm_site *site, bool have_site, const char *flag_miners, wm_target **tg, size_t *n,
                               int **fleet, wm_miner_fw **fw, wm_err *err)
{
    *tg = NULL;
    *n = 0;
    *fleet = NULL;
    *fw = NULL;
    size_t cap = 0;
    wm_status st = WM_OK;
    size_t nent = flag_miners ? 1 : site->serve.nminers;
    for (size_t e = 0; e < nent && st == WM_OK; e++) {
        const char *spec = flag_miners ? flag_miners : site->serve.miners[e].addresses;
        int port = flag_miners ? 4028 : (int)site->serve.miners[e].port;
        wm_target *t = NULL;
        size_t k = 0;
        st = wm_targets_parse(spec, port, &t, &k, 100000, err);
        if (st != WM_OK && !flag_miners) { /* say which entry of the site file */
            char m[WM_ERR_MSG];
            snprintf(m, sizeof m, "%s", err->msg);
            wm_err_set(err, st, site->source, 0, 0, "serve.miners[%zu] (fleet %s) addresses, column %ld: %s", e + 1,
                       site->serve.miners[e].fleet, err->col, m);
        }
        if (st == WM_OK && *n + k > 100000)
            st = wm_err_set(err, WM_ELIMIT, "miners", 0, 0, "at most 100000 miners");
        if (st == WM_OK && *n + k > cap) {
            cap = (*n + k) * 2;
            wm_target *t2 = realloc(*tg, cap * sizeof **tg);
            int *f2 = t2 ? realloc(*fleet, cap * sizeof **fleet) : NULL;
            if (t2)
                *tg = t2;
            if (f2)
                *fleet = f2;
            wm_miner_fw *w2 = f2 ? realloc(*fw, cap * sizeof **fw) : NULL;
            if (w2)
                *fw = w2;
            if (!t2 || !f2 || !w2)
                st = WM_ENOMEM;
        }
        for (size_t i = 0; st == WM_OK && i < k; i++) {
            (*tg)[*n] = t[i];
            (*fleet)[*n] = flag_miners || !have_site ? 0 : site->serve.miners[e].fleet_index;
            (*fw)[*n] = flag_miners ? WM_FW_UNKNOWN : (wm_miner_fw)site->serve.miners[e].driver;
            (*n)++;
        }
        free(t);
    }
    if (st == WM_OK && *n == 0)
        st = wm_err_set(err, WM_EINVAL, have_site ? site->source : "--miners", 0, 0,
                        "no miners: give serve.miners in the site file or --miners (e.g. 127.0.0.1-127.0.3.232:4028)");
    if (st != WM_OK) {
        free(*tg), free(*fleet), free(*fw);
        *tg = NULL, *fleet = NULL, *fw = NULL;
        *n = 0;
    }
    return st;
}

int cmd_serve(int argc, char **argv)
{
    const char *prog = "wattmux serve";
    wm_value v[V__N];
    cli_opts o;
    int rc = cli_parse(prog, "Live operation: poll and command the miners, decide each interval (lib/dispatch on "
                             "the site's loads), record to SQLite, serve the JSON API, /metrics and the dashboard. "
                             "Settings come from the site file's serve: section; flags override them.",
                       p_serve, argc, argv, v, &o);
    if (rc != CLI_OK || o.help)
        return rc;
    if (o.npos > 1)
        return fail_msg(prog, "expected at most one site file");
    static wm_site site; /* large: keep it off the stack */
    memset(&site, 0, sizeof site);
    bool have_site = o.npos == 1;
    const wm_site_serve *sv = &site.serve;
    wm_err err;
    wm_err_clear(&err);
    if (have_site) {
        wm_status sst = wm_site_load(o.pos[0], &site, &err);
        if (sst != WM_OK)
            return cli_error(prog, sst, &err);
        if (site.nfleets == 0)
            return fail_msg(prog, "the site file has no mining fleets to control");
    }
    bool sp = have_site && sv->present;
    /* the miners' cap */
    double cap_mw = v[V_CAP].num;
    if (cap_mw == 0 && sp && sv->cap_mw > 0)
        cap_mw = sv->cap_mw;
    if (cap_mw == 0 && have_site) {
        double firm_mw = 0, pue = 1;
        for (size_t i = 0; i < site.ninference; i++)
            firm_mw += site.inference[i].it_mw * site.halls[site.inference[i].hall_index].pue;
        for (size_t i = 0; i < site.nfleets; i++)
            pue = fmax(pue, site.halls[site.fleets[i].hall_index].pue);
        cap_mw = (site.interconnect_mw - firm_mw) / pue;
        if (!(cap_mw > 0))
            return fail_msg(prog, "the site's interconnect leaves no power for mining after its firm AI load");
    } else if (cap_mw == 0)
        return fail_msg(prog, "--cap-mw: required without a site file");
    /* decider */
    const char *decider = pick(v, V_DECIDER, sp ? (sv->decider == WM_SERVE_DECIDER_BREAKEVEN ? "breakeven" : "dispatch") : NULL);
    if (!decider || !decider[0])
        decider = have_site ? "dispatch" : "breakeven";
    if (strcmp(decider, "dispatch") != 0 && strcmp(decider, "breakeven") != 0)
        return fail_msg(prog, "--decider: expected dispatch or breakeven");
    if (!have_site && !strcmp(decider, "dispatch"))
        return fail_msg(prog, "--decider dispatch needs a site file (the loads to dispatch)");
    /* price source */
    const char *csv = pick(v, V_PRICES, sp ? sv->csv : NULL), *url = pick(v, V_PURL, sp ? sv->url : NULL);
    if (v[V_PRICES].set && !v[V_PURL].set)
        url = NULL; /* a flag source replaces the file's */
    if (v[V_PURL].set && !v[V_PRICES].set)
        csv = NULL;
    bool have_csv = csv && *csv, have_url = url && *url;
    if (have_csv == have_url)
        return fail_msg(prog, "give exactly one price source: --prices FILE.csv or --price-url URL (or serve.prices)");
    const char *safe_s = pick(v, V_SAFE, sp ? (sv->safe_mode ? "hold" : "curtail") : NULL);
    wm_safe_mode safe;
    if (!strcmp(safe_s, "curtail"))
        safe = WM_SAFE_CURTAIL;
    else if (!strcmp(safe_s, "hold"))
        safe = WM_SAFE_HOLD;
    else
        return fail_msg(prog, "--safe: expected curtail or hold");
    const char *fmt_s = pick(v, V_PFMT, sp ? (sv->format == WM_SERVE_FEED_ERCOT ? "ercot" : "json") : NULL);
    if (strcmp(fmt_s, "json") != 0 && strcmp(fmt_s, "ercot") != 0)
        return fail_msg(prog, "--price-format: expected json or ercot");
    const char *tz_s = pick(v, V_PTZ, sp && sv->csv[0] ? (sv->csv_tz ? "utc" : "us-central") : NULL);
    wm_tz tz;
    if (!strcmp(tz_s, "us-central"))
        tz = WM_TZ_US_CENTRAL;
    else if (!strcmp(tz_s, "utc"))
        tz = WM_TZ_UTC;
    else
        return fail_msg(prog, "--price-tz: expected utc or us-central");
    const char *listen = pick(v, V_LISTEN, sp ? sv->listen : NULL);
    const char *db = pick(v, V_DB, sp ? sv->db : NULL);
    const char *token_file = pick(v, V_TOKEN, sp ? sv->token_file : NULL);
    double interval_s = pick_num(v, V_INTERVAL, sp, sv->interval_s);
    double tick_s = pick_num(v, V_TICK, sp, sv->tick_s);
    double stale_s = pick_num(v, V_STALE, sp, sv->stale_s);
    char laddr[64];
    int lport;
    {
        const char *colon = strrchr(listen, ':');
        char *end;
        long pp = colon ? strtol(colon + 1, &end, 10) : -1;
        if (!colon || *end || pp < 0 || pp > 65535 || (size_t)(colon - listen) >= sizeof laddr)
            return fail_msg(prog, "--listen: expected ADDRESS:PORT (e.g. 127.0.0.1:8080)");
        snprintf(laddr, sizeof laddr, "%.*s", (int)(colon - listen), listen);
        lport = (int)pp;
    }
    char token[256] = "";
    if (token_file && *token_file) {
        FILE *tf = fopen(token_file, "r");
        if (!tf || !fgets(token, sizeof token, tf)) {
            if (tf)
                fclose(tf);
            fprintf(stderr, "%s: token file: cannot read %s\n", prog, token_file);
            return CLI_USAGE;
        }
        fclose(tf);
        token[strcspn(token, "\r\n")] = 0;
        if (strlen(token) < 16)
            return fail_msg(prog, "token file: the token must have at least 16 characters");
    }
    wm_target *tg = NULL;
    int *fleet_of = NULL;
    wm_miner_fw *fw_of = NULL;
    size_t n = 0;
    const char *flag_miners = v[V_MINERS].str && *v[V_MINERS].str ? v[V_MINERS].str : NULL;
    if (!flag_miners && !sp)
        return fail_msg(prog, "--miners: required without a serve: section (e.g. 127.0.0.1-127.0.3.232:4028)");
    wm_status st = build_targets(&site, have_site, flag_miners, &tg, &n, &fleet_of, &fw_of, &err);
    if (st != WM_OK)
        return cli_error(prog, st, &err);

    int ret = CLI_FAIL;
    wm_store *store = NULL;
    wm_ctl *ctl = NULL;
    wm_api *api = NULL;
    wm_prices_feed *feed = NULL;
    wm_ctl_dispatch *dd = NULL;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    wm_prices_feed_cfg fc = {.csv = have_csv ? csv : NULL, .column = pick(v, V_PCOL, sp ? sv->column : NULL), .tz = tz,
                             .speed = pick_num(v, V_SPEED, sp, sv->speed),
                             .start = v[V_PSTART].set || !sp ? (int64_t)v[V_PSTART].num : sv->start,
                             .url = have_url ? url : NULL,
                             .format = !strcmp(fmt_s, "ercot") ? WM_PRICES_FEED_ERCOT : WM_PRICES_FEED_JSON,
                             .settlement_point = pick(v, V_SPOINT, sp ? sv->settlement_point : NULL),
                             .headers_file = pick(v, V_PHDR, sp ? sv->headers_file : NULL), .stale_s = stale_s};
    if (fc.format == WM_PRICES_FEED_ERCOT && (!fc.settlement_point || !*fc.settlement_point) && fc.column && *fc.column)
        fc.settlement_point = fc.column;
    st = wm_prices_feed_new(&fc, wall(), &feed, &err);
    if (st != WM_OK) {
        ret = cli_error(prog, st, &err);
        goto out;
    }
    st = wm_store_open(db, &store, &err);
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
    cfg.cap_w = cap_mw * 1e6;
    cfg.interval_s = interval_s;
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
    cfg.revert_guard_s = pick_num(v, V_RGUARD, sp, sv->revert_guard_s); /* < 0: 3 x sleep_s */
    cfg.revert_window_s = pick_num(v, V_RWINDOW, sp, sv->revert_window_s);
    wm_decider dec = {wm_decide_breakeven, NULL};
    if (have_site) {
        if (!strcmp(decider, "dispatch")) {
            if ((st = wm_ctl_dispatch_new(&site, &dd, &err)) != WM_OK) {
                ret = cli_error(prog, st, &err);
                goto out;
            }
            dec = (wm_decider){wm_ctl_dispatch_decide, dd};
        } else
            dec = (wm_decider){wm_ctl_breakeven_site, &site};
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
    if (have_site) {
        const char *names[WM_SITE_MAX_FLEETS];
        for (size_t i = 0; i < site.nfleets; i++)
            names[i] = site.fleets[i].name;
        wm_ctl_set_fleets(ctl, fleet_of, site.nfleets, names);
        for (size_t i = 0; i < n; i++)
            if (fw_of[i] != WM_FW_UNKNOWN)
                wm_ctl_set_fw(ctl, i, fw_of[i]);
    }
    const char *plan_json = pick(v, V_PLAN, sp ? sv->plan_json : NULL);
    if ((st = wm_api_new(db, token[0] ? token : NULL, &api)) != WM_OK ||
        (st = wm_api_set_plan_file(api, plan_json)) != WM_OK ||
        (st = wm_api_listen(api, laddr, lport, (int)v[V_HTTPT].num, &err)) != WM_OK) {
        ret = cli_error(prog, st, &err);
        goto out;
    }
    signal(SIGINT, on_sig);
    signal(SIGTERM, on_sig);
    signal(SIGPIPE, SIG_IGN);
    fprintf(stderr, "%s: %zu miners in %zu fleet(s), decider %s, cap %.3f MW, listening on %s:%d, history in %s\n",
            prog, n, have_site ? site.nfleets : (size_t)1, have_site ? decider : "breakeven", cap_mw, laddr, lport, db);
    double start = wall();
    while (!g_stop) {
        double now = wall();
        int m = wm_api_take_mode(api);
        if (m >= 0)
            wm_ctl_set_mode(ctl, (wm_ctl_mode)m);
        char resets[WM_API_MAX_RESETS][24];
        for (size_t k = 0, nr = wm_api_take_resets(api, resets, WM_API_MAX_RESETS); k < nr; k++)
            fprintf(stderr, "%s: reset %s: curtail reverts cleared on %ld miner(s)\n", prog, resets[k],
                    wm_ctl_reset_miner(ctl, resets[k], now));
        wm_prices_reading pr;
        wm_prices_feed_read(feed, now, &pr);
        wm_ctl_tick_market(ctl, now, pr.price_usd_per_mwh, pr.fresh, pr.t, pr.interval_h);
        wm_api_publish(api, ctl, now);
        if (v[V_DURATION].num > 0 && now - start >= v[V_DURATION].num)
            break;
        double next = now + tick_s;
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
    wm_ctl_dispatch_free(dd);
    wm_store_free(store);
    wm_prices_feed_free(feed);
    curl_global_cleanup();
    free(tg), free(fleet_of), free(fw_of);
    return ret;
}
