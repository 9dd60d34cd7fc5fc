/* grpc.c - protobuf reader/writer, gRPC framing, a blocking HTTP/2 (h2c) client on libnghttp2
 * and the Braiins OS verbs (see grpc.h for the .proto sources of every field number).
 * Invariants: every read is bounds-checked against the buffer it was given; the client keeps
 * at most WM_GRPC_MAX_MESSAGE + 5 bytes of reply body and fails beyond that. */
#include "grpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ protobuf */

static wm_status varint(const uint8_t *m, size_t len, size_t *off, uint64_t *v, wm_err *err)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*off >= len)
            return wm_err_set(err, WM_EPARSE, "protobuf", 0, (long)*off + 1, "varint cut by the end of the message");
        uint8_t b = m[(*off)++];
        if (shift == 63 && (b & 0x7e))
            return wm_err_set(err, WM_EPARSE, "protobuf", 0, (long)*off, "varint longer than 64 bits");
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return WM_OK;
        }
    }
    return wm_err_set(err, WM_EPARSE, "protobuf", 0, (long)*off, "varint longer than 10 bytes");
}

wm_status wm_grpc_pb_next(const uint8_t *msg, size_t len, size_t *off, wm_grpc_pb_field *f, wm_err *err)
{
    if (*off >= len)
        return WM_ENOTFOUND;
    size_t at = *off;
    uint64_t key;
    wm_status st = varint(msg, len, off, &key, err);
    if (st != WM_OK)
        return st;
    memset(f, 0, sizeof *f);
    f->num = (uint32_t)(key >> 3);
    f->wire = (int)(key & 7);
    if (f->num == 0 || key >> 3 > 0x1fffffff)
        return wm_err_set(err, WM_EPARSE, "protobuf", 0, (long)at + 1, "field number %llu out of range",
                          (unsigned long long)(key >> 3));
    switch (f->wire) {
    case 0:
        return varint(msg, len, off, &f->v, err);
    case 1:
    case 5: {
        size_t w = f->wire == 1 ? 8 : 4;
        if (len - *off < w)
            return wm_err_set(err, WM_EPARSE, "protobuf", 0, (long)*off + 1, "fixed%zu field cut short", 8 * w);
        uint64_t x = 0;
        for (size_t i = 0; i < w; i++)
            x |= (uint64_t)msg[*off + i] << (8 * i);
        f->v = x;
        *off += w;
        return WM_OK;
    }
    case 2: {
        uint64_t n;
        st = varint(msg, len, off, &n, err);
        if (st != WM_OK)
            return st;
        if (n > len - *off)
            return wm_err_set(err, WM_EPARSE, "protobuf", 0, (long)*off + 1,
                              "length %llu overruns the message (%zu bytes left)", (unsigned long long)n, len - *off);
        f->b = msg + *off;
        f->blen = (size_t)n;
        *off += (size_t)n;
        return WM_OK;
    }
    default:
        return wm_err_set(err, WM_EPARSE, "protobuf", 0, (long)at + 1,
                          "wire type %d (groups/unknown) not expected in these messages", f->wire);
    }
}

/* Last occurrence of field num in msg (walking every field, so malformed tails are errors). */
static wm_status pb_last(const uint8_t *msg, size_t len, uint32_t num, wm_grpc_pb_field *out, wm_err *err)
{
    size_t off = 0;
    bool found = false;
    wm_grpc_pb_field f;
    wm_status st;
    while ((st = wm_grpc_pb_next(msg, len, &off, &f, err)) == WM_OK)
        if (f.num == num) {
            *out = f;
            found = true;
        }
    if (st != WM_ENOTFOUND)
        return st;
    return found ? WM_OK : WM_ENOTFOUND;
}

wm_status wm_grpc_pb_path(const uint8_t *msg, size_t len, const uint32_t *path, int depth, wm_grpc_pb_field *out,
                          wm_err *err)
{
    const uint8_t *m = msg;
    size_t n = len;
    for (int i = 0; i < depth; i++) {
        wm_grpc_pb_field f;
        wm_status st = pb_last(m, n, path[i], &f, err);
        if (st != WM_OK)
            return st;
        if (i == depth - 1) {
            *out = f;
            return WM_OK;
        }
        if (f.wire != 2)
            return wm_err_set(err, WM_EPARSE, "protobuf", 0, 0, "field %u should be a message (wire type 2), got %d",
                              path[i], f.wire);
        m = f.b;
        n = f.blen;
    }
    return WM_EINVAL;
}

static void put_raw_varint(wm_grpc_pbw *w, uint64_t v)
{
    do {
        uint8_t b = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            b |= 0x80;
        if (w->n < w->cap)
            w->buf[w->n++] = b;
        else
            w->over = true;
    } while (v);
}

void wm_grpc_pbw_varint(wm_grpc_pbw *w, uint32_t num, uint64_t v)
{
    put_raw_varint(w, (uint64_t)num << 3);
    put_raw_varint(w, v);
}

void wm_grpc_pbw_bytes(wm_grpc_pbw *w, uint32_t num, const void *b, size_t len)
{
    put_raw_varint(w, ((uint64_t)num << 3) | 2);
    put_raw_varint(w, len);
    if (len > w->cap - w->n || w->n > w->cap) {
        w->over = true;
        return;
    }
    memcpy(w->buf + w->n, b, len);
    w->n += len;
}

/* ------------------------------------------------------------------ framing */

size_t wm_grpc_frame(const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
    if (len > WM_GRPC_MAX_MESSAGE || cap < len + 5)
        return 0;
    out[0] = 0;
    out[1] = (uint8_t)(len >> 24);
    out[2] = (uint8_t)(len >> 16);
    out[3] = (uint8_t)(len >> 8);
    out[4] = (uint8_t)len;
    if (len)
        memcpy(out + 5, msg, len);
    return len + 5;
}

wm_status wm_grpc_unframe(const uint8_t *buf, size_t len, const uint8_t **msg, size_t *mlen, size_t *used,
                          wm_err *err)
{
    if (len < 5)
        return wm_err_set(err, WM_EPARSE, "grpc", 0, (long)len + 1, "message prefix needs 5 bytes, got %zu", len);
    if (buf[0] == 1)
        return wm_err_set(err, WM_EPARSE, "grpc", 0, 1, "compressed message, but no grpc-encoding was negotiated");
    if (buf[0] != 0)
        return wm_err_set(err, WM_EPARSE, "grpc", 0, 1, "compressed-flag byte 0x%02x, expected 0", buf[0]);
    uint32_t n = (uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 8 | buf[4];
    if (n > WM_GRPC_MAX_MESSAGE)
        return wm_err_set(err, WM_ELIMIT, "grpc", 0, 2, "message of %u bytes exceeds the %u byte limit", n,
                          WM_GRPC_MAX_MESSAGE);
    if (n > len - 5)
        return wm_err_set(err, WM_EPARSE, "grpc", 0, (long)len + 1, "message of %u bytes cut at %zu", n, len - 5);
    *msg = buf + 5;
    *mlen = n;
    *used = 5 + (size_t)n;
    return WM_OK;
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void wm_grpc_pct_decode(const char *in, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    if (cap == 0)
        return;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        char c = in[i];
        if (c == '%' && i + 2 < n + 0 && hexv(in[i + 1]) >= 0 && hexv(in[i + 2]) >= 0) {
            c = (char)(hexv(in[i + 1]) * 16 + hexv(in[i + 2]));
            i += 2;
        }
        out[k++] = (c == 0 || (unsigned char)c < 0x20) ? ' ' : c;
    }
    out[k] = 0;
}

void wm_grpc_pct_encode(const char *in, char *out, size_t cap)
{
    size_t k = 0;
    if (cap == 0)
        return;
    for (; *in && k + 4 < cap; in++) {
        unsigned char c = (unsigned char)*in;
        if (c == '%' || c < 0x20 || c > 0x7e)
            k += (size_t)snprintf(out + k, cap - k, "%%%02X", c);
        else
            out[k++] = (char)c;
    }
    out[k] = 0;
}

/* ------------------------------------------------------------------ Braiins messages */

size_t wm_grpc_bos_login_req(const char *user, const char *password, uint8_t *out, size_t cap)
{
    wm_grpc_pbw w = {.buf = out, .cap = cap};
    if (user && *user)
        wm_grpc_pbw_bytes(&w, 1, user, strlen(user));
    if (password && *password)
        wm_grpc_pbw_bytes(&w, 2, password, strlen(password));
    return w.over ? 0 : w.n;
}

size_t wm_grpc_bos_set_power_req(int save_action, uint64_t watt, uint8_t *out, size_t cap)
{
    uint8_t inner[16];
    wm_grpc_pbw pw = {.buf = inner, .cap = sizeof inner};
    if (watt)
        wm_grpc_pbw_varint(&pw, 1, watt); /* Power.watt */
    wm_grpc_pbw w = {.buf = out, .cap = cap};
    if (save_action)
        wm_grpc_pbw_varint(&w, 1, (uint64_t)save_action);
    wm_grpc_pbw_bytes(&w, 2, inner, pw.n); /* present even for 0 W, so the server sees the request */
    return w.over || pw.over ? 0 : w.n;
}

static wm_status str_field(const uint8_t *m, size_t n, uint32_t num, char *out, size_t cap, wm_err *err)
{
    wm_grpc_pb_field f;
    out[0] = 0;
    wm_status st = pb_last(m, n, num, &f, err);
    if (st == WM_ENOTFOUND)
        return WM_OK;
    if (st != WM_OK)
        return st;
    if (f.wire != 2)
        return wm_err_set(err, WM_EPARSE, "protobuf", 0, 0, "field %u should be a string", num);
    size_t k = 0;
    for (size_t i = 0; i < f.blen && k + 1 < cap; i++)
        out[k++] = f.b[i] >= 0x20 && f.b[i] < 0x7f ? (char)f.b[i] : '?';
    out[k] = 0;
    return WM_OK;
}

wm_status wm_grpc_bos_login_req_parse(const uint8_t *m, size_t n, char *user, size_t ucap, char *pass, size_t pcap,
                                      wm_err *err)
{
    wm_status st = str_field(m, n, 1, user, ucap, err);
    return st != WM_OK ? st : str_field(m, n, 2, pass, pcap, err);
}

wm_status wm_grpc_bos_login_resp_parse(const uint8_t *m, size_t n, char *token, size_t cap, wm_err *err)
{
    return str_field(m, n, 1, token, cap, err);
}

static wm_status uint_path(const uint8_t *m, size_t n, const uint32_t *path, int depth, uint64_t *v, wm_err *err)
{
    wm_grpc_pb_field f;
    wm_status st = wm_grpc_pb_path(m, n, path, depth, &f, err);
    if (st != WM_OK)
        return st;
    if (f.wire != 0)
        return wm_err_set(err, WM_EPARSE, "protobuf", 0, 0, "field %u should be a varint, got wire type %d",
                          path[depth - 1], f.wire);
    *v = f.v;
    return WM_OK;
}

wm_status wm_grpc_bos_set_power_req_parse(const uint8_t *m, size_t n, int *save_action, uint64_t *watt, bool *has_target,
                                          wm_err *err)
{
    static const uint32_t sa[] = {1}, pt[] = {2}, w[] = {2, 1};
    uint64_t v = 0;
    wm_status st = uint_path(m, n, sa, 1, &v, err);
    if (st != WM_OK && st != WM_ENOTFOUND)
        return st;
    *save_action = st == WM_OK ? (int)(v > 16 ? 16 : v) : 0;
    wm_grpc_pb_field f;
    st = wm_grpc_pb_path(m, n, pt, 1, &f, err);
    if (st != WM_OK && st != WM_ENOTFOUND)
        return st;
    *has_target = st == WM_OK;
    *watt = 0;
    if (*has_target) {
        st = uint_path(m, n, w, 2, watt, err);
        if (st != WM_OK && st != WM_ENOTFOUND)
            return st;
    }
    return WM_OK;
}

wm_status wm_grpc_bos_set_power_resp_parse(const uint8_t *m, size_t n, uint64_t *watt, wm_err *err)
{
    static const uint32_t p[] = {1, 1};
    return uint_path(m, n, p, 2, watt, err);
}

wm_status wm_grpc_bos_flag_resp_parse(const uint8_t *m, size_t n, bool *flag, wm_err *err)
{
    static const uint32_t p[] = {1};
    uint64_t v = 0;
    wm_status st = uint_path(m, n, p, 1, &v, err);
    if (st != WM_OK && st != WM_ENOTFOUND)
        return st;
    *flag = v != 0;
    return WM_OK;
}

wm_status wm_grpc_bos_stats_power_parse(const uint8_t *m, size_t n, uint64_t *watt, wm_err *err)
{
    static const uint32_t p[] = {3, 1, 1};
    return uint_path(m, n, p, 3, watt, err);
}

/* ------------------------------------------------------------------ HTTP/2 client */

struct wm_grpc_conn {
    int fd;
    nghttp2_session *s;
    char authority[64];
    /* the call in progress */
    int32_t stream;
    bool closed;
    bool too_big;
    const uint8_t *req;
    size_t req_len, req_off;
    wm_grpc_result *res;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *fr, const uint8_t *name, size_t nl, const uint8_t *value,
                     size_t vl, uint8_t flags, void *ud)
{
    (void)s, (void)flags;
    wm_grpc_conn *c = ud;
    if (fr->hd.stream_id != c->stream || !c->res)
        return 0;
    wm_grpc_result *r = c->res;
    char v[512];
    size_t k = vl < sizeof v - 1 ? vl : sizeof v - 1;
    memcpy(v, value, k);
    v[k] = 0;
    if (nl == 7 && !memcmp(name, ":status", 7))
        r->http_status = atoi(v);
    else if (nl == 11 && !memcmp(name, "grpc-status", 11))
        r->grpc_status = atoi(v);
    else if (nl == 12 && !memcmp(name, "grpc-message", 12))
        wm_grpc_pct_decode((const char *)value, vl, r->message, sizeof r->message);
    else if (nl == 13 && !memcmp(name, "authorization", 13))
        snprintf(r->auth, sizeof r->auth, "%.159s", v);
    return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *ud)
{
    (void)s, (void)flags;
    wm_grpc_conn *c = ud;
    if (id != c->stream || !c->res)
        return 0;
    wm_grpc_result *r = c->res;
    if (r->body_len + len > WM_GRPC_MAX_MESSAGE + 5) {
        c->too_big = true;
        return 0;
    }
    uint8_t *nb = realloc(r->body, r->body_len + len);
    if (!nb) {
        c->too_big = true;
        return 0;
    }
    r->body = nb;
    memcpy(r->body + r->body_len, data, len);
    r->body_len += len;
    return 0;
}

static int on_close(nghttp2_session *s, int32_t id, uint32_t code, void *ud)
{
    (void)s, (void)code;
    wm_grpc_conn *c = ud;
    if (id == c->stream)
        c->closed = true;
    return 0;
}

static ssize_t read_req(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                        nghttp2_data_source *src, void *ud)
{
    (void)s, (void)id, (void)src;
    wm_grpc_conn *c = ud;
    size_t k = c->req_len - c->req_off;
    if (k > len)
        k = len;
    memcpy(buf, c->req + c->req_off, k);
    c->req_off += k;
    if (c->req_off == c->req_len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)k;
}

static wm_status wait_fd(int fd, short ev, int64_t deadline)
{
    struct pollfd p = {.fd = fd, .events = ev};
    for (;;) {
        int left = (int)(deadline - now_ms());
        if (left <= 0)
            return WM_ECANCELLED;
        int k = poll(&p, 1, left);
        if (k > 0)
            return WM_OK;
        if (k < 0 && errno != EINTR)
            return WM_EIO;
    }
}

/* Flush nghttp2's output to the socket. */
static wm_status flush_out(wm_grpc_conn *c, int64_t deadline, wm_miner_fail *fail)
{
    for (;;) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(c->s, &data);
        if (n < 0) {
            *fail = WM_MF_MALFORMED;
            return WM_EIO;
        }
        if (n == 0)
            return WM_OK;
        size_t off = 0;
        while (off < (size_t)n) {
            ssize_t k = send(c->fd, data + off, (size_t)n - off, MSG_NOSIGNAL);
            if (k > 0) {
                off += (size_t)k;
                continue;
            }
            if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
                wm_status st = wait_fd(c->fd, POLLOUT, deadline);
                if (st != WM_OK) {
                    *fail = WM_MF_TIMEOUT;
                    return WM_EIO;
                }
                continue;
            }
            *fail = WM_MF_REFUSED;
            return WM_EIO;
        }
    }
}

wm_status wm_grpc_connect(const char *host, int port, int timeout_ms, wm_grpc_conn **out, wm_miner_fail *fail)
{
    *out = NULL;
    *fail = WM_MF_NONE;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (port <= 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return WM_EINVAL;
    wm_grpc_conn *c = calloc(1, sizeof *c);
    if (!c)
        return WM_ENOMEM;
    snprintf(c->authority, sizeof c->authority, "%s:%d", host, port);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        free(c);
        return WM_EIO;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int64_t deadline = now_ms() + timeout_ms;
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
        *fail = WM_MF_REFUSED;
        goto fail;
    }
    if (wait_fd(c->fd, POLLOUT, deadline) != WM_OK) {
        *fail = WM_MF_TIMEOUT;
        goto fail;
    }
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr) {
        *fail = WM_MF_REFUSED;
        goto fail;
    }
    nghttp2_session_callbacks *cb;
    if (nghttp2_session_callbacks_new(&cb) != 0)
        goto fail;
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
    int rc = nghttp2_session_client_new(&c->s, cb, c);
    nghttp2_session_callbacks_del(cb);
    if (rc != 0)
        goto fail;
    nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, NULL, 0);
    if (flush_out(c, deadline, fail) != WM_OK)
        goto fail;
    *out = c;
    return WM_OK;
fail:
    if (!*fail)
        *fail = WM_MF_REFUSED;
    wm_grpc_close(c);
    return WM_EIO;
}

void wm_grpc_close(wm_grpc_conn *c)
{
    if (!c)
        return;
    if (c->s)
        nghttp2_session_del(c->s);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

void wm_grpc_result_clear(wm_grpc_result *r)
{
    if (!r)
        return;
    free(r->body);
    memset(r, 0, sizeof *r);
    r->grpc_status = -1;
}

#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE}

wm_status wm_grpc_call(wm_grpc_conn *c, const char *path, const char *token, const uint8_t *req, size_t req_len,
                       int timeout_ms, wm_grpc_result *res, wm_miner_fail *fail)
{
    memset(res, 0, sizeof *res);
    res->grpc_status = -1;
    *fail = WM_MF_NONE;
    uint8_t framed[512];
    size_t fl = wm_grpc_frame(req, req_len, framed, sizeof framed);
    if (!fl)
        return WM_ELIMIT;
    int64_t deadline = now_ms() + timeout_ms;
    nghttp2_nv hdr[] = {
        NV(":method", "POST"), NV(":scheme", "http"), NV(":path", path), NV(":authority", c->authority),
        NV("content-type", "application/grpc"), NV("te", "trailers"), NV("authorization", token ? token : ""),
    };
    size_t nh = token && *token ? 7 : 6;
    c->req = framed;
    c->req_len = fl;
    c->req_off = 0;
    c->closed = c->too_big = false;
    c->res = res;
    nghttp2_data_provider dp = {.read_callback = read_req};
    c->stream = nghttp2_submit_request(c->s, NULL, hdr, nh, &dp, NULL);
    wm_status st = WM_OK;
    if (c->stream < 0) {
        *fail = WM_MF_MALFORMED;
        st = WM_EIO;
        goto out;
    }
    while (!c->closed) {
        if ((st = flush_out(c, deadline, fail)) != WM_OK)
            goto out;
        if (!nghttp2_session_want_read(c->s)) {
            *fail = WM_MF_MALFORMED;
            st = WM_EIO;
            goto out;
        }
        st = wait_fd(c->fd, POLLIN, deadline);
        if (st != WM_OK) {
            *fail = WM_MF_TIMEOUT;
            st = WM_EIO;
            goto out;
        }
        uint8_t buf[16384];
        ssize_t k = recv(c->fd, buf, sizeof buf, 0);
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (k <= 0) {
            *fail = k == 0 && res->http_status == 0 ? WM_MF_REFUSED : WM_MF_MALFORMED;
            st = WM_EIO;
            goto out;
        }
        if (nghttp2_session_mem_recv(c->s, buf, (size_t)k) < 0) {
            *fail = WM_MF_MALFORMED;
            st = WM_EIO;
            goto out;
        }
        if (c->too_big) {
            *fail = WM_MF_MALFORMED;
            st = WM_ELIMIT;
            goto out;
        }
    }
    flush_out(c, deadline, fail); /* window updates, best effort */
    *fail = WM_MF_NONE;
out:
    c->res = NULL;
    c->req = NULL;
    return st;
}

/* ------------------------------------------------------------------ Braiins verbs */

static bool call_ok(wm_miner_op *op, const char *what, wm_status st, wm_miner_fail f, const wm_grpc_result *r,
                    const uint8_t **msg, size_t *mlen)
{
    char why[128];
    if (st != WM_OK) {
        snprintf(why, sizeof why, "%s: gRPC transport: %s", what, wm_miner_fail_name(f ? f : WM_MF_MALFORMED));
        wm_miner_op_fail(op, f ? f : WM_MF_MALFORMED, why);
        return false;
    }
    if (r->grpc_status != WM_GRPC_OK) {
        snprintf(why, sizeof why, "%s: grpc-status %d: %.90s", what, r->grpc_status, r->message);
        wm_miner_op_fail(op, r->grpc_status < 0 ? WM_MF_MALFORMED : WM_MF_STATUS_E, why);
        return false;
    }
    size_t used;
    wm_err e;
    wm_err_clear(&e);
    if (wm_grpc_unframe(r->body, r->body_len, msg, mlen, &used, &e) != WM_OK) {
        snprintf(why, sizeof why, "%s: %.100s", what, e.msg);
        wm_miner_op_fail(op, WM_MF_MALFORMED, why);
        return false;
    }
    return true;
}

wm_status wm_grpc_bos_run(const char *host, int port, wm_miner_op *op, int timeout_ms)
{
    if (op->done)
        return WM_EINVAL;
    if (op->verb == WM_VERB_SET_POWER_LIMIT && !(isfinite(op->arg_w) && op->arg_w >= 0 && op->arg_w < 1e6))
        return WM_EINVAL;
    wm_grpc_conn *c;
    wm_miner_fail f;
    wm_status st = wm_grpc_connect(host, port, timeout_ms, &c, &f);
    if (st == WM_EINVAL || st == WM_ENOMEM)
        return st;
    if (st != WM_OK) {
        wm_miner_op_fail(op, f, "gRPC connect failed");
        return WM_OK;
    }
    wm_grpc_result r;
    const uint8_t *msg;
    size_t mlen;
    char token[160] = "";
    wm_err e;
    wm_err_clear(&e);
    uint8_t req[256];
    if (op->user[0]) {
        size_t n = wm_grpc_bos_login_req(op->user, op->password, req, sizeof req);
        st = wm_grpc_call(c, "/braiins.bos.v1.AuthenticationService/Login", NULL, req, n, timeout_ms, &r, &f);
        if (!call_ok(op, "Login", st, f, &r, &msg, &mlen))
            goto done;
        if (wm_grpc_bos_login_resp_parse(msg, mlen, token, sizeof token, &e) != WM_OK) {
            wm_miner_op_fail(op, WM_MF_MALFORMED, "Login: malformed LoginResponse");
            goto done;
        }
        if (!token[0]) /* 23.08+: the token comes in the authorization response header */
            snprintf(token, sizeof token, "%s", r.auth);
        wm_grpc_result_clear(&r);
        if (!token[0]) {
            wm_miner_op_fail(op, WM_MF_MALFORMED, "Login: no token in the reply or its authorization header");
            goto done_noclear;
        }
    }
    const char *path;
    size_t n = 0;
    switch (op->verb) {
    case WM_VERB_STOP:
        path = "/braiins.bos.v1.ActionsService/PauseMining";
        break;
    case WM_VERB_RESUME:
        path = "/braiins.bos.v1.ActionsService/ResumeMining";
        break;
    case WM_VERB_SET_POWER_LIMIT:
        path = "/braiins.bos.v1.PerformanceService/SetPowerTarget";
        n = wm_grpc_bos_set_power_req(2 /* SAVE_ACTION_SAVE_AND_APPLY */, (uint64_t)llround(op->arg_w), req, sizeof req);
        break;
    default:
        path = "/braiins.bos.v1.MinerService/GetMinerStats";
        break;
    }
    st = wm_grpc_call(c, path, token[0] ? token : NULL, req, n, timeout_ms, &r, &f);
    if (!call_ok(op, strrchr(path, '/') + 1, st, f, &r, &msg, &mlen))
        goto done;
    uint64_t w = 0;
    bool flag = false;
    wm_status pst;
    if (op->verb == WM_VERB_STOP || op->verb == WM_VERB_RESUME) {
        pst = wm_grpc_bos_flag_resp_parse(msg, mlen, &flag, &e);
        if (pst == WM_OK)
            op->data.state = op->verb == WM_VERB_STOP ? WM_MS_SLEEPING : WM_MS_MINING;
    } else if (op->verb == WM_VERB_SET_POWER_LIMIT) {
        pst = wm_grpc_bos_set_power_resp_parse(msg, mlen, &w, &e);
        if (pst == WM_ENOTFOUND)
            w = (uint64_t)llround(op->arg_w), pst = WM_OK;
        if (pst == WM_OK)
            op->data.power_limit_w = (double)w;
    } else {
        pst = wm_grpc_bos_stats_power_parse(msg, mlen, &w, &e);
        if (pst == WM_ENOTFOUND) /* no power stats: unknown, never 0 W */
            pst = WM_OK;
        else if (pst == WM_OK)
            op->data.power_w = (double)w;
    }
    if (pst != WM_OK) {
        char why[128];
        snprintf(why, sizeof why, "malformed reply: %.100s", e.msg);
        wm_miner_op_fail(op, WM_MF_MALFORMED, why);
    } else
        op->done = true;
done:
    wm_grpc_result_clear(&r);
done_noclear:
    wm_grpc_close(c);
    return WM_OK;
}
