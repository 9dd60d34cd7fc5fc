/* test_ctl_serve.c - what `wattmux serve` reads besides the miners: the serve: section's paths
 * (resolved against the site file's directory; absolute ones unchanged; a site given as a bare
 * name or a buffer keeps them as written), and the plan results file behind /api/v1/plan
 * (missing -> null + the reason, a `wattmux plan --out` directory -> its results.json, re-read
 * when it changes, malformed or not a plan -> null + file:line:col or why; the decision is
 * always served next to it). */
#include "wmtest.h"
#include "api.h"
#include "site.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    *len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[*len] = 0;
    return buf;
}

/* examples/site-live.yaml with its serve: paths replaced */
static char *site_text(const char *csv, const char *db, const char *token, const char *plan, size_t *len)
{
    size_t n;
    const char *ex = read_text("examples/site-live.yaml", &n);
    const char *cut = strstr(ex, "\nserve:\n");
    assert_non_null(cut);
    cut++;
    static char out[1 << 16];
    int k = snprintf(out, sizeof out,
                     "%.*sserve:\n  miners:\n    - fleet: xp\n      addresses: 127.0.0.1\n  prices:\n    csv: %s\n"
                     "    headers_file: h/ercot.txt\n  db: %s\n  token_file: %s\n  plan_json: %s\n",
                     (int)(cut - ex), ex, csv, db, token, plan);
    assert_true(k > 0 && (size_t)k < sizeof out);
    *len = (size_t)k;
    return out;
}

static void test_serve_paths_relative_to_site(void **s)
{
    (void)s;
    size_t n;
    char *txt = site_text("prices.csv", "/var/lib/w.db", "../secret/token", "plans/plan.json", &n);
    static wm_site site;
    wm_err err;
    wm_err_clear(&err);
    wm_status pst = wm_site_parse(txt, n, "sites/west/site.yaml", &site, &err);
    if (pst != WM_OK)
        print_error("%s:%ld:%ld: %s\n", err.source, err.line, err.col, err.msg);
    assert_int_equal(pst, WM_OK);
    assert_true(site.serve.present);
    assert_string_equal(site.serve.csv, "sites/west/prices.csv");
    assert_string_equal(site.serve.headers_file, "sites/west/h/ercot.txt");
    assert_string_equal(site.serve.db, "/var/lib/w.db"); /* absolute: unchanged */
    assert_string_equal(site.serve.token_file, "sites/west/../secret/token");
    assert_string_equal(site.serve.plan_json, "sites/west/plans/plan.json");
    assert_int_equal(wm_site_parse(txt, n, "/abs/dir/site.yaml", &site, &err), WM_OK);
    assert_string_equal(site.serve.csv, "/abs/dir/prices.csv");
    /* a site file in the working directory: paths as written */
    assert_int_equal(wm_site_parse(txt, n, "site.yaml", &site, &err), WM_OK);
    assert_string_equal(site.serve.csv, "prices.csv");
    assert_string_equal(site.serve.plan_json, "plans/plan.json");
    /* too long once prefixed: an error naming the key */
    char dir[160];
    memset(dir, 'd', sizeof dir);
    memcpy(dir + 140, "/site.yaml", 11); /* 150 characters */
    char longcsv[400];
    memset(longcsv, 'p', sizeof longcsv - 1);
    longcsv[sizeof longcsv - 1] = 0;
    txt = site_text(longcsv, "w.db", "t", "p.json", &n);
    assert_int_equal(wm_site_parse(txt, n, dir, &site, &err), WM_ELIMIT);
    assert_non_null(strstr(err.msg, "prices.csv"));
    /* a site name too long to know its directory: relative paths refused */
    char deep[300];
    memset(deep, 'd', sizeof deep);
    memcpy(deep + 280, "/site.yaml", 11);
    txt = site_text("prices.csv", "/w.db", "/t", "/p.json", &n);
    assert_int_equal(wm_site_parse(txt, n, deep, &site, &err), WM_ELIMIT);
    assert_non_null(strstr(err.msg, "absolute path"));
}

/* A controller of the given miners (never ticked: nothing is polled), breakeven decider. */
static wm_ctl *new_ctl(const char *targets)
{
    wm_ctl_cfg cfg;
    wm_ctl_cfg_default(&cfg);
    cfg.cap_w = 1e6;
    wm_target *t = NULL;
    size_t n = 0;
    assert_int_equal(wm_targets_parse(targets, 4028, &t, &n, 10, NULL), WM_OK);
    wm_ctl *c;
    assert_int_equal(wm_ctl_new(&cfg, t, n, NULL, (wm_decider){wm_decide_breakeven, NULL}, &c), WM_OK);
    free(t);
    return c;
}

/* /api/v1/plan from a published controller (not ticked: no miners are polled) */
static json_t *get_plan(wm_api *a, wm_ctl *c)
{
    assert_int_equal(wm_api_publish(a, c, 1e9), WM_OK);
    wm_http_req rq = {.method = "GET", .path = "/api/v1/plan"};
    wm_http_resp rs = {0};
    assert_int_equal(wm_api_handle(a, &rq, &rs), WM_OK);
    assert_int_equal(rs.code, 200);
    json_error_t je;
    json_t *j = json_loadb(rs.body, rs.len, 0, &je);
    free(rs.body);
    assert_non_null(j);
    assert_true(json_is_object(json_object_get(j, "decision")));
    /* the brief form: the same without "plan" */
    rq.query = "plan=0";
    assert_int_equal(wm_api_handle(a, &rq, &rs), WM_OK);
    assert_int_equal(rs.code, 200);
    json_t *b = json_loadb(rs.body, rs.len, 0, &je);
    free(rs.body);
    assert_non_null(b);
    assert_null(json_object_get(b, "plan"));
    assert_true(json_equal(json_object_get(b, "decision"), json_object_get(j, "decision")));
    assert_true(json_equal(json_object_get(b, "plan_version"), json_object_get(j, "plan_version")));
    assert_true(json_equal(json_object_get(b, "plan_error"), json_object_get(j, "plan_error")));
    json_decref(b);
    return j;
}

static long plan_version(json_t *j)
{
    assert_true(json_is_integer(json_object_get(j, "plan_version")));
    return (long)json_integer_value(json_object_get(j, "plan_version"));
}

static void write_file(const char *path, const char *text)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(rename(tmp, path), 0);
}

/* POST /api/v1/miners/reset: token checks as /api/v1/mode, a miner of the published fleet or
 * "*", queued for the controller's next tick in order; nothing is queued on any error. */
static int post_reset(wm_api *a, const char *auth, const char *body)
{
    wm_http_req rq = {.method = "POST", .path = "/api/v1/miners/reset", .auth = auth, .body = body,
                      .body_len = body ? strlen(body) : 0};
    wm_http_resp rs = {0};
    assert_int_equal(wm_api_handle(a, &rq, &rs), WM_OK);
    free(rs.body);
    return rs.code;
}

static void test_miner_reset_endpoint(void **s)
{
    (void)s;
    wm_ctl *c = new_ctl("127.0.0.1:9,127.0.0.2:4028");
    wm_api *off, *a;
    assert_int_equal(wm_api_new(NULL, NULL, &off), WM_OK);
    assert_int_equal(post_reset(off, "Bearer x", "{\"miner\":\"*\"}"), 403);
    wm_api_free(off);
    assert_int_equal(wm_api_new(NULL, "s3cret", &a), WM_OK);
    assert_int_equal(wm_api_publish(a, c, 1e9), WM_OK);
    const char *ok = "Bearer s3cret";
    assert_int_equal(post_reset(a, NULL, "{\"miner\":\"*\"}"), 401);
    assert_int_equal(post_reset(a, "Bearer s3cre", "{\"miner\":\"*\"}"), 401);
    assert_int_equal(post_reset(a, ok, "{\"miner\":"), 400);
    assert_int_equal(post_reset(a, ok, "{\"miner\":7}"), 400);
    assert_int_equal(post_reset(a, ok, "{\"miner\":\"127.0.0.1:99999999999999999999\"}"), 400); /* too long */
    assert_int_equal(post_reset(a, ok, "{\"miner\":\"127.0.0.3:4028\"}"), 404);
    assert_int_equal(post_reset(a, ok, "{\"miner\":\"127.0.0.2:40\"}"), 404); /* a prefix is not a miner */
    wm_http_req get = {.method = "GET", .path = "/api/v1/miners/reset"};
    wm_http_resp rs = {0};
    assert_int_equal(wm_api_handle(a, &get, &rs), WM_OK);
    assert_int_equal(rs.code, 405);
    free(rs.body);
    char names[WM_API_MAX_RESETS][24];
    assert_int_equal(wm_api_take_resets(a, names, WM_API_MAX_RESETS), 0);
    assert_int_equal(post_reset(a, ok, "{\"miner\":\"127.0.0.2:4028\"}"), 202);
    assert_int_equal(post_reset(a, ok, "{\"miner\":\"*\"}"), 202);
    assert_int_equal(wm_api_take_resets(a, names, 1), 1);
    assert_string_equal(names[0], "127.0.0.2:4028");
    assert_int_equal(wm_api_take_resets(a, names, WM_API_MAX_RESETS), 1);
    assert_string_equal(names[0], "*");
    /* a full queue refuses (503) until the controller takes it */
    for (int k = 0; k < WM_API_MAX_RESETS; k++)
        assert_int_equal(post_reset(a, ok, "{\"miner\":\"*\"}"), 202);
    assert_int_equal(post_reset(a, ok, "{\"miner\":\"*\"}"), 503);
    assert_int_equal(wm_api_take_resets(a, names, WM_API_MAX_RESETS), WM_API_MAX_RESETS);
    wm_api_free(a);
    wm_ctl_free(c);
}

static void test_plan_file(void **s)
{
    (void)s;
    char dir[] = "/tmp/wm_plan_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[600], results[700];
    snprintf(path, sizeof path, "%s/out", dir);
    snprintf(results, sizeof results, "%s/results.json", path);
    wm_ctl *c = new_ctl("127.0.0.1:9");
    wm_api *a;
    assert_int_equal(wm_api_new(NULL, NULL, &a), WM_OK);
    /* no plan file configured */
    json_t *j = get_plan(a, c);
    assert_true(json_is_null(json_object_get(j, "plan")) && json_is_null(json_object_get(j, "plan_error")));
    json_decref(j);
    /* configured, missing */
    assert_int_equal(wm_api_set_plan_file(a, path), WM_OK);
    j = get_plan(a, c);
    assert_true(json_is_null(json_object_get(j, "plan")));
    assert_non_null(strstr(json_string_value(json_object_get(j, "plan_error")), "No such file"));
    json_decref(j);
    /* a `wattmux plan --out` directory: its results.json */
    assert_int_equal(mkdir(path, 0700), 0);
    write_file(results, "{\"strategies\": [{\"strategy\": \"stay mining\", \"npv_mean_usd\": 29516729.0109099}], "
                        "\"recommended_x_mw\": 0}");
    j = get_plan(a, c);
    json_t *st = json_object_get(json_object_get(j, "plan"), "strategies");
    assert_int_equal(json_array_size(st), 1);
    assert_true(json_real_value(json_object_get(json_array_get(st, 0), "npv_mean_usd")) == 29516729.0109099);
    assert_true(json_is_null(json_object_get(j, "plan_error")));
    long v1 = plan_version(j);
    json_decref(j);
    j = get_plan(a, c); /* published again, the file unchanged: the same version */
    assert_int_equal(plan_version(j), v1);
    json_decref(j);
    /* rewritten (new size and mtime): re-read, a new version */
    write_file(results, "{\"strategies\": [{\"strategy\": \"a\"}, {\"strategy\": \"b\"}]}");
    j = get_plan(a, c);
    assert_int_equal(json_array_size(json_object_get(json_object_get(j, "plan"), "strategies")), 2);
    assert_true(plan_version(j) != v1);
    json_decref(j);
    /* malformed: null and where */
    write_file(results, "{\"strategies\": [1,\n 2,");
    j = get_plan(a, c);
    assert_true(json_is_null(json_object_get(j, "plan")));
    assert_non_null(strstr(json_string_value(json_object_get(j, "plan_error")), "results.json:2:"));
    json_decref(j);
    /* valid JSON, not a plan */
    write_file(results, "[1, 2, 3]");
    j = get_plan(a, c);
    assert_true(json_is_null(json_object_get(j, "plan")));
    assert_non_null(strstr(json_string_value(json_object_get(j, "plan_error")), "strategies[]"));
    json_decref(j);
    /* removed again */
    unlink(results);
    j = get_plan(a, c);
    assert_true(json_is_null(json_object_get(j, "plan")));
    assert_non_null(strstr(json_string_value(json_object_get(j, "plan_error")), "No such file"));
    json_decref(j);
    rmdir(path);
    rmdir(dir);
    wm_api_free(a);
    wm_ctl_free(c);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_serve_paths_relative_to_site),
        cmocka_unit_test(test_plan_file),
        cmocka_unit_test(test_miner_reset_endpoint),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
