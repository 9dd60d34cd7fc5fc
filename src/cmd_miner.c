/* cmd_miner.c - `wattmux miner HOST[:PORT] VERB [WATTS]`: one driver verb (lib/miner.h) on one
 * miner, for a human at a terminal: read, stop, resume, power-limit W. The firmware is
 * detected from `version` unless --fw names it; Braiins OS power targets (and, with
 * --grpc-port, every bosminer verb) go over gRPC (lib/grpc.h). A miner that cannot do the verb
 * (stock Antminer, Whatsminer without credentials) is reported as not commandable, exit 1.
 * The gRPC password is read from a file, never from the command line. */
#include "cli.h"
#include "commands.h"
#include "grpc.h"
#include "miner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const wm_param table[] = {
    {"fw", "firmware", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "firmware: stock, cgminer, bosminer, luxos, whatsminer (default: detect from `version`)"},
    {"timeout-ms", "timeout_ms", WM_PARAM_INT, "ms", 5000, 10, 600000, NULL, "per request: connect, send, reply"},
    {"grpc-port", "grpc_port", WM_PARAM_INT, "", 0, 0, 65535, NULL, "Braiins OS gRPC port for every bosminer verb (0: only the power target uses gRPC, on 50051)"},
    {"user", "user", WM_PARAM_STR, "", 0, 0, 0, "root", "Braiins OS gRPC login user"},
    {"password-file", "password_file", WM_PARAM_STR, "", 0, 0, 0, WM_PARAM_OPTIONAL_STR, "file holding the Braiins OS gRPC password (first line)"},
    {NULL, NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static int usage(const char *prog, const char *what)
{
    fprintf(stderr, "%s: %s\nusage: %s HOST[:PORT] read|stop|resume|power-limit WATTS [options] (--help)\n", prog, what,
            prog);
    return CLI_USAGE;
}

int cmd_miner(int argc, char **argv)
{
    const char *prog = "wattmux miner";
    wm_value v[6];
    cli_opts co;
    int rc = cli_parse(prog, "Run one driver verb (read, stop, resume, power-limit W) on one miner", table, argc, argv,
                       v, &co);
    if (rc != CLI_OK || co.help)
        return rc;
    if (co.npos < 2)
        return usage(prog, "expected HOST[:PORT] and a verb");
    char host[64];
    int port = 4028;
    const char *colon = strrchr(co.pos[0], ':');
    size_t hl = colon ? (size_t)(colon - co.pos[0]) : strlen(co.pos[0]);
    if (hl == 0 || hl >= sizeof host)
        return usage(prog, "HOST: expected an IPv4 address");
    memcpy(host, co.pos[0], hl);
    host[hl] = 0;
    if (colon) {
        int64_t p;
        if (wm_parse_int64(colon + 1, &p) != WM_OK || p < 1 || p > 65535)
            return usage(prog, "PORT: expected 1..65535");
        port = (int)p;
    }
    wm_miner_verb verb;
    double watts = 0;
    const char *vn = co.pos[1];
    if (!strcmp(vn, "read"))
        verb = WM_VERB_READ;
    else if (!strcmp(vn, "stop"))
        verb = WM_VERB_STOP;
    else if (!strcmp(vn, "resume"))
        verb = WM_VERB_RESUME;
    else if (!strcmp(vn, "power-limit")) {
        verb = WM_VERB_SET_POWER_LIMIT;
        if (co.npos < 3 || wm_parse_double(co.pos[2], &watts) != WM_OK || !(watts > 0 && watts < 1e6))
            return usage(prog, "power-limit: expected WATTS, a number in (0, 1e6)");
    } else
        return usage(prog, "VERB: expected read, stop, resume or power-limit");
    if (co.npos > (verb == WM_VERB_SET_POWER_LIMIT ? 3 : 2))
        return usage(prog, "too many arguments");
    wm_miner_fw fw = WM_FW_UNKNOWN;
    if (v[0].str && v[0].str[0] && wm_miner_fw_parse(v[0].str, &fw) != WM_OK)
        return usage(prog, "--fw: expected stock, cgminer, bosminer, luxos or whatsminer");
    char password[64] = "";
    if (v[4].str && v[4].str[0]) {
        FILE *f = fopen(v[4].str, "r");
        if (!f) {
            fprintf(stderr, "%s: --password-file: cannot read %s\n", prog, v[4].str);
            return CLI_USAGE;
        }
        if (fgets(password, sizeof password, f))
            password[strcspn(password, "\r\n")] = 0;
        fclose(f);
    }
    wm_miner_op op;
    wm_miner_op_init(&op, fw, verb, watts);
    wm_miner_op_set_grpc(&op, v[3].str, password, (int)v[2].num);
    wm_status st = wm_miner_run(host, port, &op, (int)v[1].num);
    if (st == WM_EINVAL)
        return usage(prog, "HOST: expected an IPv4 address");
    if (st != WM_OK)
        return cli_error(prog, st, NULL);

    cli_out o;
    cli_out_init(&o, co.json);
    char name[96];
    snprintf(name, sizeof name, "%s:%d", host, port);
    cli_str(&o, "miner", "miner", name);
    cli_str(&o, "firmware", "firmware", wm_miner_fw_name(op.fw));
    cli_str(&o, "verb", "verb", wm_miner_verb_name(verb));
    bool commandable = op.fail != WM_MF_UNSUPPORTED;
    cli_str(&o, "result", "result", !commandable ? "not commandable" : op.fail ? "failed" : "ok");
    if (op.fail)
        cli_str(&o, "detail", "detail", op.why);
    if (op.fail != WM_MF_NONE && op.fail != WM_MF_UNSUPPORTED)
        cli_str(&o, "failure_kind", "failure kind", wm_miner_fail_name(op.fail));
    if (verb == WM_VERB_SET_POWER_LIMIT && op.profile[0]) {
        cli_str(&o, "profile", "LuxOS profile", op.profile);
        cli_num(&o, "profile_w", "profile power", op.profile_w, 0, "W");
    }
    /* unknown telemetry stays out (never printed as 0) */
    if (isfinite(op.data.power_w))
        cli_num(&o, "power_w", "power", op.data.power_w, 0, "W");
    if (isfinite(op.data.power_limit_w))
        cli_num(&o, "power_limit_w", "power limit", op.data.power_limit_w, 0, "W");
    if (isfinite(op.data.hashrate_th_s))
        cli_num(&o, "hashrate_th_s", "hashrate", op.data.hashrate_th_s, 2, "TH/s");
    if (verb == WM_VERB_READ)
        cli_str(&o, "state", "state", wm_miner_state_name(op.data.state));
    cli_out_finish(&o);
    return op.fail ? CLI_FAIL : CLI_OK;
}
