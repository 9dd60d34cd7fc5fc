/* dispatch_impl.h - private to lib/dispatch*.c: the workspace layout shared by the specialised
 * solvers (dispatch.c) and the GLPK formulation (dispatch_glpk.c). Not installed, not public.
 * Invariant: every buffer is sized at wm_dispatch_ws_new for max_n x max_groups; solves only
 * write into them. */
#ifndef WM_DISPATCH_IMPL_H
#define WM_DISPATCH_IMPL_H

#include "dispatch.h"

struct wm_dispatch_ws {
    size_t max_n, max_groups, dp_states_max, max_bp;
    size_t n, ngroups;          /* shape of the last result */
    double *x;                  /* [g * n + t] MW */
    double *v0, *v1;            /* per-interval value with the BLOCK group off / on */
    double *bl, *bw;            /* demand-charge breakpoints: level MW, weight USD/MW */
    int32_t *bp;                /* DP back pointers [t * S + s] */
    double *dpa, *dpb;          /* DP values */
    size_t *idx;                /* selection scratch */
    double *klevel;             /* demand level per month */
    int order[WM_DISPATCH_MAX_GROUPS];
    int nflex;
    wm_dispatch_algo algo;
    wm_dispatch_summary sum;
};

/* Total firm MW (FIRM groups). */
double wm_dispatch__firm_mw(const wm_dispatch_problem *p);

#endif
