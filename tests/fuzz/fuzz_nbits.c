/* fuzz_nbits.c - libFuzzer target for the nBits text parser and the compact-target arithmetic.
 * Invariants: GetCompact(SetCompact(x)) is a fixed point after one round; a valid target
 * round-trips exactly; the retarget never exceeds powLimit and stays within a factor 4
 * (up to integer and compact truncation). */
#include "btc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[64];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    uint32_t bits;
    wm_err e;
    if (wm_btc_parse_bits(text, &bits, &e) != WM_OK)
        return 0;
    wm_compact c, c2;
    wm_btc_compact_decode(bits, &c);
    if (c.overflow)
        return 0;
    uint32_t canon = wm_btc_compact_encode(&c.target, c.negative);
    wm_btc_compact_decode(canon, &c2);
    if (wm_u256_cmp(&c.target, &c2.target) != 0 || c.negative != c2.negative)
        abort();
    if (wm_btc_compact_encode(&c2.target, c2.negative) != canon)
        abort();
    if (wm_btc_check_bits(bits, NULL) == WM_OK) {
        int64_t span = 0;
        for (size_t i = 0; i < size && i < 8; i++)
            span = span * 256 + data[i];
        wm_retarget r;
        if (wm_btc_retarget(bits, 0, span % (WM_TARGET_TIMESPAN_S * 8), &r) != WM_OK)
            abort();
        wm_u256 lim;
        wm_btc_pow_limit(&lim);
        if (wm_u256_cmp(&r.new_target, &lim) > 0)
            abort();
        /* Difficulty moves by at most 4x either way, up to the truncations: the integer divide
           (negligible once the target exceeds 2^32; tiny targets legitimately move further, e.g.
           0x0216ffff) and GetCompact's 3-byte mantissa (relative < 2^-15). */
        double ratio = r.new_difficulty / r.old_difficulty;
        if (!r.pow_limited && wm_u256_bits(&c.target) > 32 && (ratio < 0.2499 || ratio > 4.0002))
            abort();
    }
    return 0;
}
