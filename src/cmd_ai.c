/* cmd_ai.c - `wattmux ai gpus|train|serve|colo|cloud|compare`: the AI compute calculators
 * (lib/gpu, lib/llm, lib/aiecon) and the first table an operator asks for: what a MW earns in
 * each AI mode next to Bitcoin mining on the same power (lib/btc, lib/asic). Every number goes
 * through cli_out, so human output and --json come from the same calls. User-defined models and
 * GPUs come from --cards FILE (format: lib/llm.h, docs/model-ai.md). */
#include "aiecon.h"
#include "asic.h"
#include "btc.h"
#include "cli.h"
#include "commands.h"
#include "llm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUM(flag, key, unit, def, lo, hi, help) {flag, key, WM_PARAM_NUM, unit, def, lo, hi, NULL, help}
#define INT(flag, key, unit, def, lo, hi, help) {flag, key, WM_PARAM_INT, unit, def, lo, hi, NULL, help}
#define STR(flag, key, def, help) {flag, key, WM_PARAM_STR, "", 0, 0, 0, def, help}
#define FLAG(flag, key, help) {flag, key, WM_PARAM_FLAG, "", 0, 0, 0, NULL, help}
#define END {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL}
#define OPT WM_PARAM_OPTIONAL_STR
#define MAXP 96

static double num(const wm_param *t, const wm_value *v, const char *flag)
{
    int i = wm_param_find(t, flag);
    return i >= 0 ? v[i].num : NAN;
}
static const char *str(const wm_param *t, const wm_value *v, const char *flag)
{
    int i = wm_param_find(t, flag);
    return i >= 0 && v[i].str && v[i].str[0] ? v[i].str : NULL;
}

/* Concatenate tables into dst (with the terminator); offs[k] = index of table k's first entry. */
static void concat(wm_param *dst, const wm_param *const *tabs, size_t n, size_t *offs)
{
    size_t k = 0;
    for (size_t t = 0; t < n; t++) {
        offs[t] = k;
        for (size_t i = 0; tabs[t][i].flag && k + 1 < MAXP; i++)
            dst[k++] = tabs[t][i];
    }
    dst[k] = (wm_param)END;
}

/* Read --cards FILE into the model set and GPU catalog (size-limited, all or nothing). */
static int load_cards(const char *prog, const char *path, wm_llm_set *ms, wm_gpu_catalog *gs)
{
    if (!path)
        return CLI_OK;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "%s: %s: cannot open\n", prog, path);
        return CLI_USAGE;
    }
    char *buf = malloc(WM_LLM_CARDS_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, WM_LLM_CARDS_MAX_BYTES + 1, fp) : 0;
    fclose(fp);
    if (!buf)
        return cli_error(prog, WM_ENOMEM, NULL);
    wm_err e;
    wm_err_clear(&e);
    wm_status st = wm_llm_cards_parse(buf, n, path, ms, gs, &e);
    free(buf);
    return st == WM_OK ? CLI_OK : cli_error(prog, st, &e);
}

typedef struct ctx {
    wm_llm_set *ms;
    wm_gpu_catalog *gs;
} ctx;

static int ctx_open(ctx *c, const char *prog, const char *cards)
{
    memset(c, 0, sizeof *c);
    if (wm_llm_set_new(&c->ms) != WM_OK || wm_gpu_catalog_new(&c->gs) != WM_OK)
        return cli_error(prog, WM_ENOMEM, NULL);
    return load_cards(prog, cards, c->ms, c->gs);
}
static void ctx_close(ctx *c)
{
    wm_llm_set_free(c->ms);
    wm_gpu_catalog_free(c->gs);
}

/* ------------------------------------------------------------------ gpus */

static const wm_param gpus_table[] = {
    STR("cards", "cards_file", OPT, "model-card file adding user-defined models and GPUs"),
    END,
};

static int ai_gpus(int argc, char **argv)
{
    const char *prog = "wattmux ai gpus";
    wm_value v[4];
    cli_opts o;
    int rc = cli_parse(prog, "the GPU catalog (and the model cards)", gpus_table, argc, argv, v, &o);
    if (rc != CLI_OK || o.help)
        return rc;
    ctx c;
    if ((rc = ctx_open(&c, prog, str(gpus_table, v, "cards"))) != CLI_OK) {
        ctx_close(&c);
        return rc;
    }
    cli_out out;
    cli_out_init(&out, o.json);
    static const cli_col cols[] = {
        {"id", "gpu", 8, -1},           {"bf16_tflops", "BF16 TF", 8, 0},     {"fp8_tflops", "FP8 TF", 7, 0},
        {"fp4_tflops", "FP4 TF", 7, 0}, {"hbm_gb", "HBM GB", 6, 0},           {"hbm_tb_s", "TB/s", 5, 2},
        {"board_w", "W", 5, 0},         {"purchase_usd_lo", "buy lo $", 9, 0}, {"purchase_usd_hi", "buy hi $", 9, 0},
        {"rent_usd_per_h_lo", "rent lo", 7, 2}, {"rent_usd_per_h_hi", "rent hi", 7, 2},
    };
    cli_table_begin(&out, "gpus", cols, (int)(sizeof cols / sizeof cols[0]));
    for (size_t i = 0; i < wm_gpu_catalog_count(c.gs); i++) {
        const wm_gpu *g = wm_gpu_catalog_at(c.gs, i);
        json_t *r = json_object();
        json_object_set_new(r, "id", json_string(g->id));
        json_object_set_new(r, "name", json_string(g->name));
        json_object_set_new(r, "bf16_tflops", json_real(g->peak_tflops[WM_PREC_BF16]));
        json_object_set_new(r, "fp8_tflops", g->peak_tflops[WM_PREC_FP8] > 0 ? json_real(g->peak_tflops[WM_PREC_FP8]) : json_null());
        json_object_set_new(r, "int8_tops", g->peak_tflops[WM_PREC_INT8] > 0 ? json_real(g->peak_tflops[WM_PREC_INT8]) : json_null());
        json_object_set_new(r, "fp4_tflops", g->peak_tflops[WM_PREC_FP4] > 0 ? json_real(g->peak_tflops[WM_PREC_FP4]) : json_null());
        json_object_set_new(r, "hbm_gb", json_real(g->hbm_gb));
        json_object_set_new(r, "hbm_tb_s", json_real(g->hbm_tb_s));
        json_object_set_new(r, "board_w", json_real(g->board_w));
        json_object_set_new(r, "purchase_usd_lo", isfinite(g->purchase_usd_lo) ? json_real(g->purchase_usd_lo) : json_null());
        json_object_set_new(r, "purchase_usd_hi", isfinite(g->purchase_usd_hi) ? json_real(g->purchase_usd_hi) : json_null());
        json_object_set_new(r, "purchase_date", json_string(g->purchase_date));
        json_object_set_new(r, "rent_usd_per_h_lo", isfinite(g->rent_usd_per_h_lo) ? json_real(g->rent_usd_per_h_lo) : json_null());
        json_object_set_new(r, "rent_usd_per_h_hi", isfinite(g->rent_usd_per_h_hi) ? json_real(g->rent_usd_per_h_hi) : json_null());
        json_object_set_new(r, "rent_date", json_string(g->rent_date));
        json_object_set_new(r, "source", json_string(g->source));
        json_object_set_new(r, "user_defined", json_boolean(g->user));
        cli_table_row(&out, r);
    }
    cli_table_end(&out);
    static const cli_col mcols[] = {
        {"id", "model", 16, -1}, {"params_total_b", "total B", 8, 1}, {"params_active_b", "active B", 8, 1},
        {"attention", "attn", 5, -1}, {"layers", "layers", 6, -1}, {"kv_bytes_per_token_bf16", "KV B/tok (bf16)", 15, 0},
    };
    cli_table_begin(&out, "models", mcols, (int)(sizeof mcols / sizeof mcols[0]));
    for (size_t i = 0; i < wm_llm_set_count(c.ms); i++) {
        const wm_llm *m = wm_llm_set_at(c.ms, i);
        json_t *r = json_object();
        json_object_set_new(r, "id", json_string(m->id));
        json_object_set_new(r, "name", json_string(m->name));
        json_object_set_new(r, "params_total_b", json_real(m->params_total / 1e9));
        json_object_set_new(r, "params_active_b", json_real(m->params_active / 1e9));
        json_object_set_new(r, "attention", json_string(m->attn == WM_ATTN_MLA ? "mla" : m->kv_heads == m->heads ? "mha" : "gqa"));
        json_object_set_new(r, "layers", json_integer(m->layers));
        json_object_set_new(r, "kv_bytes_per_token_bf16", json_real(wm_llm_kv_bytes_per_token(m, 2)));
        json_object_set_new(r, "source", json_string(m->source));
        json_object_set_new(r, "user_defined", json_boolean(m->user));
        cli_table_row(&out, r);
    }
    cli_table_end(&out);
    ctx_close(&c);
    return cli_out_finish(&out);
}

/* ------------------------------------------------------------------ train */

static const wm_param train_table[] = {
    STR("model", "model", OPT, "model card id (gives the active parameters)"),
    NUM("params-active", "params_active", "parameters", 0, 0, 1e15, "active parameters per token (0 = from --model)"),
    NUM("tokens", "tokens", "tokens", NAN, 1, 1e18, "training tokens"),
    STR("gpu", "gpu", "h100", "GPU id"),
    INT("gpus", "n_gpus", "GPUs", 1024, 1, 1e7, "GPUs in the cluster"),
    STR("precision", "precision", "bf16", "precision MFU is quoted against (bf16, fp8, int8, fp4)"),
    NUM("mfu", "mfu", "", 0, 0, 1, "model FLOPs utilization (give this or --gpu-hours)"),
    NUM("gpu-hours", "gpu_hours", "GPU-h", 0, 0, 1e12, "GPU-hours used (then the MFU is derived)"),
    NUM("usd-per-gpu-h", "usd_per_gpu_h", "USD/GPU-h", 2.0, 0, 1000, "price of a GPU-hour"),
    FLAG("recompute", "recompute", "full activation recompute: 8ND instead of 6ND"),
    NUM("power-frac", "power_frac_busy", "", 0.7, 0.01, 1.5, "average GPU draw / board power"),
    NUM("host-overhead", "host_overhead", "", 0.35, 0, 5, "host power / GPU power"),
    NUM("pue", "pue", "", 1.2, 1, 3, "facility / IT power"),
    STR("cards", "cards_file", OPT, "model-card file"),
    END,
};

static int ai_train(int argc, char **argv)
{
    const char *prog = "wattmux ai train";
    const wm_param *t = train_table;
    wm_value v[MAXP];
    cli_opts o;
    int rc = cli_parse(prog, "training compute, time, cost and energy (6ND / 8ND, MFU)", t, argc, argv, v, &o);
    if (rc != CLI_OK || o.help)
        return rc;
    ctx c;
    if ((rc = ctx_open(&c, prog, str(t, v, "cards"))) != CLI_OK)
        goto done;
    wm_err e;
    wm_err_clear(&e);
    const wm_gpu *g;
    const wm_llm *m = NULL;
    wm_prec prec;
    wm_status st = wm_gpu_find(c.gs, str(t, v, "gpu"), &g, &e);
    if (st == WM_OK && str(t, v, "model"))
        st = wm_llm_find(c.ms, str(t, v, "model"), &m, &e);
    if (st == WM_OK)
        st = wm_prec_parse(str(t, v, "precision"), &prec, &e);
    wm_train_in in = {.tokens = num(t, v, "tokens"), .recompute = num(t, v, "recompute") > 0,
                      .n_gpus = num(t, v, "gpus"), .mfu = num(t, v, "mfu"), .gpu_hours = num(t, v, "gpu-hours"),
                      .usd_per_gpu_h = num(t, v, "usd-per-gpu-h"), .board_w = 0,
                      .power = {1, num(t, v, "power-frac"), 0, num(t, v, "host-overhead"), num(t, v, "pue")}};
    in.params_active = num(t, v, "params-active") > 0 ? num(t, v, "params-active") : m ? m->params_active : 0;
    if (st == WM_OK && !(in.params_active > 0))
        st = wm_err_set(&e, WM_EINVAL, "--params-active", 0, 0, "give --model or --params-active");
    if (st == WM_OK) {
        in.board_w = g->board_w;
        st = wm_gpu_peak_flops(g, prec, &in.peak_flops, &e);
    }
    wm_train_out r;
    if (st == WM_OK)
        st = wm_llm_train(&in, &r, &e);
    if (st != WM_OK) {
        rc = cli_error(prog, st, &e);
        goto done;
    }
    cli_out out;
    cli_out_init(&out, o.json);
    cli_str(&out, "gpu", "GPU", g->name);
    if (m)
        cli_str(&out, "model", "model", m->name);
    cli_num(&out, "params_active", "active parameters", in.params_active, 0, "");
    cli_num(&out, "tokens", "tokens", in.tokens, 0, "");
    cli_num(&out, "flops", "training compute", r.flops, 3, "FLOP");
    cli_num(&out, "peak_tflops_per_gpu", "peak per GPU", in.peak_flops / 1e12, 0, "TFLOP/s");
    cli_num(&out, "mfu", "MFU", r.mfu, 4, "");
    cli_num(&out, "achieved_tflops_per_gpu", "achieved per GPU", r.achieved_tflops_per_gpu, 1, "TFLOP/s");
    cli_num(&out, "gpu_hours", "GPU-hours", r.gpu_hours, 0, "GPU-h");
    cli_num(&out, "wall_days", "wall time", r.wall_days, 1, "days");
    cli_num(&out, "cost_usd", "cost", r.cost_usd, 0, "USD");
    cli_num(&out, "energy_mwh", "facility energy", r.energy_mwh, 0, "MWh");
    rc = cli_out_finish(&out);
done:
    ctx_close(&c);
    return rc;
}

/* ------------------------------------------------------------------ serve */

static const wm_param serve_table[] = {
    STR("model", "model", NULL, "model card id (llama-2-70b, llama-3.1-405b, deepseek-v3, ...)"),
    STR("gpu", "gpu", NULL, "GPU id (h100, h200, b200, ...)"),
    INT("gpus", "n_gpus", "GPUs", 8, 1, 1e6, "GPUs in the system"),
    INT("tp", "tp", "GPUs", 0, 0, 1024, "GPUs per replica (tensor/expert parallel); 0 = best"),
    STR("precision", "precision", "fp8", "weights and math: bf16, fp8, int8, fp4"),
    STR("kv-precision", "kv_precision", OPT, "KV cache element: bf16 or fp8 (default: as --precision, at most 2 B)"),
    STR("scenario", "scenario", "offline", "offline (no latency bound), server (TPOT 200 ms), interactive (40 ms)"),
    NUM("tpot-ms", "tpot_target_ms", "ms", 0, 0, 1e6, "time per output token target (overrides --scenario)"),
    NUM("input", "input_tokens", "tokens", 300, 0, 1e7, "prompt tokens per request (default: MLPerf Llama-2-70B)"),
    NUM("output", "output_tokens", "tokens", 294.45, 1, 1e7, "output tokens per request"),
    INT("batch", "batch", "sequences", 0, 0, 1e7, "concurrent sequences per replica; 0 = largest allowed"),
    NUM("eff-compute", "eff_compute", "", 0.54, 0.01, 1, "achieved / peak tensor FLOP/s (calibrated)"),
    NUM("eff-memory", "eff_memory", "", 0.65, 0.01, 1, "achieved / peak HBM bandwidth (calibrated)"),
    NUM("mem-usable", "mem_usable", "", 0.9, 0.01, 1, "share of HBM for weights and KV"),
    NUM("util", "utilization", "", 1.0, 0, 1, "share of time serving"),
    NUM("usd-per-gpu-h", "usd_per_gpu_h", "USD/GPU-h", 2.0, 0, 1000, "cost of a GPU-hour"),
    NUM("power-frac", "power_frac_busy", "", 0.7, 0.01, 1.5, "GPU draw when busy / board power"),
    NUM("idle-frac", "power_frac_idle", "", 0.15, 0, 1.5, "GPU draw when idle / board power"),
    NUM("host-overhead", "host_overhead", "", 0.35, 0, 5, "host power / GPU power"),
    NUM("pue", "pue", "", 1.2, 1, 3, "facility / IT power"),
    STR("cards", "cards_file", OPT, "model-card file"),
    END,
};

static int ai_serve(int argc, char **argv)
{
    const char *prog = "wattmux ai serve";
    const wm_param *t = serve_table;
    wm_value v[MAXP];
    cli_opts o;
    int rc = cli_parse(prog, "inference roofline: memory, batch at a latency target, tokens/s per GPU, J and $ per token",
                       t, argc, argv, v, &o);
    if (rc != CLI_OK || o.help)
        return rc;
    ctx c;
    if ((rc = ctx_open(&c, prog, str(t, v, "cards"))) != CLI_OK)
        goto done;
    wm_err e;
    wm_err_clear(&e);
    wm_serve_in in = {.n_gpus = (int)num(t, v, "gpus"), .tp = (int)num(t, v, "tp"),
                      .input_tokens = num(t, v, "input"), .output_tokens = num(t, v, "output"),
                      .batch = (int)num(t, v, "batch"),
                      .eff = {num(t, v, "eff-compute"), num(t, v, "eff-memory"), num(t, v, "mem-usable")},
                      .power = {num(t, v, "util"), num(t, v, "power-frac"), num(t, v, "idle-frac"),
                                num(t, v, "host-overhead"), num(t, v, "pue")},
                      .usd_per_gpu_h = num(t, v, "usd-per-gpu-h")};
    wm_status st = wm_llm_find(c.ms, str(t, v, "model"), &in.model, &e);
    if (st == WM_OK)
        st = wm_gpu_find(c.gs, str(t, v, "gpu"), &in.gpu, &e);
    if (st == WM_OK)
        st = wm_prec_parse(str(t, v, "precision"), &in.prec, &e);
    wm_prec kvp = in.prec;
    if (st == WM_OK && str(t, v, "kv-precision"))
        st = wm_prec_parse(str(t, v, "kv-precision"), &kvp, &e);
    in.kv_bytes = wm_prec_bytes(kvp) < 1 ? 1 : wm_prec_bytes(kvp);
    const char *scen = str(t, v, "scenario");
    double tpot = num(t, v, "tpot-ms") / 1e3;
    if (st == WM_OK && tpot == 0) {
        if (!strcmp(scen, "offline"))
            tpot = 0;
        else if (!strcmp(scen, "server"))
            tpot = 0.200;
        else if (!strcmp(scen, "interactive"))
            tpot = 0.040;
        else
            st = wm_err_set(&e, WM_EINVAL, "--scenario", 0, 0, "expected offline, server or interactive, got '%s'", scen);
    }
    in.tpot_target_s = tpot;
    wm_serve_out r;
    if (st == WM_OK)
        st = wm_llm_serve(&in, &r, &e);
    if (st != WM_OK) {
        rc = cli_error(prog, st, &e);
        goto done;
    }
    cli_out out;
    cli_out_init(&out, o.json);
    cli_str(&out, "model", "model", in.model->name);
    cli_str(&out, "gpu", "GPU", in.gpu->name);
    cli_int(&out, "n_gpus", "GPUs", in.n_gpus, "");
    cli_int(&out, "tp", "GPUs per replica (TP)", r.tp, "");
    cli_int(&out, "replicas", "replicas", r.replicas, "");
    cli_str(&out, "precision", "precision", wm_prec_name(in.prec));
    cli_num(&out, "tpot_target_ms", "TPOT target (0 = none)", tpot * 1e3, 1, "ms");
    cli_section(&out, "memory", "memory per GPU");
    cli_num(&out, "weights_gb", "weights", r.weight_bytes_per_gpu / 1e9, 1, "GB");
    cli_num(&out, "kv_bytes_per_token", "KV cache per token (model)", r.kv_bytes_per_token, 0, "B");
    cli_num(&out, "kv_gb", "KV cache at the batch", r.kv_bytes_per_gpu / 1e9, 1, "GB");
    cli_num(&out, "usable_gb", "usable HBM", r.mem_capacity_per_gpu / 1e9, 1, "GB");
    cli_int(&out, "batch_mem_max", "largest batch that fits", r.batch_mem_max, "sequences");
    cli_section(&out, "roofline", "roofline (one replica)");
    cli_int(&out, "batch", "batch", r.batch, "sequences");
    cli_num(&out, "prefill_ms", "prefill of one request (TTFT floor)", r.prefill_s * 1e3, 2, "ms");
    cli_num(&out, "step_gemm_ms", "decode step: linear layers", r.step_gemm_s * 1e3, 2, "ms");
    cli_num(&out, "step_attn_ms", "decode step: attention (KV read)", r.step_attn_s * 1e3, 2, "ms");
    cli_str(&out, "linear_bound", "linear layers are", r.gemm_memory_bound ? "memory-bound" : "compute-bound");
    cli_num(&out, "tpot_ms", "time per output token", r.tpot_s * 1e3, 2, "ms");
    cli_num(&out, "tok_s_per_user", "tokens/s per user", r.tok_s_per_user, 1, "tok/s");
    cli_section(&out, "throughput", "throughput and cost");
    cli_num(&out, "out_tok_s_per_gpu", "output tokens/s per GPU", r.out_tok_s_per_gpu, 0, "tok/s");
    cli_num(&out, "out_tok_s_system", "output tokens/s, system", r.out_tok_s_per_gpu * in.n_gpus, 0, "tok/s");
    cli_num(&out, "in_tok_s_per_gpu", "input tokens/s per GPU", r.in_tok_s_per_gpu, 0, "tok/s");
    cli_num(&out, "facility_w_per_gpu", "facility power per GPU", r.facility_w_per_gpu, 0, "W");
    cli_num(&out, "j_per_out_token", "energy per output token", r.j_per_out_token, 3, "J");
    cli_num(&out, "usd_per_m_out_tokens", "cost per million output tokens", r.usd_per_m_out_tokens, 3, "USD");
    cli_section(&out, NULL, NULL);
    rc = cli_out_finish(&out);
done:
    ctx_close(&c);
    return rc;
}

/* ------------------------------------------------------------------ colo, cloud, compare */

static const wm_param site_table[] = {
    NUM("power-price", "power_usd_per_mwh", "USD/MWh", 50, -1000, 10000, "power price at the meter"),
    NUM("day", "start_day", "days", 0, 0, 36525, "first day of the year evaluated (after the lead time for colo)"),
    END,
};

static const wm_param deal_table[] = {
    NUM("deal-total", "deal_total_usd", "USD", 0, 0, 1e13, "total contract value of a lease (0 = none)"),
    NUM("deal-mw", "deal_mw_it", "MW IT", 0, 0, 1e5, "IT MW of that lease"),
    NUM("deal-years", "deal_years", "years", 0, 0, 50, "term of that lease"),
    END,
};

static const wm_param shock_table[] = {
    STR("shock", "shock", OPT, "model-efficiency shock: r1 (DeepSeek R1: token price x 2.19/60)"),
    NUM("shock-day", "shock_day", "days", 0, 0, 36525, "day of the shock"),
    NUM("shock-price", "shock_token_price_factor", "", 1, 1e-4, 1e3, "custom shock: token price factor"),
    NUM("shock-compute", "shock_compute_factor", "", 1, 1e-4, 1e3, "custom shock: compute per token factor"),
    END,
};

static const wm_param tokserve_table[] = {
    STR("serve-model", "serve_model", OPT, "token serving: model card whose roofline sets tokens/s per GPU"),
    STR("serve-gpu", "serve_gpu", "h100", "token serving: GPU of the hall"),
    STR("serve-precision", "serve_precision", "fp8", "token serving: precision"),
    INT("serve-gpus", "serve_n_gpus", "GPUs", 8, 1, 1024, "token serving: GPUs per server (TP searched within)"),
    NUM("serve-tpot-ms", "serve_tpot_target_ms", "ms", 50, 0, 1e6, "token serving: time per output token target"),
    NUM("serve-input", "serve_input_tokens", "tokens", 1000, 0, 1e7, "token serving: prompt tokens per request"),
    NUM("serve-output", "serve_output_tokens", "tokens", 300, 1, 1e7, "token serving: output tokens per request"),
    STR("cards", "cards_file", OPT, "model-card file"),
    END,
};

static const wm_param btc_table[] = {
    STR("asic", "asic", "s21", "ASIC model (s19xp, s21, s21pro, s21xp, ...)"),
    NUM("difficulty", "difficulty", "", NAN, 1, 1e20, "network difficulty"),
    NUM("btc-price", "price_usd_per_btc", "USD/BTC", NAN, 0, 1e8, "bitcoin price"),
    NUM("fees-per-block", "fees_btc_per_block", "BTC", 0, 0, 100, "average fees per block"),
    NUM("subsidy", "subsidy_btc", "BTC", 3.125, 0, 50, "block subsidy"),
    NUM("btc-pue", "btc_pue", "", 1.05, 1, 3, "PUE of the mining site"),
    NUM("uptime", "btc_uptime", "", 0.97, 0, 1, "ASIC uptime"),
    NUM("pool-fee", "pool_fee", "", 0.02, 0, 0.5, "pool fee (FPPS)"),
    NUM("asic-usd-per-th", "asic_capex_usd_per_th", "USD/TH", 15, 0, 1e4, "ASIC price per TH/s (~$15 in 2025)"),
    NUM("asic-life", "asic_life_years", "years", 4, 0.25, 20, "ASIC depreciation life"),
    END,
};

/* Sum one mode over 365 days from start (allocation-free loop over the day API). */
static void year_sum(const wm_aiecon *p, wm_ai_mode m, double start, double price, double out[4])
{
    memset(out, 0, 4 * sizeof out[0]);
    for (int d = 0; d < 365; d++) {
        wm_ai_day_in in = {.day = start + d + 0.5, .power_usd_per_mwh = price, .token_price_mult = 1, .rent_mult = 1};
        wm_ai_day_out o;
        wm_aiecon_day(p, &in, &o);
        out[0] += o.revenue[m];
        out[1] += o.power_cost[m];
        out[2] += o.fixed_cost[m];
        out[3] += o.net[m];
    }
    double scale = 365.25 / 365.0;
    for (int k = 0; k < 4; k++)
        out[k] *= scale;
}

static void mode_row(cli_out *out, const char *mode, const double y[4], double meter_per_it, const char *note)
{
    json_t *r = json_object();
    json_object_set_new(r, "mode", json_string(mode));
    json_object_set_new(r, "revenue_usd_per_mw_year", json_real(y[0] / meter_per_it));
    json_object_set_new(r, "power_usd_per_mw_year", json_real(y[1] / meter_per_it));
    json_object_set_new(r, "fixed_usd_per_mw_year", json_real(y[2] / meter_per_it));
    json_object_set_new(r, "net_usd_per_mw_year", json_real(y[3] / meter_per_it));
    json_object_set_new(r, "net_usd_per_mw_it_year", json_real(y[3]));
    json_object_set_new(r, "it_mw_per_meter_mw", json_real(1.0 / meter_per_it));
    json_object_set_new(r, "note", json_string(note));
    cli_table_row(out, r);
}

static const cli_col mode_cols[] = {
    {"mode", "mode (per MW at the meter)", 26, -1},
    {"revenue_usd_per_mw_year", "revenue $/yr", 13, 0},
    {"power_usd_per_mw_year", "power $/yr", 12, 0},
    {"fixed_usd_per_mw_year", "capex+opex $/yr", 15, 0},
    {"net_usd_per_mw_year", "net $/yr", 12, 0},
    {"net_usd_per_mw_it_year", "net $/MW-IT-yr", 14, 0},
};

typedef struct econ_args {
    wm_aiecon p;
    double price, start;
} econ_args;

static int econ_parse(const char *prog, const char *summary, const wm_param *const *tabs, size_t ntab, int argc,
                      char **argv, wm_param *tbl, wm_value *v, size_t *offs, cli_opts *o, econ_args *a)
{
    concat(tbl, tabs, ntab, offs);
    int rc = cli_parse(prog, summary, tbl, argc, argv, v, o);
    if (rc != CLI_OK || o->help)
        return rc;
    wm_aiecon_defaults(&a->p);
    for (size_t k = 0; k < ntab; k++) {
        const wm_value *vk = v + offs[k];
        if (tabs[k] == wm_aiecon_colo_table)
            wm_aiecon_set_colo(&a->p, vk);
        else if (tabs[k] == wm_aiecon_fleet_table)
            wm_aiecon_set_fleet(&a->p, vk);
        else if (tabs[k] == wm_aiecon_cloud_table)
            wm_aiecon_set_cloud(&a->p, vk);
        else if (tabs[k] == wm_aiecon_tokens_table)
            wm_aiecon_set_tokens(&a->p, vk);
        else if (tabs[k] == wm_aiecon_train_table)
            wm_aiecon_set_train(&a->p, vk);
    }
    a->price = num(tbl, v, "power-price");
    a->start = num(tbl, v, "day");
    wm_err e;
    wm_err_clear(&e);
    wm_status st = WM_OK;
    const char *shock = str(tbl, v, "shock");
    if (shock) {
        double day = num(tbl, v, "shock-day");
        if (!strcmp(shock, "r1")) {
            wm_ai_shock_deepseek_r1(&a->p.shock, day);
        } else if (!strcmp(shock, "custom")) {
            a->p.shock = (wm_ai_shock){true, day, num(tbl, v, "shock-price"), num(tbl, v, "shock-compute"), 1.0};
        } else {
            st = wm_err_set(&e, WM_EINVAL, "--shock", 0, 0, "expected r1 or custom, got '%s'", shock);
        }
    }
    if (st == WM_OK)
        st = wm_aiecon_check(&a->p, &e);
    return st == WM_OK ? CLI_OK : cli_error(prog, st, &e);
}

static int ai_colo(int argc, char **argv)
{
    const char *prog = "wattmux ai colo";
    const wm_param *tabs[] = {wm_aiecon_colo_table, site_table, deal_table};
    wm_param tbl[MAXP];
    wm_value v[MAXP];
    size_t offs[3];
    cli_opts o;
    econ_args a;
    int rc = econ_parse(prog, "colocation lease: $/kW-month, revenue and margin per MW", tabs, 3, argc, argv, tbl, v,
                        offs, &o, &a);
    if (rc != CLI_OK || o.help)
        return rc;
    cli_out out;
    cli_out_init(&out, o.json);
    double total = num(tbl, v, "deal-total"), mw = num(tbl, v, "deal-mw"), yrs = num(tbl, v, "deal-years");
    if (total > 0) {
        if (!(mw > 0 && yrs > 0)) {
            cli_out_finish(&out);
            fprintf(stderr, "%s: --deal-total needs --deal-mw and --deal-years > 0\n", prog);
            return CLI_USAGE;
        }
        a.p.colo.usd_per_kw_month = wm_aiecon_colo_first_year_rate(total, mw, yrs, a.p.colo.escalator_per_year);
        cli_section(&out, "deal", "lease implied by the deal");
        cli_num(&out, "flat_usd_per_kw_month", "flat rate", wm_aiecon_colo_usd_per_kw_month(total, mw, yrs), 2,
                "USD/kW-month");
        cli_num(&out, "first_year_usd_per_kw_month", "first-year rate (with escalator)", a.p.colo.usd_per_kw_month, 2,
                "USD/kW-month");
        cli_num(&out, "usd_per_mw_it_year", "per MW IT per year (flat)", total / mw / yrs, 0, "USD");
        cli_section(&out, NULL, NULL);
    }
    double start = a.start + a.p.colo.lead_time_months * 365.25 / 12;
    double y[4];
    year_sum(&a.p, WM_AI_COLO, start, a.price, y);
    cli_num(&out, "usd_per_kw_month", "lease rate (first year)", a.p.colo.usd_per_kw_month, 2, "USD/kW-month");
    cli_num(&out, "first_rent_day", "first rent (lead time)", start, 0, "day");
    cli_table_begin(&out, "year", mode_cols, (int)(sizeof mode_cols / sizeof mode_cols[0]));
    mode_row(&out, "colocation", y, a.p.colo.pue,
             a.p.colo.power_passthrough ? "power passed through" : "power included");
    cli_table_end(&out);
    return cli_out_finish(&out);
}

static int ai_cloud(int argc, char **argv)
{
    const char *prog = "wattmux ai cloud";
    const wm_param *tabs[] = {wm_aiecon_fleet_table, wm_aiecon_cloud_table, site_table};
    wm_param tbl[MAXP];
    wm_value v[MAXP];
    size_t offs[3];
    cli_opts o;
    econ_args a;
    int rc = econ_parse(prog, "GPU cloud per MW: GPUs, $/GPU-hour with decline, utilization, capex, opex", tabs, 3,
                        argc, argv, tbl, v, offs, &o, &a);
    if (rc != CLI_OK || o.help)
        return rc;
    cli_out out;
    cli_out_init(&out, o.json);
    double gpus = wm_aiecon_gpus_per_mw_it(&a.p.fleet);
    cli_num(&out, "gpus_per_mw_it", "GPUs per MW IT", gpus, 0, "");
    cli_num(&out, "capex_usd_per_mw_it", "capex per MW IT", gpus * a.p.fleet.gpu_capex_usd + a.p.fleet.facility_capex_usd_per_mw, 0, "USD");
    cli_table_begin(&out, "years", mode_cols, (int)(sizeof mode_cols / sizeof mode_cols[0]));
    int nyears = (int)ceil(a.p.fleet.life_years);
    for (int k = 0; k < nyears && k < 30; k++) {
        double y[4];
        char label[32];
        snprintf(label, sizeof label, "GPU cloud, year %d", k + 1);
        year_sum(&a.p, WM_AI_CLOUD, a.start + k * 365.25, a.price, y);
        mode_row(&out, label, y, a.p.fleet.pue, "");
    }
    cli_table_end(&out);
    return cli_out_finish(&out);
}

static int ai_compare(int argc, char **argv)
{
    const char *prog = "wattmux ai compare";
    const wm_param *tabs[] = {site_table,         wm_aiecon_colo_table,  wm_aiecon_fleet_table, wm_aiecon_cloud_table,
                              wm_aiecon_tokens_table, wm_aiecon_train_table, shock_table,          btc_table,
                              tokserve_table};
    size_t ntab = sizeof tabs / sizeof tabs[0];
    wm_param tbl[MAXP];
    wm_value v[MAXP];
    size_t offs[9];
    cli_opts o;
    econ_args a;
    int rc = econ_parse(prog, "revenue per MW-year of each AI mode next to Bitcoin mining on the same power", tabs,
                        ntab, argc, argv, tbl, v, offs, &o, &a);
    if (rc != CLI_OK || o.help)
        return rc;
    wm_err e;
    wm_err_clear(&e);
    const wm_asic *asic;
    wm_status st = wm_asic_find(str(tbl, v, "asic"), &asic, &e);
    wm_hashprice hp;
    double subsidy = num(tbl, v, "subsidy"), fees = num(tbl, v, "fees-per-block");
    if (st == WM_OK)
        st = wm_btc_hashprice(num(tbl, v, "difficulty"), num(tbl, v, "btc-price"), subsidy, fees, &hp);
    wm_breakeven be;
    double pue_btc = num(tbl, v, "btc-pue");
    if (st == WM_OK) {
        wm_breakeven_in bi = {.hashrate_th_s = asic->hashrate_th_s, .power_w = asic->power_w,
                              .hashprice_usd_per_ph_day = hp.usd_per_ph_day,
                              .payout_factor = wm_btc_payout_factor(WM_PAYOUT_FPPS, num(tbl, v, "pool-fee"), subsidy, fees),
                              .pue = pue_btc, .uptime = num(tbl, v, "uptime"), .price_usd_per_mwh = a.price};
        st = wm_btc_breakeven(&bi, &be);
    }
    /* Token serving throughput from the inference roofline when a model is named. */
    wm_serve_out so;
    const char *smodel = str(tbl, v, "serve-model");
    ctx c;
    memset(&c, 0, sizeof c);
    if (st == WM_OK && smodel) {
        int lrc = ctx_open(&c, prog, str(tbl, v, "cards"));
        if (lrc != CLI_OK) {
            ctx_close(&c);
            return lrc;
        }
        wm_serve_in si = {.n_gpus = (int)num(tbl, v, "serve-gpus"), .tp = 0, .input_tokens = num(tbl, v, "serve-input"),
                          .output_tokens = num(tbl, v, "serve-output"),
                          .tpot_target_s = num(tbl, v, "serve-tpot-ms") / 1e3, .eff = WM_LLM_EFF_DEFAULT,
                          .power = WM_POWER_IN_DEFAULT, .usd_per_gpu_h = 0};
        si.power.util = a.p.tokens.utilization;
        st = wm_llm_find(c.ms, smodel, &si.model, &e);
        if (st == WM_OK)
            st = wm_gpu_find(c.gs, str(tbl, v, "serve-gpu"), &si.gpu, &e);
        if (st == WM_OK)
            st = wm_prec_parse(str(tbl, v, "serve-precision"), &si.prec, &e);
        si.kv_bytes = wm_prec_bytes(si.prec) < 1 ? 1 : wm_prec_bytes(si.prec);
        if (st == WM_OK)
            st = wm_llm_serve(&si, &so, &e);
        if (st == WM_OK)
            a.p.tokens.tok_s_per_gpu = so.out_tok_s_per_gpu;
    }
    ctx_close(&c);
    if (st != WM_OK)
        return cli_error(prog, st, &e);
    cli_out out;
    cli_out_init(&out, o.json);
    cli_num(&out, "power_usd_per_mwh", "power price", a.price, 2, "USD/MWh");
    cli_num(&out, "token_tok_s_per_gpu", smodel ? "tokens/s per GPU (roofline)" : "tokens/s per GPU (given)",
            a.p.tokens.tok_s_per_gpu, 0, "tok/s");
    cli_num(&out, "hashprice_usd_per_ph_day", "hashprice", hp.usd_per_ph_day, 2, "USD/PH/day");
    cli_num(&out, "btc_breakeven_usd_per_mwh", "mining break-even power price", be.breakeven_usd_per_mwh, 2, "USD/MWh");
    cli_table_begin(&out, "modes", mode_cols, (int)(sizeof mode_cols / sizeof mode_cols[0]));
    /* Bitcoin: machines per MW at the meter = 1e6 / (W x PUE). */
    double machines = 1e6 / (asic->power_w * pue_btc);
    double capex = machines * asic->hashrate_th_s * num(tbl, v, "asic-usd-per-th");
    double yb[4] = {be.revenue_usd_per_day * machines * 365.25, be.power_cost_usd_per_day * machines * 365.25,
                    capex / num(tbl, v, "asic-life"), 0};
    yb[3] = yb[0] - yb[1] - yb[2];
    char note[96];
    snprintf(note, sizeof note, "%.0f x %s", machines, asic->name);
    mode_row(&out, "bitcoin mining", yb, 1.0, note); /* already per meter MW */
    double y[4];
    year_sum(&a.p, WM_AI_COLO, a.start + a.p.colo.lead_time_months * 365.25 / 12, a.price, y);
    mode_row(&out, "AI colocation lease", y, a.p.colo.pue, "first year after the lead time");
    static const struct { wm_ai_mode m; const char *name; } modes[] = {
        {WM_AI_CLOUD, "GPU cloud"}, {WM_AI_TOKENS, "token serving"}, {WM_AI_TRAIN, "interruptible training"}};
    for (size_t k = 0; k < 3; k++) {
        year_sum(&a.p, modes[k].m, a.start, a.price, y);
        mode_row(&out, modes[k].name, y, a.p.fleet.pue, "");
    }
    cli_table_end(&out);
    if (a.p.shock.on)
        cli_note(&out, "token revenue includes the efficiency shock from its day on");
    cli_note(&out, "per MW at the meter; AI modes depreciate GPUs and fit-out, mining depreciates ASICs");
    return cli_out_finish(&out);
}

int cmd_ai(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"gpus", "the GPU catalog and model cards", ai_gpus},
        {"train", "training FLOPs, MFU, GPU-hours, wall time, cost, energy", ai_train},
        {"serve", "inference roofline: tokens/s per GPU, J/token, $/M tokens", ai_serve},
        {"colo", "colocation lease economics per MW", ai_colo},
        {"cloud", "GPU cloud economics per MW, year by year", ai_cloud},
        {"compare", "each AI mode next to Bitcoin mining, per MW-year", ai_compare},
        {NULL, NULL, NULL},
    };
    return cli_dispatch("wattmux ai", subs, argc, argv);
}
