/* test_ctl.c - the controller against wattmux-emu: the break-even decider, a custom decider
 * through the interface, safe mode on a stale price (curtail, confirmed by measured power;
 * or hold), safe mode on lost telemetry (unknown power never counted as 0 W), and a wake
 * limited by the cap with miners not yet seen mining counted at the worst-case nameplate; per-fleet
 * targets (the dispatch decider's output) followed exactly, within the decider's miner cap. */
#include "wmtest.h"
#include "wmemu.h"
#include "ctl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_decide_breakeven(void **s)
{
    (void)s;
    wm_decide_in in = {.price_usd_per_mwh = 40, .price_fresh = true, .breakeven_usd_per_mwh = 80, .cap_w = 1e6,
                       .uncontrollable_w = 2e5};
    wm_decide_out o;
    assert_int_equal(wm_decide_breakeven(NULL, &in, &o), WM_OK);
    assert_true(o.mine);
    assert_string_equal(o.mode, "mine");
    assert_near_rel(o.target_mining_w, 8e5, 1e-12);
    in.price_usd_per_mwh = 80; /* at break-even: not worth it */
    wm_decide_breakeven(NULL, &in, &o);
    assert_false(o.mine);
    assert_string_equal(o.mode, "curtail");
    in.price_fresh = false;
    wm_decide_breakeven(NULL, &in, &o);
    assert_string_equal(o.mode, "safe");
    assert_false(o.mine);
}

typedef struct spy {
    int calls;
    double last_breakeven;
} spy;
static wm_status spy_decide(void *ctx, const wm_decide_in *in, wm_decide_out *out)
{
    spy *sp = ctx;
    sp->calls++;
    sp->last_breakeven = in->breakeven_usd_per_mwh;
    memset(out, 0, sizeof *out);
    out->mine = true;
    out->target_mining_w = in->cap_w;
    snprintf(out->mode, sizeof out->mode, "mine");
    snprintf(out->reason, sizeof out->reason, "spy");
    return WM_OK;
}

typedef struct rig {
    pid_t emu;
    wm_target *t;
    size_t n;
    wm_store *store;
    char db[128];
    wm_ctl *ctl;
} rig;

/* The emulator with sleep_s = wake_s = 1 s, started mining or asleep; fault: a --fault value or
 * NULL; trace: a --trace file or NULL. */
static void rig_up_emu(rig *r, const char *spec, const char *start, const char *fault, const char *trace,
                       wm_ctl_cfg *cfg, wm_decider d)
{
    memset(r, 0, sizeof *r);
    const char *args[12] = {"--sleep-s", "1", "--wake-s", "1", "--start", start};
    size_t na = 6;
    if (fault)
        args[na++] = "--fault", args[na++] = fault;
    if (trace)
        args[na++] = "--trace", args[na++] = trace;
    r->emu = wmemu_start(spec, "ctl", args);
    assert_int_equal(wm_targets_parse(spec, 4028, &r->t, &r->n, 1000, NULL), WM_OK);
    snprintf(r->db, sizeof r->db, "/tmp/wm_ctl_test_%d_%ld.db", getpid(), random());
    assert_int_equal(wm_store_open(r->db, &r->store, NULL), WM_OK);
    assert_int_equal(wm_ctl_new(cfg, r->t, r->n, r->store, d, &r->ctl), WM_OK);
}

static void rig_up(rig *r, const char *spec, const char *start, wm_ctl_cfg *cfg, wm_decider d)
{
    rig_up_emu(r, spec, start, NULL, NULL, cfg, d);
}

static void rig_down(rig *r)
{
    if (r->emu)
        wmemu_stop(r->emu);
    wm_ctl_free(r->ctl);
    wm_store_free(r->store);
    free(r->t);
    char p[160];
    unlink(r->db);
    snprintf(p, sizeof p, "%s-wal", r->db);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", r->db);
    unlink(p);
}

static void cfg_fast(wm_ctl_cfg *c)
{
    wm_ctl_cfg_default(c);
    c->cap_w = 1e6;
    c->interval_s = 1;
    c->sleep_s = 1;
    c->wake_s = 1;
    c->confirm_margin_s = 1;
}

static void tick_for(rig *r, double secs, double price, bool fresh)
{
    double end = now_s() + secs;
    while (now_s() < end) {
        assert_int_equal(wm_ctl_tick(r->ctl, now_s(), price, fresh), WM_OK);
        wmemu_msleep(250);
    }
}

static long count(rig *r, const char *table)
{
    long n;
    assert_int_equal(wm_store_count(r->store, table, &n), WM_OK);
    return n;
}

/* Stale price -> safe mode (curtail): every miner stopped, confirmed by measured power. */
static void test_safe_curtail(void **s)
{
    (void)s;
    wm_ctl_cfg cfg;
    cfg_fast(&cfg);
    rig r;
    rig_up(&r, "127.11.0.1-127.11.0.30", "mining", &cfg, (wm_decider){wm_decide_breakeven, NULL});
    tick_for(&r, 0.6, 20, true); /* cheap power: mine; all already mining -> no command */
    assert_string_equal(wm_ctl_decision(r.ctl)->mode, "mine");
    assert_int_equal(count(&r, "commands"), 0);
    tick_for(&r, 3.5, NAN, false); /* the feed went stale */
    assert_string_equal(wm_ctl_decision(r.ctl)->mode, "safe");
    assert_non_null(strstr(wm_ctl_decision(r.ctl)->reason, "price stale"));
    json_t *rows;
    assert_int_equal(wm_store_query(r.store, "commands", 0, 1000, &rows), WM_OK);
    assert_int_equal(json_array_size(rows), r.n);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        assert_string_equal(json_string_value(json_object_get(row, "verb")), "stop");
        assert_string_equal(json_string_value(json_object_get(row, "state")), "confirmed");
    }
    json_decref(rows);
    const wm_site_sample *site = wm_ctl_site(r.ctl);
    assert_true(site->power_w <= 30.0 * (double)r.n); /* ~25 W each */
    assert_true(site->power_w >= 20.0 * (double)r.n);
    assert_true(count(&r, "alarms") >= 1); /* entering safe mode is an alarm */
    rig_down(&r);
}

/* Safe mode "hold": a stale price keeps the last decision; nothing is commanded. */
static void test_safe_hold(void **s)
{
    (void)s;
    wm_ctl_cfg cfg;
    cfg_fast(&cfg);
    cfg.safe = WM_SAFE_HOLD;
    rig r;
    rig_up(&r, "127.11.1.1-127.11.1.20", "mining", &cfg, (wm_decider){wm_decide_breakeven, NULL});
    tick_for(&r, 0.6, 20, true);
    tick_for(&r, 1.5, NAN, false);
    assert_string_equal(wm_ctl_decision(r.ctl)->mode, "safe");
    assert_true(wm_ctl_decision(r.ctl)->mine);
    assert_int_equal(count(&r, "commands"), 0);
    rig_down(&r);
}

/* Lost telemetry: the emulator dies; power becomes unknown (not 0), safe mode engages. */
static void test_lost_telemetry(void **s)
{
    (void)s;
    wm_ctl_cfg cfg;
    cfg_fast(&cfg);
    rig r;
    rig_up(&r, "127.11.2.1-127.11.2.20", "mining", &cfg, (wm_decider){wm_decide_breakeven, NULL});
    tick_for(&r, 0.6, 20, true);
    assert_true(wm_ctl_site(r.ctl)->power_w > 20 * 1000.0);
    wmemu_stop(r.emu);
    r.emu = 0;
    tick_for(&r, 1.2, 20, true);
    const wm_site_sample *site = wm_ctl_site(r.ctl);
    assert_int_equal(site->miners_up, 0);
    assert_int_equal(site->miners_unknown_power, (long)r.n);
    for (size_t i = 0; i < r.n; i++)
        assert_true(isnan(wm_ctl_miner_at(r.ctl, i)->power_w));
    assert_string_equal(wm_ctl_decision(r.ctl)->mode, "safe");
    assert_non_null(strstr(wm_ctl_decision(r.ctl)->reason, "telemetry lost"));
    json_t *rows;
    assert_int_equal(wm_store_query(r.store, "telemetry", 0, 100000, &rows), WM_OK);
    size_t i;
    json_t *row;
    long unknown = 0;
    json_array_foreach(rows, i, row) {
        json_t *p = json_object_get(row, "power_w");
        assert_false(json_is_number(p) && json_number_value(p) == 0);
        unknown += json_is_null(p);
    }
    assert_true(unknown >= (long)r.n);
    json_decref(rows);
    rig_down(&r);
}

/* Wake under a cap: 20 asleep miners (LuxOS ~3.2 kW, bosminer ~1.3 kW), cap 20 kW. Miners not
 * seen mining count at the 3.6 kW worst case, so the first batch is 20000/3600 -> 5 miners; a
 * custom decider (always mine) is called through the interface. */
static void test_wake_under_cap(void **s)
{
    (void)s;
    wm_ctl_cfg cfg;
    cfg_fast(&cfg);
    cfg.cap_w = 20000;
    spy sp = {0};
    rig r;
    rig_up(&r, "127.11.3.1-127.11.3.20", "asleep", &cfg, (wm_decider){spy_decide, &sp});
    assert_int_equal(wm_ctl_tick(r.ctl, now_s(), 50, true), WM_OK);
    assert_true(sp.calls == 1);
    assert_true(isfinite(sp.last_breakeven));
    assert_int_equal(count(&r, "commands"), 5); /* floor((20000 - 20 * 25) / (3600 - 25)) */
    tick_for(&r, 4, 50, true);
    assert_true(sp.calls >= 2);
    double sum = 0;
    for (size_t i = 0; i < r.n; i++) {
        const wm_ctl_miner *m = wm_ctl_miner_at(r.ctl, i);
        assert_true(isfinite(m->power_w));
        sum += m->power_w;
    }
    assert_true(sum <= cfg.cap_w);
    assert_true(count(&r, "commands") > 5); /* learnt nameplates let more miners in */
    rig_down(&r);
}

/* Per-fleet targets (the dispatch decider's output): 2 fleets of 10 mining miners; the decider
 * asks for 3 of fleet 0 and none of fleet 1, then all of fleet 1 with a miner cap that leaves
 * no room: targets are followed exactly, and never beyond the decider's cap. */
typedef struct fleet_spy {
    long want[2];
    double cap_w;
} fleet_spy;
static wm_status fleet_decide(void *ctx, const wm_decide_in *in, wm_decide_out *out)
{
    const fleet_spy *fs = ctx;
    memset(out, 0, sizeof *out);
    assert_int_equal(in->nfleets, 2);
    assert_int_equal(in->fleet_miners[0], 10);
    assert_int_equal(in->fleet_miners[1], 10);
    out->per_fleet = true;
    out->mine = fs->want[0] + fs->want[1] > 0;
    out->fleet[0].target_miners = fs->want[0];
    out->fleet[1].target_miners = fs->want[1];
    out->cap_w = fs->cap_w;
    snprintf(out->mode, sizeof out->mode, "mine");
    snprintf(out->detail, sizeof out->detail, "{\"decider\":\"spy\"}");
    return WM_OK;
}

static long running_in(rig *r, int fleet)
{
    long n = 0;
    for (size_t i = 0; i < r->n; i++) {
        const wm_ctl_miner *m = wm_ctl_miner_at(r->ctl, i);
        n += m->fleet == fleet && isfinite(m->power_w) && m->power_w > 100;
    }
    return n;
}

static void test_fleet_targets(void **s)
{
    (void)s;
    wm_ctl_cfg cfg;
    cfg_fast(&cfg);
    fleet_spy fs = {{3, 0}, 0};
    rig r;
    rig_up(&r, "127.11.4.1-127.11.4.20", "mining", &cfg, (wm_decider){fleet_decide, &fs});
    int fleet[20];
    for (int i = 0; i < 20; i++)
        fleet[i] = i < 10 ? 0 : 1;
    const char *names[] = {"a", "b"};
    assert_int_equal(wm_ctl_set_fleets(r.ctl, fleet, 2, names), WM_OK);
    tick_for(&r, 4, 50, true);
    assert_int_equal(running_in(&r, 0), 3);
    assert_int_equal(running_in(&r, 1), 0);
    assert_int_equal(wm_ctl_fleet_running(r.ctl, 0), 3);
    assert_string_equal(wm_ctl_fleet_name(r.ctl, 1), "b");
    /* every stop was confirmed by measured power */
    json_t *rows;
    assert_int_equal(wm_store_query(r.store, "commands", 0, 1000, &rows), WM_OK);
    assert_int_equal(json_array_size(rows), 17);
    json_decref(rows);
    assert_int_equal(wm_store_query(r.store, "decisions", 0, 1, &rows), WM_OK);
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(rows, 0), "detail")), "\"target_miners\":3"));
    json_decref(rows);
    /* fleet 1 wanted in full, but the decider's miner cap leaves room for nothing */
    fs.want[1] = 10;
    fs.cap_w = -1;
    tick_for(&r, 2.5, 50, true);
    assert_int_equal(running_in(&r, 1), 0);
    assert_int_equal(running_in(&r, 0), 0); /* over that cap: the running ones are stopped too */
    rig_down(&r);
}

/* Curtail reverts (fault 9, every applied curtail undone by the miner 2 sleep_s later). Two
 * fleets of 10 asleep miners (5 LuxOS ~3.25 kW + 5 bosminer ~1.3 kW each: ~22.9 kW), cap
 * 25 kW. Fleet a is woken, then the decider moves the power to fleet b: a is stopped and, once
 * its stops are confirmed, b would fill the room - but a's miners come back on their own.
 * Records the largest projection and measured site power while b is wanted, and the emulator's
 * true site power at its highest (the whole run). */
typedef struct revert_run {
    double proj_max_w, site_max_w, trace_max_w;
    long trace_reverts;
} revert_run;

static void run_revert_swap(rig *r, wm_ctl_cfg *cfg, const char *net, revert_run *out)
{
    char spec[64], trace[128];
    snprintf(spec, sizeof spec, "127.11.%s.1-127.11.%s.20", net, net);
    snprintf(trace, sizeof trace, "/tmp/wm_ctl_revert_%d_%s.trace", getpid(), net);
    static fleet_spy fs;
    fs = (fleet_spy){{10, 0}, 0};
    rig_up_emu(r, spec, "asleep", "curtail_revert=1", trace, cfg, (wm_decider){fleet_decide, &fs});
    int fleet[20];
    for (int i = 0; i < 20; i++)
        fleet[i] = i < 10 ? 0 : 1;
    const char *names[] = {"a", "b"};
    assert_int_equal(wm_ctl_set_fleets(r->ctl, fleet, 2, names), WM_OK);
    memset(out, 0, sizeof *out);
    /* fleet a up (at most ~20 s: nameplates are learnt as the miners ramp) */
    for (int k = 0; k < 80 && wm_ctl_fleet_running(r->ctl, 0) < 10; k++) {
        assert_int_equal(wm_ctl_tick(r->ctl, now_s(), 50, true), WM_OK);
        assert_true(wm_ctl_projected_w(r->ctl) <= cfg->cap_w);
        wmemu_msleep(250);
    }
    tick_for(r, 1.5, 50, true); /* steady: every a miner's nameplate learnt */
    assert_int_equal(running_in(r, 0), 10);
    fs.want[0] = 0, fs.want[1] = 10; /* the power moves to fleet b */
    double end = now_s() + 9;
    while (now_s() < end) {
        assert_int_equal(wm_ctl_tick(r->ctl, now_s(), 50, true), WM_OK);
        out->proj_max_w = fmax(out->proj_max_w, wm_ctl_projected_w(r->ctl));
        out->site_max_w = fmax(out->site_max_w, wm_ctl_site(r->ctl)->power_w);
        wmemu_msleep(250);
    }
    wmemu_stop(r->emu);
    r->emu = 0;
    FILE *f = fopen(trace, "r");
    assert_non_null(f);
    long ms, mining;
    double w;
    while (fscanf(f, "%ld %lf %ld %ld", &ms, &w, &mining, &out->trace_reverts) == 4)
        out->trace_max_w = fmax(out->trace_max_w, w);
    fclose(f);
    unlink(trace);
}

static void test_curtail_revert(void **s)
{
    (void)s;
    wm_ctl_cfg cfg;
    cfg_fast(&cfg);
    cfg.cap_w = 25000;
    rig r;
    revert_run rr;
    run_revert_swap(&r, &cfg, "6", &rr);
    /* the cap held: the controller's projection, its measurement and the true power */
    assert_true(rr.proj_max_w <= cfg.cap_w);
    assert_true(rr.site_max_w <= cfg.cap_w);
    assert_true(rr.trace_max_w <= cfg.cap_w);
    assert_true(rr.trace_reverts >= 20);
    /* every a miner reverted twice: counted, alarmed once, then left alone and counted at nameplate */
    const wm_ctl_stats *st = wm_ctl_stats_get(r.ctl);
    assert_true(st->commands[WM_VERB_STOP][5] >= 20);
    json_t *rows;
    assert_int_equal(wm_store_query(r.store, "alarms", 0, 1000, &rows), WM_OK);
    size_t i, nrev = 0;
    json_t *row;
    json_array_foreach(rows, i, row)
        nrev += !strcmp(json_string_value(json_object_get(row, "kind")), "curtail_reverted");
    json_decref(rows);
    assert_int_equal(nrev, 10);
    for (size_t k = 0; k < 20; k++) {
        const wm_ctl_miner *m = wm_ctl_miner_at(r.ctl, k);
        assert_int_equal(m->uncontrollable, k < 10);
        assert_int_equal(wm_ctl_commandable(r.ctl, k), k >= 10);
        if (k < 10)
            assert_true(m->reverts >= 2);
    }
    assert_int_equal(wm_ctl_fleet_running(r.ctl, 0), 10); /* a mines on its own */
    assert_int_equal(wm_ctl_fleet_running(r.ctl, 1), 0);  /* no room left for b */
    assert_int_equal(wm_store_query(r.store, "commands", 0, 1000, &rows), WM_OK);
    long reverted = 0, to_b = 0;
    json_array_foreach(rows, i, row) {
        reverted += !strcmp(json_string_value(json_object_get(row, "state")), "reverted");
        for (size_t k = 10; k < 20; k++)
            to_b += !strcmp(json_string_value(json_object_get(row, "miner")), r.t[k].name);
    }
    json_decref(rows);
    assert_int_equal(reverted, st->commands[WM_VERB_STOP][5]);
    assert_int_equal(to_b, 0); /* b was never woken into room a revert needed */
    /* the operator clears one miner, then the rest: commanded again, logged, not alarms */
    long alarms = wm_ctl_alarms(r.ctl);
    assert_int_equal(wm_ctl_reset_miner(r.ctl, r.t[0].name, 2e9), 1);
    assert_false(wm_ctl_miner_at(r.ctl, 0)->uncontrollable);
    assert_int_equal(wm_ctl_miner_at(r.ctl, 0)->reverts, 0);
    assert_true(wm_ctl_commandable(r.ctl, 0));
    assert_false(wm_ctl_commandable(r.ctl, 1));
    assert_int_equal(wm_ctl_reset_miner(r.ctl, r.t[0].name, 2e9), 0); /* nothing left to clear */
    assert_int_equal(wm_ctl_reset_miner(r.ctl, "10.9.9.9:4028", 2e9), 0);
    assert_int_equal(wm_ctl_reset_miner(r.ctl, "*", 2e9), 9);
    for (size_t k = 0; k < 20; k++)
        assert_true(wm_ctl_commandable(r.ctl, k));
    assert_int_equal(wm_ctl_alarms(r.ctl), alarms);
    assert_int_equal(wm_store_query(r.store, "alarms", 0, 1000, &rows), WM_OK);
    size_t nreset = 0;
    json_array_foreach(rows, i, row)
        if (!strcmp(json_string_value(json_object_get(row, "kind")), "operator_reset")) {
            nreset++;
            assert_non_null(strstr(json_string_value(json_object_get(row, "msg")), "commanded again"));
        }
    json_decref(rows);
    assert_int_equal(nreset, 10);
    rig_down(&r);
}

/* The same swap without the revert guard: fleet b fills the room freed by a's confirmed stops,
 * a's miners come back, and the projection goes over the cap (what the guard prevents). */
static void test_curtail_revert_unguarded(void **s)
{
    (void)s;
    wm_ctl_cfg cfg;
    cfg_fast(&cfg);
    cfg.cap_w = 25000;
    cfg.revert_guard_s = 0;
    rig r;
    revert_run rr;
    run_revert_swap(&r, &cfg, "7", &rr);
    assert_true(rr.proj_max_w > cfg.cap_w);
    rig_down(&r);
}

int main(int argc, char **argv)
{
    (void)argc;
    srandom((unsigned)getpid());
    wmemu_init(argv[0]);
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_decide_breakeven),
        cmocka_unit_test(test_safe_curtail),
        cmocka_unit_test(test_safe_hold),
        cmocka_unit_test(test_lost_telemetry),
        cmocka_unit_test(test_wake_under_cap),
        cmocka_unit_test(test_fleet_targets),
        cmocka_unit_test(test_curtail_revert),
        cmocka_unit_test(test_curtail_revert_unguarded),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
