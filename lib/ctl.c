/* ctl.c - the live controller (see ctl.h for the invariants). Per tick: poll, account site
 * power, confirm/retry/alarm outstanding commands, decide at interval boundaries (and at once
 * when a new price interval starts), reconcile each fleet with its target number of running
 * miners in cap-bounded batches (stops least efficient first, wakes most efficient first),
 * record everything. Work arrays are allocated once in wm_ctl_new. Break-even: lib/btc.h
 * wm_btc_breakeven (docs/model-btc.md). */
#include "ctl.h"
#include "btc.h"

#include <jansson.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wm_ctl {
    wm_ctl_cfg cfg;
    wm_ctl_miner *m;
    size_t n;
    wm_store *store;
    wm_decider decider;
    wm_poller *poller;
    wm_miner_op *ops;
    wm_target *tg;
    double *dur;
    size_t *idx;         /* miners in the batch being sent */
    size_t *order;       /* candidates sorted by efficiency */
    wm_ctl_mode mode;
    wm_site_sample site;
    wm_decide_out dec;
    bool have_dec;
    double last_dec_t;
    int64_t dec_id;
    double breakeven;
    bool in_safe;
    wm_ctl_stats stats;
    long alarms;
    size_t nfleets;
    char fleet_name[WM_CTL_MAX_FLEETS][64];
    long fleet_n[WM_CTL_MAX_FLEETS], fleet_run[WM_CTL_MAX_FLEETS];
    double last_market_t;
    double now;          /* time of the current tick (guards) */
    double projected_w;  /* what the last reconcile planned against */
};

const double wm_ctl_req_bounds_s[WM_CTL_REQ_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

static void observe(wm_ctl_stats *st, double d)
{
    if (!isfinite(d))
        return;
    st->req_count++;
    st->req_sum_s += d;
    for (int b = 0; b < WM_CTL_REQ_BUCKETS; b++)
        if (d <= wm_ctl_req_bounds_s[b])
            st->req_bucket[b]++;
}

enum { OUT_SENT, OUT_CONFIRMED, OUT_RETRIED, OUT_ALARMED, OUT_UNSUPPORTED, OUT_REVERTED };

void wm_ctl_cfg_default(wm_ctl_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->cap_w = INFINITY;
    c->interval_s = 300;
    c->sleep_s = 5;
    c->wake_s = 10;
    c->confirm_margin_s = 5;
    c->max_attempts = 3;
    c->idle_w = 100;
    c->lost_telemetry_frac = 0.5;
    c->safe = WM_SAFE_CURTAIL;
    c->hashprice_usd_per_ph_day = 50;
    c->pue = 1.05;
    c->default_eff_j_per_th = 30;
    c->batch_max = 500;
    c->default_nameplate_w = 3600;
    c->stale_telemetry_s = 30;
    c->revert_guard_s = -1;
    c->revert_window_s = 3600;
}

wm_status wm_decide_breakeven(void *ctx, const wm_decide_in *in, wm_decide_out *out)
{
    (void)ctx;
    memset(out, 0, sizeof *out);
    for (size_t f = 0; f < WM_CTL_MAX_FLEETS; f++) /* one rule for every fleet; no per-fleet MW known */
        out->fleet[f] = (wm_fleet_target){0, NAN, NAN, in->breakeven_usd_per_mwh};
    if (!in->price_fresh || !isfinite(in->price_usd_per_mwh)) {
        snprintf(out->mode, sizeof out->mode, "safe");
        snprintf(out->reason, sizeof out->reason, "no fresh price");
        return WM_OK;
    }
    out->mine = in->price_usd_per_mwh < in->breakeven_usd_per_mwh;
    out->target_mining_w = out->mine ? fmax(0, in->cap_w - in->uncontrollable_w) : 0;
    snprintf(out->mode, sizeof out->mode, "%s", out->mine ? "mine" : "curtail");
    snprintf(out->reason, sizeof out->reason, "price %.2f USD/MWh %s break-even %.2f USD/MWh",
             in->price_usd_per_mwh, out->mine ? "below" : "at or above", in->breakeven_usd_per_mwh);
    return WM_OK;
}

wm_status wm_ctl_new(const wm_ctl_cfg *cfg, const wm_target *targets, size_t n, wm_store *store,
                     wm_decider decider, wm_ctl **out)
{
    *out = NULL;
    if (!cfg || !targets || n == 0 || !decider.decide || !(cfg->cap_w > 0) || cfg->max_attempts < 1 ||
        cfg->batch_max < 1)
        return WM_EINVAL;
    wm_ctl *c = calloc(1, sizeof *c);
    if (!c)
        return WM_ENOMEM;
    c->cfg = *cfg;
    if (!(c->cfg.revert_guard_s >= 0))
        c->cfg.revert_guard_s = 3 * c->cfg.sleep_s;
    c->n = n;
    c->store = store;
    c->decider = decider;
    c->m = calloc(n, sizeof *c->m);
    c->ops = calloc(n, sizeof *c->ops);
    c->tg = calloc(n, sizeof *c->tg);
    c->dur = calloc(n, sizeof *c->dur);
    c->idx = calloc(n, sizeof *c->idx);
    c->order = calloc(n, sizeof *c->order);
    wm_poller_opts po;
    wm_poller_opts_default(&po);
    po.retries = 2;
    po.max_inflight = n < 1024 ? (int)n : 1024;
    po.timeout_ms = 2000;
    if (!c->m || !c->ops || !c->tg || !c->dur || !c->idx || !c->order || wm_poller_new(&po, &c->poller) != WM_OK) {
        wm_ctl_free(c);
        return WM_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        c->m[i].target = targets[i];
        c->m[i].power_w = NAN;
        c->m[i].nameplate_w = NAN;
        c->m[i].full_th_s = NAN;
        c->m[i].req_s = NAN;
        wm_miner_op_init(&c->m[i].last, WM_FW_UNKNOWN, WM_VERB_READ, 0);
        c->m[i].last.fail = WM_MF_TIMEOUT; /* not polled yet */
        c->m[i].when_last = -1;
    }
    c->site.price_usd_per_mwh = NAN;
    c->site.breakeven_usd_per_mwh = NAN;
    c->site.cap_w = cfg->cap_w;
    c->site.mode = "starting";
    c->nfleets = 1;
    c->fleet_n[0] = (long)n;
    snprintf(c->fleet_name[0], sizeof c->fleet_name[0], "fleet");
    c->last_market_t = NAN;
    *out = c;
    return WM_OK;
}

void wm_ctl_free(wm_ctl *c)
{
    if (!c)
        return;
    wm_poller_free(c->poller);
    free(c->m), free(c->ops), free(c->tg), free(c->dur), free(c->idx), free(c->order);
    free(c);
}

void wm_ctl_set_mode(wm_ctl *c, wm_ctl_mode m) { c->mode = m; c->last_dec_t = -INFINITY; }
wm_ctl_mode wm_ctl_get_mode(const wm_ctl *c) { return c->mode; }
size_t wm_ctl_count(const wm_ctl *c) { return c->n; }
const wm_ctl_miner *wm_ctl_miner_at(const wm_ctl *c, size_t i) { return i < c->n ? &c->m[i] : NULL; }
const wm_site_sample *wm_ctl_site(const wm_ctl *c) { return &c->site; }
const wm_decide_out *wm_ctl_decision(const wm_ctl *c) { return &c->dec; }
const wm_ctl_stats *wm_ctl_stats_get(const wm_ctl *c) { return &c->stats; }
long wm_ctl_alarms(const wm_ctl *c) { return c->alarms; }
double wm_ctl_projected_w(const wm_ctl *c) { return c->projected_w; }
size_t wm_ctl_fleets(const wm_ctl *c) { return c->nfleets; }
const char *wm_ctl_fleet_name(const wm_ctl *c, size_t f) { return f < c->nfleets ? c->fleet_name[f] : NULL; }
long wm_ctl_fleet_running(const wm_ctl *c, size_t f) { return f < c->nfleets ? c->fleet_run[f] : 0; }
long wm_ctl_fleet_miners(const wm_ctl *c, size_t f) { return f < c->nfleets ? c->fleet_n[f] : 0; }

void wm_ctl_set_fw(wm_ctl *c, size_t i, wm_miner_fw fw)
{
    if (c && i < c->n)
        c->m[i].fw = fw;
}

wm_status wm_ctl_set_fleets(wm_ctl *c, const int *fleet, size_t nfleets, const char *const *names)
{
    if (!c || !fleet || nfleets == 0 || nfleets > WM_CTL_MAX_FLEETS)
        return WM_EINVAL;
    for (size_t i = 0; i < c->n; i++)
        if (fleet[i] < 0 || (size_t)fleet[i] >= nfleets)
            return WM_EINVAL;
    c->nfleets = nfleets;
    memset(c->fleet_n, 0, sizeof c->fleet_n);
    for (size_t i = 0; i < c->n; i++) {
        c->m[i].fleet = fleet[i];
        c->fleet_n[fleet[i]]++;
    }
    for (size_t f = 0; f < nfleets; f++)
        snprintf(c->fleet_name[f], sizeof c->fleet_name[f], "%s", names && names[f] ? names[f] : "fleet");
    return WM_OK;
}

static void alarm(wm_ctl *c, double t, const char *kind, const char *miner, const char *msg)
{
    c->alarms++;
    if (c->store)
        wm_store_alarm(c->store, t, kind, miner, msg);
}

static bool commandable(const wm_ctl_miner *m) { return !m->uncontrollable && wm_miner_can(m->fw, WM_VERB_STOP); }
bool wm_ctl_commandable(const wm_ctl *c, size_t i) { return i < c->n && commandable(&c->m[i]); }

static double nameplate(const wm_ctl *c, const wm_ctl_miner *m)
{
    if (isfinite(m->nameplate_w))
        return m->nameplate_w;
    if (isfinite(m->full_th_s) && m->full_th_s > 0 && !commandable(m))
        return m->full_th_s * c->cfg.default_eff_j_per_th;
    return c->cfg.default_nameplate_w; /* not seen mining steadily: assume the configured worst case */
}

static bool asleep(const wm_ctl *c, const wm_ctl_miner *m)
{
    return isfinite(m->power_w) && m->power_w <= c->cfg.idle_w;
}

/* Counts toward its fleet's running miners: being resumed, or not asleep and not being stopped
 * (a miner with unknown power counts as running: the safe side for the cap). */
static bool running(const wm_ctl *c, const wm_ctl_miner *m)
{
    if (m->cmd_active)
        return m->cmd_verb == WM_VERB_RESUME;
    return !asleep(c, m);
}

/* A confirmed stop not yet past revert_guard_s: the miner may resume mining on its own. */
static bool guarded(const wm_ctl *c, const wm_ctl_miner *m)
{
    return m->stop_held && c->now - m->stop_confirmed_t < c->cfg.revert_guard_s;
}

/* Worst-case power of a miner for cap accounting. */
static double projected(const wm_ctl *c, const wm_ctl_miner *m)
{
    double np = nameplate(c, m);
    if (m->uncontrollable || (m->cmd_active && m->cmd_verb == WM_VERB_RESUME))
        return fmax(np, isfinite(m->power_w) ? m->power_w : 0);
    if (!isfinite(m->power_w))
        return np;
    if (asleep(c, m))
        return m->power_w;
    return fmax(m->power_w, commandable(m) ? np : m->power_w);
}

static void poll_fleet(wm_ctl *c, double now)
{
    for (size_t i = 0; i < c->n; i++) {
        wm_miner_op_init(&c->ops[i], c->m[i].fw, WM_VERB_READ, 0);
        c->tg[i] = c->m[i].target;
    }
    wm_poll_stats ps;
    wm_poller_run(c->poller, c->tg, c->ops, c->n, c->dur, &ps);
    c->stats.polls++;
    c->stats.last_poll_s = ps.seconds;
    for (int k = 0; k < WM_MF__COUNT; k++)
        c->stats.api_errors[k] += ps.fails[k];
    for (size_t i = 0; i < c->n; i++) {
        wm_ctl_miner *m = &c->m[i];
        wm_miner_op *op = &c->ops[i];
        m->last = *op;
        m->req_s = c->dur[i];
        observe(&c->stats, c->dur[i]);
        if (op->fw != WM_FW_UNKNOWN)
            m->fw = op->fw;
        if (op->fail) {
            m->power_w = NAN;
            m->power_source = NULL;
            continue;
        }
        m->last_ok_t = now;
        const wm_miner_data *d = &op->data;
        /* a miner whose clock (STATUS When) stops advancing serves cached data: unknown */
        if (d->when >= 0 && d->when != m->when_last) {
            m->when_last = d->when;
            m->when_changed_t = now;
        }
        if (d->when >= 0 && now - m->when_changed_t > c->cfg.stale_telemetry_s) {
            m->stale = true;
            m->last.fail = WM_MF_STALE;
            snprintf(m->last.why, sizeof m->last.why, "STATUS When frozen at %lld", (long long)d->when);
            c->stats.api_errors[WM_MF_STALE]++;
            m->power_w = NAN;
            m->power_source = NULL;
            continue;
        }
        m->stale = false;
        if (isfinite(d->hashrate_th_s) && (!isfinite(m->full_th_s) || d->hashrate_th_s > m->full_th_s))
            m->full_th_s = d->hashrate_th_s;
        if (isfinite(d->power_w)) {
            /* learn the nameplate only from a steady mining reading (two polls within 2%):
             * a reading during a ramp or asleep would under-state it and break the cap */
            bool steady = d->state == WM_MS_MINING && !m->cmd_active && isfinite(m->power_w) &&
                          fabs(d->power_w - m->power_w) <= 0.02 * d->power_w;
            m->power_w = d->power_w;
            m->power_source = "reported";
            if (steady && (!isfinite(m->nameplate_w) || d->power_w > m->nameplate_w))
                m->nameplate_w = d->power_w;
        } else if (isfinite(d->hashrate_th_s) && d->hashrate_th_s > 0) {
            m->power_w = d->hashrate_th_s * c->cfg.default_eff_j_per_th;
            m->power_source = "estimated";
        } else {
            m->power_w = NAN; /* asleep or idle without a power report: unknown */
            m->power_source = NULL;
        }
    }
}

static void account(wm_ctl *c, double now)
{
    wm_site_sample *s = &c->site;
    s->t = now;
    s->power_w = s->mining_power_w = s->hashrate_th_s = 0;
    s->miners = (long)c->n;
    s->miners_up = s->miners_unknown_power = 0;
    s->cap_w = c->cfg.cap_w;
    memset(c->fleet_run, 0, sizeof c->fleet_run);
    for (size_t i = 0; i < c->n; i++) {
        const wm_ctl_miner *m = &c->m[i];
        c->fleet_run[m->fleet] += running(c, m);
        if (m->last.fail == WM_MF_NONE)
            s->miners_up++;
        if (isfinite(m->power_w)) {
            s->power_w += m->power_w;
            if (m->last.data.state == WM_MS_MINING)
                s->mining_power_w += m->power_w;
        } else
            s->miners_unknown_power++;
        if (m->last.fail == WM_MF_NONE && isfinite(m->last.data.hashrate_th_s))
            s->hashrate_th_s += m->last.data.hashrate_th_s;
    }
}

static void confirm(wm_ctl *c, double now, size_t *nresend)
{
    *nresend = 0;
    for (size_t i = 0; i < c->n; i++) {
        wm_ctl_miner *m = &c->m[i];
        if (!m->cmd_active)
            continue;
        /* resume: hashing again and drawing clearly more than idle (half the learnt nameplate
         * when there is one) - measured, not the acknowledgement */
        double floor_w = isfinite(m->nameplate_w) ? 0.5 * m->nameplate_w : 2 * c->cfg.idle_w;
        bool ok = m->cmd_verb == WM_VERB_STOP ? asleep(c, m)
                                              : isfinite(m->power_w) && m->power_w >= floor_w &&
                                                    m->last.data.state == WM_MS_MINING;
        int v = m->cmd_verb;
        if (ok) {
            char det[64];
            snprintf(det, sizeof det, "measured %.0f W", m->power_w);
            if (c->store)
                wm_store_command_state(c->store, m->cmd_id, now, "confirmed", det);
            c->stats.commands[v][OUT_CONFIRMED]++;
            m->cmd_active = false;
            m->stop_held = m->cmd_verb == WM_VERB_STOP;
            m->stop_confirmed_t = now;
            continue;
        }
        double wait = (m->cmd_verb == WM_VERB_STOP ? c->cfg.sleep_s : c->cfg.wake_s) + c->cfg.confirm_margin_s;
        if (now - m->cmd_sent_t < wait)
            continue;
        if (m->cmd_attempts < c->cfg.max_attempts) {
            c->idx[(*nresend)++] = i;
            c->stats.commands[v][OUT_RETRIED]++;
        } else {
            char msg[160];
            snprintf(msg, sizeof msg, "%s not confirmed after %d attempt(s): power %s", wm_miner_verb_name(m->cmd_verb),
                     m->cmd_attempts, isfinite(m->power_w) ? "unchanged" : "unknown");
            if (c->store)
                wm_store_command_state(c->store, m->cmd_id, now, "alarmed", msg);
            alarm(c, now, "command_unconfirmed", m->target.name, msg);
            c->stats.commands[v][OUT_ALARMED]++;
            m->cmd_active = false;
        }
    }
}

/* Curtail reverts (control.md fault 9): a miner whose stop was confirmed, with no resume sent
 * since, seen drawing more than idle again. The stop's command row becomes "reverted"; the
 * second revert within revert_window_s raises a curtail_reverted alarm and the miner is no
 * longer commanded (counted at its nameplate: it may mine whatever we send). */
static void detect_reverts(wm_ctl *c, double now)
{
    for (size_t i = 0; i < c->n; i++) {
        wm_ctl_miner *m = &c->m[i];
        if (!m->stop_held || m->cmd_active || !isfinite(m->power_w) || asleep(c, m))
            continue;
        m->stop_held = false;
        double apart_s = now - m->revert_t;
        bool again = m->reverts > 0 && apart_s <= c->cfg.revert_window_s;
        m->reverts++;
        m->revert_t = now;
        c->stats.commands[WM_VERB_STOP][OUT_REVERTED]++;
        char msg[160];
        snprintf(msg, sizeof msg, "mining again without a resume: measured %.0f W after a confirmed stop (revert %ld)",
                 m->power_w, m->reverts);
        if (c->store)
            wm_store_command_state(c->store, m->cmd_id, now, "reverted", msg);
        if (again && !m->uncontrollable) {
            m->uncontrollable = true;
            snprintf(msg, sizeof msg, "%ld curtail reverts, the last two %.0f s apart: no longer commanded, counted at "
                     "%.0f W", m->reverts, apart_s, nameplate(c, m));
            alarm(c, now, "curtail_reverted", m->target.name, msg);
        }
    }
}

long wm_ctl_reset_miner(wm_ctl *c, const char *name, double now)
{
    const bool all = !strcmp(name, "*");
    long n = 0;
    for (size_t i = 0; i < c->n; i++) {
        wm_ctl_miner *m = &c->m[i];
        if ((!all && strcmp(m->target.name, name)) || (!m->uncontrollable && m->reverts == 0))
            continue;
        char msg[160];
        snprintf(msg, sizeof msg, "cleared by the operator: %ld curtail revert%s forgotten, %s", m->reverts,
                 m->reverts == 1 ? "" : "s", m->uncontrollable ? "commanded again" : "still commanded");
        /* stop_held stays: a miner stopped again after one revert keeps its guard */
        m->uncontrollable = false;
        m->reverts = 0;
        m->revert_t = 0;
        if (c->store)
            wm_store_alarm(c->store, now, "operator_reset", m->target.name, msg);
        n++;
    }
    return n;
}

/* Targets for a yes/no decision: every miner of every fleet, or none. */
static void all_or_none(wm_ctl *c, wm_decide_out *d)
{
    d->per_fleet = false;
    for (size_t f = 0; f < c->nfleets; f++) {
        d->fleet[f].target_miners = d->mine ? c->fleet_n[f] : 0;
        d->fleet[f].target_mw = NAN;
    }
}

static void decide(wm_ctl *c, double now, double price, bool fresh, double market_t, double interval_h)
{
    double np = 0, th = 0, unctl = 0, ctl_full = 0;
    for (size_t i = 0; i < c->n; i++) {
        const wm_ctl_miner *m = &c->m[i];
        if (isfinite(m->nameplate_w) && isfinite(m->full_th_s) && m->full_th_s > 0) {
            np += m->nameplate_w;
            th += m->full_th_s;
        }
        if (commandable(m))
            ctl_full += nameplate(c, m);
        else
            unctl += projected(c, m);
    }
    double eff = th > 0 ? np / th : c->cfg.default_eff_j_per_th;
    wm_breakeven_in bi = {.hashrate_th_s = 1000, .power_w = eff * 1000,
                          .hashprice_usd_per_ph_day = c->cfg.hashprice_usd_per_ph_day, .payout_factor = 1,
                          .pue = c->cfg.pue, .uptime = 1, .price_usd_per_mwh = 0};
    wm_breakeven bo;
    c->breakeven = wm_btc_breakeven(&bi, &bo) == WM_OK ? bo.breakeven_usd_per_mwh : NAN;
    wm_decide_in in = {.t = now, .market_t = market_t, .interval_h = interval_h,
                       .price_usd_per_mwh = fresh ? price : NAN, .price_fresh = fresh && isfinite(price),
                       .breakeven_usd_per_mwh = c->breakeven, .cap_w = c->cfg.cap_w, .uncontrollable_w = unctl,
                       .controllable_full_w = ctl_full, .nfleets = c->nfleets};
    for (size_t f = 0; f < c->nfleets; f++)
        in.fleet_miners[f] = c->fleet_n[f];
    static wm_decide_out d; /* large (detail); the controller is single-threaded */
    bool was_mine = c->have_dec && c->dec.mine;
    memset(&d, 0, sizeof d);
    if (c->decider.decide(c->decider.ctx, &in, &d) != WM_OK) {
        memset(&d, 0, sizeof d);
        for (size_t f = 0; f < WM_CTL_MAX_FLEETS; f++)
            d.fleet[f] = (wm_fleet_target){0, NAN, NAN, NAN};
        snprintf(d.mode, sizeof d.mode, "safe");
        snprintf(d.reason, sizeof d.reason, "decider failed");
    }
    if (!d.per_fleet)
        all_or_none(c, &d);
    for (size_t f = 0; f < c->nfleets; f++) /* a decider never asks for more miners than exist */
        d.fleet[f].target_miners = d.fleet[f].target_miners < 0 ? 0
                                   : d.fleet[f].target_miners > c->fleet_n[f] ? c->fleet_n[f] : d.fleet[f].target_miners;
    bool lost = c->n > 0 && (double)c->site.miners_unknown_power / (double)c->n > c->cfg.lost_telemetry_frac &&
                c->stats.polls > 0;
    if (!in.price_fresh || lost || !strcmp(d.mode, "safe")) {
        bool hold = c->cfg.safe == WM_SAFE_HOLD;
        d.mine = hold ? was_mine : false;
        d.target_mining_w = d.mine ? fmax(0, c->cfg.cap_w - unctl) : 0;
        if (hold && c->have_dec) { /* keep the last targets */
            d.per_fleet = c->dec.per_fleet;
            d.cap_w = c->dec.cap_w;
            memcpy(d.fleet, c->dec.fleet, sizeof d.fleet);
        } else {
            all_or_none(c, &d);
            d.cap_w = 0;
        }
        snprintf(d.mode, sizeof d.mode, "safe");
        snprintf(d.reason, sizeof d.reason, "%s; safe mode: %s", !in.price_fresh ? "price stale" : lost ? "telemetry lost" : "decider",
                 hold ? "hold" : "curtail");
        if (!c->in_safe)
            alarm(c, now, "safe_mode", NULL, d.reason);
        c->in_safe = true;
    } else
        c->in_safe = false;
    if (c->mode == WM_CTL_FORCE_MINE || c->mode == WM_CTL_FORCE_CURTAIL) {
        d.mine = c->mode == WM_CTL_FORCE_MINE;
        d.target_mining_w = d.mine ? fmax(0, c->cfg.cap_w - unctl) : 0;
        all_or_none(c, &d);
        d.cap_w = 0;
        snprintf(d.mode, sizeof d.mode, "%s", d.mine ? "mine" : "curtail");
        snprintf(d.reason, sizeof d.reason, "operator override");
    }
    if (isfinite(d.breakeven_usd_per_mwh) && d.breakeven_usd_per_mwh > 0)
        c->breakeven = d.breakeven_usd_per_mwh;
    if (unctl > c->cfg.cap_w)
        alarm(c, now, "cap", NULL, "miners that cannot be commanded alone exceed the power cap");
    c->dec = d;
    c->have_dec = true;
    c->last_dec_t = now;
    c->last_market_t = market_t;
    if (c->store) {
        /* the record: the decider's own detail plus the targets the controller applies */
        json_t *det = d.detail[0] ? json_loads(d.detail, 0, NULL) : NULL;
        if (!json_is_object(det)) {
            json_decref(det);
            det = json_object();
        }
        json_object_set_new(det, "market_t", isfinite(market_t) ? json_real(market_t) : json_null());
        json_object_set_new(det, "price_fresh", json_boolean(in.price_fresh));
        json_t *fa = json_array();
        for (size_t f = 0; f < c->nfleets; f++) {
            json_t *o = json_object();
            json_object_set_new(o, "fleet", json_string(c->fleet_name[f]));
            json_object_set_new(o, "miners", json_integer(c->fleet_n[f]));
            json_object_set_new(o, "target_miners", json_integer(d.fleet[f].target_miners));
            json_array_append_new(fa, o);
        }
        json_object_set_new(det, "targets", fa);
        char *txt = json_dumps(det, JSON_COMPACT);
        json_decref(det);
        wm_store_decision(c->store, now, in.price_usd_per_mwh, c->breakeven, d.target_mining_w, d.mode, d.reason, txt,
                          &c->dec_id);
        free(txt);
    }
}

static const wm_ctl *g_sort_ctl; /* qsort context (single-threaded controller) */
static double eff_of(const wm_ctl_miner *m, const wm_ctl *c)
{
    double th = isfinite(m->full_th_s) && m->full_th_s > 0 ? m->full_th_s : 1;
    return nameplate(c, m) / th;
}
static int by_eff(const void *a, const void *b)
{
    double ea = eff_of(&g_sort_ctl->m[*(const size_t *)a], g_sort_ctl);
    double eb = eff_of(&g_sort_ctl->m[*(const size_t *)b], g_sort_ctl);
    return (ea > eb) - (ea < eb);
}

/* Send verb to miners idx[0..k): rows committed first, then one concurrent poller run. */
static void send_cmds(wm_ctl *c, double now, size_t k, bool resend)
{
    if (k == 0)
        return;
    if (c->store) {
        wm_store_begin(c->store);
        for (size_t j = 0; j < k; j++) {
            wm_ctl_miner *m = &c->m[c->idx[j]];
            if (!resend)
                wm_store_command_new(c->store, now, c->dec_id, m->target.name, m->cmd_verb, &m->cmd_id);
            wm_store_command_state(c->store, m->cmd_id, now, "sent", resend ? "retry" : NULL);
        }
        wm_store_commit(c->store); /* durable before anything goes on the wire */
    }
    for (size_t j = 0; j < k; j++) {
        wm_ctl_miner *m = &c->m[c->idx[j]];
        wm_miner_op_init(&c->ops[j], m->fw, m->cmd_verb, 0);
        c->tg[j] = m->target;
        m->cmd_attempts++;
        m->cmd_sent_t = now;
        m->cmd_active = true;
        m->stop_held = false;
        c->stats.commands[m->cmd_verb][OUT_SENT]++;
    }
    wm_poll_stats ps;
    wm_poller_run(c->poller, c->tg, c->ops, k, NULL, &ps);
    if (c->store)
        wm_store_begin(c->store);
    for (size_t j = 0; j < k; j++) {
        wm_ctl_miner *m = &c->m[c->idx[j]];
        const wm_miner_op *op = &c->ops[j];
        if (op->fail == WM_MF_UNSUPPORTED) {
            m->cmd_active = false;
            c->stats.commands[m->cmd_verb][OUT_UNSUPPORTED]++;
            if (c->store)
                wm_store_command_state(c->store, m->cmd_id, now, "unsupported", op->why);
        } else if (c->store) {
            wm_store_command_state(c->store, m->cmd_id, now, op->fail ? "failed" : "acked", op->fail ? op->why : NULL);
        }
    }
    if (c->store)
        wm_store_commit(c->store);
}

/* Bring each fleet to its target number of running miners: stop the least efficient first
 * (also while the projection is above the cap), then wake the most efficient asleep miners of
 * fleets below target while the projection (stopping miners still count in full) fits. */
static void reconcile(wm_ctl *c, double now)
{
    size_t k = 0, kmax = (size_t)c->cfg.batch_max;
    double proj = 0, guard = 0; /* guard: what guarded stops would add if they reverted */
    long run[WM_CTL_MAX_FLEETS] = {0};
    for (size_t i = 0; i < c->n; i++) {
        const wm_ctl_miner *m = &c->m[i];
        proj += projected(c, m);
        run[m->fleet] += running(c, m);
        if (guarded(c, m))
            guard += fmax(0, nameplate(c, m) - projected(c, m));
    }
    double limit = c->cfg.cap_w;
    if (c->dec.cap_w != 0) /* the decider's limit this interval; negative: nothing may run */
        limit = fmin(limit, fmax(0, c->dec.cap_w));
    size_t nc = 0;
    for (size_t i = 0; i < c->n; i++)
        if (commandable(&c->m[i]) && !c->m[i].cmd_active)
            c->order[nc++] = i;
    g_sort_ctl = c;
    qsort(c->order, nc, sizeof *c->order, by_eff);
    double after = proj; /* the projection once the stops sent now have taken effect */
    for (size_t j = nc; j-- > 0 && k < kmax;) {
        wm_ctl_miner *m = &c->m[c->order[j]];
        if (asleep(c, m))
            continue;
        if (run[m->fleet] <= c->dec.fleet[m->fleet].target_miners && after <= limit)
            continue;
        run[m->fleet]--;
        after -= projected(c, m) - c->cfg.idle_w;
        m->cmd_verb = WM_VERB_STOP;
        m->cmd_attempts = 0;
        c->idx[k++] = c->order[j];
    }
    /* wakes: the room left once guarded stops are counted at nameplate (a revert must fit) */
    proj += guard; /* miners being stopped now still count in full */
    for (size_t j = 0; j < nc && k < kmax && proj <= limit; j++) {
        wm_ctl_miner *m = &c->m[c->order[j]];
        if (!asleep(c, m) || run[m->fleet] >= c->dec.fleet[m->fleet].target_miners)
            continue;
        double add = guarded(c, m) ? 0 : nameplate(c, m) - m->power_w; /* a guarded one is counted already */
        if (proj + add > limit)
            continue;
        proj += add;
        run[m->fleet]++;
        m->cmd_verb = WM_VERB_RESUME;
        m->cmd_attempts = 0;
        c->idx[k++] = c->order[j];
    }
    c->projected_w = proj;
    send_cmds(c, now, k, false);
}

wm_status wm_ctl_tick(wm_ctl *c, double now, double price, bool fresh)
{
    return wm_ctl_tick_market(c, now, price, fresh, NAN, NAN);
}

wm_status wm_ctl_tick_market(wm_ctl *c, double now, double price, bool fresh, double market_t, double interval_h)
{
    c->now = now;
    poll_fleet(c, now);
    account(c, now);
    detect_reverts(c, now);
    size_t nresend;
    confirm(c, now, &nresend);
    send_cmds(c, now, nresend, true);
    bool new_interval = isfinite(market_t) && !(market_t == c->last_market_t);
    if (!c->have_dec || now - c->last_dec_t >= c->cfg.interval_s || (fresh != !c->in_safe) || new_interval)
        decide(c, now, price, fresh, market_t, interval_h);
    reconcile(c, now);
    account(c, now);
    c->site.price_usd_per_mwh = fresh ? price : NAN;
    c->site.breakeven_usd_per_mwh = c->breakeven;
    c->site.mode = c->dec.mode;
    if (c->store) {
        wm_store_begin(c->store);
        for (size_t i = 0; i < c->n; i++)
            wm_store_telemetry(c->store, now, c->m[i].target.name, c->m[i].fw, &c->m[i].last, c->m[i].power_w,
                               c->m[i].power_source);
        wm_store_site(c->store, &c->site);
        wm_store_commit(c->store);
    }
    return WM_OK;
}
