/* wmtest.c - see wmtest.h. */
#include "wmtest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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
