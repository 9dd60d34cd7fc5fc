/* test_e2e.c - runs every shell script in tests/e2e (daemon + emulators, Prometheus, browser)
 * as one cmocka test each, so `make check` and `make check-asan` include them. BUILD is
 * derived from this binary's path ($BUILD/tests/unit/test_e2e); a script's output is shown
 * when it fails. Scripts print cmocka-style totals themselves. */
#include "wmtest.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char g_build[1024];

static void run_script(void **state)
{
    const char *script = *state;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "BUILD='%s' '%s' 2>&1", g_build, script);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[1024];
    static char out[1 << 16];
    size_t n = 0;
    while (fgets(line, sizeof line, p)) {
        size_t l = strlen(line);
        if (n + l < sizeof out) {
            memcpy(out + n, line, l);
            n += l;
        }
    }
    out[n] = 0;
    int st = pclose(p);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        print_error("%s failed:\n%s\n", script, out);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(int argc, char **argv)
{
    (void)argc;
    snprintf(g_build, sizeof g_build, "%s", argv[0]);
    char *p = strstr(g_build, "/tests/unit/");
    if (p)
        *p = 0;
    else
        snprintf(g_build, sizeof g_build, "build");
    glob_t g;
    if (glob("tests/e2e/*.sh", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
        fprintf(stderr, "test_e2e: no scripts in tests/e2e (run from the repository root)\n");
        return 1;
    }
    struct CMUnitTest *t = calloc(g.gl_pathc, sizeof *t);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        t[i].name = g.gl_pathv[i];
        t[i].test_func = run_script;
        t[i].initial_state = g.gl_pathv[i];
    }
    int rc = _cmocka_run_group_tests("e2e", t, g.gl_pathc, NULL, NULL);
    free(t);
    globfree(&g);
    return rc;
}
