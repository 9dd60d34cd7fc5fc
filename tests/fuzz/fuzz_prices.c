/* fuzz_prices.c - libFuzzer target for the price CSV path (layout detection, LZEW filter, series
 * reader, resampling, gap filling) and the dispatch of the result: the first byte picks the
 * column and interval, the rest is the CSV. Never a crash; every error has a message; every
 * price that comes out is finite and the solved schedule respects its constraints. */
#include "dispatch.h"
#include "prices.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *cols[4] = {"HB_WEST", "LZ_WEST", "price", "Settlement Point Price"};
    static const int64_t steps[4] = {0, 900, 3600, 300};
    wm_prices_req req = {.column = cols[data[0] & 3], .tz = (data[0] >> 2) & 1 ? WM_TZ_US_CENTRAL : WM_TZ_UTC,
                         .step_s = steps[(data[0] >> 3) & 3], .max_intervals = 20000};
    wm_prices *p = NULL;
    wm_err e;
    wm_err_clear(&e);
    wm_status st = wm_prices_parse((const char *)data + 1, size - 1, "fuzz.csv", &req, &p, &e);
    if (st != WM_OK) {
        if (e.msg[0] == '\0' && st != WM_ENOMEM)
            abort();
        return 0;
    }
    for (size_t t = 0; t < p->n; t++)
        if (!isfinite(p->price[t]))
            abort();
    double *cap = malloc(p->n * sizeof(double));
    wm_dispatch_ws *ws = NULL;
    if (cap && wm_dispatch_ws_new(p->n, 2, 0, &ws) == WM_OK) {
        for (size_t t = 0; t < p->n; t++)
            cap[t] = 100;
        wm_dispatch_problem q = {.n = p->n, .dt_h = (double)p->step_s / 3600.0, .time = p->time, .buy = p->price,
                                 .sell = p->price, .cap_mw = cap, .ppa_mw = 30, .ngroups = 2};
        q.group[0] = (wm_dispatch_group){.name = "asic", .kind = WM_LOAD_FLEX, .max_mw = 80, .value_usd_per_mwh = 96};
        q.group[1] = (wm_dispatch_group){.name = "train", .load = 1, .kind = WM_LOAD_BLOCK, .max_mw = 20,
                                         .value_usd_per_mwh = 150, .interrupt_cost_usd = 500, .min_on = 2, .min_off = 2};
        if (wm_dispatch_solve(&q, ws, &e) == WM_OK) {
            if (!isfinite(wm_dispatch_result(ws)->profit_usd) ||
                wm_dispatch_verify(&q, wm_dispatch_schedule(ws), 1e-6, &e) != WM_OK)
                abort();
        }
    }
    wm_dispatch_ws_free(ws);
    free(cap);
    wm_prices_free(p);
    return 0;
}
