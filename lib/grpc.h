/* grpc.h - the Braiins OS public API (gRPC over HTTP/2 on TCP 50051) for the miner drivers:
 * a hand-written protobuf reader/writer for the few messages we use, the gRPC message framing
 * (1 flag byte + 4-byte big-endian length), a blocking HTTP/2 client on libnghttp2, and the
 * Braiins verbs (Login, PauseMining, ResumeMining, SetPowerTarget, GetMinerStats) behind the
 * wm_miner_op interface of miner.h.
 *
 * Wire formats come from the public .proto files, braiins/bos-plus-api `proto/bos/v1/`:
 * authentication.proto (LoginRequest{username=1,password=2}; LoginResponse{token=1,
 * timeout_s=2} in 23.03-23.05, empty later with the token in the `authorization` response
 * header: we accept both), actions.proto (PauseMiningResponse{already_paused=1},
 * ResumeMiningResponse{already_mining=1}), performance.proto (SetPowerTargetRequest{
 * save_action=1, power_target=2}, SetPowerTargetResponse{power_target=1}), common.proto
 * (SaveAction: SAVE_AND_APPLY = 2), units.proto (Power{uint64 watt=1}), miner.proto
 * (GetMinerStatsResponse{power_stats=3}, MinerPowerStats{approximated_consumption=1}).
 *
 * Invariants: readers never read past the given buffer and reject truncated varints, lengths
 * that overrun, wire types 3/4/6/7 and compressed gRPC messages; replies are bounded by
 * WM_GRPC_MAX_MESSAGE; nothing here prints. */
#ifndef WM_GRPC_H
#define WM_GRPC_H

#include "miner.h"

#include <stdbool.h>
#include <stdint.h>

#define WM_GRPC_MAX_MESSAGE (64u * 1024u)
#define WM_GRPC_BOS_PORT 50051

/* gRPC status codes used here (grpc/doc/statuscodes.md). */
enum { WM_GRPC_OK = 0, WM_GRPC_INVALID_ARGUMENT = 3, WM_GRPC_UNIMPLEMENTED = 12, WM_GRPC_UNAUTHENTICATED = 16 };

/* ---- protobuf */
typedef struct wm_grpc_pb_field {
    uint32_t num;
    int wire;             /* 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 */
    uint64_t v;           /* varint / fixed value */
    const uint8_t *b;     /* wire 2: the bytes */
    size_t blen;
} wm_grpc_pb_field;

/* Next field of msg starting at *off. WM_OK (field filled, *off advanced), WM_ENOTFOUND at
 * the end, WM_EPARSE on malformed input (err says at which byte). */
wm_status wm_grpc_pb_next(const uint8_t *msg, size_t len, size_t *off, wm_grpc_pb_field *f, wm_err *err);
/* The last occurrence (proto3: last one wins) of field `num` along a path of nested messages,
 * e.g. {3,1,1} = power_stats.approximated_consumption.watt. WM_ENOTFOUND when absent. */
wm_status wm_grpc_pb_path(const uint8_t *msg, size_t len, const uint32_t *path, int depth, wm_grpc_pb_field *out,
                          wm_err *err);

typedef struct wm_grpc_pbw {
    uint8_t *buf;
    size_t n, cap;
    bool over;            /* set when cap was too small: the message is invalid */
} wm_grpc_pbw;
void wm_grpc_pbw_varint(wm_grpc_pbw *w, uint32_t num, uint64_t v);
void wm_grpc_pbw_bytes(wm_grpc_pbw *w, uint32_t num, const void *b, size_t len);

/* ---- gRPC message framing */
/* Write the 5-byte prefix + msg into out (cap >= len + 5); returns the framed length or 0. */
size_t wm_grpc_frame(const uint8_t *msg, size_t len, uint8_t *out, size_t cap);
/* Parse one framed message at the start of buf: msg and mlen point into buf; *used = bytes
 * consumed. Errors: WM_EPARSE (short, compressed flag, bad flag), WM_ELIMIT (too long). */
wm_status wm_grpc_unframe(const uint8_t *buf, size_t len, const uint8_t **msg, size_t *mlen, size_t *used,
                          wm_err *err);
/* Percent-decode a grpc-message header value into out (NUL-terminated, truncated to cap). */
void wm_grpc_pct_decode(const char *in, size_t n, char *out, size_t cap);
/* Percent-encode for a grpc-message header (encodes '%' and bytes outside 0x20..0x7e). */
void wm_grpc_pct_encode(const char *in, char *out, size_t cap);

/* ---- Braiins OS messages (both directions: the emulator serves them) */
size_t wm_grpc_bos_login_req(const char *user, const char *password, uint8_t *out, size_t cap);
size_t wm_grpc_bos_set_power_req(int save_action, uint64_t watt, uint8_t *out, size_t cap);
/* Decoders: WM_OK and the value, or an error for malformed bytes. Absent fields are the
 * proto3 defaults (empty, 0, false), except as noted. */
wm_status wm_grpc_bos_login_req_parse(const uint8_t *m, size_t n, char *user, size_t ucap, char *pass, size_t pcap,
                                      wm_err *err);
wm_status wm_grpc_bos_login_resp_parse(const uint8_t *m, size_t n, char *token, size_t cap, wm_err *err);
wm_status wm_grpc_bos_set_power_req_parse(const uint8_t *m, size_t n, int *save_action, uint64_t *watt, bool *has_target,
                                          wm_err *err);
/* SetPowerTargetResponse.power_target.watt; WM_ENOTFOUND when the miner did not say. */
wm_status wm_grpc_bos_set_power_resp_parse(const uint8_t *m, size_t n, uint64_t *watt, wm_err *err);
/* Pause/ResumeMiningResponse field 1 (already_paused / already_mining). */
wm_status wm_grpc_bos_flag_resp_parse(const uint8_t *m, size_t n, bool *flag, wm_err *err);
/* GetMinerStatsResponse.power_stats.approximated_consumption.watt; WM_ENOTFOUND if absent. */
wm_status wm_grpc_bos_stats_power_parse(const uint8_t *m, size_t n, uint64_t *watt, wm_err *err);

/* ---- client */
typedef struct wm_grpc_conn wm_grpc_conn;
typedef struct wm_grpc_result {
    int http_status;        /* :status, 0 when none came */
    int grpc_status;        /* -1 when the trailers had none */
    char message[256];      /* grpc-message, decoded */
    char auth[160];         /* `authorization` response header (Braiins Login), "" if none */
    uint8_t *body;          /* the raw DATA bytes (framed); owned, free() */
    size_t body_len;
} wm_grpc_result;
/* Connect (h2c, prior knowledge) to host:port within timeout_ms. Errors: WM_EIO (refused,
 * timeout: *fail says which). */
wm_status wm_grpc_connect(const char *host, int port, int timeout_ms, wm_grpc_conn **out, wm_miner_fail *fail);
/* One unary call: POST path with the framed req; token (may be NULL) goes in `authorization`.
 * WM_OK when the exchange completed (check res->grpc_status); WM_EIO on transport failure
 * (*fail = timeout/refused/malformed). */
wm_status wm_grpc_call(wm_grpc_conn *c, const char *path, const char *token, const uint8_t *req, size_t req_len,
                       int timeout_ms, wm_grpc_result *res, wm_miner_fail *fail);
void wm_grpc_result_clear(wm_grpc_result *r);
void wm_grpc_close(wm_grpc_conn *c);

/* Run op (fw bosminer) over gRPC: Login (when op->user is set), then PauseMining (STOP),
 * ResumeMining (RESUME), SetPowerTarget{SAVE_AND_APPLY, arg_w} (SET_POWER_LIMIT) or
 * GetMinerStats (READ). Finishes op (done, fail, why, data.power_w / power_limit_w). */
wm_status wm_grpc_bos_run(const char *host, int port, wm_miner_op *op, int timeout_ms);

#endif
