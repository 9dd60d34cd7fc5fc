/* dispatch.h - exact interval-by-interval dispatch of a site's loads against an electricity
 * price series (formulation: ../shared/reference/energy.md section 4; docs/model-dispatch.md).
 *
 * A problem is a set of intervals (equal length dt_h) and a set of load groups:
 *   FIRM  always at max_mw (inference under an SLA); never dropped.
 *   FLEX  any power in [0, max_mw] (ASIC fleets; one group per segment of a concave
 *         power-tuning curve), optionally with a ramp limit between intervals.
 *   BLOCK on at max_mw or off (interruptible training), with a cost per interruption (on->off),
 *         minimum on / off times in intervals and an optional energy to deliver by a deadline.
 * Energy is bought at buy[t] above the PPA block and unused PPA energy is sold at sell[t]
 * (when buy < sell the block is sold and all load bought, so the cost stays convex); charge4cp[t]
 * is added per MWh of gross load (ERCOT 4CP); a demand charge applies per billing month to the
 * peak gross load; cap[t] is the interconnect limit (lowered in demand-response intervals).
 *
 * Algorithms (all exact; chosen from the structure):
 *   merit order per interval when intervals are independent;
 *   weighted-quantile search for the monthly demand-charge level (profit is concave in it);
 *   dynamic programming over (on/off, time in state[, intervals delivered]) for one BLOCK group;
 *   selection of the best intervals for energy-by-deadline without switching costs;
 *   GLPK (LP, or MILP with binaries) for the coupled general case (ramps, several BLOCK groups,
 *   BLOCK with a demand charge). wm_dispatch_solve_glpk always uses GLPK (the test oracle).
 * Invariants: the schedule never exceeds cap[t], FIRM groups always run at max_mw, results
 * live in the workspace (valid until its next solve); a solve allocates nothing. */
#ifndef WM_DISPATCH_H
#define WM_DISPATCH_H

#include "wattmux.h"

#include <stdbool.h>

typedef enum wm_dispatch_kind { WM_LOAD_FIRM, WM_LOAD_FLEX, WM_LOAD_BLOCK } wm_dispatch_kind;

typedef struct wm_dispatch_group {
    const char *name;             /* borrowed */
    int load;                     /* reporting load index (tuning-curve segments share one) */
    wm_dispatch_kind kind;
    double max_mw;                /* facility MW at the interconnect */
    double value_usd_per_mwh;     /* value of one MWh consumed by this group */
    double ramp_mw_per_interval;  /* FLEX: |m[t]-m[t-1]| limit; 0 = none */
    /* BLOCK only */
    double interrupt_cost_usd;    /* per on->off transition (checkpoint/restart) */
    int min_on;                   /* intervals; >= 1 */
    int min_off;                  /* intervals; >= 1 */
    double energy_mwh;            /* to deliver in intervals [0, deadline]; 0 = none */
    long deadline;                /* last interval index counted for energy_mwh */
    bool initially_on;            /* running before interval 0 (for long enough): stopping at 0 costs */
} wm_dispatch_group;

#define WM_DISPATCH_MAX_GROUPS 64

typedef struct wm_dispatch_problem {
    size_t n;                     /* intervals */
    double dt_h;                  /* interval length in hours */
    const int64_t *time;          /* UTC start of each interval (may be NULL) */
    const double *buy;            /* USD/MWh for energy above the PPA block */
    const double *sell;           /* USD/MWh for unused PPA energy; NULL = 0 (no sell-back) */
    const double *cap_mw;         /* interconnect limit per interval */
    const double *charge4cp;      /* USD/MWh of gross load; NULL = none */
    const int *month;             /* billing month index 0..nmonths-1 per interval; NULL = one */
    int nmonths;
    double ppa_mw;                /* fixed-price block (sunk) */
    double ppa_usd_per_mwh;
    double demand_usd_per_mw_month; /* on the monthly peak gross load; 0 = none */
    double dr_credit_usd;         /* demand-response credits earned by the committed caps */
    size_t ngroups;
    wm_dispatch_group group[WM_DISPATCH_MAX_GROUPS];
} wm_dispatch_problem;

typedef enum wm_dispatch_algo {
    WM_ALGO_MERIT = 0, WM_ALGO_MERIT_DEMAND, WM_ALGO_DP, WM_ALGO_SELECT, WM_ALGO_GLPK
} wm_dispatch_algo;
const char *wm_dispatch_algo_name(wm_dispatch_algo a);

/* What a schedule earns and costs (all USD unless the name says otherwise). */
typedef struct wm_dispatch_summary {
    double profit_usd;            /* the objective */
    double energy_mwh;            /* gross load energy */
    double buy_mwh, sell_mwh;
    double energy_cost_usd;       /* purchases above the PPA block */
    double ppa_cost_usd;          /* PPA block at its fixed price (sunk) */
    double sellback_credit_usd;
    double charge4cp_usd;         /* 4CP exposure */
    double demand_charge_usd;
    double peak_mw;               /* highest gross load */
    double dr_credit_usd;
    double interrupt_cost_usd;
    long interruptions;
    double value_usd;             /* sum over loads of value * energy */
} wm_dispatch_summary;

/* Per reporting load. */
typedef struct wm_dispatch_load_summary {
    double energy_mwh, max_energy_mwh;  /* delivered vs at max_mw all the time */
    double value_usd;
    double curtailed_h;                 /* full-load-equivalent hours off */
    long intervals_reduced;             /* intervals below max */
    double uptime;                      /* energy / max energy */
} wm_dispatch_load_summary;

typedef struct wm_dispatch_ws wm_dispatch_ws;

/* A workspace for problems of at most max_n intervals and max_groups groups; dp_states_max
 * bounds the DP (0 = default 4096). */
wm_status wm_dispatch_ws_new(size_t max_n, size_t max_groups, size_t dp_states_max, wm_dispatch_ws **out);
void wm_dispatch_ws_free(wm_dispatch_ws *ws);

/* DP states per interval the problem needs (0 when no DP is used): pass it (or more) as
 * dp_states_max; memory is about max_n * states * 4 bytes. */
size_t wm_dispatch_dp_states(const wm_dispatch_problem *p);

/* Validate a problem (finite data, firm load within cap, months in order, ...). */
wm_status wm_dispatch_check_problem(const wm_dispatch_problem *p, wm_err *err);

/* Solve exactly with the algorithm chosen from the structure. */
wm_status wm_dispatch_solve(const wm_dispatch_problem *p, wm_dispatch_ws *ws, wm_err *err);
/* Solve with the GLPK formulation (LP, or MILP when there are BLOCK groups). Allocates (GLPK). */
wm_status wm_dispatch_solve_glpk(const wm_dispatch_problem *p, wm_dispatch_ws *ws, wm_err *err);
/* Always-on baseline: FIRM, then BLOCK, then FLEX by decreasing value, at max up to cap. */
wm_status wm_dispatch_always_on(const wm_dispatch_problem *p, wm_dispatch_ws *ws, wm_err *err);

/* Results of the last solve: power of group g in interval t, algorithm, summary. */
const double *wm_dispatch_power(const wm_dispatch_ws *ws, size_t g); /* n values, MW */
wm_dispatch_algo wm_dispatch_last_algo(const wm_dispatch_ws *ws);
const wm_dispatch_summary *wm_dispatch_result(const wm_dispatch_ws *ws);
/* Demand-charge level chosen for month m (MW); NaN when there is no demand charge. */
double wm_dispatch_demand_level(const wm_dispatch_ws *ws, int m);

/* Evaluate an arbitrary schedule x[g*n + t] (MW). Pure. */
void wm_dispatch_evaluate(const wm_dispatch_problem *p, const double *x, wm_dispatch_summary *out);
/* Per-load figures of schedule x for reporting load `load`. */
void wm_dispatch_load_eval(const wm_dispatch_problem *p, const double *x, int load,
                           wm_dispatch_load_summary *out);
/* Check that x respects every constraint within tol MW; err says which and where. */
wm_status wm_dispatch_verify(const wm_dispatch_problem *p, const double *x, double tol, wm_err *err);
/* The workspace's schedule as one array x[g*n + t] (borrowed). */
const double *wm_dispatch_schedule(const wm_dispatch_ws *ws);

#endif
