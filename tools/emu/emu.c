/* emu.c - wattmux-emu: emulates N miners speaking the cgminer RPC API on loopback addresses
 * (127.x.y.z:4028), per ../shared/reference/control.md section 6. Profiles: stock (S17 Pro
 * style: compact JSON, "GHS 5s" a string), stock19 (S19 Pro: ", " spaced JSON, numbers),
 * cgminer (compact, MHS), bosminer (sorted keys, pause/resume, temps/fans/tunerstatus),
 * luxos (logon sessions, curtail sleep|wakeup, power, profiles/profileset/atm/atmset),
 * whatsminer (btminer API v2 reads: summary with Power; writes refused without credentials).
 * Seeds (model, hashrate, fans, temps, version strings) come from the real captures in
 * $WM_SHARED/data/control/captures. With --grpc-port P every bosminer miner also serves the
 * Braiins OS public API (gRPC over HTTP/2, libnghttp2) on its address:P: Login, PauseMining,
 * ResumeMining, SetPowerTarget (range-checked, control.md's INVALID_ARGUMENT text),
 * GetMinerStats; field numbers as in lib/grpc.h (braiins/bos-plus-api).
 *
 * State per miner: mode (mining/sleeping), power ramping linearly to ~25 W within sleep_s of
 * a curtail and back to nameplate within wake_s of a wakeup; hashrate follows power.
 * Faults (section 6) are drawn per request with the probabilities of --fault. One process,
 * one epoll loop; each miner serves one connection at a time (its listening socket leaves
 * the epoll set while a client is served). --trace writes the true site power every 100 ms
 * ("ms W mining reverted_so_far"): the ground truth the integration tests check the cap
 * against. */
#include "grpc.h"
#include "miner.h"
#include "poller.h"

#include <nghttp2/nghttp2.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum prof { P_STOCK, P_STOCK19, P_CGMINER, P_BOSMINER, P_LUXOS, P_WHATSMINER, P_COUNT };
static const char *prof_names[] = {"stock", "stock19", "cgminer", "bosminer", "luxos", "whatsminer"};
#define P_MIX 5 /* --profile mix cycles through the first five (whatsminer only when asked) */
/* --profile ctl: the commandable firmwares only (bosminer, luxos alternating) */

enum fault {
    F_DELAY, F_SILENCE, F_REFUSE, F_PARTIAL, F_DRIP, F_QUIRK, F_SHAPE, F_STALE,
    F_CURTAIL_IGNORE, F_CURTAIL_LATE, F_CURTAIL_REVERT, F_BIGSTATS, F_IPLIMIT, F_COUNT
};
static const char *fault_names[] = {"delay", "silence", "refuse", "partial", "drip", "quirk", "shape",
                                    "stale", "curtail_ignore", "curtail_late", "curtail_revert", "bigstats",
                                    "ip_limit"};
#define IPLIMIT_N 16          /* fault 11: Whatsminer serves at most 16 client IPs */
#define IPLIMIT_TTL_MS 10000  /* an IP frees its place after 10 s without a connection */
#define LX_STEPS_DOWN 16      /* LuxOS: 16 underclock and 8 overclock profiles of 25 MHz / 0.1 V */
#define LX_STEPS_UP 8

typedef struct seed {
    char model[48];
    double hashrate_th_s, power_w, temp_c, fan_rpm;
    char description[64];
} seed;

typedef struct miner {
    int lfd;
    enum prof prof;
    bool busy, sleeping, down, stale_frozen;
    double full_w, idle_w, h_full;
    double base_w, base_h;  /* nameplate (LuxOS "default" profile, Braiins default target) */
    int lx_step;            /* LuxOS profile: 0 = default, -16..+8 */
    bool atm;               /* LuxOS ATM (on by default here: profileset needs it off) */
    int glfd;               /* gRPC listening socket, -1 when off */
    char token[24];         /* Braiins gRPC session token */
    struct { uint32_t ip; int64_t last_ms; } clients[IPLIMIT_N];
    double p_from;          /* power at the last mode change */
    int64_t t_change_ms, t_start_ms, t_down_until_ms, t_revert_ms, t_late_ms;
    int64_t frozen_when;
    bool late_sleep;        /* pending late curtail */
    char sid[16];
    int64_t sid_expire_ms;
    long accepted;
    char addr[24];
} miner;

typedef enum cstate { C_READ, C_WAIT, C_WRITE, C_SILENT } cstate;
typedef struct conn {
    int fd, m;
    cstate st;
    char rbuf[4096];
    size_t rlen;
    char *w;
    size_t wlen, woff;
    int64_t due_ms, opened_ms;
    bool drip, partial;
} conn;

static struct {
    miner *m;
    size_t n;
    conn *c;
    int nconn_max;
    int ep;
    double sleep_s, wake_s, reboot_s;
    double fault_p[F_COUNT];
    double delay_max_s;
    uint64_t rng;
    seed seeds[P_COUNT];
    FILE *trace;
    volatile sig_atomic_t stop;
    int64_t t0_ms, now_ms;                  /* start, and the time of the current event */
    int64_t window_from_ms, window_until_ms; /* faults only inside [from, until) when until > 0 */
    int grpc_port;                          /* 0 = no gRPC */
    char grpc_password[64];
    struct gconn *gc;
    int ngc_max;
    long n_ignored, n_late, n_reverted;     /* curtail faults that actually happened */
} E;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double urand(void)
{
    E.rng ^= E.rng << 13; /* xorshift64 */
    E.rng ^= E.rng >> 7;
    E.rng ^= E.rng << 17;
    return (double)(E.rng >> 11) / 9007199254740992.0;
}

/* A fault fires with its probability, inside the --fault-window schedule (if any). */
static bool hit(enum fault f)
{
    if (E.fault_p[f] <= 0)
        return false;
    int64_t since = E.now_ms - E.t0_ms;
    if (E.window_until_ms > 0 && (since < E.window_from_ms || since >= E.window_until_ms))
        return false;
    return urand() < E.fault_p[f];
}

/* ---------------------------------------------------------------- miner physics */

static double power_at(const miner *m, int64_t t)
{
    double target = m->sleeping ? m->idle_w : m->full_w;
    double span_s = m->sleeping ? E.sleep_s : E.wake_s;
    double f = span_s > 0 ? (double)(t - m->t_change_ms) / (span_s * 1000.0) : 1.0;
    if (f >= 1)
        return target;
    if (f < 0)
        f = 0;
    return m->p_from + (target - m->p_from) * f;
}

static double hashrate_at(const miner *m, int64_t t)
{
    double p = power_at(m, t);
    double f = (p - m->idle_w) / (m->full_w - m->idle_w);
    if (f < 0.02) /* boards off */
        return 0;
    return m->h_full * (f > 1 ? 1 : f);
}

static void set_mode(miner *m, bool sleeping, int64_t t)
{
    if (m->sleeping == sleeping)
        return;
    m->p_from = power_at(m, t);
    m->sleeping = sleeping;
    m->t_change_ms = t;
}

/* A curtail (sleep) or wakeup, with the curtail faults: acked but ignored, applied late
 * (after 3 sleep_s), or reverted by the miner (after 2 sleep_s). */
static void curtail(miner *m, bool sleep, int64_t t)
{
    if (!sleep) {
        m->late_sleep = false;
        m->t_revert_ms = 0;
        set_mode(m, false, t);
    } else if (hit(F_CURTAIL_LATE)) {
        m->late_sleep = true;
        m->t_late_ms = t + (int64_t)(3 * E.sleep_s * 1000);
        E.n_late++;
    } else if (!hit(F_CURTAIL_IGNORE)) {
        set_mode(m, true, t);
        if (hit(F_CURTAIL_REVERT))
            m->t_revert_ms = t + (int64_t)(2 * E.sleep_s * 1000);
    } else
        E.n_ignored++;
}

/* LuxOS profile k (0 = "default"): 25 MHz and 0.1 V per step from the nameplate, as the
 * LuxOS docs' "Preset Profiles" describe (their S19j Pro example: 545 MHz at 13.4 V); power
 * taken as ~ f V^2 and hashrate ~ f. Names: "default", else "<f>MHz" (an emulator choice). */
static void lx_profile(const miner *m, int k, char *name, size_t cap, double *w, double *h, double *f_mhz)
{
    double f0 = 545, v0 = 13.4, f = f0 + 25.0 * k, v = v0 + 0.1 * k;
    *w = m->base_w * (f / f0) * (v / v0) * (v / v0);
    *h = m->base_h * f / f0;
    *f_mhz = f;
    if (k == 0)
        snprintf(name, cap, "default");
    else
        snprintf(name, cap, "%dMHz", (int)f);
}

/* A new power target (profile or Braiins SetPowerTarget): power ramps to it over wake_s. */
static void set_target(miner *m, double w, double h, int64_t t)
{
    if (!m->sleeping) {
        m->p_from = power_at(m, t);
        m->t_change_ms = t;
    }
    m->full_w = w;
    m->h_full = h;
}

static void tick_miner(miner *m, int64_t t)
{
    if (m->late_sleep && t >= m->t_late_ms) {
        m->late_sleep = false;
        set_mode(m, true, t);
    }
    if (m->t_revert_ms && t >= m->t_revert_ms) {
        m->t_revert_ms = 0;
        if (m->sleeping)
            E.n_reverted++;
        set_mode(m, false, t);
    }
}

/* ---------------------------------------------------------------- replies */

static json_t *status(char letter, int code, const char *msg, const char *desc, int64_t when)
{
    json_t *s = json_object();
    json_object_set_new(s, "STATUS", json_sprintf("%c", letter));
    json_object_set_new(s, "When", json_integer(when));
    json_object_set_new(s, "Code", json_integer(code));
    json_object_set_new(s, "Msg", json_string(msg));
    if (desc)
        json_object_set_new(s, "Description", json_string(desc));
    json_t *a = json_array();
    json_array_append_new(a, s);
    return a;
}

static json_t *reply(json_t *st, const char *sec, json_t *items)
{
    json_t *r = json_object();
    json_object_set_new(r, "STATUS", st);
    if (sec)
        json_object_set_new(r, sec, items);
    json_object_set_new(r, "id", json_integer(1));
    return r;
}

static json_t *one(json_t *o)
{
    json_t *a = json_array();
    json_array_append_new(a, o);
    return a;
}

static double r2(double x) { return round(x * 100) / 100; }

static json_t *cmd_reply(miner *m, const char *cmd, const char *param, int64_t t, int64_t when, bool shape)
{
    const seed *sd = &E.seeds[m->prof];
    const char *desc = sd->description;
    double h = hashrate_at(m, t), p = power_at(m, t);
    double elapsed = (double)(t - m->t_start_ms) / 1000.0;
    bool stock = m->prof == P_STOCK || m->prof == P_STOCK19;
    char buf[64];
    if (!strcmp(cmd, "version")) {
        json_t *v = json_object();
        if (stock) {
            json_object_set_new(v, "BMMiner", json_string("1.0.0"));
            json_object_set_new(v, "API", json_string("3.1"));
            json_object_set_new(v, "Type", json_string(sd->model));
        } else if (m->prof == P_CGMINER) {
            json_object_set_new(v, "CGMiner", json_string("4.11.1"));
            json_object_set_new(v, "API", json_string("3.7"));
        } else if (m->prof == P_BOSMINER) {
            json_object_set_new(v, "API", json_string("3.7"));
            json_object_set_new(v, "BOSminer+", json_string("0.2.0-36c56a9363"));
        } else if (m->prof == P_WHATSMINER) {
            json_object_set_new(v, "API", json_string("2.0.5"));
            json_object_set_new(v, "Miner", json_string("btminer"));
            json_object_set_new(v, "Type", json_string(sd->model));
        } else {
            json_object_set_new(v, "API", json_string("3.7"));
            json_object_set_new(v, "LUXminer", json_string("0.1.0-15436f7140"));
            json_object_set_new(v, "Type", json_string(sd->model));
        }
        return reply(status('S', 22, stock ? "CGMiner versions" : "versions", desc, when), "VERSION", one(v));
    }
    if (!strcmp(cmd, "summary")) {
        json_t *s = json_object();
        json_object_set_new(s, "Elapsed", json_integer((json_int_t)elapsed));
        if (stock) {
            snprintf(buf, sizeof buf, "%.2f", h * 1000);
            json_object_set_new(s, "GHS 5s", shape ? json_string("") : json_string(buf));
            json_object_set_new(s, "GHS av", json_real(r2(h * 1000)));
        } else {
            if (!shape)
                json_object_set_new(s, "MHS 5s", json_real(h * 1e6));
            json_object_set_new(s, "MHS av", shape ? json_string("n/a") : json_real(h * 1e6));
        }
        if (m->prof == P_WHATSMINER) { /* control.md: Whatsminer summary carries Power */
            json_object_set_new(s, "Power", json_integer((json_int_t)round(p)));
            json_object_set_new(s, "Power Limit", json_integer((json_int_t)round(m->full_w)));
            json_object_set_new(s, "Temperature", json_real(m->sleeping ? 30.0 : sd->temp_c));
        }
        json_object_set_new(s, "Accepted", json_integer(m->accepted));
        json_object_set_new(s, "Hardware Errors", json_integer(0));
        json_object_set_new(s, "Last getwork", json_integer(when));
        json_t *items = shape ? json_array() : one(s); /* SUMMARY:[] */
        if (shape)
            json_decref(s);
        return reply(status('S', 11, "Summary", desc, when), "SUMMARY", items);
    }
    if (!strcmp(cmd, "stats") && (stock || m->prof == P_CGMINER)) {
        json_t *hd = json_object(), *s = json_object();
        json_object_set_new(hd, "BMMiner", json_string("1.0.0"));
        json_object_set_new(hd, "Type", json_string(sd->model));
        json_object_set_new(s, "STATS", json_integer(0));
        json_object_set_new(s, "ID", json_string("BTM_SOC0"));
        json_object_set_new(s, "Elapsed", json_integer((json_int_t)elapsed));
        snprintf(buf, sizeof buf, "%.2f", h * 1000);
        if (m->prof == P_STOCK)
            json_object_set_new(s, "GHS 5s", json_string(shape ? "" : buf));
        else if (!shape)
            json_object_set_new(s, "GHS 5s", json_real(r2(h * 1000)));
        json_object_set_new(s, "GHS av", json_real(r2(h * 1000)));
        for (int i = 1; i <= 4; i++) {
            snprintf(buf, sizeof buf, "fan%d", i);
            json_object_set_new(s, buf, json_integer((json_int_t)(sd->fan_rpm * (m->sleeping ? 0.3 : 1.0))));
        }
        for (int i = 1; i <= 3; i++) {
            snprintf(buf, sizeof buf, "temp2_%d", i);
            json_object_set_new(s, buf, json_integer((json_int_t)(m->sleeping ? 30 : sd->temp_c)));
        }
        json_t *a = json_array();
        json_array_append_new(a, hd);
        json_array_append_new(a, s);
        return reply(status('S', 70, "CGMiner stats", desc, when), "STATS", a);
    }
    if (!strcmp(cmd, "temps") && m->prof != P_STOCK && m->prof != P_STOCK19) {
        json_t *a = json_array();
        for (int i = 0; i < 3; i++) {
            json_t *o = json_object();
            json_object_set_new(o, "Board", json_real(m->sleeping ? 30.0 : sd->temp_c - 5 * i));
            json_object_set_new(o, "Chip", json_real(0.0));
            json_object_set_new(o, "ID", json_integer(6 + i));
            json_object_set_new(o, "TEMP", json_integer(i));
            json_array_append_new(a, o);
        }
        return reply(status('S', 201, "3 Temp(s)", desc, when), "TEMPS", a);
    }
    if (!strcmp(cmd, "fans") && m->prof != P_STOCK && m->prof != P_STOCK19) {
        json_t *a = json_array();
        for (int i = 0; i < 2; i++) {
            json_t *o = json_object();
            json_object_set_new(o, "FAN", json_integer(i));
            json_object_set_new(o, "ID", json_integer(i));
            json_object_set_new(o, "RPM", json_integer((json_int_t)(sd->fan_rpm * (m->sleeping ? 0.3 : 1.0))));
            json_object_set_new(o, "Speed", json_integer(40));
            json_array_append_new(a, o);
        }
        return reply(status('S', 202, "2 Fan(s)", desc, when), "FANS", a);
    }
    if (!strcmp(cmd, "tunerstatus") && m->prof == P_BOSMINER) {
        json_t *o = json_object();
        json_object_set_new(o, "ApproximateMinerPowerConsumption", json_integer((json_int_t)round(p)));
        json_object_set_new(o, "PowerLimit", json_integer((json_int_t)m->full_w));
        return reply(status('S', 203, "Tuner Status", desc, when), "TUNERSTATUS", one(o));
    }
    if (!strcmp(cmd, "power") && m->prof == P_LUXOS) {
        json_t *o = json_object();
        json_object_set_new(o, "PSU", json_true());
        json_object_set_new(o, "Watts", json_integer((json_int_t)round(p)));
        return reply(status('S', 340, "Power", desc, when), "POWER", one(o));
    }
    if ((!strcmp(cmd, "pause") || !strcmp(cmd, "resume")) && m->prof == P_BOSMINER) {
        bool pause = !strcmp(cmd, "pause");
        json_t *o = json_object();
        json_object_set_new(o, pause ? "Paused" : "Resumed", json_true());
        curtail(m, pause, t);
        return reply(status('S', pause ? 204 : 205, pause ? "Paused" : "Resumed", desc, when),
                     pause ? "PAUSE" : "RESUME", one(o));
    }
    if (m->prof == P_LUXOS && !strcmp(cmd, "profiles")) {
        /* field names as LuxOS `profiles` items (Profile Name, Frequency, Voltage, Hashrate,
         * Watts, Step); the status code/message are this emulator's (not in the stored docs) */
        json_t *a = json_array();
        for (int k = -LX_STEPS_DOWN; k <= LX_STEPS_UP; k++) {
            char nm[32];
            double w, hh, f;
            lx_profile(m, k, nm, sizeof nm, &w, &hh, &f);
            json_t *o = json_object();
            json_object_set_new(o, "Profile Name", json_string(nm));
            json_object_set_new(o, "Frequency", json_integer((json_int_t)f));
            json_object_set_new(o, "Voltage", json_real(round((13.4 + 0.1 * k) * 10) / 10));
            json_object_set_new(o, "Hashrate", json_real(r2(hh)));
            json_object_set_new(o, "Watts", json_integer((json_int_t)round(w)));
            json_object_set_new(o, "Step", json_sprintf("%d", k));
            json_array_append_new(a, o);
        }
        return reply(status('S', 327, "Profiles", desc, when), "PROFILES", a);
    }
    if (m->prof == P_LUXOS && !strcmp(cmd, "atm")) { /* docs.luxor.tech .../luxminer/atm */
        json_t *o = json_object();
        json_object_set_new(o, "Enabled", json_boolean(m->atm));
        json_object_set_new(o, "MaxProfile", json_string("default"));
        json_object_set_new(o, "MinProfile", json_string(""));
        json_object_set_new(o, "PostRampMinutes", json_integer(15));
        json_object_set_new(o, "StartupMinutes", json_integer(15));
        json_object_set_new(o, "TempWindow", json_real(5.0));
        return reply(status('S', 339, "ATM configuration values", desc, when), "ATM", one(o));
    }
    if (m->prof == P_LUXOS && (!strcmp(cmd, "logon") || !strcmp(cmd, "session") || !strcmp(cmd, "logoff") ||
                               !strcmp(cmd, "curtail") || !strcmp(cmd, "atmset") || !strcmp(cmd, "profileset"))) {
        bool live = m->sid[0] && t < m->sid_expire_ms;
        if (!strcmp(cmd, "logon")) {
            if (live)
                return reply(status('E', 317, "Another session is active", desc, when), NULL, NULL);
            snprintf(m->sid, sizeof m->sid, "s%07x", (unsigned)(urand() * 0xfffffff));
            m->sid_expire_ms = t + 60000;
            json_t *o = json_object();
            json_object_set_new(o, "SessionID", json_string(m->sid));
            return reply(status('S', 316, "Session created", desc, when), "SESSION", one(o));
        }
        if (!strcmp(cmd, "session")) {
            json_t *o = json_object();
            json_object_set_new(o, "SessionID", json_string(live ? m->sid : ""));
            return reply(status('S', 319, "Session information", desc, when), "SESSION", one(o));
        }
        char sid[32] = "", arg[32] = "";
        const char *comma = param ? strchr(param, ',') : NULL;
        if (param) {
            size_t l = comma ? (size_t)(comma - param) : strlen(param);
            snprintf(sid, sizeof sid, "%.*s", (int)(l < 31 ? l : 31), param);
            if (comma)
                snprintf(arg, sizeof arg, "%.31s", comma + 1);
        }
        if (!live || strcmp(sid, m->sid) != 0)
            return reply(status('E', 318, "Invalid session id", desc, when), NULL, NULL);
        m->sid_expire_ms = t + 60000;
        if (!strcmp(cmd, "logoff")) {
            m->sid[0] = 0;
            return reply(status('S', 320, "Session terminated", desc, when), NULL, NULL);
        }
        if (!strcmp(cmd, "atmset")) { /* docs: "<sid>,enabled=true|false[,key=value..]", Code 340 */
            bool on;
            if (!strncmp(arg, "enabled=true", 12))
                on = true;
            else if (!strncmp(arg, "enabled=false", 13))
                on = false;
            else
                return reply(status('E', 341, "Invalid ATM configuration", desc, when), NULL, NULL);
            m->atm = on;
            return reply(status('S', 340, "ATM configuration updated", desc, when), NULL, NULL);
        }
        if (!strcmp(cmd, "profileset")) { /* docs: "<sid>,<profile>" -> Code 321 "Profile Set" */
            if (m->atm) /* not documented verbatim: LuxOS refuses manual profiles under ATM (PR#267) */
                return reply(status('E', 322, "Cannot set profile while ATM is enabled", desc, when), NULL, NULL);
            for (int k = -LX_STEPS_DOWN; k <= LX_STEPS_UP; k++) {
                char nm[32];
                double w, hh, f;
                lx_profile(m, k, nm, sizeof nm, &w, &hh, &f);
                if (strcmp(nm, arg) != 0)
                    continue;
                m->lx_step = k;
                set_target(m, w, hh, t);
                json_t *o = json_object();
                json_object_set_new(o, "Board", json_integer(0));
                json_object_set_new(o, "FrequencyStep", json_integer(5));
                json_object_set_new(o, "Profile", json_string(nm));
                json_object_set_new(o, "VoltageStep", json_real(0.05));
                return reply(status('S', 321, "Profile Set", desc, when), "PROFILE", one(o));
            }
            return reply(status('E', 323, "Invalid profile", desc, when), NULL, NULL);
        }
        bool sleep = !strcmp(arg, "sleep");
        if (!sleep && strcmp(arg, "wakeup") != 0)
            return reply(status('E', 336, "Invalid curtail action", desc, when), NULL, NULL);
        curtail(m, sleep, t);
        json_t *o = json_object();
        json_object_set_new(o, "Action", json_string(sleep ? "sleep mode" : "wake up"));
        return reply(status('S', 335, "Curtailment command sent", desc, when), "CURTAIL", one(o));
    }
    if (m->prof == P_WHATSMINER && (!strcmp(cmd, "power_off") || !strcmp(cmd, "power_on") ||
                                    !strcmp(cmd, "adjust_power_limit") || !strcmp(cmd, "set_power_pct") ||
                                    !strcmp(cmd, "restart") || !strcmp(cmd, "reboot"))) {
        /* writes need get_token + AES (control.md section 2): a plaintext write is refused */
        return reply(status('E', 135, "check token err", desc, when), NULL, NULL);
    }
    if (!strcmp(cmd, "restart")) {
        if (stock) {
            snprintf(buf, sizeof buf, "Access denied to '%s' command", cmd);
            return reply(status('E', 45, buf, desc, when), NULL, NULL);
        }
        m->down = true;
        m->t_down_until_ms = t + (int64_t)(E.reboot_s * 1000);
        json_t *r = json_object();
        json_object_set_new(r, "STATUS", json_string("RESTART"));
        json_object_set_new(r, "id", json_integer(1));
        return r;
    }
    if (stock && (!strcmp(cmd, "quit") || !strcmp(cmd, "addpool") || !strcmp(cmd, "switchpool") ||
                  !strcmp(cmd, "ascset") || !strcmp(cmd, "save"))) {
        snprintf(buf, sizeof buf, "Access denied to '%s' command", cmd);
        return reply(status('E', 45, buf, desc, when), NULL, NULL);
    }
    return reply(status('E', 14, "Invalid command", NULL, when), NULL, NULL);
}

/* ", " / ": " spacing outside strings, as new Bitmain firmware writes. */
static char *spaced(const char *s)
{
    size_t n = strlen(s);
    char *o = malloc(2 * n + 1), *q = o;
    bool in = false, esc = false;
    for (const char *p = s; *p; p++) {
        *q++ = *p;
        if (in) {
            if (esc)
                esc = false;
            else if (*p == '\\')
                esc = true;
            else if (*p == '"')
                in = false;
        } else if (*p == '"')
            in = true;
        else if (*p == ',' || *p == ':')
            *q++ = ' ';
    }
    *q = 0;
    return o;
}

static void text_escape(char **q, const char *s)
{
    for (; *s; s++) {
        if (strchr("|,=\\", *s))
            *(*q)++ = '\\';
        *(*q)++ = *s;
    }
}

/* cgminer text form: STATUS=S,When=..|SUMMARY,Elapsed=..|  */
static char *to_text(json_t *r)
{
    char *o = malloc(65536), *q = o, *end = o + 65536 - 512;
    const char *sec;
    json_t *arr;
    json_object_foreach(r, sec, arr) {
        if (!json_is_array(arr))
            continue;
        size_t i;
        json_t *it;
        json_array_foreach(arr, i, it) {
            bool first = true;
            if (strcmp(sec, "STATUS") != 0) {
                text_escape(&q, sec);
                first = false;
            }
            const char *k;
            json_t *v;
            json_object_foreach(it, k, v) {
                if (q > end)
                    break;
                if (!first)
                    *q++ = ',';
                first = false;
                text_escape(&q, k);
                *q++ = '=';
                char tmp[64];
                if (json_is_string(v))
                    text_escape(&q, json_string_value(v));
                else if (json_is_integer(v))
                    q += sprintf(q, "%lld", (long long)json_integer_value(v));
                else if (json_is_real(v))
                    q += sprintf(q, "%.2f", json_real_value(v));
                else {
                    snprintf(tmp, sizeof tmp, "%s", json_is_true(v) ? "true" : "false");
                    text_escape(&q, tmp);
                }
            }
            *q++ = '|';
        }
    }
    *q = 0;
    return o;
}

/* Apply one JSON quirk of control.md section 1 to a serialized reply (stays parseable by a
 * lenient reader). */
static char *quirk(char *s)
{
    size_t n = strlen(s);
    char *o = malloc(n + 64);
    int k = (int)(urand() * 4);
    char *p;
    if (k == 0 && (p = strstr(s, "},{"))) { /* "}{" */
        size_t a = (size_t)(p - s) + 1;
        memcpy(o, s, a);
        strcpy(o + a, p + 2);
    } else if (k == 1 && (p = strrchr(s, ']')) && p > s && p[-1] == '}') { /* ",}" */
        size_t a = (size_t)(p - s) - 1;
        memcpy(o, s, a);
        strcpy(o + a, ",}");
        strcat(o, p);
    } else if (k == 2 && (p = strstr(s, "[{"))) { /* "[,{" */
        size_t a = (size_t)(p - s) + 1;
        memcpy(o, s, a);
        o[a] = ',';
        strcpy(o + a + 1, p + 1);
    } else { /* raw newlines after commas */
        char *q = o;
        for (const char *c = s; *c && (size_t)(q - o) < n + 60; c++) {
            *q++ = *c;
            if (*c == ',' && (c - s) % 7 == 0)
                *q++ = '\n';
        }
        *q = 0;
        if ((size_t)(q - o) >= n + 60) {
            strcpy(o, s);
        }
    }
    free(s);
    return o;
}

static char *build_reply(miner *m, const char *req, size_t len, int64_t t)
{
    int64_t when = (int64_t)time(NULL);
    if (m->stale_frozen)
        when = m->frozen_when;
    else if (hit(F_STALE)) {
        m->stale_frozen = true;
        m->frozen_when = when;
    }
    bool shape = hit(F_SHAPE);
    bool json = len > 0 && req[0] == '{';
    json_t *r = NULL;
    char cmd[128] = "", param[128] = "";
    if (json) {
        json_error_t je;
        json_t *q = json_loadb(req, len, 0, &je);
        if (!q)
            r = reply(status('E', 23, "Invalid JSON", E.seeds[m->prof].description, when), NULL, NULL);
        else if (!json_is_string(json_object_get(q, "command")))
            r = reply(status('E', 24, "Missing JSON 'command'", E.seeds[m->prof].description, when), NULL, NULL);
        else {
            snprintf(cmd, sizeof cmd, "%s", json_string_value(json_object_get(q, "command")));
            const char *pa = json_string_value(json_object_get(q, "parameter"));
            if (pa)
                snprintf(param, sizeof param, "%s", pa);
        }
        json_decref(q);
    } else {
        size_t l = len;
        while (l > 0 && (req[l - 1] == '\n' || req[l - 1] == '\r' || req[l - 1] == 0))
            l--;
        const char *bar = memchr(req, '|', l);
        size_t cl = bar ? (size_t)(bar - req) : l;
        snprintf(cmd, sizeof cmd, "%.*s", (int)(cl < 127 ? cl : 127), req);
        if (bar)
            snprintf(param, sizeof param, "%.*s", (int)((l - cl - 1) < 127 ? l - cl - 1 : 127), bar + 1);
    }
    if (!r) {
        if (strchr(cmd, '+') && json) {
            r = json_object();
            char *save = NULL;
            for (char *c = strtok_r(cmd, "+", &save); c; c = strtok_r(NULL, "+", &save))
                json_object_set_new(r, c, one(cmd_reply(m, c, param[0] ? param : NULL, t, when, shape)));
            json_object_set_new(r, "id", json_integer(1));
        } else {
            r = cmd_reply(m, cmd, param[0] ? param : NULL, t, when, shape);
        }
    }
    char *out;
    if (!json) {
        out = to_text(r);
    } else {
        size_t flags = JSON_COMPACT | JSON_REAL_PRECISION(15);
        if (m->prof == P_BOSMINER)
            flags |= JSON_SORT_KEYS;
        out = json_dumps(r, flags);
        if (m->prof == P_STOCK19) {
            char *s = spaced(out);
            free(out);
            out = s;
        }
        if (hit(F_QUIRK))
            out = quirk(out);
        if (!strcmp(cmd, "stats") && hit(F_BIGSTATS)) { /* > 64 KB stats: pad a string field */
            size_t n = strlen(out);
            char *big = malloc(n + 70000);
            char *ins = strstr(out, "\"BTM_SOC0\"");
            if (ins) {
                size_t a = (size_t)(ins - out) + 1;
                memcpy(big, out, a);
                memset(big + a, 'o', 69000);
                strcpy(big + a + 69000, ins + 1);
                free(out);
                out = big;
            } else
                free(big);
        }
    }
    json_decref(r);
    return out;
}

/* ---------------------------------------------------------------- seeds from captures */

static void load_seed(enum prof p, const char *dir, const char *file, const char *file2, double power_w)
{
    seed *s = &E.seeds[p];
    const char *files[2] = {file, file2};
    wm_miner_data d;
    wm_miner_data_init(&d);
    for (int k = 0; k < 2 && files[k]; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        FILE *f = fopen(path, "rb");
        if (!f) {
            fprintf(stderr, "wattmux-emu: cannot read capture %s (set WM_SHARED)\n", path);
            exit(2);
        }
        static char buf[1 << 17];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        wm_miner_reply r;
        if (wm_miner_parse(buf, n, &r, NULL) != WM_OK) {
            fprintf(stderr, "wattmux-emu: capture %s does not parse\n", path);
            exit(2);
        }
        wm_miner_extract(&r, &d);
        if (r.description[0])
            snprintf(s->description, sizeof s->description, "%.63s", r.description);
        wm_miner_reply_clear(&r);
    }
    snprintf(s->model, sizeof s->model, "%s", d.model[0] ? d.model : "Antminer S9");
    s->hashrate_th_s = d.hashrate_th_s;
    s->temp_c = isfinite(d.temp_max_c) ? d.temp_max_c : 65;
    s->fan_rpm = isfinite(d.fan_rpm_max) ? d.fan_rpm_max : 4000;
    s->power_w = power_w;
}


/* ---------------------------------------------------------------- Braiins gRPC server */

/* One HTTP/2 connection (h2c prior knowledge) to a bosminer miner's gRPC port; each unary
 * call is one stream. Requests are small (< 1 KB body) and replies tiny. */
typedef struct gstream {
    char path[96];
    char auth[64];
    uint8_t body[1024];
    size_t blen;
    bool over;
    uint8_t resp[128];
    size_t rlen, roff;
    int gstatus;
    char gmsg[200];
} gstream;

typedef struct gconn {
    int fd, m;
    nghttp2_session *s;
    uint8_t *out;
    size_t olen, ocap;
    int64_t opened_ms;
} gconn;

#define TAG_GLISTEN (1ull << 62)
#define TAG_GCONN (1ull << 61)

static void gconn_close(gconn *g)
{
    epoll_ctl(E.ep, EPOLL_CTL_DEL, g->fd, NULL);
    close(g->fd);
    if (g->s)
        nghttp2_session_del(g->s);
    free(g->out);
    memset(g, 0, sizeof *g);
    g->fd = -1;
}

/* Send what nghttp2 has queued; keep what the socket does not take (EPOLLOUT). */
static void gconn_flush(gconn *g)
{
    for (;;) {
        if (g->olen == 0) {
            const uint8_t *d;
            ssize_t n = nghttp2_session_mem_send(g->s, &d);
            if (n <= 0)
                break;
            if ((size_t)n > g->ocap) {
                uint8_t *nb = realloc(g->out, (size_t)n);
                if (!nb)
                    break;
                g->out = nb;
                g->ocap = (size_t)n;
            }
            memcpy(g->out, d, (size_t)n);
            g->olen = (size_t)n;
        }
        ssize_t k = send(g->fd, g->out, g->olen, MSG_NOSIGNAL);
        if (k < 0) {
            struct epoll_event ev = {.events = EPOLLIN | (errno == EAGAIN ? EPOLLOUT : 0),
                                     .data.u64 = TAG_GCONN | (uint64_t)(g - E.gc)};
            epoll_ctl(E.ep, EPOLL_CTL_MOD, g->fd, &ev);
            return;
        }
        memmove(g->out, g->out + k, g->olen - (size_t)k);
        g->olen -= (size_t)k;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_GCONN | (uint64_t)(g - E.gc)};
    epoll_ctl(E.ep, EPOLL_CTL_MOD, g->fd, &ev);
}

static ssize_t gread_resp(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                          nghttp2_data_source *src, void *ud)
{
    (void)ud;
    gstream *st = src->ptr;
    size_t k = st->rlen - st->roff;
    if (k > len)
        k = len;
    memcpy(buf, st->resp + st->roff, k);
    st->roff += k;
    if (st->roff == st->rlen) {
        *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        nghttp2_nv tr[] = {{(uint8_t *)"grpc-status", (uint8_t *)"0", 11, 1, NGHTTP2_NV_FLAG_NONE}};
        nghttp2_submit_trailer(s, id, tr, 1);
    }
    return (ssize_t)k;
}

#define GNV(n, v) {(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE}

static void grpc_respond(nghttp2_session *s, int32_t id, gstream *st, const char *auth_hdr)
{
    if (st->gstatus != 0) { /* trailers-only response */
        char code[8], enc[400];
        snprintf(code, sizeof code, "%d", st->gstatus);
        wm_grpc_pct_encode(st->gmsg, enc, sizeof enc);
        nghttp2_nv h[] = {GNV(":status", "200"), GNV("content-type", "application/grpc"), GNV("grpc-status", code),
                          GNV("grpc-message", enc)};
        nghttp2_submit_response(s, id, h, 4, NULL);
        return;
    }
    nghttp2_nv h[] = {GNV(":status", "200"), GNV("content-type", "application/grpc"),
                      GNV("authorization", auth_hdr ? auth_hdr : "")};
    nghttp2_data_provider dp = {.source.ptr = st, .read_callback = gread_resp};
    nghttp2_submit_response(s, id, h, auth_hdr ? 3 : 2, &dp);
}

/* Serve one call on miner m. */
static void grpc_call(miner *m, gstream *st, int64_t t)
{
    const uint8_t *msg = NULL;
    size_t mlen = 0, used;
    uint8_t out[96];
    wm_grpc_pbw w = {.buf = out, .cap = sizeof out};
    st->gstatus = 0;
    if (st->over || wm_grpc_unframe(st->body, st->blen, &msg, &mlen, &used, NULL) != WM_OK) {
        st->gstatus = WM_GRPC_INVALID_ARGUMENT;
        snprintf(st->gmsg, sizeof st->gmsg, "malformed request message");
        return;
    }
    const char *method = strrchr(st->path, '/');
    method = method ? method + 1 : "";
    bool login = !strcmp(st->path, "/braiins.bos.v1.AuthenticationService/Login");
    if (login) {
        char user[32], pass[64];
        if (wm_grpc_bos_login_req_parse(msg, mlen, user, sizeof user, pass, sizeof pass, NULL) != WM_OK ||
            strcmp(user, "root") != 0 || strcmp(pass, E.grpc_password) != 0) {
            st->gstatus = WM_GRPC_UNAUTHENTICATED;
            snprintf(st->gmsg, sizeof st->gmsg, "Invalid username or password");
            return;
        }
        snprintf(m->token, sizeof m->token, "t%08x%08x", (unsigned)(urand() * 4e9), (unsigned)(urand() * 4e9));
        wm_grpc_pbw_bytes(&w, 1, m->token, strlen(m->token)); /* LoginResponse.token (23.03-23.05) */
        wm_grpc_pbw_varint(&w, 2, 3600);                       /* timeout_s */
    } else if (!m->token[0] || strcmp(st->auth, m->token) != 0) {
        st->gstatus = WM_GRPC_UNAUTHENTICATED;
        snprintf(st->gmsg, sizeof st->gmsg, "Unauthenticated: missing or invalid authorization token");
        return;
    } else if (!strcmp(st->path, "/braiins.bos.v1.ActionsService/PauseMining")) {
        wm_grpc_pbw_varint(&w, 1, m->sleeping); /* already_paused */
        curtail(m, true, t);
    } else if (!strcmp(st->path, "/braiins.bos.v1.ActionsService/ResumeMining")) {
        wm_grpc_pbw_varint(&w, 1, !m->sleeping); /* already_mining */
        curtail(m, false, t);
    } else if (!strcmp(st->path, "/braiins.bos.v1.PerformanceService/SetPowerTarget")) {
        int sa;
        uint64_t watt;
        bool has;
        if (wm_grpc_bos_set_power_req_parse(msg, mlen, &sa, &watt, &has, NULL) != WM_OK) {
            st->gstatus = WM_GRPC_INVALID_ARGUMENT;
            snprintf(st->gmsg, sizeof st->gmsg, "malformed SetPowerTargetRequest");
            return;
        }
        /* allowed range: half to 1.25x the nameplate (an emulator choice); the text is the
         * real one quoted in control.md (pyasic #242) */
        long lo = lround(0.5 * m->base_w), hi = lround(1.25 * m->base_w);
        if ((long long)watt < lo || (long long)watt > hi) {
            st->gstatus = WM_GRPC_INVALID_ARGUMENT;
            snprintf(st->gmsg, sizeof st->gmsg, "power target [%lluW] is not in allowed range [Some(%ld), Some(%ld)]",
                     (unsigned long long)watt, lo, hi);
            return;
        }
        if (sa == 2 || sa == 3) /* SAVE_AND_APPLY / SAVE_AND_FORCE_APPLY; SAVE only stores it */
            set_target(m, (double)watt, m->base_h * (double)watt / m->base_w, t);
        uint8_t pw[16];
        wm_grpc_pbw p = {.buf = pw, .cap = sizeof pw};
        wm_grpc_pbw_varint(&p, 1, watt);
        wm_grpc_pbw_bytes(&w, 1, pw, p.n);
    } else if (!strcmp(st->path, "/braiins.bos.v1.MinerService/GetMinerStats")) {
        uint8_t a[16], b[24];
        wm_grpc_pbw pa = {.buf = a, .cap = sizeof a}, pb = {.buf = b, .cap = sizeof b};
        wm_grpc_pbw_varint(&pa, 1, (uint64_t)llround(power_at(m, t))); /* Power.watt */
        wm_grpc_pbw_bytes(&pb, 1, a, pa.n);                           /* approximated_consumption */
        wm_grpc_pbw_bytes(&w, 3, b, pb.n);                            /* power_stats */
    } else {
        /* gRPC's own answer for a method the server does not serve (status 12), as bosminer gives
         * for services it lacks; the emulator serves the five methods the driver uses */
        st->gstatus = WM_GRPC_UNIMPLEMENTED;
        snprintf(st->gmsg, sizeof st->gmsg,
                 "unknown method %.80s (served: Login, PauseMining, ResumeMining, SetPowerTarget, GetMinerStats)",
                 method);
        return;
    }
    st->rlen = wm_grpc_frame(out, w.n, st->resp, sizeof st->resp);
    st->roff = 0;
}

static int g_on_begin(nghttp2_session *s, const nghttp2_frame *fr, void *ud)
{
    (void)ud;
    if (fr->hd.type == NGHTTP2_HEADERS && fr->headers.cat == NGHTTP2_HCAT_REQUEST) {
        gstream *st = calloc(1, sizeof *st);
        if (st)
            nghttp2_session_set_stream_user_data(s, fr->hd.stream_id, st);
    }
    return 0;
}

static int g_on_header(nghttp2_session *s, const nghttp2_frame *fr, const uint8_t *name, size_t nl,
                       const uint8_t *value, size_t vl, uint8_t flags, void *ud)
{
    (void)flags, (void)ud;
    gstream *st = nghttp2_session_get_stream_user_data(s, fr->hd.stream_id);
    if (!st)
        return 0;
    if (nl == 5 && !memcmp(name, ":path", 5))
        snprintf(st->path, sizeof st->path, "%.*s", (int)(vl < 95 ? vl : 95), (const char *)value);
    else if (nl == 13 && !memcmp(name, "authorization", 13))
        snprintf(st->auth, sizeof st->auth, "%.*s", (int)(vl < 63 ? vl : 63), (const char *)value);
    return 0;
}

static int g_on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *d, size_t len, void *ud)
{
    (void)flags, (void)ud;
    gstream *st = nghttp2_session_get_stream_user_data(s, id);
    if (!st)
        return 0;
    if (len > sizeof st->body - st->blen) {
        st->over = true;
        return 0;
    }
    memcpy(st->body + st->blen, d, len);
    st->blen += len;
    return 0;
}

static int g_on_frame(nghttp2_session *s, const nghttp2_frame *fr, void *ud)
{
    gconn *g = ud;
    if ((fr->hd.type == NGHTTP2_DATA || fr->hd.type == NGHTTP2_HEADERS) && (fr->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        gstream *st = nghttp2_session_get_stream_user_data(s, fr->hd.stream_id);
        if (!st)
            return 0;
        miner *m = &E.m[g->m];
        grpc_call(m, st, E.now_ms);
        bool login = st->gstatus == 0 && !strcmp(st->path, "/braiins.bos.v1.AuthenticationService/Login");
        grpc_respond(s, fr->hd.stream_id, st, login ? m->token : NULL);
    }
    return 0;
}

static int g_on_close(nghttp2_session *s, int32_t id, uint32_t code, void *ud)
{
    (void)code, (void)ud;
    free(nghttp2_session_get_stream_user_data(s, id));
    nghttp2_session_set_stream_user_data(s, id, NULL);
    return 0;
}

static void grpc_accept(miner *m, int64_t t)
{
    int fd = accept4(m->glfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    gconn *g = NULL;
    for (int i = 0; i < E.ngc_max && !g; i++)
        if (E.gc[i].fd < 0)
            g = &E.gc[i];
    if (!g || m->down) {
        close(fd);
        return;
    }
    memset(g, 0, sizeof *g);
    g->fd = fd;
    g->m = (int)(m - E.m);
    g->opened_ms = t;
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, g_on_begin);
    nghttp2_session_callbacks_set_on_header_callback(cb, g_on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, g_on_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, g_on_frame);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, g_on_close);
    nghttp2_session_server_new(&g->s, cb, g);
    nghttp2_session_callbacks_del(cb);
    nghttp2_settings_entry se = {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 16};
    nghttp2_submit_settings(g->s, NGHTTP2_FLAG_NONE, &se, 1);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_GCONN | (uint64_t)(g - E.gc)};
    epoll_ctl(E.ep, EPOLL_CTL_ADD, fd, &ev);
    gconn_flush(g);
}

static void grpc_readable(gconn *g)
{
    uint8_t buf[8192];
    for (;;) {
        ssize_t k = recv(g->fd, buf, sizeof buf, 0);
        if (k > 0) {
            if (nghttp2_session_mem_recv(g->s, buf, (size_t)k) < 0) {
                gconn_close(g);
                return;
            }
            continue;
        }
        if (k < 0 && errno == EAGAIN)
            break;
        gconn_close(g); /* EOF or error */
        return;
    }
    gconn_flush(g);
    if (!nghttp2_session_want_read(g->s) && !nghttp2_session_want_write(g->s) && g->olen == 0)
        gconn_close(g);
}

/* ---------------------------------------------------------------- event loop */

#define TAG_LISTEN (1ull << 63)

static void listen_on(miner *m, bool on)
{
    struct epoll_event ev = {.events = on ? EPOLLIN : 0, .data.u64 = TAG_LISTEN | (uint64_t)(m - E.m)};
    epoll_ctl(E.ep, EPOLL_CTL_MOD, m->lfd, &ev);
}

static void conn_close(conn *c, bool rst)
{
    if (rst) {
        struct linger lg = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    epoll_ctl(E.ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->w);
    miner *m = &E.m[c->m];
    m->busy = false;
    listen_on(m, true);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

static void conn_write(conn *c, int64_t t)
{
    while (c->woff < c->wlen) {
        size_t chunk = c->wlen - c->woff;
        if (c->drip) {
            chunk = 1 + (size_t)(urand() * 16);
            if (chunk > c->wlen - c->woff)
                chunk = c->wlen - c->woff;
        }
        ssize_t k = send(c->fd, c->w + c->woff, chunk, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EAGAIN) {
                struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = (uint64_t)(c - E.c)};
                epoll_ctl(E.ep, EPOLL_CTL_MOD, c->fd, &ev);
                return;
            }
            conn_close(c, false);
            return;
        }
        c->woff += (size_t)k;
        if (c->drip && c->woff < c->wlen) {
            c->st = C_WAIT;
            c->due_ms = t + 2;
            return;
        }
    }
    conn_close(c, false);
}

static void handle_request(conn *c, int64_t t)
{
    miner *m = &E.m[c->m];
    if (hit(F_SILENCE)) {
        c->st = C_SILENT;
        c->due_ms = t + 30000;
        return;
    }
    char *body = build_reply(m, c->rbuf, c->rlen, t);
    size_t n = strlen(body);
    c->w = malloc(n + 1);
    memcpy(c->w, body, n);
    c->w[n] = 0; /* the framing NUL */
    c->wlen = n + 1;
    free(body);
    if (hit(F_PARTIAL))
        c->wlen = n / 2;
    c->drip = hit(F_DRIP);
    m->accepted++;
    if (hit(F_DELAY)) {
        c->st = C_WAIT;
        c->due_ms = t + (int64_t)(urand() * E.delay_max_s * 1000);
        struct epoll_event ev = {.events = 0, .data.u64 = (uint64_t)(c - E.c)};
        epoll_ctl(E.ep, EPOLL_CTL_MOD, c->fd, &ev);
        return;
    }
    c->st = C_WRITE;
    conn_write(c, t);
}

static bool request_complete(const conn *c)
{
    if (c->rlen >= sizeof c->rbuf - 1)
        return true;
    if (c->rbuf[0] != '{')
        return true; /* text: a single segment */
    int depth = 0;
    bool in = false, esc = false;
    for (size_t i = 0; i < c->rlen; i++) {
        char ch = c->rbuf[i];
        if (in) {
            if (esc)
                esc = false;
            else if (ch == '\\')
                esc = true;
            else if (ch == '"')
                in = false;
        } else if (ch == '"')
            in = true;
        else if (ch == '{')
            depth++;
        else if (ch == '}' && --depth == 0)
            return true;
    }
    return false;
}

static void on_readable(conn *c, int64_t t)
{
    for (;;) {
        ssize_t k = recv(c->fd, c->rbuf + c->rlen, sizeof c->rbuf - 1 - c->rlen, 0);
        if (k > 0) {
            c->rlen += (size_t)k;
            if (c->st == C_READ && request_complete(c)) {
                handle_request(c, t);
                return;
            }
            if (c->rlen >= sizeof c->rbuf - 1)
                return;
            continue;
        }
        if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
            if (c->st == C_READ && c->rlen > 0 && k == 0) {
                handle_request(c, t);
                return;
            }
            conn_close(c, false);
        }
        return;
    }
}

/* Fault 11 (Whatsminer): a client IP not among the 16 registered (each registered IP frees
 * its place IPLIMIT_TTL_MS after its last connection) is refused. */
static bool ip_refused(miner *m, uint32_t ip, int64_t t)
{
    int free_slot = -1;
    for (int i = 0; i < IPLIMIT_N; i++) {
        if (m->clients[i].ip == ip && t - m->clients[i].last_ms < IPLIMIT_TTL_MS) {
            m->clients[i].last_ms = t;
            return false;
        }
        if (free_slot < 0 && (m->clients[i].ip == 0 || t - m->clients[i].last_ms >= IPLIMIT_TTL_MS))
            free_slot = i;
    }
    if (free_slot >= 0) {
        m->clients[free_slot].ip = ip;
        m->clients[free_slot].last_ms = t;
        return false;
    }
    return hit(F_IPLIMIT);
}

static void on_accept(miner *m, int64_t t)
{
    struct sockaddr_in peer;
    socklen_t pl = sizeof peer;
    int fd = accept4(m->lfd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (E.fault_p[F_IPLIMIT] > 0 && ip_refused(m, peer.sin_addr.s_addr, t)) {
        close(fd); /* the connection is accepted by the kernel, then closed without a reply */
        return;
    }
    int slot = -1;
    for (int i = 0; i < E.nconn_max; i++)
        if (E.c[i].fd < 0) {
            slot = i;
            break;
        }
    if (slot < 0 || m->down || hit(F_REFUSE)) {
        struct linger lg = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(fd);
        return;
    }
    conn *c = &E.c[slot];
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->m = (int)(m - E.m);
    c->st = C_READ;
    c->opened_ms = t;
    m->busy = true;
    listen_on(m, false); /* one client at a time */
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)slot};
    epoll_ctl(E.ep, EPOLL_CTL_ADD, fd, &ev);
}

static void on_signal(int sig)
{
    (void)sig;
    E.stop = 1;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: wattmux-emu --miners A-B[:port][,..]\n"
            "       [--profile stock|stock19|cgminer|bosminer|luxos|whatsminer|mix|ctl]\n"
            "       [--grpc-port P [--grpc-password PW]] (Braiins gRPC on bosminer miners; user root, PW root)\n"
            "       [--start mining|asleep]\n"
            "       [--sleep-s 5] [--wake-s 10] [--reboot-s 20] [--seed N] [--delay-max-s 30]\n"
            "       [--fault kind=p,...] [--fault-window FROM-TO] [--trace FILE] [--ready FILE] [--duration-s S]\n"
            "faults: delay silence refuse partial drip quirk shape stale curtail_ignore curtail_late\n"
            "        curtail_revert bigstats ip_limit (probability per request, or per command for\n"
            "        curtail_*; ip_limit: refuse a 17th client IP, Whatsminer's limit)\n"
            "captures are read from $WM_SHARED/data/control/captures (default ../shared)\n");
}

int main(int argc, char **argv)
{
    const char *miners = NULL, *profile = "mix", *trace = NULL, *ready = NULL, *faults = NULL;
    double duration_s = 0;
    bool start_asleep = false;
    E.sleep_s = 5;
    E.wake_s = 10;
    E.reboot_s = 20;
    E.delay_max_s = 30;
    E.rng = 0x9e3779b97f4a7c15ull;
    snprintf(E.grpc_password, sizeof E.grpc_password, "root");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            usage();
            return 2;
        }
        if (!strcmp(a, "--miners")) miners = v;
        else if (!strcmp(a, "--profile")) profile = v;
        else if (!strcmp(a, "--sleep-s")) E.sleep_s = atof(v);
        else if (!strcmp(a, "--wake-s")) E.wake_s = atof(v);
        else if (!strcmp(a, "--reboot-s")) E.reboot_s = atof(v);
        else if (!strcmp(a, "--delay-max-s")) E.delay_max_s = atof(v);
        else if (!strcmp(a, "--seed")) E.rng = strtoull(v, NULL, 10) * 0x9e3779b97f4a7c15ull + 1;
        else if (!strcmp(a, "--fault")) faults = v;
        else if (!strcmp(a, "--trace")) trace = v;
        else if (!strcmp(a, "--ready")) ready = v;
        else if (!strcmp(a, "--duration-s")) duration_s = atof(v);
        else if (!strcmp(a, "--start")) start_asleep = !strcmp(v, "asleep");
        else if (!strcmp(a, "--grpc-port")) E.grpc_port = atoi(v);
        else if (!strcmp(a, "--grpc-password")) snprintf(E.grpc_password, sizeof E.grpc_password, "%s", v);
        else if (!strcmp(a, "--fault-window")) {
            double from, until;
            if (sscanf(v, "%lf-%lf", &from, &until) != 2 || from < 0 || until <= from) {
                fprintf(stderr, "wattmux-emu: --fault-window: expected FROM-TO seconds after start (e.g. 10-20)\n");
                return 2;
            }
            E.window_from_ms = (int64_t)(from * 1000);
            E.window_until_ms = (int64_t)(until * 1000);
        }
        else {
            usage();
            return 2;
        }
        i++;
    }
    if (!miners) {
        usage();
        return 2;
    }
    if (faults) {
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s", faults);
        char *save = NULL;
        for (char *f = strtok_r(tmp, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(f, '=');
            int k = -1;
            if (eq)
                *eq = 0;
            for (int j = 0; j < F_COUNT; j++)
                if (!strcmp(f, fault_names[j]))
                    k = j;
            if (k < 0 || !eq) {
                fprintf(stderr, "wattmux-emu: --fault: unknown '%s' (expected kind=probability)\n", f);
                return 2;
            }
            E.fault_p[k] = atof(eq + 1);
        }
    }
    int pfix = -1;
    for (int j = 0; j < P_COUNT; j++)
        if (!strcmp(profile, prof_names[j]))
            pfix = j;
    bool ctl_only = !strcmp(profile, "ctl");
    if (pfix < 0 && strcmp(profile, "mix") != 0 && !ctl_only) {
        fprintf(stderr, "wattmux-emu: --profile: unknown '%s'\n", profile);
        return 2;
    }
    const char *sh = getenv("WM_SHARED");
    char dir[900];
    snprintf(dir, sizeof dir, "%s/data/control/captures", sh && *sh ? sh : "../shared");
    /* Nameplate power (W), Bitmain spec sheets: S17 Pro 53 TH/s 2094 W, S19 Pro 110 TH/s
     * 3250 W, S9 13.5 TH/s 1323 W. The captures carry no power (stock firmware reports none). */
    load_seed(P_STOCK, dir, "antminer_s17pro_stats.json", NULL, 2094);
    load_seed(P_STOCK19, dir, "antminer_s19pro_stats.json", "antminer_s19pro_version.json", 3250);
    load_seed(P_CGMINER, dir, "antminer_s9k_stats.json", NULL, 1323);
    load_seed(P_BOSMINER, dir, "bosminer_s9_summary.json", "bosminer_s9_temps.json", 1323);
    load_seed(P_LUXOS, dir, "antminer_s19pro_stats.json", "luxos_docs_logon.json", 3250);
    /* Whatsminer: no capture; MicroBT's M30S spec sheet (88 TH/s, 3344 W), an S19 Pro's
     * sensors for temperature and fans */
    load_seed(P_WHATSMINER, dir, "antminer_s19pro_stats.json", NULL, 3344);
    snprintf(E.seeds[P_WHATSMINER].model, sizeof E.seeds[P_WHATSMINER].model, "WhatsMiner M30S");
    E.seeds[P_WHATSMINER].hashrate_th_s = 88;
    snprintf(E.seeds[P_WHATSMINER].description, sizeof E.seeds[P_WHATSMINER].description, "btminer");
    E.seeds[P_CGMINER].description[0] = 0;
    snprintf(E.seeds[P_CGMINER].description, sizeof E.seeds[P_CGMINER].description, "cgminer 4.11.1");

    wm_target *tg = NULL;
    size_t nt = 0;
    wm_err err;
    if (E.grpc_port < 0 || E.grpc_port > 65535) {
        fprintf(stderr, "wattmux-emu: --grpc-port: expected 1..65535\n");
        return 2;
    }
    if (wm_targets_parse(miners, 4028, &tg, &nt, 65536, &err) != WM_OK) {
        char b[512];
        fprintf(stderr, "wattmux-emu: --miners: %s\n", wm_err_format(&err, b, sizeof b));
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    E.ep = epoll_create1(EPOLL_CLOEXEC);
    E.n = nt;
    E.m = calloc(nt, sizeof *E.m);
    E.nconn_max = 4096;
    E.c = calloc((size_t)E.nconn_max, sizeof *E.c);
    for (int i = 0; i < E.nconn_max; i++)
        E.c[i].fd = -1;
    E.ngc_max = 1024;
    E.gc = calloc((size_t)E.ngc_max, sizeof *E.gc);
    for (int i = 0; i < E.ngc_max; i++)
        E.gc[i].fd = -1;
    int64_t t0 = now_ms();
    E.t0_ms = E.now_ms = t0;
    for (size_t i = 0; i < nt; i++) {
        miner *m = &E.m[i];
        m->prof = pfix >= 0 ? (enum prof)pfix : ctl_only ? (i % 2 ? P_LUXOS : P_BOSMINER) : (enum prof)(i % P_MIX);
        const seed *sd = &E.seeds[m->prof];
        double var = 0.97 + 0.06 * urand();
        m->h_full = sd->hashrate_th_s * var;
        m->full_w = sd->power_w * var;
        m->idle_w = 25;
        m->base_w = m->full_w;
        m->base_h = m->h_full;
        m->atm = m->prof == P_LUXOS;
        m->glfd = -1;
        m->sleeping = start_asleep;
        m->p_from = start_asleep ? m->idle_w : m->full_w;
        m->t_start_ms = t0 - 3600 * 1000;
        m->t_change_ms = t0 - 3600 * 1000;
        snprintf(m->addr, sizeof m->addr, "%s", tg[i].name);
        m->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one_ = 1;
        setsockopt(m->lfd, SOL_SOCKET, SO_REUSEADDR, &one_, sizeof one_);
        if (m->lfd < 0 || bind(m->lfd, (struct sockaddr *)&tg[i].addr, sizeof tg[i].addr) < 0 ||
            listen(m->lfd, 64) < 0) {
            fprintf(stderr, "wattmux-emu: cannot listen on %s: %s\n", tg[i].name, strerror(errno));
            return 1;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_LISTEN | i};
        epoll_ctl(E.ep, EPOLL_CTL_ADD, m->lfd, &ev);
        if (E.grpc_port && m->prof == P_BOSMINER) {
            struct sockaddr_in ga = tg[i].addr;
            ga.sin_port = htons((uint16_t)E.grpc_port);
            m->glfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            setsockopt(m->glfd, SOL_SOCKET, SO_REUSEADDR, &one_, sizeof one_);
            if (m->glfd < 0 || bind(m->glfd, (struct sockaddr *)&ga, sizeof ga) < 0 || listen(m->glfd, 64) < 0) {
                fprintf(stderr, "wattmux-emu: cannot listen on gRPC port %d of %s: %s\n", E.grpc_port, tg[i].name,
                        strerror(errno));
                return 1;
            }
            struct epoll_event gev = {.events = EPOLLIN, .data.u64 = TAG_GLISTEN | i};
            epoll_ctl(E.ep, EPOLL_CTL_ADD, m->glfd, &gev);
        }
    }
    free(tg);
    if (trace && !(E.trace = fopen(trace, "w"))) {
        fprintf(stderr, "wattmux-emu: cannot write %s\n", trace);
        return 1;
    }
    if (ready) {
        FILE *f = fopen(ready, "w");
        if (f) {
            fprintf(f, "%zu\n", nt);
            fclose(f);
        }
    }
    fprintf(stderr, "wattmux-emu: %zu miners listening\n", nt);
    struct epoll_event evs[256];
    int64_t next_trace = t0;
    double max_w = 0;
    while (!E.stop) {
        int k = epoll_wait(E.ep, evs, 256, 5);
        int64_t t = now_ms();
        E.now_ms = t;
        for (int i = 0; i < k; i++) {
            uint64_t tag = evs[i].data.u64;
            if (tag & TAG_GLISTEN) {
                grpc_accept(&E.m[tag & ~TAG_GLISTEN], t);
            } else if (tag & TAG_GCONN) {
                gconn *g = &E.gc[tag & ~TAG_GCONN];
                if (g->fd < 0)
                    continue;
                if (evs[i].events & EPOLLOUT)
                    gconn_flush(g);
                if (g->fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                    grpc_readable(g);
            } else if (tag & TAG_LISTEN) {
                miner *m = &E.m[tag & ~TAG_LISTEN];
                if (!m->busy)
                    on_accept(m, t);
            } else {
                conn *c = &E.c[tag];
                if (c->fd < 0)
                    continue;
                if (c->st == C_WRITE && (evs[i].events & EPOLLOUT))
                    conn_write(c, t);
                else if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                    on_readable(c, t);
            }
        }
        for (int i = 0; i < E.nconn_max; i++) { /* timers: delays, drip, silence */
            conn *c = &E.c[i];
            if (c->fd < 0)
                continue;
            if (c->st == C_READ && t - c->opened_ms > 10000)
                conn_close(c, false); /* idle client */
            else if ((c->st == C_WAIT || c->st == C_SILENT) && t >= c->due_ms) {
                if (c->st == C_SILENT)
                    conn_close(c, false);
                else {
                    c->st = C_WRITE;
                    conn_write(c, t);
                }
            }
        }
        for (int i = 0; i < E.ngc_max; i++) /* idle gRPC connections */
            if (E.gc[i].fd >= 0 && t - E.gc[i].opened_ms > 30000)
                gconn_close(&E.gc[i]);
        if (t >= next_trace) {
            double total = 0;
            long mining = 0;
            for (size_t i = 0; i < E.n; i++) {
                miner *m = &E.m[i];
                tick_miner(m, t);
                if (m->down && t >= m->t_down_until_ms) {
                    m->down = false;
                    m->t_start_ms = t;
                }
                total += power_at(m, t);
                mining += !m->sleeping;
            }
            if (total > max_w)
                max_w = total;
            if (E.trace) {
                fprintf(E.trace, "%lld %.1f %ld %ld\n", (long long)(t - t0), total, mining, E.n_reverted);
                fflush(E.trace);
            }
            next_trace = t + 100;
        }
        if (duration_s > 0 && (double)(t - t0) > duration_s * 1000)
            break;
    }
    for (int i = 0; i < E.nconn_max; i++)
        if (E.c[i].fd >= 0)
            conn_close(&E.c[i], false);
    for (int i = 0; i < E.ngc_max; i++)
        if (E.gc[i].fd >= 0)
            gconn_close(&E.gc[i]);
    for (size_t i = 0; i < E.n; i++) {
        close(E.m[i].lfd);
        if (E.m[i].glfd >= 0)
            close(E.m[i].glfd);
    }
    close(E.ep);
    if (E.trace)
        fclose(E.trace);
    fprintf(stderr, "wattmux-emu: stopped; max site power %.1f W; curtails ignored %ld, late %ld, reverted %ld\n",
            max_w, E.n_ignored, E.n_late, E.n_reverted);
    free(E.m);
    free(E.c);
    free(E.gc);
    return 0;
}
