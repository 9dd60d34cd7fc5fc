/* report.h - the planner's outputs for people and for finance teams: one self-contained
 * report.html (text summary with the recommendation and the seed, charts drawn here as inline
 * SVG: NPV histograms, efficient frontier, yearly cash-flow fans, dispatch heat map of a real
 * year, history replay; tables: strategies, stress tests, replay), results.json, one CSV per
 * table and results.xlsx (one sheet per table, numbers as numbers, units in the headers).
 * Every table is built once in memory and written by each writer, so the files agree.
 * Invariants: writes only inside `dir` (created if missing); no network references in the HTML;
 * the caller's data are borrowed, never changed. */
#ifndef WM_REPORT_H
#define WM_REPORT_H

#include "plan.h"

typedef struct wm_report {
    const char *site_name;           /* "" or NULL if none */
    const wm_plan_site *site;
    const wm_plan_out *base;
    const wm_scenario_params *scn;   /* the market model (its key inputs go to the assumptions) */
    const char *start_date;          /* YYYY-MM-DD of day 0 */
    const char *curtailment;         /* how curtailment is valued (text) */
    double run_seconds;              /* wall time of the whole run (shown in the summary) */
    /* stress tests on the same seed (nstress = 0: none) */
    int nstress;
    const char *stress_name[WM_STRESS_COUNT];
    const wm_plan_out *stress[WM_STRESS_COUNT];
    const char *stress_caption;   /* what each stress changes and when (plain text) */
    /* history replay (replay = NULL: none): every strategy on the real days, and the cumulative
     * cash of stay-mining, half and all colocation per real day (site scale, USD) */
    const wm_plan_out *replay;
    const char *replay_from, *replay_to;
    int replay_ndays;
    int64_t replay_t0;
    const double *replay_cum_usd[3];
    /* dispatch map of a real year (map_ndays = 0: none), as wm_plan_dispatch_map writes it */
    int map_ndays;
    const int64_t *map_day_t;
    const double *map_price;
    const unsigned char *map_on;
    const double *map_breakeven;
    const char *map_label;           /* e.g. "ERCOT LZ_WEST 2023, hours in CST (UTC-6)" */
} wm_report;

/* Write report.html, results.json, <table>.csv and results.xlsx into dir. */
wm_status wm_report_write(const wm_report *r, const char *dir, wm_err *err);

#endif
