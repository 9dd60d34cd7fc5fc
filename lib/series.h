/* series.h - CSV time-series reader shared by every module that reads history or prices.
 * Handles: UTF-8 BOM, header row, quoted fields ("a,b", doubled quotes), CRLF, thousands
 * separators in quoted numbers ("8,943.51"), empty cells (NaN), delimiter auto-detection
 * (, ; tab), a size limit, and timestamps as ISO 8601 dates/datetimes, D/M/Y, M/D/Y, unix
 * seconds or milliseconds. Time can also be built from a date column plus an hour-ending
 * column (ERCOT "Hour Ending" 1..24 or "01:00"), an optional 15-minute interval column and a
 * repeated-hour (DST) flag column. Long-format files are narrowed with a filter (column ==
 * value). Local times are converted to UTC (fixed offset, or US Central with DST rules).
 * Invariants: times are UTC seconds, strictly increasing after load (a duplicate or a step
 * back is an error naming the line); values are doubles, NaN for empty cells; the reader
 * never keeps a pointer into the caller's buffer. Errors carry file:line:col. */
#ifndef WM_SERIES_H
#define WM_SERIES_H

#include "wattmux.h"

#include <stdbool.h>

typedef enum wm_ts_format {
    WM_TS_AUTO = 0, /* decided from the first data row; D/M vs M/D decided from all rows */
    WM_TS_ISO,      /* 2024-04-20, 2024-04-20 00:09, 2024-04-20T00:09:27Z, +hh:mm offsets */
    WM_TS_DMY,      /* 20/04/2024 [hh:mm[:ss]] */
    WM_TS_MDY,      /* 04/20/2024 [hh:mm[:ss]] (US, ERCOT) */
    WM_TS_UNIX_S,
    WM_TS_UNIX_MS
} wm_ts_format;

typedef enum wm_tz {
    WM_TZ_UTC = 0,
    WM_TZ_FIXED,      /* tz_offset_s east of UTC */
    WM_TZ_US_CENTRAL  /* America/Chicago: CST -6 h, CDT -5 h (US rules since 2007; 1987-2006 before;
                         times before 1987 are taken as CST, a known limit) */
} wm_tz;

/* A zero-initialised wm_series_opts means: first column is time, auto format, UTC, all columns. */
typedef struct wm_series_opts {
    const char *time_column;      /* NULL: first column (or date_column if given) */
    const char *date_column;      /* with hour_column: date + hour-ending */
    const char *hour_column;      /* hour-ending 1..24 or "HH:MM" (24:00 = next midnight) */
    const char *interval_column;  /* 1..4 quarter of the hour (ERCOT 15-min) */
    const char *dst_flag_column;  /* "Y" marks the repeated hour of a DST fall-back day */
    const char *filter_column;    /* keep rows whose filter_column equals filter_value */
    const char *filter_value;
    const char *const *columns;   /* value columns to keep (NULL: every other column) */
    size_t ncolumns;
    wm_ts_format ts_format;
    wm_tz tz;
    int32_t tz_offset_s;
    bool time_is_end;             /* stamps mark the END of each interval (shifted back one step) */
    size_t max_bytes;             /* 0 = WM_SERIES_DEFAULT_MAX_BYTES */
    bool allow_unsorted;          /* sort by time instead of rejecting a step back */
} wm_series_opts;

#define WM_SERIES_DEFAULT_MAX_BYTES (512u * 1024u * 1024u)

typedef struct wm_series wm_series;

/* Load a file (path "-" = stdin) or parse a buffer; `name` labels errors. opts may be NULL. */
wm_status wm_series_load(const char *path, const wm_series_opts *opts, wm_series **out, wm_err *err);
wm_status wm_series_parse(const char *buf, size_t len, const char *name, const wm_series_opts *opts,
                          wm_series **out, wm_err *err);
void wm_series_free(wm_series *s);

size_t wm_series_len(const wm_series *s);
size_t wm_series_ncols(const wm_series *s);
const char *wm_series_colname(const wm_series *s, size_t col);
/* Column index by name (exact, then case-insensitive); -1 if absent. */
int wm_series_col(const wm_series *s, const char *name);
const int64_t *wm_series_times(const wm_series *s);
const double *wm_series_values(const wm_series *s, size_t col);
/* Source line of row i (for messages about values). */
long wm_series_line(const wm_series *s, size_t row);
wm_ts_format wm_series_ts_format(const wm_series *s);

/* Gaps: steps longer than step_s (0 = the most common step). Fills up to max gaps and
 * returns how many there are in all. */
typedef struct wm_gap {
    int64_t after;  /* time of the row before the gap */
    int64_t before; /* time of the row after it */
    long missing;   /* whole steps missing */
} wm_gap;
size_t wm_series_gaps(const wm_series *s, int64_t step_s, wm_gap *out, size_t max);
int64_t wm_series_step(const wm_series *s); /* most common step, 0 if < 2 rows */
/* Index of the row with time t, or of the last row before it (-1 if none). */
long wm_series_at_or_before(const wm_series *s, int64_t t);
/* Resample column col onto a regular grid [from, to) of step_s: time-weighted mean when
 * downsampling, step-hold when upsampling. out has (to-from)/step_s entries; NaN where no data. */
wm_status wm_series_resample(const wm_series *s, size_t col, int64_t from, int64_t to, int64_t step_s,
                             double *out);

/* Means of column col per UTC day over the days with at least min_count non-NaN values, in time
 * order (the rows must be sorted, as the readers leave them): day i starts at days[i] (UTC s).
 * Fills up to cap days and returns how many there are in all. */
size_t wm_series_day_means(const wm_series *s, size_t col, int min_count, int64_t *days, double *means, size_t cap);

/* Time helpers used by the readers (exposed for tests and other parsers). */
int64_t wm_days_from_civil(int64_t y, unsigned m, unsigned d); /* days since 1970-01-01 */
void wm_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);
/* UTC offset (s east) of US Central at local time `local_s` (seconds since epoch, local wall clock);
 * `second` selects the second occurrence of a repeated fall-back hour. */
int32_t wm_tz_us_central_offset(int64_t local_s, bool second, bool *nonexistent);
/* Format UTC seconds as "YYYY-MM-DD" / "YYYY-MM-DDTHH:MM:SSZ". */
const char *wm_fmt_date(int64_t t, char buf[11]);
const char *wm_fmt_time(int64_t t, char buf[21]);
/* Parse "YYYY-MM-DD[THH:MM[:SS]][Z]" (UTC) strictly. */
wm_status wm_parse_time(const char *text, int64_t *t);

#endif
