/* test_site.c - the site file loader and the site -> dispatch problem builder: the example site
 * loads with the values its comments state, every kind of bad input gives an error at the right
 * file:line:col and leaves the output zeroed, and contract terms (TOU, fixed, PPA, DR, 4CP,
 * tuning curves, deadlines) become the right prices, caps and groups. */
#include "wmtest.h"

#include "btc.h"
#include "series.h"
#include "site.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_example(void **state)
{
    (void)state;
    wm_site *s = calloc(1, sizeof *s);
    wm_err e;
    wm_err_clear(&e);
    wm_status st = wm_site_load("examples/site.yaml", s, &e);
    if (st != WM_OK)
        print_error("%s:%ld:%ld: %s\n", e.source, e.line, e.col, e.msg);
    assert_int_equal(st, WM_OK);
    assert_string_equal(s->name, "Permian Flex 1");
    assert_true(s->interconnect_mw == 100);
    assert_int_equal(s->nhalls, 3);
    assert_int_equal(s->nfleets, 2);
    assert_int_equal(s->ninference, 1);
    assert_int_equal(s->ntraining, 1);
    assert_int_equal(s->ncp4, 4);
    assert_int_equal(s->ndr, 1);
    /* 14,000 x 3,010 W x 1.05 = 44.247 MW (the comment says 44.2) */
    assert_near_rel(s->fleets[0].facility_mw, 14000 * 3010 * 1.05 / 1e6, 1e-12);
    assert_true(fabs(s->fleets[0].facility_mw - 44.2) < 0.05);
    assert_true(fabs(s->fleets[1].facility_mw - 34.0) < 0.05);
    /* value per facility MWh: net hashprice / (24 h x J/TH x PUE / 1000) */
    double eff = 3010.0 / 140.0;
    assert_near_rel(s->fleets[0].value_usd_per_mwh, 68 * 0.98 / (24 * eff * 1.05 / 1000), 1e-12);
    /* breakeven of an S19 XP at $68/PH/day: ~$123/MWh, between energy.md's $96 (29.5 J/TH) and $132 (21.5 J/TH, gross) */
    assert_true(s->fleets[0].value_usd_per_mwh > 96 && s->fleets[0].value_usd_per_mwh < 132);
    /* 2023-08-24 17:00 CDT = 22:00 UTC */
    char b[21];
    assert_string_equal(wm_fmt_time(s->dr[0].start, b), "2023-08-24T22:00:00Z");
    assert_string_equal(wm_fmt_time(s->cp4_intervals[0], b), "2023-06-21T00:00:00Z");

    int64_t t0;
    assert_int_equal(wm_parse_time("2023-08-01T05:00:00Z", &t0), WM_OK);
    int64_t time[48];
    double price[48];
    for (int t = 0; t < 48; t++) {
        time[t] = t0 + 3600 * t;
        price[t] = 10.0 * t;
    }
    wm_site_run *r;
    assert_int_equal(wm_site_run_new(s, time, price, 48, 1.0, &r, &e), WM_OK);
    const wm_dispatch_problem *p = &r->problem;
    assert_int_equal(p->ngroups, 6); /* inference, training, s19xp, 3 segments of the s21 curve */
    assert_int_equal(r->nloads, 4);
    double seg = 0;
    for (size_t g = 3; g < 6; g++) {
        assert_int_equal(p->group[g].load, 3);
        seg += p->group[g].max_mw;
        if (g > 3)
            assert_true(p->group[g].value_usd_per_mwh < p->group[g - 1].value_usd_per_mwh);
    }
    assert_near_rel(seg, s->fleets[1].facility_mw, 1e-12);
    /* first segment: 70% of the power gives 80% of the hashrate */
    assert_near_rel(p->group[3].value_usd_per_mwh, s->fleets[1].value_usd_per_mwh * 0.8 / 0.7, 1e-12);
    assert_int_equal(p->group[1].kind, WM_LOAD_BLOCK);
    assert_int_equal(p->group[1].min_on, 2);
    assert_true(p->group[1].initially_on);
    assert_near_rel(p->group[1].max_mw, 10, 1e-12);
    assert_near_rel(p->group[0].value_usd_per_mwh, 300 / 1.25, 1e-12);
    assert_true(p->buy[5] == 52.0); /* index + $2 adder */
    assert_true(p->sell[5] == 49.5); /* index - $0.5 */
    assert_true(p->ppa_mw == 40);
    assert_int_equal(p->nmonths, 1);
    assert_int_equal(r->dr_intervals, 0);
    assert_true(p->dr_credit_usd == 0); /* the DR window is outside these two days */
    wm_site_run_free(r);
    free(s);
}

static const char *BASE = "site:\n"
                          "  interconnect_mw: 50\n"
                          "halls:\n"
                          "  - name: h\n"
                          "    pue: 1.0\n"
                          "mining:\n"
                          "  hashprice_usd_per_ph_day: 50\n"
                          "fleets:\n"
                          "  - name: f\n"
                          "    hall: h\n"
                          "    model: s21\n"
                          "    count: 1000\n"
                          "contract:\n"
                          "  energy:\n"
                          "    type: index\n";

typedef struct bad {
    const char *extra; /* appended to BASE, or a whole file if it starts with '!' */
    long line, col;    /* 0 = not checked */
    const char *msg;
} bad;

static void test_bad_files(void **state)
{
    (void)state;
    static const bad cases[] = {
        {"  ppa:\n    blok_mw: 5\n", 17, 5, "unknown key 'blok_mw' in ppa"},
        {"!site:\n  interconect_mw: 5\ncontract: {}\n", 2, 3, "unknown key 'interconect_mw'"},
        {"!site:\n  interconnect_mw: abc\ncontract: {}\n", 2, 20, "expected a number in MW"},
        {"!site:\n  interconnect_mw: -3\ncontract: {}\n", 2, 20, "outside"},
        {"!site:\n  interconnect_mw: 5\n", 1, 1, "missing required key 'contract'"},
        {"!site:\n  name: x\ncontract: {}\n", 1, 1, "missing required key 'interconnect_mw'"},
        {"!wh:\n%  peri\xff\xffg 00:15\"]}\n", 2, 8, "invalid UTF-8 byte 0xff"}, /* hung libfyaml (fuzz_site) */
        {"!site:\n  name: a\x01" "b\n", 2, 10, "control character 0x01"},
        {"!site: [1, 2\n", 2, 1, "YAML: flow sequence without a closing bracket"},
        {"!site:\n  interconnect_mw: 5\n  interconnect_mw: 6\ncontract: {}\n", 3, 3, "YAML: duplicate key"},
        {"!x: &a 5\nsite:\n  interconnect_mw: *a\ncontract: {}\n", 1, 1, "unknown key 'x'"},
        {"!site:\n  interconnect_mw: *a\ncontract: {}\n", 0, 0, ""},
        {"  energy2: 1\n", 16, 3, "unknown key 'energy2' in contract"},
        {"  cp4:\n    intervals: [\"2023-02-30 10:00\"]\n", 17, 18, "expected a local time"},
        {"  cp4:\n    intervals: [\"2023-03-12 02:30\"]\n", 17, 18, "expected a local time"}, /* DST hole */
        {"  demand_response:\n    - start: \"2023-08-01 10:00\"\n      end: \"2023-08-01 09:00\"\n      limit_mw: 5\n", 0, 0,
         "end must be after start"},
        {"  energy_type: fixed\n", 16, 3, "unknown key"},
        {"ai:\n  inference:\n    - name: i\n      hall: h\n      it_mw: 10\n"
         "  training:\n    - name: t\n      hall: nowhere\n      it_mw: 1\n      value_usd_per_mwh: 1\n",
         0, 0, "unknown hall 'nowhere'"},
        {"ai:\n  inference:\n    - name: f\n      hall: h\n      it_mw: 10\n", 0, 0, "load name 'f' is used twice"},
        {"ai:\n  inference:\n    - name: i\n      hall: h\n      it_mw: 80\n", 0, 0, "firm inference needs 80 MW"},
        {"ai:\n  inference:\n    - name: i\n      hall: h\n      it_mw: 10\n"
         "  demand_response:\n    - start: \"2023-08-01 10:00\"\n      end: \"2023-08-01 11:00\"\n      limit_mw: 5\n",
         18, 3, "unknown key 'demand_response' in ai"},
        {"ai:\n  inference: {name: i}\n", 14, 3, "inference: expected a list"},
        {"ai:\n  inference:\n    - name: i\n      hall: h\n", 14, 3, "missing required key 'it_mw'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[4096];
        if (cases[i].extra[0] == '!')
            snprintf(buf, sizeof buf, "%s", cases[i].extra + 1);
        else if (strncmp(cases[i].extra, "  ", 2) == 0)
            snprintf(buf, sizeof buf, "%s%s", BASE, cases[i].extra);
        else { /* a top-level section: insert before contract: */
            const char *c = strstr(BASE, "contract:");
            snprintf(buf, sizeof buf, "%.*s%s%s", (int)(c - BASE), BASE, cases[i].extra, c);
        }
        wm_site s;
        memset(&s, 0x5a, sizeof s);
        wm_err e;
        wm_err_clear(&e);
        wm_status st = wm_site_parse(buf, strlen(buf), "t.yaml", &s, &e);
        if (st == WM_OK || !strstr(e.msg, cases[i].msg) || (cases[i].line && (e.line != cases[i].line || e.col != cases[i].col))) {
            print_error("case %zu: status %s, got '%s:%ld:%ld: %s', expected %ld:%ld '%s'\n---\n%s---\n", i, wm_strerror(st),
                        e.source, e.line, e.col, e.msg, cases[i].line, cases[i].col, cases[i].msg, buf);
            fail();
        }
        assert_string_equal(e.source, "t.yaml");
        assert_int_equal(s.nfleets, 0); /* nothing half-loaded */
        assert_true(s.name[0] == '\0');
    }
    /* the aliasing case: refused, not expanded */
    const char *al = "site: &s\n  interconnect_mw: 5\nhalls: []\ncontract: *s\n";
    wm_site s;
    wm_err e;
    assert_int_not_equal(wm_site_parse(al, strlen(al), "a.yaml", &s, &e), WM_OK);
    assert_non_null(strstr(e.msg, "alias"));
    /* missing file */
    assert_int_equal(wm_site_load("/nonexistent/site.yaml", &s, &e), WM_EIO);
}

static void test_tuning_and_models(void **state)
{
    (void)state;
    static const struct {
        const char *fleet;
        const char *msg;
    } cases[] = {
        {"    tuning: [[0.5, 0.4], [1, 1]]\n", "concave"},
        {"    tuning: [[0.5, 0.6], [0.9, 0.95]]\n", "end at [1, 1]"},
        {"    tuning: [[0.5, 0.6], [0.5, 0.7], [1, 1]]\n", "raise power"},
        {"    tuning: [[0.5], [1, 1]]\n", "[power_fraction, hashrate_fraction]"},
        {"    tuning: [[0.6, 0.7], [1, 1]]\n    ramp_mw_per_min: 2\n", "ramp limit with a multi-point tuning curve"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[4096];
        const char *c = strstr(BASE, "contract:");
        snprintf(buf, sizeof buf, "%.*s%s%s", (int)(c - BASE), BASE, cases[i].fleet, c);
        wm_site s;
        wm_err e;
        wm_err_clear(&e);
        assert_int_not_equal(wm_site_parse(buf, strlen(buf), "t.yaml", &s, &e), WM_OK);
        if (!strstr(e.msg, cases[i].msg)) {
            print_error("case %zu: '%s', expected '%s'\n", i, e.msg, cases[i].msg);
            fail();
        }
    }
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", BASE);
    char *m = strstr(buf, "model: s21");
    memcpy(m, "model: zz", 9);
    m[9] = ' ';
    wm_site s;
    wm_err e;
    assert_int_equal(wm_site_parse(buf, strlen(buf), "t.yaml", &s, &e), WM_ENOTFOUND);
    assert_non_null(strstr(e.msg, "unknown ASIC model"));
    /* hashprice derived with btc.h when not given */
    snprintf(buf, sizeof buf, "%s", BASE);
    char *h = strstr(buf, "  hashprice_usd_per_ph_day: 50\n");
    const char *derived = "  btc_price_usd: 60000\n  difficulty: 8.0e13\n  fees_btc_per_block: 0.2\n";
    char out[4096];
    snprintf(out, sizeof out, "%.*s%s%s", (int)(h - buf), buf, derived, h + strlen("  hashprice_usd_per_ph_day: 50\n"));
    assert_int_equal(wm_site_parse(out, strlen(out), "t.yaml", &s, &e), WM_OK);
    wm_hashprice hp;
    assert_int_equal(wm_btc_hashprice(8.0e13, 60000, 3.125, 0.2, &hp), WM_OK);
    assert_near_rel(s.hashprice_used_usd_per_ph_day, hp.usd_per_ph_day, 1e-12);
}

static void test_contract_prices(void **state)
{
    (void)state;
    const char *tou = "site:\n  interconnect_mw: 50\nhalls: [{name: h, pue: 1.2}]\n"
                      "ai:\n  inference: [{name: i, hall: h, it_mw: 10, value_usd_per_mwh: 100}]\n"
                      "  training:\n    - {name: t, hall: h, it_mw: 20, value_usd_per_mwh: 90, energy_mwh: 48,\n"
                      "       deadline: \"2023-08-01 06:00\", min_run_h: 0.75}\n"
                      "contract:\n  energy:\n    type: tou\n    default_usd_per_mwh: 30\n"
                      "    periods:\n      - {start_hour: 14, end_hour: 20, weekdays_only: true, price_usd_per_mwh: 90}\n"
                      "      - {start_hour: 22, end_hour: 2, price_usd_per_mwh: 20}\n"
                      "  demand_charge_usd_per_kw_month: 8\n"
                      "  cp4: {rate_usd_per_kw_year: 120, intervals: [\"2023-08-01 16:15\"]}\n"
                      "  demand_response:\n    - {name: d, start: \"2023-08-01 17:00\", end: \"2023-08-01 19:00\","
                      " limit_mw: 15, credit_usd: 1000}\n";
    wm_site s;
    wm_err e;
    wm_err_clear(&e);
    wm_status st = wm_site_parse(tou, strlen(tou), "tou.yaml", &s, &e);
    if (st != WM_OK)
        print_error("%s:%ld:%ld: %s\n", e.source, e.line, e.col, e.msg);
    assert_int_equal(st, WM_OK);
    /* 15-min intervals from 2023-07-31 00:00 CDT (Monday) for 6 days */
    int64_t t0;
    assert_int_equal(wm_site_parse_local(&s, "2023-07-31", &t0), WM_OK);
    size_t n = 6 * 96;
    int64_t *time = malloc(n * sizeof *time);
    double *price = malloc(n * sizeof(double));
    for (size_t t = 0; t < n; t++) {
        time[t] = t0 + 900 * (int64_t)t;
        price[t] = 1000; /* unused by a TOU contract (only for sell-back) */
    }
    wm_site_run *r;
    assert_int_equal(wm_site_run_new(&s, time, price, n, 0.25, &r, &e), WM_OK);
    const wm_dispatch_problem *p = &r->problem;
    assert_true(p->buy[0] == 20);               /* Mon 00:00: 22-02 period wraps midnight */
    assert_true(p->buy[8] == 30);               /* Mon 02:00 */
    assert_true(p->buy[14 * 4] == 90);          /* Mon 14:00 */
    assert_true(p->buy[20 * 4 - 1] == 90);      /* Mon 19:45 */
    assert_true(p->buy[20 * 4] == 30);          /* Mon 20:00 */
    assert_true(p->buy[5 * 96 + 15 * 4] == 30); /* Sat 15:00: weekdays only */
    assert_true(p->sell == NULL);               /* no PPA */
    assert_near_rel(p->demand_usd_per_mw_month, 8000, 1e-12);
    /* DR: Tue 17:00-19:00 = 8 intervals capped at 15 MW; the credit counts */
    assert_int_equal(r->dr_intervals, 8);
    assert_true(p->cap_mw[96 + 17 * 4] == 15 && p->cap_mw[96 + 19 * 4] == 50 && r->cap_always[96 + 17 * 4] == 50);
    assert_true(p->dr_credit_usd == 1000 && r->always_on.dr_credit_usd == 0);
    /* 4CP: one interval (Tue 16:15) carries the whole charge: 120 $/kW-yr * 1000 / 1 / 0.25 h */
    assert_true(p->charge4cp[96 + 16 * 4 + 1] == 120 * 1000 / 0.25);
    assert_int_equal(r->cp4_in_horizon, 1);
    /* training: 20 MW IT x 1.2 = 24 MW; 48 MWh IT = 57.6 MWh facility by Tue 06:00 (interval 119 ends then) */
    const wm_dispatch_group *tr = &p->group[1];
    assert_near_rel(tr->max_mw, 24, 1e-12);
    assert_near_rel(tr->energy_mwh, 57.6, 1e-12);
    assert_int_equal(tr->deadline, 96 + 6 * 4 - 1);
    assert_int_equal(tr->min_on, 3); /* 0.75 h */
    free(time);
    free(price);
    wm_site_run_free(r);
}

static void test_schema_print(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    wm_site_schema_print(f);
    fclose(f);
    assert_non_null(strstr(buf, "interconnect_mw:"));
    assert_non_null(strstr(buf, "[MW]"));
    assert_non_null(strstr(buf, "checkpoint_cost_usd:"));
    assert_non_null(strstr(buf, "sell_back_discount_usd_per_mwh:"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example),          cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_tuning_and_models), cmocka_unit_test(test_contract_prices),
        cmocka_unit_test(test_schema_print),
    };
    return cmocka_run_group_tests_name("site", tests, NULL, NULL);
}
