/* fuzz_miner_reply.c - libFuzzer target for the miner reply parser: lenient repair, text form,
 * status reading, telemetry extraction and the driver state machines fed arbitrary replies.
 * Invariant checked: no crash, no leak, and extracted values are NaN or finite. */
#include "miner.h"

#include <math.h>
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
    for (int fw = WM_FW_UNKNOWN; fw <= WM_FW_LUXOS; fw++) {
        wm_miner_op op;
        wm_miner_op_init(&op, (wm_miner_fw)fw, fw == WM_FW_LUXOS ? WM_VERB_STOP : WM_VERB_READ, 0);
        for (int step = 0; step < 6 && !op.done; step++) {
            char req[WM_MINER_MAX_REQUEST];
            size_t rl;
            if (wm_miner_op_next(&op, req, sizeof req, &rl) != WM_OK)
                break;
            wm_miner_op_feed(&op, (const char *)data, size);
        }
    }
    return 0;
}
