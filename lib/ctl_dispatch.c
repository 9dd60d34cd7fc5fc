/* ctl_dispatch.c - the controller's deciders from a site file (see ctl_dispatch.h): one-interval
 * dispatch (lib/site_run + lib/dispatch, docs/model-dispatch.md) turned into miners per fleet,
 * and the site break-even rule. Invariants: a decision never asks a fleet for more miners than
 * floor(dispatch MW / fleet MW x miners); a stale price is answered "safe" without solving; a
 * solver error is returned (the controller then goes to safe mode). */
#include "ctl_dispatch.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wm_ctl_dispatch {
    wm_site site;               /* copy: demand charge and training deadlines off (see .h) */
    bool had_demand, had_deadline;
    bool train_on[WM_SITE_MAX_TRAINING];
    double fleet_mw[WM_SITE_MAX_FLEETS];
    wm_dispatch_ws *ws;
};

double wm_ctl_site_value_usd_per_mwh(const wm_site *s)
{
    double mw = 0, v = 0;
    for (size_t i = 0; i < s->nfleets; i++) {
        mw += s->fleets[i].facility_mw;
        v += s->fleets[i].value_usd_per_mwh * s->fleets[i].facility_mw;
    }
    return mw > 0 ? v / mw : NAN;
}

wm_status wm_ctl_dispatch_new(const wm_site *site, wm_ctl_dispatch **out, wm_err *err)
{
    *out = NULL;
    if (site->nfleets == 0)
        return wm_err_set(err, WM_EINVAL, site->source, 0, 0, "the site has no mining fleets to control");
    if (site->nfleets > WM_CTL_MAX_FLEETS)
        return wm_err_set(err, WM_ELIMIT, site->source, 0, 0, "at most %d fleets can be controlled", WM_CTL_MAX_FLEETS);
    wm_ctl_dispatch *d = calloc(1, sizeof *d);
    if (!d)
        return WM_ENOMEM;
    d->site = *site;
    d->had_demand = site->demand_usd_per_kw_month > 0;
    d->site.demand_usd_per_kw_month = 0;
    for (size_t i = 0; i < site->ntraining; i++) {
        d->had_deadline |= site->training[i].energy_mwh > 0;
        d->site.training[i].energy_mwh = 0;
        d->train_on[i] = site->training[i].running_at_start;
    }
    for (size_t f = 0; f < WM_SITE_MAX_FLEETS; f++)
        d->fleet_mw[f] = NAN;
    wm_status st = wm_dispatch_ws_new(1, WM_DISPATCH_MAX_GROUPS, 0, &d->ws);
    if (st != WM_OK) {
        free(d);
        return st;
    }
    *out = d;
    return WM_OK;
}

void wm_ctl_dispatch_free(wm_ctl_dispatch *d)
{
    if (!d)
        return;
    wm_dispatch_ws_free(d->ws);
    free(d);
}

double wm_ctl_dispatch_fleet_mw(const wm_ctl_dispatch *d, size_t f)
{
    return d && f < d->site.nfleets ? d->fleet_mw[f] : NAN;
}

static void safe_out(wm_decide_out *out, const char *why)
{
    snprintf(out->mode, sizeof out->mode, "safe");
    snprintf(out->reason, sizeof out->reason, "%s", why);
}

static json_t *num(double x) { return isfinite(x) ? json_real(x) : json_null(); }

static void put_detail(wm_decide_out *out, json_t *o)
{
    char *txt = json_dumps(o, JSON_COMPACT);
    if (txt && strlen(txt) < sizeof out->detail)
        memcpy(out->detail, txt, strlen(txt) + 1);
    else
        snprintf(out->detail, sizeof out->detail, "{\"truncated\":true}");
    free(txt);
    json_decref(o);
}

/* Index price at which the fleet's nominal segment breaks even when its energy is bought. */
static double breakeven_index(const wm_site *s, const wm_site_fleet *f)
{
    return s->energy_type == WM_ENERGY_INDEX ? f->value_usd_per_mwh - s->adder_usd_per_mwh : NAN;
}

wm_status wm_ctl_dispatch_decide(void *ctx, const wm_decide_in *in, wm_decide_out *out)
{
    wm_ctl_dispatch *d = ctx;
    const wm_site *s = &d->site;
    memset(out, 0, sizeof *out);
    out->breakeven_usd_per_mwh = wm_ctl_site_value_usd_per_mwh(s);
    if (!in->price_fresh || !isfinite(in->price_usd_per_mwh)) {
        safe_out(out, "no fresh price");
        return WM_OK;
    }
    double t = isfinite(in->market_t) ? in->market_t : in->t;
    double dt_h = in->interval_h > 0 ? in->interval_h : 1.0;
    int64_t t0 = (int64_t)llround(t);
    double price = in->price_usd_per_mwh;
    for (size_t i = 0; i < s->ntraining; i++)
        d->site.training[i].running_at_start = d->train_on[i];
    wm_site_run *run = NULL;
    wm_err e;
    wm_err_clear(&e);
    wm_status st = wm_site_run_new(s, &t0, &price, 1, dt_h, &run, &e);
    if (st == WM_OK)
        st = wm_dispatch_solve(&run->problem, d->ws, &e);
    if (st != WM_OK) {
        wm_site_run_free(run);
        safe_out(out, "dispatch failed");
        snprintf(out->reason, sizeof out->reason, "dispatch failed: %.120s", e.msg);
        return st;
    }
    const wm_dispatch_problem *p = &run->problem;
    double firm = 0, block = 0;
    json_t *det = json_object(), *fa = json_array(), *ta = json_array();
    for (size_t g = 0; g < p->ngroups; g++) {
        double x = wm_dispatch_power(d->ws, g)[0];
        if (p->group[g].kind == WM_LOAD_FIRM)
            firm += x;
        else if (p->group[g].kind == WM_LOAD_BLOCK) {
            block += x;
            for (size_t i = 0; i < s->ntraining; i++)
                if (!strcmp(s->training[i].name, p->group[g].name)) {
                    d->train_on[i] = x > 0;
                    json_t *o = json_object();
                    json_object_set_new(o, "name", json_string(s->training[i].name));
                    json_object_set_new(o, "on", json_boolean(x > 0));
                    json_object_set_new(o, "mw", json_real(x));
                    json_array_append_new(ta, o);
                }
        }
    }
    double mining_mw = 0;
    bool any = false, all = true;
    for (size_t f = 0; f < s->nfleets && f < in->nfleets; f++) {
        const wm_site_fleet *fl = &s->fleets[f];
        int load = -1;
        for (int l = 0; l < run->nloads; l++)
            if (!strcmp(run->loads[l].kind, "asic") && !strcmp(run->loads[l].name, fl->name))
                load = l;
        double x = 0;
        for (size_t g = 0; g < p->ngroups; g++)
            if (p->group[g].kind == WM_LOAD_FLEX && p->group[g].load == load)
                x += wm_dispatch_power(d->ws, g)[0];
        d->fleet_mw[f] = x;
        mining_mw += x;
        wm_fleet_target *ft = &out->fleet[f];
        ft->target_mw = x;
        ft->max_mw = fl->facility_mw;
        ft->breakeven_usd_per_mwh = fl->value_usd_per_mwh;
        double share = fl->facility_mw > 0 ? x / fl->facility_mw : 0;
        ft->target_miners = (long)floor(share * (double)in->fleet_miners[f] + 1e-9);
        any |= ft->target_miners > 0;
        all &= ft->target_miners == in->fleet_miners[f];
        json_t *o = json_object();
        json_object_set_new(o, "fleet", json_string(fl->name));
        json_object_set_new(o, "mw", json_real(x));
        json_object_set_new(o, "max_mw", json_real(fl->facility_mw));
        json_object_set_new(o, "value_usd_per_mwh", json_real(fl->value_usd_per_mwh));
        json_object_set_new(o, "breakeven_index_usd_per_mwh", num(breakeven_index(s, fl)));
        json_object_set_new(o, "target_miners", json_integer(ft->target_miners));
        json_array_append_new(fa, o);
    }
    out->per_fleet = true;
    out->mine = any;
    out->target_mining_w = mining_mw * 1e6;
    /* the miners' own limit this interval: what the cap leaves after firm and training load,
     * in miner (IT) watts at the highest PUE of the fleets' halls */
    double pue = 1;
    for (size_t f = 0; f < s->nfleets; f++)
        pue = fmax(pue, s->halls[s->fleets[f].hall_index].pue);
    out->cap_w = fmax(0, p->cap_mw[0] - firm - block) / pue * 1e6;
    if (!(out->cap_w > 0))
        out->cap_w = -1; /* nothing left: no miner may run (0 would mean "the configured cap") */
    snprintf(out->mode, sizeof out->mode, "%s", any ? "mine" : "curtail");
    double fleets_mw = 0;
    for (size_t f = 0; f < s->nfleets; f++)
        fleets_mw += s->fleets[f].facility_mw;
    snprintf(out->reason, sizeof out->reason,
             "dispatch: %.2f of %.2f MW of fleets at %.2f USD/MWh (cap %.2f MW, firm %.2f MW, training %.2f MW)%s",
             mining_mw, fleets_mw, price, p->cap_mw[0], firm, block, all ? "; all fleets full" : "");
    json_object_set_new(det, "decider", json_string("dispatch"));
    json_object_set_new(det, "algorithm", json_string(wm_dispatch_algo_name(wm_dispatch_last_algo(d->ws))));
    json_object_set_new(det, "interval_h", json_real(dt_h));
    json_object_set_new(det, "price_usd_per_mwh", json_real(price));
    json_object_set_new(det, "buy_usd_per_mwh", json_real(p->buy[0]));
    json_object_set_new(det, "sell_usd_per_mwh", p->sell ? json_real(p->sell[0]) : json_null());
    json_object_set_new(det, "ppa_mw", json_real(p->ppa_mw));
    json_object_set_new(det, "charge4cp_usd_per_mwh", p->charge4cp ? json_real(p->charge4cp[0]) : json_real(0));
    json_object_set_new(det, "cap_mw", json_real(p->cap_mw[0]));
    json_object_set_new(det, "firm_mw", json_real(firm));
    json_object_set_new(det, "training", ta);
    json_object_set_new(det, "fleets", fa);
    json_object_set_new(det, "profit_usd", json_real(wm_dispatch_result(d->ws)->profit_usd));
    json_object_set_new(det, "miner_cap_w", json_real(out->cap_w > 0 ? out->cap_w : 0));
    json_t *na = json_array();
    if (d->had_demand)
        json_array_append_new(na, json_string("demand_charge"));
    if (d->had_deadline)
        json_array_append_new(na, json_string("training_energy_deadline"));
    json_object_set_new(det, "not_applied", na);
    put_detail(out, det);
    wm_site_run_free(run);
    return WM_OK;
}

wm_status wm_ctl_breakeven_site(void *ctx, const wm_decide_in *in, wm_decide_out *out)
{
    const wm_site *s = ctx;
    double v = wm_ctl_site_value_usd_per_mwh(s);
    wm_decide_in in2 = *in;
    in2.breakeven_usd_per_mwh = v;
    wm_status st = wm_decide_breakeven(NULL, &in2, out);
    out->breakeven_usd_per_mwh = v;
    json_t *det = json_object(), *fa = json_array();
    json_object_set_new(det, "decider", json_string("breakeven"));
    json_object_set_new(det, "price_usd_per_mwh", num(in2.price_usd_per_mwh));
    json_object_set_new(det, "site_value_usd_per_mwh", num(v));
    for (size_t f = 0; f < s->nfleets && f < WM_CTL_MAX_FLEETS; f++) {
        out->fleet[f].breakeven_usd_per_mwh = s->fleets[f].value_usd_per_mwh;
        out->fleet[f].max_mw = s->fleets[f].facility_mw;
        json_t *o = json_object();
        json_object_set_new(o, "fleet", json_string(s->fleets[f].name));
        json_object_set_new(o, "value_usd_per_mwh", json_real(s->fleets[f].value_usd_per_mwh));
        json_object_set_new(o, "breakeven_index_usd_per_mwh", num(breakeven_index(s, &s->fleets[f])));
        json_array_append_new(fa, o);
    }
    json_object_set_new(det, "fleets", fa);
    put_detail(out, det);
    if (st == WM_OK && in2.price_fresh) {
        char r[sizeof out->reason];
        snprintf(r, sizeof r, "%.100s (site %.40s)", out->reason, s->name);
        memcpy(out->reason, r, sizeof r);
    }
    return st;
}
