/* test_ctl_dispatch.c - the controller's deciders from a site file (lib/ctl_dispatch.c) and the
 * site file's serve: section (lib/site_serve.c). On a plain site (one fleet, index energy, no AI)
 * the dispatch decider and the break-even rule agree on every hour of the real 2023 LZ_WEST
 * series; where the dispatch model knows more (a firm AI load eating the interconnect, fleets
 * with different J/TH, a take-or-pay PPA block with and without sell-back, a 4CP peak) the
 * dispatch decision differs from break-even and equals a direct lib/dispatch solve. */
#include "wmtest.h"
#include "ctl_dispatch.h"
#include "prices.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *base_yaml =
    "site: {name: t, interconnect_mw: %g, timezone: us-central}\n"
    "halls: [{name: h, pue: 1.0}, {name: g, pue: 1.0}]\n"
    "mining: {hashprice_usd_per_ph_day: 68, pool_fee: 0.02}\n"
    "fleets:\n"
    "  - {name: xp, hall: h, model: s19xp, count: 20}\n"
    "%s"
    "%s"
    "contract:\n"
    "  energy: {type: index, adder_usd_per_mwh: 0}\n"
    "%s";

static wm_site *load(double ic, const char *fleets2, const char *ai, const char *contract)
{
    char y[4096];
    snprintf(y, sizeof y, base_yaml, ic, fleets2, ai, contract);
    wm_site *s = malloc(sizeof *s);
    wm_err e;
    wm_err_clear(&e);
    wm_status st = wm_site_parse(y, strlen(y), "test.yaml", s, &e);
    if (st != WM_OK)
        print_error("%s:%ld:%ld: %s\n", e.source, e.line, e.col, e.msg);
    assert_int_equal(st, WM_OK);
    return s;
}

static void decide(wm_ctl_dispatch *d, double t, double price, long n0, long n1, wm_decide_out *o)
{
    wm_decide_in in = {.t = t, .market_t = t, .interval_h = 1, .price_usd_per_mwh = price, .price_fresh = true,
                       .nfleets = n1 ? 2 : 1};
    in.fleet_miners[0] = n0;
    in.fleet_miners[1] = n1;
    assert_int_equal(wm_ctl_dispatch_decide(d, &in, o), WM_OK);
}

static void breakeven(wm_site *s, double price, wm_decide_out *o)
{
    wm_decide_in in = {.price_usd_per_mwh = price, .price_fresh = true, .cap_w = 1e9, .nfleets = 1};
    assert_int_equal(wm_ctl_breakeven_site(s, &in, o), WM_OK);
}

/* Plain site: dispatch and break-even agree on every hour of 2023 (LZ_WEST). */
static void test_plain_site_agrees(void **st)
{
    (void)st;
    wm_site *s = load(100, "", "", "");
    wm_ctl_dispatch *d;
    assert_int_equal(wm_ctl_dispatch_new(s, &d, NULL), WM_OK);
    wm_prices_req req = {.column = "LZ_WEST"};
    wm_prices *p;
    assert_int_equal(wm_prices_load(wmt_shared("power/ercot_rtm_lz_hourly_2023.csv"), &req, &p, NULL), WM_OK);
    static wm_decide_out a, b;
    long agree = 0, mine = 0;
    for (size_t i = 0; i < p->n; i++) {
        decide(d, (double)p->time[i], p->price[i], 20, 0, &a);
        breakeven(s, p->price[i], &b);
        agree += a.mine == b.mine && a.fleet[0].target_miners == (b.mine ? 20 : 0);
        mine += a.mine;
    }
    assert_int_equal(agree, (long)p->n);
    assert_true(mine > 0 && mine < (long)p->n); /* both regimes occur */
    assert_near_rel(b.breakeven_usd_per_mwh, s->fleets[0].value_usd_per_mwh, 1e-12);
    wm_prices_free(p);
    wm_ctl_dispatch_free(d);
    free(s);
}

/* Firm AI takes half the interconnect: dispatch runs only the miners that fit. */
static void test_firm_ai_eats_interconnect(void **st)
{
    (void)st;
    wm_site *s = load(0.09, "", "ai: {inference: [{name: inf, hall: g, it_mw: 0.05, value_usd_per_mwh: 300}]}\n", "");
    wm_ctl_dispatch *d;
    assert_int_equal(wm_ctl_dispatch_new(s, &d, NULL), WM_OK);
    static wm_decide_out a, b;
    decide(d, 1690000000, 20, 20, 0, &a);
    breakeven(s, 20, &b);
    assert_true(b.mine); /* the rule would run the whole fleet */
    double room = 0.09 - 0.05, fleet = s->fleets[0].facility_mw;
    assert_true(room < fleet);
    assert_near_rel(a.fleet[0].target_mw, room, 1e-9);
    assert_int_equal(a.fleet[0].target_miners, (long)floor(room / fleet * 20 + 1e-9));
    assert_true(a.fleet[0].target_miners < 20);
    assert_near_rel(a.cap_w, room * 1e6, 1e-9); /* the miners' own limit this interval */
    wm_ctl_dispatch_free(d);
    free(s);
}

/* Two fleets (21.5 and 34.2 J/TH): between their values only the efficient one runs. */
static void test_fleets_merit_order(void **st)
{
    (void)st;
    wm_site *s = load(100, "  - {name: old, hall: h, model: s19, count: 20}\n", "", "");
    wm_ctl_dispatch *d;
    assert_int_equal(wm_ctl_dispatch_new(s, &d, NULL), WM_OK);
    double v0 = s->fleets[0].value_usd_per_mwh, v1 = s->fleets[1].value_usd_per_mwh;
    assert_true(v1 < v0);
    static wm_decide_out a, b;
    double price = 0.5 * (v0 + v1);
    decide(d, 1690000000, price, 20, 20, &a);
    assert_int_equal(a.fleet[0].target_miners, 20);
    assert_int_equal(a.fleet[1].target_miners, 0);
    breakeven(s, price, &b); /* the site-wide rule runs both or neither */
    double avg = b.breakeven_usd_per_mwh;
    assert_true(avg > v1 && avg < v0);
    assert_near_rel(a.fleet[0].breakeven_usd_per_mwh, v0, 1e-12);
    assert_near_rel(a.fleet[1].breakeven_usd_per_mwh, v1, 1e-12);
    decide(d, 1690000000, v1 - 1, 20, 20, &a);
    assert_int_equal(a.fleet[1].target_miners, 20);
    decide(d, 1690000000, v0 + 1, 20, 20, &a);
    assert_false(a.mine);
    wm_ctl_dispatch_free(d);
    free(s);
}

/* A take-or-pay PPA block is sunk: without sell-back the fleet runs on it above break-even;
 * with sell-back the block is worth the index price and the fleet stops. */
static void test_ppa_sellback(void **st)
{
    (void)st;
    wm_site *s0 = load(100, "", "", "  ppa: {block_mw: 0.03, price_usd_per_mwh: 40, sell_back: false}\n");
    wm_site *s1 = load(100, "", "", "  ppa: {block_mw: 0.03, price_usd_per_mwh: 40, sell_back: true}\n");
    wm_ctl_dispatch *d0, *d1;
    assert_int_equal(wm_ctl_dispatch_new(s0, &d0, NULL), WM_OK);
    assert_int_equal(wm_ctl_dispatch_new(s1, &d1, NULL), WM_OK);
    double price = s0->fleets[0].value_usd_per_mwh + 50;
    static wm_decide_out a, b, c;
    breakeven(s0, price, &b);
    assert_false(b.mine);
    decide(d0, 1690000000, price, 20, 0, &a);
    assert_near_rel(a.fleet[0].target_mw, 0.03, 1e-9);
    assert_int_equal(a.fleet[0].target_miners, (long)floor(0.03 / s0->fleets[0].facility_mw * 20 + 1e-9));
    decide(d1, 1690000000, price, 20, 0, &c);
    assert_false(c.mine);
    assert_non_null(strstr(c.detail, "\"sell_usd_per_mwh\":"));
    wm_ctl_dispatch_free(d0);
    wm_ctl_dispatch_free(d1);
    free(s0);
    free(s1);
}

/* A 4CP peak interval: cheap energy, but the transmission charge makes mining a loss. */
static void test_4cp_peak(void **st)
{
    (void)st;
    wm_site *s = load(100, "", "", "  cp4: {rate_usd_per_kw_year: 100, intervals: [\"2023-07-31 19:00\"]}\n");
    wm_ctl_dispatch *d;
    assert_int_equal(wm_ctl_dispatch_new(s, &d, NULL), WM_OK);
    int64_t peak = s->cp4_intervals[0];
    static wm_decide_out a;
    decide(d, (double)peak, 30, 20, 0, &a);
    assert_false(a.mine);
    decide(d, (double)peak + 3600, 30, 20, 0, &a); /* the next hour is no peak */
    assert_int_equal(a.fleet[0].target_miners, 20);
    wm_ctl_dispatch_free(d);
    free(s);
}

static void test_stale_is_safe(void **st)
{
    (void)st;
    wm_site *s = load(100, "", "", "");
    wm_ctl_dispatch *d;
    assert_int_equal(wm_ctl_dispatch_new(s, &d, NULL), WM_OK);
    wm_decide_in in = {.t = 1690000000, .market_t = NAN, .price_usd_per_mwh = NAN, .price_fresh = false, .nfleets = 1};
    in.fleet_miners[0] = 20;
    static wm_decide_out o;
    assert_int_equal(wm_ctl_dispatch_decide(d, &in, &o), WM_OK);
    assert_string_equal(o.mode, "safe");
    assert_false(o.mine);
    wm_ctl_dispatch_free(d);
    free(s);
}

/* serve: section: parsed values, unknown fleet at file:line:col, one price source. */
static void test_serve_section(void **st)
{
    (void)st;
    const char *serve =
        "serve:\n"
        "  decider: breakeven\n"
        "  miners:\n"
        "    - {fleet: xp, addresses: \"127.0.0.1-127.0.0.9\", port: 4029, driver: luxos}\n"
        "  prices: {url: \"http://127.0.0.1:1/p\", format: ercot, settlement_point: LZ_WEST, stale_s: 900}\n"
        "  listen: 127.0.0.1:9000\n";
    char y[4096];
    snprintf(y, sizeof y, base_yaml, 100.0, "", "", serve);
    static wm_site s;
    wm_err e;
    wm_err_clear(&e);
    assert_int_equal(wm_site_parse(y, strlen(y), "t.yaml", &s, &e), WM_OK);
    assert_true(s.serve.present);
    assert_int_equal(s.serve.nminers, 1);
    assert_int_equal(s.serve.miners[0].fleet_index, 0);
    assert_int_equal((int)s.serve.miners[0].port, 4029);
    assert_int_equal(s.serve.miners[0].driver, WM_SERVE_DRIVER_LUXOS);
    assert_int_equal(s.serve.format, WM_SERVE_FEED_ERCOT);
    assert_int_equal(s.serve.decider, WM_SERVE_DECIDER_BREAKEVEN);
    assert_string_equal(s.serve.settlement_point, "LZ_WEST");
    /* a fleet the site does not have: the error points at its name */
    char bad[4096];
    snprintf(bad, sizeof bad, base_yaml, 100.0, "", "", "serve:\n  miners:\n    - fleet: nosuch\n      addresses: 127.0.0.1\n");
    assert_int_equal(wm_site_parse(bad, strlen(bad), "t.yaml", &s, &e), WM_ENOTFOUND);
    long line = 1;
    for (const char *c = bad; c < strstr(bad, "nosuch"); c++)
        line += *c == '\n';
    assert_int_equal(e.line, line);
    assert_int_equal(e.col, 14);
    assert_non_null(strstr(e.msg, "unknown fleet 'nosuch'"));
    assert_non_null(strstr(e.msg, "xp"));
    snprintf(bad, sizeof bad, base_yaml, 100.0, "", "", "serve:\n  prices: {csv: a.csv, url: \"http://x/\"}\n");
    assert_int_equal(wm_site_parse(bad, strlen(bad), "t.yaml", &s, &e), WM_EINVAL);
    assert_non_null(strstr(e.msg, "not both"));
    snprintf(bad, sizeof bad, base_yaml, 100.0, "", "", "serve:\n  tick_s: 0\n");
    assert_int_equal(wm_site_parse(bad, strlen(bad), "t.yaml", &s, &e), WM_ERANGE);
    assert_true(e.line > 0 && e.col > 0);
    snprintf(bad, sizeof bad, base_yaml, 100.0, "", "", "serve:\n  decider: oracle\n");
    assert_int_equal(wm_site_parse(bad, strlen(bad), "t.yaml", &s, &e), WM_EPARSE);
    assert_non_null(strstr(e.msg, "dispatch, breakeven"));
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_plain_site_agrees),  cmocka_unit_test(test_firm_ai_eats_interconnect),
        cmocka_unit_test(test_fleets_merit_order), cmocka_unit_test(test_ppa_sellback),
        cmocka_unit_test(test_4cp_peak),           cmocka_unit_test(test_stale_is_safe),
        cmocka_unit_test(test_serve_section),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
