/* u256.h - unsigned 256-bit integers for proof-of-work targets, with the wrap-around semantics
 * of Bitcoin Core's arith_uint256 (src/arith_uint256.h): multiplication and shifts are mod
 * 2^256, division truncates. Limbs are little-endian 64-bit words. Pure, no allocation. */
#ifndef WM_U256_H
#define WM_U256_H

#include "wattmux.h"

#include <stdbool.h>

typedef struct wm_u256 {
    uint64_t w[4]; /* w[0] least significant */
} wm_u256;

void wm_u256_set_u64(wm_u256 *a, uint64_t v);
bool wm_u256_is_zero(const wm_u256 *a);
int wm_u256_cmp(const wm_u256 *a, const wm_u256 *b);
unsigned wm_u256_bits(const wm_u256 *a);             /* position of highest set bit + 1; 0 for 0 */
void wm_u256_shl(wm_u256 *a, unsigned n);             /* n >= 256 gives 0 */
void wm_u256_shr(wm_u256 *a, unsigned n);
void wm_u256_mul_u64(wm_u256 *a, uint64_t m);         /* mod 2^256 */
uint64_t wm_u256_div_u64(wm_u256 *a, uint64_t d);     /* returns the remainder; d != 0 */
double wm_u256_to_double(const wm_u256 *a);
/* Nearest-below integer of a finite non-negative double; ERANGE if >= 2^256. */
wm_status wm_u256_from_double(wm_u256 *a, double v);
/* Decimal or 0x-hex text; EPARSE on anything else, ERANGE if >= 2^256. */
wm_status wm_u256_parse(wm_u256 *a, const char *text);
/* 64 lowercase hex digits + NUL (buf >= 65) / decimal (buf >= 79). */
const char *wm_u256_hex(const wm_u256 *a, char *buf);
const char *wm_u256_dec(const wm_u256 *a, char *buf);

#endif
