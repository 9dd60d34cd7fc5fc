/* ctl.c - the live controller (see ctl.h for the invariants). Per tick: poll, account site
 * power, confirm/retry/alarm outstanding commands, decide at interval boundaries, reconcile
 * the fleet with the decision in cap-bounded batches, record everything. Work arrays are
 * allocated once in wm_ctl_new. Break-even: lib/btc.h wm_btc_breakeven (docs/model-btc.md). */
#include "ctl.h"
#include "btc.h"

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

enum { OUT_SENT, OUT_CONFIRMED, OUT_RETRIED, OUT_ALARMED, OUT_UNSUPPORTED };

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
}

wm_status wm_decide_breakeven(void *ctx, const wm_decide_in *in, wm_decide_out *out)
{
    (void)ctx;
    memset(out, 0, sizeof *out);
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

static void alarm(wm_ctl *c, double t, const char *kind, const char *miner, const char *msg)
{
    c->alarms++;
    if (c->store)
        wm_store_alarm(c->store, t, kind, miner, msg);
}

static bool commandable(const wm_ctl_miner *m) { return wm_miner_can(m->fw, WM_VERB_STOP); }

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

/* Worst-case power of a miner for cap accounting. */
static double projected(const wm_ctl *c, const wm_ctl_miner *m)
{
    double np = nameplate(c, m);
    if (m->cmd_active && m->cmd_verb == WM_VERB_RESUME)
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
    for (size_t i = 0; i < c->n; i++) {
        const wm_ctl_miner *m = &c->m[i];
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

static void decide(wm_ctl *c, double now, double price, bool fresh)
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
    wm_decide_in in = {.t = now, .price_usd_per_mwh = fresh ? price : NAN, .price_fresh = fresh && isfinite(price),
                       .breakeven_usd_per_mwh = c->breakeven, .cap_w = c->cfg.cap_w, .uncontrollable_w = unctl,
                       .controllable_full_w = ctl_full};
    wm_decide_out d;
    bool was_mine = c->have_dec && c->dec.mine;
    if (c->decider.decide(c->decider.ctx, &in, &d) != WM_OK) {
        memset(&d, 0, sizeof d);
        snprintf(d.mode, sizeof d.mode, "safe");
        snprintf(d.reason, sizeof d.reason, "decider failed");
    }
    bool lost = c->n > 0 && (double)c->site.miners_unknown_power / (double)c->n > c->cfg.lost_telemetry_frac &&
                c->stats.polls > 0;
    if (!in.price_fresh || lost || !strcmp(d.mode, "safe")) {
        bool hold = c->cfg.safe == WM_SAFE_HOLD;
        d.mine = hold ? was_mine : false;
        d.target_mining_w = d.mine ? fmax(0, c->cfg.cap_w - unctl) : 0;
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
    if (c->store)
        wm_store_decision(c->store, now, in.price_usd_per_mwh, c->breakeven, d.target_mining_w, d.mode, d.reason, &c->dec_id);
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

static void reconcile(wm_ctl *c, double now)
{
    size_t k = 0;
    double proj = 0;
    for (size_t i = 0; i < c->n; i++)
        proj += projected(c, &c->m[i]);
    if (!c->dec.mine) {
        for (size_t i = 0; i < c->n && k < (size_t)c->cfg.batch_max; i++) {
            wm_ctl_miner *m = &c->m[i];
            if (!commandable(m) || m->cmd_active || asleep(c, m))
                continue;
            m->cmd_verb = WM_VERB_STOP;
            m->cmd_attempts = 0;
            c->idx[k++] = i;
        }
        send_cmds(c, now, k, false);
        return;
    }
    size_t nc = 0;
    for (size_t i = 0; i < c->n; i++)
        if (commandable(&c->m[i]) && !c->m[i].cmd_active)
            c->order[nc++] = i;
    g_sort_ctl = c;
    qsort(c->order, nc, sizeof *c->order, by_eff);
    double limit = c->cfg.cap_w;
    if (proj > limit) { /* over the cap (power grew, or a revert): stop the least efficient */
        for (size_t j = nc; j-- > 0 && proj > limit && k < (size_t)c->cfg.batch_max;) {
            wm_ctl_miner *m = &c->m[c->order[j]];
            if (asleep(c, m))
                continue;
            proj -= projected(c, m) - c->cfg.idle_w;
            m->cmd_verb = WM_VERB_STOP;
            m->cmd_attempts = 0;
            c->idx[k++] = c->order[j];
        }
        send_cmds(c, now, k, false);
        return;
    }
    for (size_t j = 0; j < nc && k < (size_t)c->cfg.batch_max; j++) {
        wm_ctl_miner *m = &c->m[c->order[j]];
        if (!asleep(c, m))
            continue;
        double add = nameplate(c, m) - m->power_w;
        if (proj + add > limit)
            break; /* most efficient first: stop at the first that does not fit */
        proj += add;
        m->cmd_verb = WM_VERB_RESUME;
        m->cmd_attempts = 0;
        c->idx[k++] = c->order[j];
    }
    send_cmds(c, now, k, false);
}

wm_status wm_ctl_tick(wm_ctl *c, double now, double price, bool fresh)
{
    poll_fleet(c, now);
    account(c, now);
    size_t nresend;
    confirm(c, now, &nresend);
    send_cmds(c, now, nresend, true);
    if (!c->have_dec || now - c->last_dec_t >= c->cfg.interval_s || (fresh != !c->in_safe))
        decide(c, now, price, fresh);
    reconcile(c, now);
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
