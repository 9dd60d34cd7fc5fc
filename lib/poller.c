/* poller.c - epoll fleet poller and target lists (see poller.h). One slot per connection in
 * flight, each with a reply buffer that starts at 16 KB and grows (doubling) up to
 * WM_MINER_MAX_REPLY; ops waiting to start sit in a FIFO, retries in a small list with due
 * times. Invariants: every op handed to wm_poller_run ends done; a slot's fd is -1 when free. */
#include "poller.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ targets */

static bool parse_ip(const char *s, size_t n, uint32_t *ip)
{
    char b[20];
    if (n == 0 || n >= sizeof b)
        return false;
    memcpy(b, s, n);
    b[n] = 0;
    struct in_addr a;
    if (inet_pton(AF_INET, b, &a) != 1)
        return false;
    *ip = ntohl(a.s_addr);
    return true;
}

static void add_target(wm_target *t, uint32_t ip, int port)
{
    memset(t, 0, sizeof *t);
    t->addr.sin_family = AF_INET;
    t->addr.sin_port = htons((uint16_t)port);
    t->addr.sin_addr.s_addr = htonl(ip);
    snprintf(t->name, sizeof t->name, "%u.%u.%u.%u:%d", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255, port);
}

wm_status wm_targets_parse(const char *text, int default_port, wm_target **out, size_t *n, size_t max,
                           wm_err *err)
{
    *out = NULL;
    *n = 0;
    if (!text)
        return WM_EINVAL;
    size_t cap = 64, cnt = 0;
    wm_target *t = malloc(cap * sizeof *t);
    if (!t)
        return WM_ENOMEM;
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, ',');
        if (!e)
            e = p + strlen(p);
        long col = (long)(p - text) + 1;
        const char *colon = memchr(p, ':', (size_t)(e - p));
        const char *dash = memchr(p, '-', (size_t)(colon ? colon - p : e - p));
        const char *ip_end = colon ? colon : e;
        int port = default_port;
        if (colon) {
            char *pe;
            long v = strtol(colon + 1, &pe, 10);
            if (pe != e || v < 1 || v > 65535) {
                free(t);
                return wm_err_set(err, WM_EPARSE, "--miners", 1, (long)(colon - text) + 2,
                                  "expected a port 1..65535");
            }
            port = (int)v;
        }
        uint32_t a, b;
        if (!parse_ip(p, (size_t)((dash ? dash : ip_end) - p), &a) ||
            (dash && !parse_ip(dash + 1, (size_t)(ip_end - dash - 1), &b))) {
            free(t);
            return wm_err_set(err, WM_EPARSE, "--miners", 1, col,
                              "expected an IPv4 address or range A-B (e.g. 127.0.0.1-127.0.3.232:4028)");
        }
        if (!dash)
            b = a;
        if (b < a) {
            free(t);
            return wm_err_set(err, WM_EPARSE, "--miners", 1, col, "range end is below its start");
        }
        for (uint64_t ip = a; ip <= b; ip++) {
            unsigned last = (unsigned)(ip & 255);
            if (a != b && (last == 0 || last == 255))
                continue;
            if (cnt == max) {
                free(t);
                return wm_err_set(err, WM_ELIMIT, "--miners", 1, col, "more than %zu miners", max);
            }
            if (cnt == cap) {
                cap *= 2;
                wm_target *nt = realloc(t, cap * sizeof *t);
                if (!nt) {
                    free(t);
                    return WM_ENOMEM;
                }
                t = nt;
            }
            add_target(&t[cnt++], (uint32_t)ip, port);
        }
        p = *e ? e + 1 : e;
    }
    if (cnt == 0) {
        free(t);
        return wm_err_set(err, WM_EPARSE, "--miners", 1, 1, "no miners given");
    }
    *out = t;
    *n = cnt;
    return WM_OK;
}

/* ------------------------------------------------------------------ poller */

typedef struct slot {
    int fd;
    long op;            /* index into ops */
    bool connected;
    char *buf;
    size_t len, cap;
    char req[WM_MINER_MAX_REQUEST];
    size_t reqlen;
    int64_t start_ms, deadline_ms;
} slot;

struct wm_poller {
    wm_poller_opts o;
    int ep;
    slot *s;
    uint64_t rng;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void wm_poller_opts_default(wm_poller_opts *o)
{
    o->max_inflight = 512;
    o->timeout_ms = 3000;
    o->retries = 1;
    o->backoff_ms = 100;
    o->seed = 1;
}

wm_status wm_poller_new(const wm_poller_opts *o, wm_poller **out)
{
    *out = NULL;
    wm_poller *p = calloc(1, sizeof *p);
    if (!p)
        return WM_ENOMEM;
    if (o)
        p->o = *o;
    else
        wm_poller_opts_default(&p->o);
    if (p->o.max_inflight < 1 || p->o.max_inflight > 8192 || p->o.timeout_ms < 1 || p->o.retries < 0) {
        free(p);
        return WM_EINVAL;
    }
    p->rng = p->o.seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
    p->ep = epoll_create1(EPOLL_CLOEXEC);
    p->s = calloc((size_t)p->o.max_inflight, sizeof *p->s);
    if (p->ep < 0 || !p->s) {
        wm_poller_free(p);
        return p->ep < 0 ? WM_EIO : WM_ENOMEM;
    }
    for (int i = 0; i < p->o.max_inflight; i++) {
        p->s[i].fd = -1;
        p->s[i].cap = 16384;
        p->s[i].buf = malloc(p->s[i].cap);
        if (!p->s[i].buf) {
            wm_poller_free(p);
            return WM_ENOMEM;
        }
    }
    *out = p;
    return WM_OK;
}

void wm_poller_free(wm_poller *p)
{
    if (!p)
        return;
    if (p->s)
        for (int i = 0; i < p->o.max_inflight; i++) {
            if (p->s[i].fd >= 0)
                close(p->s[i].fd);
            free(p->s[i].buf);
        }
    free(p->s);
    if (p->ep >= 0)
        close(p->ep);
    free(p);
}

static double jitter(wm_poller *p)
{
    p->rng ^= p->rng << 13;
    p->rng ^= p->rng >> 7;
    p->rng ^= p->rng << 17;
    return 0.5 + (double)(p->rng >> 11) / 9007199254740992.0; /* [0.5, 1.5) */
}

typedef struct run {
    wm_poller *p;
    const wm_target *tg;
    wm_miner_op *ops;
    size_t n;
    double *dur;
    wm_poll_stats *st;
    long *fifo;          /* ring of op indices ready to start */
    size_t head, count;
    long *retry;         /* ops waiting for their due time */
    int64_t *due;
    int *attempts;
    size_t nretry;
} run;

static void push(run *r, long op)
{
    r->fifo[(r->head + r->count) % r->n] = op;
    r->count++;
}

static void slot_end(run *r, slot *s)
{
    if (s->fd >= 0) {
        epoll_ctl(r->p->ep, EPOLL_CTL_DEL, s->fd, NULL);
        close(s->fd);
    }
    s->fd = -1;
    s->op = -1;
}

/* A transport failure: retry with jittered back-off, or fail the op. */
static void transport_fail(run *r, slot *s, wm_miner_fail f, int64_t t)
{
    long op = s->op;
    slot_end(r, s);
    if (r->attempts[op] <= r->p->o.retries && (f == WM_MF_TIMEOUT || f == WM_MF_REFUSED)) {
        double back = r->p->o.backoff_ms * (double)(1 << (r->attempts[op] - 1)) * jitter(r->p);
        r->due[r->nretry] = t + (int64_t)back;
        r->retry[r->nretry++] = op;
        r->st->retries++;
        return;
    }
    r->st->fails[f]++;
    char why[96];
    snprintf(why, sizeof why, "%s after %d attempt(s)", wm_miner_fail_name(f), r->attempts[op]);
    wm_miner_op_fail(&r->ops[op], f, why);
}

static void start(run *r, slot *s, long op, int64_t t)
{
    wm_miner_op *o = &r->ops[op];
    wm_status st = wm_miner_op_next(o, s->req, sizeof s->req, &s->reqlen);
    if (st != WM_OK) { /* unsupported verb: op is done already */
        if (!o->done)
            wm_miner_op_fail(o, WM_MF_UNSUPPORTED, "no request");
        r->st->fails[o->fail]++;
        return;
    }
    r->attempts[op]++;
    r->st->requests++;
    s->op = op;
    s->len = 0;
    s->connected = false;
    s->start_ms = t;
    s->deadline_ms = t + r->p->o.timeout_ms;
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        transport_fail(r, s, WM_MF_REFUSED, t);
        return;
    }
    int rc = connect(s->fd, (const struct sockaddr *)&r->tg[op].addr, sizeof r->tg[op].addr);
    if (rc < 0 && errno != EINPROGRESS) {
        transport_fail(r, s, WM_MF_REFUSED, t);
        return;
    }
    struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = (uint64_t)(s - r->p->s)};
    epoll_ctl(r->p->ep, EPOLL_CTL_ADD, s->fd, &ev);
}

static void finish_reply(run *r, slot *s, int64_t t)
{
    long op = s->op;
    wm_miner_op *o = &r->ops[op];
    r->st->replies++;
    if (r->dur)
        r->dur[op] = (double)(t - s->start_ms) / 1000.0;
    size_t n = s->len;
    slot_end(r, s);
    if (n == 0) { /* closed without a byte */
        s->op = op;
        s->fd = -1;
        transport_fail(r, s, WM_MF_REFUSED, t);
        return;
    }
    wm_miner_op before = *o;
    wm_miner_op_feed(o, s->buf, n);
    if (o->done && o->fail == WM_MF_MALFORMED && r->attempts[op] <= r->p->o.retries) {
        /* a partial or garbled reply: the verbs are idempotent, ask again */
        *o = before;
        double back = r->p->o.backoff_ms * (double)(1 << (r->attempts[op] - 1)) * jitter(r->p);
        r->due[r->nretry] = t + (int64_t)back;
        r->retry[r->nretry++] = op;
        r->st->retries++;
        return;
    }
    if (o->done) {
        if (o->fail)
            r->st->fails[o->fail]++;
    } else {
        r->attempts[op] = 0; /* next step of a multi-step verb */
        push(r, op);
    }
}

static void on_event(run *r, slot *s, uint32_t ev, int64_t t)
{
    if (!s->connected) {
        int err = 0;
        socklen_t sl = sizeof err;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
        if (err || (ev & EPOLLERR)) {
            transport_fail(r, s, WM_MF_REFUSED, t);
            return;
        }
        if (send(s->fd, s->req, s->reqlen, MSG_NOSIGNAL) != (ssize_t)s->reqlen) {
            transport_fail(r, s, WM_MF_REFUSED, t);
            return;
        }
        s->connected = true;
        struct epoll_event e = {.events = EPOLLIN, .data.u64 = (uint64_t)(s - r->p->s)};
        epoll_ctl(r->p->ep, EPOLL_CTL_MOD, s->fd, &e);
        return;
    }
    for (;;) {
        if (s->len == s->cap) {
            if (s->cap >= WM_MINER_MAX_REPLY) {
                long op = s->op;
                slot_end(r, s);
                r->st->fails[WM_MF_MALFORMED]++;
                wm_miner_op_fail(&r->ops[op], WM_MF_MALFORMED, "reply exceeds the size limit");
                return;
            }
            size_t nc = s->cap * 2;
            char *nb = realloc(s->buf, nc);
            if (!nb) {
                long op = s->op;
                slot_end(r, s);
                wm_miner_op_fail(&r->ops[op], WM_MF_MALFORMED, "out of memory");
                return;
            }
            s->buf = nb;
            s->cap = nc;
        }
        ssize_t k = recv(s->fd, s->buf + s->len, s->cap - s->len, 0);
        if (k > 0) {
            s->len += (size_t)k;
            continue;
        }
        if (k == 0) {
            finish_reply(r, s, t);
            return;
        }
        if (errno == EAGAIN || errno == EINTR)
            return;
        if (s->len > 0) /* reset after a partial reply: parse what came */
            finish_reply(r, s, t);
        else
            transport_fail(r, s, WM_MF_REFUSED, t);
        return;
    }
}

wm_status wm_poller_run(wm_poller *p, const wm_target *targets, wm_miner_op *ops, size_t n, double *dur_s,
                        wm_poll_stats *stats)
{
    wm_poll_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (n == 0)
        return WM_OK;
    run r = {.p = p, .tg = targets, .ops = ops, .n = n, .dur = dur_s, .st = stats};
    r.fifo = malloc(n * sizeof *r.fifo);
    r.retry = malloc(n * sizeof *r.retry);
    r.due = malloc(n * sizeof *r.due);
    r.attempts = calloc(n, sizeof *r.attempts);
    if (!r.fifo || !r.retry || !r.due || !r.attempts) {
        free(r.fifo), free(r.retry), free(r.due), free(r.attempts);
        return WM_ENOMEM;
    }
    int64_t t0 = now_ms();
    for (size_t i = 0; i < n; i++) {
        if (dur_s)
            dur_s[i] = NAN;
        if (!ops[i].done)
            push(&r, (long)i);
    }
    int inflight = 0;
    struct epoll_event evs[256];
    for (;;) {
        int64_t t = now_ms();
        /* retries that are due join the FIFO */
        for (size_t i = 0; i < r.nretry;) {
            if (r.due[i] <= t) {
                push(&r, r.retry[i]);
                r.retry[i] = r.retry[--r.nretry];
                r.due[i] = r.due[r.nretry];
            } else
                i++;
        }
        inflight = 0;
        for (int i = 0; i < p->o.max_inflight; i++)
            inflight += p->s[i].fd >= 0;
        for (int i = 0; i < p->o.max_inflight && r.count > 0; i++) {
            if (p->s[i].fd >= 0)
                continue;
            long op = r.fifo[r.head];
            r.head = (r.head + 1) % n;
            r.count--;
            start(&r, &p->s[i], op, t);
            inflight += p->s[i].fd >= 0;
        }
        if (inflight == 0 && r.count == 0 && r.nretry == 0)
            break;
        int64_t wake = t + 50;
        for (int i = 0; i < p->o.max_inflight; i++)
            if (p->s[i].fd >= 0 && p->s[i].deadline_ms < wake)
                wake = p->s[i].deadline_ms;
        for (size_t i = 0; i < r.nretry; i++)
            if (r.due[i] < wake)
                wake = r.due[i];
        int tmo = (int)(wake - t);
        int k = epoll_wait(p->ep, evs, 256, tmo < 0 ? 0 : tmo);
        t = now_ms();
        for (int i = 0; i < k; i++) {
            slot *s = &p->s[evs[i].data.u64];
            if (s->fd >= 0)
                on_event(&r, s, evs[i].events, t);
        }
        for (int i = 0; i < p->o.max_inflight; i++) {
            slot *s = &p->s[i];
            if (s->fd >= 0 && t >= s->deadline_ms)
                transport_fail(&r, s, WM_MF_TIMEOUT, t);
        }
    }
    stats->seconds = (double)(now_ms() - t0) / 1000.0;
    for (int i = 0; i < p->o.max_inflight; i++)
        stats->peak_buffer_bytes += p->s[i].cap;
    free(r.fifo), free(r.retry), free(r.due), free(r.attempts);
    return WM_OK;
}
