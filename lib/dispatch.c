/* dispatch.c - the specialised exact dispatch solvers (merit order, demand-charge level search,
 * DP for one interruptible block load, best-interval selection), schedule evaluation and the
 * constraint checker. Formulation and proofs of exactness: docs/model-dispatch.md (after
 * ../shared/reference/energy.md section 4). Invariants: a solve writes only into the workspace
 * (no allocation); the schedule never exceeds cap_mw[t] and FIRM groups always run at max_mw;
 * ties between running and not running (zero margin) resolve to not running. */
#include "dispatch_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *wm_dispatch_algo_name(wm_dispatch_algo a)
{
    switch (a) {
    case WM_ALGO_MERIT: return "merit-order";
    case WM_ALGO_MERIT_DEMAND: return "merit-order+demand-level-search";
    case WM_ALGO_DP: return "dynamic-programming";
    case WM_ALGO_SELECT: return "interval-selection";
    case WM_ALGO_GLPK: return "glpk";
    }
    return "?";
}

#define DEFAULT_DP_STATES 64

wm_status wm_dispatch_ws_new(size_t max_n, size_t max_groups, size_t dp_states_max, wm_dispatch_ws **out)
{
    *out = NULL;
    if (max_n == 0 || max_groups == 0 || max_groups > WM_DISPATCH_MAX_GROUPS)
        return WM_EINVAL;
    if (dp_states_max == 0)
        dp_states_max = DEFAULT_DP_STATES;
    if (max_n > ((size_t)1 << 26) || dp_states_max > ((size_t)1 << 20) ||
        max_n * dp_states_max > ((size_t)1 << 28))
        return WM_ELIMIT;
    wm_dispatch_ws *w = calloc(1, sizeof *w);
    if (!w)
        return WM_ENOMEM;
    w->max_n = max_n;
    w->max_groups = max_groups;
    w->dp_states_max = dp_states_max;
    w->max_bp = max_n * (2 * max_groups + 2);
    w->x = calloc(max_n * max_groups, sizeof *w->x);
    w->v0 = calloc(max_n, sizeof(double));
    w->v1 = calloc(max_n, sizeof(double));
    w->bl = calloc(w->max_bp, sizeof(double));
    w->bw = calloc(w->max_bp, sizeof(double));
    w->bp = calloc(max_n * dp_states_max, sizeof(int32_t));
    w->dpa = calloc(dp_states_max, sizeof(double));
    w->dpb = calloc(dp_states_max, sizeof(double));
    w->idx = calloc(max_n, sizeof(size_t));
    w->klevel = calloc(max_n, sizeof(double));
    if (!w->x || !w->v0 || !w->v1 || !w->bl || !w->bw || !w->bp || !w->dpa || !w->dpb || !w->idx ||
        !w->klevel) {
        wm_dispatch_ws_free(w);
        return WM_ENOMEM;
    }
    *out = w;
    return WM_OK;
}

void wm_dispatch_ws_free(wm_dispatch_ws *w)
{
    if (!w)
        return;
    free(w->x);
    free(w->v0);
    free(w->v1);
    free(w->bl);
    free(w->bw);
    free(w->bp);
    free(w->dpa);
    free(w->dpb);
    free(w->idx);
    free(w->klevel);
    free(w);
}

const double *wm_dispatch_power(const wm_dispatch_ws *ws, size_t g) { return ws->x + g * ws->n; }
const double *wm_dispatch_schedule(const wm_dispatch_ws *ws) { return ws->x; }
wm_dispatch_algo wm_dispatch_last_algo(const wm_dispatch_ws *ws) { return ws->algo; }
const wm_dispatch_summary *wm_dispatch_result(const wm_dispatch_ws *ws) { return &ws->sum; }

double wm_dispatch_demand_level(const wm_dispatch_ws *ws, int m)
{
    if (ws->algo != WM_ALGO_MERIT_DEMAND || m < 0 || (size_t)m >= ws->n)
        return NAN;
    return ws->klevel[m];
}

double wm_dispatch__firm_mw(const wm_dispatch_problem *p)
{
    double f = 0;
    for (size_t g = 0; g < p->ngroups; g++)
        if (p->group[g].kind == WM_LOAD_FIRM)
            f += p->group[g].max_mw;
    return f;
}

static inline double sell_at(const wm_dispatch_problem *p, size_t t) { return p->sell ? p->sell[t] : 0.0; }
static inline double c4_at(const wm_dispatch_problem *p, size_t t) { return p->charge4cp ? p->charge4cp[t] : 0.0; }
static inline int month_at(const wm_dispatch_problem *p, size_t t) { return p->month ? p->month[t] : 0; }

/* Energy cost of gross load L in interval t (USD), sell-back counted as negative cost.
 * Buying and selling in the same interval is allowed (the LP semantics): when the purchase price
 * is below the sell-back price the whole block is sold and all load bought. This keeps the cost
 * convex in L: marginal min(sell, buy) below the block, buy above it. */
static inline double energy_cost(const wm_dispatch_problem *p, size_t t, double L)
{
    double q = p->ppa_mw, b = p->buy[t], s = sell_at(p, t), c;
    if (b < s)
        c = b * L - s * q;
    else if (L > q)
        c = (L - q) * b;
    else
        c = -(q - L) * s;
    return p->dt_h * (c + L * c4_at(p, t));
}

wm_status wm_dispatch_check_problem(const wm_dispatch_problem *p, wm_err *err)
{
    const char *src = "dispatch";
    if (!p || p->n == 0 || !p->buy || !p->cap_mw)
        return wm_err_set(err, WM_EINVAL, src, 0, 0, "expected at least one interval with prices and caps");
    if (!(p->dt_h > 0) || !isfinite(p->dt_h))
        return wm_err_set(err, WM_EINVAL, src, 0, 0, "interval length must be > 0 h");
    if (p->ngroups > WM_DISPATCH_MAX_GROUPS)
        return wm_err_set(err, WM_ELIMIT, src, 0, 0, "at most %d load groups", WM_DISPATCH_MAX_GROUPS);
    if (!(p->ppa_mw >= 0) || !isfinite(p->ppa_usd_per_mwh) || !(p->demand_usd_per_mw_month >= 0) ||
        !isfinite(p->demand_usd_per_mw_month) || !isfinite(p->dr_credit_usd) || !isfinite(p->ppa_mw))
        return wm_err_set(err, WM_EINVAL, src, 0, 0, "contract values must be finite and >= 0");
    if (p->month && p->nmonths < 1)
        return wm_err_set(err, WM_EINVAL, src, 0, 0, "month index given without nmonths");
    double firm = wm_dispatch__firm_mw(p);
    for (size_t g = 0; g < p->ngroups; g++) {
        const wm_dispatch_group *gr = &p->group[g];
        if (!(gr->max_mw >= 0) || !isfinite(gr->max_mw) || !isfinite(gr->value_usd_per_mwh) ||
            !(gr->ramp_mw_per_interval >= 0) || !isfinite(gr->ramp_mw_per_interval))
            return wm_err_set(err, WM_EINVAL, src, 0, 0, "load group %zu (%s): power, value and ramp must be finite, power >= 0",
                              g, gr->name ? gr->name : "");
        if (gr->kind == WM_LOAD_BLOCK) {
            if (gr->min_on < 1 || gr->min_off < 1 || !(gr->interrupt_cost_usd >= 0) ||
                !isfinite(gr->interrupt_cost_usd) || !(gr->energy_mwh >= 0) || !isfinite(gr->energy_mwh))
                return wm_err_set(err, WM_EINVAL, src, 0, 0, "block load %s: min on/off >= 1 interval, costs and energy >= 0",
                                  gr->name ? gr->name : "");
            if (gr->energy_mwh > 0 && (gr->deadline < 0 || (size_t)gr->deadline >= p->n))
                return wm_err_set(err, WM_EINVAL, src, 0, 0, "block load %s: deadline outside the horizon",
                                  gr->name ? gr->name : "");
        }
    }
    int prev_m = 0;
    for (size_t t = 0; t < p->n; t++) {
        double s = sell_at(p, t), c4 = c4_at(p, t);
        if (!isfinite(p->buy[t]) || !isfinite(s) || !isfinite(c4) || !isfinite(p->cap_mw[t]))
            return wm_err_set(err, WM_EINVAL, src, 0, 0, "interval %zu: price, charge or cap is not finite", t);
        if (c4 < 0)
            return wm_err_set(err, WM_EINVAL, src, 0, 0, "interval %zu: negative 4CP charge", t);
        if (p->cap_mw[t] + 1e-9 < firm)
            return wm_err_set(err, WM_EINFEASIBLE, src, 0, 0,
                              "interval %zu: cap %g MW below the firm load %g MW (firm load is never dropped)", t,
                              p->cap_mw[t], firm);
        int m = month_at(p, t);
        if (m < 0 || (p->month && m >= p->nmonths) || m < prev_m)
            return wm_err_set(err, WM_EINVAL, src, 0, 0, "interval %zu: billing months must be 0..nmonths-1 and non-decreasing", t);
        prev_m = m;
    }
    return WM_OK;
}

/* ---------------------------------------------------------------- merit order ---- */

static int cmp_by_value_desc(const void *a, const void *b, const wm_dispatch_problem *p)
{
    const wm_dispatch_group *ga = &p->group[*(const int *)a], *gb = &p->group[*(const int *)b];
    if (ga->value_usd_per_mwh != gb->value_usd_per_mwh)
        return ga->value_usd_per_mwh > gb->value_usd_per_mwh ? -1 : 1;
    return *(const int *)a - *(const int *)b;
}

/* Insertion sort of the FLEX groups by decreasing value (k <= 64: no qsort context needed). */
static void build_order(const wm_dispatch_problem *p, wm_dispatch_ws *ws)
{
    ws->nflex = 0;
    for (size_t g = 0; g < p->ngroups; g++) {
        if (p->group[g].kind != WM_LOAD_FLEX)
            continue;
        int k = ws->nflex++, v = (int)g;
        while (k > 0 && cmp_by_value_desc(&v, &ws->order[k - 1], p) < 0) {
            ws->order[k] = ws->order[k - 1];
            k--;
        }
        ws->order[k] = v;
    }
}

typedef struct piece {
    double end;    /* level at the end of the piece, MW */
    double margin; /* USD/MWh */
} piece;

/* Fill FLEX groups in merit order above base_mw up to cap in interval t. Writes the power of
 * each FLEX group to x[g*n+t] when x != NULL, records pieces when pc != NULL, and returns the
 * interval's value: dt*(base_value_per_h + sum v*m) - energy cost of the total load. */
static double fill(const wm_dispatch_problem *p, const wm_dispatch_ws *ws, size_t t, double base_mw,
                   double base_value_per_h, double cap, double *x, piece *pc, int *npc)
{
    double level = base_mw, val = base_value_per_h, q = p->ppa_mw;
    double lo = fmin(sell_at(p, t), p->buy[t]) + c4_at(p, t), hi = p->buy[t] + c4_at(p, t);
    int np = 0;
    int k = 0;
    for (; k < ws->nflex; k++) {
        int g = ws->order[k];
        const wm_dispatch_group *gr = &p->group[g];
        double v = gr->value_usd_per_mwh, rem = gr->max_mw, take = 0;
        if (v <= lo || level >= cap)
            break;
        if (level < q) {
            double lim = fmin(q, cap), room = lim - level;
            double a = fmin(rem, room);
            if (a > 0) {
                take += a;
                level = a == room ? lim : level + a; /* land exactly on the block edge */
                rem -= a;
                if (pc) {
                    pc[np].end = level;
                    pc[np].margin = v - lo;
                    np++;
                }
            }
        }
        if (rem > 0 && level >= q && v > hi && level < cap) {
            double a = fmin(rem, cap - level);
            take += a;
            level += a;
            if (pc) {
                pc[np].end = level;
                pc[np].margin = v - hi;
                np++;
            }
        }
        val += v * take;
        if (x)
            x[(size_t)g * p->n + t] = take;
    }
    if (x)
        for (; k < ws->nflex; k++)
            x[(size_t)ws->order[k] * p->n + t] = 0.0;
    if (npc)
        *npc = np;
    return p->dt_h * val - energy_cost(p, t, level);
}

static void set_fixed_groups(const wm_dispatch_problem *p, wm_dispatch_ws *ws, double *firm_mw, double *firm_val)
{
    double f = 0, fv = 0;
    for (size_t g = 0; g < p->ngroups; g++) {
        const wm_dispatch_group *gr = &p->group[g];
        if (gr->kind == WM_LOAD_FIRM) {
            f += gr->max_mw;
            fv += gr->max_mw * gr->value_usd_per_mwh;
            for (size_t t = 0; t < p->n; t++)
                ws->x[g * p->n + t] = gr->max_mw;
        }
    }
    *firm_mw = f;
    *firm_val = fv;
}

/* Weighted selection: largest level b with sum of weights of levels >= b greater than D.
 * Returns -INFINITY if total weight <= D. Partitions bl/bw[0..n) in place. */
static double weighted_level(double *bl, double *bw, size_t n, double D)
{
    double carried = 0; /* weight of elements above the current range */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        /* median-of-three pivot */
        size_t mid = lo + (hi - lo) / 2;
        double a = bl[lo], b = bl[mid], c = bl[hi - 1];
        double piv = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        /* 3-way partition: [lo, i) > piv, [i, j) == piv, [j, hi) < piv  (Dijkstra) */
        size_t i = lo, j = lo, k = hi;
        double wg = 0, we = 0;
        while (j < k) {
            if (bl[j] > piv) {
                double tl = bl[i], tw = bw[i];
                bl[i] = bl[j];
                bw[i] = bw[j];
                bl[j] = tl;
                bw[j] = tw;
                wg += bw[i];
                i++;
                j++;
            } else if (bl[j] < piv) {
                k--;
                double tl = bl[k], tw = bw[k];
                bl[k] = bl[j];
                bw[k] = bw[j];
                bl[j] = tl;
                bw[j] = tw;
            } else {
                we += bw[j];
                j++;
            }
        }
        if (carried + wg > D) {
            hi = i;
        } else if (carried + wg + we > D) {
            return piv;
        } else {
            carried += wg + we;
            lo = j;
        }
    }
    return -INFINITY;
}

static void solve_merit(const wm_dispatch_problem *p, wm_dispatch_ws *ws)
{
    double firm, firm_val;
    set_fixed_groups(p, ws, &firm, &firm_val);
    for (size_t t = 0; t < p->n; t++)
        fill(p, ws, t, firm, firm_val, p->cap_mw[t], ws->x, NULL, NULL);
    ws->algo = WM_ALGO_MERIT;
}

static void solve_merit_demand(const wm_dispatch_problem *p, wm_dispatch_ws *ws)
{
    double firm, firm_val;
    set_fixed_groups(p, ws, &firm, &firm_val);
    piece pc[2 * WM_DISPATCH_MAX_GROUPS + 2];
    size_t t0 = 0;
    while (t0 < p->n) {
        int m = month_at(p, t0);
        size_t t1 = t0;
        while (t1 < p->n && month_at(p, t1) == m)
            t1++;
        size_t nb = 0;
        for (size_t t = t0; t < t1; t++) {
            int np;
            fill(p, ws, t, firm, firm_val, p->cap_mw[t], NULL, pc, &np);
            for (int i = 0; i < np; i++) {
                if (pc[i].end <= firm)
                    continue;
                double next = i + 1 < np ? pc[i + 1].margin : 0.0;
                ws->bl[nb] = pc[i].end;
                ws->bw[nb] = p->dt_h * (pc[i].margin - next);
                nb++;
            }
        }
        double K = weighted_level(ws->bl, ws->bw, nb, p->demand_usd_per_mw_month);
        if (!(K > firm))
            K = firm;
        ws->klevel[m] = K;
        for (size_t t = t0; t < t1; t++)
            fill(p, ws, t, firm, firm_val, fmin(p->cap_mw[t], K), ws->x, NULL, NULL);
        t0 = t1;
    }
    ws->algo = WM_ALGO_MERIT_DEMAND;
}

/* Values of each interval with the block group off (v0) and on (v1; -inf if it does not fit). */
static void block_values(const wm_dispatch_problem *p, wm_dispatch_ws *ws, size_t b, double firm, double firm_val)
{
    const wm_dispatch_group *gb = &p->group[b];
    for (size_t t = 0; t < p->n; t++) {
        ws->v0[t] = fill(p, ws, t, firm, firm_val, p->cap_mw[t], NULL, NULL, NULL);
        double base = firm + gb->max_mw;
        ws->v1[t] = base <= p->cap_mw[t] + 1e-9
                        ? fill(p, ws, t, base, firm_val + gb->max_mw * gb->value_usd_per_mwh, p->cap_mw[t], NULL, NULL, NULL)
                        : -INFINITY;
    }
}

static long energy_intervals(const wm_dispatch_problem *p, const wm_dispatch_group *gb)
{
    if (!(gb->energy_mwh > 0))
        return 0;
    if (!(gb->max_mw > 0))
        return -1;
    double k = gb->energy_mwh / (gb->max_mw * p->dt_h);
    double c = ceil(k - 1e-9);
    if (c > (double)p->n + 1)
        return -1;
    return (long)c;
}

static void finish_block(const wm_dispatch_problem *p, wm_dispatch_ws *ws, size_t b, double firm, double firm_val,
                         const unsigned char *on)
{
    const wm_dispatch_group *gb = &p->group[b];
    (void)on;
    for (size_t t = 0; t < p->n; t++) {
        bool u = ws->x[b * p->n + t] > 0;
        double base = firm + (u ? gb->max_mw : 0), bv = firm_val + (u ? gb->max_mw * gb->value_usd_per_mwh : 0);
        fill(p, ws, t, base, bv, p->cap_mw[t], ws->x, NULL, NULL);
    }
}

static wm_status solve_select(const wm_dispatch_problem *p, wm_dispatch_ws *ws, size_t b, wm_err *err)
{
    double firm, firm_val;
    set_fixed_groups(p, ws, &firm, &firm_val);
    block_values(p, ws, b, firm, firm_val);
    const wm_dispatch_group *gb = &p->group[b];
    double *xb = ws->x + b * p->n;
    long need = energy_intervals(p, gb);
    if (need < 0)
        return wm_err_set(err, WM_EINFEASIBLE, "dispatch", 0, 0, "%s: energy %g MWh cannot be delivered", gb->name, gb->energy_mwh);
    long have = 0;
    size_t nc = 0;
    long dl = gb->energy_mwh > 0 ? gb->deadline : -1;
    for (size_t t = 0; t < p->n; t++) {
        bool on = ws->v1[t] - ws->v0[t] > 0;
        xb[t] = on ? gb->max_mw : 0.0;
        if ((long)t <= dl) {
            if (on)
                have++;
            else if (isfinite(ws->v1[t]))
                ws->idx[nc++] = t;
        }
    }
    if (have < need) {
        long more = need - have;
        if ((size_t)more > nc)
            return wm_err_set(err, WM_EINFEASIBLE, "dispatch", 0, 0,
                              "%s: %g MWh by the deadline needs %ld intervals, only %ld fit under the cap", gb->name,
                              gb->energy_mwh, need, have + (long)nc);
        /* partial selection: the `more` candidates with the largest v1-v0 (ties: earlier first) */
        size_t lo = 0, hi = nc, k = (size_t)more;
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            size_t pv = ws->idx[mid];
            double piv = ws->v1[pv] - ws->v0[pv];
            /* partition by (diff desc, index asc) */
            size_t i = lo;
            ws->idx[mid] = ws->idx[hi - 1];
            ws->idx[hi - 1] = pv;
            for (size_t j = lo; j + 1 < hi; j++) {
                size_t c = ws->idx[j];
                double d = ws->v1[c] - ws->v0[c];
                if (d > piv || (d == piv && c < pv)) {
                    ws->idx[j] = ws->idx[i];
                    ws->idx[i] = c;
                    i++;
                }
            }
            ws->idx[hi - 1] = ws->idx[i];
            ws->idx[i] = pv;
            if (i + 1 == k || i == k)
                break; /* [0, k) holds the k best */
            if (i + 1 < k)
                lo = i + 1;
            else
                hi = i;
        }
        for (size_t j = 0; j < k; j++)
            xb[ws->idx[j]] = gb->max_mw;
    }
    finish_block(p, ws, b, firm, firm_val, NULL);
    ws->algo = WM_ALGO_SELECT;
    return WM_OK;
}

/* DP state: phase (0 off, 1 on), d = time in phase clipped (1..L), c = intervals delivered (0..N). */
static wm_status solve_dp(const wm_dispatch_problem *p, wm_dispatch_ws *ws, size_t b, wm_err *err)
{
    const wm_dispatch_group *gb = &p->group[b];
    long need = energy_intervals(p, gb);
    if (need < 0)
        return wm_err_set(err, WM_EINFEASIBLE, "dispatch", 0, 0, "%s: energy %g MWh cannot be delivered", gb->name, gb->energy_mwh);
    size_t Lon = (size_t)gb->min_on, Loff = (size_t)gb->min_off, N = (size_t)need;
    size_t per_c = Lon + Loff;
    if (per_c > ws->dp_states_max / (N + 1))
        return wm_err_set(err, WM_ELIMIT, "dispatch", 0, 0,
                          "%s: the DP needs %zu states per interval (min on/off %zu/%zu intervals, %zu intervals of energy), the workspace allows %zu",
                          gb->name, per_c * (N + 1), Lon, Loff, N, ws->dp_states_max);
    size_t S = per_c * (N + 1);
    double firm, firm_val;
    set_fixed_groups(p, ws, &firm, &firm_val);
    block_values(p, ws, b, firm, firm_val);
    /* index: c * per_c + (off: d-1 | on: Loff + d-1) */
#define OFF(d, c) ((c) * per_c + (d) - 1)
#define ON(d, c) ((c) * per_c + Loff + (d) - 1)
    double *cur = ws->dpa, *nxt = ws->dpb;
    for (size_t s = 0; s < S; s++)
        cur[s] = -INFINITY;
    if (gb->initially_on)
        cur[ON(Lon, 0)] = 0.0;
    else
        cur[OFF(Loff, 0)] = 0.0;
    long dl = gb->energy_mwh > 0 ? gb->deadline : -1;
    double C = gb->interrupt_cost_usd;
    for (size_t t = 0; t < p->n; t++) {
        int32_t *bp = ws->bp + t * S;
        for (size_t s = 0; s < S; s++) {
            nxt[s] = -INFINITY;
            bp[s] = -1;
        }
        double a0 = ws->v0[t], a1 = ws->v1[t];
        bool count = (long)t <= dl;
        for (size_t c = 0; c <= N; c++) {
            size_t c1 = count && c < N ? c + 1 : c;
            for (size_t d = 1; d <= Loff; d++) {
                double v = cur[OFF(d, c)];
                if (v == -INFINITY)
                    continue;
                size_t s = OFF(d, c);
                size_t so = OFF(d < Loff ? d + 1 : Loff, c);
                if (v + a0 > nxt[so]) {
                    nxt[so] = v + a0;
                    bp[so] = (int32_t)s;
                }
                if (d >= Loff && a1 != -INFINITY) {
                    size_t sn = ON(1, c1);
                    if (v + a1 > nxt[sn]) {
                        nxt[sn] = v + a1;
                        bp[sn] = (int32_t)s;
                    }
                }
            }
            for (size_t d = 1; d <= Lon; d++) {
                double v = cur[ON(d, c)];
                if (v == -INFINITY)
                    continue;
                size_t s = ON(d, c);
                if (a1 != -INFINITY) {
                    size_t sn = ON(d < Lon ? d + 1 : Lon, c1);
                    if (v + a1 > nxt[sn]) {
                        nxt[sn] = v + a1;
                        bp[sn] = (int32_t)s;
                    }
                }
                if (d >= Lon) {
                    size_t so = OFF(1, c);
                    if (v + a0 - C > nxt[so]) {
                        nxt[so] = v + a0 - C;
                        bp[so] = (int32_t)s;
                    }
                }
            }
        }
        if ((long)t == dl)
            for (size_t s = 0; s < N * per_c; s++)
                nxt[s] = -INFINITY; /* c < N after the deadline: infeasible */
        double *tmp = cur;
        cur = nxt;
        nxt = tmp;
    }
    size_t best = S;
    for (size_t s = 0; s < S; s++)
        if (cur[s] != -INFINITY && (best == S || cur[s] > cur[best]))
            best = s;
    if (best == S)
        return wm_err_set(err, WM_EINFEASIBLE, "dispatch", 0, 0,
                          "%s: no schedule meets the energy by the deadline with the minimum on/off times and the cap",
                          gb->name);
    double *xb = ws->x + b * p->n;
    size_t s = best;
    for (size_t t = p->n; t-- > 0;) {
        xb[t] = (s % per_c) >= Loff ? gb->max_mw : 0.0;
        s = (size_t)ws->bp[t * S + s];
    }
#undef OFF
#undef ON
    finish_block(p, ws, b, firm, firm_val, NULL);
    ws->algo = WM_ALGO_DP;
    return WM_OK;
}

size_t wm_dispatch_dp_states(const wm_dispatch_problem *p)
{
    size_t nblock = 0, b = 0;
    for (size_t g = 0; g < p->ngroups; g++)
        if (p->group[g].kind == WM_LOAD_BLOCK) {
            nblock++;
            b = g;
        }
    if (nblock != 1)
        return 0;
    const wm_dispatch_group *gb = &p->group[b];
    long need = energy_intervals(p, gb);
    if (need < 0)
        need = 0;
    return (size_t)(gb->min_on + gb->min_off) * (size_t)(need + 1);
}

wm_status wm_dispatch_solve(const wm_dispatch_problem *p, wm_dispatch_ws *ws, wm_err *err)
{
    wm_status st = wm_dispatch_check_problem(p, err);
    if (st != WM_OK)
        return st;
    if (p->n > ws->max_n || p->ngroups > ws->max_groups)
        return wm_err_set(err, WM_ELIMIT, "dispatch", 0, 0, "problem (%zu intervals, %zu groups) larger than the workspace",
                          p->n, p->ngroups);
    size_t nblock = 0, b = 0;
    bool ramp = false;
    for (size_t g = 0; g < p->ngroups; g++) {
        if (p->group[g].kind == WM_LOAD_BLOCK) {
            nblock++;
            b = g;
        }
        if (p->group[g].kind == WM_LOAD_FLEX && p->group[g].ramp_mw_per_interval > 0)
            ramp = true;
    }
    bool demand = p->demand_usd_per_mw_month > 0;
    ws->n = p->n;
    ws->ngroups = p->ngroups;
    build_order(p, ws);
    if (ramp || nblock > 1 || (nblock == 1 && demand))
        return wm_dispatch_solve_glpk(p, ws, err);
    if (nblock == 0) {
        if (demand)
            solve_merit_demand(p, ws);
        else
            solve_merit(p, ws);
    } else {
        const wm_dispatch_group *gb = &p->group[b];
        if (gb->interrupt_cost_usd == 0 && gb->min_on <= 1 &&
            gb->min_off <= 1)
            st = solve_select(p, ws, b, err);
        else
            st = solve_dp(p, ws, b, err);
        if (st != WM_OK)
            return st;
    }
    wm_dispatch_evaluate(p, ws->x, &ws->sum);
    return WM_OK;
}

wm_status wm_dispatch_always_on(const wm_dispatch_problem *p, wm_dispatch_ws *ws, wm_err *err)
{
    wm_status st = wm_dispatch_check_problem(p, err);
    if (st != WM_OK)
        return st;
    if (p->n > ws->max_n || p->ngroups > ws->max_groups)
        return wm_err_set(err, WM_ELIMIT, "dispatch", 0, 0, "problem larger than the workspace");
    ws->n = p->n;
    ws->ngroups = p->ngroups;
    build_order(p, ws);
    double firm, firm_val;
    set_fixed_groups(p, ws, &firm, &firm_val);
    for (size_t t = 0; t < p->n; t++) {
        double level = firm;
        for (size_t g = 0; g < p->ngroups; g++)
            if (p->group[g].kind == WM_LOAD_BLOCK) {
                bool fits = level + p->group[g].max_mw <= p->cap_mw[t] + 1e-9;
                ws->x[g * p->n + t] = fits ? p->group[g].max_mw : 0.0;
                if (fits)
                    level += p->group[g].max_mw;
            }
        for (int k = 0; k < ws->nflex; k++) {
            int g = ws->order[k];
            double a = fmax(0.0, fmin(p->group[g].max_mw, p->cap_mw[t] - level));
            ws->x[(size_t)g * p->n + t] = a;
            level += a;
        }
    }
    ws->algo = WM_ALGO_MERIT;
    wm_dispatch_evaluate(p, ws->x, &ws->sum);
    return WM_OK;
}

/* ---------------------------------------------------------------- evaluation ---- */

void wm_dispatch_evaluate(const wm_dispatch_problem *p, const double *x, wm_dispatch_summary *o)
{
    memset(o, 0, sizeof *o);
    double q = p->ppa_mw, dt = p->dt_h;
    double month_peak = 0;
    int cur_m = month_at(p, 0);
    for (size_t t = 0; t < p->n; t++) {
        int m = month_at(p, t);
        if (m != cur_m) {
            o->demand_charge_usd += p->demand_usd_per_mw_month * month_peak;
            month_peak = 0;
            cur_m = m;
        }
        double L = 0;
        for (size_t g = 0; g < p->ngroups; g++) {
            double v = x[g * p->n + t];
            L += v;
            o->value_usd += dt * v * p->group[g].value_usd_per_mwh;
            if (p->group[g].kind == WM_LOAD_BLOCK &&
                (t > 0 ? x[g * p->n + t - 1] > 0.5 * p->group[g].max_mw : p->group[g].initially_on) &&
                !(v > 0.5 * p->group[g].max_mw)) {
                o->interruptions++;
                o->interrupt_cost_usd += p->group[g].interrupt_cost_usd;
            }
        }
        o->energy_mwh += dt * L;
        double s = sell_at(p, t);
        if (p->buy[t] < s) { /* sell the whole block, buy all load (see energy_cost) */
            o->buy_mwh += dt * L;
            o->energy_cost_usd += dt * L * p->buy[t];
            o->sell_mwh += dt * q;
            o->sellback_credit_usd += dt * q * s;
        } else if (L > q) {
            o->buy_mwh += dt * (L - q);
            o->energy_cost_usd += dt * (L - q) * p->buy[t];
        } else {
            o->sell_mwh += dt * (q - L);
            o->sellback_credit_usd += dt * (q - L) * s;
        }
        o->charge4cp_usd += dt * L * c4_at(p, t);
        if (L > month_peak)
            month_peak = L;
        if (L > o->peak_mw)
            o->peak_mw = L;
    }
    o->demand_charge_usd += p->demand_usd_per_mw_month * month_peak;
    o->ppa_cost_usd = q * p->ppa_usd_per_mwh * dt * (double)p->n;
    o->dr_credit_usd = p->dr_credit_usd;
    o->profit_usd = o->value_usd - o->energy_cost_usd + o->sellback_credit_usd - o->ppa_cost_usd - o->charge4cp_usd -
                    o->demand_charge_usd - o->interrupt_cost_usd + o->dr_credit_usd;
}

void wm_dispatch_load_eval(const wm_dispatch_problem *p, const double *x, int load, wm_dispatch_load_summary *o)
{
    memset(o, 0, sizeof *o);
    double maxp = 0;
    for (size_t g = 0; g < p->ngroups; g++)
        if (p->group[g].load == load)
            maxp += p->group[g].max_mw;
    for (size_t t = 0; t < p->n; t++) {
        double L = 0;
        for (size_t g = 0; g < p->ngroups; g++)
            if (p->group[g].load == load) {
                L += x[g * p->n + t];
                o->value_usd += p->dt_h * x[g * p->n + t] * p->group[g].value_usd_per_mwh;
            }
        o->energy_mwh += p->dt_h * L;
        if (L < maxp - 1e-9)
            o->intervals_reduced++;
    }
    o->max_energy_mwh = maxp * p->dt_h * (double)p->n;
    o->uptime = o->max_energy_mwh > 0 ? o->energy_mwh / o->max_energy_mwh : 1.0;
    o->curtailed_h = maxp > 0 ? (o->max_energy_mwh - o->energy_mwh) / maxp : 0.0;
}

wm_status wm_dispatch_verify(const wm_dispatch_problem *p, const double *x, double tol, wm_err *err)
{
    const char *src = "schedule";
    for (size_t t = 0; t < p->n; t++) {
        double L = 0;
        for (size_t g = 0; g < p->ngroups; g++) {
            const wm_dispatch_group *gr = &p->group[g];
            double v = x[g * p->n + t];
            if (!isfinite(v))
                return wm_err_set(err, WM_EINVAL, src, 0, 0, "interval %zu, %s: power is not finite", t, gr->name);
            L += v;
            switch (gr->kind) {
            case WM_LOAD_FIRM:
                if (fabs(v - gr->max_mw) > tol)
                    return wm_err_set(err, WM_EINVAL, src, 0, 0, "interval %zu, %s: firm load %g MW, expected %g", t,
                                      gr->name, v, gr->max_mw);
                break;
            case WM_LOAD_FLEX:
                if (v < -tol || v > gr->max_mw + tol)
                    return wm_err_set(err, WM_EINVAL, src, 0, 0, "interval %zu, %s: %g MW outside [0, %g]", t, gr->name, v,
                                      gr->max_mw);
                if (gr->ramp_mw_per_interval > 0 && t > 0 &&
                    fabs(v - x[g * p->n + t - 1]) > gr->ramp_mw_per_interval + tol)
                    return wm_err_set(err, WM_EINVAL, src, 0, 0, "interval %zu, %s: ramp %g MW exceeds %g", t, gr->name,
                                      v - x[g * p->n + t - 1], gr->ramp_mw_per_interval);
                break;
            case WM_LOAD_BLOCK:
                if (fabs(v) > tol && fabs(v - gr->max_mw) > tol)
                    return wm_err_set(err, WM_EINVAL, src, 0, 0, "interval %zu, %s: %g MW, expected 0 or %g", t, gr->name,
                                      v, gr->max_mw);
                break;
            }
        }
        if (L > p->cap_mw[t] + tol)
            return wm_err_set(err, WM_EINVAL, src, 0, 0, "interval %zu: load %g MW above the cap %g MW", t, L, p->cap_mw[t]);
    }
    for (size_t g = 0; g < p->ngroups; g++) {
        const wm_dispatch_group *gr = &p->group[g];
        if (gr->kind != WM_LOAD_BLOCK)
            continue;
        const double *xb = x + g * p->n;
        double half = 0.5 * gr->max_mw;
        size_t t = 0;
        double delivered = 0;
        while (t < p->n) {
            bool on = xb[t] > half;
            size_t e = t;
            while (e < p->n && (xb[e] > half) == on)
                e++;
            size_t len = e - t;
            bool initial = t == 0 && on == gr->initially_on; /* continues the state before 0 */
            if (on && !initial && e < p->n && len < (size_t)gr->min_on)
                return wm_err_set(err, WM_EINVAL, src, 0, 0, "%s: on for %zu intervals from %zu, minimum %d", gr->name, len,
                                  t, gr->min_on);
            if (!on && !initial && e < p->n && len < (size_t)gr->min_off)
                return wm_err_set(err, WM_EINVAL, src, 0, 0, "%s: off for %zu intervals from %zu, minimum %d", gr->name,
                                  len, t, gr->min_off);
            t = e;
        }
        if (gr->energy_mwh > 0) {
            for (long u = 0; u <= gr->deadline && (size_t)u < p->n; u++)
                delivered += xb[u] > half ? gr->max_mw * p->dt_h : 0.0;
            if (delivered < gr->energy_mwh * (1 - 1e-9) - tol * p->dt_h)
                return wm_err_set(err, WM_EINVAL, src, 0, 0, "%s: %g MWh delivered by the deadline, %g required", gr->name,
                                  delivered, gr->energy_mwh);
        }
    }
    return WM_OK;
}
