/* store.h - the daemon's history in SQLite (WAL): site samples, per-miner telemetry,
 * decisions (with the decider's inputs and per-fleet targets as a JSON detail), the command
 * audit log and alarms. Invariants: a command row is committed (state
 * "pending") before the command is sent, and every later state change is its own commit, so
 * after a kill -9 the log shows what was in flight; telemetry a miner did not report is
 * stored as NULL, never 0; synchronous=FULL so a committed record survives a crash of the
 * process (and of the OS). All times are UTC unix seconds (REAL, sub-second allowed). */
#ifndef WM_STORE_H
#define WM_STORE_H

#include "miner.h"

#include <jansson.h>

typedef struct wm_store wm_store;

wm_status wm_store_open(const char *path, wm_store **out, wm_err *err);
void wm_store_free(wm_store *s);
/* PRAGMA integrity_check == "ok" */
wm_status wm_store_check(wm_store *s, bool *ok);

/* Group many writes into one commit (telemetry of a whole poll). */
wm_status wm_store_begin(wm_store *s);
wm_status wm_store_commit(wm_store *s);

typedef struct wm_site_sample {
    double t;
    double power_w;            /* sum of known miner power (reported or estimated) */
    double mining_power_w;     /* of which from miners that hash */
    long miners, miners_up, miners_unknown_power;
    double hashrate_th_s;
    double price_usd_per_mwh;  /* NaN when the feed is stale */
    double breakeven_usd_per_mwh;
    double cap_w;
    const char *mode;          /* "mine", "curtail", "safe" */
} wm_site_sample;
wm_status wm_store_site(wm_store *s, const wm_site_sample *x);
/* power_w/power_source: the controller's view (NaN/NULL when unknown or stale). */
wm_status wm_store_telemetry(wm_store *s, double t, const char *miner, wm_miner_fw fw, const wm_miner_op *op,
                             double power_w, const char *power_source);
wm_status wm_store_decision(wm_store *s, double t, double price_usd_per_mwh, double breakeven_usd_per_mwh,
                            double target_mining_w, const char *mode, const char *reason, const char *detail_json,
                            int64_t *id);

/* Commands: pending -> sent -> acked -> confirmed | failed | alarmed (unsupported ends in
 * "unsupported"; a confirmed stop the miner undid on its own becomes "reverted"; after a kill -9,
 * "interrupted"). */
wm_status wm_store_command_new(wm_store *s, double t, int64_t decision_id, const char *miner,
                               wm_miner_verb verb, int64_t *id);
wm_status wm_store_command_state(wm_store *s, int64_t id, double t, const char *state, const char *detail);
wm_status wm_store_alarm(wm_store *s, double t, const char *kind, const char *miner, const char *msg);

/* Queries for the API, as JSON arrays of objects (caller owns). */
wm_status wm_store_query(wm_store *s, const char *what, double since, long limit, json_t **out);
/* Commands not in a final state (after a crash: what was in flight). */
wm_status wm_store_inflight(wm_store *s, json_t **out);
/* Number of rows of a table ("commands", "telemetry", ...). */
wm_status wm_store_count(wm_store *s, const char *table, long *n);

#endif
