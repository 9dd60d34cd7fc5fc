/* llm.c - model cards, the model-card file parser, training arithmetic and the inference
 * roofline (see llm.h; every formula and its source: docs/model-ai.md). Built-in cards are
 * typed in from each model's published config (source per card). */
#include "llm.h"
#include "param.h"

#include <ctype.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const wm_llm builtin[] = {
    /* id, name, total, active, expert, L, hidden, heads, kv, d_h, attn, d_c, d_rope, E, k */
    {"llama-2-70b", "Llama 2 70B", 68.98e9, 68.98e9, 0, 80, 8192, 64, 8, 128, WM_ATTN_GQA, 0, 0, 0, 0,
     "meta-llama/Llama-2-70b-hf config.json; 68.98e9 parameters (llm-analysis)", false},
    {"llama-3.1-8b", "Llama 3.1 8B", 8.03e9, 8.03e9, 0, 32, 4096, 32, 8, 128, WM_ATTN_GQA, 0, 0, 0, 0,
     "meta-llama/llama-models MODEL_CARD.md + config.json", false},
    {"llama-3.1-70b", "Llama 3.1 70B", 70.6e9, 70.6e9, 0, 80, 8192, 64, 8, 128, WM_ATTN_GQA, 0, 0, 0, 0,
     "meta-llama/llama-models MODEL_CARD.md + config.json", false},
    {"llama-3.1-405b", "Llama 3.1 405B", 405e9, 405e9, 0, 126, 16384, 128, 8, 128, WM_ATTN_GQA, 0, 0, 0, 0,
     "meta-llama/llama-models models/llama3_1/MODEL_CARD.md + config.json", false},
    /* 58 MoE layers x 256 experts x 3 x 7168 x 2048 = 653.9e9 routed parameters [D] */
    {"deepseek-v3", "DeepSeek-V3", 671e9, 37e9, 653.9e9, 61, 7168, 128, 128, 128, WM_ATTN_MLA, 512, 64, 256, 8,
     "deepseek-ai/DeepSeek-V3 inference/configs/config_671B.json; README", false},
    {"deepseek-r1", "DeepSeek-R1", 671e9, 37e9, 653.9e9, 61, 7168, 128, 128, 128, WM_ATTN_MLA, 512, 64, 256, 8,
     "deepseek-ai/DeepSeek-R1 (DeepSeek-V3 architecture)", false},
    {"gpt-3-175b", "GPT-3 175B", 175e9, 175e9, 0, 96, 12288, 96, 96, 128, WM_ATTN_GQA, 0, 0, 0, 0,
     "Brown et al. 2020, arXiv 2005.14165 Table 2.1 (MHA)", false},
};
#define NBUILTIN (sizeof builtin / sizeof builtin[0])

struct wm_llm_set {
    size_t n;
    wm_llm user[WM_LLM_SET_MAX];
};

size_t wm_llm_builtin_count(void) { return NBUILTIN; }
const wm_llm *wm_llm_builtin_at(size_t i) { return i < NBUILTIN ? &builtin[i] : NULL; }

static void normalize(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (; *in && k + 1 < n; in++)
        if (isalnum((unsigned char)*in))
            out[k++] = (char)tolower((unsigned char)*in);
    out[k] = '\0';
}

static bool id_ok(const char *id, size_t max)
{
    size_t n = strnlen(id, max);
    if (n == 0 || n >= max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_' && id[i] != '.')
            return false;
    return true;
}

static bool pos(double x) { return isfinite(x) && x > 0; }

wm_status wm_llm_validate(const wm_llm *m, wm_err *err)
{
    if (!id_ok(m->id, WM_LLM_ID_MAX))
        return wm_err_set(err, WM_EINVAL, "", 0, 0,
                          "model id must be 1-%d characters of letters, digits, '-', '_' or '.'",
                          WM_LLM_ID_MAX - 1);
    if (!pos(m->params_total) || m->params_total > 1e15)
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "model %s: params_total must be in (0, 1e15]", m->id);
    if (!pos(m->params_active) || m->params_active > m->params_total)
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "model %s: params_active must be in (0, params_total]", m->id);
    if (!isfinite(m->params_expert) || m->params_expert < 0 || m->params_expert >= m->params_total)
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "model %s: params_expert must be in [0, params_total)", m->id);
    if (m->layers < 1 || m->layers > 10000 || m->hidden < 1 || m->hidden > 1000000 || m->heads < 1 ||
        m->heads > 100000 || m->head_dim < 1 || m->head_dim > 100000)
        return wm_err_set(err, WM_EINVAL, "", 0, 0,
                          "model %s: layers, hidden, heads and head_dim must be positive (and sane)", m->id);
    if (m->attn == WM_ATTN_GQA) {
        if (m->kv_heads < 1 || m->kv_heads > m->heads || m->heads % m->kv_heads != 0)
            return wm_err_set(err, WM_EINVAL, "", 0, 0,
                              "model %s: kv_heads must divide heads (1..%d)", m->id, m->heads);
    } else if (m->attn == WM_ATTN_MLA) {
        if (m->kv_lora_rank < 1 || m->kv_lora_rank > 100000 || m->rope_head_dim < 0 || m->rope_head_dim > 100000)
            return wm_err_set(err, WM_EINVAL, "", 0, 0, "model %s: MLA needs kv_lora_rank >= 1 and rope_head_dim >= 0", m->id);
    } else {
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "model %s: unknown attention kind", m->id);
    }
    bool moe = m->experts > 0 || m->experts_active > 0 || m->params_expert > 0;
    if (moe && (m->experts < 1 || m->experts > 100000 || m->experts_active < 1 ||
                m->experts_active > m->experts || !(m->params_expert > 0)))
        return wm_err_set(err, WM_EINVAL, "", 0, 0,
                          "model %s: an MoE needs experts >= experts_active >= 1 and params_expert > 0", m->id);
    if (!moe && m->params_active != m->params_total)
        return wm_err_set(err, WM_EINVAL, "", 0, 0,
                          "model %s: a dense model has params_active = params_total (set experts for an MoE)", m->id);
    return WM_OK;
}

wm_status wm_llm_set_new(wm_llm_set **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? WM_OK : WM_ENOMEM;
}
void wm_llm_set_free(wm_llm_set *s) { free(s); }
size_t wm_llm_set_count(const wm_llm_set *s) { return NBUILTIN + (s ? s->n : 0); }
const wm_llm *wm_llm_set_at(const wm_llm_set *s, size_t i)
{
    if (i < NBUILTIN)
        return &builtin[i];
    i -= NBUILTIN;
    return s && i < s->n ? &s->user[i] : NULL;
}

/* Index of a user slot for m (existing id or the next free), or -1 when m names a built-in. */
static long user_slot(const wm_llm_set *s, const char *id)
{
    char a[WM_LLM_ID_MAX + 8], b[WM_LLM_ID_MAX + 8];
    normalize(id, a, sizeof a);
    for (size_t i = 0; i < NBUILTIN; i++) {
        normalize(builtin[i].id, b, sizeof b);
        if (!strcmp(a, b))
            return -1;
    }
    for (size_t i = 0; i < s->n; i++) {
        normalize(s->user[i].id, b, sizeof b);
        if (!strcmp(a, b))
            return (long)i;
    }
    return (long)s->n;
}

wm_status wm_llm_set_add(wm_llm_set *s, const wm_llm *m, wm_err *err)
{
    if (!s || !m)
        return WM_EINVAL;
    wm_status st = wm_llm_validate(m, err);
    if (st != WM_OK)
        return st;
    long slot = user_slot(s, m->id);
    if (slot < 0)
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "model id '%s' is a built-in model; choose another id", m->id);
    if ((size_t)slot == s->n && s->n >= WM_LLM_SET_MAX)
        return wm_err_set(err, WM_ELIMIT, "", 0, 0, "at most %d user-defined models", WM_LLM_SET_MAX);
    wm_llm *d = &s->user[slot];
    *d = *m;
    d->id[WM_LLM_ID_MAX - 1] = '\0';
    d->name[sizeof d->name - 1] = '\0';
    d->source[sizeof d->source - 1] = '\0';
    if (!d->name[0])
        memcpy(d->name, d->id, WM_LLM_ID_MAX);
    d->user = true;
    if ((size_t)slot == s->n)
        s->n++;
    return WM_OK;
}

wm_status wm_llm_find(const wm_llm_set *s, const char *name, const wm_llm **out, wm_err *err)
{
    char want[96], have[96];
    normalize(name ? name : "", want, sizeof want);
    size_t n = wm_llm_set_count(s);
    for (size_t i = 0; want[0] && i < n; i++) {
        const wm_llm *m = wm_llm_set_at(s, i);
        normalize(m->id, have, sizeof have);
        if (!strcmp(want, have))
            return *out = m, WM_OK;
    }
    char list[320] = "";
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(list);
        const wm_llm *m = wm_llm_set_at(s, i);
        if (l + strlen(m->id) + 3 >= sizeof list)
            break;
        snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", m->id);
    }
    return wm_err_set(err, WM_ENOTFOUND, "", 0, 0, "unknown model '%s' (known: %s)", name ? name : "", list);
}

/* ---------------------------------------------------------------- card file parser */

#define CARDS_MAX_SECTIONS 64

typedef struct field {
    const char *key;
    int kind; /* 0 double, 1 int, 2 string, 3 attention */
    size_t off, size;
} field;

#define MF(k, kind, member) {k, kind, offsetof(wm_llm, member), sizeof(((wm_llm *)0)->member)}
static const field model_fields[] = {
    MF("name", 2, name), MF("params_total", 0, params_total), MF("params_active", 0, params_active),
    MF("params_expert", 0, params_expert), MF("layers", 1, layers), MF("hidden", 1, hidden),
    MF("heads", 1, heads), MF("kv_heads", 1, kv_heads), MF("head_dim", 1, head_dim),
    MF("attention", 3, attn), MF("kv_lora_rank", 1, kv_lora_rank), MF("rope_head_dim", 1, rope_head_dim),
    MF("experts", 1, experts), MF("experts_active", 1, experts_active), MF("source", 2, source),
    {NULL, 0, 0, 0},
};
#define GF(k, kind, member) {k, kind, offsetof(wm_gpu, member), sizeof(((wm_gpu *)0)->member)}
static const field gpu_fields[] = {
    GF("name", 2, name),
    {"bf16_tflops", 0, offsetof(wm_gpu, peak_tflops) + WM_PREC_BF16 * sizeof(double), sizeof(double)},
    {"fp8_tflops", 0, offsetof(wm_gpu, peak_tflops) + WM_PREC_FP8 * sizeof(double), sizeof(double)},
    {"int8_tflops", 0, offsetof(wm_gpu, peak_tflops) + WM_PREC_INT8 * sizeof(double), sizeof(double)},
    {"fp4_tflops", 0, offsetof(wm_gpu, peak_tflops) + WM_PREC_FP4 * sizeof(double), sizeof(double)},
    GF("hbm_gb", 0, hbm_gb), GF("hbm_tb_s", 0, hbm_tb_s), GF("board_w", 0, board_w),
    GF("purchase_usd_lo", 0, purchase_usd_lo), GF("purchase_usd_hi", 0, purchase_usd_hi),
    GF("rent_usd_per_h_lo", 0, rent_usd_per_h_lo), GF("rent_usd_per_h_hi", 0, rent_usd_per_h_hi),
    GF("source", 2, source),
    {NULL, 0, 0, 0},
};

typedef struct cards_tmp {
    wm_llm models[CARDS_MAX_SECTIONS];
    long model_line[CARDS_MAX_SECTIONS];
    size_t nmodels;
    wm_gpu gpus[CARDS_MAX_SECTIONS];
    long gpu_line[CARDS_MAX_SECTIONS];
    size_t ngpus;
} cards_tmp;

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Trim [*b, *e) of blanks. */
static void trim(const char **b, const char **e)
{
    while (*b < *e && is_blank(**b))
        (*b)++;
    while (*e > *b && is_blank((*e)[-1]))
        (*e)--;
}

static wm_status set_field(const field *f, void *obj, const char *v, size_t vlen, const char *src, long line,
                           long col, wm_err *err)
{
    char buf[256];
    if (vlen >= sizeof buf)
        return wm_err_set(err, WM_ELIMIT, src, line, col, "value of %s is longer than %zu characters", f->key,
                          sizeof buf - 1);
    memcpy(buf, v, vlen);
    buf[vlen] = '\0';
    char *dst = (char *)obj + f->off;
    switch (f->kind) {
    case 0: {
        double d;
        if (wm_parse_double(buf, &d) != WM_OK)
            return wm_err_set(err, WM_EPARSE, src, line, col, "%s: expected a number, got '%s'", f->key, buf);
        memcpy(dst, &d, sizeof d);
        return WM_OK;
    }
    case 1: {
        double d;
        if (wm_parse_double(buf, &d) != WM_OK || d != floor(d) || d < 0 || d > 1e9)
            return wm_err_set(err, WM_EPARSE, src, line, col, "%s: expected a whole number 0..1e9, got '%s'",
                              f->key, buf);
        int i = (int)d;
        memcpy(dst, &i, sizeof i);
        return WM_OK;
    }
    case 2:
        if (vlen >= f->size)
            return wm_err_set(err, WM_ELIMIT, src, line, col, "%s: at most %zu characters", f->key, f->size - 1);
        for (size_t i = 0; i < vlen; i++)
            if ((unsigned char)buf[i] < 0x20)
                return wm_err_set(err, WM_EPARSE, src, line, col + (long)i, "%s: control character in text", f->key);
        memcpy(dst, buf, vlen + 1);
        return WM_OK;
    default: {
        wm_attn a;
        if (!strcasecmp(buf, "gqa") || !strcasecmp(buf, "mha"))
            a = WM_ATTN_GQA;
        else if (!strcasecmp(buf, "mla"))
            a = WM_ATTN_MLA;
        else
            return wm_err_set(err, WM_EPARSE, src, line, col, "attention: expected gqa, mha or mla, got '%s'", buf);
        memcpy(dst, &a, sizeof a);
        return WM_OK;
    }
    }
}

static wm_status parse_cards(const char *text, size_t len, const char *src, cards_tmp *t, bool want_models,
                             bool want_gpus, wm_err *err)
{
    enum { NONE, MODEL, GPU } cur = NONE;
    const char *p = text, *end = text + len;
    long line = 0;
    while (p < end) {
        line++;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *b = p, *e = eol;
        p = eol < end ? eol + 1 : end;
        for (const char *q = b; q < e; q++)
            if (*q == '\0')
                return wm_err_set(err, WM_EPARSE, src, line, (long)(q - b) + 1, "NUL byte in text");
        trim(&b, &e);
        if (b == e || *b == '#')
            continue;
        /* column of b relative to the line start */
        const char *line_start = b;
        while (line_start > text && line_start[-1] != '\n')
            line_start--;
        long c0 = (long)(b - line_start) + 1;
        if (*b == '[') {
            const char *close = memchr(b, ']', (size_t)(e - b));
            if (!close || close + 1 != e)
                return wm_err_set(err, WM_EPARSE, src, line, c0, "expected '[model ID]' or '[gpu ID]'");
            const char *kb = b + 1, *ke = close;
            trim(&kb, &ke);
            const char *sp = kb;
            while (sp < ke && !is_blank(*sp))
                sp++;
            const char *ib = sp, *ie = ke;
            trim(&ib, &ie);
            size_t klen = (size_t)(sp - kb), ilen = (size_t)(ie - ib);
            bool is_model = klen == 5 && !strncasecmp(kb, "model", 5);
            bool is_gpu = klen == 3 && !strncasecmp(kb, "gpu", 3);
            if (!is_model && !is_gpu)
                return wm_err_set(err, WM_EPARSE, src, line, c0 + 1, "expected section kind 'model' or 'gpu'");
            if ((is_model && !want_models) || (is_gpu && !want_gpus))
                return wm_err_set(err, WM_EINVAL, src, line, c0 + 1, "%s sections are not accepted here",
                                  is_model ? "model" : "gpu");
            size_t idmax = is_model ? WM_LLM_ID_MAX : WM_GPU_ID_MAX;
            char id[WM_LLM_ID_MAX > WM_GPU_ID_MAX ? WM_LLM_ID_MAX : WM_GPU_ID_MAX];
            if (ilen == 0 || ilen >= idmax)
                return wm_err_set(err, WM_EPARSE, src, line, c0 + (long)(ib - b),
                                  "expected an id of 1-%zu characters after '%s'", idmax - 1, is_model ? "model" : "gpu");
            memcpy(id, ib, ilen);
            id[ilen] = '\0';
            if (!id_ok(id, idmax))
                return wm_err_set(err, WM_EPARSE, src, line, c0 + (long)(ib - b),
                                  "id may hold letters, digits, '-', '_' and '.' only");
            if (is_model) {
                if (t->nmodels >= CARDS_MAX_SECTIONS)
                    return wm_err_set(err, WM_ELIMIT, src, line, c0, "at most %d model sections", CARDS_MAX_SECTIONS);
                wm_llm *m = &t->models[t->nmodels];
                memset(m, 0, sizeof *m);
                memcpy(m->id, id, ilen + 1);
                t->model_line[t->nmodels++] = line;
                cur = MODEL;
            } else {
                if (t->ngpus >= CARDS_MAX_SECTIONS)
                    return wm_err_set(err, WM_ELIMIT, src, line, c0, "at most %d gpu sections", CARDS_MAX_SECTIONS);
                wm_gpu *g = &t->gpus[t->ngpus];
                memset(g, 0, sizeof *g);
                g->purchase_usd_lo = g->purchase_usd_hi = NAN;
                g->rent_usd_per_h_lo = g->rent_usd_per_h_hi = NAN;
                memcpy(g->id, id, ilen + 1);
                t->gpu_line[t->ngpus++] = line;
                cur = GPU;
            }
            continue;
        }
        const char *eq = memchr(b, '=', (size_t)(e - b));
        if (!eq)
            return wm_err_set(err, WM_EPARSE, src, line, c0, "expected 'key = value', a section or a comment");
        if (cur == NONE)
            return wm_err_set(err, WM_EPARSE, src, line, c0, "key before the first [model ID] or [gpu ID] section");
        const char *kb = b, *ke = eq, *vb = eq + 1, *ve = e;
        trim(&kb, &ke);
        trim(&vb, &ve);
        const field *fs = cur == MODEL ? model_fields : gpu_fields;
        const field *f = NULL;
        for (int i = 0; fs[i].key; i++)
            if (strlen(fs[i].key) == (size_t)(ke - kb) && !strncmp(fs[i].key, kb, (size_t)(ke - kb)))
                f = &fs[i];
        if (!f)
            return wm_err_set(err, WM_EPARSE, src, line, c0, "unknown %s key '%.*s'", cur == MODEL ? "model" : "gpu",
                              (int)((ke - kb) > 40 ? 40 : (ke - kb)), kb);
        void *obj = cur == MODEL ? (void *)&t->models[t->nmodels - 1] : (void *)&t->gpus[t->ngpus - 1];
        wm_status st = set_field(f, obj, vb, (size_t)(ve - vb), src, line, c0 + (long)(vb - b), err);
        if (st != WM_OK)
            return st;
    }
    return WM_OK;
}

wm_status wm_llm_cards_parse(const char *text, size_t len, const char *source, wm_llm_set *models,
                             wm_gpu_catalog *gpus, wm_err *err)
{
    const char *src = source ? source : "<cards>";
    if (!text && len)
        return WM_EINVAL;
    if (len > WM_LLM_CARDS_MAX_BYTES)
        return wm_err_set(err, WM_ELIMIT, src, 0, 0, "model-card file larger than %u bytes", WM_LLM_CARDS_MAX_BYTES);
    cards_tmp *t = calloc(1, sizeof *t);
    if (!t)
        return WM_ENOMEM;
    wm_status st = parse_cards(text, len, src, t, models != NULL, gpus != NULL, err);
    /* Validate every section (reporting its header line) and check capacity before committing. */
    for (size_t i = 0; st == WM_OK && i < t->nmodels; i++) {
        wm_llm *m = &t->models[i];
        if (m->params_active == 0 && m->experts == 0)
            m->params_active = m->params_total;
        if (m->attn == WM_ATTN_GQA && m->kv_heads == 0)
            m->kv_heads = m->heads;
        if (m->head_dim == 0 && m->heads > 0)
            m->head_dim = m->hidden / m->heads;
        wm_err e2;
        wm_err_clear(&e2);
        st = wm_llm_validate(m, &e2);
        if (st == WM_OK && user_slot(models, m->id) < 0)
            st = wm_err_set(&e2, WM_EINVAL, "", 0, 0, "model id '%s' is a built-in model", m->id);
        for (size_t j = 0; st == WM_OK && j < i; j++)
            if (!strcmp(t->models[j].id, m->id))
                st = wm_err_set(&e2, WM_EINVAL, "", 0, 0, "model '%s' defined twice", m->id);
        if (st != WM_OK)
            wm_err_set(err, st, src, t->model_line[i], 1, "%s", e2.msg);
    }
    for (size_t i = 0; st == WM_OK && i < t->ngpus; i++) {
        wm_err e2;
        wm_err_clear(&e2);
        st = wm_gpu_validate(&t->gpus[i], &e2);
        for (size_t j = 0; st == WM_OK && j < i; j++)
            if (!strcasecmp(t->gpus[j].id, t->gpus[i].id))
                st = wm_err_set(&e2, WM_EINVAL, "", 0, 0, "gpu '%s' defined twice", t->gpus[i].id);
        const wm_gpu *dummy;
        if (st == WM_OK && wm_gpu_find(NULL, t->gpus[i].id, &dummy, NULL) == WM_OK)
            st = wm_err_set(&e2, WM_EINVAL, "", 0, 0, "gpu id '%s' is a built-in GPU", t->gpus[i].id);
        if (st != WM_OK)
            wm_err_set(err, st, src, t->gpu_line[i], 1, "%s", e2.msg);
    }
    if (st == WM_OK) {
        size_t newm = 0, newg = 0;
        for (size_t i = 0; i < t->nmodels; i++)
            newm += (size_t)user_slot(models, t->models[i].id) == models->n;
        for (size_t i = 0; i < t->ngpus; i++) {
            const wm_gpu *g;
            newg += wm_gpu_find(gpus, t->gpus[i].id, &g, NULL) != WM_OK;
        }
        if (models && models->n + newm > WM_LLM_SET_MAX)
            st = wm_err_set(err, WM_ELIMIT, src, 0, 0, "at most %d user-defined models", WM_LLM_SET_MAX);
        else if (gpus && wm_gpu_catalog_count(gpus) - wm_gpu_builtin_count() + newg > WM_GPU_CATALOG_MAX)
            st = wm_err_set(err, WM_ELIMIT, src, 0, 0, "at most %d user-defined GPUs", WM_GPU_CATALOG_MAX);
    }
    for (size_t i = 0; st == WM_OK && i < t->nmodels; i++)
        st = wm_llm_set_add(models, &t->models[i], err); /* cannot fail: validated, capacity checked */
    for (size_t i = 0; st == WM_OK && i < t->ngpus; i++)
        st = wm_gpu_catalog_add(gpus, &t->gpus[i], err);
    free(t);
    return st;
}

/* ---------------------------------------------------------------- KV cache */

double wm_llm_kv_bytes_per_token(const wm_llm *m, double b)
{
    if (m->attn == WM_ATTN_MLA)
        return (double)m->layers * (m->kv_lora_rank + m->rope_head_dim) * b;
    return 2.0 * m->layers * m->kv_heads * m->head_dim * b;
}

/* ---------------------------------------------------------------- power and training */

wm_status wm_power_check(const wm_power_in *p, wm_err *err)
{
    if (!(p->util >= 0 && p->util <= 1))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "utilization must be in [0, 1], got %g", p->util);
    if (!(p->power_frac_busy > 0 && p->power_frac_busy <= 1.5))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "busy power fraction must be in (0, 1.5], got %g", p->power_frac_busy);
    if (!(p->power_frac_idle >= 0 && p->power_frac_idle <= p->power_frac_busy))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "idle power fraction must be in [0, busy fraction], got %g",
                          p->power_frac_idle);
    if (!(p->host_overhead >= 0 && p->host_overhead <= 5))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "host overhead must be in [0, 5], got %g", p->host_overhead);
    if (!(p->pue >= 1 && p->pue <= 3))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "PUE must be in [1, 3], got %g", p->pue);
    return WM_OK;
}

double wm_power_facility_w_per_gpu(const wm_gpu *g, const wm_power_in *p)
{
    double frac = p->power_frac_idle + (p->power_frac_busy - p->power_frac_idle) * p->util;
    return g->board_w * frac * (1 + p->host_overhead) * p->pue;
}

wm_status wm_llm_train(const wm_train_in *in, wm_train_out *out, wm_err *err)
{
    memset(out, 0, sizeof *out);
    if (!pos(in->params_active) || !pos(in->tokens))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "parameters and tokens must be > 0");
    if (!pos(in->n_gpus) || !pos(in->peak_flops))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "GPU count and peak FLOP/s must be > 0");
    if (!(in->usd_per_gpu_h >= 0) || !isfinite(in->usd_per_gpu_h))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "price per GPU-hour must be >= 0");
    wm_power_in pw = in->power;
    pw.util = 1;
    wm_status st = wm_power_check(&pw, err);
    if (st != WM_OK)
        return st;
    out->flops = (in->recompute ? 8.0 : 6.0) * in->params_active * in->tokens;
    if (in->mfu > 0) {
        if (!(in->mfu <= 1))
            return wm_err_set(err, WM_EINVAL, "", 0, 0, "MFU must be in (0, 1], got %g", in->mfu);
        out->mfu = in->mfu;
        out->gpu_hours = out->flops / (in->peak_flops * in->mfu) / 3600.0;
    } else if (in->gpu_hours > 0 && isfinite(in->gpu_hours)) {
        out->gpu_hours = in->gpu_hours;
        out->mfu = out->flops / (in->gpu_hours * 3600.0 * in->peak_flops);
    } else {
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "give either an MFU in (0, 1] or the GPU-hours (> 0)");
    }
    out->achieved_tflops_per_gpu = out->flops / (out->gpu_hours * 3600.0) / 1e12;
    out->wall_days = out->gpu_hours / in->n_gpus / 24.0;
    out->cost_usd = out->gpu_hours * in->usd_per_gpu_h;
    double w = in->board_w > 0 ? in->board_w * pw.power_frac_busy * (1 + pw.host_overhead) * pw.pue : 0;
    out->energy_mwh = out->gpu_hours * w / 1e6;
    return WM_OK;
}

/* ---------------------------------------------------------------- inference */

typedef struct sys {
    double peak, bw, cap;  /* per GPU: FLOP/s (derated), B/s (derated), usable bytes */
    double tp, shard;      /* GPUs per replica; GPUs the KV cache is split over */
    double wb, kvb;        /* bytes per weight, KV bytes per token (whole model) */
} sys;

/* Weight bytes read by one decode step at batch B: dense all; MoE shared + routed experts
 * touched, E[distinct experts] = E * (1 - (1 - k/E)^B) per layer. */
static double weight_bytes_read(const wm_llm *m, double wb, double B)
{
    if (m->experts <= 0)
        return m->params_total * wb;
    double touched = 1.0 - pow(1.0 - (double)m->experts_active / m->experts, B);
    return ((m->params_total - m->params_expert) + m->params_expert * touched) * wb;
}

/* Attention FLOPs per token of context per generated token (decode). */
static double attn_flops_per_ctx(const wm_llm *m)
{
    if (m->attn == WM_ATTN_MLA) /* absorbed MLA: scores over d_c + d_rope, values over d_c */
        return 2.0 * m->layers * m->heads * (2.0 * m->kv_lora_rank + m->rope_head_dim);
    return 4.0 * m->layers * m->heads * m->head_dim;
}

static void decode_step(const wm_llm *m, const sys *s, double B, double ctx, double *gemm, double *attn,
                        bool *mem_bound)
{
    double tc = 2.0 * m->params_active * B / (s->tp * s->peak);
    double tm = weight_bytes_read(m, s->wb, B) / (s->tp * s->bw);
    *gemm = tc > tm ? tc : tm;
    *mem_bound = tm >= tc;
    double ac = attn_flops_per_ctx(m) * B * ctx / (s->tp * s->peak);
    double am = B * ctx * s->kvb / s->shard / s->bw;
    *attn = ac > am ? ac : am;
}

static double prefill_flops(const wm_llm *m, double s_in)
{
    /* 2 N s for the linear layers + causal attention 2 L s^2 (h d_h) (half of 4 L s^2 d). */
    double d_attn = m->attn == WM_ATTN_MLA ? (double)m->heads * (m->kv_lora_rank + m->rope_head_dim)
                                           : (double)m->heads * m->head_dim;
    return 2.0 * m->params_active * s_in + 2.0 * m->layers * s_in * s_in * d_attn;
}

static wm_status check_serve(const wm_serve_in *in, wm_err *err)
{
    if (!in->model || !in->gpu)
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "a model and a GPU are required");
    if (in->n_gpus < 1 || in->n_gpus > 1000000)
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "GPU count must be >= 1, got %d", in->n_gpus);
    if (in->tp < 0 || (in->tp > 0 && in->n_gpus % in->tp != 0))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "tensor-parallel degree %d must divide the GPU count %d", in->tp,
                          in->n_gpus);
    if (!(in->kv_bytes > 0 && in->kv_bytes <= 4))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "KV bytes per element must be in (0, 4]");
    if (!(in->input_tokens >= 0 && in->input_tokens <= 1e7) || !(in->output_tokens >= 1 && in->output_tokens <= 1e7))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "need input tokens >= 0 and output tokens >= 1 per request");
    if (in->batch < 0)
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "batch must be >= 0 (0 = largest that fits)");
    if (!(in->tpot_target_s >= 0) || !isfinite(in->tpot_target_s))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "time per output token target must be >= 0 s");
    if (!(in->eff.compute > 0 && in->eff.compute <= 1) || !(in->eff.memory > 0 && in->eff.memory <= 1) ||
        !(in->eff.mem_usable > 0 && in->eff.mem_usable <= 1))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "efficiency factors must be in (0, 1]");
    if (!(in->usd_per_gpu_h >= 0) || !isfinite(in->usd_per_gpu_h))
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "price per GPU-hour must be >= 0");
    return wm_power_check(&in->power, err);
}

static wm_status make_sys(const wm_serve_in *in, int tp, sys *s, wm_err *err)
{
    double peak;
    wm_status st = wm_gpu_peak_flops(in->gpu, in->prec, &peak, err);
    if (st != WM_OK)
        return st;
    const wm_llm *m = in->model;
    s->peak = peak * in->eff.compute;
    s->bw = in->gpu->hbm_tb_s * 1e12 * in->eff.memory;
    s->cap = in->gpu->hbm_gb * 1e9 * in->eff.mem_usable;
    s->tp = tp;
    s->wb = wm_prec_bytes(in->prec);
    s->kvb = wm_llm_kv_bytes_per_token(m, in->kv_bytes);
    s->shard = m->attn == WM_ATTN_MLA ? 1.0 : (tp < m->kv_heads ? tp : m->kv_heads);
    return WM_OK;
}

static double tpot_at(const wm_llm *m, const sys *s, double B, double ctx, double pre, double s_out)
{
    double g, a;
    bool mb;
    decode_step(m, s, B, ctx, &g, &a, &mb);
    return g + a + B * pre / s_out;
}

static wm_status serve_tp(const wm_serve_in *in, int tp, wm_serve_out *o, wm_err *err)
{
    const wm_llm *m = in->model;
    sys s;
    wm_status st = make_sys(in, tp, &s, err);
    if (st != WM_OK)
        return st;
    memset(o, 0, sizeof *o);
    o->tp = tp;
    o->replicas = in->n_gpus / tp;
    o->weight_bytes_per_gpu = m->params_total * s.wb / tp;
    o->kv_bytes_per_token = s.kvb;
    o->mem_capacity_per_gpu = s.cap;
    double free_b = s.cap - o->weight_bytes_per_gpu;
    if (free_b <= 0)
        return wm_err_set(err, WM_EINFEASIBLE, "", 0, 0,
                          "%s does not fit: weights need %.1f GB per GPU at TP=%d (%s), usable HBM is %.1f GB of %g GB",
                          m->id, o->weight_bytes_per_gpu / 1e9, tp, wm_prec_name(in->prec), s.cap / 1e9,
                          in->gpu->hbm_gb);
    double seq = in->input_tokens + in->output_tokens;
    double per_seq = seq * s.kvb / s.shard;
    double bmax = floor(free_b / per_seq);
    if (bmax > 1e7)
        bmax = 1e7;
    if (bmax < 1)
        return wm_err_set(err, WM_EINFEASIBLE, "", 0, 0,
                          "%s does not fit: one %.0f-token sequence needs %.2f GB of KV per GPU, %.2f GB is left after weights",
                          m->id, seq, per_seq / 1e9, free_b / 1e9);
    o->batch_mem_max = (int)bmax;
    double ctx = in->input_tokens + in->output_tokens / 2.0;
    o->prefill_s = prefill_flops(m, in->input_tokens) / (tp * s.peak);
    double B;
    if (in->batch > 0) {
        if (in->batch > bmax)
            return wm_err_set(err, WM_EINFEASIBLE, "", 0, 0,
                              "batch %d does not fit: KV for %d sequences of %.0f tokens needs %.1f GB per GPU, %.1f GB is free",
                              in->batch, in->batch, seq, in->batch * per_seq / 1e9, free_b / 1e9);
        B = in->batch;
    } else {
        B = bmax;
    }
    if (in->tpot_target_s > 0) {
        if (tpot_at(m, &s, 1, ctx, o->prefill_s, in->output_tokens) > in->tpot_target_s)
            return wm_err_set(err, WM_EINFEASIBLE, "", 0, 0,
                              "no batch meets %.1f ms per output token at TP=%d (batch 1 takes %.1f ms)",
                              in->tpot_target_s * 1e3, tp,
                              tpot_at(m, &s, 1, ctx, o->prefill_s, in->output_tokens) * 1e3);
        if (in->batch > 0) {
            if (tpot_at(m, &s, B, ctx, o->prefill_s, in->output_tokens) > in->tpot_target_s)
                return wm_err_set(err, WM_EINFEASIBLE, "", 0, 0, "batch %d misses the %.1f ms per token target",
                                  in->batch, in->tpot_target_s * 1e3);
        } else { /* tpot rises with B: largest B meeting the target */
            double lo = 1, hi = B;
            while (hi - lo > 0.5) {
                double mid = floor((lo + hi + 1) / 2);
                if (tpot_at(m, &s, mid, ctx, o->prefill_s, in->output_tokens) <= in->tpot_target_s)
                    lo = mid;
                else
                    hi = mid - 1;
            }
            B = lo;
        }
    }
    o->batch = (int)B;
    o->kv_bytes_per_gpu = B * per_seq;
    decode_step(m, &s, B, ctx, &o->step_gemm_s, &o->step_attn_s, &o->gemm_memory_bound);
    o->step_s = o->step_gemm_s + o->step_attn_s;
    o->tpot_s = o->step_s + B * o->prefill_s / in->output_tokens;
    o->tok_s_per_user = 1.0 / o->tpot_s;
    o->out_tok_s_per_gpu = B / o->tpot_s / tp;
    o->in_tok_s_per_gpu = o->out_tok_s_per_gpu * in->input_tokens / in->output_tokens;
    o->facility_w_per_gpu = wm_power_facility_w_per_gpu(in->gpu, &in->power);
    double served = o->out_tok_s_per_gpu * in->power.util;
    o->j_per_out_token = served > 0 ? o->facility_w_per_gpu / served : INFINITY;
    o->usd_per_m_out_tokens = served > 0 ? in->usd_per_gpu_h / (served * 3600.0) * 1e6 : INFINITY;
    return WM_OK;
}

wm_status wm_llm_serve(const wm_serve_in *in, wm_serve_out *out, wm_err *err)
{
    memset(out, 0, sizeof *out);
    wm_status st = check_serve(in, err);
    if (st != WM_OK)
        return st;
    if (in->tp > 0)
        return serve_tp(in, in->tp, out, err);
    static const int tps[] = {1, 2, 4, 8, 16, 32, 64};
    bool any = false;
    wm_status last = WM_EINFEASIBLE;
    for (size_t i = 0; i < sizeof tps / sizeof tps[0]; i++) {
        int tp = tps[i];
        if (tp > in->n_gpus || in->n_gpus % tp)
            continue;
        wm_serve_out o;
        wm_err e2;
        wm_err_clear(&e2);
        st = serve_tp(in, tp, &o, &e2);
        if (st == WM_OK) {
            if (!any || o.out_tok_s_per_gpu > out->out_tok_s_per_gpu * (1 + 1e-12))
                *out = o;
            any = true;
        } else {
            last = st;
            if (err && !any)
                *err = e2;
            if (st != WM_EINFEASIBLE)
                return st;
        }
    }
    if (any && err)
        wm_err_clear(err);
    return any ? WM_OK : last;
}

wm_status wm_llm_decode_time(const wm_serve_in *in, double *seconds, wm_err *err)
{
    *seconds = NAN;
    wm_status st = check_serve(in, err);
    if (st != WM_OK)
        return st;
    if (in->tp < 1)
        return wm_err_set(err, WM_EINVAL, "", 0, 0, "decode time needs an explicit tensor-parallel degree");
    sys s;
    st = make_sys(in, in->tp, &s, err);
    if (st != WM_OK)
        return st;
    double need = in->model->params_total * s.wb / in->tp +
                  (in->input_tokens + in->output_tokens) * s.kvb / s.shard;
    if (need > s.cap)
        return wm_err_set(err, WM_EINFEASIBLE, "", 0, 0, "%s does not fit: %.1f GB per GPU needed, %.1f GB usable",
                          in->model->id, need / 1e9, s.cap / 1e9);
    double t = 0;
    int n = (int)in->output_tokens;
    for (int i = 0; i < n; i++) {
        double g, a;
        bool mb;
        decode_step(in->model, &s, 1, in->input_tokens + i, &g, &a, &mb);
        t += g + a;
    }
    *seconds = t;
    return WM_OK;
}
