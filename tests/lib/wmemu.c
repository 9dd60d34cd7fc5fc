/* wmemu.c - see wmemu.h. */
#include "wmemu.h"
#include "wmtest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char g_emu[1024] = "build/wattmux-emu";

void wmemu_init(const char *argv0)
{
    snprintf(g_emu, sizeof g_emu, "%s", argv0);
    char *p = strstr(g_emu, "/tests/");
    if (p)
        strcpy(p, "/wattmux-emu");
    else
        snprintf(g_emu, sizeof g_emu, "build/wattmux-emu");
    signal(SIGPIPE, SIG_IGN);
}

void wmemu_msleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

pid_t wmemu_start(const char *miners, const char *profile, const char *const *extra)
{
    char ready[64];
    snprintf(ready, sizeof ready, "/tmp/wm_emu_ready_%d_%ld", getpid(), random());
    unlink(ready);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *av[40];
        int k = 0;
        av[k++] = g_emu;
        av[k++] = "--miners", av[k++] = miners;
        av[k++] = "--profile", av[k++] = profile;
        av[k++] = "--ready", av[k++] = ready;
        av[k++] = "--duration-s", av[k++] = "120"; /* bounded even if the test dies */
        for (int i = 0; extra && extra[i] && k < 38; i++)
            av[k++] = extra[i];
        av[k] = NULL;
        execv(g_emu, (char *const *)av);
        _exit(127);
    }
    for (int i = 0; i < 500 && access(ready, R_OK) != 0; i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            fail_msg("wattmux-emu (%s) exited early (status %d)", g_emu, st);
        wmemu_msleep(10);
    }
    assert_int_equal(access(ready, R_OK), 0);
    unlink(ready);
    return pid;
}

void wmemu_stop(pid_t pid)
{
    kill(pid, SIGTERM);
    int st = 0;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}
