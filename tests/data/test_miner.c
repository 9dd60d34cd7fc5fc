/* test_miner.c - the miner reply parser and drivers against the real captures in
 * ../shared/data/control/captures, and each quirk of control.md section 1 built from those
 * captures (or the documented bytes) by the transformation the quirk describes. */
#include "wmtest.h"
#include "grpc.h"
#include "miner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "control/captures/%s", name);
    FILE *f = fopen(wmt_shared(rel), "rb");
    assert_non_null(f);
    static char *bufs[32];
    static int k;
    char *b = malloc(1 << 17);
    assert_non_null(b);
    size_t n = fread(b, 1, (1 << 17) - 1, f);
    fclose(f);
    while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == '\r'))
        n--;
    b[n] = 0;
    free(bufs[k % 32]);
    bufs[k++ % 32] = b;
    *len = n;
    return b;
}

/* Replace the first occurrence of `from` by `to` in a fresh buffer. */
static char *subst(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    assert_non_null(p);
    size_t a = (size_t)(p - s), fl = strlen(from), tl = strlen(to), sl = strlen(s);
    char *o = malloc(sl - fl + tl + 1);
    memcpy(o, s, a);
    memcpy(o + a, to, tl);
    memcpy(o + a + tl, p + fl, sl - a - fl + 1);
    return o;
}

static void parse_ok(const char *buf, size_t len, wm_miner_reply *r)
{
    wm_err e;
    wm_err_clear(&e);
    wm_status st = wm_miner_parse(buf, len, r, &e);
    if (st != WM_OK)
        print_error("parse failed: %s\n", e.msg);
    assert_int_equal(st, WM_OK);
}

static void extract(const char *buf, size_t len, wm_miner_data *d, unsigned *quirks)
{
    wm_miner_reply r;
    parse_ok(buf, len, &r);
    wm_miner_data_init(d);
    wm_miner_extract(&r, d);
    if (quirks)
        *quirks = r.quirks;
    wm_miner_reply_clear(&r);
}

static void test_status_codes(void **s)
{
    (void)s;
    static const struct { const char *f; int code; const char *msg; } c[] = {
        {"antminer_s17pro_stats.json", 70, "CGMiner stats"},
        {"antminer_s19pro_version.json", 22, "CGMiner versions"},
        {"bosminer_s9_summary.json", 11, "Summary"},
        {"bosminer_s9_temps.json", 201, "3 Temp(s)"},
        {"bosminer_s9_fans.json", 202, "4 Fan(s)"},
        {"luxos_docs_logon.json", 316, "Session created"},
        {"luxos_docs_curtail_sleep.json", 335, "Curtailment command sent"},
        {"luxos_docs_session_empty.json", 319, "Session information"},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        size_t n;
        char *b = slurp(c[i].f, &n);
        wm_miner_reply r;
        parse_ok(b, n, &r);
        assert_int_equal(r.status, 'S');
        assert_true(wm_miner_reply_ok(&r));
        assert_int_equal(r.code, c[i].code);
        assert_string_equal(r.msg, c[i].msg);
        assert_true(r.when > 1500000000);
        assert_int_equal(r.quirks, 0);
        wm_miner_reply_clear(&r);
    }
}

static void test_s17_string_ghs(void **s)
{
    (void)s;
    size_t n;
    char *b = slurp("antminer_s17pro_stats.json", &n);
    wm_miner_data d;
    extract(b, n, &d, NULL);
    assert_near_rel(d.hashrate_th_s, 54.99701, 1e-12); /* "GHS 5s":"54997.01" is a string */
    assert_near_rel(d.elapsed_s, 253447, 0);
    assert_near_rel(d.temp_max_c, 80, 0);     /* temp2_1 */
    assert_near_rel(d.fan_rpm_max, 3120, 0);  /* fan3 */
    assert_string_equal(d.model, "Antminer S17 Pro");
    assert_true(isnan(d.power_w));            /* stock firmware reports no power */
    assert_int_equal(d.state, WM_MS_MINING);
    assert_int_equal(d.when, 1576765846);
}

static void test_s19_spaced_and_sleeping(void **s)
{
    (void)s;
    size_t n;
    char *b = slurp("antminer_s19pro_stats.json", &n);
    wm_miner_data d;
    extract(b, n, &d, NULL);
    assert_near_rel(d.hashrate_th_s, 110.78679, 1e-12);
    assert_near_rel(d.temp_max_c, 27, 0);
    assert_near_rel(d.fan_rpm_max, 5520, 0);
    assert_string_equal(d.model, "Antminer S19 Pro");
    b = slurp("antminer_s19_sleeping_stats.json", &n);
    extract(b, n, &d, NULL);
    assert_near_rel(d.hashrate_th_s, 0, 0);
    assert_int_equal(d.state, WM_MS_SLEEPING);
    assert_true(isnan(d.power_w)); /* asleep is not "0 W": the firmware does not say */
    assert_near_rel(d.fan_rpm_max, 1560, 0);
    b = slurp("antminer_s9k_stats.json", &n);
    extract(b, n, &d, NULL);
    assert_near_rel(d.hashrate_th_s, 14.35919, 1e-12);
    assert_near_rel(d.temp_max_c, 61, 0);
}

static void test_bosminer_and_multi(void **s)
{
    (void)s;
    size_t n1, n2, n3;
    char *sum = slurp("bosminer_s9_summary.json", &n1);
    char *tmp = slurp("bosminer_s9_temps.json", &n2);
    char *fan = slurp("bosminer_s9_fans.json", &n3);
    wm_miner_data d;
    extract(sum, n1, &d, NULL);
    assert_near_rel(d.hashrate_th_s, 15.740915842676325, 1e-12);
    assert_near_rel(d.elapsed_s, 3680, 0);
    /* summary+temps+fans as API 3.1+ joins them: each section an array */
    size_t cap = n1 + n2 + n3 + 64;
    char *multi = malloc(cap);
    int m = snprintf(multi, cap, "{\"summary\":[%s],\"temps\":[%s],\"fans\":[%s],\"id\":1}", sum, tmp, fan);
    wm_miner_reply r;
    parse_ok(multi, (size_t)m, &r);
    assert_int_equal(r.status, 'S');
    assert_non_null(wm_miner_section(&r, "SUMMARY"));
    wm_miner_data_init(&d);
    wm_miner_extract(&r, &d);
    assert_near_rel(d.hashrate_th_s, 15.740915842676325, 1e-12);
    assert_near_rel(d.temp_max_c, 75, 0);
    assert_near_rel(d.fan_rpm_max, 3780, 0);
    wm_miner_reply_clear(&r);
    /* a failed section makes the joined reply fail */
    char *bad = subst(multi, "\"STATUS\":\"S\",\"When\":1597187996", "\"STATUS\":\"E\",\"When\":1597187996");
    parse_ok(bad, strlen(bad), &r);
    assert_int_equal(r.status, 'E');
    assert_false(wm_miner_reply_ok(&r));
    wm_miner_reply_clear(&r);
    free(bad);
    free(multi);
}

static void test_fw_detect(void **s)
{
    (void)s;
    static const struct { const char *f; wm_miner_fw fw; } c[] = {
        {"bosminer_s9_version.json", WM_FW_BOSMINER},
        {"antminer_s19pro_version.json", WM_FW_STOCK},
        {"antminer_s19_sleeping_version.json", WM_FW_STOCK},
        {"luxos_docs_logon.json", WM_FW_LUXOS},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        size_t n;
        char *b = slurp(c[i].f, &n);
        wm_miner_reply r;
        parse_ok(b, n, &r);
        assert_int_equal(wm_miner_fw_detect(&r), c[i].fw);
        wm_miner_reply_clear(&r);
    }
    const char *cg = "{\"STATUS\":[{\"STATUS\":\"S\",\"When\":1,\"Code\":22,\"Msg\":\"CGMiner versions\","
                     "\"Description\":\"cgminer 4.11.1\"}],\"VERSION\":[{\"CGMiner\":\"4.11.1\",\"API\":\"3.7\"}],\"id\":1}";
    wm_miner_reply r;
    parse_ok(cg, strlen(cg), &r);
    assert_int_equal(wm_miner_fw_detect(&r), WM_FW_CGMINER);
    wm_miner_reply_clear(&r);
}

/* Quirks (1)-(5), (10): each applied to a real capture gives the same telemetry. */
static void test_quirks_json(void **s)
{
    (void)s;
    size_t n;
    char *b = slurp("antminer_s17pro_stats.json", &n);
    wm_miner_data d;
    unsigned q;
    /* (1) trailing NUL, as on the wire */
    char *nul = malloc(n + 1);
    memcpy(nul, b, n);
    nul[n] = 0;
    extract(nul, n + 1, &d, &q);
    assert_true(q & WM_Q_NUL);
    assert_near_rel(d.hashrate_th_s, 54.99701, 1e-12);
    free(nul);
    /* (2) "}{" between STATS elements (bmminer, cgminer 4.8-4.9) */
    char *t = subst(b, "},{\"STATS\":0", "}{\"STATS\":0");
    extract(t, strlen(t), &d, &q);
    assert_true(q & WM_Q_MISSING_COMMA);
    assert_near_rel(d.hashrate_th_s, 54.99701, 1e-12);
    assert_string_equal(d.model, "Antminer S17 Pro");
    free(t);
    /* (3) "[,{" */
    t = subst(b, "\"STATS\":[{", "\"STATS\":[,{");
    extract(t, strlen(t), &d, &q);
    assert_true(q & WM_Q_EXTRA_COMMA);
    assert_near_rel(d.hashrate_th_s, 54.99701, 1e-12);
    free(t);
    /* (5) ""temp1 (btminer 2023-01) */
    t = subst(b, "\"temp1\":50", "\"\"temp1\":50");
    extract(t, strlen(t), &d, &q);
    assert_true(q & WM_Q_DOUBLE_QUOTE);
    assert_near_rel(d.temp_max_c, 80, 0);
    free(t);
    /* (4) ",}" and raw newlines (btminer) */
    size_t m;
    char *sum = slurp("bosminer_s9_summary.json", &m);
    t = subst(sum, "\"Work Utility\":184349.05814696933}", "\"Work Utility\":184349.05814696933,\n}");
    char *t2 = subst(t, ",\"Elapsed\":3680", ",\n\"Elapsed\":3680");
    char *t3 = subst(t2, "Summary", "Sum\nmary");
    extract(t3, strlen(t3), &d, &q);
    assert_true(q & WM_Q_EXTRA_COMMA);
    assert_true(q & WM_Q_CONTROL_CHAR);
    assert_near_rel(d.elapsed_s, 3680, 0);
    assert_near_rel(d.hashrate_th_s, 15.740915842676325, 1e-12);
    free(t), free(t2), free(t3);
    /* (6) bare inf/nan (Avalon) and a body starting with ',' */
    t = subst(sum, "\"MHS 5s\":15740915.842676325", "\"MHS 5s\":nan");
    t2 = subst(t, "\"Device Hardware%\":0.001644850292093576", "\"Device Hardware%\":inf");
    size_t l2 = strlen(t2);
    char *t4 = malloc(l2 + 2);
    t4[0] = ',';
    memcpy(t4 + 1, t2, l2 + 1);
    extract(t4, l2 + 1, &d, &q);
    assert_true(q & WM_Q_NONFINITE);
    assert_true(q & WM_Q_EXTRA_COMMA);
    assert_near_rel(d.hashrate_th_s, 11.988299650652435, 1e-12); /* falls back to MHS av */
    free(t), free(t2), free(t4);
    /* (6b) "inf" as a string is unknown, not a number */
    t = subst(sum, "\"MHS 5s\":15740915.842676325", "\"MHS 5s\":\"inf\"");
    wm_miner_reply r;
    parse_ok(t, strlen(t), &r);
    assert_true(isnan(wm_miner_num(wm_miner_item(&r, "SUMMARY", 0), "MHS 5s")));
    wm_miner_reply_clear(&r);
    free(t);
}

/* (7) truncated bodies: every prefix of every capture either fails cleanly or yields values
 * equal to the full reply's (a cut never turns into a wrong number or 0 W). */
static void test_truncation_every_prefix(void **s)
{
    (void)s;
    const char *files[] = {"antminer_s17pro_stats.json", "antminer_s19pro_stats.json",
                           "bosminer_s9_summary.json", "antminer_s9k_stats.json"};
    for (size_t f = 0; f < 4; f++) {
        size_t n;
        char *b = slurp(files[f], &n);
        wm_miner_data full;
        extract(b, n, &full, NULL);
        long ok = 0, truncated = 0;
        for (size_t cut = 0; cut < n; cut++) {
            wm_miner_reply r;
            if (wm_miner_parse(b, cut, &r, NULL) != WM_OK)
                continue;
            ok++;
            if (r.quirks & WM_Q_TRUNCATED)
                truncated++;
            wm_miner_data d;
            wm_miner_data_init(&d);
            wm_miner_extract(&r, &d);
            if (!isnan(d.hashrate_th_s))
                assert_near_rel(d.hashrate_th_s, full.hashrate_th_s, 1e-12);
            if (!isnan(d.elapsed_s))
                assert_near_rel(d.elapsed_s, full.elapsed_s, 0);
            assert_true(isnan(d.power_w));
            wm_miner_reply_clear(&r);
        }
        assert_true(ok > (long)n / 2); /* cut after the STATUS section: still a status */
        assert_int_equal(truncated, ok); /* every proper prefix is flagged */
    }
}

/* (8) STATUS shaped like a dict, (11) STATUS as a bare string, Whatsminer flat errors */
static void test_status_shapes(void **s)
{
    (void)s;
    wm_miner_reply r;
    const char *dict = "{\"STATUS\":{\"STATUS\":\"E\",\"When\":1672531200,\"Code\":14,\"Msg\":\"Invalid command\"},\"id\":1}";
    parse_ok(dict, strlen(dict), &r);
    assert_int_equal(r.status, 'E');
    assert_int_equal(r.code, 14);
    assert_true(r.quirks & WM_Q_STATUS_SHAPE);
    wm_miner_reply_clear(&r);
    const char *restart = "{\"STATUS\":\"RESTART\",\"id\":1}";
    parse_ok(restart, strlen(restart), &r);
    assert_true(wm_miner_reply_ok(&r));
    assert_string_equal(r.msg, "RESTART");
    wm_miner_reply_clear(&r);
    const char *wm = "{\"STATUS\":\"E\",\"When\":1672531200,\"Code\":135,\"Msg\":\"check token err\",\"Description\":\"\"}";
    parse_ok(wm, strlen(wm), &r);
    assert_int_equal(r.status, 'E');
    assert_int_equal(r.code, 135);
    wm_miner_reply_clear(&r);
    /* access denied on stock firmware, captured from an S17 Pro (pyasic #44) */
    const char *deny = "{\"STATUS\":[{\"STATUS\":\"E\",\"When\":1576765846,\"Code\":45,\"Msg\":\"Access denied to 'restart' command\","
                       "\"Description\":\"cgminer 4.11.1\"}],\"id\":1}";
    parse_ok(deny, strlen(deny), &r);
    assert_false(wm_miner_reply_ok(&r));
    assert_int_equal(r.code, 45);
    wm_miner_reply_clear(&r);
}

/* (9) "Pool Stale%%" on S19 bmminer 1.0 */
static void test_pool_stale_key(void **s)
{
    (void)s;
    const char *p = "{\"STATUS\":[{\"STATUS\":\"S\",\"When\":1621205582,\"Code\":7,\"Msg\":\"3 Pool(s)\",\"Description\":\"cgminer 1.0.0\"}],"
                    "\"POOLS\":[{\"POOL\":0,\"URL\":\"stratum+tcp://pool:3333\",\"Pool Rejected%\":0.0,\"Pool Stale%%\":0.25}],\"id\":1}";
    wm_miner_reply r;
    parse_ok(p, strlen(p), &r);
    json_t *pool = wm_miner_item(&r, "POOLS", 0);
    assert_near_rel(wm_miner_num(pool, "Pool Stale%"), 0.25, 0);
    assert_near_rel(wm_miner_num(pool, "Pool Rejected%"), 0, 0);
    wm_miner_reply_clear(&r);
}

static void test_text_form(void **s)
{
    (void)s;
    const char *t = "STATUS=S,When=1612807334,Code=11,Msg=Summary,Description=cgminer 1.0.0|"
                    "SUMMARY,Elapsed=3600,GHS 5s=110786.79,GHS av=111730.11,Found Blocks=0|";
    wm_miner_reply r;
    parse_ok(t, strlen(t) + 1, &r); /* with the framing NUL */
    assert_int_equal(r.status, 'S');
    assert_int_equal(r.code, 11);
    assert_true(r.quirks & WM_Q_TEXT);
    wm_miner_data d;
    wm_miner_data_init(&d);
    wm_miner_extract(&r, &d);
    assert_near_rel(d.hashrate_th_s, 110.78679, 1e-12);
    assert_near_rel(d.elapsed_s, 3600, 0);
    wm_miner_reply_clear(&r);
    /* escaped separators in values; several items with the same section name */
    const char *p = "STATUS=S,When=1,Code=7,Msg=2 Pool(s),Description=cgminer 4.11.1|"
                    "POOL=0,URL=stratum+tcp://a\\,b\\|c:3333,Status=Alive|POOL=1,URL=x\\=y,Status=Dead|";
    parse_ok(p, strlen(p), &r);
    assert_string_equal(json_string_value(json_object_get(wm_miner_item(&r, "POOL", 0), "URL")),
                        "stratum+tcp://a,b|c:3333");
    assert_string_equal(json_string_value(json_object_get(wm_miner_item(&r, "POOL", 1), "URL")), "x=y");
    wm_miner_reply_clear(&r);
    const char *bad = "hello world";
    assert_int_equal(wm_miner_parse(bad, strlen(bad), &r, NULL), WM_EPARSE);
}

static void test_limits_and_errors(void **s)
{
    (void)s;
    wm_miner_reply r;
    wm_err e;
    size_t big = WM_MINER_MAX_REPLY + 1;
    char *b = malloc(big);
    memset(b, ' ', big);
    assert_int_equal(wm_miner_parse(b, big, &r, &e), WM_ELIMIT);
    free(b);
    char deep[200];
    memset(deep, '[', sizeof deep);
    assert_int_equal(wm_miner_parse(deep, sizeof deep, &r, &e), WM_EPARSE);
    assert_int_equal(wm_miner_parse("", 0, &r, &e), WM_EPARSE);
    assert_int_equal(wm_miner_parse("{\"id\":1}", 8, &r, &e), WM_EPARSE); /* no STATUS */
    assert_non_null(strstr(e.msg, "STATUS"));
}

/* Drivers: LuxOS curtail from the documented replies, stock refused, detection then read. */
static void test_driver_luxos(void **s)
{
    (void)s;
    size_t n;
    char req[WM_MINER_MAX_REQUEST];
    size_t rl;
    wm_miner_op op;
    wm_miner_op_init(&op, WM_FW_LUXOS, WM_VERB_STOP, 0);
    assert_int_equal(wm_miner_op_next(&op, req, sizeof req, &rl), WM_OK);
    assert_string_equal(req, "{\"command\":\"logon\"}");
    char *b = slurp("luxos_docs_logon.json", &n);
    wm_miner_op_feed(&op, b, n);
    assert_false(op.done);
    assert_int_equal(wm_miner_op_next(&op, req, sizeof req, &rl), WM_OK);
    assert_string_equal(req, "{\"command\":\"curtail\",\"parameter\":\"yJN2nlj1,sleep\"}");
    b = slurp("luxos_docs_curtail_sleep.json", &n);
    wm_miner_op_feed(&op, b, n);
    assert_false(op.done);
    assert_int_equal(wm_miner_op_next(&op, req, sizeof req, &rl), WM_OK);
    assert_string_equal(req, "{\"command\":\"logoff\",\"parameter\":\"yJN2nlj1\"}");
    wm_miner_op_feed(&op, "garbage", 7); /* logoff is best effort */
    assert_true(op.done);
    assert_int_equal(op.fail, WM_MF_NONE);
    /* logon refused (a session is open): ask `session`; an empty SessionID fails */
    wm_miner_op_init(&op, WM_FW_LUXOS, WM_VERB_RESUME, 0);
    wm_miner_op_next(&op, req, sizeof req, &rl);
    const char *busy = "{\"STATUS\":[{\"STATUS\":\"E\",\"When\":1667917312,\"Code\":317,\"Msg\":\"Session already active\","
                       "\"Description\":\"LUXminer 0.1.0-15436f7140\"}],\"id\":1}";
    wm_miner_op_feed(&op, busy, strlen(busy));
    wm_miner_op_next(&op, req, sizeof req, &rl);
    assert_string_equal(req, "{\"command\":\"session\"}");
    b = slurp("luxos_docs_session_empty.json", &n);
    wm_miner_op_feed(&op, b, n);
    assert_true(op.done);
    assert_int_equal(op.fail, WM_MF_STATUS_E);
}

static void test_driver_stock_and_detect(void **s)
{
    (void)s;
    char req[WM_MINER_MAX_REQUEST];
    size_t rl, n;
    wm_miner_op op;
    wm_miner_op_init(&op, WM_FW_STOCK, WM_VERB_STOP, 0);
    assert_int_equal(wm_miner_op_next(&op, req, sizeof req, &rl), WM_EUNSUPPORTED);
    assert_true(op.done);
    assert_int_equal(op.fail, WM_MF_UNSUPPORTED);
    assert_false(wm_miner_can(WM_FW_STOCK, WM_VERB_RESUME));
    assert_true(wm_miner_can(WM_FW_BOSMINER, WM_VERB_STOP));
    wm_miner_op_init(&op, WM_FW_UNKNOWN, WM_VERB_READ, 0);
    wm_miner_op_next(&op, req, sizeof req, &rl);
    assert_string_equal(req, "{\"command\":\"version\"}");
    char *b = slurp("antminer_s19pro_version.json", &n);
    wm_miner_op_feed(&op, b, n);
    assert_int_equal(op.fw, WM_FW_STOCK);
    wm_miner_op_next(&op, req, sizeof req, &rl);
    assert_string_equal(req, "{\"command\":\"stats\"}");
    b = slurp("antminer_s19pro_stats.json", &n);
    wm_miner_op_feed(&op, b, n);
    assert_true(op.done);
    assert_int_equal(op.fail, WM_MF_NONE);
    assert_near_rel(op.data.hashrate_th_s, 110.78679, 1e-12);
    /* bosminer pause: STATUS E is a failure */
    wm_miner_op_init(&op, WM_FW_BOSMINER, WM_VERB_STOP, 0);
    wm_miner_op_next(&op, req, sizeof req, &rl);
    assert_string_equal(req, "{\"command\":\"pause\"}");
    const char *e = "{\"STATUS\":[{\"STATUS\":\"E\",\"When\":1597187939,\"Code\":14,\"Msg\":\"Invalid command\"}],\"id\":1}";
    wm_miner_op_feed(&op, e, strlen(e));
    assert_true(op.done);
    assert_int_equal(op.fail, WM_MF_STATUS_E);
}


/* LuxOS set_power_limit: `profiles` (no session), logon (documented reply), atmset off,
 * profileset with the highest profile not above the limit (documented reply, docs.luxor.tech
 * firmware/api/luxminer/profileset), logoff. */
static const char *lux_profiles =
    "{\"PROFILES\":[{\"Profile Name\":\"495MHz\",\"Frequency\":495,\"Watts\":2610,\"Step\":\"-2\"},"
    "{\"Profile Name\":\"default\",\"Frequency\":545,\"Watts\":3250,\"Step\":\"0\"},"
    "{\"Profile Name\":\"520MHz\",\"Frequency\":520,\"Watts\":2925,\"Step\":\"-1\"},"
    "{\"Profile Name\":\"bad,name\",\"Watts\":2800},{\"Profile Name\":\"nowatts\"}],"
    "\"STATUS\":[{\"STATUS\":\"S\",\"When\":1706294726,\"Code\":327,\"Msg\":\"Profiles\"}],\"id\":1}";

static void test_driver_luxos_power_limit(void **s)
{
    (void)s;
    size_t n, rl;
    char req[WM_MINER_MAX_REQUEST];
    wm_miner_op op;
    wm_miner_op_init(&op, WM_FW_LUXOS, WM_VERB_SET_POWER_LIMIT, 3000);
    assert_int_equal(wm_miner_op_next(&op, req, sizeof req, &rl), WM_OK);
    assert_string_equal(req, "{\"command\":\"profiles\"}");
    wm_miner_op_feed(&op, lux_profiles, strlen(lux_profiles));
    assert_false(op.done);
    assert_string_equal(op.profile, "520MHz"); /* 2925 W <= 3000 < 3250; "bad,name" skipped */
    assert_near_rel(op.profile_w, 2925, 1e-12);
    wm_miner_op_next(&op, req, sizeof req, &rl);
    assert_string_equal(req, "{\"command\":\"logon\"}");
    char *b = slurp("luxos_docs_logon.json", &n);
    wm_miner_op_feed(&op, b, n);
    wm_miner_op_next(&op, req, sizeof req, &rl);
    assert_string_equal(req, "{\"command\":\"atmset\",\"parameter\":\"yJN2nlj1,enabled=false\"}");
    const char *atm_ok = "{\"STATUS\":[{\"Code\":340,\"Description\":\"LUXminer 2023.7.7.220938-02\",\"Msg\":\"ATM\","
                         "\"STATUS\":\"S\",\"When\":1706294726}],\"id\":1}";
    wm_miner_op_feed(&op, atm_ok, strlen(atm_ok));
    wm_miner_op_next(&op, req, sizeof req, &rl);
    assert_string_equal(req, "{\"command\":\"profileset\",\"parameter\":\"yJN2nlj1,520MHz\"}");
    const char *set_ok = "{\"PROFILE\":[{\"Board\":0,\"FrequencyStep\":5,\"Profile\":\"default\",\"VoltageStep\":0.05}],"
                         "\"STATUS\":[{\"Code\":321,\"Description\":\"LUXminer 2024.1.26.143259-2d8448bf\","
                         "\"Msg\":\"Profile Set\",\"STATUS\":\"S\",\"When\":1706294726}],\"id\":1}";
    wm_miner_op_feed(&op, set_ok, strlen(set_ok));
    assert_false(op.done);
    wm_miner_op_next(&op, req, sizeof req, &rl);
    assert_string_equal(req, "{\"command\":\"logoff\",\"parameter\":\"yJN2nlj1\"}");
    wm_miner_op_feed(&op, "", 0);
    assert_true(op.done);
    assert_int_equal(op.fail, WM_MF_NONE);
    assert_near_rel(op.data.power_limit_w, 2925, 1e-12);
    /* exactly a profile's watts: that profile */
    wm_miner_reply r;
    assert_int_equal(wm_miner_parse(lux_profiles, strlen(lux_profiles), &r, NULL), WM_OK);
    char nm[48];
    double w, lo;
    assert_int_equal(wm_miner_lux_pick_profile(&r, 3250, nm, sizeof nm, &w, &lo), WM_OK);
    assert_string_equal(nm, "default");
    /* below every profile: refused with the lowest named, nothing sent after `profiles` */
    assert_int_equal(wm_miner_lux_pick_profile(&r, 2000, nm, sizeof nm, &w, &lo), WM_ENOTFOUND);
    assert_near_rel(lo, 2610, 1e-12);
    wm_miner_reply_clear(&r);
    wm_miner_op_init(&op, WM_FW_LUXOS, WM_VERB_SET_POWER_LIMIT, 2000);
    wm_miner_op_next(&op, req, sizeof req, &rl);
    wm_miner_op_feed(&op, lux_profiles, strlen(lux_profiles));
    assert_true(op.done);
    assert_int_equal(op.fail, WM_MF_STATUS_E);
    assert_non_null(strstr(op.why, "lowest is 2610 W"));
    /* profileset refused (e.g. ATM still on): STATUS E is a failure, limit not recorded */
    wm_miner_op_init(&op, WM_FW_LUXOS, WM_VERB_SET_POWER_LIMIT, 3000);
    wm_miner_op_next(&op, req, sizeof req, &rl);
    wm_miner_op_feed(&op, lux_profiles, strlen(lux_profiles));
    wm_miner_op_next(&op, req, sizeof req, &rl);
    b = slurp("luxos_docs_logon.json", &n);
    wm_miner_op_feed(&op, b, n);
    wm_miner_op_next(&op, req, sizeof req, &rl);
    wm_miner_op_feed(&op, atm_ok, strlen(atm_ok));
    wm_miner_op_next(&op, req, sizeof req, &rl);
    const char *refused = "{\"STATUS\":[{\"STATUS\":\"E\",\"When\":1706294726,\"Code\":322,\"Msg\":\"no\"}],\"id\":1}";
    wm_miner_op_feed(&op, refused, strlen(refused));
    assert_true(op.done);
    assert_int_equal(op.fail, WM_MF_STATUS_E);
    assert_true(isnan(op.data.power_limit_w));
    /* a non-positive limit is refused before anything is sent */
    wm_miner_op_init(&op, WM_FW_LUXOS, WM_VERB_SET_POWER_LIMIT, -5);
    assert_int_equal(wm_miner_op_next(&op, req, sizeof req, &rl), WM_EINVAL);
    assert_true(op.done);
}

/* Firmwares without a usable control path say why; bosminer power targets are gRPC only. */
static void test_not_commandable(void **s)
{
    (void)s;
    static const char *wm_version =
        "{\"STATUS\":[{\"STATUS\":\"S\",\"When\":1700000000,\"Code\":22,\"Msg\":\"versions\",\"Description\":\"btminer\"}],"
        "\"VERSION\":[{\"API\":\"2.0.5\",\"Miner\":\"btminer\",\"Type\":\"WhatsMiner M30S\"}],\"id\":1}";
    wm_miner_reply r;
    assert_int_equal(wm_miner_parse(wm_version, strlen(wm_version), &r, NULL), WM_OK);
    assert_int_equal(wm_miner_fw_detect(&r), WM_FW_WHATSMINER);
    wm_miner_reply_clear(&r);
    for (int v = WM_VERB_STOP; v <= WM_VERB_SET_POWER_LIMIT; v++) {
        assert_false(wm_miner_can(WM_FW_WHATSMINER, (wm_miner_verb)v));
        assert_false(wm_miner_can(WM_FW_STOCK, (wm_miner_verb)v));
        assert_non_null(strstr(wm_miner_why_not(WM_FW_WHATSMINER, (wm_miner_verb)v), "password"));
        assert_non_null(strstr(wm_miner_why_not(WM_FW_STOCK, (wm_miner_verb)v), "read-only"));
        assert_null(wm_miner_why_not(WM_FW_LUXOS, (wm_miner_verb)v));
    }
    assert_null(wm_miner_why_not(WM_FW_STOCK, WM_VERB_READ));
    char req[WM_MINER_MAX_REQUEST];
    size_t rl;
    wm_miner_op op;
    wm_miner_op_init(&op, WM_FW_WHATSMINER, WM_VERB_STOP, 0);
    assert_int_equal(wm_miner_op_next(&op, req, sizeof req, &rl), WM_EUNSUPPORTED);
    assert_int_equal(op.fail, WM_MF_UNSUPPORTED);
    assert_non_null(strstr(op.why, "not commandable"));
    wm_miner_op_init(&op, WM_FW_WHATSMINER, WM_VERB_READ, 0);
    assert_int_equal(wm_miner_op_next(&op, req, sizeof req, &rl), WM_OK);
    assert_string_equal(req, "{\"command\":\"summary\"}");
    /* bosminer power target: not on the 4028 poller (gRPC) */
    wm_miner_op_init(&op, WM_FW_BOSMINER, WM_VERB_SET_POWER_LIMIT, 1500);
    assert_true(wm_miner_op_grpc(&op));
    assert_int_equal(wm_miner_op_next(&op, req, sizeof req, &rl), WM_EUNSUPPORTED);
    assert_non_null(strstr(op.why, "gRPC"));
}

/* Protobuf bytes worked out by hand from the encoding rules and bos-plus-api field numbers:
 * SetPowerTargetRequest{save_action=2, power_target{watt=2500}} = 08 02 | 12 03 | 08 c4 13. */
static void test_grpc_wire(void **s)
{
    (void)s;
    uint8_t b[64], f[80];
    size_t n = wm_grpc_bos_set_power_req(2, 2500, b, sizeof b);
    const uint8_t want[] = {0x08, 0x02, 0x12, 0x03, 0x08, 0xc4, 0x13};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(b, want, sizeof want);
    int sa;
    uint64_t w;
    bool has;
    assert_int_equal(wm_grpc_bos_set_power_req_parse(b, n, &sa, &w, &has, NULL), WM_OK);
    assert_int_equal(sa, 2);
    assert_int_equal(w, 2500);
    assert_true(has);
    /* LoginRequest{"root","x"} = 0a 04 'root' 12 01 'x' */
    n = wm_grpc_bos_login_req("root", "x", b, sizeof b);
    const uint8_t lw[] = {0x0a, 4, 'r', 'o', 'o', 't', 0x12, 1, 'x'};
    assert_int_equal(n, sizeof lw);
    assert_memory_equal(b, lw, sizeof lw);
    /* framing: 00 + big-endian length */
    size_t fl = wm_grpc_frame(b, n, f, sizeof f);
    assert_int_equal(fl, n + 5);
    assert_int_equal(f[0], 0);
    assert_int_equal(f[4], n);
    const uint8_t *m;
    size_t ml, used;
    assert_int_equal(wm_grpc_unframe(f, fl, &m, &ml, &used, NULL), WM_OK);
    assert_int_equal(ml, n);
    wm_err e;
    assert_int_equal(wm_grpc_unframe(f, fl - 1, &m, &ml, &used, &e), WM_EPARSE); /* cut */
    f[0] = 1;
    assert_int_equal(wm_grpc_unframe(f, fl, &m, &ml, &used, &e), WM_EPARSE);   /* compressed */
    assert_non_null(strstr(e.msg, "compressed"));
    const uint8_t huge[] = {0, 0x7f, 0xff, 0xff, 0xff};
    assert_int_equal(wm_grpc_unframe(huge, 5, &m, &ml, &used, &e), WM_ELIMIT);
    /* GetMinerStatsResponse{power_stats{approximated_consumption{watt=1323}}}, with an unknown
     * field 2 before it (skipped): 12 00 | 1a 05 0a 03 08 ab 0a */
    const uint8_t st[] = {0x12, 0x00, 0x1a, 0x05, 0x0a, 0x03, 0x08, 0xab, 0x0a};
    assert_int_equal(wm_grpc_bos_stats_power_parse(st, sizeof st, &w, NULL), WM_OK);
    assert_int_equal(w, 1323);
    assert_int_equal(wm_grpc_bos_stats_power_parse(st, 2, &w, NULL), WM_ENOTFOUND); /* unknown, not 0 */
    assert_int_equal(wm_grpc_bos_stats_power_parse(st, sizeof st - 1, &w, &e), WM_EPARSE);
    const uint8_t badwire[] = {0x0b}; /* field 1, wire type 3 (group) */
    bool flag;
    assert_int_equal(wm_grpc_bos_flag_resp_parse(badwire, 1, &flag, &e), WM_EPARSE);
    const uint8_t longvar[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(wm_grpc_bos_flag_resp_parse(longvar, sizeof longvar, &flag, &e), WM_EPARSE);
    /* LoginResponse{token} and grpc-message percent coding */
    const uint8_t lr[] = {0x0a, 3, 'a', 'b', 'c', 0x10, 0x90, 0x1c};
    char tok[16];
    assert_int_equal(wm_grpc_bos_login_resp_parse(lr, sizeof lr, tok, sizeof tok, NULL), WM_OK);
    assert_string_equal(tok, "abc");
    char enc[64], dec[64];
    wm_grpc_pct_encode("50% of [0W]\n", enc, sizeof enc);
    assert_string_equal(enc, "50%25 of [0W]%0A");
    wm_grpc_pct_decode(enc, strlen(enc), dec, sizeof dec);
    assert_string_equal(dec, "50% of [0W] ");
}


/* Found by fuzz_miner_reply: a Code or When beyond int/int64 range is treated as absent
 * (it was an undefined float-to-int conversion). */
static void test_huge_status_numbers(void **s)
{
    (void)s;
    const char *b = "{\"STATUS\":[{\"STATUS\":\"S\",\"When\":1e300,\"Code\":\"88888888888888888888\",\"Msg\":\"x\"}],\"id\":1}";
    wm_miner_reply r;
    assert_int_equal(wm_miner_parse(b, strlen(b), &r, NULL), WM_OK);
    assert_int_equal(r.code, -1);
    assert_int_equal(r.when, -1);
    assert_int_equal(r.status, 'S');
    wm_miner_reply_clear(&r);
}

/* (12) a miner that stopped listening on 4028 (Z15 with a bad pool): refused, not 0 W */
static void test_refused(void **s)
{
    (void)s;
    wm_miner_op op;
    wm_miner_op_init(&op, WM_FW_STOCK, WM_VERB_READ, 0);
    assert_int_equal(wm_miner_run("127.0.0.1", 1, &op, 500), WM_OK);
    assert_true(op.done);
    assert_int_equal(op.fail, WM_MF_REFUSED);
    assert_true(isnan(op.data.power_w));
    assert_true(isnan(op.data.hashrate_th_s));
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_status_codes),
        cmocka_unit_test(test_s17_string_ghs),
        cmocka_unit_test(test_s19_spaced_and_sleeping),
        cmocka_unit_test(test_bosminer_and_multi),
        cmocka_unit_test(test_fw_detect),
        cmocka_unit_test(test_quirks_json),
        cmocka_unit_test(test_truncation_every_prefix),
        cmocka_unit_test(test_status_shapes),
        cmocka_unit_test(test_pool_stale_key),
        cmocka_unit_test(test_text_form),
        cmocka_unit_test(test_limits_and_errors),
        cmocka_unit_test(test_driver_luxos),
        cmocka_unit_test(test_driver_stock_and_detect),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_driver_luxos_power_limit),
        cmocka_unit_test(test_not_commandable),
        cmocka_unit_test(test_grpc_wire),
        cmocka_unit_test(test_huge_status_numbers),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
