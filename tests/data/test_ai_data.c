/* test_ai_data.c - the AI models against ../shared/data/ai: MLPerf v4.1 Llama-2-70B Offline
 * throughput on 8xH100 and 8xH200 from the roofline with the one calibrated set of efficiency
 * factors (WM_LLM_EFF_DEFAULT, the same for every GPU) within 15%; the Epoch price rows fall
 * inside the catalog's purchase and on-demand rental ranges. */
#include "wmtest.h"

#include "llm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Split a CSV line without quoting (the files hold none) into at most max fields. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    char *p = line;
    while (n < max) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

/* MLPerf Llama-2-70B workload: 294.45 output tokens per sample (mlcommons/inference
 * language/llama2-70b/README.md accuracy target); input mean 300 tokens (assumption, see
 * docs/model-ai.md); FP8 weights and FP8 KV cache (NVIDIA's v4.1 TensorRT-LLM submissions). */
static double predict(const char *gpu_id, int n_gpus, wm_prec prec)
{
    const wm_llm *m;
    const wm_gpu *g;
    assert_int_equal(wm_llm_find(NULL, "llama-2-70b", &m, NULL), WM_OK);
    assert_int_equal(wm_gpu_find(NULL, gpu_id, &g, NULL), WM_OK);
    wm_serve_in in = {.model = m, .gpu = g, .n_gpus = n_gpus, .tp = 0, .prec = prec, .kv_bytes = 1,
                      .input_tokens = 300, .output_tokens = 294.45, .eff = WM_LLM_EFF_DEFAULT,
                      .power = WM_POWER_IN_DEFAULT, .usd_per_gpu_h = 2};
    wm_serve_out o;
    wm_err e;
    assert_int_equal(wm_llm_serve(&in, &o, &e), WM_OK);
    return o.out_tok_s_per_gpu * n_gpus;
}

static void test_mlperf_offline(void **state)
{
    (void)state;
    FILE *fp = fopen(wmt_shared("ai/mlperf_llama2_70b.csv"), "r");
    assert_non_null(fp);
    char line[2048];
    int checked = 0;
    assert_non_null(fgets(line, sizeof line, fp)); /* header */
    assert_non_null(strstr(line, "tokens_per_s"));
    while (fgets(line, sizeof line, fp)) {
        char *f[16];
        if (split(line, f, 16) < 8)
            continue;
        int gpus = atoi(f[3]);
        if (gpus != 8 || strncmp(f[5], "Offline", 7) != 0)
            continue;
        const char *id = strncmp(f[4], "H100", 4) == 0 ? "h100" : strncmp(f[4], "H200", 4) == 0 ? "h200" : NULL;
        if (!id)
            continue;
        double want = atof(f[6]);
        double got = predict(id, 8, WM_PREC_FP8);
        print_message("MLPerf %s 8x Offline: model %.0f tok/s, measured %.0f (%+.1f%%)\n", id, got, want,
                      100 * (got / want - 1));
        assert_near_rel(got, want, 0.15);
        checked++;
    }
    fclose(fp);
    assert_int_equal(checked, 2); /* 8xH100 and 8xH200 */
}

/* Out of sample (not used to calibrate): the 1xB200 v4.1 preview ran FP4 weights; the model with
 * the Hopper-calibrated factors overshoots by ~24 %. The band (30 %) is a regression guard that
 * documents the known gap, not a validation claim (docs/model-ai.md). */
static void test_mlperf_b200_held_out(void **state)
{
    (void)state;
    FILE *fp = fopen(wmt_shared("ai/mlperf_llama2_70b.csv"), "r");
    assert_non_null(fp);
    char line[2048];
    double want = 0;
    while (fgets(line, sizeof line, fp)) {
        char *f[16];
        if (split(line, f, 16) >= 8 && strncmp(f[4], "B200", 4) == 0 && strncmp(f[5], "Offline", 7) == 0)
            want = atof(f[6]);
    }
    fclose(fp);
    assert_true(want > 0);
    double got = predict("b200", 1, WM_PREC_FP4);
    print_message("MLPerf b200 1x Offline (held out, FP4): model %.0f tok/s, measured %.0f (%+.1f%%)\n", got, want,
                  100 * (got / want - 1));
    assert_near_rel(got, want, 0.30);
}

static void test_epoch_prices_in_catalog(void **state)
{
    (void)state;
    static const struct { const char *hw; const char *id; } map[] = {
        {"NVIDIA A100 SXM4 80 GB", "a100"}, {"NVIDIA H100 SXM5 80GB", "h100"}, {"NVIDIA H200 SXM", "h200"},
        {"NVIDIA H800 SXM5", "h800"},       {"NVIDIA B200", "b200"},           {"AMD Instinct MI300X", "mi300x"},
    };
    FILE *fp = fopen(wmt_shared("ai/epoch_gpu_prices_2022_2025.csv"), "r");
    assert_non_null(fp);
    char line[4096];
    assert_non_null(fgets(line, sizeof line, fp));
    assert_non_null(strstr(line, "usd_purchase_per_gpu"));
    int purchases = 0, rents = 0;
    while (fgets(line, sizeof line, fp)) {
        char *f[16];
        if (split(line, f, 16) < 7)
            continue;
        const wm_gpu *g = NULL;
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
            if (strcmp(f[1], map[i].hw) == 0)
                assert_int_equal(wm_gpu_find(NULL, map[i].id, &g, NULL), WM_OK);
        if (!g)
            continue;
        if (f[6][0]) {
            double p = atof(f[6]);
            if (!(p >= g->purchase_usd_lo && p <= g->purchase_usd_hi)) {
                print_error("%s %s purchase %.0f outside catalog [%.0f, %.0f]\n", f[0], g->id, p,
                            g->purchase_usd_lo, g->purchase_usd_hi);
                fail();
            }
            purchases++;
        }
        if (f[3][0]) {
            double r = atof(f[3]);
            double lo = isnan(g->rent_usd_per_h_lo) ? 0 : g->rent_usd_per_h_lo;
            if (!(r >= lo && r <= g->rent_usd_per_h_hi)) {
                print_error("%s %s on-demand %.2f outside catalog [%.2f, %.2f]\n", f[0], g->id, r, lo,
                            g->rent_usd_per_h_hi);
                fail();
            }
            rents++;
        }
    }
    fclose(fp);
    assert_true(purchases >= 20 && rents >= 70);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mlperf_offline),
        cmocka_unit_test(test_mlperf_b200_held_out),
        cmocka_unit_test(test_epoch_prices_in_catalog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
