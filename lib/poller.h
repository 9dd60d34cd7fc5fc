/* poller.h - the fleet poller: runs miner ops (miner.h) against thousands of miners at once
 * on one epoll loop. Non-blocking connects, one request per connection (the cgminer API
 * closes after each reply), a deadline per request, jittered retries with back-off, a bound
 * on connections in flight and on the bytes kept per reply.
 *
 * Invariants: a miner whose reply did not arrive keeps NaN telemetry (unknown), never 0 W;
 * memory is allocated at wm_poller_new (slot buffers grow only up to WM_MINER_MAX_REPLY);
 * the poller never prints; one wm_poller_run call finishes every op it was given (done or
 * failed) before returning. Also owns target lists ("127.0.0.1-127.0.3.232:4028,..."). */
#ifndef WM_POLLER_H
#define WM_POLLER_H

#include "miner.h"

#include <netinet/in.h>

typedef struct wm_target {
    struct sockaddr_in addr;
    char name[24];   /* "127.0.3.232:4028" */
} wm_target;

/* Parse comma-separated targets: an IPv4 address or an inclusive range A-B (last octet
 * wraps over the third, skipping .0 and .255), each with an optional :port (default
 * default_port). At most max targets. Errors carry the column. */
wm_status wm_targets_parse(const char *text, int default_port, wm_target **out, size_t *n, size_t max,
                           wm_err *err);

typedef struct wm_poller_opts {
    int max_inflight;     /* connections at once (default 512) */
    int timeout_ms;       /* per request: connect + send + reply (default 3000) */
    int retries;          /* extra attempts after a timeout/refusal (default 1) */
    int backoff_ms;       /* first retry delay; doubled each time, +-50% jitter (default 100) */
    uint64_t seed;        /* jitter */
} wm_poller_opts;
void wm_poller_opts_default(wm_poller_opts *o);

typedef struct wm_poll_stats {
    long requests, replies, retries;
    long fails[WM_MF__COUNT];
    double seconds;
    size_t peak_buffer_bytes;  /* sum of slot buffers at the end */
} wm_poll_stats;

typedef struct wm_poller wm_poller;
wm_status wm_poller_new(const wm_poller_opts *o, wm_poller **out);
void wm_poller_free(wm_poller *p);
/* Run ops[i] against targets[i] for i < n, concurrently, until all are done. On return
 * every op has done = true; op->fail says how it ended. Request durations (seconds) are
 * written to dur_s[i] when dur_s is not NULL (NaN when no reply). */
wm_status wm_poller_run(wm_poller *p, const wm_target *targets, wm_miner_op *ops, size_t n, double *dur_s,
                        wm_poll_stats *stats);

#endif
