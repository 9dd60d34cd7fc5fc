/* fuzz_site.c - libFuzzer target for the site file loader (lib/site.c): any bytes must give
 * WM_OK or an error with a message, never a crash, leak or undefined behaviour; a loaded site
 * must also build a dispatch problem over a few intervals. */
#include "site.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wm_site *s = malloc(sizeof *s);
    if (!s)
        return 0;
    wm_err e;
    wm_err_clear(&e);
    wm_status st = wm_site_parse((const char *)data, size, "fuzz.yaml", s, &e);
    if (st != WM_OK && e.msg[0] == '\0' && st != WM_ENOMEM)
        abort(); /* every input error must say what was expected */
    if (st == WM_OK) {
        int64_t time[8];
        double price[8];
        for (int t = 0; t < 8; t++) {
            time[t] = 1690866000 + 900 * t;
            price[t] = t * 50.0 - 100;
        }
        wm_site_run *r = NULL;
        if (wm_site_run_new(s, time, price, 8, 0.25, &r, &e) == WM_OK) {
            wm_dispatch_ws *ws = NULL;
            if (wm_dispatch_ws_new(8, r->problem.ngroups ? r->problem.ngroups : 1, 0, &ws) == WM_OK) {
                if (wm_dispatch_solve(&r->problem, ws, &e) == WM_OK &&
                    wm_dispatch_verify(&r->problem, wm_dispatch_schedule(ws), 1e-6, &e) != WM_OK)
                    abort(); /* a solved schedule always respects its constraints */
                wm_dispatch_ws_free(ws);
            }
            wm_site_run_free(r);
        }
    }
    free(s);
    return 0;
}
