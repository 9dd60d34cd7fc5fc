/* test_drivers_emu.c - integration: the control verbs of lib/miner.h and lib/grpc.h against
 * wattmux-emu on loopback: LuxOS set_power_limit (profiles, atmset, profileset; power follows
 * the profile after its ramp), the Braiins OS gRPC API (Login, SetPowerTarget in and out of
 * range, PauseMining/ResumeMining, GetMinerStats, bad credentials, missing token), stock and
 * Whatsminer miners reported as not commandable, and fault 11 (a 17th client IP refused).
 * Addresses 127.<N>.x.y with N from the pid so parallel runs do not collide. Waits poll the
 * emulator's measured power with a bound; nothing asserts on elapsed time. */
#include "wmtest.h"
#include "grpc.h"
#include "poller.h"
#include "wmemu.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int g_net;

static void addr(char *buf, size_t cap, int c, int d) { snprintf(buf, cap, "127.%d.%d.%d", g_net, c, d); }

static pid_t start(const char *miners, const char *profile, const char *const *extra)
{
    const char *args[16] = {"--sleep-s", "1", "--wake-s", "1"};
    int k = 4;
    for (int i = 0; extra && extra[i] && k < 15; i++)
        args[k++] = extra[i];
    args[k] = NULL;
    return wmemu_start(miners, profile, args);
}

static wm_miner_data read_luxos(const char *host)
{
    wm_miner_op op;
    wm_miner_op_init(&op, WM_FW_LUXOS, WM_VERB_READ, 0);
    assert_int_equal(wm_miner_run(host, 4028, &op, 2000), WM_OK);
    assert_int_equal(op.fail, WM_MF_NONE);
    return op.data;
}

/* Poll until |power - want| <= tol (at most ~8 s of polling). */
static double wait_power(const char *host, bool grpc, double want, double tol)
{
    double p = NAN;
    for (int i = 0; i < 80; i++) {
        if (grpc) {
            wm_miner_op op;
            wm_miner_op_init(&op, WM_FW_BOSMINER, WM_VERB_READ, 0);
            wm_miner_op_set_grpc(&op, "root", "root", WM_GRPC_BOS_PORT);
            assert_int_equal(wm_miner_run(host, 4028, &op, 2000), WM_OK);
            assert_int_equal(op.fail, WM_MF_NONE);
            p = op.data.power_w;
        } else
            p = read_luxos(host).power_w;
        if (fabs(p - want) <= tol)
            return p;
        wmemu_msleep(100);
    }
    return p;
}

static void test_luxos_power_limit(void **s)
{
    (void)s;
    char a[32], b[32], spec[80];
    addr(a, sizeof a, 1, 1);
    addr(b, sizeof b, 1, 2);
    snprintf(spec, sizeof spec, "%s-%s", a, b);
    pid_t pid = start(spec, "luxos", NULL);
    double full = read_luxos(a).power_w;
    assert_true(full > 3000); /* S19 Pro nameplate 3250 W +-3% */

    wm_miner_op op;
    wm_miner_op_init(&op, WM_FW_UNKNOWN, WM_VERB_SET_POWER_LIMIT, 2500); /* detect, then profiles */
    assert_int_equal(wm_miner_run(a, 4028, &op, 2000), WM_OK);
    assert_int_equal(op.fw, WM_FW_LUXOS);
    assert_int_equal(op.fail, WM_MF_NONE);
    assert_true(op.profile_w <= 2500 && op.profile_w > 2000);
    assert_true(op.profile[0] != 0);
    /* ATM was turned off by the driver */
    char *rep;
    size_t n;
    wm_miner_fail f;
    assert_int_equal(wm_miner_exchange(a, 4028, "{\"command\":\"atm\"}", 2000, &rep, &n, &f), WM_OK);
    assert_non_null(strstr(rep, "\"Enabled\":false"));
    free(rep);
    /* measured power follows the profile after its ramp (wake_s = 1 s) */
    double p = wait_power(a, false, op.profile_w, 2);
    assert_true(fabs(p - op.profile_w) <= 2);
    /* the session was released: a second verb can log on */
    wm_miner_op op2;
    wm_miner_op_init(&op2, WM_FW_LUXOS, WM_VERB_SET_POWER_LIMIT, 1e5); /* above every profile: the highest */
    assert_int_equal(wm_miner_run(a, 4028, &op2, 2000), WM_OK);
    assert_int_equal(op2.fail, WM_MF_NONE);
    assert_true(op2.profile_w > full);
    /* below the lowest profile: refused, the miner keeps its profile */
    wm_miner_op_init(&op2, WM_FW_LUXOS, WM_VERB_SET_POWER_LIMIT, 100);
    assert_int_equal(wm_miner_run(a, 4028, &op2, 2000), WM_OK);
    assert_int_equal(op2.fail, WM_MF_STATUS_E);
    assert_non_null(strstr(op2.why, "no profile at or below 100 W"));

    /* through the epoll poller: both miners at once */
    wm_target *t;
    size_t nt;
    assert_int_equal(wm_targets_parse(spec, 4028, &t, &nt, 10, NULL), WM_OK);
    wm_miner_op ops[2];
    for (int i = 0; i < 2; i++)
        wm_miner_op_init(&ops[i], WM_FW_LUXOS, WM_VERB_SET_POWER_LIMIT, 3000);
    wm_poller_opts o;
    wm_poller_opts_default(&o);
    wm_poller *pl;
    assert_int_equal(wm_poller_new(&o, &pl), WM_OK);
    wm_poll_stats st;
    assert_int_equal(wm_poller_run(pl, t, ops, 2, NULL, &st), WM_OK);
    wm_poller_free(pl);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ops[i].fail, WM_MF_NONE);
        assert_true(ops[i].profile_w <= 3000 && ops[i].profile_w > 2500);
    }
    p = wait_power(b, false, ops[1].profile_w, 2);
    assert_true(fabs(p - ops[1].profile_w) <= 2);
    free(t);
    wmemu_stop(pid);
}

static wm_miner_op bos_op(wm_miner_verb v, double w, const char *pw)
{
    wm_miner_op op;
    wm_miner_op_init(&op, WM_FW_BOSMINER, v, w);
    wm_miner_op_set_grpc(&op, "root", pw, WM_GRPC_BOS_PORT);
    return op;
}

static void test_bos_grpc(void **s)
{
    (void)s;
    char a[32];
    addr(a, sizeof a, 2, 1);
    const char *extra[] = {"--grpc-port", "50051", NULL};
    pid_t pid = start(a, "bosminer", extra);
    /* power target in range: applied, measured power converges to it */
    wm_miner_op op = bos_op(WM_VERB_SET_POWER_LIMIT, 1000, "root");
    assert_int_equal(wm_miner_run(a, 4028, &op, 2000), WM_OK);
    assert_int_equal(op.fail, WM_MF_NONE);
    assert_near_rel(op.data.power_limit_w, 1000, 1e-12);
    double p = wait_power(a, true, 1000, 1);
    assert_true(fabs(p - 1000) <= 1);
    /* out of range: INVALID_ARGUMENT with Braiins' text (control.md, pyasic #242) */
    op = bos_op(WM_VERB_SET_POWER_LIMIT, 100, "root");
    assert_int_equal(wm_miner_run(a, 4028, &op, 2000), WM_OK);
    assert_int_equal(op.fail, WM_MF_STATUS_E);
    const char *want = "SetPowerTarget: grpc-status 3: power target [100W] is not in allowed range [Some(";
    assert_memory_equal(op.why, want, strlen(want));
    assert_non_null(strstr(op.why, "), Some("));
    p = wait_power(a, true, 1000, 1); /* unchanged */
    assert_true(fabs(p - 1000) <= 1);
    /* pause: power falls to idle; resume: back to the target */
    op = bos_op(WM_VERB_STOP, 0, "root");
    assert_int_equal(wm_miner_run(a, 4028, &op, 2000), WM_OK);
    assert_int_equal(op.fail, WM_MF_NONE);
    p = wait_power(a, true, 25, 1);
    assert_true(p <= 26);
    op = bos_op(WM_VERB_RESUME, 0, "root");
    assert_int_equal(wm_miner_run(a, 4028, &op, 2000), WM_OK);
    assert_int_equal(op.fail, WM_MF_NONE);
    p = wait_power(a, true, 1000, 1);
    assert_true(fabs(p - 1000) <= 1);
    /* firmware detected over 4028 first, then the power target over gRPC */
    wm_miner_op_init(&op, WM_FW_UNKNOWN, WM_VERB_SET_POWER_LIMIT, 1200);
    wm_miner_op_set_grpc(&op, "root", "root", 0);
    assert_int_equal(wm_miner_run(a, 4028, &op, 2000), WM_OK);
    assert_int_equal(op.fw, WM_FW_BOSMINER);
    assert_int_equal(op.fail, WM_MF_NONE);
    /* wrong password: UNAUTHENTICATED, nothing applied */
    op = bos_op(WM_VERB_SET_POWER_LIMIT, 1100, "wrong");
    assert_int_equal(wm_miner_run(a, 4028, &op, 2000), WM_OK);
    assert_int_equal(op.fail, WM_MF_STATUS_E);
    assert_non_null(strstr(op.why, "grpc-status 16"));
    p = wait_power(a, true, 1200, 1);
    assert_true(fabs(p - 1200) <= 1);
    /* raw calls: no token -> UNAUTHENTICATED; unknown method -> UNIMPLEMENTED */
    wm_grpc_conn *c;
    wm_miner_fail f;
    assert_int_equal(wm_grpc_connect(a, WM_GRPC_BOS_PORT, 2000, &c, &f), WM_OK);
    wm_grpc_result r;
    assert_int_equal(wm_grpc_call(c, "/braiins.bos.v1.MinerService/GetMinerStats", NULL, NULL, 0, 2000, &r, &f), WM_OK);
    assert_int_equal(r.grpc_status, WM_GRPC_UNAUTHENTICATED);
    wm_grpc_result_clear(&r);
    assert_int_equal(wm_grpc_call(c, "/braiins.bos.v1.MinerService/Nope", "x", NULL, 0, 2000, &r, &f), WM_OK);
    assert_int_equal(r.grpc_status, WM_GRPC_UNAUTHENTICATED); /* token checked first */
    wm_grpc_result_clear(&r);
    uint8_t lr[64];
    size_t ln = wm_grpc_bos_login_req("root", "root", lr, sizeof lr);
    assert_int_equal(wm_grpc_call(c, "/braiins.bos.v1.AuthenticationService/Login", NULL, lr, ln, 2000, &r, &f), WM_OK);
    assert_int_equal(r.grpc_status, WM_GRPC_OK);
    assert_true(r.auth[0] != 0); /* token also in the authorization header (23.08+ style) */
    char tok[160];
    snprintf(tok, sizeof tok, "%s", r.auth);
    wm_grpc_result_clear(&r);
    assert_int_equal(wm_grpc_call(c, "/braiins.bos.v1.MinerService/Nope", tok, NULL, 0, 2000, &r, &f), WM_OK);
    assert_int_equal(r.grpc_status, WM_GRPC_UNIMPLEMENTED);
    wm_grpc_result_clear(&r);
    wm_grpc_close(c);
    /* no gRPC listener: refused, reported as such */
    char none[32];
    addr(none, sizeof none, 2, 9);
    op = bos_op(WM_VERB_SET_POWER_LIMIT, 1000, "root");
    assert_int_equal(wm_miner_run(none, 4028, &op, 1000), WM_OK);
    assert_int_equal(op.fail, WM_MF_REFUSED);
    wmemu_stop(pid);
}

/* Stock Antminer and Whatsminer: every control verb reported not commandable (with the
 * reason), reads still work; Whatsminer reports its power. */
static void test_not_commandable(void **s)
{
    (void)s;
    char a[32], b[32], spec[80];
    addr(a, sizeof a, 3, 1);
    addr(b, sizeof b, 3, 2);
    snprintf(spec, sizeof spec, "%s", a);
    pid_t p1 = start(spec, "whatsminer", NULL);
    snprintf(spec, sizeof spec, "%s", b);
    pid_t p2 = start(spec, "stock19", NULL);
    const char *hosts[2] = {a, b};
    for (int h = 0; h < 2; h++)
        for (int v = WM_VERB_STOP; v <= WM_VERB_SET_POWER_LIMIT; v++) {
            wm_miner_op op;
            wm_miner_op_init(&op, WM_FW_UNKNOWN, (wm_miner_verb)v, 2000);
            assert_int_equal(wm_miner_run(hosts[h], 4028, &op, 2000), WM_OK);
            assert_int_equal(op.fw, h == 0 ? WM_FW_WHATSMINER : WM_FW_STOCK);
            assert_int_equal(op.fail, WM_MF_UNSUPPORTED);
            assert_non_null(strstr(op.why, "not commandable"));
        }
    wm_miner_op op;
    wm_miner_op_init(&op, WM_FW_UNKNOWN, WM_VERB_READ, 0);
    assert_int_equal(wm_miner_run(a, 4028, &op, 2000), WM_OK);
    assert_int_equal(op.fail, WM_MF_NONE);
    assert_true(op.data.power_w > 3000); /* M30S 3344 W +-3% */
    wm_miner_op_init(&op, WM_FW_UNKNOWN, WM_VERB_READ, 0);
    assert_int_equal(wm_miner_run(b, 4028, &op, 2000), WM_OK);
    assert_int_equal(op.fail, WM_MF_NONE);
    assert_true(isnan(op.data.power_w)); /* stock reports no power: unknown */
    /* a plaintext write on the Whatsminer is refused (token needed) */
    char *rep;
    size_t n;
    wm_miner_fail f;
    assert_int_equal(wm_miner_exchange(a, 4028, "{\"command\":\"power_off\"}", 2000, &rep, &n, &f), WM_OK);
    wm_miner_reply r;
    assert_int_equal(wm_miner_parse(rep, n, &r, NULL), WM_OK);
    assert_int_equal(r.status, 'E');
    assert_int_equal(r.code, 135);
    wm_miner_reply_clear(&r);
    free(rep);
    wmemu_stop(p1);
    wmemu_stop(p2);
}

/* One summary request from source address src; returns the reply length (0 = closed). */
static size_t ask_from(const char *src, const char *dst)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET}, da = {.sin_family = AF_INET, .sin_port = htons(4028)};
    inet_pton(AF_INET, src, &sa.sin_addr);
    inet_pton(AF_INET, dst, &da.sin_addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&da, sizeof da), 0);
    const char *q = "{\"command\":\"summary\"}";
    send(fd, q, strlen(q), MSG_NOSIGNAL);
    char buf[4096];
    size_t n = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) <= 0)
            break;
        ssize_t k = recv(fd, buf, sizeof buf, 0);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    return n;
}

/* Fault 11: the Whatsminer limit of 16 client IPs; the 17th is refused, known IPs still served. */
static void test_fault11_ip_limit(void **s)
{
    (void)s;
    char dst[32], src[32];
    addr(dst, sizeof dst, 4, 1);
    const char *extra[] = {"--fault", "ip_limit=1", NULL};
    pid_t pid = start(dst, "whatsminer", extra);
    for (int i = 1; i <= 16; i++) {
        addr(src, sizeof src, 5, i);
        assert_true(ask_from(src, dst) > 100);
    }
    addr(src, sizeof src, 5, 17);
    assert_int_equal(ask_from(src, dst), 0);
    addr(src, sizeof src, 5, 3);
    assert_true(ask_from(src, dst) > 100); /* a registered IP is still served */
    wmemu_stop(pid);
    /* without the fault the 17th IP is served */
    pid = start(dst, "whatsminer", NULL);
    for (int i = 1; i <= 17; i++) {
        addr(src, sizeof src, 5, i);
        assert_true(ask_from(src, dst) > 100);
    }
    wmemu_stop(pid);
}

int main(int argc, char **argv)
{
    (void)argc;
    wmemu_init(argv[0]);
    g_net = 160 + (int)(getpid() % 90);
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_luxos_power_limit),
        cmocka_unit_test(test_bos_grpc),
        cmocka_unit_test(test_not_commandable),
        cmocka_unit_test(test_fault11_ip_limit),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
