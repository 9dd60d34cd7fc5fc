/* miner.h - the cgminer RPC API on TCP 4028 as real firmwares speak it (stock Antminer
 * bmminer, Braiins bosminer, LuxOS, plain cgminer): a lenient reply parser (JSON and text
 * forms, NUL framing, multi-command replies, the quirks of ../shared/reference/control.md
 * section 1), telemetry extraction, and the control verbs behind one interface modelled on
 * pyasic's (read data, stop mining, resume mining, set power limit).
 *
 * Drivers are transport-free state machines: wm_miner_op_next() gives the next request to
 * send, wm_miner_op_feed() consumes its reply. The epoll fleet poller (fleet.h) and the
 * blocking helper wm_miner_exchange() both run them. Invariants: telemetry that a reply does
 * not carry stays NaN ("unknown"), never 0; STATUS E/F is a failure; replies larger than
 * WM_MINER_MAX_REPLY are refused; nothing here prints or allocates per field. */
#ifndef WM_MINER_H
#define WM_MINER_H

#include "wattmux.h"

#include <jansson.h>
#include <stdbool.h>

#define WM_MINER_MAX_REPLY (256u * 1024u) /* stats of a big miner is < 70 KB */
#define WM_MINER_MAX_REQUEST 512
#define WM_MINER_MAX_DEPTH 32

/* Quirks repaired while parsing (bit set in wm_miner_reply.quirks). */
enum {
    WM_Q_NUL = 1 << 0,          /* trailing NUL byte(s) */
    WM_Q_MISSING_COMMA = 1 << 1, /* "}{" */
    WM_Q_EXTRA_COMMA = 1 << 2,   /* "[,{", ",}", leading ',' */
    WM_Q_CONTROL_CHAR = 1 << 3,  /* raw newline or control byte */
    WM_Q_DOUBLE_QUOTE = 1 << 4,  /* ""key */
    WM_Q_NONFINITE = 1 << 5,     /* bare inf / nan */
    WM_Q_TRUNCATED = 1 << 6,     /* body cut short; closed at the last complete value */
    WM_Q_STATUS_SHAPE = 1 << 7,  /* STATUS as a dict or a bare string */
    WM_Q_TEXT = 1 << 8           /* text (key=value|) form */
};

typedef struct wm_miner_reply {
    json_t *root;        /* owned: the repaired JSON (text replies are converted) */
    char status;         /* 'S','I','W','E','F', or '?' when absent */
    int code;            /* -1 when absent */
    int64_t when;        /* STATUS When, -1 when absent */
    char msg[128];
    char description[96];
    unsigned quirks;
} wm_miner_reply;

/* Parse one reply body (NUL optional). On success reply->root is set (free with
 * wm_miner_reply_clear). Errors: WM_ELIMIT (too large), WM_EPARSE (err says where). */
wm_status wm_miner_parse(const char *buf, size_t len, wm_miner_reply *reply, wm_err *err);
void wm_miner_reply_clear(wm_miner_reply *reply);
/* True when STATUS is S or I (W is a warning: data still usable, also true). */
bool wm_miner_reply_ok(const wm_miner_reply *reply);
/* The array of section `name` ("SUMMARY"): root[name] in a single reply, root[lower(name)][0]
 * [name] in a multi-command reply ("summary+devs"). NULL when absent. Element i via
 * wm_miner_item(). */
json_t *wm_miner_section(const wm_miner_reply *reply, const char *name);
json_t *wm_miner_item(const wm_miner_reply *reply, const char *name, size_t i);
/* Number from a field that may be a number or a numeric string; NaN when missing, empty,
 * non-finite or not numeric. */
double wm_miner_num(const json_t *obj, const char *key);

typedef enum wm_miner_fw {
    WM_FW_UNKNOWN = 0,
    WM_FW_STOCK,    /* Bitmain bmminer/cgminer: read-only on 4028 */
    WM_FW_CGMINER,  /* plain cgminer: read-only unless the W group allows us */
    WM_FW_BOSMINER, /* Braiins OS: pause/resume on the cgminer API */
    WM_FW_LUXOS,    /* LuxOS: logon + curtail sleep|wakeup, profileset */
    WM_FW_WHATSMINER /* MicroBT btminer (API v2): reads only; writes need credentials we lack */
} wm_miner_fw;
#define WM_FW__COUNT 6
const char *wm_miner_fw_name(wm_miner_fw fw);
wm_status wm_miner_fw_parse(const char *text, wm_miner_fw *fw);
/* Identify the firmware from a `version` reply (pyasic's string match). */
wm_miner_fw wm_miner_fw_detect(const wm_miner_reply *version);

typedef enum wm_miner_verb {
    WM_VERB_READ = 0,
    WM_VERB_STOP,       /* stop mining / sleep */
    WM_VERB_RESUME,     /* resume mining / wake up */
    WM_VERB_SET_POWER_LIMIT
} wm_miner_verb;
const char *wm_miner_verb_name(wm_miner_verb v);
/* Whether firmware fw can do verb at all (stock Antminer and Whatsminer: only READ; the
 * Braiins power target goes over gRPC :50051, see grpc.h). */
bool wm_miner_can(wm_miner_fw fw, wm_miner_verb v);
/* Why fw cannot do verb (a sentence for operators), or NULL when it can. */
const char *wm_miner_why_not(wm_miner_fw fw, wm_miner_verb v);

typedef enum wm_miner_state { WM_MS_UNKNOWN = 0, WM_MS_MINING, WM_MS_SLEEPING } wm_miner_state;
const char *wm_miner_state_name(wm_miner_state s);

typedef struct wm_miner_data {
    double hashrate_th_s;   /* NaN = unknown */
    double power_w;         /* reported by the miner; NaN = unknown (stock Antminer) */
    double power_limit_w;   /* NaN = unknown */
    double temp_max_c;      /* hottest board/chip sensor; NaN = unknown */
    double fan_rpm_max;     /* NaN = unknown */
    double elapsed_s;       /* NaN = unknown */
    int64_t when;           /* miner clock of the reply, -1 unknown */
    wm_miner_state state;
    char model[48];         /* "Antminer S19 Pro" when reported */
} wm_miner_data;
void wm_miner_data_init(wm_miner_data *d);
/* Fill d from one parsed reply (single or multi-command); fields found override. */
void wm_miner_extract(const wm_miner_reply *r, wm_miner_data *d);

/* Outcome kinds, also the `kind` label of miner_api_errors_total. */
typedef enum wm_miner_fail {
    WM_MF_NONE = 0,
    WM_MF_TIMEOUT,
    WM_MF_REFUSED,
    WM_MF_MALFORMED,
    WM_MF_STATUS_E,
    WM_MF_UNSUPPORTED,
    WM_MF_STALE,        /* replies whose STATUS When stopped advancing (set by the controller) */
    WM_MF__COUNT
} wm_miner_fail;
const char *wm_miner_fail_name(wm_miner_fail f);

/* One verb against one miner: a sequence of request/reply steps. */
typedef struct wm_miner_op {
    wm_miner_fw fw;
    wm_miner_verb verb;
    double arg_w;           /* SET_POWER_LIMIT */
    int step;
    bool done;
    wm_miner_fail fail;
    char sid[32];           /* LuxOS session */
    char profile[48];       /* LuxOS SET_POWER_LIMIT: the profile chosen from `profiles` */
    double profile_w;       /* its watts */
    char user[32];          /* Braiins gRPC login ("" = no Login call) */
    char password[64];
    int grpc_port;          /* > 0: run bosminer verbs over gRPC on this port */
    wm_miner_data data;     /* READ result */
    char why[128];          /* failure detail */
} wm_miner_op;
void wm_miner_op_init(wm_miner_op *op, wm_miner_fw fw, wm_miner_verb verb, double arg_w);
/* Writes the next request (NUL-terminated; *len excludes the NUL). WM_EUNSUPPORTED when the
 * firmware cannot do the verb (op->fail set); WM_EINVAL when the op is done. */
wm_status wm_miner_op_next(wm_miner_op *op, char *buf, size_t cap, size_t *len);
/* Consume the reply to the last request. Sets op->done when the verb has finished (check
 * op->fail). Returns WM_OK unless arguments are bad. */
wm_status wm_miner_op_feed(wm_miner_op *op, const char *buf, size_t len);
/* Record a transport failure for the current step (finishes the op). */
void wm_miner_op_fail(wm_miner_op *op, wm_miner_fail f, const char *why);
/* Credentials and port for the Braiins gRPC API (user NULL = no Login). */
void wm_miner_op_set_grpc(wm_miner_op *op, const char *user, const char *password, int grpc_port);
/* True when op runs over gRPC (bosminer with a gRPC port, or its power target): the 4028
 * poller cannot run it (wm_miner_op_next fails it as unsupported); wm_miner_run can. */
bool wm_miner_op_grpc(const wm_miner_op *op);
/* LuxOS: pick from a `profiles` reply the highest-watt profile not above limit_w. WM_OK with
 * name/watts; WM_ENOTFOUND when every profile is above the limit (*lowest_w set) or none
 * carries watts. */
wm_status wm_miner_lux_pick_profile(const wm_miner_reply *profiles, double limit_w, char *name, size_t cap,
                                    double *watts, double *lowest_w);

/* Blocking exchange with one miner (one request per connection): host:port, timeout in ms.
 * *out is malloc'd (NUL-terminated, framing NUL stripped); free() it. */
wm_status wm_miner_exchange(const char *host, int port, const char *req, int timeout_ms,
                            char **out, size_t *out_len, wm_miner_fail *fail);
/* Run a whole op over blocking exchanges (4028, or gRPC when wm_miner_op_grpc(op)). port
 * is the 4028 port; the gRPC port is op->grpc_port (default WM_GRPC_BOS_PORT). */
wm_status wm_miner_run(const char *host, int port, wm_miner_op *op, int timeout_ms);

#endif
