/* test_poller_emu.c - integration: the epoll poller and the drivers against wattmux-emu on
 * loopback (127.10.x.y). Every fault type of control.md section 6 is injected; the poller must
 * finish every op, never report a failed miner as 0 W, and the curtail verbs must take the
 * emulated power down (LuxOS, bosminer) or be refused (stock). The emulator binary is found
 * next to this test's build directory ($BUILD/wattmux-emu); a missing emulator fails. */
#include "wmtest.h"
#include "poller.h"
#include "wmemu.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static wm_target *targets(const char *spec, size_t *n)
{
    wm_target *t;
    assert_int_equal(wm_targets_parse(spec, 4028, &t, n, 100000, NULL), WM_OK);
    return t;
}

static void poll_all(const wm_target *t, wm_miner_op *ops, size_t n, int retries, int timeout_ms, wm_poll_stats *st)
{
    wm_poller_opts o;
    wm_poller_opts_default(&o);
    o.retries = retries;
    o.timeout_ms = timeout_ms;
    o.backoff_ms = 20;
    wm_poller *p;
    assert_int_equal(wm_poller_new(&o, &p), WM_OK);
    assert_int_equal(wm_poller_run(p, t, ops, n, NULL, st), WM_OK);
    wm_poller_free(p);
    for (size_t i = 0; i < n; i++)
        assert_true(ops[i].done);
}

static void test_targets(void **s)
{
    (void)s;
    size_t n;
    wm_target *t = targets("127.0.0.1-127.0.3.232:4029,10.0.0.7", &n);
    assert_int_equal(n, 254 * 3 + 232 + 1);
    assert_string_equal(t[0].name, "127.0.0.1:4029");
    assert_string_equal(t[254].name, "127.0.1.1:4029");
    assert_string_equal(t[n - 2].name, "127.0.3.232:4029");
    assert_string_equal(t[n - 1].name, "10.0.0.7:4028");
    free(t);
    wm_err e;
    wm_target *bad;
    assert_int_equal(wm_targets_parse("127.0.0.1,127.0.0.x", 4028, &bad, &n, 10, &e), WM_EPARSE);
    assert_int_equal(e.col, 11);
    assert_int_equal(wm_targets_parse("127.0.0.9-127.0.0.1", 4028, &bad, &n, 10, &e), WM_EPARSE);
    assert_int_equal(wm_targets_parse("127.0.0.1-127.0.1.1", 4028, &bad, &n, 10, &e), WM_ELIMIT);
    assert_int_equal(wm_targets_parse("127.0.0.1:99999", 4028, &bad, &n, 10, &e), WM_EPARSE);
}

static void test_clean_fleet(void **s)
{
    (void)s;
    const char *spec = "127.10.0.1-127.10.1.50";
    pid_t pid = wmemu_start(spec, "mix", (const char *const[]){"--sleep-s", "1", "--wake-s", "1", "--delay-max-s", "4", NULL});
    size_t n;
    wm_target *t = targets(spec, &n);
    wm_miner_op *ops = calloc(n, sizeof *ops);
    for (size_t i = 0; i < n; i++)
        wm_miner_op_init(&ops[i], WM_FW_UNKNOWN, WM_VERB_READ, 0);
    wm_poll_stats st;
    poll_all(t, ops, n, 1, 3000, &st);
    int by_fw[5] = {0};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ops[i].fail, WM_MF_NONE);
        assert_true(ops[i].data.hashrate_th_s > 10);
        by_fw[ops[i].fw]++;
        if (ops[i].fw == WM_FW_LUXOS || ops[i].fw == WM_FW_BOSMINER)
            assert_true(ops[i].data.power_w > 1000);
        else
            assert_true(isnan(ops[i].data.power_w)); /* stock/cgminer report none */
    }
    assert_int_equal(by_fw[WM_FW_UNKNOWN], 0);
    assert_true(by_fw[WM_FW_STOCK] > 0 && by_fw[WM_FW_CGMINER] > 0 && by_fw[WM_FW_BOSMINER] > 0 &&
                by_fw[WM_FW_LUXOS] > 0);
    assert_int_equal(st.requests, 2 * (long)n); /* version + read each */
    free(ops);
    free(t);
    wmemu_stop(pid);
}

/* One fault type at a time, at a high rate: every op ends, and a failed read never yields a
 * number; a successful one never yields 0 W (the emulator's floor is 25 W). */
static void run_fault(const char *fault, const char *profile, long *failed_out)
{
    const char *spec = "127.10.2.1-127.10.2.120";
    pid_t pid = wmemu_start(spec, profile, (const char *const[]){"--sleep-s", "1", "--wake-s", "1", "--delay-max-s", "4", "--fault", fault, "--seed", "7", NULL});
    size_t n;
    wm_target *t = targets(spec, &n);
    wm_miner_op *ops = calloc(n, sizeof *ops);
    for (size_t i = 0; i < n; i++)
        wm_miner_op_init(&ops[i], WM_FW_UNKNOWN, WM_VERB_READ, 0);
    wm_poll_stats st;
    poll_all(t, ops, n, 2, 1500, &st);
    long failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (ops[i].fail) {
            failed++;
            assert_true(isnan(ops[i].data.power_w));
            assert_true(ops[i].why[0] != 0);
        } else {
            assert_true(isnan(ops[i].data.power_w) || ops[i].data.power_w >= 25);
        }
    }
    *failed_out = failed;
    free(ops);
    free(t);
    wmemu_stop(pid);
}

static void test_faults_transport(void **s)
{
    (void)s;
    long f;
    run_fault("refuse=0.4", "mix", &f);
    assert_true(f > 0);           /* 0.4^3 per step: some exhaust their retries */
    run_fault("silence=0.1", "mix", &f);
    run_fault("delay=0.3", "mix", &f); /* delays up to 4 s against a 1.5 s deadline */
    run_fault("partial=0.3", "mix", &f);
    run_fault("drip=0.5", "mix", &f);
    assert_int_equal(f, 0);       /* a slow drip still arrives in time */
}

static void test_faults_content(void **s)
{
    (void)s;
    long f;
    run_fault("quirk=1", "mix", &f);
    assert_int_equal(f, 0);       /* every quirk is repaired */
    run_fault("shape=1", "mix", &f);
    assert_int_equal(f, 0);
    run_fault("stale=1", "mix", &f);
    assert_int_equal(f, 0);
    run_fault("bigstats=1", "stock", &f);
    assert_int_equal(f, 0);       /* 69 KB stats is read whole */
}

/* Curtail: LuxOS (logon + curtail) and bosminer (pause) fall to ~25 W within sleep_s;
 * stock firmware refuses; resume brings power back. Confirmed by measured power. */
static void test_curtail_cycle(void **s)
{
    (void)s;
    const char *spec = "127.10.3.1-127.10.3.60";
    pid_t pid = wmemu_start(spec, "mix", (const char *const[]){"--sleep-s", "1", "--wake-s", "1", "--delay-max-s", "4", NULL});
    size_t n;
    wm_target *t = targets(spec, &n);
    wm_miner_op *ops = calloc(n, sizeof *ops);
    wm_miner_fw *fw = calloc(n, sizeof *fw);
    wm_poll_stats st;
    for (size_t i = 0; i < n; i++)
        wm_miner_op_init(&ops[i], WM_FW_UNKNOWN, WM_VERB_READ, 0);
    poll_all(t, ops, n, 1, 3000, &st);
    for (size_t i = 0; i < n; i++) {
        fw[i] = ops[i].fw;
        wm_miner_op_init(&ops[i], fw[i], WM_VERB_STOP, 0);
    }
    poll_all(t, ops, n, 1, 3000, &st);
    long refused = 0;
    for (size_t i = 0; i < n; i++) {
        if (wm_miner_can(fw[i], WM_VERB_STOP))
            assert_int_equal(ops[i].fail, WM_MF_NONE);
        else {
            assert_int_equal(ops[i].fail, WM_MF_UNSUPPORTED);
            refused++;
        }
    }
    assert_true(refused > 0);
    wmemu_msleep(1300); /* sleep_s = 1 */
    for (size_t i = 0; i < n; i++)
        wm_miner_op_init(&ops[i], fw[i], WM_VERB_READ, 0);
    poll_all(t, ops, n, 1, 3000, &st);
    for (size_t i = 0; i < n; i++) {
        if (!wm_miner_can(fw[i], WM_VERB_STOP))
            continue;
        assert_true(ops[i].data.power_w >= 25 && ops[i].data.power_w <= 30);
        assert_int_equal(ops[i].data.state, WM_MS_SLEEPING);
    }
    for (size_t i = 0; i < n; i++)
        wm_miner_op_init(&ops[i], fw[i], WM_VERB_RESUME, 0);
    poll_all(t, ops, n, 1, 3000, &st);
    wmemu_msleep(1300);
    for (size_t i = 0; i < n; i++)
        wm_miner_op_init(&ops[i], fw[i], WM_VERB_READ, 0);
    poll_all(t, ops, n, 1, 3000, &st);
    for (size_t i = 0; i < n; i++)
        if (wm_miner_can(fw[i], WM_VERB_STOP))
            assert_true(ops[i].data.power_w > 1000);
    free(ops);
    free(fw);
    free(t);
    wmemu_stop(pid);
}

/* curtail acked but not applied: the ack alone must not be taken as success - the read
 * afterwards shows full power, which is what the daemon confirms against. */
static void test_curtail_ignored(void **s)
{
    (void)s;
    const char *spec = "127.10.4.1-127.10.4.20";
    pid_t pid = wmemu_start(spec, "luxos", (const char *const[]){"--sleep-s", "1", "--wake-s", "1", "--delay-max-s", "4", "--fault", "curtail_ignore=1", NULL});
    size_t n;
    wm_target *t = targets(spec, &n);
    wm_miner_op *ops = calloc(n, sizeof *ops);
    wm_poll_stats st;
    for (size_t i = 0; i < n; i++)
        wm_miner_op_init(&ops[i], WM_FW_LUXOS, WM_VERB_STOP, 0);
    poll_all(t, ops, n, 1, 3000, &st);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ops[i].fail, WM_MF_NONE); /* acked */
    wmemu_msleep(1300);
    for (size_t i = 0; i < n; i++)
        wm_miner_op_init(&ops[i], WM_FW_LUXOS, WM_VERB_READ, 0);
    poll_all(t, ops, n, 1, 3000, &st);
    for (size_t i = 0; i < n; i++)
        assert_true(ops[i].data.power_w > 1000); /* not applied */
    free(ops);
    free(t);
    wmemu_stop(pid);
}

/* Scheduled faults: refuse everything during the first 1.5 s only. */
static void test_fault_window(void **s)
{
    (void)s;
    const char *spec = "127.10.5.1-127.10.5.20";
    pid_t pid = wmemu_start(spec, "mix", (const char *const[]){"--fault", "refuse=1", "--fault-window", "0-1.5", NULL});
    size_t n;
    wm_target *t = targets(spec, &n);
    wm_miner_op *ops = calloc(n, sizeof *ops);
    wm_poll_stats st;
    for (size_t i = 0; i < n; i++)
        wm_miner_op_init(&ops[i], WM_FW_UNKNOWN, WM_VERB_READ, 0);
    poll_all(t, ops, n, 1, 1000, &st);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ops[i].fail, WM_MF_REFUSED);
        assert_true(isnan(ops[i].data.power_w));
    }
    wmemu_msleep(1600);
    for (size_t i = 0; i < n; i++)
        wm_miner_op_init(&ops[i], WM_FW_UNKNOWN, WM_VERB_READ, 0);
    poll_all(t, ops, n, 1, 1000, &st);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ops[i].fail, WM_MF_NONE);
    free(ops);
    free(t);
    wmemu_stop(pid);
}

int main(int argc, char **argv)
{
    (void)argc;
    wmemu_init(argv[0]);
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_targets),
        cmocka_unit_test(test_clean_fleet),
        cmocka_unit_test(test_faults_transport),
        cmocka_unit_test(test_faults_content),
        cmocka_unit_test(test_curtail_cycle),
        cmocka_unit_test(test_curtail_ignored),
        cmocka_unit_test(test_fault_window),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
