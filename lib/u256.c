/* u256.c - 256-bit unsigned arithmetic (see u256.h). */
#include "u256.h"

#include <math.h>
#include <string.h>

/* GCC/Clang 128-bit integers for carries; __extension__ keeps -Wpedantic quiet. */
__extension__ typedef unsigned __int128 u128;

void wm_u256_set_u64(wm_u256 *a, uint64_t v)
{
    memset(a, 0, sizeof *a);
    a->w[0] = v;
}

bool wm_u256_is_zero(const wm_u256 *a)
{
    return !(a->w[0] | a->w[1] | a->w[2] | a->w[3]);
}

int wm_u256_cmp(const wm_u256 *a, const wm_u256 *b)
{
    for (int i = 3; i >= 0; i--)
        if (a->w[i] != b->w[i])
            return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

unsigned wm_u256_bits(const wm_u256 *a)
{
    for (int i = 3; i >= 0; i--)
        if (a->w[i])
            return (unsigned)(64 * i + 64 - __builtin_clzll(a->w[i]));
    return 0;
}

void wm_u256_shl(wm_u256 *a, unsigned n)
{
    wm_u256 r = {{0, 0, 0, 0}};
    unsigned k = n / 64, b = n % 64;
    for (int i = 3; i >= (int)k; i--) {
        r.w[i] = a->w[i - k] << b;
        if (b && i - (int)k - 1 >= 0)
            r.w[i] |= a->w[i - k - 1] >> (64 - b);
    }
    *a = r;
}

void wm_u256_shr(wm_u256 *a, unsigned n)
{
    wm_u256 r = {{0, 0, 0, 0}};
    unsigned k = n / 64, b = n % 64;
    for (int i = 0; i + (int)k < 4; i++) {
        r.w[i] = a->w[i + k] >> b;
        if (b && i + k + 1 < 4)
            r.w[i] |= a->w[i + k + 1] << (64 - b);
    }
    *a = r;
}

void wm_u256_mul_u64(wm_u256 *a, uint64_t m)
{
    u128 carry = 0;
    for (int i = 0; i < 4; i++) {
        u128 p = (u128)a->w[i] * m + carry;
        a->w[i] = (uint64_t)p;
        carry = p >> 64;
    }
}

uint64_t wm_u256_div_u64(wm_u256 *a, uint64_t d)
{
    u128 rem = 0;
    for (int i = 3; i >= 0; i--) {
        u128 cur = (rem << 64) | a->w[i];
        a->w[i] = (uint64_t)(cur / d);
        rem = cur % d;
    }
    return (uint64_t)rem;
}

double wm_u256_to_double(const wm_u256 *a)
{
    double r = 0;
    for (int i = 3; i >= 0; i--)
        r = r * 18446744073709551616.0 + (double)a->w[i];
    return r;
}

wm_status wm_u256_from_double(wm_u256 *a, double v)
{
    wm_u256_set_u64(a, 0);
    if (!isfinite(v) || v < 0)
        return WM_EINVAL;
    if (v >= ldexp(1.0, 256))
        return WM_ERANGE;
    if (v < 1.0)
        return WM_OK;
    int e;
    double m = frexp(v, &e); /* v = m * 2^e, 0.5 <= m < 1 */
    uint64_t mant = (uint64_t)ldexp(m, 64 > e ? e : 64);
    if (e <= 64) {
        a->w[0] = mant;
    } else {
        a->w[0] = (uint64_t)ldexp(m, 64);
        wm_u256_shl(a, (unsigned)(e - 64));
    }
    return WM_OK;
}

wm_status wm_u256_parse(wm_u256 *a, const char *s)
{
    wm_u256_set_u64(a, 0);
    if (!s || !*s)
        return WM_EPARSE;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (!*s)
            return WM_EPARSE;
    }
    for (; *s; s++) {
        unsigned dgt;
        if (*s >= '0' && *s <= '9')
            dgt = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            dgt = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            dgt = (unsigned)(*s - 'A' + 10);
        else
            return WM_EPARSE;
        if (dgt >= base)
            return WM_EPARSE;
        /* overflow check: a*base + dgt must stay below 2^256 */
        wm_u256 t = *a;
        uint64_t top = 0;
        u128 carry = dgt;
        for (int i = 0; i < 4; i++) {
            u128 p = (u128)t.w[i] * base + carry;
            t.w[i] = (uint64_t)p;
            carry = p >> 64;
        }
        top = (uint64_t)carry;
        if (top)
            return WM_ERANGE;
        *a = t;
    }
    return WM_OK;
}

const char *wm_u256_hex(const wm_u256 *a, char *buf)
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 64; i++) {
        uint64_t limb = a->w[3 - i / 16];
        buf[i] = hx[(limb >> (60 - 4 * (i % 16))) & 0xf];
    }
    buf[64] = '\0';
    return buf;
}

const char *wm_u256_dec(const wm_u256 *a, char *buf)
{
    char tmp[80];
    int n = 0;
    wm_u256 t = *a;
    do {
        tmp[n++] = (char)('0' + wm_u256_div_u64(&t, 10));
    } while (!wm_u256_is_zero(&t));
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return buf;
}
