/* site.h - the site file (YAML 1.2 via libfyaml): interconnect, halls and PUE, ASIC fleets with
 * power-tuning curves, AI loads (firm inference, interruptible training), the power contract
 * (fixed, time-of-use or index energy; PPA block with sell-back; demand charge; ERCOT 4CP;
 * demand-response commitments), and how a site plus a price series becomes a dispatch problem.
 * One schema table (wm_site_schema_root) gives every key with its unit, default, bounds and help;
 * it drives parsing, validation, defaults and `wattmux dispatch --schema`. Sections are entries of
 * the root table, so the planner's `plan:` and the daemon's `serve:` sections are added by
 * appending one entry (and a struct member). Invariants: unknown keys, wrong types and values
 * outside bounds are errors with file:line:col; after a successful load every value lies
 * within its bounds, names are unique, references (hall, model) are resolved, tuning curves are
 * concave; the loader keeps no pointer into the YAML document. Units: docs/model-dispatch.md. */
#ifndef WM_SITE_H
#define WM_SITE_H

#include "asic.h"
#include "dispatch.h"
#include "param.h"
#include "site_serve.h"

#include <stdbool.h>
#include <stdio.h>

#define WM_SITE_NAME 64
#define WM_SITE_MAX_HALLS 16
#define WM_SITE_MAX_FLEETS 32
#define WM_SITE_MAX_INFERENCE 8
#define WM_SITE_MAX_TRAINING 8
#define WM_SITE_MAX_TOU 16
#define WM_SITE_MAX_DR 64
#define WM_SITE_MAX_CP 12
#define WM_SITE_MAX_CURVE 12
#define WM_SITE_MAX_BYTES (1024 * 1024)
#define WM_SITE_MAX_KV 128

typedef struct wm_site_hall {
    char name[WM_SITE_NAME];
    double pue;
} wm_site_hall;

typedef struct wm_site_point {
    double power_frac, hash_frac;
} wm_site_point;

typedef struct wm_site_fleet {
    char name[WM_SITE_NAME], hall[WM_SITE_NAME], model[WM_SITE_NAME];
    double count;
    double ramp_mw_per_min;     /* 0 = no limit */
    wm_site_point tuning[WM_SITE_MAX_CURVE];
    size_t ntuning;
    /* resolved by the loader */
    const wm_asic *asic;
    int hall_index;
    double facility_mw;         /* count * power * PUE */
    double value_usd_per_mwh;   /* hashprice net of pool fee per facility MWh at nominal efficiency */
} wm_site_fleet;

typedef struct wm_site_inference {
    char name[WM_SITE_NAME], hall[WM_SITE_NAME];
    double it_mw, value_usd_per_mwh; /* value per IT MWh */
    int hall_index;
} wm_site_inference;

typedef struct wm_site_training {
    char name[WM_SITE_NAME], hall[WM_SITE_NAME];
    double it_mw, value_usd_per_mwh, checkpoint_cost_usd, min_run_h, min_off_h, energy_mwh;
    bool running_at_start;
    int64_t deadline;           /* UTC s; 0 = end of the horizon */
    int hall_index;
} wm_site_training;

typedef struct wm_site_tou {
    double start_hour, end_hour; /* local [start, end) */
    bool weekdays_only;
    double price_usd_per_mwh;
} wm_site_tou;

typedef struct wm_site_dr {
    char name[WM_SITE_NAME];
    int64_t start, end;         /* UTC s, [start, end) */
    double limit_mw, credit_usd;
} wm_site_dr;

/* One entry of a section whose keys belong to a command's option table (the planner's `plan:`):
 * kept as text with its position, checked against that table by wm_site_kv_apply. */
typedef struct wm_site_kv {
    char key[64];
    char text[256];             /* scalar text; a sequence of scalars joined by commas */
    long line, col;             /* of the key */
    long vline, vcol;           /* of the value */
} wm_site_kv;

typedef enum wm_site_tz { WM_SITE_TZ_US_CENTRAL = 0, WM_SITE_TZ_UTC } wm_site_tz;
typedef enum wm_site_energy { WM_ENERGY_INDEX = 0, WM_ENERGY_FIXED, WM_ENERGY_TOU } wm_site_energy;

typedef struct wm_site {
    char source[WM_ERR_SRC];
    char name[WM_SITE_NAME];
    double interconnect_mw;
    int timezone;               /* wm_site_tz */
    wm_site_hall halls[WM_SITE_MAX_HALLS];
    size_t nhalls;
    /* mining economics */
    double hashprice_usd_per_ph_day; /* 0: derive from btc_price_usd, difficulty, subsidy, fees */
    double btc_price_usd, difficulty, subsidy_btc, fees_btc_per_block, pool_fee;
    wm_site_fleet fleets[WM_SITE_MAX_FLEETS];
    size_t nfleets;
    wm_site_inference inference[WM_SITE_MAX_INFERENCE];
    size_t ninference;
    wm_site_training training[WM_SITE_MAX_TRAINING];
    size_t ntraining;
    /* contract */
    int energy_type;            /* wm_site_energy */
    double adder_usd_per_mwh, fixed_usd_per_mwh, tou_default_usd_per_mwh;
    wm_site_tou tou[WM_SITE_MAX_TOU];
    size_t ntou;
    double ppa_mw, ppa_usd_per_mwh, sell_back_discount_usd_per_mwh;
    bool sell_back;
    double demand_usd_per_kw_month;
    double cp4_usd_per_kw_year;
    int64_t cp4_intervals[WM_SITE_MAX_CP];
    size_t ncp4;
    wm_site_dr dr[WM_SITE_MAX_DR];
    size_t ndr;
    /* `plan:` options of `wattmux plan` (keys of its option table; nested maps are flattened) */
    wm_site_kv plan[WM_SITE_MAX_KV];
    size_t nplan;
    /* derived */
    double hashprice_used_usd_per_ph_day;
    /* live operation (site_serve.h) */
    wm_site_serve serve;
} wm_site;

/* ---- the schema table ---- */
typedef enum wm_site_kind {
    WM_SK_NUM, WM_SK_BOOL, WM_SK_STR, WM_SK_ENUM, WM_SK_TIME, /* local "YYYY-MM-DD[ HH:MM]" */
    WM_SK_MAP,    /* nested mapping: fields of `sub`, same record */
    WM_SK_LIST,   /* sequence of records described by `sub` */
    WM_SK_CURVE,  /* sequence of [power_frac, hash_frac] pairs */
    WM_SK_TIMES,  /* sequence of local times */
    WM_SK_KV      /* mapping of option keys kept as text (wm_site_kv, count at count_offset) */
} wm_site_kind;

typedef struct wm_site_schema wm_site_schema;
typedef struct wm_site_field {
    const char *key;
    wm_site_kind kind;
    const char *unit;
    double def, min, max;       /* NUM: def NAN = required */
    bool required;              /* STR/TIME/MAP/LIST: must be present */
    size_t offset;              /* into the record */
    size_t count_offset;        /* LIST/CURVE/TIMES: size_t count; STR: long[2] for the value's
                                 * line and column (0 = not kept); STR capacity: max (0 = 64) */
    const wm_site_schema *sub;  /* MAP/LIST */
    const char *const *choices; /* ENUM: NULL-terminated names, stored as int index */
    const char *help;
} wm_site_field;

struct wm_site_schema {
    const char *name;
    size_t elem_size;           /* LIST element size */
    size_t max_items;           /* LIST capacity */
    const wm_site_field *fields; /* terminated by key == NULL */
};

extern const wm_site_schema wm_site_schema_root;
/* The serve: section (site_serve.c) and its checks against the loaded site. */
extern const wm_site_schema wm_site_serve_schema;
wm_status wm_site_serve_resolve(wm_site *s, wm_err *err);

/* Load (path "-" = stdin) or parse a buffer. */
wm_status wm_site_load(const char *path, wm_site *out, wm_err *err);
wm_status wm_site_parse(const char *buf, size_t len, const char *name, wm_site *out, wm_err *err);
/* Apply the entries kv[0..n) of a WM_SK_KV section to an option table: a key is an entry's JSON
 * key or its flag; entries already set (given on the command line) are left alone. Errors carry
 * the site file's line:col of the key (unknown key) or of the value (bad value). vals[i].str
 * points into kv, which must outlive vals. */
wm_status wm_site_kv_apply(const wm_site *s, const wm_site_kv *kv, size_t n, const wm_param *table, wm_value *vals,
                           wm_err *err);
/* Print the schema as an indented table (key, unit, default, bounds, help). */
void wm_site_schema_print(FILE *fp);

/* ---- from a site and prices to a dispatch problem ---- */
typedef struct wm_site_load_info {
    const char *name;
    const char *kind;           /* "asic", "inference", "training" */
    double max_mw;              /* facility MW */
} wm_site_load_info;

typedef struct wm_site_run {
    wm_dispatch_problem problem;   /* with demand response caps and credits */
    wm_dispatch_problem always_on; /* same, without demand response (baseline) */
    size_t n;
    double dt_h;
    int64_t *time;
    double *price;                 /* the index price series */
    double *buy, *sell, *cap, *cap_always, *c4;
    int *month;
    int64_t *month_start;          /* local month start (UTC s) per billing month */
    wm_site_load_info loads[WM_SITE_MAX_FLEETS + WM_SITE_MAX_INFERENCE + WM_SITE_MAX_TRAINING];
    int nloads;
    size_t dr_intervals, cp4_in_horizon;
} wm_site_run;

/* Build the problem for intervals time[0..n) of length dt_h with index prices price[] (USD/MWh). */
wm_status wm_site_run_new(const wm_site *s, const int64_t *time, const double *price, size_t n, double dt_h,
                          wm_site_run **out, wm_err *err);
void wm_site_run_free(wm_site_run *r);

/* Local wall-clock helpers for the site's zone. */
int64_t wm_site_to_local(const wm_site *s, int64_t utc);
wm_status wm_site_parse_local(const wm_site *s, const char *text, int64_t *utc);

#endif
