/* fuzz_prices_feed.c - libFuzzer target for the live price feed's response parser
 * (lib/prices_feed.c, wm_prices_feed_parse): the first byte picks the format (json or ercot),
 * the rest is the HTTP body. Any bytes give WM_OK with a finite price and time, or an error with
 * a message; never a crash, leak or undefined behaviour. */
#include "prices.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    wm_prices_feed_format fmt = data[0] & 1 ? WM_PRICES_FEED_ERCOT : WM_PRICES_FEED_JSON;
    wm_prices_reading r;
    wm_err e;
    wm_err_clear(&e);
    wm_status st = wm_prices_feed_parse(fmt, (const char *)data + 1, size - 1, "LZ_WEST", &r, &e);
    if (st == WM_OK && (!isfinite(r.price_usd_per_mwh) || !isfinite(r.t)))
        abort();
    if (st != WM_OK && e.msg[0] == '\0')
        abort();
    return 0;
}
