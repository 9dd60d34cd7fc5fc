/* ctl_dispatch.h - the controller's default decider: each price interval is solved with the
 * dispatch module (lib/dispatch) on the site's loads, built by lib/site_run exactly as
 * `wattmux dispatch` builds them (interconnect cap and demand-response caps, firm AI
 * inference, interruptible training, fleets by tuning-curve segment in merit order, PPA block
 * with sell-back, 4CP charges), for one interval at a time; the MW decided for each mining
 * fleet becomes a number of miners to run: floor(fleet MW / fleet facility MW x miners
 * under control), so the miners never draw more than the dispatch allows.
 *
 * What a one-interval solve cannot see, and how it is handled (docs/control.md):
 * - the monthly demand charge couples the whole month: not applied here (a peak set by
 *   the daemon is the operator's planned peak; `wattmux dispatch` prices it with foresight);
 * - a training job's energy-by-deadline needs foresight: not applied; its on/off state is
 *   carried from one interval to the next (initially_on), so interruption costs count;
 * - fleet ramp limits apply between consecutive intervals: not applied (ramp is the
 *   controller's staggered batches).
 * Invariants: the decider keeps its own copy of the site; one workspace, no allocation per
 * decision except the site run (one interval). */
#ifndef WM_CTL_DISPATCH_H
#define WM_CTL_DISPATCH_H

#include "ctl.h"
#include "site.h"

typedef struct wm_ctl_dispatch wm_ctl_dispatch;

/* ctl fleet f is site fleet f (wm_ctl_set_fleets with the site's fleet order). */
wm_status wm_ctl_dispatch_new(const wm_site *site, wm_ctl_dispatch **out, wm_err *err);
void wm_ctl_dispatch_free(wm_ctl_dispatch *d);
/* The wm_decider callback (ctx = wm_ctl_dispatch *). in->market_t must be set (the price
 * interval's UTC start); in->interval_h NaN or 0 means one hour. */
wm_status wm_ctl_dispatch_decide(void *ctx, const wm_decide_in *in, wm_decide_out *out);
/* The fleets' facility MW of one interval from the last decision (NaN before any). */
double wm_ctl_dispatch_fleet_mw(const wm_ctl_dispatch *d, size_t fleet);

/* Break-even of the site (the alternative decider, `decider: breakeven`): mine while the
 * price is below the fleets' value per facility MWh weighted by facility MW (ctx = site). */
wm_status wm_ctl_breakeven_site(void *ctx, const wm_decide_in *in, wm_decide_out *out);
double wm_ctl_site_value_usd_per_mwh(const wm_site *site);

#endif
