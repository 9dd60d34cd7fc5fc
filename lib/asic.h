/* asic.h - the ASIC catalog (nominal vendor specs with sources; unverified ones flagged) and
 * fleet aggregates (mixed models and counts, PUE, uptime). Sources: docs/model-btc.md and
 * ../shared/reference/bitcoin.md. Pure data and arithmetic; no I/O. */
#ifndef WM_ASIC_H
#define WM_ASIC_H

#include "wattmux.h"

#include <stdbool.h>

typedef struct wm_asic {
    const char *id;            /* lookup key: "s19", "s19pro", "s19xp", "s21", "s21pro", "s21xp", "m50s", ... */
    const char *name;          /* "Antminer S19 XP" */
    double hashrate_th_s;
    double power_w;
    double eff_j_per_th;       /* power_w / hashrate_th_s as published (rounded by the vendor) */
    int release_year;
    bool verified;             /* false: spec seen in one unconfirmed source */
    const char *source;
} wm_asic;

size_t wm_asic_count(void);
const wm_asic *wm_asic_at(size_t i);
/* Case-insensitive; ignores spaces, '-' and '_' and a leading "antminer"/"whatsminer"
 * ("S19 XP", "s19-xp", "Antminer S19XP" all find s19xp). */
wm_status wm_asic_find(const char *name, const wm_asic **out, wm_err *err);

typedef struct wm_fleet_entry {
    const wm_asic *model;
    long count;
} wm_fleet_entry;

typedef struct wm_fleet_totals {
    long machines;
    double hashrate_th_s;     /* nameplate, all machines */
    double it_power_kw;       /* nameplate ASIC power */
    double facility_power_kw; /* it_power_kw * pue */
    double eff_j_per_th;      /* fleet-weighted: it power / hashrate */
    double effective_hashrate_th_s; /* times uptime */
    double energy_mwh_per_day;      /* facility energy at uptime */
} wm_fleet_totals;
wm_status wm_fleet_totals_compute(const wm_fleet_entry *e, size_t n, double pue, double uptime,
                                  wm_fleet_totals *out);
/* Parse "s19xp:1000,s21:500" (count per model). entries must hold max items. */
wm_status wm_fleet_parse(const char *text, wm_fleet_entry *entries, size_t max, size_t *n, wm_err *err);

#endif
