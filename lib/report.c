/* report.c - the planner's report files (see report.h). Tables are built once as rows of cells
 * (a number, NaN = empty, or a string) and written as CSV, JSON and XLSX sheets; the HTML page
 * draws its charts as inline SVG from the same results. Invariants: no file outside `dir`; the
 * HTML has no external reference (no scripts, fonts or images from elsewhere). */
#include "report.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xlsxwriter.h>

/* ---- growable string ---- */
typedef struct sbuf {
    char *p;
    size_t n, cap;
    bool oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->n;
        int k = b->p ? vsnprintf(b->p + b->n, room, fmt, ap) : -2;
        va_end(ap);
        if (k >= 0 && (size_t)k < room) {
            b->n += (size_t)k;
            return;
        }
        if (k == -1) {
            b->oom = true;
            return;
        }
        size_t want = b->cap ? b->cap * 2 : 65536;
        while (k > 0 && want < b->n + (size_t)k + 1)
            want *= 2;
        char *q = realloc(b->p, want);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = want;
    }
}

static void sb_esc(sbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            sb_printf(b, "&lt;");
            break;
        case '>':
            sb_printf(b, "&gt;");
            break;
        case '&':
            sb_printf(b, "&amp;");
            break;
        case '"':
            sb_printf(b, "&quot;");
            break;
        default:
            sb_printf(b, "%c", *s);
        }
    }
}

/* ---- tables ---- */
typedef struct cell {
    double num;
    char *str; /* NULL: a number */
} cell;

typedef struct tab {
    const char *name;  /* file and sheet name */
    const char *title; /* what the table holds */
    int ncol;
    const char *const *cols; /* keys with units */
    size_t nrow, cap;
    cell *c;
    bool oom;
} tab;

/* Append one row: fmt has one letter per column, 'n' (double) or 's' (const char *). */
static void tab_add(tab *t, const char *fmt, ...)
{
    if (t->oom)
        return;
    if (t->nrow == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        cell *c = realloc(t->c, cap * (size_t)t->ncol * sizeof *c);
        if (!c) {
            t->oom = true;
            return;
        }
        t->c = c;
        t->cap = cap;
    }
    cell *row = t->c + t->nrow * (size_t)t->ncol;
    va_list ap;
    va_start(ap, fmt);
    for (int k = 0; k < t->ncol; k++) {
        row[k].str = NULL;
        row[k].num = NAN;
        if (fmt[k] == 's') {
            const char *s = va_arg(ap, const char *);
            row[k].str = strdup(s ? s : "");
            if (!row[k].str)
                t->oom = true;
        } else {
            row[k].num = va_arg(ap, double);
        }
    }
    va_end(ap);
    t->nrow++;
}

static void tab_free(tab *t)
{
    for (size_t i = 0; i < t->nrow * (size_t)t->ncol; i++)
        free(t->c[i].str);
    free(t->c);
    t->c = NULL;
    t->nrow = t->cap = 0;
}

static wm_status tab_csv(const tab *t, const char *dir, wm_err *err)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.csv", dir, t->name);
    FILE *f = fopen(path, "w");
    if (!f)
        return wm_err_set(err, WM_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
    for (int k = 0; k < t->ncol; k++)
        fprintf(f, "%s%s", k ? "," : "", t->cols[k]);
    fputc('\n', f);
    for (size_t i = 0; i < t->nrow; i++) {
        const cell *row = t->c + i * (size_t)t->ncol;
        for (int k = 0; k < t->ncol; k++) {
            if (k)
                fputc(',', f);
            if (row[k].str) {
                bool q = strpbrk(row[k].str, ",\"\n") != NULL;
                if (q) {
                    fputc('"', f);
                    for (const char *s = row[k].str; *s; s++) {
                        if (*s == '"')
                            fputc('"', f);
                        fputc(*s, f);
                    }
                    fputc('"', f);
                } else {
                    fputs(row[k].str, f);
                }
            } else if (isfinite(row[k].num)) {
                fprintf(f, "%.15g", row[k].num);
            }
        }
        fputc('\n', f);
    }
    if (fclose(f) != 0)
        return wm_err_set(err, WM_EIO, path, 0, 0, "write failed");
    return WM_OK;
}

static json_t *tab_json(const tab *t)
{
    json_t *a = json_array();
    for (size_t i = 0; i < t->nrow; i++) {
        const cell *row = t->c + i * (size_t)t->ncol;
        json_t *o = json_object();
        for (int k = 0; k < t->ncol; k++)
            json_object_set_new(o, t->cols[k],
                                row[k].str ? json_string(row[k].str)
                                           : (isfinite(row[k].num) ? json_real(row[k].num) : json_null()));
        json_array_append_new(a, o);
    }
    return a;
}

static void tab_sheet(const tab *t, lxw_workbook *wb, lxw_format *bold)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, t->name);
    if (!ws)
        return;
    for (int k = 0; k < t->ncol; k++) { /* wide enough for the header, the strings and 12-digit numbers */
        size_t w = strlen(t->cols[k]) > 12 ? strlen(t->cols[k]) : 12;
        for (size_t i = 0; i < t->nrow; i++) {
            const char *str = t->c[i * (size_t)t->ncol + (size_t)k].str;
            if (str && strlen(str) > w)
                w = strlen(str) > 60 ? 60 : strlen(str);
        }
        worksheet_write_string(ws, 0, (lxw_col_t)k, t->cols[k], bold);
        worksheet_set_column(ws, (lxw_col_t)k, (lxw_col_t)k, (double)w + 2, NULL);
    }
    for (size_t i = 0; i < t->nrow; i++) {
        const cell *row = t->c + i * (size_t)t->ncol;
        for (int k = 0; k < t->ncol; k++) {
            if (row[k].str)
                worksheet_write_string(ws, (lxw_row_t)(i + 1), (lxw_col_t)k, row[k].str, NULL);
            else if (isfinite(row[k].num))
                worksheet_write_number(ws, (lxw_row_t)(i + 1), (lxw_col_t)k, row[k].num, NULL);
        }
    }
    worksheet_freeze_panes(ws, 1, 0);
}

/* ---- strategy helpers ---- */
/* "stay mining", a use name ("colo", "tokens", ...) or "hybrid" when two uses share the site */
static const char *use_name(const wm_plan_result *r)
{
    return r->x_mw <= 0 ? "stay mining" : wm_plan_is_mix(r) ? "hybrid" : wm_plan_use_name((wm_plan_use)r->main_use);
}

static void strategy_label(const wm_plan_site *s, const wm_plan_result *r, char *buf, size_t n)
{
    if (r->x_mw <= 0)
        snprintf(buf, n, "stay mining (%.0f MW)", s->site_mw);
    else
        wm_plan_strategy_label(s, r, buf, n);
}

/* indexes of the strategies the charts show: stay, half colo, all colo, recommended */
typedef struct picks {
    int idx[4], n;
} picks;

static picks pick(const wm_plan_site *s, const wm_plan_out *o)
{
    picks p = {{0}, 0};
    int g = s->grid_steps;
    int cand[4] = {0, g / 2, g, o->recommended};
    for (int k = 0; k < 4; k++) {
        int c = cand[k];
        if (c < 0 || (size_t)c >= o->n)
            continue;
        bool dup = false;
        for (int j = 0; j < p.n; j++)
            dup |= p.idx[j] == c;
        if (!dup)
            p.idx[p.n++] = c;
    }
    return p;
}

static const char *const COLORS[] = {"#d95f02", "#7570b3", "#1b9e77", "#e7298a", "#66a61e", "#666666"};

/* ---- SVG charts ---- */
typedef struct frame {
    double W, H, l, r, t, b; /* size and margins, px */
    double x0, x1, y0, y1;   /* data ranges */
} frame;

static double fx(const frame *f, double x)
{
    return f->l + (x - f->x0) / (f->x1 - f->x0) * (f->W - f->l - f->r);
}
static double fy(const frame *f, double y)
{
    return f->H - f->b - (y - f->y0) / (f->y1 - f->y0) * (f->H - f->t - f->b);
}

static double nice_step(double range, int n)
{
    double raw = range / (n > 0 ? n : 1), p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* widen [lo, hi] to tick multiples; degenerate ranges get room */
static void nice_range(double *lo, double *hi, int n)
{
    if (!(*hi > *lo)) {
        double w = fabs(*lo) * 0.1 + 1;
        *lo -= w;
        *hi += w;
    }
    double st = nice_step(*hi - *lo, n);
    *lo = floor(*lo / st) * st;
    *hi = ceil(*hi / st) * st;
}

static void fmt_tick(char *buf, size_t n, double v, double step)
{
    if (fabs(v) < step * 1e-9)
        v = 0;
    if (step >= 1)
        snprintf(buf, n, "%.0f", v);
    else if (step >= 0.1)
        snprintf(buf, n, "%.1f", v);
    else
        snprintf(buf, n, "%.2f", v);
}

static void svg_open(sbuf *b, const frame *f, const char *id, const char *aria)
{
    sb_printf(b, "<svg id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"",
              id, f->W, f->H, f->W, f->H);
    sb_esc(b, aria);
    sb_printf(b, "\">\n");
}

/* axes, grid, ticks and labels; xticks = false to draw x labels yourself */
static void svg_axes(sbuf *b, const frame *f, const char *xlabel, const char *ylabel, bool xticks)
{
    char t[32];
    double st = nice_step(f->y1 - f->y0, 6);
    for (double v = ceil(f->y0 / st - 1e-9) * st; v <= f->y1 + st * 1e-9; v += st) {
        double y = fy(f, v);
        sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>", f->l, y, f->W - f->r, y,
                  fabs(v) < st * 1e-9 ? "zero" : "grid");
        fmt_tick(t, sizeof t, v, st);
        sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%s</text>\n", f->l - 6, y + 4, t);
    }
    if (xticks) {
        double sx = nice_step(f->x1 - f->x0, 8);
        for (double v = ceil(f->x0 / sx - 1e-9) * sx; v <= f->x1 + sx * 1e-9; v += sx) {
            double x = fx(f, v);
            sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>", x, f->H - f->b, x,
                      f->H - f->b + 5);
            fmt_tick(t, sizeof t, v, sx);
            sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">%s</text>\n", x,
                      f->H - f->b + 18, t);
        }
    }
    sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>", f->l, f->H - f->b, f->W - f->r,
              f->H - f->b);
    sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n", f->l, f->t, f->l, f->H - f->b);
    sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"label\" text-anchor=\"middle\">", (f->l + f->W - f->r) / 2, f->H - 8);
    sb_esc(b, xlabel);
    sb_printf(b, "</text><text transform=\"translate(16,%.1f) rotate(-90)\" class=\"label\" text-anchor=\"middle\">",
              (f->t + f->H - f->b) / 2);
    sb_esc(b, ylabel);
    sb_printf(b, "</text>\n");
}

static void svg_legend(sbuf *b, double x, double y, const char *color, const char *text, bool dashed)
{
    sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"%s/>", x, y, x + 22, y,
              color, dashed ? " stroke-dasharray=\"5,3\"" : "");
    sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"legend\">", x + 28, y + 4);
    sb_esc(b, text);
    sb_printf(b, "</text>\n");
}

/* NPV histograms: one panel per strategy (own y scale, so a narrow distribution does not flatten
 * a wide one), shared x axis; density = % of paths per USD 1M; mean dashed. */
static void chart_histograms(sbuf *b, const wm_plan_site *s, const wm_plan_out *o, const picks *pk)
{
    const double ph = 120, gap = 26, top = 14, bottom = 50;
    frame f = {860, top + pk->n * (ph + gap) + bottom, 70, 20, 0, 0, INFINITY, -INFINITY, 0, 1};
    for (int k = 0; k < pk->n; k++) {
        const wm_plan_result *r = &o->r[pk->idx[k]];
        f.x0 = fmin(f.x0, r->hist_lo_usd / 1e6);
        f.x1 = fmax(f.x1, r->hist_hi_usd / 1e6);
    }
    nice_range(&f.x0, &f.x1, 8);
    svg_open(b, &f, "chart-npv-hist", "NPV distribution per strategy");
    char t[32];
    for (int k = 0; k < pk->n; k++) {
        const wm_plan_result *r = &o->r[pk->idx[k]];
        double w = (r->hist_hi_usd - r->hist_lo_usd) / 1e6 / WM_PLAN_HIST_BINS, ymax = 0;
        for (int j = 0; j < WM_PLAN_HIST_BINS; j++)
            ymax = fmax(ymax, 100.0 * r->hist[j] / (double)o->paths / w);
        frame g = f; /* this panel: rows [t, t + ph] */
        g.t = top + k * (ph + gap) + gap;
        g.b = f.H - g.t - ph;
        g.y0 = 0;
        g.y1 = ymax > 0 ? ymax * 1.1 : 1;
        double st = nice_step(g.y1, 3);
        for (double v = 0; v <= g.y1 + 1e-12; v += st) {
            double y = fy(&g, v);
            sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", g.l, y, g.W - g.r, y);
            fmt_tick(t, sizeof t, v, st);
            sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%s</text>\n", g.l - 6, y + 4, t);
        }
        sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>", g.l, fy(&g, 0), g.W - g.r,
                  fy(&g, 0));
        sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n", g.l, g.t, g.l, fy(&g, 0));
        const char *c = COLORS[k];
        sb_printf(b, "<path class=\"data\" fill=\"%s\" fill-opacity=\"0.3\" stroke=\"%s\" stroke-width=\"1.5\" d=\"M%.1f %.1f", c,
                  c, fx(&g, r->hist_lo_usd / 1e6), fy(&g, 0));
        for (int j = 0; j < WM_PLAN_HIST_BINS; j++) {
            double x0 = r->hist_lo_usd / 1e6 + j * w, y = 100.0 * r->hist[j] / (double)o->paths / w;
            sb_printf(b, " L%.1f %.1f L%.1f %.1f", fx(&g, x0), fy(&g, y), fx(&g, x0 + w), fy(&g, y));
        }
        sb_printf(b, " L%.1f %.1f Z\"/>\n", fx(&g, r->hist_hi_usd / 1e6), fy(&g, 0));
        double mx = fx(&g, r->npv.mean / 1e6);
        sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\" stroke-width=\"1.2\" stroke-dasharray=\"5,3\"/>\n",
                  mx, g.t, mx, fy(&g, 0));
        char lab[128];
        strategy_label(s, r, lab, sizeof lab);
        sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"ctitle\" fill=\"%s\">", g.l + 4, g.t - 6, c);
        sb_esc(b, lab);
        sb_printf(b, "</text><text x=\"%.1f\" y=\"%.1f\" class=\"note\" text-anchor=\"end\">mean %.0f, p5 %.0f, p95 %.0f USD M; "
                     "P(NPV&lt;0) %.1f%%</text>\n",
                  g.W - g.r, g.t - 6, r->npv.mean / 1e6, r->npv.p5 / 1e6, r->npv.p95 / 1e6, 100 * r->npv.p_negative);
    }
    double sx = nice_step(f.x1 - f.x0, 8), yb = f.H - bottom;
    for (double v = ceil(f.x0 / sx - 1e-9) * sx; v <= f.x1 + sx * 1e-9; v += sx) {
        double x = fx(&f, v);
        fmt_tick(t, sizeof t, v, sx);
        sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/><text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">%s</text>\n",
                  x, yb, x, yb + 5, x, yb + 18, t);
    }
    sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"label\" text-anchor=\"middle\">NPV over the horizon (USD million); dashed: mean</text>",
              (f.l + f.W - f.r) / 2, f.H - 10);
    sb_printf(b, "<text transform=\"translate(16,%.1f) rotate(-90)\" class=\"label\" text-anchor=\"middle\">%% of paths per USD 1M</text>\n",
              (top + f.H - bottom) / 2);
    sb_printf(b, "</svg>\n");
}

static void chart_frontier(sbuf *b, const wm_plan_site *s, const wm_plan_out *o)
{
    frame f = {860, 380, 70, 20, 20, 48, INFINITY, -INFINITY, INFINITY, -INFINITY};
    for (size_t i = 0; i < o->n; i++) {
        f.x0 = fmin(f.x0, -o->r[i].npv.cvar / 1e6);
        f.x1 = fmax(f.x1, -o->r[i].npv.cvar / 1e6);
        f.y0 = fmin(f.y0, o->r[i].npv.mean / 1e6);
        f.y1 = fmax(f.y1, o->r[i].npv.mean / 1e6);
    }
    double px = (f.x1 - f.x0) * 0.06, py = (f.y1 - f.y0) * 0.08;
    f.x0 -= px;
    f.x1 += px;
    f.y0 -= py;
    f.y1 += py;
    nice_range(&f.x0, &f.x1, 8);
    nice_range(&f.y0, &f.y1, 6);
    svg_open(b, &f, "chart-frontier", "Risk versus mean NPV, efficient frontier");
    svg_axes(b, &f, "mean NPV of the worst 5% of paths, i.e. -CVaR5 (USD million; right = safer)",
             "mean NPV (USD million)", true);
    /* frontier line through the efficient points by increasing risk */
    int idx[WM_PLAN_MAX_STRATEGIES], ne = 0;
    for (size_t i = 0; i < o->n; i++)
        if (o->r[i].efficient)
            idx[ne++] = (int)i;
    for (int a = 1; a < ne; a++)
        for (int c = a; c > 0 && o->r[idx[c]].npv.cvar < o->r[idx[c - 1]].npv.cvar; c--) {
            int t = idx[c];
            idx[c] = idx[c - 1];
            idx[c - 1] = t;
        }
    if (ne > 1) {
        sb_printf(b, "<polyline class=\"data\" fill=\"none\" stroke=\"#333\" stroke-width=\"1.5\" points=\"");
        for (int k = 0; k < ne; k++)
            sb_printf(b, "%.1f,%.1f ", fx(&f, -o->r[idx[k]].npv.cvar / 1e6), fy(&f, o->r[idx[k]].npv.mean / 1e6));
        sb_printf(b, "\"/>\n");
    }
    for (size_t i = 0; i < o->n; i++) {
        const wm_plan_result *r = &o->r[i];
        double x = fx(&f, -r->npv.cvar / 1e6), y = fy(&f, r->npv.mean / 1e6);
        /* stay mining, then one colour per use, grey for hybrids */
        static const int use_color[WM_USE_COUNT] = {2, 3, 1, 4};
        const char *c = r->x_mw <= 0 ? COLORS[0] : wm_plan_is_mix(r) ? COLORS[5] : COLORS[use_color[r->main_use]];
        char lab[128];
        strategy_label(s, r, lab, sizeof lab);
        sb_printf(b, "<circle class=\"data\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"%s><title>", x, y, c,
                  r->efficient ? " stroke=\"#000\" stroke-width=\"1.5\"" : " fill-opacity=\"0.6\"");
        sb_esc(b, lab);
        sb_printf(b, ": mean %.1f, worst 5%% mean %.1f USD M</title></circle>", r->npv.mean / 1e6, -r->npv.cvar / 1e6);
        sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"pt\">%.0f</text>\n", x + ((int)i == o->recommended ? 14 : 7),
                  y + 4, r->x_mw);
        if ((int)i == o->recommended) {
            sb_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"11\" fill=\"none\" stroke=\"#c00\" stroke-width=\"2.5\"/>", x, y);
            sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"rec\" text-anchor=\"%s\">recommended</text>\n",
                      x + (x > f.W / 2 ? -14 : 14), y - 14, x > f.W / 2 ? "end" : "start");
        }
    }
    sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"note\" text-anchor=\"end\">labels: MW converted; black edge: efficient; line: frontier</text>\n",
              f.W - f.r - 8, f.H - f.b - 8);
    sb_printf(b, "</svg>\n");
}

static void chart_fan(sbuf *b, const wm_plan_site *s, const wm_plan_out *o, int idx, int color, double ylo, double yhi,
                      int k)
{
    const wm_plan_result *r = &o->r[idx];
    frame f = {420, 300, 62, 12, 30, 44, 0, s->years, ylo, yhi};
    char id[32], lab[128];
    snprintf(id, sizeof id, "chart-fan-%d", k);
    strategy_label(s, r, lab, sizeof lab);
    svg_open(b, &f, id, lab);
    svg_axes(b, &f, "year (0 = today: capex and sales)", "cash flow (USD million / yr)", true);
    const char *c = COLORS[color];
    sb_printf(b, "<polygon class=\"data\" fill=\"%s\" fill-opacity=\"0.25\" stroke=\"none\" points=\"", c);
    for (int y = 0; y <= s->years; y++)
        sb_printf(b, "%.1f,%.1f ", fx(&f, y), fy(&f, r->cf_p95[y] / 1e6));
    for (int y = s->years; y >= 0; y--)
        sb_printf(b, "%.1f,%.1f ", fx(&f, y), fy(&f, r->cf_p5[y] / 1e6));
    sb_printf(b, "\"/>\n<polyline class=\"data\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" points=\"", c);
    for (int y = 0; y <= s->years; y++)
        sb_printf(b, "%.1f,%.1f ", fx(&f, y), fy(&f, r->cf_p50[y] / 1e6));
    sb_printf(b, "\"/>\n<polyline fill=\"none\" stroke=\"#222\" stroke-width=\"1.2\" stroke-dasharray=\"4,3\" points=\"");
    for (int y = 0; y <= s->years; y++)
        sb_printf(b, "%.1f,%.1f ", fx(&f, y), fy(&f, r->cf_mean[y] / 1e6));
    sb_printf(b, "\"/>\n<text x=\"%.1f\" y=\"18\" class=\"ctitle\">", f.l);
    sb_esc(b, lab);
    sb_printf(b, "</text>\n</svg>\n");
}

static void chart_heatmap(sbuf *b, const wm_report *rp)
{
    int nd = rp->map_ndays;
    double cw = 2.5, ch = 11;
    frame f = {70 + nd * cw + 150, 24 * ch + 80, 70, 150, 20, 60, 0, nd, 0, 24};
    svg_open(b, &f, "chart-dispatch", "Dispatch heat map: hours mined and curtailed over a real year");
    sb_printf(b, "<g shape-rendering=\"crispEdges\">\n");
    int curtailed = 0;
    for (int d = 0; d < nd; d++) {
        const unsigned char *on = rp->map_on + d * 24;
        for (int h = 0; h < 24;) {
            int e = h;
            while (e < 24 && on[e] == on[h])
                e++;
            sb_printf(b, "<rect class=\"data\" x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\"/>",
                      f.l + d * cw, f.t + h * ch, cw + 0.05, (e - h) * ch, on[h] ? "#3b6ea5" : "#f2a541");
            if (!on[h])
                curtailed += e - h;
            h = e;
        }
        sb_printf(b, "\n");
    }
    sb_printf(b, "</g>\n");
    for (int h = 0; h <= 24; h += 3)
        sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%02d:00</text>", f.l - 6,
                  f.t + h * ch + 4, h);
    unsigned prev = 0;
    for (int d = 0; d < nd; d++) {
        int y;
        unsigned m, dd;
        wm_civil_from_days(rp->map_day_t[d] / 86400, &y, &m, &dd);
        if (m != prev) {
            static const char *mn[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
            sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>", f.l + d * cw,
                      f.t + 24 * ch, f.l + d * cw, f.t + 24 * ch + 5);
            sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\">%s</text>", f.l + d * cw + 2, f.t + 24 * ch + 17,
                      mn[(m - 1) % 12]);
            prev = m;
        }
    }
    sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"label\" text-anchor=\"middle\">day of the year (", f.l + nd * cw / 2,
              f.H - 12);
    sb_esc(b, rp->map_label);
    sb_printf(b, ")</text><text transform=\"translate(16,%.1f) rotate(-90)\" class=\"label\" text-anchor=\"middle\">hour of the day</text>\n",
              f.t + 12 * ch);
    double lx = f.l + nd * cw + 16;
    sb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"16\" height=\"12\" fill=\"#3b6ea5\"/><text x=\"%.1f\" y=\"%.1f\" class=\"legend\">mining</text>",
              lx, f.t + 10, lx + 22, f.t + 20);
    sb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"16\" height=\"12\" fill=\"#f2a541\"/><text x=\"%.1f\" y=\"%.1f\" class=\"legend\">curtailed</text>",
              lx, f.t + 32, lx + 22, f.t + 42);
    sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"note\">%d of %d hours</text><text x=\"%.1f\" y=\"%.1f\" class=\"note\">curtailed (%.1f%%)</text>\n",
              lx, f.t + 66, curtailed, nd * 24, lx, f.t + 80, 100.0 * curtailed / (nd * 24.0));
    sb_printf(b, "</svg>\n");
}

static void chart_replay(sbuf *b, const wm_report *rp, const char *const labels[3])
{
    int nd = rp->replay_ndays;
    frame f = {860, 360, 70, 20, 20, 48, 0, nd, INFINITY, -INFINITY};
    for (int k = 0; k < 3; k++)
        for (int d = 0; d < nd; d++) {
            f.y0 = fmin(f.y0, rp->replay_cum_usd[k][d] / 1e6);
            f.y1 = fmax(f.y1, rp->replay_cum_usd[k][d] / 1e6);
        }
    f.y0 = fmin(f.y0, 0);
    nice_range(&f.y0, &f.y1, 6);
    svg_open(b, &f, "chart-replay", "History replay: cumulative cash on the real days");
    svg_axes(b, &f, "date (real days)", "cumulative cash (USD million)", false);
    for (int d = 0; d < nd; d++) {
        int y;
        unsigned m, dd;
        wm_civil_from_days((rp->replay_t0 + (int64_t)d * 86400) / 86400, &y, &m, &dd);
        if (dd == 1 && (m - 1) % 3 == 0) {
            double x = fx(&f, d);
            sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/><text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">%04d-%02u</text>\n",
                      x, f.H - f.b, x, f.H - f.b + 5, x, f.H - f.b + 18, y, m);
        }
    }
    int step = nd > 1200 ? 2 : 1;
    for (int k = 0; k < 3; k++) {
        sb_printf(b, "<polyline class=\"data\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", COLORS[k]);
        for (int d = 0; d < nd; d += step)
            sb_printf(b, "%.1f,%.1f ", fx(&f, d), fy(&f, rp->replay_cum_usd[k][d] / 1e6));
        sb_printf(b, "\"/>\n");
        svg_legend(b, f.l + 12, f.t + 12 + 18 * k, COLORS[k], labels[k], false);
    }
    sb_printf(b, "</svg>\n");
}

/* ---- the tables ---- */
static const char *const STRAT_COLS[] = {"use", "x_mw", "mining_mw", "strategy", "colo_mw", "cloud_mw", "tokens_mw",
                                         "train_mw", "npv_mean_usd", "npv_p5_usd", "npv_p50_usd",
                                         "npv_p95_usd", "npv_sd_usd", "p_npv_negative", "var5_usd", "cvar5_usd",
                                         "irr_median_per_year", "irr_of_mean_per_year", "payback_years",
                                         "within_limit", "efficient", "recommended"};
static const char *const FAN_COLS[] = {"use", "x_mw", "year", "cf_p5_usd", "cf_p50_usd", "cf_p95_usd", "cf_mean_usd"};
static const char *const HIST_COLS[] = {"use", "x_mw", "bin_lo_usd", "bin_hi_usd", "paths"};
static const char *const STRESS_COLS[] = {"stress", "strategy", "x_mw", "npv_mean_usd", "npv_p5_usd", "p_npv_negative",
                                          "cvar5_usd", "npv_mean_change_usd", "recommended"};
static const char *const REPLAY_COLS[] = {"use", "x_mw", "year", "cash_flow_usd", "npv_usd"};
static const char *const MAP_COLS[] = {"date", "hour", "price_usd_per_mwh", "breakeven_usd_per_mwh", "mining_on"};
static const char *const ASSUME_COLS[] = {"parameter", "value", "unit", "source"};

static void fill_strategies(tab *t, const wm_plan_site *s, const wm_plan_out *o)
{
    for (size_t i = 0; i < o->n; i++) {
        const wm_plan_result *r = &o->r[i];
        char lab[160];
        tab_add(t, "snnsnnnnnnnnnnnnnnnsss", use_name(r), r->x_mw, s->site_mw - r->x_mw,
                wm_plan_strategy_label(s, r, lab, sizeof lab), r->mw[WM_USE_COLO], r->mw[WM_USE_CLOUD],
                r->mw[WM_USE_TOKENS], r->mw[WM_USE_TRAIN], r->npv.mean, r->npv.p5, r->npv.p50,
                r->npv.p95, r->npv.sd, r->npv.p_negative, r->npv.var, r->npv.cvar, r->irr_median, r->irr_of_mean,
                r->payback_years_of_mean, r->within_limit ? "yes" : "no", r->efficient ? "yes" : "no",
                (int)i == o->recommended ? "yes" : "no");
    }
}

static void html_table(sbuf *b, const tab *t, const char *const *heads, const int *scale_musd, int ncol)
{
    sb_printf(b, "<table><thead><tr>");
    for (int k = 0; k < ncol; k++) {
        /* a text column's head sits left, as its cells do */
        sb_printf(b, t->nrow > 0 && t->c[k].str ? "<th class=\"s\">" : "<th>");
        sb_esc(b, heads[k]);
        sb_printf(b, "</th>");
    }
    sb_printf(b, "</tr></thead><tbody>\n");
    for (size_t i = 0; i < t->nrow; i++) {
        const cell *row = t->c + i * (size_t)t->ncol;
        bool rec = false;
        for (int k = 0; k < t->ncol; k++)
            rec |= strcmp(t->cols[k], "recommended") == 0 && row[k].str && strcmp(row[k].str, "yes") == 0;
        sb_printf(b, "<tr%s>", rec ? " class=\"rec\"" : "");
        for (int k = 0; k < ncol; k++) {
            const cell *c = &row[k];
            if (c->str) {
                sb_printf(b, "<td class=\"s\">");
                sb_esc(b, c->str);
                sb_printf(b, "</td>");
            } else if (!isfinite(c->num)) {
                sb_printf(b, "<td>&ndash;</td>");
            } else if (scale_musd[k] == 1) {
                sb_printf(b, "<td>%.1f</td>", c->num / 1e6);
            } else if (scale_musd[k] == 2) {
                sb_printf(b, "<td>%.1f%%</td>", 100 * c->num);
            } else if (scale_musd[k] == 3) {
                sb_printf(b, "<td>%.2f</td>", c->num);
            } else {
                sb_printf(b, "<td>%.0f</td>", c->num);
            }
        }
        sb_printf(b, "</tr>\n");
    }
    sb_printf(b, "</tbody></table>\n");
}

/* The strategies table: one-use strategies, and the mixes on the frontier or recommended (every
 * mix is in strategies.csv). */
static void html_strategies(sbuf *b, const wm_plan_site *s, const wm_plan_out *o)
{
    static const char *const th[] = {"strategy", "MW mining", "NPV mean $M", "p5 $M", "p50 $M", "p95 $M", "P(NPV<0)",
                                     "VaR5 $M", "CVaR5 $M", "IRR p50", "IRR of mean", "payback yr", "in limit",
                                     "efficient"};
    sb_printf(b, "<table><thead><tr>");
    for (size_t k = 0; k < sizeof th / sizeof th[0]; k++)
        sb_printf(b, "<th>%s</th>", th[k]);
    sb_printf(b, "</tr></thead><tbody>\n");
    size_t hidden = 0;
    for (size_t i = 0; i < o->n; i++) {
        const wm_plan_result *r = &o->r[i];
        bool mix = wm_plan_is_mix(r), rec = (int)i == o->recommended;
        if (mix && !r->efficient && !rec) {
            hidden++;
            continue;
        }
        char lab[160];
        sb_printf(b, "<tr%s><td class=\"s\">", rec ? " class=\"rec\"" : "");
        sb_esc(b, wm_plan_strategy_label(s, r, lab, sizeof lab));
        sb_printf(b, "</td><td>%.0f</td>", s->site_mw - r->x_mw);
        const double musd[] = {r->npv.mean, r->npv.p5, r->npv.p50, r->npv.p95};
        for (int k = 0; k < 4; k++)
            sb_printf(b, "<td>%.1f</td>", musd[k] / 1e6);
        sb_printf(b, "<td>%.1f%%</td><td>%.1f</td><td>%.1f</td>", 100 * r->npv.p_negative, r->npv.var / 1e6,
                  r->npv.cvar / 1e6);
        const double pct[] = {r->irr_median, r->irr_of_mean};
        for (int k = 0; k < 2; k++)
            sb_printf(b, isfinite(pct[k]) ? "<td>%.1f%%</td>" : "<td>&ndash;</td>", 100 * pct[k]);
        sb_printf(b, isfinite(r->payback_years_of_mean) ? "<td>%.2f</td>" : "<td>&ndash;</td>", r->payback_years_of_mean);
        sb_printf(b, "<td class=\"s\">%s</td><td class=\"s\">%s</td></tr>\n", r->within_limit ? "yes" : "no",
                  r->efficient ? "yes" : "no");
    }
    sb_printf(b, "</tbody></table>\n");
    if (hidden)
        sb_printf(b, "<p class=\"caption\">%zu mixes of two uses off the frontier are not shown: every strategy is in "
                     "strategies.csv, results.json and results.xlsx.</p>\n", hidden);
}

static const char CSS[] =
    "body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px 32px;color:#222;max-width:1320px}"
    "h1{font-size:24px;margin:0 0 6px}h2{font-size:19px;margin:30px 0 6px;border-bottom:1px solid #ddd;padding-bottom:4px}"
    "p{line-height:1.45;margin:6px 0}.summary{background:#f4f7fb;border-left:4px solid #3b6ea5;padding:10px 16px;font-size:15px}"
    ".meta{color:#555;font-size:13px}table{border-collapse:collapse;font-size:13px;margin:8px 0}"
    "th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f0f0f0}td.s,th.s{text-align:left;white-space:nowrap}"
    "tr.rec td{background:#fff3cd;font-weight:600}.row{display:flex;flex-wrap:wrap;gap:8px}"
    "svg{background:#fff;border:1px solid #eee;margin:4px 0}svg text{font-family:inherit}"
    ".tick{font-size:11px;fill:#444}.label{font-size:13px;fill:#222}.legend{font-size:12px;fill:#222}"
    ".note{font-size:11px;fill:#666}.pt{font-size:10px;fill:#333}.rec{font-size:12px;fill:#c00;font-weight:600}"
    ".ctitle{font-size:13px;font-weight:600;fill:#222}"
    "line.grid{stroke:#eee}line.zero{stroke:#999}line.axis{stroke:#444}.caption{color:#555;font-size:13px;max-width:900px}";

static wm_status write_html(const wm_report *rp, const char *dir, const tab *stress, const tab *replay,
                            const tab *assume, wm_err *err)
{
    const wm_plan_site *s = rp->site;
    const wm_plan_out *o = rp->base;
    sbuf b = {0};
    sb_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>wattmux plan: ");
    sb_esc(&b, rp->site_name && *rp->site_name ? rp->site_name : "site");
    sb_printf(&b, "</title>\n<style>%s</style></head><body>\n<h1>Mine or host AI? ", CSS);
    sb_esc(&b, rp->site_name && *rp->site_name ? rp->site_name : "");
    sb_printf(&b, " (%.0f MW)</h1>\n", s->site_mw);
    const wm_plan_result *stay = &o->r[0];
    sb_printf(&b, "<div class=\"summary\">");
    if (o->recommended >= 0) {
        const wm_plan_result *r = &o->r[o->recommended];
        char lab[128];
        strategy_label(s, r, lab, sizeof lab);
        sb_printf(&b, "<p><b>Recommendation: %s.</b> Mean NPV <b>USD %.0f M</b> over %d years at %.0f%% "
                      "(5th-95th percentile USD %.0f M to %.0f M; probability of a negative NPV %.1f%%; "
                      "the worst 5%% of paths average USD %.0f M).</p>\n",
                  lab, r->npv.mean / 1e6, s->years, 100 * s->discount_rate, r->npv.p5 / 1e6, r->npv.p95 / 1e6,
                  100 * r->npv.p_negative, -r->npv.cvar / 1e6);
        if (r != stay)
            sb_printf(&b, "<p>Staying with mining on all %.0f MW: mean NPV USD %.0f M (5th-95th USD %.0f M to %.0f M, "
                          "P(NPV&lt;0) %.1f%%). The conversion's own IRR (median over paths) is %.1f%%, payback of the "
                          "mean cash flows %.1f years.</p>\n",
                      s->site_mw, stay->npv.mean / 1e6, stay->npv.p5 / 1e6, stay->npv.p95 / 1e6,
                      100 * stay->npv.p_negative, 100 * r->irr_median, r->payback_years_of_mean);
    } else {
        sb_printf(&b, "<p><b>No strategy meets the risk limit</b> (CVaR5 at most USD %.0f M).</p>\n", s->max_cvar_usd / 1e6);
    }
    /* what the answer hinges on: the all-colocation mean NPV is linear in the tenant's share of
     * the fit-out (capex at t = 0) and in the rent (NOI, and the terminal value, scale with it) */
    const wm_plan_result *all = &o->r[s->grid_steps];
    if (all->mw[WM_USE_COLO] > 0 && s->colo_capex_usd_per_mw_it > 0) {
        double capex_full = all->x_mw / s->pue_ai * s->colo_capex_usd_per_mw_it;
        double share = s->colo_tenant_capex_share - (all->npv.mean - stay->npv.mean) / capex_full;
        double fixed = all->x_mw * wm_plan_fleet_value_usd_per_mw(s, s->eff_j_per_th, s->fleet_age_years) -
                       capex_full * (1 - s->colo_tenant_capex_share) + o->ppa_npv_mean; /* the PPA: in both */
        double rent = all->npv.mean - fixed != 0
                          ? s->colo_rent_usd_per_kw_month * (stay->npv.mean - fixed) / (all->npv.mean - fixed)
                          : NAN;
        sb_printf(&b, "<p>What the comparison hinges on (all %.0f MW colocation against staying with mining, mean "
                      "NPV): the tenant's share of the fit-out (assumed %.0f%%) at which they break even is ",
                  all->x_mw, 100 * s->colo_tenant_capex_share);
        if (share < 0)
            sb_printf(&b, "below 0%% (colocation wins even when the landlord pays it all)");
        else if (share > 1)
            sb_printf(&b, "above 100%% (mining wins even when the tenant pays it all)");
        else
            sb_printf(&b, "<b>%.0f%%</b>", 100 * share);
        if (isfinite(rent) && rent > 0)
            sb_printf(&b, "; the rent at which they break even is <b>USD %.0f/kW-month</b> (assumed %.1f)", rent,
                      s->colo_rent_usd_per_kw_month);
        sb_printf(&b, ".</p>\n");
    }
    if (s->ppa_mw > 0) /* it moves every NPV alike: say so where the NPVs are read */
        sb_printf(&b, "<p>Every NPV includes the site's PPA block (%.1f MW at USD %.2f/MWh%s, sold back when unused), "
                      "priced as a swap on the power price: mean USD %.0f M, the same on each path in every strategy "
                      "(it leaves the ranking by mean NPV as it is; risk figures move, as it hedges power).</p>\n",
                  s->ppa_mw, s->ppa_usd_per_mwh, s->ppa_years > 0 ? ", for its term" : "", o->ppa_npv_mean / 1e6);
    sb_printf(&b, "<p>Mining fleet policy on the mining MW: the fleet is sold before the horizon on %.0f%% of paths "
                  "(when its trailing half-year no longer covers the fixed site opex); %.2f ASIC purchases per path on "
                  "average.</p>\n",
              100 * o->fleet_retired_share, o->fleet_purchases_mean);
    sb_printf(&b, "<p class=\"meta\">Seed %llu &middot; %llu Monte Carlo paths &middot; start %s &middot; horizon %d years "
                  "&middot; discount rate %.1f%%/yr &middot; curtailment: ",
              (unsigned long long)o->seed, (unsigned long long)o->paths, rp->start_date ? rp->start_date : "?", s->years,
              100 * s->discount_rate);
    sb_esc(&b, rp->curtailment ? rp->curtailment : "");
    sb_printf(&b, " &middot; run time %.1f s &middot; same seed, same numbers.</p></div>\n", rp->run_seconds);

    picks pk = pick(s, o);
    sb_printf(&b, "<h2>NPV distribution per strategy</h2>\n<p class=\"caption\">Each curve is the share of the %llu "
                  "simulated paths (BTC price, network hashrate, fees, power price, tenant default) per USD 1M of NPV; all "
                  "strategies are priced on the same paths.</p>\n",
              (unsigned long long)o->paths);
    chart_histograms(&b, s, o, &pk);
    sb_printf(&b, "<h2>Risk versus return: the efficient frontier</h2>\n<p class=\"caption\">One point per split of the "
                  "site (label: MW converted to colocation). A point is efficient when no other split has both a higher "
                  "mean NPV and a better worst-5%% mean (lower CVaR5). The recommended split is the best mean NPV within the risk limit.</p>\n");
    chart_frontier(&b, s, o);
    sb_printf(&b, "<h2>Yearly cash flows (5th, 50th, 95th percentile)</h2>\n<p class=\"caption\">Band: 5th to 95th "
                  "percentile over paths; solid: median; dashed: mean. Year 0 holds the landlord's share of the fit-out "
                  "and the sale of the converted MW's ASICs; fleet purchases and sales fall in their year; the last "
                  "year includes the mining fleet's resale value and the lease's contracted NOI after the horizon, "
                  "discounted to it.</p>\n<div class=\"row\">\n");
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < pk.n; k++)
        for (int y = 0; y <= s->years; y++) {
            lo = fmin(lo, o->r[pk.idx[k]].cf_p5[y] / 1e6);
            hi = fmax(hi, o->r[pk.idx[k]].cf_p95[y] / 1e6);
        }
    lo = fmin(lo, 0);
    nice_range(&lo, &hi, 6);
    for (int k = 0; k < pk.n; k++)
        chart_fan(&b, s, o, pk.idx[k], k, lo, hi, k);
    sb_printf(&b, "</div>\n");

    sb_printf(&b, "<h2>All strategies</h2>\n<p class=\"caption\">NPV in USD million. IRR and payback are those of the "
                  "conversion against staying with mining (incremental cash flows); per-path IRR medians for one-use "
                  "strategies, the IRR of the mean flows for all.</p>\n");
    html_strategies(&b, s, o);

    if (stress->nrow) {
        static const char *const th[] = {"stress", "strategy", "MW converted", "NPV mean $M", "NPV p5 $M", "P(NPV<0)",
                                         "CVaR5 $M", "change vs base $M", "best under the stress"};
        static const int ts[] = {0, 0, 0, 1, 1, 2, 1, 1, 0};
        sb_printf(&b, "<h2>Stress tests (same paths, one change each)</h2>\n<p class=\"caption\">");
        sb_esc(&b, rp->stress_caption ? rp->stress_caption : "");
        sb_printf(&b, "</p>\n");
        html_table(&b, stress, th, ts, 9);
    }
    if (rp->map_ndays > 0) {
        sb_printf(&b, "<h2>Dispatch of a typical year</h2>\n<p class=\"caption\">The mining fleet scheduled hour by hour "
                      "by the dispatch module against the real hourly prices (");
        sb_esc(&b, rp->map_label);
        sb_printf(&b, "), valued each day at its break-even wholesale price from that day's real hashprice: orange hours "
                      "are curtailed because power costs more than the hashes earn.</p>\n");
        chart_heatmap(&b, rp);
    }
    if (rp->replay) {
        const char *labels[3];
        char l0[128], l1[128], l2[128];
        /* the cumulative curves are stay mining, half and all colocation (wm_report.replay_cum_usd) */
        double half = s->site_mw * (s->grid_steps / 2) / s->grid_steps;
        strategy_label(s, &rp->replay->r[0], l0, sizeof l0);
        snprintf(l1, sizeof l1, "%.0f MW colo + %.0f MW mining", half, s->site_mw - half);
        snprintf(l2, sizeof l2, "%.0f MW colo", s->site_mw);
        labels[0] = l0;
        labels[1] = l1;
        labels[2] = l2;
        sb_printf(&b, "<h2>History replay: the strategies on the real days ");
        sb_esc(&b, rp->replay_from);
        sb_printf(&b, " to ");
        sb_esc(&b, rp->replay_to);
        sb_printf(&b, "</h2>\n<p class=\"caption\">Real BTC price, difficulty and fees; power held at the scenario's "
                      "level; the tenant always pays. Cumulative cash from day 0 (the colocation lines start with the "
                      "landlord's fit-out share net of the ASIC sale; rent starts after the lead time; the mining fleet "
                      "is kept in this chart, the table applies the fleet policy; the table's last year and NPV include the "
                      "values at the end of the window: the fleet's resale value and the lease's remaining contracted "
                      "NOI).</p>\n");
        chart_replay(&b, rp, labels);
        /* one row per strategy, one column per year (the CSV/XLSX hold the long form) */
        (void)replay;
        const wm_plan_out *rr = rp->replay;
        int Y = rp->replay_ndays / 365 > WM_PLAN_MAX_YEARS ? WM_PLAN_MAX_YEARS : rp->replay_ndays / 365;
        sb_printf(&b, "<table><thead><tr><th>strategy</th>");
        for (int y = 0; y <= Y; y++)
            sb_printf(&b, "<th>year %d $M</th>", y);
        sb_printf(&b, "<th>NPV $M</th></tr></thead><tbody>\n");
        /* as the strategy table: single uses, and the mixes on the Monte Carlo frontier or
           recommended (the replay prices the same strategies in the same order) */
        const bool same = rr->n == rp->base->n;
        size_t hidden = 0;
        for (size_t i = 0; i < rr->n; i++) {
            if (same && wm_plan_is_mix(&rr->r[i]) && !rp->base->r[i].efficient && (int)i != rp->base->recommended) {
                hidden++;
                continue;
            }
            char lab[128];
            strategy_label(s, &rr->r[i], lab, sizeof lab);
            sb_printf(&b, "<tr><td class=\"s\">");
            sb_esc(&b, lab);
            sb_printf(&b, "</td>");
            for (int y = 0; y <= Y; y++)
                sb_printf(&b, "<td>%.1f</td>", rr->r[i].cf_mean[y] / 1e6);
            sb_printf(&b, "<td><b>%.1f</b></td></tr>\n", rr->r[i].npv.mean / 1e6);
        }
        sb_printf(&b, "</tbody></table>\n");
        if (hidden)
            sb_printf(&b, "<p class=\"caption\">%zu mixes off the frontier are not shown: every strategy is in "
                          "replay.csv and results.xlsx.</p>\n", hidden);
    }
    static const char *const ah[] = {"parameter", "value", "unit", "source"};
    static const int as[] = {0, 3, 0, 0};
    sb_printf(&b, "<h2>Assumptions</h2>\n");
    html_table(&b, assume, ah, as, 4);
    sb_printf(&b, "<p class=\"meta\">Files next to this page: results.json, results.xlsx and one CSV per table. Model "
                  "and sources: docs/model-mc.md.</p>\n</body></html>\n");
    if (b.oom) {
        free(b.p);
        return WM_ENOMEM;
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/report.html", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        free(b.p);
        return wm_err_set(err, WM_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
    }
    size_t w = fwrite(b.p, 1, b.n, f);
    int rc = fclose(f);
    free(b.p);
    if (w != b.n || rc != 0)
        return wm_err_set(err, WM_EIO, path, 0, 0, "write failed");
    return WM_OK;
}

wm_status wm_report_write(const wm_report *rp, const char *dir, wm_err *err)
{
    if (!rp || !rp->site || !rp->base || !dir || !*dir || rp->base->n == 0)
        return wm_err_set(err, WM_EINVAL, "report", 0, 0, "need a plan result and an output directory");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return wm_err_set(err, WM_EIO, dir, 0, 0, "cannot create the directory: %s", strerror(errno));
    const wm_plan_site *s = rp->site;
    const wm_plan_out *o = rp->base;
    tab strat = {"strategies", "every strategy: NPV distribution, risk, IRR, payback", 17, STRAT_COLS, 0, 0, NULL, false};
    tab fan = {"cash_flow_fan", "yearly cash flows over paths", 7, FAN_COLS, 0, 0, NULL, false};
    tab hist = {"npv_histogram", "NPV histogram per strategy", 5, HIST_COLS, 0, 0, NULL, false};
    tab stress = {"stress_tests", "stress tests on the same seed", 9, STRESS_COLS, 0, 0, NULL, false};
    tab replay = {"replay", "history replay, yearly", 5, REPLAY_COLS, 0, 0, NULL, false};
    tab map = {"dispatch_map", "hourly dispatch of a real year", 5, MAP_COLS, 0, 0, NULL, false};
    tab assume = {"assumptions", "inputs", 4, ASSUME_COLS, 0, 0, NULL, false};
    tab *all[] = {&strat, &fan, &hist, &stress, &replay, &map, &assume};
    const int nt = (int)(sizeof all / sizeof all[0]);

    fill_strategies(&strat, s, o);
    for (size_t i = 0; i < o->n; i++) {
        const wm_plan_result *r = &o->r[i];
        for (int y = 0; y <= s->years; y++)
            tab_add(&fan, "snnnnnn", use_name(r), r->x_mw, (double)y, r->cf_p5[y], r->cf_p50[y], r->cf_p95[y],
                    r->cf_mean[y]);
        double w = (r->hist_hi_usd - r->hist_lo_usd) / WM_PLAN_HIST_BINS;
        for (int j = 0; j < WM_PLAN_HIST_BINS; j++)
            tab_add(&hist, "snnnn", use_name(r), r->x_mw, r->hist_lo_usd + j * w, r->hist_lo_usd + (j + 1) * w,
                    (double)r->hist[j]);
    }
    /* stay, half and all of the first use; the base recommendation replaces half when it is none of them */
    int sel[3] = {0, s->grid_steps / 2, s->grid_steps};
    if (o->recommended >= 0 && o->recommended != sel[0] && o->recommended != sel[1] && o->recommended != sel[2])
        sel[1] = o->recommended;
    for (int k = -1; k < rp->nstress; k++) {
        const wm_plan_out *u = k < 0 ? o : rp->stress[k];
        if (rp->nstress == 0 || !u)
            break;
        for (int j = 0; j < 3; j++) {
            const wm_plan_result *r = &u->r[sel[j]];
            char lab[160], best[160] = "none within the limit";
            if (u->recommended >= 0)
                wm_plan_strategy_label(s, &u->r[u->recommended], best, sizeof best);
            tab_add(&stress, "ssnnnnnns", k < 0 ? "base" : rp->stress_name[k], wm_plan_strategy_label(s, r, lab, sizeof lab),
                    r->x_mw, r->npv.mean, r->npv.p5, r->npv.p_negative, r->npv.cvar, r->npv.mean - o->r[sel[j]].npv.mean,
                    best);
        }
    }
    if (rp->replay) {
        int Y = rp->replay_ndays / 365;
        if (Y > WM_PLAN_MAX_YEARS)
            Y = WM_PLAN_MAX_YEARS;
        for (size_t i = 0; i < rp->replay->n; i++) {
            const wm_plan_result *r = &rp->replay->r[i];
            for (int y = 0; y <= Y; y++)
                tab_add(&replay, "snnnn", use_name(r), r->x_mw, (double)y, r->cf_mean[y], y == 0 ? r->npv.mean : NAN);
        }
    }
    for (int d = 0; d < rp->map_ndays; d++) {
        char date[11];
        wm_fmt_date(rp->map_day_t[d], date);
        for (int h = 0; h < 24; h++)
            tab_add(&map, "snnnn", date, (double)h, rp->map_price[d * 24 + h], rp->map_breakeven[d],
                    (double)rp->map_on[d * 24 + h]);
    }
    tab_add(&assume, "snss", "site power", s->site_mw, "MW", "site file / --site-mw");
    tab_add(&assume, "snss", "fleet efficiency", s->eff_j_per_th, "J/TH", "site file fleets / --eff");
    tab_add(&assume, "snss", "mining PUE", s->pue_mining, "", "site file halls / --pue-mining");
    tab_add(&assume, "snss", "fixed mining opex (staff, insurance, land)", s->mining_fixed_opex_usd_per_mw_year,
            "USD/MW-yr", "assumption");
    tab_add(&assume, "snss", "variable mining opex (maintenance)", s->mining_var_opex_usd_per_mwh, "USD/MWh",
            "as wattmux btc cost");
    tab_add(&assume, "snss", "ASIC age at start", s->fleet_age_years, "yr", "assumption");
    tab_add(&assume, "snss", "ASIC resale value decline", s->asic_value_decline_per_year, "1/yr", "assumption");
    tab_add(&assume, "snss", "new ASIC price", s->refresh_usd_per_th, "USD/TH", "bitcoin.md s.2 (trilogik, 2025)");
    tab_add(&assume, "snss", "newest ASIC efficiency at start", s->refresh_eff_j_per_th, "J/TH", "S21 XP, bitcoin.md");
    tab_add(&assume, "snss", "newest ASIC efficiency gain", s->refresh_eff_gain, "1/yr", "S19 2020 to S21 XP 2024");
    tab_add(&assume, "snss", "ASIC replacement payback hurdle", s->refresh_payback_years, "yr", "assumption");
    tab_add(&assume, "snss", "colocation rent", s->colo_rent_usd_per_kw_month, "USD/kW-month IT",
            "Core Scientific-CoreWeave (ai.md s.4)");
    tab_add(&assume, "snss", "colocation rent escalator", s->colo_escalator_per_year, "1/yr", "term average rent");
    tab_add(&assume, "snss", "colocation term", s->colo_term_years, "yr", "Core Scientific-CoreWeave");
    tab_add(&assume, "snss", "fit-out capex", s->colo_capex_usd_per_mw_it, "USD/MW IT", "ai.md s.4 (8-11M)");
    tab_add(&assume, "snss", "tenant-funded share of the fit-out", s->colo_tenant_capex_share, "",
            "CoreWeave funded 196.4 of 244.5 USD M (Core Scientific Q3 2025)");
    tab_add(&assume, "snss", "lead time to first rent", s->colo_lead_months, "months", "ai.md s.4 (8-21)");
    tab_add(&assume, "snss", "AI hall PUE (gross/IT)", s->pue_ai, "", "ai.md s.4 (1.25-1.45)");
    tab_add(&assume, "snss", "NOI margin", s->colo_noi_margin, "", "ai.md s.4 (80-85%)");
    tab_add(&assume, "snss", "power passed through to the tenant", s->colo_power_pass_through ? 1.0 : 0.0, "0/1",
            "Core Scientific colocation");
    tab_add(&assume, "snss", "discount rate", s->discount_rate, "1/yr", "--discount");
    if (s->ppa_mw > 0) {
        tab_add(&assume, "snss", "PPA block with sell-back, priced as a swap on the daily level", s->ppa_mw, "MW",
                "site file contract.ppa or --ppa-mw; the same cash flow in every strategy");
        tab_add(&assume, "snss", "PPA price", s->ppa_usd_per_mwh, "USD/MWh", "--ppa-price");
        tab_add(&assume, "snss", "PPA term (0 = the whole horizon)", s->ppa_years, "yr", "--ppa-years");
    }
    if (rp->scn) {
        const wm_scenario_params *q = rp->scn;
        tab_add(&assume, "snss", "BTC price at start", q->price0_usd_per_btc, "USD/BTC", "calibrated (wattmux calibrate)");
        tab_add(&assume, "snss", "BTC expected log-return", q->price_drift_per_year, "1/yr",
                "planning assumption (wattmux calibrate prints the historical mean)");
        tab_add(&assume, "snss", "BTC volatility", q->price_vol_per_year, "1/yr", "calibrated");
        tab_add(&assume, "snss", "network hashrate efficiency trend", q->hash_trend_per_year, "1/yr",
                "calibrated (CBECI ASIC list)");
        tab_add(&assume, "snss", "power price long-run level", q->power_level_usd_per_mwh, "USD/MWh",
                "calibrated (ERCOT LZ_WEST daily means)");
        tab_add(&assume, "snss", "GPU-hour price trend, shocks included", q->gpu_trend_per_year, "1/yr",
                "H100 3.49 (Jan 2024) to 2.35 (Mar 2026), ai.md s.1");
        tab_add(&assume, "snss", "token price trend, shocks included", q->tokens_trend_per_year, "1/yr", "assumption");
        tab_add(&assume, "snss", "AI price shocks (DeepSeek R1 like)", q->ai_shock_per_year, "1/yr", "assumption");
        tab_add(&assume, "snss", "own AI lead time: hall paid at the start, GPUs at its end", s->own_ai_lead_months,
                "months", "assumption: GPUs are delivered when the hall has power and cooling");
        tab_add(&assume, "snss", "own AI hall: straight-line life for its value at the horizon", s->own_ai_hall_life_years,
                "yr", "assumption: shells and power/cooling plant are depreciated over 15-39 years; GPUs at 0");
        tab_add(&assume, "snss", "token price fall beyond the GPU-hour's won back as tokens/s",
                s->tokens_efficiency_share, "", "assumption: newer models and serving software run on own GPUs");
    }

    wm_status st = WM_OK;
    for (int k = 0; k < nt; k++)
        if (all[k]->oom)
            st = WM_ENOMEM;
    for (int k = 0; k < nt && st == WM_OK; k++)
        if (all[k]->nrow)
            st = tab_csv(all[k], dir, err);
    if (st == WM_OK) {
        json_t *j = json_object();
        json_object_set_new(j, "seed", json_integer((json_int_t)o->seed));
        json_object_set_new(j, "paths", json_integer((json_int_t)o->paths));
        json_object_set_new(j, "start_date", json_string(rp->start_date ? rp->start_date : ""));
        json_object_set_new(j, "site", json_string(rp->site_name ? rp->site_name : ""));
        json_object_set_new(j, "site_mw", json_real(s->site_mw));
        json_object_set_new(j, "years", json_integer(s->years));
        json_object_set_new(j, "discount_rate_per_year", json_real(s->discount_rate));
        json_object_set_new(j, "run_seconds", json_real(rp->run_seconds));
        json_object_set_new(j, "recommended_x_mw", o->recommended >= 0 ? json_real(o->r[o->recommended].x_mw) : json_null());
        json_object_set_new(j, "fleet_retired_share", json_real(o->fleet_retired_share));
        json_object_set_new(j, "fleet_purchases_mean", json_real(o->fleet_purchases_mean));
        for (int k = 0; k < nt; k++)
            json_object_set_new(j, all[k]->name, tab_json(all[k]));
        char path[1200];
        snprintf(path, sizeof path, "%s/results.json", dir);
        if (json_dump_file(j, path, JSON_INDENT(1) | JSON_REAL_PRECISION(15)) != 0)
            st = wm_err_set(err, WM_EIO, path, 0, 0, "cannot write");
        json_decref(j);
    }
    if (st == WM_OK) {
        char path[1200];
        snprintf(path, sizeof path, "%s/results.xlsx", dir);
        lxw_workbook *wb = workbook_new(path);
        if (!wb) {
            st = wm_err_set(err, WM_EIO, path, 0, 0, "cannot create the workbook");
        } else {
            lxw_format *bold = workbook_add_format(wb);
            format_set_bold(bold);
            for (int k = 0; k < nt; k++)
                if (all[k]->nrow)
                    tab_sheet(all[k], wb, bold);
            if (workbook_close(wb) != LXW_NO_ERROR)
                st = wm_err_set(err, WM_EIO, path, 0, 0, "cannot write the workbook");
        }
    }
    if (st == WM_OK)
        st = write_html(rp, dir, &stress, &replay, &assume, err);
    for (int k = 0; k < nt; k++)
        tab_free(all[k]);
    return st;
}
