/* gpu.c - the built-in GPU catalog and user-extensible catalogs (see gpu.h). Figures are
 * typed in from ../shared/reference/ai.md section 1 (sources per entry); dense TFLOPS without
 * sparsity. GB200 is per GPU of an NVL72 rack; its price is the rack range / 72 [D]. */
#include "gpu.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* {BF16, FP8, INT8, FP4} */
static const wm_gpu builtin[] = {
    {"a100", "NVIDIA A100 SXM 80GB", {312, 0, 624, 0}, 80, 2.039, 400, 12500, 20875, "2022-2025",
     1.1, 5.12, "2022-2025", "llm-analysis gpu_configs a100-sxm-80gb; Epoch hardware prices", false},
    {"h100", "NVIDIA H100 SXM", {989, 1979, 1979, 0}, 80, 3.35, 700, 25000, 46875, "2022-2025",
     1.70, 12.29, "2023-2026", "llm-analysis/LLM-Viewer configs; Epoch prices; SemiAnalysis index [S]", false},
    {"h800", "NVIDIA H800 SXM", {989, 1979, 1979, 0}, 80, 3.35, 700, 33800, 44750, "2024-2025",
     2.0, 3.42, "2025", "H100 die, NVLink 400 GB/s [S]; DeepSeek-V3 report ($2/h basis)", false},
    {"h200", "NVIDIA H200 SXM", {989, 1979, 1979, 0}, 141, 4.8, 700, 33820, 39084, "2024-2025",
     NAN, 10.60, "2025-03", "LLM-Viewer hardware_params; Epoch (AWS on-demand 3/2025)", false},
    {"b200", "NVIDIA B200 (HGX)", {2250, 4500, 4500, 9000}, 180, 8.0, 1000, 30000, 47410, "2024-2025",
     2.25, 6.0, "2026", "glennklockwood.com B200 [S]; MLPerf v5.1 DGX B200 TGP 1000 W", false},
    {"gb200", "NVIDIA GB200 NVL72 (per GPU)", {2500, 5000, 5000, 10000}, 186, 8.0, 1200, 27800, 41700,
     "2025", NAN, NAN, "", "glennklockwood.com GB200 table [S]; rack $2-3M / 72 [D]", false},
    {"mi300x", "AMD Instinct MI300X", {1307, 2615, 2615, 0}, 192, 5.3, 750, 10000, 25734, "2025-02",
     1.5, 6.0, "2025", "GenZ system_configs; Epoch prices; neocloud/Azure rates [S]", false},
};
#define NBUILTIN (sizeof builtin / sizeof builtin[0])

struct wm_gpu_catalog {
    size_t n; /* user entries */
    wm_gpu user[WM_GPU_CATALOG_MAX];
};

double wm_prec_bytes(wm_prec p)
{
    switch (p) {
    case WM_PREC_BF16: return 2.0;
    case WM_PREC_FP8:
    case WM_PREC_INT8: return 1.0;
    case WM_PREC_FP4: return 0.5;
    default: return NAN;
    }
}

const char *wm_prec_name(wm_prec p)
{
    static const char *names[] = {"bf16", "fp8", "int8", "fp4"};
    return (unsigned)p < WM_PREC_COUNT ? names[p] : "?";
}

wm_status wm_prec_parse(const char *s, wm_prec *out, wm_err *err)
{
    if (s) {
        if (!strcasecmp(s, "bf16") || !strcasecmp(s, "fp16"))
            return *out = WM_PREC_BF16, WM_OK;
        for (int p = 1; p < WM_PREC_COUNT; p++)
            if (!strcasecmp(s, wm_prec_name((wm_prec)p)))
                return *out = (wm_prec)p, WM_OK;
    }
    return wm_err_set(err, WM_EINVAL, "", 0, 0, "unknown precision '%s' (expected bf16, fp16, fp8, int8 or fp4)",
                      s ? s : "");
}

size_t wm_gpu_builtin_count(void) { return NBUILTIN; }
const wm_gpu *wm_gpu_builtin_at(size_t i) { return i < NBUILTIN ? &builtin[i] : NULL; }

wm_status wm_gpu_catalog_new(wm_gpu_catalog **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? WM_OK : WM_ENOMEM;
}

void wm_gpu_catalog_free(wm_gpu_catalog *c) { free(c); }

size_t wm_gpu_catalog_count(const wm_gpu_catalog *c) { return NBUILTIN + (c ? c->n : 0); }

const wm_gpu *wm_gpu_catalog_at(const wm_gpu_catalog *c, size_t i)
{
    if (i < NBUILTIN)
        return &builtin[i];
    i -= NBUILTIN;
    return c && i < c->n ? &c->user[i] : NULL;
}

/* Lower-case, drop separators and vendor words, so spellings compare equal. */
static void normalize(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (; *in && k + 1 < n; in++)
        if (isalnum((unsigned char)*in))
            out[k++] = (char)tolower((unsigned char)*in);
    out[k] = '\0';
    static const char *prefixes[] = {"nvidia", "amd", "instinct"};
    for (size_t p = 0; p < 3; p++) {
        size_t l = strlen(prefixes[p]);
        if (strncmp(out, prefixes[p], l) == 0 && out[l])
            memmove(out, out + l, strlen(out + l) + 1);
    }
    size_t len = strlen(out);
    if (len > 3 && strcmp(out + len - 3, "sxm") == 0)
        out[len - 3] = '\0';
}

static bool id_ok(const char *id)
{
    size_t n = strnlen(id, WM_GPU_ID_MAX);
    if (n == 0 || n >= WM_GPU_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_' && id[i] != '.')
            return false;
    return true;
}

static bool pos(double x) { return isfinite(x) && x > 0; }
static bool range_ok(double lo, double hi)
{
    if (isnan(lo) || isnan(hi))
        return !(isfinite(lo) && lo < 0) && !(isfinite(hi) && hi < 0) && !isinf(lo) && !isinf(hi);
    return isfinite(lo) && isfinite(hi) && lo >= 0 && lo <= hi;
}

wm_status wm_gpu_validate(const wm_gpu *g, wm_err *err)
{
    if (!id_ok(g->id))
        return wm_err_set(err, WM_EINVAL, "", 0, 0,
                          "GPU id must be 1-%d characters of letters, digits, '-', '_' or '.'",
                          WM_GPU_ID_MAX - 1);
    if (!pos(g->peak_tflops[WM_PREC_BF16]))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "GPU %s: bf16_tflops must be > 0", g->id);
    for (int p = 0; p < WM_PREC_COUNT; p++)
        if (!isfinite(g->peak_tflops[p]) || g->peak_tflops[p] < 0 || g->peak_tflops[p] > 1e6)
            return wm_err_set(err, WM_EINVAL, "", 0, 0, "GPU %s: %s_tflops must be in [0, 1e6]", g->id,
                              wm_prec_name((wm_prec)p));
    if (!pos(g->hbm_gb) || g->hbm_gb > 1e5)
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "GPU %s: hbm_gb must be in (0, 1e5]", g->id);
    if (!pos(g->hbm_tb_s) || g->hbm_tb_s > 1e3)
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "GPU %s: hbm_tb_s must be in (0, 1000]", g->id);
    if (!pos(g->board_w) || g->board_w > 1e5)
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "GPU %s: board_w must be in (0, 1e5]", g->id);
    if (!range_ok(g->purchase_usd_lo, g->purchase_usd_hi))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "GPU %s: purchase price needs 0 <= lo <= hi", g->id);
    if (!range_ok(g->rent_usd_per_h_lo, g->rent_usd_per_h_hi))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "GPU %s: rental price needs 0 <= lo <= hi", g->id);
    return WM_OK;
}

wm_status wm_gpu_catalog_add(wm_gpu_catalog *c, const wm_gpu *g, wm_err *err)
{
    if (!c || !g)
        return WM_EINVAL;
    wm_status st = wm_gpu_validate(g, err);
    if (st != WM_OK)
        return st;
    char a[WM_GPU_ID_MAX + 8], b[WM_GPU_ID_MAX + 8];
    normalize(g->id, a, sizeof a);
    for (size_t i = 0; i < NBUILTIN; i++) {
        normalize(builtin[i].id, b, sizeof b);
        if (strcmp(a, b) == 0)
            return wm_err_set(err, WM_EINVAL, "", 0, 0,
                              "GPU id '%s' is a built-in GPU; choose another id", g->id);
    }
    size_t slot = c->n;
    for (size_t i = 0; i < c->n; i++) {
        normalize(c->user[i].id, b, sizeof b);
        if (strcmp(a, b) == 0)
            slot = i;
    }
    if (slot == c->n && c->n >= WM_GPU_CATALOG_MAX)
        return wm_err_set(err, WM_ELIMIT, "", 0, 0, "at most %d user-defined GPUs", WM_GPU_CATALOG_MAX);
    c->user[slot] = *g;
    c->user[slot].id[WM_GPU_ID_MAX - 1] = '\0';
    c->user[slot].name[WM_GPU_NAME_MAX - 1] = '\0';
    c->user[slot].purchase_date[sizeof c->user[slot].purchase_date - 1] = '\0';
    c->user[slot].rent_date[sizeof c->user[slot].rent_date - 1] = '\0';
    c->user[slot].source[WM_GPU_SRC_MAX - 1] = '\0';
    if (!c->user[slot].name[0])
        memcpy(c->user[slot].name, c->user[slot].id, WM_GPU_ID_MAX);
    c->user[slot].user = true;
    if (slot == c->n)
        c->n++;
    return WM_OK;
}

wm_status wm_gpu_find(const wm_gpu_catalog *c, const char *name, const wm_gpu **out, wm_err *err)
{
    char want[96], have[96];
    normalize(name ? name : "", want, sizeof want);
    size_t n = wm_gpu_catalog_count(c);
    for (size_t i = 0; want[0] && i < n; i++) {
        const wm_gpu *g = wm_gpu_catalog_at(c, i);
        normalize(g->id, have, sizeof have);
        if (strcmp(want, have) == 0)
            return *out = g, WM_OK;
    }
    char list[256] = "";
    for (size_t i = 0; i < n; i++) {
        const wm_gpu *g = wm_gpu_catalog_at(c, i);
        size_t l = strlen(list);
        if (l + strlen(g->id) + 3 >= sizeof list)
            break;
        snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", g->id);
    }
    return wm_err_set(err, WM_ENOTFOUND, "", 0, 0, "unknown GPU '%s' (known: %s)", name ? name : "", list);
}

wm_status wm_gpu_peak_flops(const wm_gpu *g, wm_prec p, double *flops, wm_err *err)
{
    if ((unsigned)p >= WM_PREC_COUNT)
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "bad precision");
    if (!(g->peak_tflops[p] > 0))
        return wm_err_set(err, WM_EUNSUPPORTED, "", 0, 0, "%s has no %s tensor support in the catalog",
                          g->id, wm_prec_name(p));
    *flops = g->peak_tflops[p] * 1e12;
    return WM_OK;
}
