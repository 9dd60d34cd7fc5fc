/* cmd_btc.c - `wattmux btc ...`: the Bitcoin calculators of lib/btc, lib/asic and lib/history
 * as commands. Each subcommand declares its inputs in one wm_param table (units, defaults,
 * bounds), which gives validation, --help and the JSON keys. */
#include "asic.h"
#include "btc.h"
#include "cli.h"
#include "commands.h"
#include "history.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define REQ NAN
#define BIG 1e300

/* Market defaults for the built-in example: late November 2025 (bitcoin.md section 3, case 7). */
#define DEF_DIFFICULTY 152e12
#define DEF_PRICE 91000.0
#define DEF_FEES 0.02
#define DEF_ASOF "2025-11-30 (D 152 T, BTC $91,000, fees 0.02 BTC/block; bitcoin.md case 7)"

static const char *shared_dir(void)
{
    const char *s = getenv("WM_SHARED");
    return s && *s ? s : "../shared";
}

static int load_series(const char *prog, const char *path, const wm_series_opts *o, wm_series **s)
{
    wm_err err;
    wm_err_clear(&err);
    wm_status st = wm_series_load(path, o, s, &err);
    return st == WM_OK ? CLI_OK : cli_error(prog, st, &err);
}

static int bits_arg(const char *prog, const char *text, uint32_t *bits, bool check)
{
    wm_err err;
    wm_err_clear(&err);
    wm_status st = wm_btc_parse_bits(text, bits, &err);
    if (st == WM_OK && check)
        st = wm_btc_check_bits(*bits, &err);
    if (st != WM_OK) {
        /* a command-line value has no lines: name the character instead */
        char msg[2 * WM_ERR_MSG];
        if (err.col > 0)
            snprintf(msg, sizeof msg, "'%.40s', character %ld: %s", text, err.col, err.msg);
        else
            snprintf(msg, sizeof msg, "%s", err.msg);
        wm_err_set(&err, st, "--bits", 0, 0, "%.200s", msg);
        return cli_error(prog, st, &err);
    }
    return CLI_OK;
}

static double subsidy_btc_at(int64_t height)
{
    int64_t s = 0;
    wm_btc_subsidy(height, &s);
    return (double)s / WM_COIN_SAT;
}

/* ---------------- subsidy ---------------- */
static const wm_param p_subsidy[] = {
    {"height", "height", WM_PARAM_INT, "block", REQ, 0, 9e15, NULL, "block height"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static int sub_subsidy(int argc, char **argv)
{
    const char *prog = "wattmux btc subsidy";
    wm_value v[2];
    cli_opts o;
    int rc = cli_parse(prog, "Block subsidy at a height (GetBlockSubsidy) and the supply issued up to it.",
                       p_subsidy, argc, argv, v, &o);
    if (rc != CLI_OK || o.help)
        return rc;
    int64_t h = (int64_t)v[0].num, s, supply;
    wm_btc_subsidy(h, &s);
    wm_btc_supply(h, &supply);
    int64_t era = h / WM_HALVING_INTERVAL;
    cli_out out;
    cli_out_init(&out, o.json);
    cli_int(&out, "height", "height", h, "");
    cli_int(&out, "subsidy_sat", "subsidy", s, "sat");
    cli_num(&out, "subsidy_btc", "subsidy", (double)s / WM_COIN_SAT, 8, "BTC");
    cli_int(&out, "halving_era", "halving era", era, "");
    cli_int(&out, "next_halving_height", "next halving at height", (era + 1) * WM_HALVING_INTERVAL, "");
    cli_int(&out, "blocks_to_next_halving", "blocks to next halving", (era + 1) * WM_HALVING_INTERVAL - h, "");
    cli_int(&out, "supply_sat", "supply issued through this block", supply, "sat");
    cli_num(&out, "supply_btc", "supply issued through this block", (double)supply / WM_COIN_SAT, 8, "BTC");
    cli_num(&out, "supply_share", "share of the final supply", (double)supply / WM_BTC_MAX_SUPPLY_SAT, 6, "");
    cli_int(&out, "max_supply_sat", "final supply (all subsidies)", WM_BTC_MAX_SUPPLY_SAT, "sat");
    return cli_out_finish(&out);
}

/* ---------------- target / difficulty ---------------- */
static const wm_param p_target[] = {
    {"bits", "bits", WM_PARAM_STR, "nBits", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "compact target (0x17034219)"},
    {"difficulty", "difficulty", WM_PARAM_NUM, "", 0, 0, BIG, NULL, "difficulty (instead of --bits)"},
    {"target", "target", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "256-bit target, decimal or 0x hex"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static int sub_target(int argc, char **argv)
{
    const char *prog = "wattmux btc target";
    wm_value v[4];
    cli_opts o;
    int rc = cli_parse(prog,
                       "Convert between nBits, the 256-bit target and difficulty (SetCompact/GetCompact, "
                       "bit-exact) and the hashrate difficulty implies. Give one of --bits, --target, --difficulty.",
                       p_target, argc, argv, v, &o);
    if (rc != CLI_OK || o.help)
        return rc;
    int given = (v[0].str && v[0].str[0]) + v[1].set + (v[2].str && v[2].str[0]);
    if (given != 1) {
        fprintf(stderr, "%s: give exactly one of --bits, --target, --difficulty\n", prog);
        return CLI_USAGE;
    }
    wm_compact c;
    uint32_t bits;
    if (v[0].str && v[0].str[0]) {
        if ((rc = bits_arg(prog, v[0].str, &bits, false)) != CLI_OK)
            return rc;
        wm_btc_compact_decode(bits, &c);
    } else {
        wm_u256 t;
        if (v[1].set) {
            if (wm_btc_target_from_difficulty(v[1].num, &t) != WM_OK) {
                fprintf(stderr, "%s: --difficulty: expected a positive difficulty that gives a 256-bit target\n", prog);
                return CLI_USAGE;
            }
        } else if (wm_u256_parse(&t, v[2].str) != WM_OK) {
            fprintf(stderr, "%s: --target: expected a 256-bit integer, decimal or 0x hex, got '%s'\n", prog, v[2].str);
            return CLI_USAGE;
        }
        bits = wm_btc_compact_encode(&t, false);
        wm_btc_compact_decode(bits, &c);
    }
    cli_out out;
    cli_out_init(&out, o.json);
    char hx[65], dec[80], bs[16];
    snprintf(bs, sizeof bs, "0x%08x", bits);
    cli_str(&out, "bits", "nBits", bs);
    cli_int(&out, "bits_decimal", "nBits (decimal)", bits, "");
    cli_str(&out, "target_hex", "target (hex)", wm_u256_hex(&c.target, hx));
    cli_str(&out, "target_decimal", "target (decimal)", wm_u256_dec(&c.target, dec));
    cli_str(&out, "negative", "sign bit set", c.negative ? "yes" : "no");
    cli_str(&out, "overflow", "overflows 256 bits", c.overflow ? "yes" : "no");
    wm_err err;
    wm_err_clear(&err);
    wm_status valid = wm_btc_check_bits(bits, &err);
    cli_str(&out, "valid_for_mainnet", "valid mainnet target", valid == WM_OK ? "yes" : err.msg);
    uint32_t canon = wm_btc_compact_encode(&c.target, c.negative);
    if (canon != bits) {
        snprintf(bs, sizeof bs, "0x%08x", canon);
        cli_str(&out, "canonical_bits", "canonical nBits (GetCompact)", bs);
    }
    if (!c.overflow && !wm_u256_is_zero(&c.target)) {
        double d = wm_btc_difficulty_target(&c.target);
        cli_num(&out, "difficulty", "difficulty", d, 2, "");
        cli_num(&out, "hashrate_eh_s", "hashrate implied (D*2^32/600)", wm_btc_hashrate_h_s(d) / 1e18, 2, "EH/s");
    }
    return cli_out_finish(&out);
}

/* ---------------- retarget ---------------- */
static const wm_param p_retarget[] = {
    {"bits", "old_bits", WM_PARAM_STR, "nBits", 0, 0, 0, NULL, "nBits of the period that ends"},
    {"first-time", "first_time_unix_s", WM_PARAM_INT, "unix s", REQ, 0, 9e15, NULL, "time of block (last - 2015)"},
    {"last-time", "last_time_unix_s", WM_PARAM_INT, "unix s", REQ, 0, 9e15, NULL, "time of the last block of the period"},
    {"height", "height", WM_PARAM_INT, "block", -1, -1, 9e15, NULL, "height of the new period's first block (optional, checked)"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static int sub_retarget(int argc, char **argv)
{
    const char *prog = "wattmux btc retarget";
    wm_value v[5];
    cli_opts o;
    int rc = cli_parse(prog,
                       "The difficulty retarget exactly as Bitcoin Core computes it (CalculateNextWorkRequired: "
                       "2015 measured intervals, clamp to [1/4, 4], powLimit, compact truncation).",
                       p_retarget, argc, argv, v, &o);
    if (rc != CLI_OK || o.help)
        return rc;
    uint32_t bits;
    if ((rc = bits_arg(prog, v[0].str, &bits, true)) != CLI_OK)
        return rc;
    int64_t h = (int64_t)v[3].num;
    if (h >= 0 && !wm_btc_is_retarget_height(h)) {
        fprintf(stderr, "%s: --height: %lld is not a retarget height (a multiple of 2016)\n", prog, (long long)h);
        return CLI_USAGE;
    }
    wm_retarget r;
    wm_status st = wm_btc_retarget(bits, (int64_t)v[1].num, (int64_t)v[2].num, &r);
    if (st != WM_OK)
        return cli_error(prog, st, NULL);
    cli_out out;
    cli_out_init(&out, o.json);
    char bs[16], hx[65];
    if (h >= 0) {
        cli_int(&out, "height", "new period starts at height", h, "");
        cli_int(&out, "first_block_height", "first measured block", h - 2016, "");
        cli_int(&out, "last_block_height", "last measured block", h - 1, "");
    }
    snprintf(bs, sizeof bs, "0x%08x", bits);
    cli_str(&out, "old_bits", "old nBits", bs);
    cli_int(&out, "actual_timespan_s", "measured timespan (2015 intervals)", r.actual_timespan_s, "s");
    cli_int(&out, "clamped_timespan_s", "timespan used", r.clamped_timespan_s, "s");
    cli_str(&out, "clamped", "clamped to [1/4, 4]", r.clamped ? "yes" : "no");
    cli_str(&out, "pow_limited", "capped at powLimit", r.pow_limited ? "yes" : "no");
    snprintf(bs, sizeof bs, "0x%08x", r.new_bits);
    cli_str(&out, "new_bits", "new nBits", bs);
    cli_str(&out, "new_target_hex", "new target", wm_u256_hex(&r.new_target, hx));
    cli_num(&out, "old_difficulty", "old difficulty", r.old_difficulty, 2, "");
    cli_num(&out, "new_difficulty", "new difficulty", r.new_difficulty, 2, "");
    cli_num(&out, "change_pct", "change", 100.0 * r.change, 3, "%");
    return cli_out_finish(&out);
}

/* ---------------- estimate ---------------- */
static const wm_param p_estimate[] = {
    {"height", "tip_height", WM_PARAM_INT, "block", REQ, 0, 9e15, NULL, "height of the chain tip"},
    {"time", "tip_time_unix_s", WM_PARAM_INT, "unix s", REQ, 0, 9e15, NULL, "time of the tip block"},
    {"period-start-time", "period_start_time_unix_s", WM_PARAM_INT, "unix s", REQ, 0, 9e15, NULL,
     "time of the first block of the current period"},
    {"difficulty", "difficulty", WM_PARAM_NUM, "", REQ, 1, BIG, NULL, "current difficulty"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static int sub_estimate(int argc, char **argv)
{
    const char *prog = "wattmux btc estimate";
    wm_value v[5];
    cli_opts o;
    int rc = cli_parse(prog, "Estimate the next difficulty adjustment from the blocks seen so far in the period.",
                       p_estimate, argc, argv, v, &o);
    if (rc != CLI_OK || o.help)
        return rc;
    wm_diff_estimate e;
    wm_status st = wm_btc_estimate_retarget((int64_t)v[0].num, (int64_t)v[1].num, (int64_t)v[2].num, v[3].num, &e);
    if (st != WM_OK) {
        fprintf(stderr, "%s: the tip time must not be before the period start time\n", prog);
        return CLI_USAGE;
    }
    cli_out out;
    cli_out_init(&out, o.json);
    char tb[21];
    cli_int(&out, "period_start_height", "period started at height", e.period_start_height, "");
    cli_int(&out, "blocks_in_period", "blocks mined in this period", e.blocks_in_period, "");
    cli_num(&out, "progress_pct", "progress", 100 * e.progress, 2, "%");
    cli_int(&out, "remaining_blocks", "blocks remaining", e.remaining_blocks, "");
    cli_num(&out, "avg_block_time_s", "average block time so far", e.avg_block_time_s, 1, "s");
    cli_num(&out, "change_pct", "projected change (Core rule, 2015 intervals)", 100 * e.change, 3, "%");
    cli_num(&out, "change_mempool_pct", "projected change (600/avg - 1, mempool.space)", 100 * e.change_mempool, 3, "%");
    cli_num(&out, "next_difficulty", "projected next difficulty", e.next_difficulty, 0, "");
    cli_int(&out, "next_retarget_height", "next retarget at height", e.next_retarget_height, "");
    cli_str(&out, "estimated_retarget_time_utc", "estimated retarget time", wm_fmt_time(e.estimated_retarget_time, tb));
    return cli_out_finish(&out);
}

/* ---------------- halvings ---------------- */
static const wm_param p_halvings[] = {
    {"height", "height", WM_PARAM_INT, "block", 840000, 0, 13e6, NULL, "current height"},
    {"time", "time_utc", WM_PARAM_STR, "UTC", 0, 0, 0, "2024-04-20T00:09:27Z", "time of that block"},
    {"difficulty", "difficulty", WM_PARAM_NUM, "", 86388558925171.02, 1, BIG, NULL, "current difficulty"},
    {"hashrate", "hashrate_eh_s", WM_PARAM_NUM, "EH/s", 0, 0, 1e9, NULL, "network hashrate now (0 = implied by difficulty)"},
    {"growth", "hashrate_growth_per_year", WM_PARAM_NUM, "1/year", 0.3, -2, 5, NULL,
     "continuous hashrate growth rate (0.3 = +35 %/year)"},
    {"count", "count", WM_PARAM_INT, "", 4, 1, 32, NULL, "halvings to project"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static int sub_halvings(int argc, char **argv)
{
    const char *prog = "wattmux btc halvings";
    wm_value v[7];
    cli_opts o;
    int rc = cli_parse(prog,
                       "Project the next halvings from a height, a time and a hashrate trend, retarget by "
                       "retarget (so their dates move with the hashrate).",
                       p_halvings, argc, argv, v, &o);
    if (rc != CLI_OK || o.help)
        return rc;
    int64_t t;
    if (wm_parse_time(v[1].str, &t) != WM_OK) {
        fprintf(stderr, "%s: --time: expected an ISO time like 2024-04-20T00:09:27Z, got '%s'\n", prog, v[1].str);
        return CLI_USAGE;
    }
    double h = v[3].num > 0 ? v[3].num * 1e18 : wm_btc_hashrate_h_s(v[2].num);
    int n = (int)v[5].num;
    wm_halving hv[32];
    wm_status st = wm_btc_halvings((int64_t)v[0].num, t, v[2].num, h, v[4].num, n, hv);
    if (st != WM_OK) {
        if ((int64_t)v[0].num / WM_HALVING_INTERVAL + n >= 64)
            fprintf(stderr, "%s: --count: only %lld halvings remain after height %lld (the subsidy is 0 from era 33 "
                            "and the schedule ends at era 64)\n",
                    prog, 63 - (long long)((int64_t)v[0].num / WM_HALVING_INTERVAL), (long long)v[0].num);
        else
            fprintf(stderr, "%s: the projection does not reach %d halvings: the hashrate shrinks too fast\n", prog, n);
        return CLI_USAGE;
    }
    cli_out out;
    cli_out_init(&out, o.json);
    static const cli_col cols[] = {{"height", "height", 9, -1},
                                   {"date_utc", "projected date (UTC)", 20, -1},
                                   {"subsidy_btc", "subsidy BTC", 12, 8},
                                   {"difficulty_t", "difficulty (T)", 15, 1}};
    cli_table_begin(&out, "halvings", cols, 4);
    for (int i = 0; i < n; i++) {
        char tb[21];
        json_t *row = json_object();
        json_object_set_new(row, "height", json_integer(hv[i].height));
        json_object_set_new(row, "date_utc", json_string(wm_fmt_time(hv[i].time, tb)));
        json_object_set_new(row, "time_unix_s", json_integer(hv[i].time));
        json_object_set_new(row, "subsidy_btc", json_real((double)hv[i].subsidy_sat / WM_COIN_SAT));
        json_object_set_new(row, "subsidy_sat", json_integer(hv[i].subsidy_sat));
        json_object_set_new(row, "difficulty_t", json_real(hv[i].difficulty / 1e12));
        cli_table_row(&out, row);
    }
    cli_table_end(&out);
    return cli_out_finish(&out);
}

/* ---------------- market inputs shared by the economics commands ---------------- */
#define MARKET_PARAMS                                                                                           \
    {"difficulty", "difficulty", WM_PARAM_NUM, "", DEF_DIFFICULTY, 1, BIG, NULL, "network difficulty"},        \
        {"bits", "bits", WM_PARAM_STR, "nBits", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "difficulty given as nBits"}, \
        {"price", "price_usd_per_btc", WM_PARAM_NUM, "USD/BTC", DEF_PRICE, 0, 1e9, NULL, "BTC price"},         \
        {"fees-per-block", "fees_btc_per_block", WM_PARAM_NUM, "BTC", DEF_FEES, 0, 1e4, NULL,                  \
         "average fees per block"},                                                                            \
        {"height", "height", WM_PARAM_INT, "block", 900000, 0, 9e15, NULL, "height (sets the subsidy)"}
enum { M_DIFF, M_BITS, M_PRICE, M_FEES, M_HEIGHT, M_END };

static int market(const char *prog, const wm_value *v, double *difficulty, double *subsidy)
{
    *difficulty = v[M_DIFF].num;
    if (v[M_BITS].str && v[M_BITS].str[0] && v[M_DIFF].set) {
        fprintf(stderr, "%s: give either --difficulty or --bits, not both\n", prog);
        return CLI_USAGE;
    }
    if (v[M_BITS].str && v[M_BITS].str[0]) {
        uint32_t bits;
        int rc = bits_arg(prog, v[M_BITS].str, &bits, true);
        if (rc != CLI_OK)
            return rc;
        *difficulty = wm_btc_difficulty_bits(bits);
    }
    *subsidy = subsidy_btc_at((int64_t)v[M_HEIGHT].num);
    return CLI_OK;
}

static void print_market(cli_out *out, double d, double price, double subsidy, double fees)
{
    cli_section(out, "market", "market");
    cli_num(out, "difficulty", "difficulty", d, 0, "");
    cli_num(out, "hashrate_eh_s", "network hashrate (from difficulty)", wm_btc_hashrate_h_s(d) / 1e18, 1, "EH/s");
    cli_num(out, "price_usd_per_btc", "BTC price", price, 2, "USD/BTC");
    cli_num(out, "subsidy_btc", "block subsidy", subsidy, 8, "BTC");
    cli_num(out, "fees_btc_per_block", "fees per block", fees, 4, "BTC");
    cli_section(out, NULL, NULL);
}

/* ---------------- hashprice ---------------- */
static const wm_param p_hashprice[] = {MARKET_PARAMS, {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL}};

static int sub_hashprice(int argc, char **argv)
{
    const char *prog = "wattmux btc hashprice";
    wm_value v[M_END + 1];
    cli_opts o;
    int rc = cli_parse(prog,
                       "Hashprice: the value of 1 PH/s for one day (Luxor's definition, fees included), "
                       "from difficulty, not realised blocks.",
                       p_hashprice, argc, argv, v, &o);
    if (rc != CLI_OK || o.help)
        return rc;
    double d, sub;
    if ((rc = market(prog, v, &d, &sub)) != CLI_OK)
        return rc;
    wm_hashprice hp;
    wm_btc_hashprice(d, v[M_PRICE].num, sub, v[M_FEES].num, &hp);
    cli_out out;
    cli_out_init(&out, o.json);
    print_market(&out, d, v[M_PRICE].num, sub, v[M_FEES].num);
    cli_section(&out, "hashprice", "hashprice");
    cli_num(&out, "btc_per_ph_day", "hashprice", hp.btc_per_ph_day, 8, "BTC/PH/day");
    cli_num(&out, "usd_per_ph_day", "hashprice", hp.usd_per_ph_day, 2, "USD/PH/day");
    cli_num(&out, "usd_per_th_day", "hashprice", hp.usd_per_th_day, 5, "USD/TH/day");
    cli_num(&out, "fee_share", "fees share of reward", 1 - hp.subsidy_share, 4, "");
    cli_num(&out, "network_btc_per_day", "network issuance + fees per day",
            wm_btc_btc_per_day(wm_btc_hashrate_h_s(d), d, sub + v[M_FEES].num), 2, "BTC/day");
    return cli_out_finish(&out);
}

/* ---------------- breakeven ---------------- */
static const wm_param p_breakeven[] = {
    MARKET_PARAMS,
    {"asic", "asic", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "ASIC model (see `wattmux btc asics`); or all"},
    {"hashrate-th", "hashrate_th_s", WM_PARAM_NUM, "TH/s", 0, 0, 1e6, NULL, "machine hashrate (instead of --asic)"},
    {"power-w", "power_w", WM_PARAM_NUM, "W", 0, 0, 1e6, NULL, "machine power (instead of --asic)"},
    {"power-price", "price_usd_per_mwh", WM_PARAM_NUM, "USD/MWh", 50, -1e4, 1e5, NULL, "power price"},
    {"pue", "pue", WM_PARAM_NUM, "", 1.0, 1, 3, NULL, "facility power / IT power"},
    {"uptime", "uptime", WM_PARAM_NUM, "", 1.0, 0, 1, NULL, "share of time hashing"},
    {"pool-fee", "pool_fee", WM_PARAM_NUM, "", 0.0, 0, 0.5, NULL, "pool fee share"},
    {"payout", "payout", WM_PARAM_STR, "", 0, 0, 0, "fpps", "pool payout scheme: fpps, pps (subsidy only), pplns"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};
enum { B_ASIC = M_END, B_TH, B_W, B_PP, B_PUE, B_UP, B_FEE, B_PAYOUT, B_END };

static json_t *breakeven_row(const char *name, double th, double w, const wm_hashprice *hp, double factor,
                             const wm_value *v, wm_breakeven *be)
{
    wm_breakeven_in in = {th, w, hp->usd_per_ph_day, factor, v[B_PUE].num, v[B_UP].num, v[B_PP].num};
    wm_btc_breakeven(&in, be);
    json_t *row = json_object();
    json_object_set_new(row, "model", json_string(name));
    json_object_set_new(row, "hashrate_th_s", json_real(th));
    json_object_set_new(row, "power_w", json_real(w));
    json_object_set_new(row, "eff_j_per_th", json_real(be->eff_j_per_th));
    json_object_set_new(row, "revenue_usd_per_day", json_real(be->revenue_usd_per_day));
    json_object_set_new(row, "power_cost_usd_per_day", json_real(be->power_cost_usd_per_day));
    json_object_set_new(row, "profit_usd_per_day", json_real(be->profit_usd_per_day));
    json_object_set_new(row, "breakeven_usd_per_mwh", json_real(be->breakeven_usd_per_mwh));
    json_object_set_new(row, "breakeven_usd_per_kwh", json_real(be->breakeven_usd_per_mwh / 1000));
    json_object_set_new(row, "hashcost_usd_per_ph_day", json_real(be->hashcost_usd_per_ph_day));
    return row;
}

static const cli_col be_cols[] = {{"model", "model", 28, -1},
                                  {"eff_j_per_th", "J/TH", 5, 1},
                                  {"revenue_usd_per_day", "revenue $/day", 13, 2},
                                  {"power_cost_usd_per_day", "power $/day", 11, 2},
                                  {"profit_usd_per_day", "profit $/day", 12, 2},
                                  {"breakeven_usd_per_kwh", "break-even $/kWh", 16, 4},
                                  {"hashcost_usd_per_ph_day", "hashcost $/PH/day", 17, 2}};

static int sub_breakeven(int argc, char **argv)
{
    const char *prog = "wattmux btc breakeven";
    wm_value v[B_END + 1];
    cli_opts o;
    int rc = cli_parse(prog,
                       "Revenue, power cost, profit and the break-even power price of a machine (or every "
                       "catalog model with --asic all), after pool fee and payout scheme, PUE and uptime.",
                       p_breakeven, argc, argv, v, &o);
    if (rc != CLI_OK || o.help)
        return rc;
    double d, sub;
    if ((rc = market(prog, v, &d, &sub)) != CLI_OK)
        return rc;
    wm_payout payout;
    if (wm_btc_parse_payout(v[B_PAYOUT].str, &payout) != WM_OK) {
        fprintf(stderr, "%s: --payout: expected fpps, pps or pplns, got '%s'\n", prog, v[B_PAYOUT].str);
        return CLI_USAGE;
    }
    bool all = v[B_ASIC].str && strcmp(v[B_ASIC].str, "all") == 0;
    const wm_asic *a = NULL;
    if (!all && v[B_ASIC].str && v[B_ASIC].str[0]) {
        wm_err err;
        wm_status st = wm_asic_find(v[B_ASIC].str, &a, &err);
        if (st != WM_OK)
            return cli_error(prog, st, &err);
    } else if (!all && !(v[B_TH].num > 0 && v[B_W].num > 0)) {
        fprintf(stderr, "%s: give --asic MODEL (or all), or both --hashrate-th and --power-w\n", prog);
        return CLI_USAGE;
    }
    wm_hashprice hp;
    wm_btc_hashprice(d, v[M_PRICE].num, sub, v[M_FEES].num, &hp);
    double factor = wm_btc_payout_factor(payout, v[B_FEE].num, sub, v[M_FEES].num);
    cli_out out;
    cli_out_init(&out, o.json);
    print_market(&out, d, v[M_PRICE].num, sub, v[M_FEES].num);
    cli_num(&out, "hashprice_usd_per_ph_day", "hashprice (gross)", hp.usd_per_ph_day, 2, "USD/PH/day");
    cli_str(&out, "payout", "payout scheme", wm_btc_payout_name(payout));
    cli_num(&out, "payout_factor", "share of gross reward paid", factor, 4, "");
    cli_num(&out, "power_price_usd_per_mwh", "power price", v[B_PP].num, 2, "USD/MWh");
    cli_table_begin(&out, "machines", be_cols, 7);
    wm_breakeven be;
    if (all) {
        for (size_t i = 0; i < wm_asic_count(); i++) {
            const wm_asic *m = wm_asic_at(i);
            cli_table_row(&out, breakeven_row(m->name, m->hashrate_th_s, m->power_w, &hp, factor, v, &be));
        }
    } else if (a) {
        cli_table_row(&out, breakeven_row(a->name, a->hashrate_th_s, a->power_w, &hp, factor, v, &be));
    } else {
        cli_table_row(&out, breakeven_row("custom", v[B_TH].num, v[B_W].num, &hp, factor, v, &be));
    }
    cli_table_end(&out);
    if (a && !a->verified)
        cli_note(&out, "this model's specs are unverified (one source)");
    return cli_out_finish(&out);
}

/* ---------------- cost ---------------- */
static const wm_param p_cost[] = {
    MARKET_PARAMS,
    {"eff", "eff_j_per_th", WM_PARAM_NUM, "J/TH", 0, 0, 1e4, NULL, "fleet efficiency (or --asic)"},
    {"asic", "asic", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "ASIC model giving the efficiency"},
    {"power-price", "price_usd_per_mwh", WM_PARAM_NUM, "USD/MWh", 50, -1e4, 1e5, NULL, "power price"},
    {"pue", "pue", WM_PARAM_NUM, "", 1.0, 1, 3, NULL, "facility power / IT power"},
    {"capex-per-th", "capex_usd_per_th", WM_PARAM_NUM, "USD/(TH/s)", 15, 0, 1e5, NULL, "hardware price per TH/s"},
    {"life-years", "life_years", WM_PARAM_NUM, "years", 4, 0.1, 30, NULL, "straight-line depreciation life"},
    {"opex", "opex_usd_per_mwh", WM_PARAM_NUM, "USD/MWh", 5, 0, 1e4, NULL, "non-power opex per MWh"},
    {"pool-fee", "pool_fee", WM_PARAM_NUM, "", 0.0, 0, 0.5, NULL, "pool fee share"},
    {"network-cost", "network_cost_usd_per_btc", WM_PARAM_NUM, "USD/BTC", 0, 0, 1e9, NULL,
     "a published network production cost to invert into a fleet efficiency (JPMorgan style)"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};
enum { C_EFF = M_END, C_ASIC, C_PP, C_PUE, C_CAPEX, C_LIFE, C_OPEX, C_FEE, C_NET, C_END };

static int sub_cost(int argc, char **argv)
{
    const char *prog = "wattmux btc cost";
    wm_value v[C_END + 1];
    cli_opts o;
    int rc = cli_parse(prog,
                       "Production cost per BTC: electrical (energy per BTC x power price) and all-in (plus "
                       "capex depreciation and opex), with every assumption printed.",
                       p_cost, argc, argv, v, &o);
    if (rc != CLI_OK || o.help)
        return rc;
    double d, sub;
    if ((rc = market(prog, v, &d, &sub)) != CLI_OK)
        return rc;
    double eff = v[C_EFF].num;
    const char *effsrc = "--eff";
    if (v[C_ASIC].str && v[C_ASIC].str[0]) {
        const wm_asic *a;
        wm_err err;
        wm_status st = wm_asic_find(v[C_ASIC].str, &a, &err);
        if (st != WM_OK)
            return cli_error(prog, st, &err);
        eff = a->eff_j_per_th;
        effsrc = a->name;
    }
    double net_btc_day = wm_btc_btc_per_day(wm_btc_hashrate_h_s(d), d, sub + v[M_FEES].num);
    double implied = NAN;
    if (v[C_NET].num > 0) {
        if (!(v[C_PP].num > 0)) {
            fprintf(stderr, "%s: --network-cost needs a positive --power-price to imply an efficiency\n", prog);
            return CLI_USAGE;
        }
        implied = wm_btc_implied_fleet_eff(v[C_NET].num, wm_btc_hashrate_h_s(d), v[C_PP].num, net_btc_day);
        if (!(eff > 0))
            eff = implied, effsrc = "implied by --network-cost";
    }
    if (!(eff > 0)) {
        fprintf(stderr, "%s: give --eff J/TH, --asic MODEL or --network-cost\n", prog);
        return CLI_USAGE;
    }
    wm_cost_in in = {d, sub, v[M_FEES].num, eff, v[C_PP].num, v[C_PUE].num, v[C_CAPEX].num, v[C_LIFE].num,
                     v[C_OPEX].num, 1.0 - v[C_FEE].num};
    wm_cost c;
    if (wm_btc_production_cost(&in, &c) != WM_OK) {
        fprintf(stderr, "%s: the inputs give no finite cost (check --eff, --pue, --life-years)\n", prog);
        return CLI_USAGE;
    }
    cli_out out;
    cli_out_init(&out, o.json);
    print_market(&out, d, v[M_PRICE].num, sub, v[M_FEES].num);
    if (v[C_NET].num > 0) {
        cli_section(&out, "network", "network production cost inverted (JPMorgan/Capriole form)");
        cli_num(&out, "network_cost_usd_per_btc", "published cost", v[C_NET].num, 0, "USD/BTC");
        cli_num(&out, "btc_per_day", "BTC mined per day (subsidy + fees)", net_btc_day, 1, "BTC/day");
        cli_num(&out, "implied_fleet_eff_j_per_th", "implied fleet-average efficiency", implied, 2, "J/TH");
        cli_num(&out, "sensitivity_usd_per_btc_per_cent_kwh", "cost per 1 c/kWh",
                v[C_NET].num / (v[C_PP].num / 10.0), 0, "USD/BTC");
        cli_section(&out, NULL, NULL);
    }
    cli_section(&out, "assumptions", "assumptions");
    cli_num(&out, "eff_j_per_th", "efficiency", eff, 2, "J/TH");
    cli_str(&out, "eff_source", "efficiency from", effsrc);
    cli_num(&out, "price_usd_per_mwh", "power price", v[C_PP].num, 2, "USD/MWh");
    cli_num(&out, "pue", "PUE", v[C_PUE].num, 3, "");
    cli_num(&out, "capex_usd_per_th", "capex", v[C_CAPEX].num, 2, "USD per TH/s");
    cli_num(&out, "life_years", "depreciation life", v[C_LIFE].num, 1, "years");
    cli_num(&out, "opex_usd_per_mwh", "other opex", v[C_OPEX].num, 2, "USD/MWh");
    cli_num(&out, "pool_fee", "pool fee", v[C_FEE].num, 4, "");
    cli_section(&out, "cost", "production cost per BTC");
    cli_num(&out, "energy_mwh_per_btc", "energy", c.energy_mwh_per_btc, 1, "MWh/BTC");
    cli_num(&out, "electrical_usd_per_btc", "electrical cost", c.electrical_usd_per_btc, 0, "USD/BTC");
    cli_num(&out, "depreciation_usd_per_btc", "capex depreciation", c.depreciation_usd_per_btc, 0, "USD/BTC");
    cli_num(&out, "opex_usd_per_btc", "other opex", c.opex_usd_per_btc, 0, "USD/BTC");
    cli_num(&out, "all_in_usd_per_btc", "all-in cost", c.all_in_usd_per_btc, 0, "USD/BTC");
    cli_num(&out, "sensitivity_usd_per_btc_per_usd_mwh", "cost per +1 USD/MWh", c.sensitivity_usd_per_btc_per_usd_mwh,
            1, "USD/BTC");
    cli_num(&out, "margin_at_price_usd_per_btc", "margin at the BTC price", v[M_PRICE].num - c.all_in_usd_per_btc, 0,
            "USD/BTC");
    return cli_out_finish(&out);
}

/* ---------------- asics ---------------- */
static int sub_asics(int argc, char **argv)
{
    const char *prog = "wattmux btc asics";
    cli_opts o;
    int rc = cli_parse(prog, "The ASIC catalog with sources (unverified specs flagged).", NULL, argc, argv, NULL, &o);
    if (rc != CLI_OK || o.help)
        return rc;
    cli_out out;
    cli_out_init(&out, o.json);
    static const cli_col cols[] = {{"id", "id", 8, -1},       {"name", "model", 28, -1},
                                   {"hashrate_th_s", "TH/s", 6, 0}, {"power_w", "W", 6, 0},
                                   {"eff_j_per_th", "J/TH", 5, 1},  {"verified", "verified", 8, -1},
                                   {"source", "source", 0, -1}};
    cli_table_begin(&out, "asics", cols, 7);
    for (size_t i = 0; i < wm_asic_count(); i++) {
        const wm_asic *a = wm_asic_at(i);
        json_t *r = json_object();
        json_object_set_new(r, "id", json_string(a->id));
        json_object_set_new(r, "name", json_string(a->name));
        json_object_set_new(r, "hashrate_th_s", json_real(a->hashrate_th_s));
        json_object_set_new(r, "power_w", json_real(a->power_w));
        json_object_set_new(r, "eff_j_per_th", json_real(a->eff_j_per_th));
        json_object_set_new(r, "release_year", json_integer(a->release_year));
        json_object_set_new(r, "verified", json_string(a->verified ? "yes" : "no"));
        json_object_set_new(r, "source", json_string(a->source));
        cli_table_row(&out, r);
    }
    cli_table_end(&out);
    return cli_out_finish(&out);
}

/* ---------------- fleet (shared by fleet, history, report) ---------------- */
#define DEF_FLEET "s19xp:16000,s21:10000,s21xp:5000"
#define FLEET_PARAMS                                                                                           \
    {"fleet", "fleet", WM_PARAM_STR, "", 0, 0, 0, DEF_FLEET, "MODEL:COUNT,... (built-in example: ~100 MW)"},  \
        {"pue", "pue", WM_PARAM_NUM, "", 1.05, 1, 3, NULL, "facility power / IT power"},                      \
        {"uptime", "uptime", WM_PARAM_NUM, "", 0.97, 0, 1, NULL, "share of time hashing"},                    \
        {"power-price", "price_usd_per_mwh", WM_PARAM_NUM, "USD/MWh", 45, -1e4, 1e5, NULL, "power price"},    \
        {"pool-fee", "pool_fee", WM_PARAM_NUM, "", 0.02, 0, 0.5, NULL, "pool fee share (FPPS)"}
enum { F_FLEET, F_PUE, F_UP, F_PP, F_FEE, F_END };

typedef struct fleet_ctx {
    wm_fleet_entry e[32];
    size_t n;
    wm_fleet_totals tot;
} fleet_ctx;

static int fleet_load(const char *prog, const wm_value *v, fleet_ctx *f)
{
    wm_err err;
    wm_err_clear(&err);
    wm_status st = wm_fleet_parse(v[F_FLEET].str, f->e, 32, &f->n, &err);
    if (st == WM_OK)
        st = wm_fleet_totals_compute(f->e, f->n, v[F_PUE].num, v[F_UP].num, &f->tot);
    return st == WM_OK ? CLI_OK : cli_error(prog, st, &err);
}

static void print_fleet(cli_out *out, const fleet_ctx *f)
{
    cli_section(out, "fleet", "fleet");
    cli_int(out, "machines", "machines", f->tot.machines, "");
    cli_num(out, "hashrate_ph_s", "nameplate hashrate", f->tot.hashrate_th_s / 1000, 1, "PH/s");
    cli_num(out, "it_power_mw", "ASIC power", f->tot.it_power_kw / 1000, 2, "MW");
    cli_num(out, "facility_power_mw", "facility power (x PUE)", f->tot.facility_power_kw / 1000, 2, "MW");
    cli_num(out, "eff_j_per_th", "fleet efficiency", f->tot.eff_j_per_th, 2, "J/TH");
    cli_num(out, "energy_mwh_per_day", "energy per day at uptime", f->tot.energy_mwh_per_day, 1, "MWh/day");
    cli_section(out, NULL, NULL);
}

static const wm_param p_fleet[] = {FLEET_PARAMS, MARKET_PARAMS, {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL}};

static void fleet_economics(cli_out *out, const fleet_ctx *f, const wm_value *fv, double d, double price,
                            double sub, double fees)
{
    wm_hashprice hp;
    wm_btc_hashprice(d, price, sub, fees, &hp);
    double factor = wm_btc_payout_factor(WM_PAYOUT_FPPS, fv[F_FEE].num, sub, fees);
    wm_breakeven_in in = {f->tot.hashrate_th_s, f->tot.it_power_kw * 1000, hp.usd_per_ph_day, factor,
                          fv[F_PUE].num, fv[F_UP].num, fv[F_PP].num};
    wm_breakeven be;
    wm_btc_breakeven(&in, &be);
    wm_cost_in ci = {d, sub, fees, f->tot.eff_j_per_th, fv[F_PP].num, fv[F_PUE].num, 15, 4, 5, factor};
    wm_cost c;
    wm_btc_production_cost(&ci, &c);
    double btc_day = hp.btc_per_ph_day * f->tot.hashrate_th_s / 1000 * fv[F_UP].num * factor;
    cli_section(out, "economics", "daily economics of the fleet");
    cli_num(out, "hashprice_usd_per_ph_day", "hashprice (gross)", hp.usd_per_ph_day, 2, "USD/PH/day");
    cli_num(out, "btc_per_day", "BTC earned", btc_day, 4, "BTC/day");
    cli_num(out, "revenue_usd_per_day", "revenue", be.revenue_usd_per_day, 0, "USD/day");
    cli_num(out, "power_cost_usd_per_day", "power cost", be.power_cost_usd_per_day, 0, "USD/day");
    cli_num(out, "margin_usd_per_day", "margin over power", be.profit_usd_per_day, 0, "USD/day");
    double mw = f->tot.facility_power_kw / 1000;
    cli_num(out, "breakeven_usd_per_mwh", "break-even power price", be.breakeven_usd_per_mwh, 2, "USD/MWh");
    cli_num(out, "margin_usd_per_mw_year", "margin per MW-year", mw > 0 ? be.profit_usd_per_day * 365 / mw : 0, 0,
            "USD/MW-yr");
    cli_num(out, "electrical_cost_usd_per_btc", "electrical cost per BTC", c.electrical_usd_per_btc, 0, "USD/BTC");
    cli_num(out, "all_in_cost_usd_per_btc", "all-in cost per BTC", c.all_in_usd_per_btc, 0, "USD/BTC");
    cli_note(out, "all-in cost assumes capex $15 per TH/s over 4 years and $5/MWh other opex "
                  "(see `wattmux btc cost` to change them)");
    cli_section(out, NULL, NULL);
}

static int sub_fleet(int argc, char **argv)
{
    const char *prog = "wattmux btc fleet";
    wm_value v[F_END + M_END + 1];
    cli_opts o;
    int rc = cli_parse(prog, "Aggregate a mixed fleet and its daily economics at a market.", p_fleet, argc, argv, v, &o);
    if (rc != CLI_OK || o.help)
        return rc;
    fleet_ctx f;
    if ((rc = fleet_load(prog, v, &f)) != CLI_OK)
        return rc;
    double d, sub;
    if ((rc = market(prog, v + F_END, &d, &sub)) != CLI_OK)
        return rc;
    cli_out out;
    cli_out_init(&out, o.json);
    print_fleet(&out, &f);
    print_market(&out, d, v[F_END + M_PRICE].num, sub, v[F_END + M_FEES].num);
    fleet_economics(&out, &f, v, d, v[F_END + M_PRICE].num, sub, v[F_END + M_FEES].num);
    return cli_out_finish(&out);
}

/* ---------------- history ---------------- */
static const wm_param p_history[] = {
    FLEET_PARAMS,
    {"price-file", "price_file", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR,
     "daily BTC price CSV (default: shared/data/bitcoin/btc_usd_daily_2015_2026.csv)"},
    {"price-column", "price_column", WM_PARAM_STR, "", 0, 0, 0, "price", "price column"},
    {"difficulty-file", "difficulty_file", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR,
     "daily difficulty CSV (default: shared difficulty_daily_2009_2026.csv)"},
    {"fees-file", "fees_file", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "daily total fees CSV (BTC/day)"},
    {"fees-column", "fees_column", WM_PARAM_STR, "", 0, 0, 0, "fees_btc", "fees column"},
    {"fees-per-block", "fees_btc_per_block", WM_PARAM_NUM, "BTC", 0.0, 0, 1e4, NULL,
     "fees per block on days without a fees file"},
    {"hashrate-file", "hashrate_file", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR,
     "daily realised hashrate CSV (TH/s), to count blocks for spreading fees"},
    {"from", "from", WM_PARAM_STR, "UTC date", 0, 0, 0, "2023-01-01", "first day"},
    {"to", "to", WM_PARAM_STR, "UTC date", 0, 0, 0, "2100-01-01", "day after the last"},
    {"monthly", "monthly", WM_PARAM_FLAG, "", 0, 0, 1, NULL, "print a monthly table instead of daily rows"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};
enum { H_PF = F_END, H_PC, H_DF, H_FF, H_FC, H_FPB, H_HF, H_FROM, H_TO, H_MONTHLY, H_END };

typedef struct history_run {
    wm_series *price, *diff, *fees, *hash;
    wm_history_day *days;
    size_t n;
    wm_history_summary sum;
} history_run;

static void history_free(history_run *r)
{
    wm_series_free(r->price);
    wm_series_free(r->diff);
    wm_series_free(r->fees);
    wm_series_free(r->hash);
    free(r->days);
}

static int history_compute(const char *prog, const wm_value *v, const fleet_ctx *f, history_run *r)
{
    memset(r, 0, sizeof *r);
    char pf[512], df[512];
    snprintf(pf, sizeof pf, "%s/data/bitcoin/btc_usd_daily_2015_2026.csv", shared_dir());
    snprintf(df, sizeof df, "%s/data/bitcoin/difficulty_daily_2009_2026.csv", shared_dir());
    const char *price_path = v[H_PF].str && v[H_PF].str[0] ? v[H_PF].str : pf;
    const char *diff_path = v[H_DF].str && v[H_DF].str[0] ? v[H_DF].str : df;
    int64_t from, to;
    if (wm_parse_time(v[H_FROM].str, &from) != WM_OK || wm_parse_time(v[H_TO].str, &to) != WM_OK || to <= from) {
        fprintf(stderr, "%s: --from/--to: expected ISO dates (2023-01-01) with from < to\n", prog);
        return CLI_USAGE;
    }
    const char *pcol[] = {v[H_PC].str}, *fcol[] = {v[H_FC].str};
    wm_series_opts po = {.columns = pcol, .ncolumns = 1};
    int rc;
    if ((rc = load_series(prog, price_path, &po, &r->price)) != CLI_OK)
        return rc;
    if ((rc = load_series(prog, diff_path, NULL, &r->diff)) != CLI_OK)
        return rc;
    if (v[H_FF].str && v[H_FF].str[0]) {
        /* the fees file may have its date in any column: find a column named like a date */
        wm_series_opts fo = {.columns = fcol, .ncolumns = 1, .time_column = "date"};
        wm_err err;
        if (wm_series_load(v[H_FF].str, &fo, &r->fees, &err) != WM_OK) {
            fo.time_column = NULL;
            if ((rc = load_series(prog, v[H_FF].str, &fo, &r->fees)) != CLI_OK)
                return rc;
        }
    }
    if (v[H_HF].str && v[H_HF].str[0] && (rc = load_series(prog, v[H_HF].str, NULL, &r->hash)) != CLI_OK)
        return rc;
    double factor = wm_btc_payout_factor(WM_PAYOUT_FPPS, v[F_FEE].num, 1, 0);
    wm_history_in in = {.price = r->price, .difficulty = r->diff, .fees = r->fees, .hashrate = r->hash,
                        .hashrate_th_s = f->tot.hashrate_th_s, .power_kw = f->tot.it_power_kw,
                        .pue = v[F_PUE].num, .uptime = v[F_UP].num, .payout_factor = factor,
                        .price_usd_per_mwh = v[F_PP].num, .from = from, .to = to};
    size_t cnt = wm_history_count(&in);
    if (cnt == 0) {
        fprintf(stderr, "%s: no day between %s and %s has both a price and a difficulty%s\n", prog, v[H_FROM].str,
                v[H_TO].str, r->fees ? " and fees" : "");
        return CLI_USAGE;
    }
    r->days = calloc(cnt, sizeof *r->days);
    if (!r->days)
        return CLI_FAIL;
    wm_history_replay(&in, r->days, cnt, &r->n, &r->sum);
    /* without a fees file, add the flat fee assumption to every day */
    if (!r->fees && v[H_FPB].num > 0) {
        memset(&r->sum, 0, sizeof r->sum);
        r->sum.min_hashprice_usd_per_ph_day = INFINITY;
        r->sum.max_hashprice_usd_per_ph_day = -INFINITY;
        for (size_t i = 0; i < r->n; i++) {
            wm_history_day *x = &r->days[i];
            wm_hashprice hp;
            wm_btc_hashprice(x->difficulty, x->price_usd_per_btc, x->subsidy_btc, v[H_FPB].num, &hp);
            x->fees_btc_per_block = v[H_FPB].num;
            x->hashprice_btc_per_ph_day = hp.btc_per_ph_day;
            x->hashprice_usd_per_ph_day = hp.usd_per_ph_day;
            x->fleet_btc = hp.btc_per_ph_day * f->tot.hashrate_th_s / 1000 * v[F_UP].num * factor;
            x->revenue_usd = x->fleet_btc * x->price_usd_per_btc;
            x->margin_usd = x->revenue_usd - x->power_cost_usd;
            r->sum.days++;
            r->sum.btc += x->fleet_btc;
            r->sum.revenue_usd += x->revenue_usd;
            r->sum.power_cost_usd += x->power_cost_usd;
            r->sum.margin_usd += x->margin_usd;
            r->sum.days_unprofitable += x->margin_usd < 0;
            if (x->hashprice_usd_per_ph_day < r->sum.min_hashprice_usd_per_ph_day)
                r->sum.min_hashprice_usd_per_ph_day = x->hashprice_usd_per_ph_day, r->sum.min_day = x->day;
            if (x->hashprice_usd_per_ph_day > r->sum.max_hashprice_usd_per_ph_day)
                r->sum.max_hashprice_usd_per_ph_day = x->hashprice_usd_per_ph_day, r->sum.max_day = x->day;
        }
    }
    return CLI_OK;
}

static const cli_col hist_cols[] = {{"date", "date", 10, -1},
                                    {"price_usd_per_btc", "BTC $", 9, 0},
                                    {"difficulty_t", "D (T)", 7, 2},
                                    {"fees_btc_per_block", "fees/blk", 8, 3},
                                    {"hashprice_usd_per_ph_day", "$/PH/day", 8, 2},
                                    {"fleet_btc", "BTC", 8, 3},
                                    {"revenue_usd", "revenue $", 11, 0},
                                    {"power_cost_usd", "power $", 10, 0},
                                    {"margin_usd", "margin $", 11, 0}};

static void history_table(cli_out *out, const history_run *r, bool monthly)
{
    cli_table_begin(out, monthly ? "months" : "days", hist_cols, 9);
    for (size_t i = 0; i < r->n;) {
        const wm_history_day *x = &r->days[i];
        char b[11];
        wm_fmt_date(x->day, b);
        size_t j = i + 1;
        if (monthly)
            while (j < r->n) {
                char c[11];
                wm_fmt_date(r->days[j].day, c);
                if (strncmp(b, c, 7) != 0)
                    break;
                j++;
            }
        double k = (double)(j - i), price = 0, d = 0, fpb = 0, hp = 0, btc = 0, rev = 0, pc = 0, m = 0;
        for (size_t q = i; q < j; q++) {
            price += r->days[q].price_usd_per_btc / k;
            d += r->days[q].difficulty / k;
            fpb += r->days[q].fees_btc_per_block / k;
            hp += r->days[q].hashprice_usd_per_ph_day / k;
            btc += r->days[q].fleet_btc;
            rev += r->days[q].revenue_usd;
            pc += r->days[q].power_cost_usd;
            m += r->days[q].margin_usd;
        }
        if (monthly)
            b[7] = '\0';
        json_t *row = json_object();
        json_object_set_new(row, "date", json_string(b));
        if (monthly)
            json_object_set_new(row, "days", json_integer((json_int_t)(j - i)));
        json_object_set_new(row, "price_usd_per_btc", json_real(price));
        json_object_set_new(row, "difficulty_t", json_real(d / 1e12));
        json_object_set_new(row, "fees_btc_per_block", json_real(fpb));
        json_object_set_new(row, "hashprice_usd_per_ph_day", json_real(hp));
        json_object_set_new(row, "fleet_btc", json_real(btc));
        json_object_set_new(row, "revenue_usd", json_real(rev));
        json_object_set_new(row, "power_cost_usd", json_real(pc));
        json_object_set_new(row, "margin_usd", json_real(m));
        cli_table_row(out, row);
        i = j;
    }
    cli_table_end(out);
}

static void history_summary(cli_out *out, const history_run *r)
{
    char a[11], b[11];
    cli_section(out, "summary", "summary");
    cli_str(out, "first_day", "first day", wm_fmt_date(r->days[0].day, a));
    cli_str(out, "last_day", "last day", wm_fmt_date(r->days[r->n - 1].day, b));
    cli_int(out, "days", "days", (int64_t)r->sum.days, "");
    cli_num(out, "btc", "BTC earned", r->sum.btc, 3, "BTC");
    cli_num(out, "revenue_usd", "revenue", r->sum.revenue_usd, 0, "USD");
    cli_num(out, "power_cost_usd", "power cost", r->sum.power_cost_usd, 0, "USD");
    cli_num(out, "margin_usd", "margin over power", r->sum.margin_usd, 0, "USD");
    cli_int(out, "days_unprofitable", "days with revenue below power cost", (int64_t)r->sum.days_unprofitable, "");
    cli_num(out, "min_hashprice_usd_per_ph_day", "lowest hashprice", r->sum.min_hashprice_usd_per_ph_day, 2,
            "USD/PH/day");
    cli_str(out, "min_hashprice_day", "  on", wm_fmt_date(r->sum.min_day, a));
    cli_num(out, "max_hashprice_usd_per_ph_day", "highest hashprice", r->sum.max_hashprice_usd_per_ph_day, 2,
            "USD/PH/day");
    cli_str(out, "max_hashprice_day", "  on", wm_fmt_date(r->sum.max_day, b));
    cli_section(out, NULL, NULL);
}

/* Days missing from an input inside the replayed range are skipped: say which. */
static void note_gaps(cli_out *out, const char *what, const wm_series *s, int64_t from, int64_t to)
{
    size_t n = wm_series_gaps(s, 86400, NULL, 0);
    wm_gap *g = n ? malloc(n * sizeof *g) : NULL;
    if (!g)
        return;
    wm_series_gaps(s, 86400, g, n);
    for (size_t i = 0; i < n; i++) {
        if (g[i].before <= from || g[i].after >= to)
            continue;
        char a[11], b[11], msg[160];
        snprintf(msg, sizeof msg, "%s series has no rows for %ld day(s) between %s and %s: those days are skipped",
                 what, g[i].missing, wm_fmt_date(g[i].after, a), wm_fmt_date(g[i].before, b));
        cli_note(out, msg);
    }
    free(g);
}

static int sub_history(int argc, char **argv)
{
    const char *prog = "wattmux btc history";
    wm_value v[H_END + 1];
    cli_opts o;
    int rc = cli_parse(prog,
                       "Replay a fleet day by day on real daily series: hashprice, BTC, revenue, power cost, margin.",
                       p_history, argc, argv, v, &o);
    if (rc != CLI_OK || o.help)
        return rc;
    fleet_ctx f;
    if ((rc = fleet_load(prog, v, &f)) != CLI_OK)
        return rc;
    history_run r;
    rc = history_compute(prog, v, &f, &r);
    if (rc == CLI_OK) {
        cli_out out;
        cli_out_init(&out, o.json);
        print_fleet(&out, &f);
        history_table(&out, &r, v[H_MONTHLY].num > 0);
        history_summary(&out, &r);
        if (!r.fees)
            cli_note(&out, v[H_FPB].num > 0 ? "fees: flat --fees-per-block on every day"
                                            : "fees: none (give --fees-file or --fees-per-block)");
        note_gaps(&out, "price", r.price, r.days[0].day, r.days[r.n - 1].day);
        note_gaps(&out, "difficulty", r.diff, r.days[0].day, r.days[r.n - 1].day);
        if (r.fees)
            note_gaps(&out, "fees", r.fees, r.days[0].day, r.days[r.n - 1].day);
        rc = cli_out_finish(&out);
    }
    history_free(&r);
    return rc;
}

/* ---------------- report: the main job on the built-in example ---------------- */
static const wm_param p_report[] = {
    FLEET_PARAMS,
    {"from", "from", WM_PARAM_STR, "UTC date", 0, 0, 0, "2024-01-01", "first day of the history replay"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static int sub_report(int argc, char **argv)
{
    const char *prog = "wattmux btc report";
    wm_value v[F_END + 2];
    cli_opts o;
    int rc = cli_parse(prog,
                       "The mining report of a fleet (built-in ~100 MW example): today's economics per machine, "
                       "production cost, the halving calendar and a monthly replay of the real history.",
                       p_report, argc, argv, v, &o);
    if (rc != CLI_OK || o.help)
        return rc;
    fleet_ctx f;
    if ((rc = fleet_load(prog, v, &f)) != CLI_OK)
        return rc;
    /* Today's market: the last day of the real daily files when present, else built-in defaults. */
    wm_value hv[H_END + 1];
    wm_param_defaults(p_history, hv);
    for (int i = 0; i < F_END; i++)
        hv[i] = v[i];
    hv[H_FROM].str = v[F_END].str;
    hv[H_MONTHLY].num = 1;
    char ff[512];
    snprintf(ff, sizeof ff, "%s/data/bitcoin/fees_daily_btc_2025-11_2026-02.csv", shared_dir());
    double fees = DEF_FEES;
    bool fees_real = false;
    {
        /* fees: mean per block over the real fees file's days (late 2025 .. early 2026) */
        wm_series *fs = NULL;
        const char *fc[] = {"fees_btc"};
        wm_series_opts fo = {.columns = fc, .ncolumns = 1, .time_column = "date"};
        wm_err err;
        if (wm_series_load(ff, &fo, &fs, &err) == WM_OK) {
            double sum = 0;
            for (size_t i = 0; i < wm_series_len(fs); i++)
                sum += wm_series_values(fs, 0)[i];
            fees = sum / (double)wm_series_len(fs) / 144.0;
            fees_real = true;
            wm_series_free(fs);
        }
    }
    hv[H_FPB].num = fees;
    history_run r;
    memset(&r, 0, sizeof r);
    bool have_history = history_compute(prog, hv, &f, &r) == CLI_OK && r.n > 0;
    double d = DEF_DIFFICULTY, price = DEF_PRICE;
    char asof[200];
    snprintf(asof, sizeof asof, "%s", DEF_ASOF);
    int64_t now_t = 1764460800; /* 2025-11-30 */
    if (have_history) {
        const wm_history_day *last = &r.days[r.n - 1];
        d = last->difficulty;
        price = last->price_usd_per_btc;
        now_t = last->day;
        char b[11];
        snprintf(asof, sizeof asof, "%s (last day of shared/data: difficulty, close price; fees: %s)",
                 wm_fmt_date(last->day, b), fees_real ? "mean of the daily fees file / 144" : "0.02 BTC/block");
    }
    /* the chain's height at `now`, projected at 600 s/block from block 840,000 */
    int64_t height = 840000 + (now_t - 1713571767) / 600;
    double sub = subsidy_btc_at(height);
    cli_out out;
    cli_out_init(&out, o.json);
    if (!o.json)
        printf("wattmux mining report\n=====================\n");
    cli_str(&out, "as_of", "market as of", asof);
    print_fleet(&out, &f);
    print_market(&out, d, price, sub, fees);
    fleet_economics(&out, &f, v, d, price, sub, fees);
    /* per model */
    wm_value bv[B_END + 1];
    wm_param_defaults(p_breakeven, bv);
    bv[B_PP] = v[F_PP];
    bv[B_PUE] = v[F_PUE];
    bv[B_UP] = v[F_UP];
    wm_hashprice hp;
    wm_btc_hashprice(d, price, sub, fees, &hp);
    double factor = wm_btc_payout_factor(WM_PAYOUT_FPPS, v[F_FEE].num, sub, fees);
    cli_section(&out, "models", "every catalog model at this market (per machine)");
    cli_table_begin(&out, "machines", be_cols, 7);
    for (size_t i = 0; i < wm_asic_count(); i++) {
        const wm_asic *m = wm_asic_at(i);
        wm_breakeven be;
        cli_table_row(&out, breakeven_row(m->name, m->hashrate_th_s, m->power_w, &hp, factor, bv, &be));
    }
    cli_table_end(&out);
    cli_section(&out, NULL, NULL);
    wm_halving hv2[2];
    if (wm_btc_halvings(height, now_t, d, wm_btc_hashrate_h_s(d), 0.3, 2, hv2) == WM_OK) {
        cli_section(&out, "halvings", "next halvings (hashrate +35 %/year)");
        for (int i = 0; i < 2; i++) {
            char key[32], lab[64], tb[21];
            snprintf(key, sizeof key, "halving_%lld", (long long)hv2[i].height);
            snprintf(lab, sizeof lab, "height %lld (subsidy %.4f BTC)", (long long)hv2[i].height,
                     (double)hv2[i].subsidy_sat / WM_COIN_SAT);
            cli_str(&out, key, lab, wm_fmt_time(hv2[i].time, tb));
        }
        cli_section(&out, NULL, NULL);
    }
    if (have_history) {
        cli_section(&out, "history", "monthly replay of the real history (fees flat at the figure above)");
        history_table(&out, &r, true);
        cli_section(&out, NULL, NULL);
        history_summary(&out, &r);
    } else {
        cli_note(&out, "history replay skipped: shared/data/bitcoin not found (set WM_SHARED)");
    }
    history_free(&r);
    return cli_out_finish(&out);
}

static const cli_sub subs[] = {
    {"subsidy", "block subsidy and supply at a height", sub_subsidy},
    {"target", "nBits <-> target <-> difficulty, bit-exact", sub_target},
    {"difficulty", "same as target", sub_target},
    {"retarget", "the 2016-block retarget exactly as Bitcoin Core computes it", sub_retarget},
    {"estimate", "next difficulty adjustment from the blocks seen so far", sub_estimate},
    {"halvings", "halving calendar projected with a hashrate trend", sub_halvings},
    {"hashprice", "USD and BTC per PH/s per day, fees included", sub_hashprice},
    {"breakeven", "break-even power price per machine", sub_breakeven},
    {"cost", "production cost per BTC (electrical and all-in)", sub_cost},
    {"asics", "the ASIC catalog", sub_asics},
    {"fleet", "fleet aggregates and daily economics", sub_fleet},
    {"history", "day-by-day replay on real daily series", sub_history},
    {"report", "the mining report on the built-in example fleet", sub_report},
    {NULL, NULL, NULL},
};

int cmd_btc(int argc, char **argv)
{
    return cli_dispatch("wattmux btc", subs, argc, argv);
}
