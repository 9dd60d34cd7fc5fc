/* cmd_dispatch.c - `wattmux dispatch SITE.yaml --prices FILE.csv --column NAME`: loads the site
 * and the price series, solves the exact dispatch and the always-on baseline, prints a summary
 * (energy, cost, revenue by load, curtailment, uptime, sell-back, demand response, 4CP, value of
 * flexibility) and a monthly table, and writes the per-interval schedule (CSV, or JSON when the
 * file name ends in .json). All numbers come from lib/dispatch.h; this file only formats. */
#include "cli.h"
#include "commands.h"
#include "dispatch.h"
#include "prices.h"
#include "site.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const wm_param dispatch_params[] = {
    {"prices", "prices", WM_PARAM_STR, "", NAN, 0, 0, NULL, "price CSV (ERCOT layouts are recognised)"},
    {"column", "column", WM_PARAM_STR, "", NAN, 0, 0, NULL, "settlement point or column, e.g. LZ_WEST"},
    {"from", "from", WM_PARAM_STR, "local date", NAN, 0, 0, WM_PARAM_OPTIONAL_STR, "first day (YYYY-MM-DD[ HH:MM], site time)"},
    {"to", "to", WM_PARAM_STR, "local date", NAN, 0, 0, WM_PARAM_OPTIONAL_STR, "end, exclusive (site time)"},
    {"interval", "interval_min", WM_PARAM_INT, "min", 0, 0, 1440, NULL, "dispatch interval (5, 15, 60); 0 = the series' step"},
    {"tz", "price_timezone", WM_PARAM_STR, "", NAN, 0, 0, "us-central", "time zone of generic price files: us-central or utc"},
    {"time-column", "time_column", WM_PARAM_STR, "", NAN, 0, 0, WM_PARAM_OPTIONAL_STR, "time column of generic price files"},
    {"out", "out", WM_PARAM_STR, "", NAN, 0, 0, WM_PARAM_OPTIONAL_STR, "write the schedule here (.csv or .json)"},
    {"solver", "solver", WM_PARAM_STR, "", NAN, 0, 0, "auto", "auto (exact specialised algorithm) or glpk"},
    {"schema", "schema", WM_PARAM_FLAG, "", 0, 0, 1, NULL, "print every site-file key with unit, default, bounds"},
    {NULL, NULL, WM_PARAM_NUM, NULL, 0, 0, 0, NULL, NULL},
};

static const char *PROG = "wattmux dispatch";

static double load_power(const wm_dispatch_problem *p, const double *x, int load, size_t t)
{
    double s = 0;
    for (size_t g = 0; g < p->ngroups; g++)
        if (p->group[g].load == load)
            s += x[g * p->n + t];
    return s;
}

static void fmt_local(const wm_site *s, int64_t utc, char out[24])
{
    int64_t l = wm_site_to_local(s, utc);
    int64_t day = l >= 0 ? l / 86400 : (l - 86399) / 86400;
    int64_t sec = l - day * 86400;
    int y;
    unsigned m, d;
    wm_civil_from_days(day, &y, &m, &d);
    snprintf(out, 24, "%04d-%02u-%02u %02d:%02d", y, m, d, (int)(sec / 3600), (int)(sec % 3600 / 60));
}

static int write_schedule(const char *path, const wm_site *site, const wm_site_run *run, const double *x)
{
    const wm_dispatch_problem *p = &run->problem;
    bool json = strlen(path) > 5 && strcmp(path + strlen(path) - 5, ".json") == 0;
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "%s: %s: cannot write the schedule\n", PROG, path);
        return CLI_FAIL;
    }
    json_t *arr = json ? json_array() : NULL;
    if (!json) {
        fprintf(f, "time_utc,time_local,price_usd_per_mwh,buy_usd_per_mwh,cap_mw");
        for (int l = 0; l < run->nloads; l++)
            fprintf(f, ",%s_mw", run->loads[l].name);
        fprintf(f, ",total_mw,grid_import_mw\n");
    }
    for (size_t t = 0; t < p->n; t++) {
        char tu[21], tl[24];
        wm_fmt_time(p->time[t], tu);
        fmt_local(site, p->time[t], tl);
        double L = 0;
        json_t *row = json ? json_object() : NULL;
        if (json) {
            json_object_set_new(row, "time_utc", json_string(tu));
            json_object_set_new(row, "time_local", json_string(tl));
            json_object_set_new(row, "price_usd_per_mwh", json_real(run->price[t]));
            json_object_set_new(row, "buy_usd_per_mwh", json_real(p->buy[t]));
            json_object_set_new(row, "cap_mw", json_real(p->cap_mw[t]));
        } else {
            fprintf(f, "%s,%s,%.4f,%.4f,%.4f", tu, tl, run->price[t], p->buy[t], p->cap_mw[t]);
        }
        json_t *loads = json ? json_object() : NULL;
        for (int l = 0; l < run->nloads; l++) {
            double v = load_power(p, x, l, t);
            L += v;
            if (json)
                json_object_set_new(loads, run->loads[l].name, json_real(v));
            else
                fprintf(f, ",%.4f", v);
        }
        if (json) {
            json_object_set_new(row, "load_mw", loads);
            json_object_set_new(row, "total_mw", json_real(L));
            json_object_set_new(row, "grid_import_mw", json_real(L - p->ppa_mw));
            json_array_append_new(arr, row);
        } else {
            fprintf(f, ",%.4f,%.4f\n", L, L - p->ppa_mw);
        }
    }
    if (json) {
        json_dumpf(arr, f, JSON_INDENT(1));
        fputc('\n', f);
        json_decref(arr);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "%s: %s: write failed\n", PROG, path);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static void monthly_table(cli_out *o, const wm_site *site, const wm_site_run *run, const double *x, const double *x0)
{
    static const cli_col cols[] = {
        {"month", "month", 7, -1},
        {"mean_price_usd_per_mwh", "mean $/MWh", 10, 2},
        {"energy_mwh", "MWh", 10, 0},
        {"value_usd", "load value $", 13, 0},
        {"energy_cost_net_usd", "energy net $", 13, 0},
        {"sellback_credit_usd", "sell-back $", 12, 0},
        {"flexible_curtailed_mwh", "curtailed MWh", 13, 0},
        {"energy_margin_usd", "margin $", 12, 0},
        {"energy_margin_always_on_usd", "always-on $", 12, 0},
    };
    const wm_dispatch_problem *p = &run->problem;
    cli_table_begin(o, "monthly", cols, (int)(sizeof cols / sizeof cols[0]));
    size_t t0 = 0;
    while (t0 < p->n) {
        int m = p->month[t0];
        size_t t1 = t0;
        double price = 0, e = 0, val = 0, cost = 0, sb = 0, curt = 0, val0 = 0, cost0 = 0;
        for (; t1 < p->n && p->month[t1] == m; t1++) {
            size_t t = t1;
            double L = 0, L0 = 0;
            for (size_t g = 0; g < p->ngroups; g++) {
                double v = x[g * p->n + t], v0 = x0[g * p->n + t];
                L += v;
                L0 += v0;
                val += p->dt_h * v * p->group[g].value_usd_per_mwh;
                val0 += p->dt_h * v0 * p->group[g].value_usd_per_mwh;
                if (p->group[g].kind != WM_LOAD_FIRM)
                    curt += p->dt_h * (p->group[g].max_mw - v);
            }
            double s = p->sell ? p->sell[t] : 0, q = p->ppa_mw, b = p->buy[t], c4 = p->charge4cp ? p->charge4cp[t] : 0;
            double pay = b < s ? b * L - s * q : (L > q ? (L - q) * b : -(q - L) * s);
            double pay0 = b < s ? b * L0 - s * q : (L0 > q ? (L0 - q) * b : -(q - L0) * s);
            double credit = b < s ? s * q : (L < q ? (q - L) * s : 0);
            cost += p->dt_h * (pay + c4 * L + q * p->ppa_usd_per_mwh);
            cost0 += p->dt_h * (pay0 + c4 * L0 + q * p->ppa_usd_per_mwh);
            sb += p->dt_h * credit;
            e += p->dt_h * L;
            price += run->price[t];
        }
        char label[24];
        fmt_local(site, p->time[t0], label);
        label[7] = '\0';
        json_t *row = json_object();
        json_object_set_new(row, "month", json_string(label));
        json_object_set_new(row, "mean_price_usd_per_mwh", json_real(price / (double)(t1 - t0)));
        json_object_set_new(row, "energy_mwh", json_real(e));
        json_object_set_new(row, "value_usd", json_real(val));
        json_object_set_new(row, "energy_cost_net_usd", json_real(cost));
        json_object_set_new(row, "sellback_credit_usd", json_real(sb));
        json_object_set_new(row, "flexible_curtailed_mwh", json_real(curt));
        json_object_set_new(row, "energy_margin_usd", json_real(val - cost)); /* before DR credits, demand and checkpoint costs */
        json_object_set_new(row, "energy_margin_always_on_usd", json_real(val0 - cost0));
        cli_table_row(o, row);
        t0 = t1;
    }
    cli_table_end(o);
}

int cmd_dispatch(int argc, char **argv)
{
    wm_value v[sizeof dispatch_params / sizeof dispatch_params[0]];
    cli_opts co;
    const char *summary = "optimal interval-by-interval split of a site's power against a price series "
                          "(wattmux dispatch SITE.yaml --prices FILE.csv --column NAME)";
    /* --schema needs no other option */
    for (int a = 1; a < argc; a++)
        if (strcmp(argv[a], "--schema") == 0) {
            printf("site file keys (YAML):\n");
            wm_site_schema_print(stdout);
            return CLI_OK;
        }
    int rc = cli_parse(PROG, summary, dispatch_params, argc, argv, v, &co);
    if (rc != CLI_OK || co.help)
        return rc;
    if (co.npos != 1) {
        fprintf(stderr, "%s: expected one site file (SITE.yaml), got %d arguments\n", PROG, co.npos);
        return CLI_USAGE;
    }
    wm_err err;
    wm_err_clear(&err);
    wm_site *site = calloc(1, sizeof *site);
    if (!site)
        return CLI_FAIL;
    wm_status st = wm_site_load(co.pos[0], site, &err);
    if (st != WM_OK) {
        free(site);
        return cli_error(PROG, st, &err);
    }
    wm_prices_req req = {.column = v[wm_param_find(dispatch_params, "column")].str};
    const char *tz = v[wm_param_find(dispatch_params, "tz")].str;
    if (strcmp(tz, "us-central") == 0)
        req.tz = WM_TZ_US_CENTRAL;
    else if (strcmp(tz, "utc") == 0)
        req.tz = WM_TZ_UTC;
    else {
        free(site);
        fprintf(stderr, "%s: --tz: expected us-central or utc, got '%s'\n", PROG, tz);
        return CLI_USAGE;
    }
    const char *tc = v[wm_param_find(dispatch_params, "time-column")].str;
    req.time_column = tc && tc[0] ? tc : NULL;
    const char *from = v[wm_param_find(dispatch_params, "from")].str, *to = v[wm_param_find(dispatch_params, "to")].str;
    if (from && from[0] && wm_site_parse_local(site, from, &req.from) != WM_OK) {
        free(site);
        fprintf(stderr, "%s: --from: expected YYYY-MM-DD[ HH:MM] (site local time), got '%s'\n", PROG, from);
        return CLI_USAGE;
    }
    if (to && to[0] && wm_site_parse_local(site, to, &req.to) != WM_OK) {
        free(site);
        fprintf(stderr, "%s: --to: expected YYYY-MM-DD[ HH:MM] (site local time), got '%s'\n", PROG, to);
        return CLI_USAGE;
    }
    req.step_s = (int64_t)v[wm_param_find(dispatch_params, "interval")].num * 60;
    const char *prices_path = v[wm_param_find(dispatch_params, "prices")].str;
    wm_prices *pr = NULL;
    st = wm_prices_load(prices_path, &req, &pr, &err);
    if (st != WM_OK) {
        free(site);
        return cli_error(PROG, st, &err);
    }
    wm_site_run *run = NULL;
    st = wm_site_run_new(site, pr->time, pr->price, pr->n, (double)pr->step_s / 3600.0, &run, &err);
    wm_dispatch_ws *ws = NULL;
    double *x0 = NULL;
    if (st == WM_OK) {
        /* size the DP for this problem, up to ~256 MB of back pointers */
        size_t S = wm_dispatch_dp_states(&run->problem), cap = ((size_t)1 << 26) / pr->n;
        if (S > cap)
            S = cap;
        st = wm_dispatch_ws_new(pr->n, run->problem.ngroups ? run->problem.ngroups : 1, S, &ws);
    }
    if (st == WM_OK && !(x0 = malloc(pr->n * run->problem.ngroups * sizeof(double) + 1)))
        st = WM_ENOMEM;
    wm_dispatch_summary base = {0};
    if (st == WM_OK)
        st = wm_dispatch_always_on(&run->always_on, ws, &err);
    wm_dispatch_load_summary lbase[WM_SITE_MAX_FLEETS + WM_SITE_MAX_INFERENCE + WM_SITE_MAX_TRAINING];
    if (st == WM_OK) {
        base = *wm_dispatch_result(ws);
        memcpy(x0, wm_dispatch_schedule(ws), pr->n * run->problem.ngroups * sizeof(double));
        for (int l = 0; l < run->nloads; l++)
            wm_dispatch_load_eval(&run->always_on, x0, l, &lbase[l]);
        const char *solver = v[wm_param_find(dispatch_params, "solver")].str;
        if (strcmp(solver, "glpk") == 0)
            st = wm_dispatch_solve_glpk(&run->problem, ws, &err);
        else if (strcmp(solver, "auto") == 0)
            st = wm_dispatch_solve(&run->problem, ws, &err);
        else {
            fprintf(stderr, "%s: --solver: expected auto or glpk, got '%s'\n", PROG, solver);
            st = WM_EINVAL;
        }
    }
    if (st != WM_OK) {
        rc = cli_error(PROG, st, &err);
        goto done;
    }
    const wm_dispatch_problem *p = &run->problem;
    const double *x = wm_dispatch_schedule(ws);
    const wm_dispatch_summary *s = wm_dispatch_result(ws);
    const char *out = v[wm_param_find(dispatch_params, "out")].str;
    if (out && out[0] && (rc = write_schedule(out, site, run, x)) != CLI_OK)
        goto done;

    cli_out o;
    cli_out_init(&o, co.json);
    char a[24], b[24];
    fmt_local(site, pr->time[0], a);
    fmt_local(site, pr->time[pr->n - 1] + pr->step_s, b);
    if (!o.json)
        printf("%s: %s, %s %s, %s .. %s\n", site->name[0] ? site->name : co.pos[0], prices_path, req.column,
               pr->layout, a, b);
    cli_section(&o, "input", "Input");
    cli_str(&o, "site", "site file", co.pos[0]);
    cli_str(&o, "prices", "price file", prices_path);
    cli_str(&o, "column", "price column", req.column);
    cli_str(&o, "from_local", "from (local)", a);
    cli_str(&o, "to_local", "to (local, exclusive)", b);
    cli_int(&o, "intervals", "intervals", (int64_t)pr->n, "");
    cli_num(&o, "interval_min", "interval", (double)pr->step_s / 60.0, 0, "min");
    cli_int(&o, "filled_intervals", "intervals without data (last price held)", (int64_t)pr->filled, "");
    cli_int(&o, "source_gaps", "gaps in the source series", (int64_t)pr->ngaps, "");
    cli_num(&o, "mean_price_usd_per_mwh", "mean price", pr->mean, 2, "USD/MWh");
    cli_num(&o, "max_price_usd_per_mwh", "max price", pr->max, 2, "USD/MWh");
    cli_num(&o, "hashprice_usd_per_ph_day", "hashprice", site->hashprice_used_usd_per_ph_day, 2, "USD/PH/day");
    cli_str(&o, "algorithm", "algorithm", wm_dispatch_algo_name(wm_dispatch_last_algo(ws)));

    cli_section(&o, "summary", "Summary (optimal dispatch)");
    cli_num(&o, "profit_usd", "margin (value - all power costs + credits)", s->profit_usd, 0, "USD");
    cli_num(&o, "always_on_profit_usd", "margin if always on", base.profit_usd, 0, "USD");
    cli_num(&o, "flexibility_value_usd", "value of flexibility", s->profit_usd - base.profit_usd, 0, "USD");
    cli_num(&o, "energy_mwh", "energy", s->energy_mwh, 0, "MWh");
    cli_num(&o, "peak_mw", "peak load", s->peak_mw, 2, "MW");
    cli_num(&o, "load_value_usd", "value of the loads", s->value_usd, 0, "USD");
    cli_num(&o, "energy_cost_usd", "energy bought above the PPA", s->energy_cost_usd, 0, "USD");
    cli_num(&o, "ppa_cost_usd", "PPA block cost", s->ppa_cost_usd, 0, "USD");
    cli_num(&o, "sellback_mwh", "PPA energy sold back", s->sell_mwh, 0, "MWh");
    cli_num(&o, "sellback_credit_usd", "sell-back credits", s->sellback_credit_usd, 0, "USD");
    cli_num(&o, "sellback_avg_usd_per_mwh", "average sale price",
            s->sell_mwh > 0 ? s->sellback_credit_usd / s->sell_mwh : NAN, 2, "USD/MWh");
    cli_num(&o, "dr_credit_usd", "demand-response credits", s->dr_credit_usd, 0, "USD");
    cli_int(&o, "dr_intervals", "intervals under a DR limit", (int64_t)run->dr_intervals, "");
    cli_num(&o, "cp4_exposure_usd", "4CP transmission charge", s->charge4cp_usd, 0, "USD");
    cli_num(&o, "cp4_always_on_usd", "4CP charge if always on", base.charge4cp_usd, 0, "USD");
    cli_int(&o, "cp4_intervals_in_period", "4CP intervals in the period", (int64_t)run->cp4_in_horizon, "");
    cli_num(&o, "demand_charge_usd", "demand charges", s->demand_charge_usd, 0, "USD");
    cli_int(&o, "interruptions", "training interruptions", s->interruptions, "");
    cli_num(&o, "interrupt_cost_usd", "checkpoint costs", s->interrupt_cost_usd, 0, "USD");

    static const cli_col lcols[] = {
        {"name", "load", 14, -1},
        {"kind", "kind", 9, -1},
        {"max_mw", "max MW", 7, 1},
        {"energy_mwh", "MWh", 10, 0},
        {"revenue_usd", "value $", 12, 0},
        {"curtailed_h", "curtailed h", 11, 1},
        {"intervals_reduced", "reduced int.", 12, -1},
        {"uptime_pct", "uptime %", 8, 2},
        {"uptime_always_on_pct", "always-on %", 11, 2},
    };
    cli_section(&o, NULL, NULL);
    cli_table_begin(&o, "loads", lcols, (int)(sizeof lcols / sizeof lcols[0]));
    for (int l = 0; l < run->nloads; l++) {
        wm_dispatch_load_summary ls;
        wm_dispatch_load_eval(p, x, l, &ls);
        json_t *row = json_object();
        json_object_set_new(row, "name", json_string(run->loads[l].name));
        json_object_set_new(row, "kind", json_string(run->loads[l].kind));
        json_object_set_new(row, "max_mw", json_real(run->loads[l].max_mw));
        json_object_set_new(row, "energy_mwh", json_real(ls.energy_mwh));
        json_object_set_new(row, "revenue_usd", json_real(ls.value_usd));
        json_object_set_new(row, "curtailed_h", json_real(ls.curtailed_h));
        json_object_set_new(row, "intervals_reduced", json_integer(ls.intervals_reduced));
        json_object_set_new(row, "uptime_pct", json_real(100 * ls.uptime));
        json_object_set_new(row, "uptime_always_on_pct", json_real(100 * lbase[l].uptime));
        cli_table_row(&o, row);
    }
    cli_table_end(&o);
    monthly_table(&o, site, run, x, x0);
    if (pr->filled)
        cli_note(&o, "some intervals had no price data; the last price was held (see filled_intervals)");
    if (site->cp4_usd_per_kw_year > 0 && run->cp4_in_horizon == 0)
        cli_note(&o, "no 4CP interval of the site file falls in the period: 4CP exposure is 0 here");
    rc = cli_out_finish(&o);
done:
    free(x0);
    wm_dispatch_ws_free(ws);
    wm_site_run_free(run);
    wm_prices_free(pr);
    free(site);
    return rc;
}
