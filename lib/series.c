/* series.c - CSV time-series reader (see series.h).
 * Two passes: the tokenizer walks the buffer once, keeping for every accepted row its line,
 * the raw time text and the parsed values; then times are interpreted (the D/M vs M/D choice
 * needs every row) and converted to UTC, and the order is checked. Nothing points into the
 * input buffer after wm_series_parse returns. */
#include "series.h"
#include "param.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_COLS 1024
#define TIME_TEXT 48

struct wm_series {
    size_t n, ncols, cap;
    int64_t *t;
    long *line;
    double **v;     /* v[col][row] */
    char **names;
    wm_ts_format fmt;
    int64_t step;   /* most common step, computed once at load (0 if < 2 rows) */
};

/* ---------- calendar (Howard Hinnant's days_from_civil algorithm, public domain maths) ---------- */

int64_t wm_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void wm_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int64_t y, unsigned m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* Day of month of the n-th (1-based) Sunday of y-m; n = -1 for the last. */
static int nth_sunday(int64_t y, unsigned m, int n)
{
    int64_t first = wm_days_from_civil(y, m, 1);
    int wd = (int)(((first % 7) + 11) % 7); /* 1970-01-01 was a Thursday: 0 = Sunday */
    int day = 1 + (7 - wd) % 7;
    if (n > 0)
        return day + 7 * (n - 1);
    while (day + 7 <= days_in_month(y, m))
        day += 7;
    return day;
}

/* SPEC: US Energy Policy Act of 2005 (DST from the 2nd Sunday of March to the 1st Sunday of
 * November, at 02:00 local, from 2007); before: 1st Sunday of April to last Sunday of October. */
int32_t wm_tz_us_central_offset(int64_t local_s, bool second, bool *nonexistent)
{
    const int32_t cst = -6 * 3600, cdt = -5 * 3600;
    if (nonexistent)
        *nonexistent = false;
    int64_t days = local_s >= 0 ? local_s / 86400 : (local_s - 86399) / 86400;
    int y;
    unsigned m, d;
    wm_civil_from_days(days, &y, &m, &d);
    if (y < 1987)
        return cst;
    int64_t start_day, end_day;
    if (y >= 2007) {
        start_day = wm_days_from_civil(y, 3, (unsigned)nth_sunday(y, 3, 2));
        end_day = wm_days_from_civil(y, 11, (unsigned)nth_sunday(y, 11, 1));
    } else {
        start_day = wm_days_from_civil(y, 4, (unsigned)nth_sunday(y, 4, 1));
        end_day = wm_days_from_civil(y, 10, (unsigned)nth_sunday(y, 10, -1));
    }
    int64_t start = start_day * 86400 + 2 * 3600; /* local 02:00 CST -> 03:00 CDT */
    int64_t end = end_day * 86400 + 2 * 3600;     /* local 02:00 CDT -> 01:00 CST */
    if (local_s < start)
        return cst;
    if (local_s < start + 3600) {
        if (nonexistent)
            *nonexistent = true;
        return cst;
    }
    if (local_s < end - 3600)
        return cdt;
    if (local_s < end) /* 01:00-01:59 happens twice */
        return second ? cst : cdt;
    return cst;
}

const char *wm_fmt_date(int64_t t, char buf[11])
{
    int y;
    unsigned m, d;
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    wm_civil_from_days(days, &y, &m, &d);
    snprintf(buf, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, m % 100u, d % 100u);
    return buf;
}

const char *wm_fmt_time(int64_t t, char buf[21])
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t sec = t - days * 86400;
    char date[11];
    wm_fmt_date(t, date);
    unsigned hh = (unsigned)(sec / 3600) % 24u, mi = (unsigned)(sec / 60 % 60) % 60u, ss = (unsigned)(sec % 60) % 60u;
    snprintf(buf, 21, "%.10sT%02u:%02u:%02uZ", date, hh, mi, ss);
    return buf;
}

/* ---------- timestamp text ---------- */

typedef struct ts_parts {
    int64_t a, b, c;       /* date numbers in text order */
    int hh, mm, ss;
    int ms;
    bool has_offset;
    int32_t offset_s;
    int kind;              /* 0 iso (y-m-d), 1 slash (a/b/yyyy), 2 integer */
    int64_t integer;
} ts_parts;

static const char *read_uint(const char *p, int64_t *out, int maxdig)
{
    int n = 0;
    int64_t v = 0;
    while (isdigit((unsigned char)*p) && n < maxdig) {
        v = v * 10 + (*p - '0');
        p++;
        n++;
    }
    if (n == 0 || isdigit((unsigned char)*p))
        return NULL;
    *out = v;
    return p;
}

/* Parses the clock part " HH:MM[:SS[.fff]] [AM|PM]" and an optional Z / +hh:mm offset. */
static bool parse_clock(const char *p, ts_parts *t)
{
    if (*p == '\0')
        return true;
    if (*p != 'T' && *p != ' ')
        return false;
    p++;
    int64_t h, mi, s = 0;
    if (!(p = read_uint(p, &h, 2)) || *p != ':' || !(p = read_uint(p + 1, &mi, 2)))
        return false;
    if (*p == ':') {
        if (!(p = read_uint(p + 1, &s, 2)))
            return false;
        if (*p == '.') {
            p++;
            int64_t frac;
            const char *q = p;
            while (isdigit((unsigned char)*q))
                q++;
            if (q == p || q - p > 9)
                return false;
            frac = 0;
            for (const char *r = p; r < q && r < p + 3; r++)
                frac = frac * 10 + (*r - '0');
            for (long k = q - p; k < 3; k++)
                frac *= 10;
            t->ms = (int)frac;
            p = q;
        }
    }
    if (*p == ' ' && (strcasecmp(p + 1, "AM") == 0 || strcasecmp(p + 1, "PM") == 0)) {
        if (h < 1 || h > 12)
            return false;
        bool pm = toupper((unsigned char)p[1]) == 'P';
        h = h % 12 + (pm ? 12 : 0);
        p += 3;
    }
    if (*p == 'Z') {
        t->has_offset = true;
        t->offset_s = 0;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        int64_t oh, om = 0;
        if (!(p = read_uint(p + 1, &oh, 2)))
            return false;
        if (*p == ':')
            p++;
        if (isdigit((unsigned char)*p) && !(p = read_uint(p, &om, 2)))
            return false;
        if (oh > 23 || om > 59)
            return false;
        t->has_offset = true;
        t->offset_s = (int32_t)(sign * (oh * 3600 + om * 60));
    }
    if (*p != '\0')
        return false;
    /* 24:00 is accepted (end-of-day stamps); minutes/seconds must be in range */
    if (h > 24 || mi > 59 || s > 60 || (h == 24 && (mi || s)))
        return false;
    t->hh = (int)h;
    t->mm = (int)mi;
    t->ss = (int)(s == 60 ? 59 : s);
    return true;
}

static bool parse_ts_text(const char *s, ts_parts *t)
{
    memset(t, 0, sizeof *t);
    const char *p = s;
    if (*p == '\0')
        return false;
    /* pure integer (unix s or ms); allow a trailing .0 fraction */
    const char *q = p;
    if (*q == '-')
        q++;
    while (isdigit((unsigned char)*q))
        q++;
    /* a fraction is only accepted when it is zero (".0"): sub-second stamps are not supported */
    if (q != p && (*q == '\0' || (*q == '.' && strspn(q + 1, "0") == strlen(q + 1))) && q - p >= 9) {
        errno = 0;
        long long v = strtoll(p, NULL, 10);
        if (errno == ERANGE)
            return false;
        t->kind = 2;
        t->integer = v;
        return true;
    }
    int64_t a, b, c;
    if ((q = read_uint(p, &a, 4)) && q - p == 4 && *q == '-') {
        if (!(q = read_uint(q + 1, &b, 2)) || *q != '-' || !(q = read_uint(q + 1, &c, 2)))
            return false;
        t->kind = 0;
    } else if ((q = read_uint(p, &a, 2)) && (*q == '/' || *q == '.' || *q == '-')) {
        char sep = *q;
        if (!(q = read_uint(q + 1, &b, 2)) || *q != sep)
            return false;
        const char *ys = q + 1;
        if (!(q = read_uint(ys, &c, 4)) || q - ys != 4)
            return false;
        t->kind = 1;
    } else {
        return false;
    }
    t->a = a;
    t->b = b;
    t->c = c;
    return parse_clock(q, t);
}

/* ---------- tokenizer ---------- */

typedef struct field {
    const char *p;   /* start of raw text (inside quotes if quoted) */
    size_t len;
    bool quoted;
    bool has_dq;     /* contains doubled quotes to unescape */
    long line;       /* physical line of the field's start (records may span lines) */
    long col;        /* 1-based column (byte) of the field's start on that line */
} field;

typedef struct tok {
    const char *buf, *end, *cur;
    long line;       /* line of the current record start */
    long next_line;
    const char *line_start;
    char delim;
} tok;

/* Reads one record into f (up to max). Returns the count, 0 at end of input, -1 on a quote error. */
static int next_record(tok *k, field *f, int max, long *err_line, long *err_col)
{
    if (k->cur >= k->end)
        return 0;
    k->line = k->next_line;
    int n = 0;
    const char *p = k->cur;
    for (;;) {
        field cur = {p, 0, false, false, k->next_line, (long)(p - k->line_start) + 1};
        if (p < k->end && *p == '"') {
            cur.quoted = true;
            cur.p = ++p;
            for (;;) {
                if (p >= k->end) {
                    *err_line = cur.line;
                    *err_col = cur.col;
                    return -1;
                }
                if (*p == '"') {
                    if (p + 1 < k->end && p[1] == '"') {
                        cur.has_dq = true;
                        p += 2;
                        continue;
                    }
                    break;
                }
                if (*p == '\n') {
                    k->next_line++;
                    k->line_start = p + 1;
                }
                p++;
            }
            cur.len = (size_t)(p - cur.p);
            p++; /* closing quote */
            while (p < k->end && (*p == ' ' || *p == '\t') && *p != k->delim)
                p++;
            if (p < k->end && *p != k->delim && *p != '\n' && *p != '\r') {
                *err_line = k->next_line;
                *err_col = (long)(p - k->line_start) + 1;
                return -1;
            }
        } else {
            while (p < k->end && *p != k->delim && *p != '\n' && *p != '\r')
                p++;
            cur.len = (size_t)(p - cur.p);
        }
        if (n < max)
            f[n] = cur;
        n++;
        if (p < k->end && *p == k->delim) {
            p++;
            continue;
        }
        /* end of record */
        if (p < k->end && *p == '\r')
            p++;
        if (p < k->end && *p == '\n')
            p++;
        k->next_line++;
        k->line_start = p;
        break;
    }
    k->cur = p;
    return n;
}

/* Copies a field's text (unescaped, trimmed) into out; returns false if it does not fit. */
static bool field_text(const field *f, char *out, size_t cap)
{
    const char *p = f->p, *e = f->p + f->len;
    out[0] = '\0';
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    size_t n = 0;
    for (; p < e; p++) {
        if (f->has_dq && *p == '"' && p + 1 < e && p[1] == '"')
            p++;
        if (n + 1 >= cap) {
            out[n] = '\0';
            return false;
        }
        out[n++] = *p;
    }
    out[n] = '\0';
    return true;
}

static bool is_missing(const char *s)
{
    return !*s || strcasecmp(s, "na") == 0 || strcasecmp(s, "n/a") == 0 || strcasecmp(s, "nan") == 0 ||
           strcasecmp(s, "null") == 0 || strcmp(s, "-") == 0;
}

/* Number cell: plain; with thousands separators "8,943.51" / "1 234.5" (groups of 3 after a
 * first group of 1-3 digits); in ';'-delimited files a single ',' is a decimal comma ("1,5"). */
static bool parse_number(const char *s, char delim, double *out)
{
    if (wm_parse_double(s, out) == WM_OK)
        return true;
    char tmp[128];
    size_t len = strlen(s);
    if (len + 1 > sizeof tmp)
        return false;
    if (delim == ';') {
        const char *c = strchr(s, ',');
        if (!c || strchr(c + 1, ',') || strchr(s, '.'))
            return false;
        memcpy(tmp, s, len + 1);
        tmp[c - s] = '.';
        return wm_parse_double(tmp, out) == WM_OK;
    }
    size_t n = 0, group = 0, groups = 0;
    bool seen_dot = false;
    for (const char *p = s; *p; p++) {
        if ((*p == ',' || *p == ' ') && !seen_dot) {
            /* first group 1..3 digits, later groups exactly 3 */
            if (group == 0 || group > 3 || (groups > 0 && group != 3))
                return false;
            groups++;
            group = 0;
            continue;
        }
        if (*p == '.')
            seen_dot = true;
        if (isdigit((unsigned char)*p) && !seen_dot)
            group++;
        tmp[n++] = *p;
    }
    tmp[n] = '\0';
    if (groups == 0 || group != 3)
        return false;
    return wm_parse_double(tmp, out) == WM_OK;
}

static int find_name(char **names, size_t n, const char *want)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], want) == 0)
            return (int)i;
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(names[i], want) == 0)
            return (int)i;
    return -1;
}

/* ---------- loading ---------- */

typedef struct row_time {
    char text[TIME_TEXT];
    char hour[16];
    int interval;
    bool repeated;
    long col;        /* column of the time field, for messages */
} row_time;

static void free_names(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

void wm_series_free(wm_series *s)
{
    if (!s)
        return;
    for (size_t c = 0; c < s->ncols; c++)
        free(s->v ? s->v[c] : NULL);
    free(s->v);
    free_names(s->names, s->ncols);
    free(s->t);
    free(s->line);
    free(s);
}

static wm_status grow(wm_series *s, row_time **rt, size_t need)
{
    if (need <= s->cap)
        return WM_OK;
    size_t cap = s->cap ? s->cap * 2 : 1024;
    while (cap < need)
        cap *= 2;
    int64_t *t = realloc(s->t, cap * sizeof *t);
    if (!t)
        return WM_ENOMEM;
    s->t = t;
    long *l = realloc(s->line, cap * sizeof *l);
    if (!l)
        return WM_ENOMEM;
    s->line = l;
    row_time *r = realloc(*rt, cap * sizeof *r);
    if (!r)
        return WM_ENOMEM;
    *rt = r;
    for (size_t c = 0; c < s->ncols; c++) {
        double *v = realloc(s->v[c], cap * sizeof *v);
        if (!v)
            return WM_ENOMEM;
        s->v[c] = v;
    }
    s->cap = cap;
    return WM_OK;
}

static char detect_delim(const char *p, const char *end)
{
    int counts[3] = {0, 0, 0};
    const char cands[3] = {',', ';', '\t'};
    bool q = false;
    while (p < end && (*p == '\n' || *p == '\r'))
        p++;
    for (; p < end && (q || *p != '\n'); p++) {
        if (*p == '"')
            q = !q;
        else if (!q)
            for (int i = 0; i < 3; i++)
                counts[i] += *p == cands[i];
    }
    int best = 0;
    for (int i = 1; i < 3; i++)
        if (counts[i] > counts[best])
            best = i;
    return cands[best];
}

static bool looks_like_data(const field *f, int n)
{
    char txt[TIME_TEXT];
    if (n < 1 || !field_text(&f[0], txt, sizeof txt))
        return false;
    ts_parts tp;
    double d;
    return parse_ts_text(txt, &tp) || parse_number(txt, ',', &d);
}

/* Converts row_time entries to UTC seconds (decides D/M vs M/D first). */
static wm_status resolve_times(wm_series *s, const row_time *rt, const wm_series_opts *o, const char *name,
                               const char *tcol_name, wm_err *err)
{
    wm_ts_format fmt = o->ts_format;
    bool composite = o->hour_column != NULL;
    if (fmt == WM_TS_AUTO && s->n > 0) {
        bool dmy_possible = true, mdy_possible = true;
        ts_parts tp;
        for (size_t i = 0; i < s->n; i++) {
            if (!parse_ts_text(rt[i].text, &tp))
                return wm_err_set(err, WM_EPARSE, name, s->line[i], rt[i].col,
                                  "expected a date or time in column '%s' (2024-04-20, 20/04/2024, "
                                  "04/20/2024 or unix seconds), got '%s'",
                                  tcol_name, rt[i].text);
            if (i == 0)
                fmt = tp.kind == 0 ? WM_TS_ISO : tp.kind == 2 ? WM_TS_UNIX_S : WM_TS_AUTO;
            if (tp.kind == 1) {
                if (tp.a > 12 && tp.b > 12)
                    return wm_err_set(err, WM_EPARSE, name, s->line[i], rt[i].col,
                                      "'%s' is not a valid date (neither D/M/Y nor M/D/Y)", rt[i].text);
                if (tp.a > 12)
                    mdy_possible = false;
                if (tp.b > 12)
                    dmy_possible = false;
            }
            if (fmt != WM_TS_AUTO && fmt != WM_TS_UNIX_S)
                break;
            if (tp.kind == 2 && (tp.integer > 100000000000LL || tp.integer < -100000000000LL))
                fmt = WM_TS_UNIX_MS;
        }
        if (fmt == WM_TS_AUTO) {
            if (dmy_possible && mdy_possible)
                return wm_err_set(err, WM_EPARSE, name, s->line[0], rt[0].col,
                                  "dates in column '%s' are ambiguous (day and month both <= 12 on every "
                                  "row): say whether they are D/M/Y or M/D/Y",
                                  tcol_name);
            if (!dmy_possible && !mdy_possible)
                return wm_err_set(err, WM_EPARSE, name, s->line[0], rt[0].col,
                                  "dates in column '%s' mix D/M/Y and M/D/Y", tcol_name);
            fmt = dmy_possible ? WM_TS_DMY : WM_TS_MDY;
        }
    }
    s->fmt = fmt;
    for (size_t i = 0; i < s->n; i++) {
        ts_parts tp;
        const char *want = fmt == WM_TS_ISO ? "an ISO date like 2024-04-20 [hh:mm[:ss]]"
                           : fmt == WM_TS_DMY ? "a date like 20/04/2024 (D/M/Y)"
                           : fmt == WM_TS_MDY ? "a date like 04/20/2024 (M/D/Y)"
                                              : "a unix timestamp";
        bool ok = parse_ts_text(rt[i].text, &tp);
        int expect_kind = fmt == WM_TS_ISO ? 0 : (fmt == WM_TS_DMY || fmt == WM_TS_MDY) ? 1 : 2;
        if (!ok || tp.kind != expect_kind)
            return wm_err_set(err, WM_EPARSE, name, s->line[i], rt[i].col, "expected %s in column '%s', got '%s'",
                              want, tcol_name, rt[i].text);
        int64_t t;
        if (tp.kind == 2) {
            int64_t v = tp.integer, lo = -62135596800LL, hi = 253402300799LL; /* years 1..9999 */
            if (fmt == WM_TS_UNIX_MS)
                lo *= 1000, hi *= 1000;
            if (v < lo || v > hi)
                return wm_err_set(err, WM_ERANGE, name, s->line[i], rt[i].col,
                                  "timestamp '%s' is outside years 1..9999", rt[i].text);
            t = fmt == WM_TS_UNIX_MS ? v / 1000 - (v % 1000 < 0) : v; /* floor division */
        } else {
            int64_t y, m, d;
            if (tp.kind == 0) {
                y = tp.a, m = tp.b, d = tp.c;
            } else if (fmt == WM_TS_DMY) {
                d = tp.a, m = tp.b, y = tp.c;
            } else {
                m = tp.a, d = tp.b, y = tp.c;
            }
            if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, (unsigned)m))
                return wm_err_set(err, WM_EPARSE, name, s->line[i], rt[i].col, "'%s' is not a valid date (%s)",
                                  rt[i].text, want);
            int64_t local = wm_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + tp.hh * 3600 +
                            tp.mm * 60 + tp.ss;
            if (composite) {
                /* hour-ending: "1".."24" or "01:00".."24:00"; interval 1..4 within the hour */
                int64_t he, mins = 0;
                const char *q = read_uint(rt[i].hour, &he, 2);
                if (q && *q == ':')
                    q = read_uint(q + 1, &mins, 2);
                if (!q || *q != '\0' || he < 1 || he > 24 || mins != 0)
                    return wm_err_set(err, WM_EPARSE, name, s->line[i], rt[i].col,
                                      "expected an hour-ending 1..24 or 01:00..24:00 in column '%s', got '%s'",
                                      o->hour_column, rt[i].hour);
                local += (he - 1) * 3600;
                if (o->interval_column) {
                    if (rt[i].interval < 1 || rt[i].interval > 4)
                        return wm_err_set(err, WM_EPARSE, name, s->line[i], rt[i].col,
                                          "expected an interval 1..4 in column '%s'", o->interval_column);
                    local += (rt[i].interval - 1) * 900;
                }
            }
            if (tp.has_offset) {
                t = local - tp.offset_s;
            } else if (o->tz == WM_TZ_FIXED) {
                t = local - o->tz_offset_s;
            } else if (o->tz == WM_TZ_US_CENTRAL) {
                /* An end stamp belongs to the interval before it: take the offset in force
                   just before the stamp (02:00 ending 01:00-02:00 CST on spring day is valid). */
                int64_t q = o->time_is_end ? local - 1 : local;
                bool bad;
                int32_t off = wm_tz_us_central_offset(q, rt[i].repeated, &bad);
                if (bad)
                    return wm_err_set(err, WM_EPARSE, name, s->line[i], rt[i].col,
                                      "local time '%s' does not exist in US Central (DST spring-forward hour)",
                                      rt[i].text);
                if (rt[i].repeated && wm_tz_us_central_offset(q, false, NULL) == off)
                    return wm_err_set(err, WM_EPARSE, name, s->line[i], rt[i].col,
                                      "'%s' is flagged as a repeated hour, but only the DST fall-back hour repeats",
                                      rt[i].text);
                t = local - off;
                /* Without a flag column, a fall-back hour that does not advance is the repeat. */
                if (!o->dst_flag_column && i > 0 && t <= s->t[i - 1])
                    t = local - wm_tz_us_central_offset(q, true, NULL);
            } else {
                t = local;
            }
        }
        s->t[i] = t;
    }
    return WM_OK;
}

static int64_t compute_step(const wm_series *s);

static int cmp_idx_time(const void *a, const void *b, void *ctx)
{
    const int64_t *t = ctx;
    int64_t x = t[*(const size_t *)a], y = t[*(const size_t *)b];
    return x < y ? -1 : x > y;
}

static wm_status sort_rows(wm_series *s)
{
    size_t *idx = malloc(s->n * sizeof *idx);
    int64_t *t2 = malloc(s->n * sizeof *t2);
    long *l2 = malloc(s->n * sizeof *l2);
    double *v2 = malloc(s->n * sizeof *v2);
    wm_status st = WM_OK;
    if (!idx || !t2 || !l2 || !v2) {
        st = WM_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < s->n; i++)
        idx[i] = i;
    qsort_r(idx, s->n, sizeof *idx, cmp_idx_time, s->t);
    for (size_t i = 0; i < s->n; i++) {
        t2[i] = s->t[idx[i]];
        l2[i] = s->line[idx[i]];
    }
    memcpy(s->t, t2, s->n * sizeof *t2);
    memcpy(s->line, l2, s->n * sizeof *l2);
    for (size_t c = 0; c < s->ncols; c++) {
        for (size_t i = 0; i < s->n; i++)
            v2[i] = s->v[c][idx[i]];
        memcpy(s->v[c], v2, s->n * sizeof *v2);
    }
out:
    free(idx);
    free(t2);
    free(l2);
    free(v2);
    return st;
}

wm_status wm_series_parse(const char *buf, size_t len, const char *name, const wm_series_opts *opts,
                          wm_series **out, wm_err *err)
{
    static const wm_series_opts defaults;
    const wm_series_opts *o = opts ? opts : &defaults;
    *out = NULL;
    name = name ? name : "<input>";
    size_t limit = o->max_bytes ? o->max_bytes : WM_SERIES_DEFAULT_MAX_BYTES;
    if (len > limit)
        return wm_err_set(err, WM_ELIMIT, name, 0, 0, "input is %zu bytes, above the limit of %zu bytes",
                          len, limit);
    if ((o->filter_column == NULL) != (o->filter_value == NULL))
        return wm_err_set(err, WM_EINVAL, name, 0, 0, "a filter needs both a column and a value");
    if (o->interval_column && !o->hour_column)
        return wm_err_set(err, WM_EINVAL, name, 0, 0, "an interval column needs an hour-ending column");
    const char *nul = memchr(buf, '\0', len);
    if (nul) {
        long line = 1, col = 1;
        for (const char *p = buf; p < nul; p++, col++)
            if (*p == '\n')
                line++, col = 0;
        return wm_err_set(err, WM_EPARSE, name, line, col, "NUL byte in a text file");
    }
    tok k = {buf, buf + len, buf, 1, 1, buf, ','};
    if (len >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB && (unsigned char)buf[2] == 0xBF)
        k.cur = k.line_start = buf + 3;
    k.delim = detect_delim(k.cur, k.end);

    field *f = malloc(MAX_COLS * sizeof *f);
    wm_series *s = calloc(1, sizeof *s);
    row_time *rt = NULL;
    char **hdr = NULL;
    size_t nhdr = 0;
    int *keep = NULL; /* source column of each kept value column */
    wm_status st = WM_OK;
    char cell[256];
    if (!f || !s) {
        st = WM_ENOMEM;
        goto fail;
    }
    long ecol = 0, eline = 0;
    int n;
    /* header (skip leading blank lines) */
    do {
        n = next_record(&k, f, MAX_COLS, &eline, &ecol);
    } while (n == 1 && f[0].len == 0);
    if (n < 0) {
        st = wm_err_set(err, WM_EPARSE, name, eline, ecol, "unterminated or malformed quoted field");
        goto fail;
    }
    if (n == 0) {
        st = wm_err_set(err, WM_EPARSE, name, 1, 1, "empty input: expected a header row and data rows");
        goto fail;
    }
    if (n > MAX_COLS) {
        st = wm_err_set(err, WM_ELIMIT, name, k.line, 1, "%d columns, more than the limit of %d", n, MAX_COLS);
        goto fail;
    }
    bool has_header = !looks_like_data(f, n);
    nhdr = (size_t)n;
    hdr = calloc(nhdr, sizeof *hdr);
    if (!hdr) {
        st = WM_ENOMEM;
        goto fail;
    }
    for (size_t c = 0; c < nhdr; c++) {
        char nm[128];
        if (!has_header || !field_text(&f[c], nm, sizeof nm) || !nm[0])
            snprintf(nm, sizeof nm, "c%zu", c + 1);
        hdr[c] = strdup(nm);
        if (!hdr[c]) {
            st = WM_ENOMEM;
            goto fail;
        }
    }
    /* resolve the special columns */
    int tcol, hcol = -1, icol = -1, dcol = -1, fcol = -1;
    const char *tname = o->hour_column ? (o->date_column ? o->date_column : o->time_column) : o->time_column;
    tcol = tname ? find_name(hdr, nhdr, tname) : 0;
    if (tcol < 0) {
        st = wm_err_set(err, WM_ENOTFOUND, name, 1, 1, "no column named '%s' (the header has '%s'%s)", tname,
                        hdr[0], nhdr > 1 ? ", ..." : "");
        goto fail;
    }
    struct {
        const char *want;
        int *idx;
    } specials[] = {{o->hour_column, &hcol}, {o->interval_column, &icol}, {o->dst_flag_column, &dcol},
                    {o->filter_column, &fcol}};
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) {
        if (!specials[i].want)
            continue;
        *specials[i].idx = find_name(hdr, nhdr, specials[i].want);
        if (*specials[i].idx < 0) {
            st = wm_err_set(err, WM_ENOTFOUND, name, 1, 1, "no column named '%s'", specials[i].want);
            goto fail;
        }
    }
    keep = malloc(nhdr * sizeof *keep);
    if (!keep) {
        st = WM_ENOMEM;
        goto fail;
    }
    if (o->columns && o->ncolumns) {
        for (size_t i = 0; i < o->ncolumns; i++) {
            int c = find_name(hdr, nhdr, o->columns[i]);
            if (c < 0) {
                st = wm_err_set(err, WM_ENOTFOUND, name, 1, 1, "no column named '%s' in the header", o->columns[i]);
                goto fail;
            }
            bool dup = c == tcol || c == hcol || c == icol || c == dcol || c == fcol;
            for (size_t j = 0; j < s->ncols; j++)
                dup = dup || keep[j] == c;
            if (dup) {
                st = wm_err_set(err, WM_EINVAL, name, 1, 1,
                                "column '%s' is asked for twice (or is the time, hour, interval, flag or filter column)",
                                o->columns[i]);
                goto fail;
            }
            keep[s->ncols++] = c;
        }
    } else {
        for (size_t c = 0; c < nhdr; c++)
            if ((int)c != tcol && (int)c != hcol && (int)c != icol && (int)c != dcol && (int)c != fcol)
                keep[s->ncols++] = (int)c;
    }
    s->v = calloc(s->ncols ? s->ncols : 1, sizeof *s->v);
    s->names = calloc(s->ncols ? s->ncols : 1, sizeof *s->names);
    if (!s->v || !s->names) {
        st = WM_ENOMEM;
        goto fail;
    }
    for (size_t c = 0; c < s->ncols; c++)
        if (!(s->names[c] = strdup(hdr[keep[c]]))) {
            st = WM_ENOMEM;
            goto fail;
        }
    /* a header-less first row is data: rewind */
    if (!has_header) {
        k.cur = k.line_start = (len >= 3 && (unsigned char)buf[0] == 0xEF) ? buf + 3 : buf;
        k.next_line = 1;
    }
    /* Columns of the current file that are not numeric (text) are only allowed when not kept. */
    for (;;) {
        n = next_record(&k, f, MAX_COLS, &eline, &ecol);
        if (n == 0)
            break;
        if (n < 0) {
            st = wm_err_set(err, WM_EPARSE, name, eline, ecol, "unterminated or malformed quoted field");
            goto fail;
        }
        if (n == 1 && f[0].len == 0)
            continue; /* blank line */
        if ((size_t)n != nhdr) {
            int last = (n < (int)nhdr ? n : (int)nhdr) - 1;
            st = wm_err_set(err, WM_EPARSE, name, f[last].line, f[last].col,
                            "expected %zu fields as in the header, got %d", nhdr, n);
            goto fail;
        }
        if (fcol >= 0) {
            if (!field_text(&f[fcol], cell, sizeof cell) || strcmp(cell, o->filter_value) != 0)
                continue;
        }
        if ((st = grow(s, &rt, s->n + 1)) != WM_OK)
            goto fail;
        size_t r = s->n;
        row_time *rw = &rt[r];
        memset(rw, 0, sizeof *rw);
        rw->col = f[tcol].col;
        if (!field_text(&f[tcol], rw->text, sizeof rw->text)) {
            st = wm_err_set(err, WM_EPARSE, name, f[tcol].line, f[tcol].col, "time field is too long");
            goto fail;
        }
        if (hcol >= 0 && !field_text(&f[hcol], rw->hour, sizeof rw->hour)) {
            st = wm_err_set(err, WM_EPARSE, name, f[hcol].line, f[hcol].col, "hour field is too long");
            goto fail;
        }
        if (icol >= 0) {
            int64_t iv;
            if (!field_text(&f[icol], cell, sizeof cell) || wm_parse_int64(cell, &iv) != WM_OK || iv < 1 || iv > 4) {
                st = wm_err_set(err, WM_EPARSE, name, f[icol].line, f[icol].col,
                                "expected an interval number 1..4 in column '%s'", o->interval_column);
                goto fail;
            }
            rw->interval = (int)iv;
        }
        if (dcol >= 0) {
            if (!field_text(&f[dcol], cell, sizeof cell)) {
                st = wm_err_set(err, WM_EPARSE, name, f[dcol].line, f[dcol].col, "flag field is too long");
                goto fail;
            }
            if (strcasecmp(cell, "Y") != 0 && strcasecmp(cell, "N") != 0 && cell[0]) {
                st = wm_err_set(err, WM_EPARSE, name, f[dcol].line, f[dcol].col, "expected Y or N in column '%s', got '%s'",
                                o->dst_flag_column, cell);
                goto fail;
            }
            rw->repeated = strcasecmp(cell, "Y") == 0;
        }
        s->line[r] = k.line;
        for (size_t c = 0; c < s->ncols; c++) {
            const field *fc = &f[keep[c]];
            double d;
            if (!field_text(fc, cell, sizeof cell)) {
                st = wm_err_set(err, WM_EPARSE, name, fc->line, fc->col, "value in column '%s' is too long",
                                s->names[c]);
                goto fail;
            }
            if (is_missing(cell))
                d = NAN;
            else if (!parse_number(cell, k.delim, &d)) {
                st = wm_err_set(err, WM_EPARSE, name, fc->line, fc->col, "expected a number in column '%s', got '%s'",
                                s->names[c], cell);
                goto fail;
            }
            s->v[c][r] = d;
        }
        s->n++;
    }
    if (s->n == 0) {
        st = wm_err_set(err, WM_EPARSE, name, k.line, 1,
                        fcol >= 0 ? "no data rows where %s == %s" : "no data rows after the header%s%s",
                        fcol >= 0 ? o->filter_column : "", fcol >= 0 ? o->filter_value : "");
        goto fail;
    }
    if ((st = resolve_times(s, rt, o, name, hdr[tcol], err)) != WM_OK)
        goto fail;
    if (o->allow_unsorted && (st = sort_rows(s)) != WM_OK)
        goto fail;
    for (size_t i = 1; i < s->n; i++) {
        if (s->t[i] <= s->t[i - 1]) {
            char a[21], b[21];
            st = wm_err_set(err, WM_EPARSE, name, s->line[i], 1,
                            "time %s %s the previous row's %s (line %ld): expected strictly increasing times",
                            wm_fmt_time(s->t[i], a), s->t[i] == s->t[i - 1] ? "repeats" : "goes back before",
                            wm_fmt_time(s->t[i - 1], b), s->line[i - 1]);
            goto fail;
        }
    }
    s->step = compute_step(s);
    if (o->time_is_end && s->n > 0) {
        for (size_t i = 0; i < s->n; i++)
            s->t[i] -= s->step;
    }
    free(f);
    free(rt);
    free(keep);
    free_names(hdr, nhdr);
    *out = s;
    return WM_OK;
fail:
    free(f);
    free(rt);
    free(keep);
    free_names(hdr, nhdr);
    wm_series_free(s);
    return st;
}

wm_status wm_series_load(const char *path, const wm_series_opts *opts, wm_series **out, wm_err *err)
{
    *out = NULL;
    size_t limit = opts && opts->max_bytes ? opts->max_bytes : WM_SERIES_DEFAULT_MAX_BYTES;
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    if (!fp)
        return wm_err_set(err, WM_EIO, path, 0, 0, "cannot open: %s", strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    wm_status st = WM_OK;
    while (buf) {
        if (len == cap) {
            if (cap > limit) {
                st = wm_err_set(err, WM_ELIMIT, path, 0, 0, "file is larger than the limit of %zu bytes", limit);
                break;
            }
            size_t ncap = cap * 2 > limit + 1 ? limit + 1 : cap * 2; /* never hold more than limit+1 */
            char *nb = realloc(buf, ncap);
            if (!nb) {
                st = WM_ENOMEM;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0) {
            if (ferror(fp))
                st = wm_err_set(err, WM_EIO, path, 0, 0, "read error: %s", strerror(errno));
            break;
        }
    }
    if (!is_stdin)
        fclose(fp);
    if (!buf)
        return WM_ENOMEM;
    if (st == WM_OK)
        st = wm_series_parse(buf, len, is_stdin ? "<stdin>" : path, opts, out, err);
    free(buf);
    return st;
}

size_t wm_series_len(const wm_series *s) { return s->n; }
size_t wm_series_ncols(const wm_series *s) { return s->ncols; }
const char *wm_series_colname(const wm_series *s, size_t c) { return c < s->ncols ? s->names[c] : NULL; }
int wm_series_col(const wm_series *s, const char *nm) { return find_name(s->names, s->ncols, nm); }
const int64_t *wm_series_times(const wm_series *s) { return s->t; }
const double *wm_series_values(const wm_series *s, size_t c) { return c < s->ncols ? s->v[c] : NULL; }
long wm_series_line(const wm_series *s, size_t row) { return row < s->n ? s->line[row] : 0; }
wm_ts_format wm_series_ts_format(const wm_series *s) { return s->fmt; }

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int64_t wm_series_step(const wm_series *s)
{
    return s->step;
}

static int64_t compute_step(const wm_series *s)
{
    if (s->n < 2)
        return 0;
    int64_t *d = malloc((s->n - 1) * sizeof *d);
    if (!d)
        return s->t[1] - s->t[0];
    for (size_t i = 1; i < s->n; i++)
        d[i - 1] = s->t[i] - s->t[i - 1];
    qsort(d, s->n - 1, sizeof *d, cmp_i64);
    int64_t best = d[0], cur = d[0];
    size_t best_n = 0, cur_n = 0;
    for (size_t i = 0; i < s->n - 1; i++) {
        if (d[i] == cur)
            cur_n++;
        else {
            cur = d[i];
            cur_n = 1;
        }
        if (cur_n > best_n) {
            best_n = cur_n;
            best = cur;
        }
    }
    free(d);
    return best;
}

size_t wm_series_gaps(const wm_series *s, int64_t step, wm_gap *out, size_t max)
{
    if (step <= 0)
        step = wm_series_step(s);
    size_t count = 0;
    for (size_t i = 1; i < s->n && step > 0; i++) {
        int64_t dt = s->t[i] - s->t[i - 1];
        if (dt > step) {
            if (count < max) {
                out[count].after = s->t[i - 1];
                out[count].before = s->t[i];
                out[count].missing = (long)(dt / step - 1 + (dt % step ? 1 : 0));
            }
            count++;
        }
    }
    return count;
}

long wm_series_at_or_before(const wm_series *s, int64_t t)
{
    long lo = 0, hi = (long)s->n - 1, ans = -1;
    while (lo <= hi) {
        long mid = lo + (hi - lo) / 2;
        if (s->t[mid] <= t) {
            ans = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return ans;
}

wm_status wm_series_resample(const wm_series *s, size_t col, int64_t from, int64_t to, int64_t step, double *out)
{
    if (col >= s->ncols || step <= 0 || to < from || (to - from) % step != 0)
        return WM_EINVAL;
    const double *v = s->v[col];
    int64_t own = wm_series_step(s);
    size_t m = (size_t)((to - from) / step);
    long i = wm_series_at_or_before(s, from);
    if (i < 0)
        i = 0;
    for (size_t g = 0; g < m; g++) {
        int64_t g0 = from + (int64_t)g * step, g1 = g0 + step;
        double acc = 0, w = 0;
        /* source row j covers [t_j, t_{j+1}) (the last row: one own step) */
        while ((size_t)i < s->n) {
            int64_t a = s->t[i];
            int64_t b = (size_t)i + 1 < s->n ? s->t[i + 1] : a + (own > 0 ? own : step);
            if (b > a + (own > 0 ? own : step))
                b = a + (own > 0 ? own : step); /* a gap stays a gap */
            if (a >= g1)
                break;
            int64_t lo = a > g0 ? a : g0, hi = b < g1 ? b : g1;
            if (hi > lo && !isnan(v[i])) {
                acc += v[i] * (double)(hi - lo);
                w += (double)(hi - lo);
            }
            if (b <= g1)
                i++;
            else
                break;
        }
        out[g] = w > 0 ? acc / w : NAN;
    }
    return WM_OK;
}

wm_status wm_parse_time(const char *text, int64_t *t)
{
    ts_parts tp;
    if (!text || !parse_ts_text(text, &tp) || tp.kind != 0)
        return WM_EPARSE;
    if (tp.b < 1 || tp.b > 12 || tp.c < 1 || tp.c > days_in_month(tp.a, (unsigned)tp.b))
        return WM_EPARSE;
    *t = wm_days_from_civil(tp.a, (unsigned)tp.b, (unsigned)tp.c) * 86400 + tp.hh * 3600 + tp.mm * 60 + tp.ss -
         (tp.has_offset ? tp.offset_s : 0);
    return WM_OK;
}

size_t wm_series_day_means(const wm_series *s, size_t col, int min_count, int64_t *days, double *means, size_t cap)
{
    const size_t n = wm_series_len(s);
    const int64_t *t = wm_series_times(s);
    const double *v = wm_series_values(s, col);
    size_t nd = 0;
    for (size_t i = 0; i < n;) {
        const int64_t d = (t[i] >= 0 ? t[i] : t[i] - 86399) / 86400 * 86400;
        double sum = 0;
        int c = 0;
        size_t j = i;
        for (; j < n && t[j] >= d && t[j] < d + 86400; j++)
            if (!isnan(v[j])) {
                sum += v[j];
                c++;
            }
        if (c >= min_count) {
            if (nd < cap) {
                days[nd] = d;
                means[nd] = sum / c;
            }
            nd++;
        }
        i = j;
    }
    return nd;
}
