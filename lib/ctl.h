/* ctl.h - the live controller behind `wattmux serve`: each tick it polls the fleet, confirms
 * or retries outstanding commands by measured power, decides each interval through a
 * pluggable decider (default: the dispatch module on the site's loads, lib/ctl_dispatch.c;
 * or mine while the power price is below break-even, lib/btc.h), turns the decision into a
 * target number of running miners per fleet, and commands miners in staggered batches.
 *
 * Invariants:
 * - projected site power never exceeds cap_w because of a command we send: a wake batch is
 *   sized against cap_w minus the projection, where miners with unknown power count at their
 *   nameplate and miners with an unconfirmed resume count at nameplate;
 * - every command row is committed to the store before the command is sent; it ends
 *   confirmed (by measured power), unsupported, or alarmed after max_attempts;
 * - a miner whose stop was confirmed still counts at its nameplate for revert_guard_s when
 *   waking others (it may resume mining on its own: control.md fault 9); a miner seen mining
 *   again after a confirmed stop, with no resume sent, is a revert; 2 reverts within
 *   revert_window_s raise a curtail_reverted alarm and make it uncontrollable (never
 *   commanded again, counted at its nameplate whatever it draws);
 * - unknown telemetry stays unknown (NaN, NULL in the store, absent in /metrics), never 0 W;
 * - stale prices or lost telemetry put the site in the configured safe mode. */
#ifndef WM_CTL_H
#define WM_CTL_H

#include "poller.h"
#include "store.h"

typedef enum wm_ctl_mode { WM_CTL_AUTO = 0, WM_CTL_FORCE_MINE, WM_CTL_FORCE_CURTAIL } wm_ctl_mode;
typedef enum wm_safe_mode { WM_SAFE_CURTAIL = 0, WM_SAFE_HOLD } wm_safe_mode;

#define WM_CTL_MAX_FLEETS 32
#define WM_CTL_DETAIL 2048

typedef struct wm_decide_in {
    double t;
    double market_t;            /* UTC start of the price interval (replay: simulated); NaN unknown */
    double interval_h;          /* length of the price interval */
    double price_usd_per_mwh;   /* NaN when stale */
    bool price_fresh;
    double breakeven_usd_per_mwh;
    double cap_w;
    double uncontrollable_w;    /* miners we cannot command (stock firmware) */
    double controllable_full_w; /* nameplate of commandable miners */
    size_t nfleets;             /* fleets of the controller (wm_ctl_set_fleets; 1 when not set) */
    long fleet_miners[WM_CTL_MAX_FLEETS]; /* miners under control per fleet */
} wm_decide_in;

/* What the decision means for one fleet. */
typedef struct wm_fleet_target {
    long target_miners;         /* miners to run (<= fleet_miners) */
    double target_mw;           /* the decider's power for the fleet (dispatch: facility MW); NaN none */
    double max_mw;              /* the fleet's facility MW at full power (site file); NaN unknown */
    double breakeven_usd_per_mwh; /* the fleet's value per facility MWh (dispatch); NaN unknown */
} wm_fleet_target;

typedef struct wm_decide_out {
    bool mine;                  /* run the commandable miners (up to the cap) */
    double target_mining_w;     /* power budget for commandable miners */
    char mode[16];              /* "mine", "curtail", "safe" */
    char reason[160];
    double breakeven_usd_per_mwh; /* the decider's own break-even, shown by the API; 0/NaN: the controller's */
    bool per_fleet;             /* fleet[] holds the targets; else mine -> all, curtail -> none */
    wm_fleet_target fleet[WM_CTL_MAX_FLEETS];
    double cap_w;               /* miners' power limit this interval (e.g. lowered by demand response); 0: cfg */
    char detail[WM_CTL_DETAIL]; /* JSON object: the decider's inputs and results (stored, served) */
} wm_decide_out;

/* The decision interface (the dispatch decider: ctl_dispatch.h). */
typedef struct wm_decider {
    wm_status (*decide)(void *ctx, const wm_decide_in *in, wm_decide_out *out);
    void *ctx;
} wm_decider;
/* Mine while price < break-even (ctx unused). */
wm_status wm_decide_breakeven(void *ctx, const wm_decide_in *in, wm_decide_out *out);

typedef struct wm_ctl_cfg {
    double cap_w;               /* site interconnect */
    double interval_s;          /* decision interval in wall-clock seconds */
    double sleep_s, wake_s;     /* miner ramp times (LuxOS: ~5 s / ~10 s) */
    double confirm_margin_s;    /* extra time before a command counts as unconfirmed */
    int max_attempts;           /* sends before an alarm */
    double idle_w;              /* at or below: asleep (confirmed curtail) */
    double lost_telemetry_frac; /* above: safe mode */
    wm_safe_mode safe;
    double hashprice_usd_per_ph_day;
    double pue;
    double default_eff_j_per_th;/* power estimate for miners that report none */
    int batch_max;              /* miners per command batch */
    double default_nameplate_w; /* worst-case power of a miner not yet seen mining steadily */
    double stale_telemetry_s;   /* a miner whose When has not advanced this long: unknown */
    double revert_guard_s;      /* after a confirmed stop, count the miner at nameplate this long
                                 * when waking others; < 0 (default): 3 x sleep_s */
    double revert_window_s;     /* 2 reverts within this long: alarm, uncontrollable */
} wm_ctl_cfg;
void wm_ctl_cfg_default(wm_ctl_cfg *c);

typedef struct wm_ctl_miner {
    wm_target target;
    int fleet;                  /* index into the controller's fleets */
    wm_miner_fw fw;
    wm_miner_op last;           /* last READ */
    double power_w;             /* measured or estimated; NaN unknown */
    const char *power_source;   /* "reported", "estimated", NULL */
    double nameplate_w;         /* learnt: max power seen, or hashrate * eff */
    double full_th_s;           /* max hashrate seen */
    double last_ok_t;
    double req_s;               /* last request duration */
    int64_t when_last;          /* last STATUS When seen */
    double when_changed_t;
    bool stale;                 /* replies carry a frozen When: telemetry unknown */
    /* outstanding command */
    bool cmd_active;
    wm_miner_verb cmd_verb;
    int64_t cmd_id;
    int cmd_attempts;
    double cmd_sent_t;
    /* curtail reverts (control.md fault 9) */
    bool stop_held;             /* a confirmed stop and no resume sent since */
    double stop_confirmed_t;
    long reverts;               /* times seen mining again after a confirmed stop */
    double revert_t;            /* the last revert */
    bool uncontrollable;        /* curtail_reverted alarm raised: no longer commanded */
} wm_ctl_miner;

#define WM_CTL_REQ_BUCKETS 10
extern const double wm_ctl_req_bounds_s[WM_CTL_REQ_BUCKETS]; /* 0.005 .. 5 s */

typedef struct wm_ctl_stats {
    long commands[4][6];        /* [verb][outcome: sent, confirmed, retried, alarmed, unsupported, reverted] */
    long api_errors[WM_MF__COUNT];
    long polls;
    double last_poll_s;
    /* histogram of miner API request durations (every successful request since start) */
    long req_bucket[WM_CTL_REQ_BUCKETS];   /* cumulative counts per upper bound */
    long req_count;
    double req_sum_s;
} wm_ctl_stats;

typedef struct wm_ctl wm_ctl;
wm_status wm_ctl_new(const wm_ctl_cfg *cfg, const wm_target *targets, size_t n, wm_store *store,
                     wm_decider decider, wm_ctl **out);
void wm_ctl_free(wm_ctl *c);
/* Assign miners to fleets: fleet[i] in [0, nfleets) for miner i (default: one fleet, 0); names
 * are copied (shown by the API). */
wm_status wm_ctl_set_fleets(wm_ctl *c, const int *fleet, size_t nfleets, const char *const *names);
/* The firmware of miner i when known from configuration (default: detected by the first poll). */
void wm_ctl_set_fw(wm_ctl *c, size_t i, wm_miner_fw fw);
void wm_ctl_set_mode(wm_ctl *c, wm_ctl_mode m);
wm_ctl_mode wm_ctl_get_mode(const wm_ctl *c);
/* One tick at wall time `now` (UTC s) with the current price (NaN = stale/unknown). */
wm_status wm_ctl_tick(wm_ctl *c, double now, double price_usd_per_mwh, bool price_fresh);
/* The same with the price interval it belongs to (UTC start, length): a new price interval is
 * decided at once, and the decider sees market_t (the replayed time) instead of the wall. */
wm_status wm_ctl_tick_market(wm_ctl *c, double now, double price_usd_per_mwh, bool price_fresh, double market_t,
                             double interval_h);

/* Read-only views for the API/metrics (valid until the next tick). */
size_t wm_ctl_count(const wm_ctl *c);
const wm_ctl_miner *wm_ctl_miner_at(const wm_ctl *c, size_t i);
const wm_site_sample *wm_ctl_site(const wm_ctl *c);
const wm_decide_out *wm_ctl_decision(const wm_ctl *c);
/* Fleets: count, name, and the miners running now (mining or being resumed, not being stopped). */
size_t wm_ctl_fleets(const wm_ctl *c);
const char *wm_ctl_fleet_name(const wm_ctl *c, size_t f);
long wm_ctl_fleet_running(const wm_ctl *c, size_t f);
long wm_ctl_fleet_miners(const wm_ctl *c, size_t f);
const wm_ctl_stats *wm_ctl_stats_get(const wm_ctl *c);
/* The worst-case site power the last reconcile planned against (unknown at nameplate,
 * resumes and guarded stops at nameplate, uncontrollable miners at nameplate). */
double wm_ctl_projected_w(const wm_ctl *c);
/* Miner i can be commanded: its firmware takes stop/resume and it has not been found
 * reverting curtails. */
bool wm_ctl_commandable(const wm_ctl *c, size_t i);
long wm_ctl_alarms(const wm_ctl *c);
/* The operator checked a miner that reverted curtails: forget its reverts and command it again.
 * name: a miner's name, or "*" for every miner with reverts. Returns how many were cleared;
 * each is logged as an operator_reset row of the alarms table (not counted as an alarm). */
long wm_ctl_reset_miner(wm_ctl *c, const char *name, double now);

#endif
