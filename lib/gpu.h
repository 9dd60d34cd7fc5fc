/* gpu.h - the GPU catalog: peak dense tensor throughput per precision, HBM capacity and
 * bandwidth, board power, purchase and rental price ranges with dates and sources
 * (docs/model-ai.md, ../shared/reference/ai.md section 1). Built-in entries are static; a
 * wm_gpu_catalog holds the built-ins plus user-defined GPUs (added by a site-file or
 * model-card loader through wm_gpu_catalog_add). Invariants: every entry in a catalog has a
 * unique id, bf16_tflops > 0, hbm_gb > 0, hbm_tb_s > 0, board_w > 0; a precision that a GPU
 * lacks has peak 0. Unknown prices are NAN. No I/O. */
#ifndef WM_GPU_H
#define WM_GPU_H

#include "wattmux.h"

#include <stdbool.h>

typedef enum wm_prec { WM_PREC_BF16 = 0, WM_PREC_FP8, WM_PREC_INT8, WM_PREC_FP4, WM_PREC_COUNT } wm_prec;

#define WM_GPU_ID_MAX 32
#define WM_GPU_NAME_MAX 64
#define WM_GPU_SRC_MAX 160

typedef struct wm_gpu {
    char id[WM_GPU_ID_MAX];     /* lookup key: "h100", "mi300x" */
    char name[WM_GPU_NAME_MAX]; /* "NVIDIA H100 SXM" */
    double peak_tflops[WM_PREC_COUNT]; /* dense, per GPU; 0 = not supported */
    double hbm_gb;              /* 1e9 bytes */
    double hbm_tb_s;            /* 1e12 bytes/s */
    double board_w;             /* TGP / TDP */
    double purchase_usd_lo, purchase_usd_hi; /* per GPU */
    char purchase_date[16];
    double rent_usd_per_h_lo, rent_usd_per_h_hi;
    char rent_date[16];
    char source[WM_GPU_SRC_MAX];
    bool user;                  /* defined by the user, not built in */
} wm_gpu;

/* Bytes per weight or KV element at a precision (2, 1, 1, 0.5). */
double wm_prec_bytes(wm_prec p);
const char *wm_prec_name(wm_prec p);
/* "bf16", "fp16" (= bf16 rates), "fp8", "int8", "fp4"; case-insensitive. */
wm_status wm_prec_parse(const char *text, wm_prec *out, wm_err *err);

size_t wm_gpu_builtin_count(void);
const wm_gpu *wm_gpu_builtin_at(size_t i);

/* A catalog: the built-ins plus up to WM_GPU_CATALOG_MAX user entries. */
#define WM_GPU_CATALOG_MAX 64
typedef struct wm_gpu_catalog wm_gpu_catalog;
wm_status wm_gpu_catalog_new(wm_gpu_catalog **out);
void wm_gpu_catalog_free(wm_gpu_catalog *c);
size_t wm_gpu_catalog_count(const wm_gpu_catalog *c);
const wm_gpu *wm_gpu_catalog_at(const wm_gpu_catalog *c, size_t i);
/* Validates g (id syntax, positive specs, lo <= hi) and adds a copy; a user entry with the id
 * of an existing user entry replaces it; the id of a built-in is refused (WM_EINVAL).
 * err names what is wrong; on error the catalog is unchanged. */
wm_status wm_gpu_catalog_add(wm_gpu_catalog *c, const wm_gpu *g, wm_err *err);
/* Case-insensitive; ignores '-', '_' and spaces, a leading "nvidia"/"amd" and a trailing
 * "sxm" ("H100 SXM", "nvidia-h100" find h100). c may be NULL (built-ins only). */
wm_status wm_gpu_find(const wm_gpu_catalog *c, const char *name, const wm_gpu **out, wm_err *err);
/* Check one spec (used by _add and by loaders before they add). */
wm_status wm_gpu_validate(const wm_gpu *g, wm_err *err);
/* Peak dense FLOP/s at p; WM_EUNSUPPORTED with a message when the GPU lacks p. */
wm_status wm_gpu_peak_flops(const wm_gpu *g, wm_prec p, double *flops, wm_err *err);

#endif
