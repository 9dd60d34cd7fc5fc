/* test_llm.c - training arithmetic, KV cache sizes, the decode roofline and the model-card
 * parser against published figures (../shared/reference/ai.md section 6). Each case states its
 * inputs and its tolerance. */
#include "wmtest.h"

#include "llm.h"

#include <math.h>
#include <string.h>

static const wm_llm *model(const char *id)
{
    const wm_llm *m = NULL;
    assert_int_equal(wm_llm_find(NULL, id, &m, NULL), WM_OK);
    return m;
}

static const wm_gpu *gpu(const char *id)
{
    const wm_gpu *g = NULL;
    assert_int_equal(wm_gpu_find(NULL, id, &g, NULL), WM_OK);
    return g;
}

/* Case 5: KV bytes per token, BF16, exact. */
static void test_kv_bytes(void **state)
{
    (void)state;
    assert_true(wm_llm_kv_bytes_per_token(model("llama-2-70b"), 2) == 327680.0);
    assert_true(wm_llm_kv_bytes_per_token(model("llama-3.1-405b"), 2) == 516096.0);
    assert_true(wm_llm_kv_bytes_per_token(model("deepseek-v3"), 2) == 70272.0);
    /* FP8 KV halves it */
    assert_true(wm_llm_kv_bytes_per_token(model("llama-2-70b"), 1) == 163840.0);
}

/* Case 1: DeepSeek-V3 pre-training 2.664M H800-h for 6 * 37e9 * 14.8e12 FLOP: MFU 34.6% vs BF16
 * 989 TFLOPS (+-0.1 point); the full 2.788M h at $2/h = $5.576M (exact to the dollar). */
static void test_deepseek_v3_training(void **state)
{
    (void)state;
    wm_train_in in = {.params_active = 37e9, .tokens = 14.8e12, .n_gpus = 2048, .gpu_hours = 2.664e6,
                      .usd_per_gpu_h = 2.0, .board_w = 700, .power = WM_POWER_IN_DEFAULT};
    const wm_gpu *h800 = gpu("h800");
    assert_int_equal(wm_gpu_peak_flops(h800, WM_PREC_BF16, &in.peak_flops, NULL), WM_OK);
    wm_train_out o;
    assert_int_equal(wm_llm_train(&in, &o, NULL), WM_OK);
    assert_near_rel(o.flops, 3.2856e24, 1e-12);
    assert_true(fabs(o.mfu - 0.346) < 0.001);
    assert_near_rel(o.achieved_tflops_per_gpu, 342.6, 0.002);
    assert_true(fabs(o.wall_days - 54.2) < 0.05);
    /* vs FP8 peak: 17.3% */
    in.peak_flops = h800->peak_tflops[WM_PREC_FP8] * 1e12;
    assert_int_equal(wm_llm_train(&in, &o, NULL), WM_OK);
    assert_true(fabs(o.mfu - 0.173) < 0.001);
    /* the whole 2,788K GPU-hours (pre-train 2,664K + context 119K + post 5K) */
    in.gpu_hours = 2.664e6 + 0.119e6 + 0.005e6;
    assert_int_equal(wm_llm_train(&in, &o, NULL), WM_OK);
    assert_true(fabs(o.cost_usd - 5576000.0) < 1.0);
}

/* Case 3: Llama-3.1-405B, 6 * 405e9 * 15.6e12 = 3.79e25 FLOP in 30.84M H100-h: 341 TFLOP/s,
 * MFU 34.5% of BF16 989 (+-0.1 point). Reverse: that MFU gives back the GPU-hours (1e-9). */
static void test_llama31_405b_training(void **state)
{
    (void)state;
    wm_train_in in = {.params_active = 405e9, .tokens = 15.6e12, .n_gpus = 16384, .gpu_hours = 30.84e6,
                      .usd_per_gpu_h = 2.0, .board_w = 700, .power = WM_POWER_IN_DEFAULT};
    in.peak_flops = gpu("h100")->peak_tflops[WM_PREC_BF16] * 1e12;
    wm_train_out o;
    assert_int_equal(wm_llm_train(&in, &o, NULL), WM_OK);
    assert_near_rel(o.flops, 3.79e25, 0.001);
    assert_near_rel(o.achieved_tflops_per_gpu, 341.0, 0.002);
    assert_true(fabs(o.mfu - 0.345) < 0.001);
    double mfu = o.mfu;
    in.gpu_hours = 0;
    in.mfu = mfu;
    assert_int_equal(wm_llm_train(&in, &o, NULL), WM_OK);
    assert_near_rel(o.gpu_hours, 30.84e6, 1e-9);
    /* energy: 30.84e6 h x 700 W x 0.7 x 1.35 x 1.2 / 1e6 = 24,480 MWh */
    assert_near_rel(o.energy_mwh, 30.84e6 * 700 * 0.7 * 1.35 * 1.2 / 1e6, 1e-12);
}

/* Case 2: GPT-3 175B, 300B tokens, 1024 A100 at 140 TFLOP/s achieved, 8ND: 33.9 days (+-0.1). */
static void test_gpt3_megatron(void **state)
{
    (void)state;
    wm_train_in in = {.params_active = 175e9, .tokens = 300e9, .recompute = true, .n_gpus = 1024,
                      .peak_flops = 312e12, .mfu = 140.0 / 312.0, .usd_per_gpu_h = 1, .power = WM_POWER_IN_DEFAULT};
    wm_train_out o;
    assert_int_equal(wm_llm_train(&in, &o, NULL), WM_OK);
    assert_true(fabs(o.wall_days - 33.9) < 0.1);
}

static void test_train_errors(void **state)
{
    (void)state;
    wm_train_in in = {.params_active = 1e9, .tokens = 1e12, .n_gpus = 8, .peak_flops = 1e15, .mfu = 1.5,
                      .power = WM_POWER_IN_DEFAULT};
    wm_train_out o;
    wm_err e;
    assert_int_equal(wm_llm_train(&in, &o, &e), WM_EINVAL);
    assert_non_null(strstr(e.msg, "MFU"));
    in.mfu = 0;
    assert_int_equal(wm_llm_train(&in, &o, &e), WM_EINVAL);
    in.mfu = 0.4;
    in.power.pue = 0.5;
    assert_int_equal(wm_llm_train(&in, &o, &e), WM_EINVAL);
    assert_non_null(strstr(e.msg, "PUE"));
}

/* Case 4: llm-analysis tests/test_inference.py: Llama-2-70B FP16 on 2xA100-80GB (TP2), batch 1,
 * 512 in / 512 out, efficiencies 1 (llm-analysis defaults): total decode 18.06 s within 10%. */
static void test_llm_analysis_decode(void **state)
{
    (void)state;
    wm_serve_in in = {.model = model("llama-2-70b"), .gpu = gpu("a100"), .n_gpus = 2, .tp = 2,
                      .prec = WM_PREC_BF16, .kv_bytes = 2, .input_tokens = 512, .output_tokens = 512,
                      .eff = {1, 1, 1}, .power = WM_POWER_IN_DEFAULT, .usd_per_gpu_h = 1};
    double t;
    assert_int_equal(wm_llm_decode_time(&in, &t, NULL), WM_OK);
    assert_near_rel(t, 18.06, 0.10);
    /* the weights-only roofline (17.3 s) is a lower bound */
    assert_true(t >= 512 * 68.98e9 * 2 / (2 * 2.039e12) * 0.999);
}

/* A model that does not fit, an unknown GPU, an FP8 request on A100, negative utilization. */
static void test_serve_errors(void **state)
{
    (void)state;
    wm_serve_in in = {.model = model("llama-3.1-405b"), .gpu = gpu("a100"), .n_gpus = 2, .tp = 2,
                      .prec = WM_PREC_BF16, .kv_bytes = 2, .input_tokens = 512, .output_tokens = 512,
                      .eff = WM_LLM_EFF_DEFAULT, .power = WM_POWER_IN_DEFAULT, .usd_per_gpu_h = 1};
    wm_serve_out o;
    wm_err e;
    wm_err_clear(&e);
    assert_int_equal(wm_llm_serve(&in, &o, &e), WM_EINFEASIBLE);
    assert_non_null(strstr(e.msg, "does not fit"));
    in.tp = 0; /* auto: every TP fails the same way */
    assert_int_equal(wm_llm_serve(&in, &o, &e), WM_EINFEASIBLE);
    assert_non_null(strstr(e.msg, "does not fit"));
    const wm_gpu *g;
    assert_int_equal(wm_gpu_find(NULL, "z100", &g, &e), WM_ENOTFOUND);
    assert_non_null(strstr(e.msg, "unknown GPU 'z100'"));
    in.model = model("llama-2-70b");
    in.prec = WM_PREC_FP8;
    in.tp = 2;
    assert_int_equal(wm_llm_serve(&in, &o, &e), WM_EUNSUPPORTED);
    assert_non_null(strstr(e.msg, "fp8"));
    in.prec = WM_PREC_BF16;
    in.power.util = -0.1;
    assert_int_equal(wm_llm_serve(&in, &o, &e), WM_EINVAL);
    assert_non_null(strstr(e.msg, "utilization"));
    in.power.util = 1;
    in.tp = 3;
    assert_int_equal(wm_llm_serve(&in, &o, &e), WM_EINVAL);
    /* a latency target no batch meets */
    in.tp = 2;
    in.tpot_target_s = 0.001;
    assert_int_equal(wm_llm_serve(&in, &o, &e), WM_EINFEASIBLE);
    assert_non_null(strstr(e.msg, "per output token"));
}

/* Batching: a latency target lowers the batch; tokens/s per GPU rises with the batch while
 * tokens/s per user falls; cost and energy per token are the GPU-hour over the tokens. */
static void test_serve_latency_and_cost(void **state)
{
    (void)state;
    wm_serve_in in = {.model = model("llama-2-70b"), .gpu = gpu("h100"), .n_gpus = 8, .tp = 8,
                      .prec = WM_PREC_FP8, .kv_bytes = 1, .input_tokens = 1000, .output_tokens = 500,
                      .eff = WM_LLM_EFF_DEFAULT, .power = WM_POWER_IN_DEFAULT, .usd_per_gpu_h = 2.0};
    wm_serve_out off, lat;
    assert_int_equal(wm_llm_serve(&in, &off, NULL), WM_OK);
    in.tpot_target_s = 0.030;
    assert_int_equal(wm_llm_serve(&in, &lat, NULL), WM_OK);
    assert_true(lat.tpot_s <= 0.030);
    assert_true(lat.batch < off.batch);
    assert_true(lat.out_tok_s_per_gpu <= off.out_tok_s_per_gpu * (1 + 1e-12));
    assert_true(lat.tok_s_per_user > off.tok_s_per_user);
    /* batch 1 is memory-bound: far fewer tokens/s per GPU */
    in.batch = 1;
    wm_serve_out one;
    assert_int_equal(wm_llm_serve(&in, &one, NULL), WM_OK);
    assert_true(one.gemm_memory_bound && !off.gemm_memory_bound);
    assert_true(one.out_tok_s_per_gpu < 0.1 * off.out_tok_s_per_gpu);
    /* one more sequence would miss the target */
    in.batch = lat.batch + 1;
    wm_serve_out o2;
    assert_int_equal(wm_llm_serve(&in, &o2, NULL), WM_EINFEASIBLE);
    assert_near_rel(off.usd_per_m_out_tokens, 2.0 / (off.out_tok_s_per_gpu * 3600) * 1e6, 1e-12);
    assert_near_rel(off.j_per_out_token, 700 * 0.7 * 1.35 * 1.2 / off.out_tok_s_per_gpu, 1e-12);
    /* MoE: DeepSeek-V3 FP8 on 8xH200 fits (671 GB of 8 x 141 x 0.9 = 1015 GB); on 8xH100 it does not. */
    in.model = model("deepseek-v3");
    in.gpu = gpu("h200");
    in.batch = 0;
    in.tpot_target_s = 0;
    assert_int_equal(wm_llm_serve(&in, &o2, NULL), WM_OK);
    in.gpu = gpu("h100");
    assert_int_equal(wm_llm_serve(&in, &o2, NULL), WM_EINFEASIBLE);
}

/* Case 9, Epoch's GPT-4o query estimate: 100B active parameters, 500 output tokens, H100 989
 * TFLOPS at 10 % utilization -> 1.01 GPU-seconds; DGX H100 1275 W per GPU x 0.7 x PUE 1.2 = 1071 W
 * -> 0.30 Wh per query (each within 1 %). */
static void test_epoch_query_energy(void **state)
{
    (void)state;
    wm_gpu dgx = *gpu("h100");
    dgx.board_w = 1275; /* DGX H100 10.2 kW / 8, host included */
    wm_power_in pw = {.util = 1, .power_frac_busy = 0.7, .power_frac_idle = 0, .host_overhead = 0, .pue = 1.2};
    double w = wm_power_facility_w_per_gpu(&dgx, &pw);
    assert_near_rel(w, 1071, 0.001);
    double gpu_s = 2 * 100e9 * 500 / (dgx.peak_tflops[WM_PREC_BF16] * 1e12 * 0.10);
    assert_near_rel(gpu_s, 1.01, 0.01);
    assert_near_rel(w * gpu_s / 3600, 0.30, 0.01);
}

static const char cards[] =
    "# user cards\n"
    "[model my-moe]\n"
    "name = My MoE\n"
    "params_total = 100e9\n"
    "params_active = 10e9\n"
    "params_expert = 90e9\n"
    "layers = 40\n"
    "hidden = 4096\n"
    "heads = 32\n"
    "kv_heads = 4\n"
    "head_dim = 128\n"
    "attention = gqa\n"
    "experts = 64\n"
    "experts_active = 4\n"
    "\n"
    "[gpu x1]\n"
    "bf16_tflops = 500\n"
    "fp8_tflops = 1000\n"
    "hbm_gb = 96\n"
    "hbm_tb_s = 4\n"
    "board_w = 600\n";

static void test_cards_parse(void **state)
{
    (void)state;
    wm_llm_set *ms;
    wm_gpu_catalog *gs;
    assert_int_equal(wm_llm_set_new(&ms), WM_OK);
    assert_int_equal(wm_gpu_catalog_new(&gs), WM_OK);
    wm_err e;
    assert_int_equal(wm_llm_cards_parse(cards, strlen(cards), "cards.ini", ms, gs, &e), WM_OK);
    const wm_llm *m;
    assert_int_equal(wm_llm_find(ms, "my_moe", &m, NULL), WM_OK);
    assert_true(m->user);
    assert_true(wm_llm_kv_bytes_per_token(m, 2) == 2.0 * 40 * 4 * 128 * 2);
    const wm_gpu *g;
    assert_int_equal(wm_gpu_find(gs, "X1", &g, NULL), WM_OK);
    assert_true(g->peak_tflops[WM_PREC_FP8] == 1000 && isnan(g->rent_usd_per_h_lo));
    size_t nm = wm_llm_set_count(ms), ng = wm_gpu_catalog_count(gs);

    /* errors carry file:line:col and change nothing */
    static const struct { const char *text; long line, col; const char *what; } bad[] = {
        {"[model a]\nlayers = 8x\n", 2, 10, "whole number"},
        {"[model a]\nwidth = 3\n", 2, 1, "unknown model key"},
        {"layers = 3\n", 1, 1, "before the first"},
        {"[cpu a]\n", 1, 2, "'model' or 'gpu'"},
        {"[model a]\n  oops\n", 2, 3, "key = value"},
        {"[model a]\nparams_total = 1e9\nlayers = 2\nhidden = 64\nheads = 4\nkv_heads = 3\n", 1, 1, "kv_heads"},
        {"[gpu h100]\nbf16_tflops = 1\nhbm_gb = 1\nhbm_tb_s = 1\nboard_w = 1\n", 1, 1, "built-in"},
        {"[model llama-2-70b]\nparams_total = 1e9\nlayers = 2\nhidden = 64\nheads = 4\n", 1, 1, "built-in"},
        {"[gpu g]\nbf16_tflops = -5\nhbm_gb = 1\nhbm_tb_s = 1\nboard_w = 1\n", 1, 1, "bf16_tflops"},
        {"[model a]\nattention = sparse\n", 2, 13, "gqa, mha or mla"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wm_err_clear(&e);
        wm_status st = wm_llm_cards_parse(bad[i].text, strlen(bad[i].text), "c.ini", ms, gs, &e);
        if (st == WM_OK || e.line != bad[i].line || e.col != bad[i].col || !strstr(e.msg, bad[i].what)) {
            print_error("case %zu: st=%d %s:%ld:%ld %s\n", i, st, e.source, e.line, e.col, e.msg);
            fail();
        }
        assert_string_equal(e.source, "c.ini");
        assert_int_equal(wm_llm_set_count(ms), nm);
        assert_int_equal(wm_gpu_catalog_count(gs), ng);
    }
    /* a GPU section is refused where only models are accepted */
    assert_int_equal(wm_llm_cards_parse(cards, strlen(cards), "c", ms, NULL, &e), WM_EINVAL);
    wm_llm_set_free(ms);
    wm_gpu_catalog_free(gs);
    wm_llm_set_free(NULL);
    wm_gpu_catalog_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kv_bytes),
        cmocka_unit_test(test_deepseek_v3_training),
        cmocka_unit_test(test_llama31_405b_training),
        cmocka_unit_test(test_gpt3_megatron),
        cmocka_unit_test(test_train_errors),
        cmocka_unit_test(test_llm_analysis_decode),
        cmocka_unit_test(test_serve_errors),
        cmocka_unit_test(test_serve_latency_and_cost),
        cmocka_unit_test(test_cards_parse),
        cmocka_unit_test(test_epoch_query_energy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
