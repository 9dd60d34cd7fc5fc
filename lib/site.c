/* site.c - the site file loader: one schema table, a generic table-driven walk over the libfyaml
 * document, then resolution of references and derived values (see site.h). Invariants: every
 * error names file:line:col of the offending key or value and says what was expected; a failed
 * load leaves *out zeroed; aliases are refused (no expansion blow-up); the file size is limited. */
#include "site.h"

#include "btc.h"
#include "param.h"
#include "series.h"

#include <libfyaml.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ schema ---- */

#define NUM(k, u, d, lo, hi, field, h) {k, WM_SK_NUM, u, d, lo, hi, false, offsetof(REC, field), 0, NULL, NULL, h}
#define BOOLF(k, d, field, h) {k, WM_SK_BOOL, "", d, 0, 1, false, offsetof(REC, field), 0, NULL, NULL, h}
#define STR(k, req, field, h) {k, WM_SK_STR, "", NAN, 0, 0, req, offsetof(REC, field), 0, NULL, NULL, h}
#define ENUMF(k, ch, field, h) {k, WM_SK_ENUM, "", 0, 0, 0, false, offsetof(REC, field), 0, NULL, ch, h}
#define TIMEF(k, field, h) {k, WM_SK_TIME, "local time", 0, 0, 0, false, offsetof(REC, field), 0, NULL, NULL, h}
#define MAPF(k, sub, h) {k, WM_SK_MAP, "", 0, 0, 0, false, 0, 0, &sub, NULL, h}
#define LISTF(k, sub, arr, cnt, h) {k, WM_SK_LIST, "", 0, 0, 0, false, offsetof(REC, arr), offsetof(REC, cnt), &sub, NULL, h}
#define END {NULL, WM_SK_NUM, NULL, 0, 0, 0, false, 0, 0, NULL, NULL, NULL}

static const char *const tz_names[] = {"us-central", "utc", NULL};
static const char *const energy_names[] = {"index", "fixed", "tou", NULL};

#define REC wm_site_hall
static const wm_site_field hall_fields[] = {
    STR("name", true, name, "hall name, referred to by loads"),
    NUM("pue", "", 1.1, 1.0, 3.0, pue, "power usage effectiveness: facility power / IT power"),
    END};
#undef REC
static const wm_site_schema hall_schema = {"hall", sizeof(wm_site_hall), WM_SITE_MAX_HALLS, hall_fields};

#define REC wm_site_fleet
static const wm_site_field fleet_fields[] = {
    STR("name", true, name, "fleet name"),
    STR("hall", true, hall, "hall the machines are in"),
    STR("model", true, model, "ASIC model (wattmux btc asics lists them): s19xp, s21, ..."),
    NUM("count", "machines", NAN, 1, 1e7, count, "number of machines"),
    NUM("ramp_mw_per_min", "MW/min", 0, 0, 1e5, ramp_mw_per_min, "ramp limit of the fleet's power; 0 = none"),
    {"tuning", WM_SK_CURVE, "[power fraction, hashrate fraction]", 0, 0, 1, false, offsetof(wm_site_fleet, tuning),
     offsetof(wm_site_fleet, ntuning), NULL, NULL,
     "power-tuning curve, concave, ending at [1, 1]; (0, 0) is implied; default: linear (on/off)"},
    END};
#undef REC
static const wm_site_schema fleet_schema = {"fleet", sizeof(wm_site_fleet), WM_SITE_MAX_FLEETS, fleet_fields};

#define REC wm_site_inference
static const wm_site_field inference_fields[] = {
    STR("name", true, name, "load name"),
    STR("hall", true, hall, "hall"),
    NUM("it_mw", "MW", NAN, 0, 1e5, it_mw, "IT power, always served (firm)"),
    NUM("value_usd_per_mwh", "USD/MWh", 0, -1e6, 1e6, value_usd_per_mwh, "value of one IT MWh of inference"),
    END};
#undef REC
static const wm_site_schema inference_schema = {"inference", sizeof(wm_site_inference), WM_SITE_MAX_INFERENCE,
                                                inference_fields};

#define REC wm_site_training
static const wm_site_field training_fields[] = {
    STR("name", true, name, "load name"),
    STR("hall", true, hall, "hall"),
    NUM("it_mw", "MW", NAN, 0, 1e5, it_mw, "IT power when running (on/off)"),
    NUM("value_usd_per_mwh", "USD/MWh", NAN, -1e6, 1e6, value_usd_per_mwh, "value of one IT MWh of training"),
    NUM("checkpoint_cost_usd", "USD", 0, 0, 1e9, checkpoint_cost_usd, "cost of one interruption (checkpoint, restart)"),
    NUM("min_run_h", "h", 0, 0, 8760, min_run_h, "minimum time on once started"),
    NUM("min_off_h", "h", 0, 0, 8760, min_off_h, "minimum time off once stopped"),
    BOOLF("running_at_start", 1, running_at_start, "the job runs when the horizon starts"),
    NUM("energy_mwh", "MWh", 0, 0, 1e9, energy_mwh, "IT energy to deliver by the deadline; 0 = none"),
    TIMEF("deadline", deadline, "deadline for energy_mwh (local time); default: end of the horizon"),
    END};
#undef REC
static const wm_site_schema training_schema = {"training", sizeof(wm_site_training), WM_SITE_MAX_TRAINING,
                                               training_fields};

#define REC wm_site_tou
static const wm_site_field tou_fields[] = {
    NUM("start_hour", "h", NAN, 0, 24, start_hour, "local hour the period starts"),
    NUM("end_hour", "h", NAN, 0, 24, end_hour, "local hour it ends (exclusive); may wrap past midnight"),
    BOOLF("weekdays_only", 0, weekdays_only, "only Monday to Friday"),
    NUM("price_usd_per_mwh", "USD/MWh", NAN, -1e4, 1e5, price_usd_per_mwh, "energy price in the period"),
    END};
#undef REC
static const wm_site_schema tou_schema = {"period", sizeof(wm_site_tou), WM_SITE_MAX_TOU, tou_fields};

#define REC wm_site_dr
static const wm_site_field dr_fields[] = {
    STR("name", false, name, "event or programme name"),
    {"start", WM_SK_TIME, "local time", 0, 0, 0, true, offsetof(wm_site_dr, start), 0, NULL, NULL, "start of the window"},
    {"end", WM_SK_TIME, "local time", 0, 0, 0, true, offsetof(wm_site_dr, end), 0, NULL, NULL, "end (exclusive)"},
    NUM("limit_mw", "MW", NAN, 0, 1e5, limit_mw, "site load limit during the window"),
    NUM("credit_usd", "USD", 0, 0, 1e10, credit_usd, "credit earned for the commitment"),
    END};
#undef REC
static const wm_site_schema dr_schema = {"commitment", sizeof(wm_site_dr), WM_SITE_MAX_DR, dr_fields};

#define REC wm_site
static const wm_site_field site_fields[] = {
    STR("name", false, name, "site name"),
    NUM("interconnect_mw", "MW", NAN, 0.001, 1e5, interconnect_mw, "interconnect capacity; never exceeded"),
    ENUMF("timezone", tz_names, timezone, "local time of the contract and of times in this file"),
    END};
static const wm_site_field mining_fields[] = {
    NUM("hashprice_usd_per_ph_day", "USD/PH/day", 0, 0, 1e6, hashprice_usd_per_ph_day,
        "gross hashprice; 0 = derive from btc_price_usd, difficulty, subsidy and fees"),
    NUM("btc_price_usd", "USD/BTC", 0, 0, 1e8, btc_price_usd, "BTC price (when deriving hashprice)"),
    NUM("difficulty", "", 0, 0, 1e18, difficulty, "network difficulty (when deriving hashprice)"),
    NUM("subsidy_btc", "BTC/block", 3.125, 0, 50, subsidy_btc, "block subsidy"),
    NUM("fees_btc_per_block", "BTC/block", 0, 0, 100, fees_btc_per_block, "average fees per block"),
    NUM("pool_fee", "fraction", 0, 0, 0.5, pool_fee, "pool fee taken from the gross hashprice"),
    END};
static const wm_site_field ai_fields[] = {
    LISTF("inference", inference_schema, inference, ninference, "firm inference loads"),
    LISTF("training", training_schema, training, ntraining, "interruptible training loads"),
    END};
static const wm_site_field energy_fields[] = {
    ENUMF("type", energy_names, energy_type, "index (price series + adder), fixed, or tou"),
    NUM("adder_usd_per_mwh", "USD/MWh", 0, 0, 1e4, adder_usd_per_mwh, "index: added to the price series"),
    NUM("price_usd_per_mwh", "USD/MWh", 0, -1e4, 1e5, fixed_usd_per_mwh, "fixed: the energy price"),
    NUM("default_usd_per_mwh", "USD/MWh", 0, -1e4, 1e5, tou_default_usd_per_mwh, "tou: price outside the periods"),
    LISTF("periods", tou_schema, tou, ntou, "tou: periods, first match wins"),
    END};
static const wm_site_field ppa_fields[] = {
    NUM("block_mw", "MW", 0, 0, 1e5, ppa_mw, "fixed-price block (take or pay)"),
    NUM("price_usd_per_mwh", "USD/MWh", 0, -1e4, 1e5, ppa_usd_per_mwh, "block price"),
    BOOLF("sell_back", 0, sell_back, "unused block energy is sold at the index price"),
    NUM("sell_back_discount_usd_per_mwh", "USD/MWh", 0, 0, 1e4, sell_back_discount_usd_per_mwh,
        "taken off the index price on sales"),
    END};
static const wm_site_field cp4_fields[] = {
    NUM("rate_usd_per_kw_year", "USD/kW-yr", 0, 0, 1e4, cp4_usd_per_kw_year,
        "transmission charge on the mean load in the 4 coincident peaks"),
    {"intervals", WM_SK_TIMES, "local time", 0, 0, 0, false, offsetof(wm_site, cp4_intervals), offsetof(wm_site, ncp4),
     NULL, NULL, "start of each 4CP interval (local)"},
    END};
#undef REC
static const wm_site_schema site_schema = {"site", 0, 0, site_fields};
static const wm_site_schema mining_schema = {"mining", 0, 0, mining_fields};
static const wm_site_schema ai_schema = {"ai", 0, 0, ai_fields};
static const wm_site_schema energy_schema = {"energy", 0, 0, energy_fields};
static const wm_site_schema ppa_schema = {"ppa", 0, 0, ppa_fields};
static const wm_site_schema cp4_schema = {"cp4", 0, 0, cp4_fields};
#define REC wm_site
static const wm_site_field contract_fields[] = {
    MAPF("energy", energy_schema, "energy purchases"),
    MAPF("ppa", ppa_schema, "fixed-price PPA block"),
    NUM("demand_charge_usd_per_kw_month", "USD/kW-month", 0, 0, 1e4, demand_usd_per_kw_month,
        "on the monthly peak load"),
    MAPF("cp4", cp4_schema, "ERCOT 4CP transmission charge"),
    LISTF("demand_response", dr_schema, dr, ndr, "commitments: limit the load in a window for a credit"),
    END};
static const wm_site_schema contract_schema = {"contract", 0, 0, contract_fields};
/* The root: one entry per section. New sections (plan:, serve:) are appended here. */
static const wm_site_field root_fields[] = {
    {"site", WM_SK_MAP, "", 0, 0, 0, true, 0, 0, &site_schema, NULL, "the site"},
    LISTF("halls", hall_schema, halls, nhalls, "halls with their PUE"),
    MAPF("mining", mining_schema, "value of hashing"),
    LISTF("fleets", fleet_schema, fleets, nfleets, "ASIC fleets"),
    MAPF("ai", ai_schema, "AI loads"),
    {"contract", WM_SK_MAP, "", 0, 0, 0, true, 0, 0, &contract_schema, NULL, "the power contract"},
    {"plan", WM_SK_KV, "", 0, 0, 0, false, offsetof(wm_site, plan), offsetof(wm_site, nplan), NULL, NULL,
     "options of `wattmux plan` by their JSON keys (wattmux plan --help); nested maps are flattened"},
    MAPF("serve", wm_site_serve_schema, "live operation: wattmux serve (site_serve.h, docs/control.md)"),
    END};
#undef REC
const wm_site_schema wm_site_schema_root = {"root", 0, 0, root_fields};

/* ------------------------------------------------------------------ walking ---- */

typedef struct ctx {
    const char *src;
    wm_site *site;
    wm_err *err;
} ctx;

static void node_pos(struct fy_node *n, long *line, long *col)
{
    *line = *col = 0;
    struct fy_token *t = n ? fy_node_get_scalar_token(n) : NULL;
    if (t) {
        const struct fy_mark *m = fy_token_start_mark(t);
        if (m) {
            *line = m->line + 1;
            *col = m->column + 1;
        }
    }
}

static wm_status fail_at(ctx *c, struct fy_node *n, long line, long col, wm_status st, const char *fmt, const char *a,
                         const char *b)
{
    if (n)
        node_pos(n, &line, &col);
    char msg[WM_ERR_MSG];
    snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
    return wm_err_set(c->err, st, c->src, line, col, "%s", msg);
}

static void set_defaults(const wm_site_schema *s, char *rec)
{
    for (const wm_site_field *f = s->fields; f->key; f++) {
        switch (f->kind) {
        case WM_SK_NUM:
            *(double *)(rec + f->offset) = f->def;
            break;
        case WM_SK_BOOL:
            *(bool *)(rec + f->offset) = f->def != 0;
            break;
        case WM_SK_ENUM:
            *(int *)(rec + f->offset) = 0;
            break;
        case WM_SK_MAP:
            set_defaults(f->sub, rec);
            break;
        default:
            break;
        }
    }
}

static const char *scalar(struct fy_node *n, char *buf, size_t cap)
{
    size_t len;
    const char *s = fy_node_get_scalar(n, &len);
    if (!s || len >= cap)
        return NULL;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

static wm_status walk_map(ctx *c, const wm_site_schema *s, struct fy_node *map, char *rec, long line, long col,
                          const char *where);

static wm_status parse_time(ctx *c, struct fy_node *v, const char *key, int64_t *out)
{
    char buf[64];
    if (fy_node_get_type(v) != FYNT_SCALAR || !scalar(v, buf, sizeof buf))
        return fail_at(c, v, 0, 0, WM_EPARSE, "%s: expected a local time \"YYYY-MM-DD HH:MM\"%s", key, NULL);
    if (wm_site_parse_local(c->site, buf, out) != WM_OK)
        return fail_at(c, v, 0, 0, WM_EPARSE, "%s: expected a local time \"YYYY-MM-DD HH:MM\", got '%s'", key, buf);
    return WM_OK;
}

static wm_status parse_num(ctx *c, struct fy_node *v, const wm_site_field *f, double *out)
{
    char buf[64];
    if (fy_node_get_type(v) != FYNT_SCALAR || fy_node_is_alias(v) || !scalar(v, buf, sizeof buf) ||
        wm_parse_double(buf, out) != WM_OK) {
        char exp[128];
        snprintf(exp, sizeof exp, "%s: expected a number%s%s", f->key, f->unit[0] ? " in " : "", f->unit);
        return fail_at(c, v, 0, 0, WM_EPARSE, "%s%s", exp, NULL);
    }
    if (*out < f->min || *out > f->max) {
        char m[160];
        snprintf(m, sizeof m, "%s: %g %s is outside [%g, %g]", f->key, *out, f->unit, f->min, f->max);
        return fail_at(c, v, 0, 0, WM_ERANGE, "%s%s", m, NULL);
    }
    return WM_OK;
}

/* A WM_SK_KV mapping: scalars, sequences of scalars (joined by commas) and nested mappings
 * (flattened: only leaf keys count), kept as text for the command that owns the section. */
static wm_status walk_kv(ctx *c, struct fy_node *map, wm_site_kv *kv, size_t *n, const char *where)
{
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *k = fy_node_pair_key(pr), *v = fy_node_pair_value(pr);
        char key[64];
        long kl, kc;
        node_pos(k, &kl, &kc);
        if (!k || fy_node_get_type(k) != FYNT_SCALAR || !scalar(k, key, sizeof key))
            return fail_at(c, k, 0, 0, WM_EPARSE, "%s: expected a plain key%s", where, NULL);
        if (!v || fy_node_is_alias(v))
            return fail_at(c, v, kl, kc, WM_EPARSE, "%s: expected a value (aliases are not supported)%s", key, NULL);
        if (fy_node_get_type(v) == FYNT_MAPPING) {
            wm_status st = walk_kv(c, v, kv, n, key);
            if (st != WM_OK)
                return st;
            continue;
        }
        if (*n >= WM_SITE_MAX_KV)
            return fail_at(c, k, 0, 0, WM_ERANGE, "%s: more than 128 entries%s", where, NULL);
        wm_site_kv *e = &kv[(*n)++];
        memset(e, 0, sizeof *e);
        snprintf(e->key, sizeof e->key, "%s", key);
        e->line = kl;
        e->col = kc;
        node_pos(v, &e->vline, &e->vcol);
        if (fy_node_get_type(v) == FYNT_SCALAR) {
            if (!scalar(v, e->text, sizeof e->text))
                return fail_at(c, v, kl, kc, WM_EPARSE, "%s: expected a value of at most 255 bytes%s", key, NULL);
            continue;
        }
        /* a sequence of scalars: "a,b,c" */
        if (fy_node_sequence_item_count(v) > 0)
            node_pos(fy_node_sequence_get_by_index(v, 0), &e->vline, &e->vcol);
        void *it2 = NULL;
        struct fy_node *item;
        while ((item = fy_node_sequence_iterate(v, &it2))) {
            char buf[256];
            if (fy_node_get_type(item) != FYNT_SCALAR || !scalar(item, buf, sizeof buf))
                return fail_at(c, item, kl, kc, WM_EPARSE, "%s: expected a list of plain values%s", key, NULL);
            size_t len = strlen(e->text);
            if (len + strlen(buf) + 2 > sizeof e->text)
                return fail_at(c, item, kl, kc, WM_EPARSE, "%s: the list is longer than 255 bytes%s", key, NULL);
            if (len)
                e->text[len++] = ',';
            memcpy(e->text + len, buf, strlen(buf) + 1); /* fits: checked above */
        }
    }
    return WM_OK;
}

wm_status wm_site_kv_apply(const wm_site *s, const wm_site_kv *kv, size_t n, const wm_param *t, wm_value *vals,
                           wm_err *err)
{
    for (size_t k = 0; k < n; k++) {
        const wm_site_kv *e = &kv[k];
        int i = 0;
        for (; t[i].flag; i++)
            if (!strcmp(t[i].key, e->key) || !strcmp(t[i].flag, e->key))
                break;
        if (!t[i].flag)
            return wm_err_set(err, WM_EPARSE, s->source, e->line, e->col,
                              "unknown key '%s' (expected an option of the command, by its JSON key or flag: "
                              "see --help)", e->key);
        if (vals[i].set)
            continue; /* the command line wins */
        wm_err pe;
        wm_err_clear(&pe);
        wm_status st;
        if (t[i].kind == WM_PARAM_FLAG) {
            bool on = !strcmp(e->text, "true") || !strcmp(e->text, "yes") || !strcmp(e->text, "on");
            if (!on && strcmp(e->text, "false") && strcmp(e->text, "no") && strcmp(e->text, "off"))
                return wm_err_set(err, WM_EPARSE, s->source, e->vline, e->vcol, "%s: expected true or false, got '%s'",
                                  e->key, e->text);
            vals[i].num = on ? 1.0 : 0.0;
            vals[i].set = true;
            continue;
        }
        if ((st = wm_param_set(t, i, e->text, vals, &pe)) != WM_OK)
            return wm_err_set(err, st, s->source, e->vline, e->vcol, "%s: %s", e->key, pe.msg);
    }
    return WM_OK;
}

static wm_status walk_field(ctx *c, const wm_site_field *f, struct fy_node *k, struct fy_node *v, char *rec)
{
    long kl, kc;
    node_pos(k, &kl, &kc);
    if (v && fy_node_is_alias(v))
        return fail_at(c, v, kl, kc, WM_EPARSE, "%s: aliases are not supported%s", f->key, NULL);
    enum fy_node_type ty = v ? fy_node_get_type(v) : FYNT_SCALAR;
    switch (f->kind) {
    case WM_SK_KV:
        if (!v || ty != FYNT_MAPPING)
            return fail_at(c, v, kl, kc, WM_EPARSE, "%s: expected a mapping of option keys%s", f->key, NULL);
        return walk_kv(c, v, (wm_site_kv *)(rec + f->offset), (size_t *)(rec + f->count_offset), f->key);
    case WM_SK_NUM:
        return parse_num(c, v, f, (double *)(rec + f->offset));
    case WM_SK_BOOL: {
        char buf[16];
        const char *s = ty == FYNT_SCALAR && v ? scalar(v, buf, sizeof buf) : NULL;
        if (s && (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")))
            *(bool *)(rec + f->offset) = true;
        else if (s && (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off")))
            *(bool *)(rec + f->offset) = false;
        else
            return fail_at(c, v, kl, kc, WM_EPARSE, "%s: expected true or false%s", f->key, NULL);
        return WM_OK;
    }
    case WM_SK_STR: {
        char *dst = rec + f->offset;
        size_t cap = f->max > 0 ? (size_t)f->max : WM_SITE_NAME;
        if (!v || ty != FYNT_SCALAR || !scalar(v, dst, cap) || !dst[0]) {
            char m[96];
            snprintf(m, sizeof m, "%s: expected a non-empty text of at most %zu bytes", f->key, cap - 1);
            return fail_at(c, v, kl, kc, WM_EPARSE, "%s%s", m, NULL);
        }
        if (f->count_offset)
            node_pos(v, (long *)(rec + f->count_offset), (long *)(rec + f->count_offset) + 1);
        return WM_OK;
    }
    case WM_SK_ENUM: {
        char buf[32];
        const char *s = v && ty == FYNT_SCALAR ? scalar(v, buf, sizeof buf) : NULL;
        for (int i = 0; s && f->choices[i]; i++)
            if (!strcasecmp(s, f->choices[i])) {
                *(int *)(rec + f->offset) = i;
                return WM_OK;
            }
        char list[128] = "";
        for (int i = 0; f->choices[i]; i++) {
            strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
            strncat(list, f->choices[i], sizeof list - strlen(list) - 1);
        }
        return fail_at(c, v, kl, kc, WM_EPARSE, "%s: expected one of %s", f->key, list);
    }
    case WM_SK_TIME:
        if (!v)
            return fail_at(c, NULL, kl, kc, WM_EPARSE, "%s: expected a local time%s", f->key, NULL);
        return parse_time(c, v, f->key, (int64_t *)(rec + f->offset));
    case WM_SK_MAP:
        if (!v || ty != FYNT_MAPPING)
            return fail_at(c, NULL, kl, kc, WM_EPARSE, "%s: expected a mapping (key: value lines)%s", f->key, NULL);
        return walk_map(c, f->sub, v, rec, kl, kc, f->key);
    case WM_SK_LIST:
    case WM_SK_CURVE:
    case WM_SK_TIMES: {
        if (!v || ty != FYNT_SEQUENCE)
            return fail_at(c, NULL, kl, kc, WM_EPARSE, "%s: expected a list%s", f->key, NULL);
        size_t *count = (size_t *)(rec + f->count_offset);
        size_t max = f->kind == WM_SK_LIST ? f->sub->max_items
                     : f->kind == WM_SK_CURVE ? WM_SITE_MAX_CURVE
                                              : WM_SITE_MAX_CP;
        *count = 0;
        void *it = NULL;
        struct fy_node *e;
        while ((e = fy_node_sequence_iterate(v, &it))) {
            if (*count >= max) {
                char m[96];
                snprintf(m, sizeof m, "%s: at most %zu items", f->key, max);
                return fail_at(c, NULL, kl, kc, WM_ELIMIT, "%s%s", m, NULL);
            }
            if (fy_node_is_alias(e))
                return fail_at(c, e, kl, kc, WM_EPARSE, "%s: aliases are not supported%s", f->key, NULL);
            if (f->kind == WM_SK_LIST) {
                char *elem = rec + f->offset + *count * f->sub->elem_size;
                memset(elem, 0, f->sub->elem_size);
                set_defaults(f->sub, elem);
                if (fy_node_get_type(e) != FYNT_MAPPING)
                    return fail_at(c, e, kl, kc, WM_EPARSE, "%s: each item must be a mapping (- key: value)%s", f->key,
                                   NULL);
                wm_status st = walk_map(c, f->sub, e, elem, kl, kc, f->key);
                if (st != WM_OK)
                    return st;
            } else if (f->kind == WM_SK_TIMES) {
                wm_status st = parse_time(c, e, f->key, (int64_t *)(rec + f->offset) + *count);
                if (st != WM_OK)
                    return st;
            } else {
                wm_site_point *pt = (wm_site_point *)(rec + f->offset) + *count;
                if (fy_node_get_type(e) != FYNT_SEQUENCE || fy_node_sequence_item_count(e) != 2)
                    return fail_at(c, e, kl, kc, WM_EPARSE, "%s: each point is [power_fraction, hashrate_fraction]%s",
                                   f->key, NULL);
                static const wm_site_field frac = {"tuning point", WM_SK_NUM, "fraction", 0, 0, 1.5, false, 0, 0, NULL, NULL, ""};
                wm_status st = parse_num(c, fy_node_sequence_get_by_index(e, 0), &frac, &pt->power_frac);
                if (st == WM_OK)
                    st = parse_num(c, fy_node_sequence_get_by_index(e, 1), &frac, &pt->hash_frac);
                if (st != WM_OK)
                    return st;
            }
            (*count)++;
        }
        return WM_OK;
    }
    }
    return WM_EINVAL;
}

static wm_status walk_map(ctx *c, const wm_site_schema *s, struct fy_node *map, char *rec, long line, long col,
                          const char *where)
{
    bool seen[64] = {false};
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *k = fy_node_pair_key(pr), *v = fy_node_pair_value(pr);
        char key[64];
        if (!k || fy_node_get_type(k) != FYNT_SCALAR || !scalar(k, key, sizeof key))
            return fail_at(c, k, line, col, WM_EPARSE, "%s: expected a plain key%s", where, NULL);
        int i = 0;
        const wm_site_field *f = s->fields;
        for (; f->key && strcmp(f->key, key) != 0; f++)
            i++;
        if (!f->key) {
            char list[512] = "";
            for (const wm_site_field *g = s->fields; g->key; g++) {
                strncat(list, g != s->fields ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, g->key, sizeof list - strlen(list) - 1);
            }
            char m[160];
            snprintf(m, sizeof m, "unknown key '%s' in %s (expected one of: ", key, where);
            return fail_at(c, k, line, col, WM_EPARSE, "%s%s)", m, list);
        }
        seen[i] = true;
        wm_status st = walk_field(c, f, k, v, rec);
        if (st != WM_OK)
            return st;
    }
    int i = 0;
    for (const wm_site_field *f = s->fields; f->key; f++, i++) {
        bool req = f->required || (f->kind == WM_SK_NUM && isnan(f->def));
        if (req && !seen[i]) {
            char m[160];
            snprintf(m, sizeof m, "%s: missing required key '%s' (%s%s%s)", where, f->key, f->help,
                     f->unit[0] ? ", " : "", f->unit);
            return fail_at(c, NULL, line, col, WM_EPARSE, "%s%s", m, NULL);
        }
    }
    return WM_OK;
}

/* ------------------------------------------------------------------ resolve ---- */

static int find_hall(const wm_site *s, const char *name)
{
    for (size_t i = 0; i < s->nhalls; i++)
        if (!strcmp(s->halls[i].name, name))
            return (int)i;
    return -1;
}

static wm_status resolve(ctx *c)
{
    wm_site *s = c->site;
    const char *src = c->src;
    wm_err *err = c->err;
    /* unique names */
    const char *names[WM_SITE_MAX_FLEETS + WM_SITE_MAX_INFERENCE + WM_SITE_MAX_TRAINING];
    size_t nn = 0;
    for (size_t i = 0; i < s->nfleets; i++)
        names[nn++] = s->fleets[i].name;
    for (size_t i = 0; i < s->ninference; i++)
        names[nn++] = s->inference[i].name;
    for (size_t i = 0; i < s->ntraining; i++)
        names[nn++] = s->training[i].name;
    for (size_t i = 0; i < nn; i++)
        for (size_t j = i + 1; j < nn; j++)
            if (!strcmp(names[i], names[j]))
                return wm_err_set(err, WM_EINVAL, src, 0, 0, "load name '%s' is used twice", names[i]);
    for (size_t i = 0; i < s->nhalls; i++)
        for (size_t j = i + 1; j < s->nhalls; j++)
            if (!strcmp(s->halls[i].name, s->halls[j].name))
                return wm_err_set(err, WM_EINVAL, src, 0, 0, "hall name '%s' is used twice", s->halls[i].name);
    if (nn == 0)
        return wm_err_set(err, WM_EINVAL, src, 0, 0, "the site has no loads: add fleets: or ai: entries");
    /* hashprice */
    double hp = s->hashprice_usd_per_ph_day;
    if (!(hp > 0) && s->nfleets > 0) {
        if (!(s->btc_price_usd > 0) || !(s->difficulty > 0))
            return wm_err_set(err, WM_EINVAL, src, 0, 0,
                              "mining: give hashprice_usd_per_ph_day, or btc_price_usd and difficulty to derive it");
        wm_hashprice h;
        wm_status st = wm_btc_hashprice(s->difficulty, s->btc_price_usd, s->subsidy_btc, s->fees_btc_per_block, &h);
        if (st != WM_OK)
            return wm_err_set(err, st, src, 0, 0, "mining: cannot derive the hashprice from these values");
        hp = h.usd_per_ph_day;
    }
    s->hashprice_used_usd_per_ph_day = hp;
    double total = 0, firm = 0;
    for (size_t i = 0; i < s->nfleets; i++) {
        wm_site_fleet *f = &s->fleets[i];
        f->hall_index = find_hall(s, f->hall);
        if (f->hall_index < 0)
            return wm_err_set(err, WM_ENOTFOUND, src, 0, 0, "fleet '%s': unknown hall '%s'", f->name, f->hall);
        wm_err e2;
        if (wm_asic_find(f->model, &f->asic, &e2) != WM_OK)
            return wm_err_set(err, WM_ENOTFOUND, src, 0, 0, "fleet '%s': unknown ASIC model '%s'", f->name, f->model);
        double pue = s->halls[f->hall_index].pue;
        f->facility_mw = f->count * f->asic->power_w * pue / 1e6;
        double eff = f->asic->power_w / f->asic->hashrate_th_s;
        /* USD per facility MWh = net hashprice / (facility MWh per PH-day at the nominal efficiency);
         * wm_btc_hashcost at 1 USD/MWh gives that MWh figure (docs/model-dispatch.md). */
        f->value_usd_per_mwh = hp * (1 - s->pool_fee) / wm_btc_hashcost_usd_per_ph_day(eff, 1.0, pue);
        double pf = 0, pg = 0, slope = INFINITY;
        for (size_t k = 0; k < f->ntuning; k++) {
            double df = f->tuning[k].power_frac - pf, dg = f->tuning[k].hash_frac - pg;
            if (!(df > 0) || dg < 0)
                return wm_err_set(err, WM_EINVAL, src, 0, 0,
                                  "fleet '%s': tuning point %zu must raise power and not lower hashrate", f->name, k + 1);
            if (dg / df > slope + 1e-12)
                return wm_err_set(err, WM_EINVAL, src, 0, 0,
                                  "fleet '%s': tuning curve must be concave (efficiency improves when underclocked); point %zu breaks it",
                                  f->name, k + 1);
            slope = dg / df;
            pf = f->tuning[k].power_frac;
            pg = f->tuning[k].hash_frac;
        }
        if (f->ntuning > 0 && (fabs(pf - 1) > 1e-12 || fabs(pg - 1) > 1e-12))
            return wm_err_set(err, WM_EINVAL, src, 0, 0, "fleet '%s': tuning curve must end at [1, 1] (nominal)", f->name);
        if (f->ntuning > 1 && f->ramp_mw_per_min > 0)
            return wm_err_set(err, WM_EUNSUPPORTED, src, 0, 0,
                              "fleet '%s': a ramp limit with a multi-point tuning curve is not supported", f->name);
        total += f->facility_mw;
    }
    for (size_t i = 0; i < s->ninference; i++) {
        s->inference[i].hall_index = find_hall(s, s->inference[i].hall);
        if (s->inference[i].hall_index < 0)
            return wm_err_set(err, WM_ENOTFOUND, src, 0, 0, "inference '%s': unknown hall '%s'", s->inference[i].name,
                              s->inference[i].hall);
        firm += s->inference[i].it_mw * s->halls[s->inference[i].hall_index].pue;
    }
    for (size_t i = 0; i < s->ntraining; i++) {
        s->training[i].hall_index = find_hall(s, s->training[i].hall);
        if (s->training[i].hall_index < 0)
            return wm_err_set(err, WM_ENOTFOUND, src, 0, 0, "training '%s': unknown hall '%s'", s->training[i].name,
                              s->training[i].hall);
    }
    if (firm > s->interconnect_mw)
        return wm_err_set(err, WM_EINFEASIBLE, src, 0, 0, "firm inference needs %g MW, the interconnect has %g MW", firm,
                          s->interconnect_mw);
    for (size_t i = 0; i < s->ndr; i++) {
        if (s->dr[i].end <= s->dr[i].start)
            return wm_err_set(err, WM_EINVAL, src, 0, 0, "demand response '%s': end must be after start", s->dr[i].name);
        if (s->dr[i].limit_mw + 1e-9 < firm)
            return wm_err_set(err, WM_EINFEASIBLE, src, 0, 0,
                              "demand response '%s': limit %g MW is below the firm inference load %g MW", s->dr[i].name,
                              s->dr[i].limit_mw, firm);
    }
    if (s->energy_type == WM_ENERGY_TOU) {
        for (size_t i = 0; i < s->ntou; i++)
            if (s->tou[i].start_hour == s->tou[i].end_hour)
                return wm_err_set(err, WM_EINVAL, src, 0, 0, "tou period %zu: start_hour equals end_hour", i + 1);
    }
    (void)total;
    return wm_site_serve_resolve(s, err);
}

/* ------------------------------------------------------------------ entry points ---- */

/* libfyaml reports through this callback; the first error's text is kept. (Collecting errors
 * with fy_diag_set_collect_errors leaks in libfyaml 0.7 when a document fails to build.) */
typedef struct diag_sink {
    char text[WM_ERR_MSG];
    bool have;
} diag_sink;

static void diag_out(struct fy_diag *d, void *u, const char *b, size_t l)
{
    (void)d;
    diag_sink *k = u;
    if (!k || k->have || !b)
        return;
    size_t n = l < sizeof k->text - 1 ? l : sizeof k->text - 1;
    memcpy(k->text, b, n);
    k->text[n] = '\0';
    k->have = true;
}

/* Site files are UTF-8 text. libfyaml 0.7 can loop forever on some invalid UTF-8 (found by
 * fuzz_site), so the bytes are checked first: well-formed UTF-8 (no overlongs, surrogates or
 * code points above U+10FFFF), no NUL or other C0 controls except tab, LF and CR. */
static wm_status check_text(const unsigned char *b, size_t len, const char *src, wm_err *err)
{
    long line = 1, col = 1;
    size_t i = 0;
    while (i < len) {
        unsigned c = b[i];
        size_t n = 0;
        unsigned cp = 0;
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                return wm_err_set(err, WM_EPARSE, src, line, col, "control character 0x%02x: expected YAML text", c);
            n = 1;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            cp = c & 0x07;
        } else {
            return wm_err_set(err, WM_EPARSE, src, line, col, "invalid UTF-8 byte 0x%02x: expected UTF-8 text", c);
        }
        if (n > 1) {
            if (i + n > len)
                return wm_err_set(err, WM_EPARSE, src, line, col, "truncated UTF-8 sequence: expected UTF-8 text");
            for (size_t k = 1; k < n; k++) {
                if ((b[i + k] & 0xc0) != 0x80)
                    return wm_err_set(err, WM_EPARSE, src, line, col, "invalid UTF-8 sequence: expected UTF-8 text");
                cp = (cp << 6) | (b[i + k] & 0x3f);
            }
            if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
                return wm_err_set(err, WM_EPARSE, src, line, col, "invalid UTF-8 code point: expected UTF-8 text");
        }
        if (c == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
        i += n;
    }
    return WM_OK;
}

wm_status wm_site_parse(const char *buf, size_t len, const char *name, wm_site *out, wm_err *err)
{
    memset(out, 0, sizeof *out);
    const char *src = name ? name : "<site>";
    if (len > WM_SITE_MAX_BYTES)
        return wm_err_set(err, WM_ELIMIT, src, 0, 0, "site file larger than %d bytes", WM_SITE_MAX_BYTES);
    wm_status cst = check_text((const unsigned char *)buf, len, src, err);
    if (cst != WM_OK)
        return cst;
    wm_site *s = calloc(1, sizeof *s);
    if (!s)
        return WM_ENOMEM;
    snprintf(s->source, sizeof s->source, "%s", src);
    set_defaults(&wm_site_schema_root, (char *)s);
    diag_sink sink = {.have = false};
    struct fy_diag_cfg dc;
    fy_diag_cfg_default(&dc);
    dc.fp = NULL;
    dc.output_fn = diag_out;
    dc.user = &sink;
    dc.colorize = false;
    dc.show_source = false;
    dc.show_position = true;
    dc.show_type = false;
    dc.show_module = false;
    dc.position_width = 0;
    dc.level = FYET_ERROR;
    struct fy_diag *diag = fy_diag_create(&dc);
    if (!diag) {
        free(s);
        return WM_ENOMEM;
    }
    struct fy_parse_cfg pc = {.search_path = NULL, .flags = FYPCF_QUIET, .userdata = NULL, .diag = diag};
    struct fy_document *doc = fy_document_build_from_string(&pc, buf, len);
    wm_status st = WM_OK;
    if (!doc) {
        /* "<input>:<line>:<col>: error: message" (1-based); the input name is libfyaml's own */
        int line = 0, col = 0;
        char *m = sink.text, *e = strstr(sink.text, ": error: ");
        if (e) {
            *e = '\0';
            m = e + 9;
            char *c2 = strrchr(sink.text, ':');
            if (c2) {
                col = atoi(c2 + 1);
                *c2 = '\0';
                char *c1 = strrchr(sink.text, ':');
                line = c1 ? atoi(c1 + 1) : 0;
            }
        }
        size_t ml = strlen(m);
        while (ml > 0 && (m[ml - 1] == '\n' || m[ml - 1] == ' '))
            ml--;
        if (sink.have && ml > 0)
            st = wm_err_set(err, WM_EPARSE, src, line, col, "YAML: %.*s", (int)ml, m);
        else
            st = wm_err_set(err, WM_EPARSE, src, 0, 0, "YAML: cannot parse the document");
        fy_diag_unref(diag);
        free(s);
        return st;
    }
    ctx c = {.src = src, .site = s, .err = err};
    struct fy_node *root = fy_document_root(doc);
    if (!root || fy_node_get_type(root) != FYNT_MAPPING)
        st = wm_err_set(err, WM_EPARSE, src, 1, 1, "expected a mapping with the sections site:, contract:, ...");
    else
        st = walk_map(&c, &wm_site_schema_root, root, (char *)s, 1, 1, "the site file");
    fy_document_destroy(doc);
    fy_diag_unref(diag);
    if (st == WM_OK)
        st = resolve(&c);
    if (st == WM_OK)
        *out = *s;
    free(s);
    return st;
}

wm_status wm_site_load(const char *path, wm_site *out, wm_err *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return wm_err_set(err, WM_EIO, path, 0, 0, "cannot open the site file");
    char *buf = malloc(WM_SITE_MAX_BYTES + 1);
    if (!buf) {
        if (f != stdin)
            fclose(f);
        return WM_ENOMEM;
    }
    size_t len = fread(buf, 1, WM_SITE_MAX_BYTES + 1, f);
    bool bad = ferror(f);
    if (f != stdin)
        fclose(f);
    wm_status st;
    if (bad)
        st = wm_err_set(err, WM_EIO, path, 0, 0, "cannot read the site file");
    else if (len > WM_SITE_MAX_BYTES)
        st = wm_err_set(err, WM_ELIMIT, path, 0, 0, "site file larger than %d bytes", WM_SITE_MAX_BYTES);
    else
        st = wm_site_parse(buf, len, path, out, err);
    free(buf);
    return st;
}

static void print_schema(FILE *fp, const wm_site_schema *s, int depth)
{
    for (const wm_site_field *f = s->fields; f->key; f++) {
        char lhs[96];
        snprintf(lhs, sizeof lhs, "%*s%s:%s", depth * 2, "", f->key,
                 f->kind == WM_SK_LIST ? " (list)" : "");
        fprintf(fp, "  %-40s %s", lhs, f->help);
        if (f->unit && f->unit[0])
            fprintf(fp, " [%s]", f->unit);
        if (f->kind == WM_SK_NUM) {
            if (isnan(f->def))
                fprintf(fp, " (required; %g..%g)", f->min, f->max);
            else
                fprintf(fp, " (default %g; %g..%g)", f->def, f->min, f->max);
        } else if (f->kind == WM_SK_ENUM) {
            fprintf(fp, " (default %s)", f->choices[0]);
        } else if (f->kind == WM_SK_BOOL) {
            fprintf(fp, " (default %s)", f->def != 0 ? "true" : "false");
        } else if (f->required) {
            fprintf(fp, " (required)");
        }
        fputc('\n', fp);
        if (f->kind == WM_SK_MAP || f->kind == WM_SK_LIST)
            print_schema(fp, f->sub, depth + 1);
    }
}

void wm_site_schema_print(FILE *fp) { print_schema(fp, &wm_site_schema_root, 0); }

/* ------------------------------------------------------------------ local time ---- */

int64_t wm_site_to_local(const wm_site *s, int64_t utc)
{
    if (s->timezone == WM_SITE_TZ_UTC)
        return utc;
    bool ne;
    int64_t cdt = utc - 5 * 3600;
    if (wm_tz_us_central_offset(cdt, false, &ne) == -5 * 3600 && !ne)
        return cdt;
    return utc - 6 * 3600;
}

wm_status wm_site_parse_local(const wm_site *s, const char *text, int64_t *utc)
{
    int y, mo, d, h = 0, mi = 0, n = 0;
    size_t len = strlen(text);
    if (sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return WM_EPARSE;
    if ((size_t)n < len) {
        int n2 = 0;
        if ((text[n] != ' ' && text[n] != 'T') || sscanf(text + n + 1, "%2d:%2d%n", &h, &mi, &n2) != 2 ||
            (size_t)(n + 1 + n2) != len)
            return WM_EPARSE;
    }
    if (y < 1970 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59)
        return WM_EPARSE;
    int64_t days = wm_days_from_civil(y, (unsigned)mo, (unsigned)d);
    int yy;
    unsigned mm, dd;
    wm_civil_from_days(days, &yy, &mm, &dd);
    if ((int)mm != mo || (int)dd != d)
        return WM_EPARSE; /* 31 April etc. */
    int64_t local = days * 86400 + h * 3600 + mi * 60;
    if (s->timezone == WM_SITE_TZ_UTC) {
        *utc = local;
        return WM_OK;
    }
    bool ne = false;
    int32_t off = wm_tz_us_central_offset(local, false, &ne);
    if (ne)
        return WM_EPARSE; /* a spring-forward hole */
    *utc = local - off;
    return WM_OK;
}
