/* llm.h - what an LLM costs to train and to serve, from the hardware up (docs/model-ai.md).
 * Owns: model cards (built-in and user-defined, dense or MoE, GQA/MHA or MLA attention), the
 * model-card file format (models and GPUs; parsed with size limits and file:line:col errors),
 * training arithmetic (6ND / 8ND, MFU, GPU-hours, wall time, cost, energy) and the inference
 * roofline (KV bytes per token, memory capacity, prefill compute-bound, decode per-op roofline,
 * batch at a latency target, tokens/s per GPU, J per token, $ per million tokens).
 * Invariants: pure functions of their inputs; efficiency factors are explicit inputs and the
 * calibrated defaults (WM_LLM_EFF_DEFAULT) are the same for every GPU. No I/O, no printing. */
#ifndef WM_LLM_H
#define WM_LLM_H

#include "gpu.h"

typedef enum wm_attn { WM_ATTN_GQA = 0, WM_ATTN_MLA } wm_attn; /* MHA = GQA with kv_heads = heads */

#define WM_LLM_ID_MAX 48
typedef struct wm_llm {
    char id[WM_LLM_ID_MAX];
    char name[64];
    double params_total;   /* parameter count */
    double params_active;  /* per token (= total for dense) */
    double params_expert;  /* routed-expert parameters, all experts (0 for dense) */
    int layers, hidden, heads, kv_heads, head_dim;
    wm_attn attn;
    int kv_lora_rank, rope_head_dim; /* MLA compressed KV and decoupled RoPE key widths */
    int experts, experts_active;     /* routed experts per MoE layer and per token (0 dense) */
    char source[160];
    bool user;
} wm_llm;

size_t wm_llm_builtin_count(void);
const wm_llm *wm_llm_builtin_at(size_t i);
wm_status wm_llm_validate(const wm_llm *m, wm_err *err);

/* Built-ins plus up to WM_LLM_SET_MAX user cards (same rules as wm_gpu_catalog). */
#define WM_LLM_SET_MAX 64
typedef struct wm_llm_set wm_llm_set;
wm_status wm_llm_set_new(wm_llm_set **out);
void wm_llm_set_free(wm_llm_set *s);
size_t wm_llm_set_count(const wm_llm_set *s);
const wm_llm *wm_llm_set_at(const wm_llm_set *s, size_t i);
wm_status wm_llm_set_add(wm_llm_set *s, const wm_llm *m, wm_err *err);
/* Case-insensitive, ignores '-', '_', '.', spaces; s may be NULL (built-ins only). */
wm_status wm_llm_find(const wm_llm_set *s, const char *name, const wm_llm **out, wm_err *err);

/* Model-card file: "[model ID]" or "[gpu ID]" sections of "key = value" lines; '#' starts a
 * comment line (not an end-of-line comment: the rest of a value line is the value).
 * Model keys: name params_total params_active params_expert layers hidden heads kv_heads
 * head_dim attention(gqa|mha|mla) kv_lora_rank rope_head_dim experts experts_active source.
 * GPU keys: name bf16_tflops fp8_tflops int8_tflops fp4_tflops hbm_gb hbm_tb_s board_w
 * purchase_usd_lo purchase_usd_hi rent_usd_per_h_lo rent_usd_per_h_hi source.
 * All or nothing: on error (file:line:col in err) neither set is changed. models or gpus may
 * be NULL when the file must not define that kind. */
#define WM_LLM_CARDS_MAX_BYTES (1u << 20)
wm_status wm_llm_cards_parse(const char *text, size_t len, const char *source, wm_llm_set *models,
                             wm_gpu_catalog *gpus, wm_err *err);

/* ---- KV cache ---- */
/* Bytes of KV cache per token of context for the whole model:
 * GQA 2 * L * n_kv * d_h * b; MLA L * (d_c + d_rope) * b. */
double wm_llm_kv_bytes_per_token(const wm_llm *m, double bytes_per_elem);

/* ---- training ---- */
typedef struct wm_power_in {
    double util;            /* fraction of time the GPUs are busy, 0..1 */
    double power_frac_busy; /* GPU draw when busy / board power (Epoch sheet: 0.7) */
    double power_frac_idle; /* GPU draw when idle / board power */
    double host_overhead;   /* server (CPU, NIC, fans, memory) power / GPU power */
    double pue;             /* facility / IT */
} wm_power_in;
#define WM_POWER_IN_DEFAULT {1.0, 0.7, 0.15, 0.35, 1.2}
wm_status wm_power_check(const wm_power_in *p, wm_err *err);
/* Average facility watts per GPU. */
double wm_power_facility_w_per_gpu(const wm_gpu *g, const wm_power_in *p);

typedef struct wm_train_in {
    double params_active, tokens;
    bool recompute;          /* 8ND instead of 6ND */
    double n_gpus;
    double peak_flops;       /* per GPU, dense, the precision MFU is quoted against */
    double mfu;              /* > 0: given; then gpu_hours is derived */
    double gpu_hours;        /* > 0 (with mfu = 0): given; then mfu is derived */
    double usd_per_gpu_h;
    double board_w;          /* per GPU, for energy */
    wm_power_in power;       /* util is ignored (training is busy) */
} wm_train_in;
typedef struct wm_train_out {
    double flops, gpu_hours, wall_days, mfu, achieved_tflops_per_gpu;
    double cost_usd, energy_mwh;
} wm_train_out;
wm_status wm_llm_train(const wm_train_in *in, wm_train_out *out, wm_err *err);

/* ---- inference ---- */
typedef struct wm_llm_eff {
    double compute;    /* achieved / peak tensor FLOP/s in GEMMs and prefill */
    double memory;     /* achieved / peak HBM bandwidth */
    double mem_usable; /* share of HBM for weights + KV (rest: activations, runtime) */
} wm_llm_eff;
/* Calibrated once on MLPerf v4.1 Llama-2-70B Offline 8xH100 and 8xH200 (docs/model-ai.md). */
#define WM_LLM_EFF_DEFAULT {0.54, 0.65, 0.90}

typedef struct wm_serve_in {
    const wm_llm *model;
    const wm_gpu *gpu;
    int n_gpus;             /* GPUs in the system */
    int tp;                 /* GPUs per model replica (tensor/expert parallel); 0 = best of 1,2,4,8 */
    wm_prec prec;           /* weights and tensor math */
    double kv_bytes;        /* bytes per KV element (2 = BF16, 1 = FP8) */
    double input_tokens, output_tokens; /* per request, means */
    int batch;              /* concurrent sequences per replica; 0 = largest allowed */
    double tpot_target_s;   /* time per output token limit; 0 = none (offline) */
    wm_llm_eff eff;
    wm_power_in power;
    double usd_per_gpu_h;
} wm_serve_in;

typedef struct wm_serve_out {
    int tp, replicas, batch, batch_mem_max;
    double weight_bytes_per_gpu;
    double kv_bytes_per_token;       /* whole model */
    double kv_bytes_per_gpu;         /* at the chosen batch, full sequences */
    double mem_capacity_per_gpu;     /* usable bytes */
    double prefill_s;                /* one request's prefill on one replica (TTFT floor) */
    double step_gemm_s, step_attn_s, step_s; /* one decode step at the batch */
    bool gemm_memory_bound;          /* weights read dominates the GEMM term */
    double tpot_s;                   /* step + amortised prefills */
    double tok_s_per_user;
    double out_tok_s_per_gpu;        /* while busy */
    double in_tok_s_per_gpu;
    double facility_w_per_gpu;
    double j_per_out_token;          /* facility energy at power.util */
    double usd_per_m_out_tokens;     /* usd_per_gpu_h at power.util */
} wm_serve_out;
/* WM_EINFEASIBLE when the weights do not fit or no batch meets tpot_target_s (err says why). */
wm_status wm_llm_serve(const wm_serve_in *in, wm_serve_out *out, wm_err *err);

/* One decode-only request, batch 1 (llm-analysis style): total decode time for `output_tokens`
 * with the context growing from input_tokens. Uses in->tp (must be set). */
wm_status wm_llm_decode_time(const wm_serve_in *in, double *seconds, wm_err *err);

#endif
