/* fuzz_grpc.c - libFuzzer target for the Braiins OS gRPC reply decoding of lib/grpc.h: the
 * gRPC message framing, the protobuf reader (every field, nested paths) and each message
 * decoder, plus grpc-message percent decoding. Invariants checked: no crash or overread,
 * decoders either fail or return values that round-trip through the encoder's rules (the
 * framed length never exceeds the input). */
#include "grpc.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *m = data;
    size_t n = size, used = 0;
    wm_err e;
    if (size >= 5) {
        const uint8_t *msg;
        size_t ml;
        if (wm_grpc_unframe(data, size, &msg, &ml, &used, &e) == WM_OK) {
            if (used > size || ml + 5 != used || msg != data + 5)
                abort();
            m = msg;
            n = ml;
        }
    }
    size_t off = 0;
    wm_grpc_pb_field f;
    int k = 0;
    while (wm_grpc_pb_next(m, n, &off, &f, &e) == WM_OK && k++ < 100000) {
        if (off > n || (f.wire == 2 && (f.b < m || f.b + f.blen > m + n)))
            abort();
    }
    char a[160], b[64];
    uint64_t w;
    bool flag, has;
    int sa;
    (void)wm_grpc_bos_login_resp_parse(m, n, a, sizeof a, &e);
    (void)wm_grpc_bos_login_req_parse(m, n, a, sizeof a, b, sizeof b, &e);
    (void)wm_grpc_bos_set_power_resp_parse(m, n, &w, &e);
    (void)wm_grpc_bos_set_power_req_parse(m, n, &sa, &w, &has, &e);
    (void)wm_grpc_bos_flag_resp_parse(m, n, &flag, &e);
    (void)wm_grpc_bos_stats_power_parse(m, n, &w, &e);
    char dec[256];
    wm_grpc_pct_decode((const char *)data, size, dec, sizeof dec);
    if (strlen(dec) >= sizeof dec)
        abort();
    return 0;
}
