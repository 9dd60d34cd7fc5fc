/* wmtest.c - see wmtest.h. */
#include "wmtest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

const char *wmt_shared(const char *rel)
{
    static char buf[8][1024];
    static int k;
    const char *root = getenv("WM_SHARED");
    if (!root || !*root)
        root = "../shared";
    char *p = buf[k++ % 8];
    snprintf(p, sizeof buf[0], "%s/data/%s", root, rel);
    if (access(p, R_OK) != 0) {
        print_error("required shared data file missing: %s (set WM_SHARED)\n", p);
        fail();
    }
    return p;
}

void wmt_near_rel(double got, double want, double tol, const char *what, const char *file, int line)
{
    double scale = want == 0 ? 1.0 : fabs(want);
    if (!(fabs(got - want) <= tol * scale)) {
        print_error("%s = %.12g, expected %.12g within relative %.3g\n", what, got, want, tol);
        _fail(file, line);
    }
}

const char *wmt_shared_data_dir(void)
{
    static char dir[1024];
    const char *probe = "bitcoin/difficulty_daily_2009_2026.csv";
    const char *p = wmt_shared(probe);
    size_t n = strlen(p) - strlen(probe) - 1; /* drop "/<probe>" */
    snprintf(dir, sizeof dir, "%.*s", (int)n, p);
    return dir;
}

int wmt_run(const char *args, char *out, size_t out_cap, char *err, size_t err_cap)
{
    const char *bin = getenv("WM_BIN");
    char ef[64], cmd[4096];
    snprintf(ef, sizeof ef, "/tmp/wmt_run_%d.err", (int)getpid());
    snprintf(cmd, sizeof cmd, "%s %s 2>%s", bin && *bin ? bin : "build/wattmux", args, ef);
    FILE *p = popen(cmd, "r");
    if (!p) {
        print_error("cannot run %s\n", cmd);
        fail();
    }
    size_t n = fread(out, 1, out_cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    FILE *e = fopen(ef, "r");
    n = e ? fread(err, 1, err_cap - 1, e) : 0;
    err[n] = '\0';
    if (e)
        fclose(e);
    remove(ef);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
