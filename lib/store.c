/* store.c - SQLite history (see store.h). Statements are prepared once at open; queries for
 * the API come from a fixed whitelist, never from caller text. */
#include "store.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { S_SITE, S_TEL, S_DEC, S_CMD_NEW, S_CMD_STATE, S_ALARM, S_BEGIN, S_COMMIT, S__N };

struct wm_store {
    sqlite3 *db;
    sqlite3_stmt *st[S__N];
};

static const char *schema =
    "CREATE TABLE IF NOT EXISTS site(t REAL NOT NULL, power_w REAL, mining_power_w REAL, miners INTEGER,"
    " miners_up INTEGER, miners_unknown_power INTEGER, hashrate_th_s REAL, price_usd_per_mwh REAL,"
    " breakeven_usd_per_mwh REAL, cap_w REAL, mode TEXT);"
    "CREATE INDEX IF NOT EXISTS site_t ON site(t);"
    "CREATE TABLE IF NOT EXISTS telemetry(t REAL NOT NULL, miner TEXT NOT NULL, firmware TEXT, ok INTEGER,"
    " fail TEXT, hashrate_th_s REAL, power_w REAL, power_source TEXT, temp_c REAL, fan_rpm REAL, state TEXT);"
    "CREATE INDEX IF NOT EXISTS telemetry_t ON telemetry(t);"
    "CREATE TABLE IF NOT EXISTS decisions(id INTEGER PRIMARY KEY, t REAL NOT NULL, price_usd_per_mwh REAL,"
    " breakeven_usd_per_mwh REAL, target_mining_w REAL, mode TEXT, reason TEXT, detail TEXT);"
    "CREATE TABLE IF NOT EXISTS commands(id INTEGER PRIMARY KEY, t_created REAL NOT NULL, decision_id INTEGER,"
    " miner TEXT NOT NULL, verb TEXT NOT NULL, state TEXT NOT NULL, t_updated REAL, attempts INTEGER DEFAULT 0,"
    " detail TEXT);"
    "CREATE INDEX IF NOT EXISTS commands_state ON commands(state);"
    "CREATE TABLE IF NOT EXISTS alarms(id INTEGER PRIMARY KEY, t REAL NOT NULL, kind TEXT, miner TEXT, msg TEXT);";

static const char *sql[S__N] = {
    "INSERT INTO site VALUES(?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO telemetry VALUES(?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO decisions(t,price_usd_per_mwh,breakeven_usd_per_mwh,target_mining_w,mode,reason,detail) VALUES(?,?,?,?,?,?,?)",
    "INSERT INTO commands(t_created,decision_id,miner,verb,state,t_updated) VALUES(?,?,?,?,'pending',?)",
    "UPDATE commands SET state=?, t_updated=?, detail=?, attempts=attempts+(?='sent') WHERE id=?",
    "INSERT INTO alarms(t,kind,miner,msg) VALUES(?,?,?,?)",
    "BEGIN IMMEDIATE",
    "COMMIT",
};

static wm_status dberr(wm_store *s, wm_err *err, const char *what)
{
    return wm_err_set(err, WM_EIO, "store", 0, 0, "%s: %s", what, s && s->db ? sqlite3_errmsg(s->db) : "no database");
}

wm_status wm_store_open(const char *path, wm_store **out, wm_err *err)
{
    *out = NULL;
    wm_store *s = calloc(1, sizeof *s);
    if (!s)
        return WM_ENOMEM;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        wm_status st = wm_err_set(err, WM_EIO, path, 0, 0, "cannot open database: %s",
                                  s->db ? sqlite3_errmsg(s->db) : "out of memory");
        wm_store_free(s);
        return st;
    }
    sqlite3_busy_timeout(s->db, 5000);
    char *msg = NULL;
    if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        wm_status st = wm_err_set(err, WM_EIO, path, 0, 0, "cannot set up the database: %s", msg ? msg : "?");
        sqlite3_free(msg);
        wm_store_free(s);
        return st;
    }
    /* databases created before decisions.detail: add the column (an error means it exists) */
    sqlite3_exec(s->db, "ALTER TABLE decisions ADD COLUMN detail TEXT", NULL, NULL, NULL);
    for (int i = 0; i < S__N; i++)
        if (sqlite3_prepare_v2(s->db, sql[i], -1, &s->st[i], NULL) != SQLITE_OK) {
            wm_status st = dberr(s, err, "prepare");
            wm_store_free(s);
            return st;
        }
    *out = s;
    return WM_OK;
}

void wm_store_free(wm_store *s)
{
    if (!s)
        return;
    for (int i = 0; i < S__N; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    free(s);
}

static wm_status step(wm_store *s, int k)
{
    int rc = sqlite3_step(s->st[k]);
    sqlite3_reset(s->st[k]);
    sqlite3_clear_bindings(s->st[k]);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? WM_OK : WM_EIO;
}

static void bind_num(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i); /* unknown stays unknown */
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

wm_status wm_store_begin(wm_store *s) { return step(s, S_BEGIN); }
wm_status wm_store_commit(wm_store *s) { return step(s, S_COMMIT); }

wm_status wm_store_check(wm_store *s, bool *ok)
{
    sqlite3_stmt *st;
    *ok = false;
    if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
        return WM_EIO;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *r = sqlite3_column_text(st, 0);
        *ok = r && strcmp((const char *)r, "ok") == 0;
    }
    sqlite3_finalize(st);
    return WM_OK;
}

wm_status wm_store_site(wm_store *s, const wm_site_sample *x)
{
    sqlite3_stmt *st = s->st[S_SITE];
    bind_num(st, 1, x->t);
    bind_num(st, 2, x->power_w);
    bind_num(st, 3, x->mining_power_w);
    sqlite3_bind_int64(st, 4, x->miners);
    sqlite3_bind_int64(st, 5, x->miners_up);
    sqlite3_bind_int64(st, 6, x->miners_unknown_power);
    bind_num(st, 7, x->hashrate_th_s);
    bind_num(st, 8, x->price_usd_per_mwh);
    bind_num(st, 9, x->breakeven_usd_per_mwh);
    bind_num(st, 10, x->cap_w);
    bind_text(st, 11, x->mode);
    return step(s, S_SITE);
}

wm_status wm_store_telemetry(wm_store *s, double t, const char *miner, wm_miner_fw fw, const wm_miner_op *op,
                             double power_w, const char *power_source)
{
    sqlite3_stmt *st = s->st[S_TEL];
    const wm_miner_data *d = &op->data;
    bind_num(st, 1, t);
    bind_text(st, 2, miner);
    bind_text(st, 3, wm_miner_fw_name(fw));
    sqlite3_bind_int(st, 4, op->fail == WM_MF_NONE);
    bind_text(st, 5, op->fail ? wm_miner_fail_name(op->fail) : NULL);
    bind_num(st, 6, d->hashrate_th_s);
    bool known = op->fail == WM_MF_NONE && isfinite(power_w);
    bind_num(st, 7, known ? power_w : NAN);
    bind_text(st, 8, known ? power_source : NULL);
    bind_num(st, 9, d->temp_max_c);
    bind_num(st, 10, d->fan_rpm_max);
    bind_text(st, 11, wm_miner_state_name(d->state));
    return step(s, S_TEL);
}

wm_status wm_store_decision(wm_store *s, double t, double price, double breakeven, double target_mining_w,
                            const char *mode, const char *reason, const char *detail_json, int64_t *id)
{
    sqlite3_stmt *st = s->st[S_DEC];
    bind_num(st, 1, t);
    bind_num(st, 2, price);
    bind_num(st, 3, breakeven);
    bind_num(st, 4, target_mining_w);
    bind_text(st, 5, mode);
    bind_text(st, 6, reason);
    bind_text(st, 7, detail_json);
    wm_status r = step(s, S_DEC);
    if (id)
        *id = sqlite3_last_insert_rowid(s->db);
    return r;
}

wm_status wm_store_command_new(wm_store *s, double t, int64_t decision_id, const char *miner, wm_miner_verb verb,
                               int64_t *id)
{
    sqlite3_stmt *st = s->st[S_CMD_NEW];
    bind_num(st, 1, t);
    sqlite3_bind_int64(st, 2, decision_id);
    bind_text(st, 3, miner);
    bind_text(st, 4, wm_miner_verb_name(verb));
    bind_num(st, 5, t);
    wm_status r = step(s, S_CMD_NEW);
    *id = sqlite3_last_insert_rowid(s->db);
    return r;
}

wm_status wm_store_command_state(wm_store *s, int64_t id, double t, const char *state, const char *detail)
{
    sqlite3_stmt *st = s->st[S_CMD_STATE];
    bind_text(st, 1, state);
    bind_num(st, 2, t);
    bind_text(st, 3, detail);
    bind_text(st, 4, state);
    sqlite3_bind_int64(st, 5, id);
    return step(s, S_CMD_STATE);
}

wm_status wm_store_alarm(wm_store *s, double t, const char *kind, const char *miner, const char *msg)
{
    sqlite3_stmt *st = s->st[S_ALARM];
    bind_num(st, 1, t);
    bind_text(st, 2, kind);
    bind_text(st, 3, miner);
    bind_text(st, 4, msg);
    return step(s, S_ALARM);
}

static wm_status rows_json(wm_store *s, const char *q, double since, long limit, json_t **out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, q, -1, &st, NULL) != SQLITE_OK)
        return WM_EIO;
    if (sqlite3_bind_parameter_count(st) >= 1)
        sqlite3_bind_double(st, 1, since);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, limit);
    json_t *a = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_object();
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const char *k = sqlite3_column_name(st, c);
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_INTEGER:
                json_object_set_new(o, k, json_integer(sqlite3_column_int64(st, c)));
                break;
            case SQLITE_FLOAT:
                json_object_set_new(o, k, json_real(sqlite3_column_double(st, c)));
                break;
            case SQLITE_TEXT:
                json_object_set_new(o, k, json_string((const char *)sqlite3_column_text(st, c)));
                break;
            default:
                json_object_set_new(o, k, json_null());
            }
        }
        json_array_append_new(a, o);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        json_decref(a);
        return WM_EIO;
    }
    *out = a;
    return WM_OK;
}

wm_status wm_store_query(wm_store *s, const char *what, double since, long limit, json_t **out)
{
    static const struct { const char *what, *q; } w[] = {
        {"site", "SELECT * FROM (SELECT * FROM site WHERE t >= ?1 ORDER BY t DESC LIMIT ?2) ORDER BY t"},
        {"decisions", "SELECT * FROM decisions WHERE t >= ?1 ORDER BY id DESC LIMIT ?2"},
        {"commands", "SELECT * FROM commands WHERE t_created >= ?1 ORDER BY id DESC LIMIT ?2"},
        {"alarms", "SELECT * FROM alarms WHERE t >= ?1 ORDER BY id DESC LIMIT ?2"},
        {"telemetry", "SELECT * FROM telemetry WHERE t >= ?1 ORDER BY rowid DESC LIMIT ?2"},
    };
    *out = NULL;
    for (size_t i = 0; i < sizeof w / sizeof *w; i++)
        if (!strcmp(what, w[i].what))
            return rows_json(s, w[i].q, since, limit, out);
    return WM_ENOTFOUND;
}

wm_status wm_store_inflight(wm_store *s, json_t **out)
{
    return rows_json(s, "SELECT * FROM commands WHERE state IN ('pending','sent','acked') ORDER BY id", 0, 0, out);
}

wm_status wm_store_count(wm_store *s, const char *table, long *n)
{
    static const char *ok[] = {"site", "telemetry", "decisions", "commands", "alarms"};
    for (size_t i = 0; i < 5; i++)
        if (!strcmp(table, ok[i])) {
            char q[64];
            snprintf(q, sizeof q, "SELECT count(*) FROM %s", ok[i]);
            sqlite3_stmt *st;
            if (sqlite3_prepare_v2(s->db, q, -1, &st, NULL) != SQLITE_OK)
                return WM_EIO;
            wm_status r = sqlite3_step(st) == SQLITE_ROW ? WM_OK : WM_EIO;
            *n = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
            return r;
        }
    return WM_ENOTFOUND;
}
