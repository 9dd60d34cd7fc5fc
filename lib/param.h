/* param.h - one table of inputs per model (name, unit, default, bounds, help), in the spirit of
 * NREL SSC's var_info. The same table drives validation, the CLI's options and --help, and the
 * JSON schema. A table is a static const array terminated by an entry with flag == NULL.
 * Invariant: a wm_values array filled from a table always holds a value for every entry
 * (its default when not given), and every numeric value lies within [min, max]. */
#ifndef WM_PARAM_H
#define WM_PARAM_H

#include "wattmux.h"

#include <stdbool.h>

typedef enum wm_param_kind {
    WM_PARAM_NUM,  /* double */
    WM_PARAM_INT,  /* integer, held in a double up to 2^53, also accepts 0x.. hex */
    WM_PARAM_STR,  /* string (model name, file, nBits text) */
    WM_PARAM_FLAG  /* boolean switch, no value */
} wm_param_kind;

typedef struct wm_param {
    const char *flag;  /* CLI option without the dashes: "price" -> --price */
    const char *key;   /* JSON key, carrying the unit: "price_usd_per_btc" */
    wm_param_kind kind;
    const char *unit;  /* "USD/BTC", "sat", "" */
    double def;        /* default for NUM/INT; NAN = required */
    double min, max;   /* bounds (inclusive) for NUM/INT */
    const char *def_str; /* default for STR (NULL = required unless optional) */
    const char *help;
} wm_param;

#define WM_PARAM_OPTIONAL_STR ""  /* def_str value meaning "may be absent" */

typedef struct wm_value {
    bool set;          /* given by the user (not defaulted) */
    double num;
    const char *str;   /* borrowed from argv or the table */
} wm_value;

size_t wm_param_count(const wm_param *table);
/* Index of flag in table, or -1. */
int wm_param_find(const wm_param *table, const char *flag);
/* Fill vals with defaults. */
void wm_param_defaults(const wm_param *table, wm_value *vals);
/* Parse text as the value of table[i]; checks bounds. err names "--flag". */
wm_status wm_param_set(const wm_param *table, int i, const char *text, wm_value *vals, wm_err *err);
/* Check every required entry is present. */
wm_status wm_param_check(const wm_param *table, const wm_value *vals, wm_err *err);
/* Strict number parsing shared by every parser: whole string, finite, optional 0x hex. */
wm_status wm_parse_double(const char *text, double *out);
wm_status wm_parse_int64(const char *text, int64_t *out);

#endif
