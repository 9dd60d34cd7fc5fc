/* test_prices_feed.c - the live price feed (lib/prices_feed.c) against a local HTTP server
 * (libmicrohttpd) serving fixtures: the JSON feed, and ERCOT's Public API report NP6-905-CD built
 * from real rows of ERCOT's own 15-minute SPP file for February 2021 (same columns as the
 * report). Fresh data gives the latest price of the settlement point at the right UTC time;
 * stale, malformed, truncated, oversized, HTTP errors and a dead server give fresh == false
 * with a reason, never a crash or a guessed price. Also the CSV replay clock. */
#include "wmtest.h"
#include "prices.h"

#include <curl/curl.h>
#include <math.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *g_body;
static size_t g_len;
static unsigned g_code = 200;

static enum MHD_Result serve(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                             const char *ver, const char *data, size_t *size, void **pp)
{
    (void)cls, (void)url, (void)method, (void)ver, (void)data, (void)size, (void)pp;
    struct MHD_Response *r = MHD_create_response_from_buffer(g_len, g_body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret = MHD_queue_response(c, g_code, r);
    MHD_destroy_response(r);
    return ret;
}

static struct MHD_Daemon *g_d;
static char g_url[64];

static int up(void **st)
{
    (void)st;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    g_d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, serve, NULL, MHD_OPTION_END);
    assert_non_null(g_d);
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(g_d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(g_url, sizeof g_url, "http://127.0.0.1:%u/feed", (unsigned)i->port);
    return 0;
}

static int down(void **st)
{
    (void)st;
    MHD_stop_daemon(g_d);
    free(g_body);
    curl_global_cleanup();
    return 0;
}

static void set_body(const char *b, unsigned code)
{
    free(g_body);
    g_len = strlen(b);
    g_body = malloc(g_len + 1);
    memcpy(g_body, b, g_len + 1);
    g_code = code;
}

static wm_prices_feed *open_feed(wm_prices_feed_format fmt, const char *url)
{
    wm_prices_feed_cfg c = {.url = url, .format = fmt, .settlement_point = "LZ_WEST", .stale_s = 3600, .timeout_s = 1};
    wm_prices_feed *f;
    assert_int_equal(wm_prices_feed_new(&c, 0, &f, NULL), WM_OK);
    return f;
}

static void test_json_feed(void **st)
{
    (void)st;
    wm_prices_feed *f = open_feed(WM_PRICES_FEED_JSON, g_url);
    wm_prices_reading r;
    set_body("{\"price_usd_per_mwh\": 42.5, \"t\": 1700000000}", 200);
    wm_prices_feed_read(f, 1700000100, &r);
    assert_true(r.fresh);
    assert_near_rel(r.price_usd_per_mwh, 42.5, 1e-15);
    wm_prices_feed_read(f, 1700000000 + 3601, &r); /* an hour later the same answer is stale */
    assert_false(r.fresh);
    assert_non_null(strstr(r.why, "stale"));
    const char *bad[] = {"{\"price_usd_per_mwh\": \"cheap\", \"t\": 1700000000}", "{\"t\": 1700000000}",
                         "[1,2,3]", "{\"price_usd_per_mwh\": 42.5, \"t\": 17", "", "\xff\xfe{}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        set_body(bad[i], 200);
        wm_prices_feed_read(f, 1700000100, &r);
        assert_false(r.fresh);
        assert_true(r.why[0] != 0);
    }
    set_body("{\"price_usd_per_mwh\": 42.5, \"t\": 1700000000}", 503);
    wm_prices_feed_read(f, 1700000100, &r);
    assert_false(r.fresh);
    assert_non_null(strstr(r.why, "HTTP 503"));
    /* larger than the cap: refused, not parsed */
    size_t big = WM_PRICES_FEED_MAX_BYTES + 100;
    char *b = malloc(big + 1);
    memset(b, ' ', big);
    b[big] = 0;
    memcpy(b, "{\"price_usd_per_mwh\": 1, \"t\": 1700000000", 39);
    set_body(b, 200);
    free(b);
    wm_prices_feed_read(f, 1700000100, &r);
    assert_false(r.fresh);
    assert_non_null(strstr(r.why, "too large"));
    wm_prices_feed_free(f);
    /* nobody listening */
    f = open_feed(WM_PRICES_FEED_JSON, "http://127.0.0.1:1/feed");
    wm_prices_feed_read(f, 1700000100, &r);
    assert_false(r.fresh);
    assert_non_null(strstr(r.why, "request failed"));
    wm_prices_feed_free(f);
}

/* An NP6-905-CD report page built from ERCOT's own rows: LZ_WEST (type LZ and LZEW) and
 * HB_NORTH for the last hours of 2021-02-15 (Winter Storm Uri). */
static void test_ercot_feed(void **st)
{
    (void)st;
    FILE *in = fopen(wmt_shared("power/ercot_rtm_spp_15min_2021-02.csv"), "r");
    assert_non_null(in);
    char line[256];
    size_t cap = 1 << 20, n = 0;
    char *body = malloc(cap);
    n += (size_t)snprintf(body + n, cap - n,
                          "{\"_meta\":{\"totalRecords\":0},\"report\":{\"reportEMIL\":\"NP6-905-CD\"},\"fields\":["
                          "{\"name\":\"deliveryDate\",\"dataType\":\"DATE\"},{\"name\":\"deliveryHour\",\"dataType\":\"INTEGER\"},"
                          "{\"name\":\"deliveryInterval\",\"dataType\":\"INTEGER\"},{\"name\":\"settlementPoint\",\"dataType\":\"VARCHAR\"},"
                          "{\"name\":\"settlementPointType\",\"dataType\":\"VARCHAR\"},{\"name\":\"settlementPointPrice\",\"dataType\":\"DOUBLE\"},"
                          "{\"name\":\"DSTFlag\",\"dataType\":\"BOOLEAN\"}],\"data\":[");
    double want_lz = NAN, want_lzew = NAN;
    int rows = 0, want_h = 0, want_i = 0;
    while (fgets(line, sizeof line, in)) {
        char date[16], dst[4], sp[32], type[8];
        int h, iv;
        double p;
        if (sscanf(line, "%10[^,],%d,%d,%3[^,],%31[^,],%7[^,],%lf", date, &h, &iv, dst, sp, type, &p) != 7)
            continue;
        if (strcmp(date, "02/15/2021") != 0 || h < 20 || (strcmp(sp, "LZ_WEST") && strcmp(sp, "HB_NORTH")))
            continue;
        int y = 2021, mo = 2, d = 15;
        n += (size_t)snprintf(body + n, cap - n, "%s[\"%04d-%02d-%02d\",%d,%d,\"%s\",\"%s\",%.2f,%s]", rows ? "," : "", y,
                              mo, d, h, iv, sp, type, p, dst[0] == 'Y' ? "true" : "false");
        rows++;
        if (!strcmp(sp, "LZ_WEST") && (h > want_h || (h == want_h && iv > want_i)) && !strcmp(type, "LZ")) {
            want_lz = p;
            want_h = h, want_i = iv;
        }
        if (!strcmp(sp, "LZ_WEST") && !strcmp(type, "LZEW"))
            want_lzew = p;
    }
    fclose(in);
    n += (size_t)snprintf(body + n, cap - n, "]}");
    assert_true(rows >= 30);
    assert_int_equal(want_h, 24);
    assert_int_equal(want_i, 4);
    (void)want_lzew;
    set_body(body, 200);
    /* 2021-02-15 23:45 CST = 2021-02-16 05:45 UTC */
    double t_last = 1613454300;
    wm_prices_feed *f = open_feed(WM_PRICES_FEED_ERCOT, g_url);
    wm_prices_reading r;
    wm_prices_feed_read(f, t_last + 900, &r);
    assert_true(r.fresh);
    assert_near_rel(r.price_usd_per_mwh, want_lz, 1e-12);
    assert_near_rel(r.t, t_last, 1e-12);
    assert_near_rel(r.interval_h, 0.25, 1e-15);
    wm_prices_feed_read(f, t_last + 2 * 3600, &r); /* ERCOT stopped publishing: stale */
    assert_false(r.fresh);
    /* the same page as objects (keys = field names) parses alike */
    wm_prices_reading r2;
    const char *obj = "{\"data\":[{\"deliveryDate\":\"2021-02-15\",\"deliveryHour\":24,\"deliveryInterval\":4,"
                      "\"settlementPoint\":\"LZ_WEST\",\"settlementPointPrice\":1234.5,\"DSTFlag\":false}]}";
    assert_int_equal(wm_prices_feed_parse(WM_PRICES_FEED_ERCOT, obj, strlen(obj), "LZ_WEST", &r2, NULL), WM_OK);
    assert_near_rel(r2.t, t_last, 1e-12);
    /* the repeated hour of a fall-back day: DSTFlag picks the second 01:xx (CST) */
    const char *rep = "{\"data\":[{\"deliveryDate\":\"2023-11-05\",\"deliveryHour\":2,\"deliveryInterval\":1,"
                      "\"settlementPoint\":\"LZ_WEST\",\"settlementPointPrice\":20,\"DSTFlag\":true}]}";
    assert_int_equal(wm_prices_feed_parse(WM_PRICES_FEED_ERCOT, rep, strlen(rep), "LZ_WEST", &r2, NULL), WM_OK);
    assert_near_rel(r2.t, 1699167600, 1e-12); /* 2023-11-05 01:00 CST = 07:00 UTC */
    /* malformed pages: no data, missing fields, bad hour, no such point */
    const char *bad[] = {"{\"fields\":[]}", "{\"fields\":[{\"name\":\"settlementPoint\"}],\"data\":[[\"LZ_WEST\"]]}",
                         "{\"data\":[{\"deliveryDate\":\"2021-02-15\",\"deliveryHour\":25,\"deliveryInterval\":1,"
                         "\"settlementPoint\":\"LZ_WEST\",\"settlementPointPrice\":1}]}",
                         "{\"data\":[{\"deliveryDate\":\"2021-02-30\",\"deliveryHour\":1,\"deliveryInterval\":1,"
                         "\"settlementPoint\":\"LZ_WEST\",\"settlementPointPrice\":1}]}",
                         "{\"data\":[{\"deliveryDate\":\"2021-02-15\",\"deliveryHour\":1,\"deliveryInterval\":1,"
                         "\"settlementPoint\":\"HB_NORTH\",\"settlementPointPrice\":1}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        set_body(bad[i], 200);
        wm_prices_feed_read(f, t_last + 900, &r);
        assert_false(r.fresh);
        assert_true(isnan(r.price_usd_per_mwh));
        assert_non_null(strstr(r.why, "feed:"));
    }
    wm_prices_feed_free(f);
    free(body);
}

/* CSV replay: the simulated clock walks the real hourly series at the given speed. */
static void test_replay(void **st)
{
    (void)st;
    wm_prices_feed_cfg c = {.csv = wmt_shared("power/ercot_rtm_lz_hourly_2023.csv"), .column = "LZ_WEST",
                            .speed = 3600, .start = 0};
    wm_prices_feed *f;
    assert_int_equal(wm_prices_feed_new(&c, 1000, &f, NULL), WM_OK);
    wm_prices_req req = {.column = "LZ_WEST"};
    wm_prices *p;
    assert_int_equal(wm_prices_load(c.csv, &req, &p, NULL), WM_OK);
    wm_prices_reading r;
    for (int k = 0; k < 30; k++) {
        wm_prices_feed_read(f, 1000 + k + 0.5, &r); /* one hour per wall second */
        assert_true(r.fresh);
        assert_near_rel(r.t, (double)p->time[k], 1e-12);
        assert_near_rel(r.price_usd_per_mwh, p->price[k], 1e-12);
    }
    wm_prices_feed_read(f, 1000 + (double)p->n + 1, &r);
    assert_false(r.fresh);
    assert_non_null(strstr(r.why, "past the last"));
    wm_prices_free(p);
    wm_prices_feed_free(f);
    wm_prices_feed_cfg both = {.csv = "x.csv", .url = "http://x/"};
    assert_int_equal(wm_prices_feed_new(&both, 0, &f, NULL), WM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_json_feed),
        cmocka_unit_test(test_ercot_feed),
        cmocka_unit_test(test_replay),
    };
    return cmocka_run_group_tests(t, up, down);
}
