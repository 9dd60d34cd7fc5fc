/* miner.c - lenient cgminer-API reply parser, telemetry extraction and the 4028 drivers
 * (see miner.h). The repair pass is one linear scan with a bounded bracket stack; it keeps
 * the last "safe point" (end of a complete value) so a truncated body can be closed there.
 * Quirk list and sources: ../shared/reference/control.md section 1 and docs/miner.md.
 * Invariants: the repaired text never exceeds 2*len + 2*WM_MINER_MAX_DEPTH + 16 bytes;
 * values we cannot read stay NaN. */
#include "miner.h"
#include "grpc.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ repair pass */

typedef struct repair {
    char *out;
    size_t n, cap;
    char stack[WM_MINER_MAX_DEPTH];
    int depth;
    char prev;           /* last structural token: 0, '{','[','}',']',',',':','"','v' */
    size_t safe_n;       /* output length at the last complete value */
    char safe_stack[WM_MINER_MAX_DEPTH];
    int safe_depth;
    bool have_safe;
    unsigned quirks;
} repair;

static void put(repair *r, char c)
{
    if (r->n < r->cap)
        r->out[r->n++] = c;
}

static void mark_safe(repair *r)
{
    r->safe_n = r->n;
    r->safe_depth = r->depth;
    memcpy(r->safe_stack, r->stack, (size_t)r->depth);
    r->have_safe = true;
}

static bool is_value_end(char p) { return p == '}' || p == ']' || p == 'v' || p == '"'; }

static bool tok_char(unsigned char c) { return isalnum(c) || c == '+' || c == '-' || c == '.'; }

/* Returns false on a fatal error (too deep / stray text); *done when the root closed. */
static wm_status repair_json(const char *in, size_t len, repair *r, wm_err *err)
{
    bool in_str = false, esc = false;
    size_t str_start = 0;
    bool done = false;
    for (size_t i = 0; i < len && !done; i++) {
        unsigned char c = (unsigned char)in[i];
        if (in_str) {
            if (esc) {
                esc = false;
                put(r, c < 0x20 ? 'n' : (char)c);
            } else if (c == '\\') {
                esc = true;
                put(r, '\\');
            } else if (c == '"') {
                unsigned char nx = i + 1 < len ? (unsigned char)in[i + 1] : 0;
                if (r->n == str_start && nx && !strchr(",:}] \t\r\n", nx)) {
                    r->quirks |= WM_Q_DOUBLE_QUOTE; /* ""temp0 -> "temp0 */
                    continue;
                }
                in_str = false;
                put(r, '"');
                r->prev = '"';
            } else if (c < 0x20) {
                r->quirks |= WM_Q_CONTROL_CHAR;
                put(r, ' ');
            } else {
                put(r, (char)c);
            }
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c < 0x20 || c == 0x7f) {
            r->quirks |= WM_Q_CONTROL_CHAR;
            continue;
        }
        bool in_array = r->depth > 0 && r->stack[r->depth - 1] == '[';
        switch (c) {
        case '"':
            if (in_array && is_value_end(r->prev)) {
                r->quirks |= WM_Q_MISSING_COMMA;
                mark_safe(r);
                put(r, ',');
            }
            put(r, '"');
            in_str = true;
            str_start = r->n;
            break;
        case '{':
        case '[':
            if (r->depth > 0 && (r->prev == '}' || r->prev == ']' || (in_array && is_value_end(r->prev)))) {
                r->quirks |= WM_Q_MISSING_COMMA;
                mark_safe(r);
                put(r, ',');
            } else if (r->depth == 0 && r->prev != 0) {
                done = true; /* a second root: ignore what follows the first */
                break;
            }
            if (r->depth >= WM_MINER_MAX_DEPTH)
                return wm_err_set(err, WM_EPARSE, "reply", 0, (long)i + 1,
                                  "nesting deeper than %d levels", WM_MINER_MAX_DEPTH);
            r->stack[r->depth++] = (char)c;
            put(r, (char)c);
            r->prev = (char)c;
            break;
        case '}':
        case ']':
            if (r->depth == 0) {
                done = true;
                break;
            }
            if (r->prev == ',') {
                r->quirks |= WM_Q_EXTRA_COMMA;
                r->n--;
            } else if (r->prev == ':') {
                put(r, 'n'), put(r, 'u'), put(r, 'l'), put(r, 'l');
            }
            r->depth--;
            put(r, r->stack[r->depth] == '{' ? '}' : ']');
            r->prev = '}';
            mark_safe(r);
            if (r->depth == 0)
                done = true;
            break;
        case ',':
            if (r->prev == 0 || r->prev == '[' || r->prev == '{' || r->prev == ',') {
                r->quirks |= WM_Q_EXTRA_COMMA;
                break;
            }
            mark_safe(r);
            put(r, ',');
            r->prev = ',';
            break;
        case ':':
            put(r, ':');
            r->prev = ':';
            break;
        default: {
            size_t j = i;
            while (j < len && tok_char((unsigned char)in[j]))
                j++;
            if (j == i) /* a byte that cannot start a value */
                return wm_err_set(err, WM_EPARSE, "reply", 0, (long)i + 1,
                                  "unexpected byte 0x%02x, expected a JSON value", c);
            size_t tl = j - i;
            const char *t = in + i;
            if (in_array && is_value_end(r->prev)) {
                r->quirks |= WM_Q_MISSING_COMMA;
                mark_safe(r);
                put(r, ',');
            }
            bool nonfinite = false;
            const char *nf[] = {"inf", "-inf", "+inf", "nan", "-nan", "infinity", "-infinity"};
            for (size_t k = 0; k < sizeof nf / sizeof *nf; k++)
                if (tl == strlen(nf[k]) && strncasecmp(t, nf[k], tl) == 0)
                    nonfinite = true;
            if (nonfinite) {
                r->quirks |= WM_Q_NONFINITE;
                put(r, 'n'), put(r, 'u'), put(r, 'l'), put(r, 'l');
            } else {
                for (size_t k = 0; k < tl; k++)
                    put(r, t[k]);
            }
            r->prev = 'v';
            i = j - 1;
            if (j == len && r->depth > 0) /* token cut by the end of the body */
                r->prev = 'x';
            break;
        }
        }
    }
    if (r->depth > 0 || in_str) {
        r->quirks |= WM_Q_TRUNCATED;
        if (!r->have_safe)
            return wm_err_set(err, WM_EPARSE, "reply", 0, (long)len,
                              "reply truncated before its first complete value");
        r->n = r->safe_n;
        r->depth = r->safe_depth;
        memcpy(r->stack, r->safe_stack, (size_t)r->depth);
        if (r->n > 0 && r->out[r->n - 1] == ',')
            r->n--;
        while (r->depth > 0) {
            r->depth--;
            put(r, r->stack[r->depth] == '{' ? '}' : ']');
        }
    }
    return WM_OK;
}

/* ------------------------------------------------------------------ text form */

/* Split at unescaped `sep` within [s, e); returns the end of the piece. */
static const char *text_piece(const char *s, const char *e, char sep)
{
    while (s < e) {
        if (*s == '\\' && s + 1 < e)
            s += 2;
        else if (*s == sep)
            return s;
        else
            s++;
    }
    return e;
}

static json_t *text_value(const char *s, const char *e)
{
    char buf[512];
    size_t n = 0;
    for (; s < e && n + 1 < sizeof buf; s++) {
        if (*s == '\\' && s + 1 < e)
            s++;
        buf[n++] = *s;
    }
    buf[n] = 0;
    if (n > 0 && n < 64) {
        char *end;
        errno = 0;
        if (strspn(buf, "0123456789") == n && n < 19)
            return json_integer(strtoll(buf, NULL, 10));
        if (buf[0] == '-' && n > 1 && strspn(buf + 1, "0123456789") == n - 1 && n < 19)
            return json_integer(strtoll(buf, NULL, 10));
        double v = strtod(buf, &end);
        if (*end == 0 && errno == 0 && isfinite(v) && (isdigit((unsigned char)buf[0]) || buf[0] == '-' || buf[0] == '.'))
            return json_real(v);
    }
    return json_stringn(buf, n);
}

static void text_key(const char *s, const char *e, char *key, size_t cap)
{
    size_t n = 0;
    for (; s < e && n + 1 < cap; s++) {
        if (*s == '\\' && s + 1 < e)
            s++;
        key[n++] = *s;
    }
    key[n] = 0;
}

static wm_status parse_text(const char *buf, size_t len, json_t **out, wm_err *err)
{
    json_t *root = json_object();
    const char *p = buf, *e = buf + len;
    int nsec = 0;
    while (p < e) {
        const char *se = text_piece(p, e, '|');
        if (se > p) {
            if (++nsec > 4096) {
                json_decref(root);
                return wm_err_set(err, WM_ELIMIT, "reply", 0, (long)(p - buf) + 1, "more than 4096 sections");
            }
            json_t *obj = json_object();
            char name[64] = "";
            const char *f = p;
            bool first = true;
            while (f < se) {
                const char *fe = text_piece(f, se, ',');
                const char *eq = text_piece(f, fe, '=');
                char key[128];
                text_key(f, eq, key, sizeof key);
                if (first) {
                    snprintf(name, sizeof name, "%.63s", key);
                    first = false;
                }
                if (eq < fe && key[0])
                    json_object_set_new(obj, key, text_value(eq + 1, fe));
                f = fe < se ? fe + 1 : fe;
            }
            if (!name[0] || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ +") != strlen(name)) {
                json_decref(obj);
                json_decref(root);
                return wm_err_set(err, WM_EPARSE, "reply", 0, (long)(p - buf) + 1,
                                  "expected a section name (STATUS=, SUMMARY, ...) in the text reply");
            }
            json_t *arr = json_object_get(root, name);
            if (!arr) {
                arr = json_array();
                json_object_set_new(root, name, arr);
            }
            json_array_append_new(arr, obj);
        }
        p = se < e ? se + 1 : se;
    }
    if (!json_object_get(root, "STATUS")) {
        json_decref(root);
        return wm_err_set(err, WM_EPARSE, "reply", 0, 1, "text reply without a STATUS section");
    }
    *out = root;
    return WM_OK;
}

/* ------------------------------------------------------------------ status */

static void copy_str(char *dst, size_t cap, const json_t *v)
{
    if (json_is_string(v))
        snprintf(dst, cap, "%s", json_string_value(v));
}

static void read_status_obj(wm_miner_reply *r, const json_t *st)
{
    const json_t *letter = json_object_get(st, "STATUS");
    if (json_is_string(letter)) {
        const char *s = json_string_value(letter);
        r->status = (strlen(s) == 1 && strchr("SIWEF", s[0])) ? s[0] : 'S';
        if (strlen(s) != 1)
            snprintf(r->msg, sizeof r->msg, "%s", s);
    }
    double code = wm_miner_num(st, "Code");
    if (isfinite(code) && fabs(code) < 1e9) /* out-of-range codes stay "absent" (no UB cast) */
        r->code = (int)code;
    double when = wm_miner_num(st, "When");
    if (isfinite(when) && fabs(when) < 9e18)
        r->when = (int64_t)when;
    copy_str(r->msg, sizeof r->msg, json_object_get(st, "Msg"));
    copy_str(r->description, sizeof r->description, json_object_get(st, "Description"));
}

static bool read_status(wm_miner_reply *r, const json_t *holder)
{
    const json_t *st = json_object_get(holder, "STATUS");
    if (json_is_array(st) && json_is_object(json_array_get(st, 0))) {
        read_status_obj(r, json_array_get(st, 0));
        return true;
    }
    if (json_is_object(st)) { /* Whatsminer 2.0.4: a dict where a list belongs */
        r->quirks |= WM_Q_STATUS_SHAPE;
        read_status_obj(r, st);
        return true;
    }
    if (json_is_string(st)) { /* {"STATUS":"RESTART"} or Whatsminer v2 flat replies */
        r->quirks |= WM_Q_STATUS_SHAPE;
        read_status_obj(r, holder);
        return true;
    }
    return false;
}

void wm_miner_reply_clear(wm_miner_reply *reply)
{
    if (!reply)
        return;
    json_decref(reply->root);
    memset(reply, 0, sizeof *reply);
    reply->status = '?';
    reply->code = -1;
    reply->when = -1;
}

wm_status wm_miner_parse(const char *buf, size_t len, wm_miner_reply *reply, wm_err *err)
{
    memset(reply, 0, sizeof *reply);
    reply->status = '?';
    reply->code = -1;
    reply->when = -1;
    if (!buf && len)
        return WM_EINVAL;
    if (len > WM_MINER_MAX_REPLY)
        return wm_err_set(err, WM_ELIMIT, "reply", 0, 0, "reply of %zu bytes exceeds the %u byte limit",
                          len, WM_MINER_MAX_REPLY);
    while (len > 0 && (buf[len - 1] == 0 || isspace((unsigned char)buf[len - 1]))) {
        if (buf[len - 1] == 0)
            reply->quirks |= WM_Q_NUL;
        len--;
    }
    size_t i = 0;
    while (i < len && (isspace((unsigned char)buf[i]) || buf[i] == ','))
        i++;
    if (i == len)
        return wm_err_set(err, WM_EPARSE, "reply", 0, 1, "empty reply");
    if (i > 0 && memchr(buf, ',', i))
        reply->quirks |= WM_Q_EXTRA_COMMA;
    json_t *root = NULL;
    if (buf[i] == '{' || buf[i] == '[') {
        repair r = {0};
        r.cap = 2 * len + 2 * WM_MINER_MAX_DEPTH + 16;
        r.out = malloc(r.cap);
        if (!r.out)
            return WM_ENOMEM;
        wm_status st = repair_json(buf + i, len - i, &r, err);
        if (st != WM_OK) {
            free(r.out);
            return st;
        }
        json_error_t je;
        root = json_loadb(r.out, r.n, JSON_DECODE_ANY, &je);
        free(r.out);
        reply->quirks |= r.quirks;
        if (!root)
            return wm_err_set(err, WM_EPARSE, "reply", 0, je.position + 1,
                              "invalid JSON after repair: %s", je.text);
        if (!json_is_object(root)) {
            json_decref(root);
            return wm_err_set(err, WM_EPARSE, "reply", 0, 1, "expected a JSON object");
        }
    } else {
        wm_status st = parse_text(buf + i, len - i, &root, err);
        if (st != WM_OK)
            return st;
        reply->quirks |= WM_Q_TEXT;
    }
    reply->root = root;
    if (!read_status(reply, root)) {
        /* multi-command: {"summary":[{"STATUS":[..],..}],"devs":[..]} - worst status wins */
        const char *k;
        json_t *v;
        bool any = false;
        json_object_foreach(root, k, v) {
            json_t *sub = json_array_get(v, 0);
            if (!json_is_object(sub))
                continue;
            wm_miner_reply tmp = {.status = '?', .code = -1, .when = -1};
            if (!read_status(&tmp, sub))
                continue;
            bool worse = !any || (wm_miner_reply_ok(reply) && !wm_miner_reply_ok(&tmp));
            if (worse) {
                reply->status = tmp.status;
                reply->code = tmp.code;
                reply->when = tmp.when;
                memcpy(reply->msg, tmp.msg, sizeof reply->msg);
                memcpy(reply->description, tmp.description, sizeof reply->description);
            }
            any = true;
        }
        if (!any) {
            json_decref(root);
            reply->root = NULL;
            return wm_err_set(err, WM_EPARSE, "reply", 0, 1, "reply has no STATUS");
        }
    }
    return WM_OK;
}

bool wm_miner_reply_ok(const wm_miner_reply *r)
{
    return r && r->root && (r->status == 'S' || r->status == 'I' || r->status == 'W');
}

json_t *wm_miner_section(const wm_miner_reply *reply, const char *name)
{
    if (!reply || !reply->root || !name)
        return NULL;
    json_t *a = json_object_get(reply->root, name);
    if (a)
        return a;
    char lower[64];
    size_t n = strlen(name);
    if (n >= sizeof lower)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        lower[i] = (char)tolower((unsigned char)name[i]);
    json_t *sub = json_array_get(json_object_get(reply->root, lower), 0);
    return json_object_get(sub, name);
}

json_t *wm_miner_item(const wm_miner_reply *reply, const char *name, size_t i)
{
    json_t *a = wm_miner_section(reply, name);
    if (json_is_object(a)) /* dict where a list belongs */
        return i == 0 ? a : NULL;
    json_t *o = json_array_get(a, i);
    return json_is_object(o) ? o : NULL;
}

double wm_miner_num(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (!v && key && strchr(key, '%')) {
        /* "Pool Stale%%" (S19 bmminer 1.0): also look for the doubled form */
        char alt[96];
        size_t n = 0;
        for (const char *p = key; *p && n + 2 < sizeof alt; p++) {
            alt[n++] = *p;
            if (*p == '%')
                alt[n++] = '%';
        }
        alt[n] = 0;
        v = json_object_get(obj, alt);
    }
    if (json_is_integer(v))
        return (double)json_integer_value(v);
    if (json_is_real(v))
        return isfinite(json_real_value(v)) ? json_real_value(v) : NAN;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        while (isspace((unsigned char)*s))
            s++;
        if (!*s)
            return NAN;
        char *end;
        errno = 0;
        double d = strtod(s, &end);
        while (isspace((unsigned char)*end))
            end++;
        if (end == s || *end || errno || !isfinite(d))
            return NAN;
        return d;
    }
    return NAN;
}

/* ------------------------------------------------------------------ telemetry */

void wm_miner_data_init(wm_miner_data *d)
{
    memset(d, 0, sizeof *d);
    d->hashrate_th_s = d->power_w = d->power_limit_w = NAN;
    d->temp_max_c = d->fan_rpm_max = d->elapsed_s = NAN;
    d->when = -1;
    d->state = WM_MS_UNKNOWN;
}

static double maxn(double a, double b)
{
    if (!isfinite(a))
        return b;
    if (!isfinite(b))
        return a;
    return a > b ? a : b;
}

static double hashrate_of(const json_t *o)
{
    static const struct { const char *k; double to_th; } keys[] = {
        {"GHS 5s", 1e-3}, {"MHS 5s", 1e-6}, {"GHS av", 1e-3}, {"MHS av", 1e-6},
    };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        double v = wm_miner_num(o, keys[i].k);
        if (isfinite(v) && v >= 0)
            return v * keys[i].to_th;
    }
    return NAN;
}

static void hashrate_elapsed(const json_t *o, wm_miner_data *d)
{
    double h = hashrate_of(o), e = wm_miner_num(o, "Elapsed");
    if (isfinite(h))
        d->hashrate_th_s = h;
    if (isfinite(e))
        d->elapsed_s = e;
}

/* temp1.., temp2_1.., temp3_1..: numeric sensors; 0 means "no sensor" on Bitmain. */
static bool sensor_key(const char *k, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(k, prefix, n) != 0 || !isdigit((unsigned char)k[n]))
        return false;
    for (const char *p = k + n; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '_')
            return false;
    return true;
}

static void bitmain_stats(const json_t *o, wm_miner_data *d)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        if (!json_is_number(v))
            continue;
        double x = json_number_value(v);
        if (x <= 0 || !isfinite(x))
            continue;
        if (sensor_key(k, "temp") && x < 150)
            d->temp_max_c = maxn(d->temp_max_c, x);
        else if (sensor_key(k, "fan"))
            d->fan_rpm_max = maxn(d->fan_rpm_max, x);
    }
}

void wm_miner_extract(const wm_miner_reply *r, wm_miner_data *d)
{
    if (!r || !r->root)
        return;
    if (r->when >= 0)
        d->when = r->when;
    json_t *o;
    if ((o = wm_miner_item(r, "SUMMARY", 0))) {
        hashrate_elapsed(o, d);
        double p = wm_miner_num(o, "Power"); /* Whatsminer */
        if (isfinite(p) && p >= 0)
            d->power_w = p;
        double pl = wm_miner_num(o, "Power Limit");
        if (isfinite(pl) && pl > 0)
            d->power_limit_w = pl;
        double t = wm_miner_num(o, "Temperature");
        if (isfinite(t) && t > 0)
            d->temp_max_c = maxn(d->temp_max_c, t);
    }
    json_t *stats = wm_miner_section(r, "STATS");
    for (size_t i = 0; i < json_array_size(stats); i++) {
        o = json_array_get(stats, i);
        copy_str(d->model, sizeof d->model, json_object_get(o, "Type"));
        if (json_object_get(o, "GHS 5s") || json_object_get(o, "Elapsed")) {
            hashrate_elapsed(o, d);
            bitmain_stats(o, d);
        }
    }
    if ((o = wm_miner_item(r, "VERSION", 0)))
        copy_str(d->model, sizeof d->model, json_object_get(o, "Type"));
    for (size_t i = 0; (o = wm_miner_item(r, "TEMPS", i)); i++) {
        double b = wm_miner_num(o, "Board"), c = wm_miner_num(o, "Chip");
        if (isfinite(b) && b > 0)
            d->temp_max_c = maxn(d->temp_max_c, b);
        if (isfinite(c) && c > 0)
            d->temp_max_c = maxn(d->temp_max_c, c);
    }
    for (size_t i = 0; (o = wm_miner_item(r, "FANS", i)); i++) {
        double rpm = wm_miner_num(o, "RPM");
        if (isfinite(rpm) && rpm >= 0)
            d->fan_rpm_max = maxn(d->fan_rpm_max, rpm);
    }
    if ((o = wm_miner_item(r, "TUNERSTATUS", 0))) {
        double p = wm_miner_num(o, "ApproximateMinerPowerConsumption");
        if (isfinite(p) && p >= 0)
            d->power_w = p;
        double pl = wm_miner_num(o, "PowerLimit");
        if (isfinite(pl) && pl > 0)
            d->power_limit_w = pl;
    }
    if ((o = wm_miner_item(r, "POWER", 0))) { /* LuxOS */
        double p = wm_miner_num(o, "Watts");
        if (isfinite(p) && p >= 0)
            d->power_w = p;
    }
    if ((o = wm_miner_item(r, "PAUSE", 0)) || (o = wm_miner_item(r, "CURTAIL", 0))) {
        (void)o;
    }
    if (isfinite(d->hashrate_th_s))
        d->state = d->hashrate_th_s > 0 ? WM_MS_MINING : WM_MS_SLEEPING;
}

/* ------------------------------------------------------------------ names */

const char *wm_miner_fw_name(wm_miner_fw fw)
{
    static const char *n[] = {"unknown", "stock", "cgminer", "bosminer", "luxos", "whatsminer"};
    return (unsigned)fw < WM_FW__COUNT ? n[fw] : "?";
}

wm_status wm_miner_fw_parse(const char *text, wm_miner_fw *fw)
{
    for (int i = 0; i < WM_FW__COUNT; i++)
        if (text && strcasecmp(text, wm_miner_fw_name((wm_miner_fw)i)) == 0) {
            *fw = (wm_miner_fw)i;
            return WM_OK;
        }
    return WM_ENOTFOUND;
}

const char *wm_miner_verb_name(wm_miner_verb v)
{
    static const char *n[] = {"read", "stop", "resume", "set_power_limit"};
    return (unsigned)v < 4 ? n[v] : "?";
}

const char *wm_miner_state_name(wm_miner_state s)
{
    static const char *n[] = {"unknown", "mining", "sleeping"};
    return (unsigned)s < 3 ? n[s] : "?";
}

const char *wm_miner_fail_name(wm_miner_fail f)
{
    static const char *n[] = {"none", "timeout", "refused", "malformed", "status_e", "unsupported", "stale"};
    return (unsigned)f < WM_MF__COUNT ? n[f] : "?";
}

wm_miner_fw wm_miner_fw_detect(const wm_miner_reply *version)
{
    if (!version || !version->root)
        return WM_FW_UNKNOWN;
    char *s = json_dumps(version->root, JSON_COMPACT);
    if (!s)
        return WM_FW_UNKNOWN;
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    wm_miner_fw fw = WM_FW_UNKNOWN;
    if (strstr(s, "luxminer"))
        fw = WM_FW_LUXOS;
    else if (strstr(s, "bosminer"))
        fw = WM_FW_BOSMINER;
    else if (strstr(s, "btminer") || strstr(s, "whatsminer"))
        fw = WM_FW_WHATSMINER;
    else if (strstr(s, "bmminer") || strstr(s, "antminer"))
        fw = WM_FW_STOCK;
    else if (strstr(s, "cgminer"))
        fw = WM_FW_CGMINER;
    free(s);
    return fw;
}

bool wm_miner_can(wm_miner_fw fw, wm_miner_verb v)
{
    if (v == WM_VERB_READ)
        return true;
    /* stop/resume: bosminer pause/resume on 4028 (or gRPC), LuxOS curtail; power limit:
     * LuxOS as named profiles on 4028, bosminer as a power target over gRPC :50051 */
    return fw == WM_FW_BOSMINER || fw == WM_FW_LUXOS;
}

const char *wm_miner_why_not(wm_miner_fw fw, wm_miner_verb v)
{
    if (wm_miner_can(fw, v))
        return NULL;
    switch (fw) {
    case WM_FW_STOCK:
        return "not commandable: stock Antminer is read-only on 4028 (api-allow puts all clients in group A)";
    case WM_FW_WHATSMINER:
        return "not commandable: Whatsminer writes need the API enabled and its admin password; none configured";
    case WM_FW_CGMINER:
        return "not commandable: plain cgminer has no curtail or power-limit command";
    default:
        return "not commandable: firmware unknown (no usable `version` reply)";
    }
}

void wm_miner_op_set_grpc(wm_miner_op *op, const char *user, const char *password, int grpc_port)
{
    snprintf(op->user, sizeof op->user, "%s", user ? user : "");
    snprintf(op->password, sizeof op->password, "%s", password ? password : "");
    op->grpc_port = grpc_port;
}

bool wm_miner_op_grpc(const wm_miner_op *op)
{
    return op->fw == WM_FW_BOSMINER && (op->grpc_port > 0 || op->verb == WM_VERB_SET_POWER_LIMIT);
}

wm_status wm_miner_lux_pick_profile(const wm_miner_reply *profiles, double limit_w, char *name, size_t cap,
                                    double *watts, double *lowest_w)
{
    static const char *name_keys[] = {"Profile Name", "Profile", "Name"};
    double best = -1, lowest = INFINITY;
    const char *best_name = NULL;
    json_t *o;
    for (size_t i = 0; (o = wm_miner_item(profiles, "PROFILES", i)); i++) {
        double w = wm_miner_num(o, "Watts");
        const char *nm = NULL;
        for (size_t k = 0; k < 3 && !nm; k++)
            nm = json_string_value(json_object_get(o, name_keys[k]));
        if (!isfinite(w) || w <= 0 || !nm || !*nm || strlen(nm) >= cap || strpbrk(nm, ",\\\"|"))
            continue;
        if (w < lowest)
            lowest = w;
        if (w <= limit_w && w > best) {
            best = w;
            best_name = nm;
        }
    }
    *lowest_w = isfinite(lowest) ? lowest : NAN;
    if (!best_name)
        return WM_ENOTFOUND;
    snprintf(name, cap, "%s", best_name);
    *watts = best;
    return WM_OK;
}

/* ------------------------------------------------------------------ drivers */

/* LuxOS steps: 0 logon, 1 session (only after a refused logon), 2 curtail, 3 logoff. A power
 * limit first reads `profiles` (no session needed), then logon, `atmset <sid>,enabled=false`
 * (ATM would override a manual profile: pyasic PR#267), `profileset <sid>,<name>`, logoff. */
enum { LX_LOGON = 0, LX_SESSION, LX_CURTAIL, LX_LOGOFF, LX_PROFILES, LX_ATMSET, LX_PROFILESET };

void wm_miner_op_init(wm_miner_op *op, wm_miner_fw fw, wm_miner_verb verb, double arg_w)
{
    memset(op, 0, sizeof *op);
    op->fw = fw;
    op->verb = verb;
    op->arg_w = arg_w;
    op->profile_w = NAN;
    if (verb == WM_VERB_SET_POWER_LIMIT)
        op->step = LX_PROFILES;
    wm_miner_data_init(&op->data);
}

void wm_miner_op_fail(wm_miner_op *op, wm_miner_fail f, const char *why)
{
    op->fail = f;
    op->done = true;
    snprintf(op->why, sizeof op->why, "%.127s", why ? why : wm_miner_fail_name(f));
}


static wm_status emit(char *buf, size_t cap, size_t *len, const char *fmt, const char *a, const char *b)
{
    int n = snprintf(buf, cap, fmt, a, b);
    if (n < 0 || (size_t)n >= cap)
        return WM_ELIMIT;
    *len = (size_t)n;
    return WM_OK;
}

wm_status wm_miner_op_next(wm_miner_op *op, char *buf, size_t cap, size_t *len)
{
    if (op->done)
        return WM_EINVAL;
    if (op->fw == WM_FW_UNKNOWN)
        return emit(buf, cap, len, "{\"command\":\"version\"%s%s}", "", "");
    if (!wm_miner_can(op->fw, op->verb)) {
        wm_miner_op_fail(op, WM_MF_UNSUPPORTED, wm_miner_why_not(op->fw, op->verb));
        return WM_EUNSUPPORTED;
    }
    if (wm_miner_op_grpc(op)) {
        wm_miner_op_fail(op, WM_MF_UNSUPPORTED, "Braiins OS power targets use gRPC on :50051, not the 4028 poller");
        return WM_EUNSUPPORTED;
    }
    if (op->verb == WM_VERB_SET_POWER_LIMIT && !(isfinite(op->arg_w) && op->arg_w > 0)) {
        wm_miner_op_fail(op, WM_MF_UNSUPPORTED, "power limit must be a positive number of watts");
        return WM_EINVAL;
    }
    if (op->verb == WM_VERB_READ) {
        static const char *cmd[] = {"version", "stats", "summary", "summary+temps+fans+tunerstatus",
                                    "summary+power+temps+fans", "summary"};
        return emit(buf, cap, len, "{\"command\":\"%s\"%s}", cmd[op->fw], "");
    }
    if (op->fw == WM_FW_BOSMINER)
        return emit(buf, cap, len, "{\"command\":\"%s\"%s}", op->verb == WM_VERB_STOP ? "pause" : "resume", "");
    /* LuxOS */
    switch (op->step) {
    case LX_LOGON:
        return emit(buf, cap, len, "{\"command\":\"logon\"%s%s}", "", "");
    case LX_SESSION:
        return emit(buf, cap, len, "{\"command\":\"session\"%s%s}", "", "");
    case LX_CURTAIL:
        return emit(buf, cap, len, "{\"command\":\"curtail\",\"parameter\":\"%s,%s\"}", op->sid,
                    op->verb == WM_VERB_STOP ? "sleep" : "wakeup");
    case LX_PROFILES:
        return emit(buf, cap, len, "{\"command\":\"profiles\"%s%s}", "", "");
    case LX_ATMSET:
        return emit(buf, cap, len, "{\"command\":\"atmset\",\"parameter\":\"%s,%s\"}", op->sid, "enabled=false");
    case LX_PROFILESET:
        return emit(buf, cap, len, "{\"command\":\"profileset\",\"parameter\":\"%s,%s\"}", op->sid, op->profile);
    default:
        return emit(buf, cap, len, "{\"command\":\"logoff\",\"parameter\":\"%s\"%s}", op->sid, "");
    }
}

static bool valid_sid(const char *s)
{
    if (!*s || strlen(s) >= 32)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            return false;
    return true;
}

static bool take_sid(wm_miner_op *op, const wm_miner_reply *r)
{
    json_t *o = wm_miner_item(r, "SESSION", 0);
    const char *sid = json_string_value(json_object_get(o, "SessionID"));
    if (!sid || !valid_sid(sid))
        return false;
    snprintf(op->sid, sizeof op->sid, "%s", sid);
    return true;
}

/* LuxOS: the first command once a session is held; a command's reply moves to `next` or
 * fails the op with the miner's STATUS. */
static int lx_first_command(const wm_miner_op *op)
{
    return op->verb == WM_VERB_SET_POWER_LIMIT ? LX_ATMSET : LX_CURTAIL;
}

static void lx_expect_ok(wm_miner_op *op, bool ok, const char *why, int next)
{
    if (ok)
        op->step = next;
    else
        wm_miner_op_fail(op, WM_MF_STATUS_E, why);
}

wm_status wm_miner_op_feed(wm_miner_op *op, const char *buf, size_t len)
{
    if (op->done)
        return WM_EINVAL;
    wm_miner_reply r;
    wm_err e;
    wm_err_clear(&e);
    if (wm_miner_parse(buf, len, &r, &e) != WM_OK) {
        if (op->fw == WM_FW_LUXOS && op->verb != WM_VERB_READ && op->step == LX_LOGOFF) {
            op->done = true; /* logoff is best effort */
            return WM_OK;
        }
        char why[128];
        snprintf(why, sizeof why, "malformed reply: %.100s", e.msg);
        wm_miner_op_fail(op, WM_MF_MALFORMED, why);
        return WM_OK;
    }
    bool ok = wm_miner_reply_ok(&r);
    char why[128];
    snprintf(why, sizeof why, "STATUS %c code %d: %.90s", r.status, r.code, r.msg);
    if (r.status == '?' && !(op->fw == WM_FW_LUXOS && op->verb != WM_VERB_READ && op->step == LX_LOGOFF)) {
        /* cut before its STATUS letter (partial reply): malformed, not a refusal */
        wm_miner_reply_clear(&r);
        wm_miner_op_fail(op, WM_MF_MALFORMED, "reply without a STATUS letter (truncated?)");
        return WM_OK;
    }
    if (op->fw == WM_FW_UNKNOWN) {
        op->fw = ok && !(r.quirks & WM_Q_TRUNCATED) ? wm_miner_fw_detect(&r) : WM_FW_UNKNOWN;
        wm_miner_extract(&r, &op->data);
        unsigned q = r.quirks;
        wm_miner_reply_clear(&r);
        if (op->fw == WM_FW_UNKNOWN)
            wm_miner_op_fail(op, ok ? WM_MF_MALFORMED : WM_MF_STATUS_E,
                             ok ? (q & WM_Q_TRUNCATED ? "truncated version reply" : "unrecognised firmware") : why);
        return WM_OK;
    }
    if (op->verb == WM_VERB_READ || op->fw == WM_FW_BOSMINER) {
        if (ok)
            wm_miner_extract(&r, &op->data);
        else
            wm_miner_op_fail(op, WM_MF_STATUS_E, why);
        op->done = true;
        wm_miner_reply_clear(&r);
        return WM_OK;
    }
    switch (op->step) { /* LuxOS */
    case LX_PROFILES: {
        double lowest = NAN;
        if (!ok) {
            wm_miner_op_fail(op, WM_MF_STATUS_E, why);
        } else if (wm_miner_lux_pick_profile(&r, op->arg_w, op->profile, sizeof op->profile, &op->profile_w,
                                             &lowest) != WM_OK) {
            char w2[128];
            if (isfinite(lowest))
                snprintf(w2, sizeof w2, "no profile at or below %.0f W (lowest is %.0f W)", op->arg_w, lowest);
            else
                snprintf(w2, sizeof w2, "profiles reply lists no profile with Watts");
            wm_miner_op_fail(op, isfinite(lowest) ? WM_MF_STATUS_E : WM_MF_MALFORMED, w2);
        } else
            op->step = LX_LOGON;
        break;
    }
    case LX_ATMSET:
        lx_expect_ok(op, ok, why, LX_PROFILESET);
        break;
    case LX_PROFILESET:
        lx_expect_ok(op, ok, why, LX_LOGOFF);
        if (ok)
            op->data.power_limit_w = op->profile_w;
        break;
    case LX_LOGON:
        if (ok && take_sid(op, &r))
            op->step = lx_first_command(op);
        else if (!ok)
            op->step = LX_SESSION; /* a session is already open: ask for it */
        else
            wm_miner_op_fail(op, WM_MF_MALFORMED, "logon reply without a SessionID");
        break;
    case LX_SESSION:
        if (ok && take_sid(op, &r))
            op->step = lx_first_command(op);
        else
            wm_miner_op_fail(op, WM_MF_STATUS_E, ok ? "no usable session" : why);
        break;
    case LX_CURTAIL:
        lx_expect_ok(op, ok, why, LX_LOGOFF);
        break;
    default: /* logoff is best effort: the curtail has been accepted already */
        op->done = true;
        break;
    }
    wm_miner_reply_clear(&r);
    return WM_OK;
}

/* ------------------------------------------------------------------ blocking transport */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

wm_status wm_miner_exchange(const char *host, int port, const char *req, int timeout_ms,
                            char **out, size_t *out_len, wm_miner_fail *fail)
{
    *out = NULL;
    *out_len = 0;
    *fail = WM_MF_NONE;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return WM_EINVAL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return WM_EIO;
    int64_t deadline = now_ms() + timeout_ms;
    size_t cap = 8192, n = 0;
    char *buf = NULL;
    wm_status st = WM_EIO;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
        *fail = WM_MF_REFUSED;
        goto out;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int left = (int)(deadline - now_ms());
    if (left <= 0 || poll(&p, 1, left) <= 0) {
        *fail = WM_MF_TIMEOUT;
        goto out;
    }
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr) {
        *fail = WM_MF_REFUSED;
        goto out;
    }
    size_t rl = strlen(req);
    if (send(fd, req, rl, MSG_NOSIGNAL) != (ssize_t)rl) {
        *fail = WM_MF_REFUSED;
        goto out;
    }
    buf = malloc(cap + 1);
    if (!buf) {
        st = WM_ENOMEM;
        goto out;
    }
    for (;;) {
        p.events = POLLIN;
        left = (int)(deadline - now_ms());
        if (left <= 0 || poll(&p, 1, left) <= 0) {
            *fail = WM_MF_TIMEOUT;
            goto out;
        }
        if (n == cap) {
            if (cap >= WM_MINER_MAX_REPLY) {
                *fail = WM_MF_MALFORMED;
                st = WM_ELIMIT;
                goto out;
            }
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                st = WM_ENOMEM;
                goto out;
            }
            buf = nb;
        }
        ssize_t k = recv(fd, buf + n, cap - n, 0);
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (k < 0) {
            *fail = n ? WM_MF_MALFORMED : WM_MF_REFUSED;
            goto out;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    if (n > 0 && buf[n - 1] == 0)
        n--;
    buf[n] = 0;
    *out = buf;
    *out_len = n;
    buf = NULL;
    st = WM_OK;
out:
    free(buf);
    close(fd);
    return st;
}

wm_status wm_miner_run(const char *host, int port, wm_miner_op *op, int timeout_ms)
{
    if (!op->done && wm_miner_op_grpc(op))
        return wm_grpc_bos_run(host, op->grpc_port > 0 ? op->grpc_port : WM_GRPC_BOS_PORT, op, timeout_ms);
    while (!op->done) {
        if (op->fw != WM_FW_UNKNOWN && wm_miner_op_grpc(op)) /* firmware just detected: bosminer */
            return wm_grpc_bos_run(host, op->grpc_port > 0 ? op->grpc_port : WM_GRPC_BOS_PORT, op, timeout_ms);
        char req[WM_MINER_MAX_REQUEST];
        size_t rl;
        wm_status st = wm_miner_op_next(op, req, sizeof req, &rl);
        if (st == WM_EUNSUPPORTED)
            return WM_OK;
        if (st != WM_OK)
            return st;
        char *rep;
        size_t n;
        wm_miner_fail f;
        st = wm_miner_exchange(host, port, req, timeout_ms, &rep, &n, &f);
        if (st == WM_ENOMEM || st == WM_EINVAL)
            return st;
        if (st != WM_OK) {
            wm_miner_op_fail(op, f ? f : WM_MF_MALFORMED, wm_miner_fail_name(f));
            return WM_OK;
        }
        wm_miner_op_feed(op, rep, n);
        free(rep);
    }
    return WM_OK;
}
