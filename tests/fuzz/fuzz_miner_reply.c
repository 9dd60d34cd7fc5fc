/* fuzz_miner_reply.c - libFuzzer target for the miner reply parser: lenient repair, text form,
 * status reading, telemetry extraction and the driver state machines fed arbitrary replies.
 * Invariant checked: no crash, no leak, and extracted values are NaN or finite. */
#include "miner.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wm_miner_reply r;
    wm_err e;
    if (wm_miner_parse((const char *)data, size, &r, &e) == WM_OK) {
        wm_miner_data d;
        wm_miner_data_init(&d);
        wm_miner_extract(&r, &d);
        if (isinf(d.hashrate_th_s) || isinf(d.power_w))
            abort();
        (void)wm_miner_fw_detect(&r);
        wm_miner_reply_clear(&r);
    }
    for (int fw = WM_FW_UNKNOWN; fw <= WM_FW__COUNT; fw++) {
        /* the last pass: a LuxOS power limit (profiles, logon, atmset, profileset, logoff) */
        bool pl = fw == WM_FW__COUNT;
        wm_miner_op op;
        wm_miner_op_init(&op, pl ? WM_FW_LUXOS : (wm_miner_fw)fw,
                         pl ? WM_VERB_SET_POWER_LIMIT : fw == WM_FW_LUXOS ? WM_VERB_STOP : WM_VERB_READ, 3000);
        for (int step = 0; step < 8 && !op.done; step++) {
            char req[WM_MINER_MAX_REQUEST];
            size_t rl;
            if (wm_miner_op_next(&op, req, sizeof req, &rl) != WM_OK)
                break;
            wm_miner_op_feed(&op, (const char *)data, size);
        }
        if (pl && op.profile[0] && !(op.profile_w <= 3000))
            abort(); /* a chosen profile is never above the limit */
    }
    return 0;
}
