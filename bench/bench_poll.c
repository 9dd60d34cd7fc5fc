/* bench_poll.c - fleet benchmark: poll 10,000 miners emulated by wattmux-emu on loopback once
 * (target: under 2 s, poller memory under 200 MB; DESIGN.md "Targets"). A first pass detects
 * each miner's firmware (version + read, as at daemon start); the timed pass is the steady
 * state (one read per miner). Prints seconds, requests/s and the poller's peak RSS. */
#include "poller.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *spec = "127.20.0.1-127.20.39.94"; /* 10,000 addresses (.0 and .255 skipped) */
    char emu[1024];
    snprintf(emu, sizeof emu, "%s", argv[0]);
    char *p = strstr(emu, "/bench/");
    if (!p) {
        fprintf(stderr, "bench_poll: run from $BUILD/bench\n");
        return 1;
    }
    strcpy(p, "/wattmux-emu");
    const char *ready = "/tmp/wm_bench_poll_ready";
    unlink(ready);
    pid_t pid = fork();
    if (pid == 0) {
        execl(emu, emu, "--miners", spec, "--profile", argc > 1 ? argv[1] : "mix", "--ready", ready,
              "--duration-s", "120", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 1000 && access(ready, R_OK) != 0; i++)
        usleep(10000);
    wm_target *t;
    size_t n;
    if (wm_targets_parse(spec, 4028, &t, &n, 20000, NULL) != WM_OK)
        return 1;
    wm_miner_op *ops = calloc(n, sizeof *ops);
    wm_poller_opts o;
    wm_poller_opts_default(&o);
    o.max_inflight = 1024;
    wm_poller *pl;
    wm_poller_new(&o, &pl);
    wm_poll_stats st;
    for (size_t i = 0; i < n; i++)
        wm_miner_op_init(&ops[i], WM_FW_UNKNOWN, WM_VERB_READ, 0);
    wm_poller_run(pl, t, ops, n, NULL, &st);
    double detect_s = st.seconds;
    for (size_t i = 0; i < n; i++)
        wm_miner_op_init(&ops[i], ops[i].fw, WM_VERB_READ, 0);
    wm_poller_run(pl, t, ops, n, NULL, &st);
    long ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += ops[i].fail == WM_MF_NONE && isfinite(ops[i].data.hashrate_th_s);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("bench_poll: %zu miners polled once in %.3f s (%.0f req/s), %ld ok, %ld failed; "
           "first pass with firmware detection %.3f s; poller peak RSS %.1f MB (target < 2 s, < 200 MB)\n",
           n, st.seconds, st.requests / st.seconds, ok, (long)n - ok, detect_s, ru.ru_maxrss / 1024.0);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    unlink(ready);
    wm_poller_free(pl);
    free(ops);
    free(t);
    return ok == (long)n ? 0 : 1;
}
