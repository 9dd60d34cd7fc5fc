/* cmd_calibrate.c - `wattmux calibrate`: fits the market models (lib/calibrate) on the history
 * CSVs of a data directory, prints every model's fit period and parameters, and with --write
 * renders them as the shipped defaults header (lib/scenario_defaults.h). Nothing is written
 * unless the whole fit succeeded. */
#include "backtest.h"
#include "calibrate.h"
#include "cli.h"
#include "commands.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const wm_param table[] = {
    {"data", "data_dir", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "directory holding bitcoin/ and power/ (default $WM_SHARED/data or ../shared/data)"},
    {"from", "from_date", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "first day of the price and hashrate fits (YYYY-MM-DD; default: data start)"},
    {"to", "to_date", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "last day used by every fit (YYYY-MM-DD; default: last day with price and difficulty)"},
    {"write", "write_path", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "write the fitted defaults as a C header (lib/scenario_defaults.h)"},
    {"backtest-until", "backtest_until_date", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "also simulate from the day after --to until this date and place the realised quarter-end price, difficulty and hashprice in the simulated distributions"},
    {"paths", "paths", WM_PARAM_INT, "", 2000, 20, 10000000, NULL, "Monte Carlo paths of the backtest"},
    {"seed", "seed", WM_PARAM_INT, "", 2023, 0, 9007199254740991.0, NULL, "random seed of the backtest (printed)"},
    {"threads", "threads", WM_PARAM_INT, "", 0, 0, 256, NULL, "worker threads (0 = all cores)"},
    {"price-model", "price_model", WM_PARAM_INT, "", 0, 0, 1, NULL, "backtest price model: 0 = jump-diffusion, 1 = block bootstrap"},
    {"hash-trend", "hash_trend_per_year", WM_PARAM_STR, "1/yr", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "efficiency trend g of the hashrate model, in [-1, 2] (default: from the ASIC efficiency list)"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static int backtest(const char *prog, cli_out *o, const wm_calibrate_in *in, const wm_value *v)
{
    wm_backtest_opts bo;
    memset(&bo, 0, sizeof bo);
    bo.fit_to = in->to;
    wm_err err;
    wm_err_clear(&err);
    if (wm_parse_time(v[4].str, &bo.until) != WM_OK) {
        wm_err_set(&err, WM_EPARSE, "--backtest-until", 0, 0, "expected a date YYYY-MM-DD, got '%s'", v[4].str);
        cli_error(prog, WM_EPARSE, &err);
        return CLI_USAGE;
    }
    bo.paths = (uint64_t)v[5].num;
    bo.seed = (uint64_t)v[6].num;
    bo.threads = (int)v[7].num;
    bo.price_model = (int)v[8].num;
    wm_backtest_result *r = malloc(sizeof *r);
    if (!r)
        return cli_error(prog, WM_ENOMEM, NULL);
    wm_status st = wm_backtest_run(in, &bo, r, &err);
    if (st != WM_OK) {
        free(r);
        return cli_error(prog, st, &err);
    }
    char a[11], b[11], line[160];
    cli_section(o, "backtest", "backtest: realised values placed in the simulated distributions");
    snprintf(line, sizeof line, "%s .. %s", wm_fmt_date(r->fit.p.start_time, a), wm_fmt_date(bo.until, b));
    cli_str(o, "simulated", "simulated", line);
    cli_int(o, "seed", "seed", (int64_t)bo.seed, "");
    cli_int(o, "paths", "paths", (int64_t)bo.paths, "");
    cli_str(o, "price_model", "price model", bo.price_model ? "block bootstrap" : "jump-diffusion");
    static const cli_col cols[] = {
        {"date", "quarter end", 11, -1},
        {"price_usd_per_btc", "BTC real", 10, 0},
        {"price_pct", "pct", 6, 1},
        {"price_p50_usd_per_btc", "sim p50", 10, 0},
        {"difficulty_t", "D real (T)", 11, 2},
        {"difficulty_pct", "pct", 6, 1},
        {"difficulty_p50_t", "sim p50", 9, 2},
        {"hashprice_usd_per_ph_day", "HP real", 8, 2},
        {"hashprice_pct", "pct", 6, 1},
        {"hashprice_p5_usd_per_ph_day", "sim p5", 8, 2},
        {"hashprice_p95_usd_per_ph_day", "sim p95", 8, 2},
        {"fees_known", "fees", 5, -1},
    };
    cli_table_begin(o, "quarters", cols, (int)(sizeof cols / sizeof cols[0]));
    for (size_t k = 0; k < r->nq; k++) {
        const wm_backtest_quarter *q = &r->q[k];
        json_t *row = json_object();
        json_object_set_new(row, "date", json_string(wm_fmt_date(q->day, a)));
        json_object_set_new(row, "price_usd_per_btc", json_real(q->price_usd_per_btc));
        json_object_set_new(row, "price_pct", json_real(q->price_pct));
        json_object_set_new(row, "price_p50_usd_per_btc", json_real(q->price_p50));
        json_object_set_new(row, "difficulty_t", json_real(q->difficulty / 1e12));
        json_object_set_new(row, "difficulty_pct", json_real(q->difficulty_pct));
        json_object_set_new(row, "difficulty_p50_t", json_real(q->difficulty_p50 / 1e12));
        json_object_set_new(row, "hashprice_usd_per_ph_day", json_real(q->hashprice_usd_per_ph_day));
        json_object_set_new(row, "hashprice_pct", json_real(q->hashprice_pct));
        json_object_set_new(row, "hashprice_p5_usd_per_ph_day", json_real(q->hashprice_p5));
        json_object_set_new(row, "hashprice_p95_usd_per_ph_day", json_real(q->hashprice_p95));
        json_object_set_new(row, "fees_known", json_string(q->fees_known ? "yes" : "no"));
        cli_table_row(o, row);
    }
    cli_table_end(o);
    cli_int(o, "price_inside_p5_p95", "quarters with BTC price inside p5..p95", r->inside_90[0], "");
    cli_int(o, "difficulty_inside_p5_p95", "quarters with difficulty inside p5..p95", r->inside_90[1], "");
    cli_int(o, "hashprice_inside_p5_p95", "quarters with hashprice inside p5..p95", r->inside_90[2], "");
    cli_int(o, "quarter_count", "quarters", (int64_t)r->nq, "");
    cli_section(o, NULL, NULL);
    wm_backtest_result_free(r);
    free(r);
    return CLI_OK;
}

static void period(cli_out *o, const char *key, const char *label, const wm_fit_period *p)
{
    char a[11], b[11], txt[64];
    if (p->n)
        snprintf(txt, sizeof txt, "%s .. %s (%zu)", wm_fmt_date(p->from, a), wm_fmt_date(p->to, b), p->n);
    else
        snprintf(txt, sizeof txt, "not fitted (prior/defaults kept)");
    cli_str(o, key, label, txt);
}

int cmd_calibrate(int argc, char **argv)
{
    const char *prog = "wattmux calibrate";
    wm_value v[11];
    cli_opts co;
    int rc = cli_parse(prog, "Fit the Monte Carlo market models on history CSVs and print their fit periods",
                       table, argc, argv, v, &co);
    if (rc != CLI_OK || co.help)
        return rc;
    char dir[1024];
    if (v[0].str && v[0].str[0]) {
        snprintf(dir, sizeof dir, "%s", v[0].str);
    } else {
        const char *sh = getenv("WM_SHARED");
        snprintf(dir, sizeof dir, "%s/data", sh && *sh ? sh : "../shared");
    }
    wm_err err;
    wm_err_clear(&err);
    wm_calibrate_files files;
    wm_calibrate_in in;
    wm_status st = wm_calibrate_load(dir, &files, &in, &err);
    if (st != WM_OK)
        return cli_error(prog, st, &err);
    for (int k = 1; k <= 2; k++) {
        if (v[k].str && v[k].str[0]) {
            int64_t t;
            if (wm_parse_time(v[k].str, &t) != WM_OK) {
                wm_calibrate_files_free(&files);
                wm_err_set(&err, WM_EPARSE, k == 1 ? "--from" : "--to", 0, 0, "expected a date YYYY-MM-DD, got '%s'",
                           v[k].str);
                return cli_error(prog, WM_EPARSE, &err) == CLI_FAIL ? CLI_USAGE : CLI_USAGE;
            }
            if (k == 1)
                in.from = t;
            else
                in.to = t;
        }
    }
    if (v[9].str && v[9].str[0]) {
        double g;
        if (wm_parse_double(v[9].str, &g) != WM_OK || g < -1 || g > 2) {
            wm_calibrate_files_free(&files);
            wm_err_set(&err, WM_EPARSE, "--hash-trend", 0, 0, "expected a number in [-1, 2] (1/yr), got '%s'", v[9].str);
            cli_error(prog, WM_EPARSE, &err);
            return CLI_USAGE;
        }
        in.fix_hash_trend = true;
        in.hash_trend_per_year = g;
    }
    wm_calibrate_out out;
    st = wm_calibrate_fit(&in, &out, &err);
    if (st != WM_OK) {
        wm_calibrate_files_free(&files);
        return cli_error(prog, st, &err);
    }
    const wm_scenario_params *p = &out.p;
    cli_out o;
    cli_out_init(&o, co.json);
    cli_str(&o, "data_dir", "data", dir);
    cli_section(&o, "price", "BTC price (jump-diffusion; returns kept for the bootstrap)");
    period(&o, "fit_period", "fit period", &out.price);
    cli_num(&o, "drift_per_year", "drift (log, incl. jumps)", p->price_drift_per_year, 4, "1/yr");
    cli_num(&o, "vol_per_year", "diffusion volatility", p->price_vol_per_year, 4, "1/sqrt(yr)");
    cli_num(&o, "jump_per_year", "jumps", p->jump_per_year, 3, "1/yr");
    cli_num(&o, "jump_mean_log", "jump mean", p->jump_mean_log, 4, "log");
    cli_num(&o, "jump_sd_log", "jump sd", p->jump_sd_log, 4, "log");
    cli_num(&o, "daily_sd_all", "daily sd of all returns", out.price_sd_per_day, 5, "");
    cli_section(&o, "hashrate", "network hashrate (equilibrium on lagged revenue)");
    period(&o, "fit_period", "fit period", &out.hash);
    cli_num(&o, "level_log_h_s", "level a", p->hash_level, 4, "log H/s");
    cli_num(&o, "elasticity", "elasticity b to revenue", p->hash_elasticity, 4, "");
    cli_num(&o, "trend_per_year", "trend g (efficiency)", p->hash_trend_per_year, 4, "1/yr");
    if (out.hash_trend_models) {
        char src[96];
        snprintf(src, sizeof src, "ASIC efficiency list (%zu models from 2016)", out.hash_trend_models);
        cli_str(&o, "trend_source", "trend from", src);
    } else {
        cli_str(&o, "trend_source", "trend from", out.hash_trend_source ? out.hash_trend_source : "regression");
    }
    cli_num(&o, "lag_days", "revenue lag (EMA)", p->hash_lag_days, 0, "d");
    cli_num(&o, "adjust_per_day", "adjustment speed", p->hash_adjust_per_day, 5, "1/d");
    cli_num(&o, "vol_per_day", "noise", p->hash_vol_per_day, 5, "1/sqrt(d)");
    cli_num(&o, "r2", "R^2 of the equilibrium fit", out.hash_r2, 4, "");
    cli_section(&o, "fees", "fees per block (AR(1) in logs with spikes)");
    period(&o, "fit_period", "fit period", &out.fees);
    cli_num(&o, "level_btc_per_block", "level", p->fee_level_btc_per_block, 5, "BTC/block");
    cli_num(&o, "revert_per_day", "mean reversion", p->fee_revert_per_day, 4, "1/d");
    cli_num(&o, "vol_per_day", "noise", p->fee_vol_per_day, 4, "1/sqrt(d)");
    cli_num(&o, "spike_per_year", "spikes", p->fee_spike_per_year, 3, "1/yr");
    cli_num(&o, "spike_mean_log", "spike mean", p->fee_spike_mean_log, 4, "log");
    cli_section(&o, "power", "daily power price level (ERCOT LZ_WEST)");
    period(&o, "fit_period", "fit period", &out.power);
    cli_num(&o, "level_usd_per_mwh", "level", p->power_level_usd_per_mwh, 2, "USD/MWh");
    cli_num(&o, "revert_per_day", "mean reversion", p->power_revert_per_day, 4, "1/d");
    cli_num(&o, "vol_per_day", "noise", p->power_vol_per_day, 4, "1/sqrt(d)");
    cli_num(&o, "spike_per_year", "spikes", p->power_spike_per_year, 3, "1/yr");
    cli_num(&o, "spike_mean_log", "spike mean", p->power_spike_mean_log, 4, "log");
    cli_section(&o, "start", "start state (day after the fit end)");
    char d0[11];
    cli_str(&o, "start_date", "start", wm_fmt_date(p->start_time, d0));
    cli_num(&o, "price_usd_per_btc", "price", p->price0_usd_per_btc, 2, "USD/BTC");
    cli_int(&o, "height", "height (estimated)", p->height0, "");
    cli_num(&o, "difficulty", "difficulty", p->difficulty0, 0, "");
    cli_num(&o, "hashrate_eh_s", "hashrate (14-day realised)", p->hashrate0_h_s / 1e18, 1, "EH/s");
    cli_section(&o, NULL, NULL);
    if (v[3].str && v[3].str[0]) {
        size_t need = wm_calibrate_header(&out, NULL, 0) + 1;
        char *buf = malloc(need);
        FILE *fp = NULL;
        if (buf)
            wm_calibrate_header(&out, buf, need);
        if (!buf || !(fp = fopen(v[3].str, "w")) || fputs(buf, fp) == EOF || fclose(fp) != 0) {
            free(buf);
            wm_calibrate_out_free(&out);
            wm_calibrate_files_free(&files);
            wm_err_set(&err, WM_EIO, v[3].str, 0, 0, "cannot write the defaults header");
            cli_out_finish(&o);
            return cli_error(prog, WM_EIO, &err);
        }
        free(buf);
        cli_str(&o, "written", "written", v[3].str);
    }
    wm_calibrate_out_free(&out);
    if (v[4].str && v[4].str[0]) {
        rc = backtest(prog, &o, &in, v);
        if (rc != CLI_OK) {
            wm_calibrate_files_free(&files);
            cli_out_finish(&o);
            return rc;
        }
    }
    wm_calibrate_files_free(&files);
    return cli_out_finish(&o);
}
