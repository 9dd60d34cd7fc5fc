/* site_run.c - from a loaded site and an index price series to the dispatch problem
 * (docs/model-dispatch.md): one FLEX group per segment of each fleet's tuning curve, FIRM
 * inference, BLOCK training; purchase and sell-back prices from the contract; caps lowered in
 * demand-response windows; 4CP charges spread over the given peak intervals; billing months in
 * local time. Invariants: the run owns every array the problems point to; the always-on
 * problem is the same site without demand-response caps or credits. */
#include "site.h"

#include "series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void wm_site_run_free(wm_site_run *r)
{
    if (!r)
        return;
    free(r->time);
    free(r->price);
    free(r->buy);
    free(r->sell);
    free(r->cap);
    free(r->cap_always);
    free(r->c4);
    free(r->month);
    free(r->month_start);
    free(r);
}

static int intervals_of(double hours, double dt)
{
    double k = ceil(hours / dt - 1e-9);
    return k < 1 ? 1 : (k > 1e8 ? 100000000 : (int)k);
}

wm_status wm_site_run_new(const wm_site *s, const int64_t *time, const double *price, size_t n, double dt_h,
                          wm_site_run **out, wm_err *err)
{
    *out = NULL;
    const char *src = s->source;
    if (n == 0 || !(dt_h > 0))
        return wm_err_set(err, WM_EINVAL, src, 0, 0, "no intervals to dispatch");
    wm_site_run *r = calloc(1, sizeof *r);
    if (!r)
        return WM_ENOMEM;
    r->n = n;
    r->dt_h = dt_h;
    r->time = malloc(n * sizeof *r->time);
    r->price = malloc(n * sizeof(double));
    r->buy = malloc(n * sizeof(double));
    r->sell = malloc(n * sizeof(double));
    r->cap = malloc(n * sizeof(double));
    r->cap_always = malloc(n * sizeof(double));
    r->c4 = calloc(n, sizeof(double));
    r->month = malloc(n * sizeof(int));
    r->month_start = malloc(n * sizeof(int64_t));
    if (!r->time || !r->price || !r->buy || !r->sell || !r->cap || !r->cap_always || !r->c4 || !r->month ||
        !r->month_start) {
        wm_site_run_free(r);
        return WM_ENOMEM;
    }
    memcpy(r->time, time, n * sizeof *time);
    memcpy(r->price, price, n * sizeof *price);
    wm_dispatch_problem *p = &r->problem;
    memset(p, 0, sizeof *p);
    p->n = n;
    p->dt_h = dt_h;
    p->time = r->time;
    int64_t dts = (int64_t)llround(dt_h * 3600);
    /* loads -> groups */
    size_t g = 0;
    wm_status st = WM_OK;
    for (size_t i = 0; i < s->ninference; i++) {
        const wm_site_inference *q = &s->inference[i];
        double pue = s->halls[q->hall_index].pue;
        r->loads[r->nloads] = (wm_site_load_info){q->name, "inference", q->it_mw * pue};
        p->group[g++] = (wm_dispatch_group){.name = q->name, .load = r->nloads++, .kind = WM_LOAD_FIRM,
                                            .max_mw = q->it_mw * pue, .value_usd_per_mwh = q->value_usd_per_mwh / pue};
    }
    for (size_t i = 0; i < s->ntraining; i++) {
        const wm_site_training *q = &s->training[i];
        double pue = s->halls[q->hall_index].pue;
        if (g >= WM_DISPATCH_MAX_GROUPS)
            break;
        wm_dispatch_group b = {.name = q->name, .load = r->nloads, .kind = WM_LOAD_BLOCK, .max_mw = q->it_mw * pue,
                               .value_usd_per_mwh = q->value_usd_per_mwh / pue,
                               .interrupt_cost_usd = q->checkpoint_cost_usd,
                               .min_on = q->min_run_h > 0 ? intervals_of(q->min_run_h, dt_h) : 1,
                               .min_off = q->min_off_h > 0 ? intervals_of(q->min_off_h, dt_h) : 1,
                               .initially_on = q->running_at_start};
        if (q->energy_mwh > 0) {
            int64_t dl = q->deadline ? q->deadline : time[n - 1] + dts;
            if (dl <= time[0]) {
                wm_site_run_free(r);
                return wm_err_set(err, WM_EINVAL, src, 0, 0, "training '%s': deadline before the horizon starts", q->name);
            }
            if (dl <= time[n - 1] + dts) {
                long last = -1;
                for (size_t t = 0; t < n && time[t] + dts <= dl; t++)
                    last = (long)t;
                if (last < 0) {
                    wm_site_run_free(r);
                    return wm_err_set(err, WM_EINVAL, src, 0, 0, "training '%s': no whole interval before the deadline", q->name);
                }
                b.energy_mwh = q->energy_mwh * pue;
                b.deadline = last;
            } /* a deadline after the horizon constrains nothing here */
        }
        r->loads[r->nloads++] = (wm_site_load_info){q->name, "training", b.max_mw};
        p->group[g++] = b;
    }
    for (size_t i = 0; i < s->nfleets; i++) {
        const wm_site_fleet *f = &s->fleets[i];
        size_t nseg = f->ntuning ? f->ntuning : 1;
        if (g + nseg > WM_DISPATCH_MAX_GROUPS) {
            st = wm_err_set(err, WM_ELIMIT, src, 0, 0, "more than %d load groups (fleets x tuning points)", WM_DISPATCH_MAX_GROUPS);
            break;
        }
        double pf = 0, pg = 0;
        for (size_t k = 0; k < nseg; k++) {
            double fr = f->ntuning ? f->tuning[k].power_frac : 1.0, gr = f->ntuning ? f->tuning[k].hash_frac : 1.0;
            double slope = (gr - pg) / (fr - pf);
            p->group[g++] = (wm_dispatch_group){.name = f->name, .load = r->nloads, .kind = WM_LOAD_FLEX,
                                                .max_mw = f->facility_mw * (fr - pf),
                                                .value_usd_per_mwh = f->value_usd_per_mwh * slope,
                                                .ramp_mw_per_interval = f->ramp_mw_per_min * 60 * dt_h};
            pf = fr;
            pg = gr;
        }
        r->loads[r->nloads++] = (wm_site_load_info){f->name, "asic", f->facility_mw};
    }
    if (st != WM_OK) {
        wm_site_run_free(r);
        return st;
    }
    p->ngroups = g;
    /* prices, caps, months */
    int month = -1, prev_ym = -1;
    for (size_t t = 0; t < n; t++) {
        int64_t local = wm_site_to_local(s, time[t]);
        int64_t day = local >= 0 ? local / 86400 : (local - 86399) / 86400;
        int y;
        unsigned mo, d;
        wm_civil_from_days(day, &y, &mo, &d);
        int ym = y * 12 + (int)mo;
        if (ym != prev_ym) {
            month++;
            prev_ym = ym;
            char txt[16];
            snprintf(txt, sizeof txt, "%04d-%02u-01", y, mo);
            if (wm_site_parse_local(s, txt, &r->month_start[month]) != WM_OK)
                r->month_start[month] = time[t];
        }
        r->month[t] = month;
        double idx = price[t];
        switch (s->energy_type) {
        case WM_ENERGY_FIXED:
            r->buy[t] = s->fixed_usd_per_mwh;
            break;
        case WM_ENERGY_TOU: {
            double hour = (double)(local - day * 86400) / 3600.0;
            int wd = (int)(((day % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday: 0 = Monday */
            r->buy[t] = s->tou_default_usd_per_mwh;
            for (size_t k = 0; k < s->ntou; k++) {
                const wm_site_tou *u = &s->tou[k];
                bool in = u->start_hour < u->end_hour ? (hour >= u->start_hour && hour < u->end_hour)
                                                      : (hour >= u->start_hour || hour < u->end_hour);
                if (in && (!u->weekdays_only || wd < 5)) {
                    r->buy[t] = u->price_usd_per_mwh;
                    break;
                }
            }
            break;
        }
        default:
            r->buy[t] = idx + s->adder_usd_per_mwh;
        }
        r->sell[t] = idx - s->sell_back_discount_usd_per_mwh;
        r->cap[t] = r->cap_always[t] = s->interconnect_mw;
        bool in_dr = false;
        for (size_t k = 0; k < s->ndr; k++)
            if (time[t] < s->dr[k].end && time[t] + dts > s->dr[k].start) {
                r->cap[t] = fmin(r->cap[t], s->dr[k].limit_mw);
                in_dr = true;
            }
        r->dr_intervals += in_dr;
        if (s->cp4_usd_per_kw_year > 0)
            for (size_t k = 0; k < s->ncp4; k++)
                if (s->cp4_intervals[k] >= time[t] && s->cp4_intervals[k] < time[t] + dts) {
                    /* charge = rate * 1000 kW/MW * mean load over the ncp4 peaks */
                    r->c4[t] += s->cp4_usd_per_kw_year * 1000.0 / (double)s->ncp4 / dt_h;
                    r->cp4_in_horizon++;
                }
    }
    double credit = 0;
    for (size_t k = 0; k < s->ndr; k++)
        if (s->dr[k].start < time[n - 1] + dts && s->dr[k].end > time[0])
            credit += s->dr[k].credit_usd;
    p->buy = r->buy;
    p->sell = s->ppa_mw > 0 && s->sell_back ? r->sell : NULL;
    p->cap_mw = r->cap;
    p->charge4cp = s->cp4_usd_per_kw_year > 0 && s->ncp4 > 0 ? r->c4 : NULL;
    p->month = r->month;
    p->nmonths = month + 1;
    p->ppa_mw = s->ppa_mw;
    p->ppa_usd_per_mwh = s->ppa_usd_per_mwh;
    p->demand_usd_per_mw_month = s->demand_usd_per_kw_month * 1000.0;
    p->dr_credit_usd = credit;
    r->always_on = *p;
    r->always_on.cap_mw = r->cap_always;
    r->always_on.dr_credit_usd = 0;
    *out = r;
    return WM_OK;
}
