/* wattmux.h - the public contract shared by every module: status codes, the error record
 * that carries file:line:col, and the version. Module APIs live in lib/<module>.h and all
 * include this header. Invariants: library functions return wm_status, write results only
 * through out-parameters, never print, never exit or abort; every _free(NULL) is a no-op. */
#ifndef WATTMUX_H
#define WATTMUX_H

#include <stddef.h>
#include <stdint.h>

#define WM_VERSION "0.1.0"

typedef enum wm_status {
    WM_OK = 0,
    WM_EINVAL,    /* an argument is outside its domain (negative height, bad nBits, ...) */
    WM_EPARSE,    /* input text could not be parsed; wm_err says where and what was expected */
    WM_ERANGE,    /* a result does not fit its type (overflowing target, huge value) */
    WM_ENOMEM,    /* allocation failed */
    WM_EIO,       /* a file or socket operation failed */
    WM_ENOTFOUND, /* a named thing (ASIC model, column, GPU) is unknown */
    WM_ELIMIT,    /* input exceeds a configured size limit */
    WM_EINFEASIBLE, /* a problem has no solution under its constraints */
    WM_ECANCELLED,  /* a progress callback asked to stop */
    WM_EUNSUPPORTED /* the operation is not available (e.g. a read-only miner) */
} wm_status;

const char *wm_strerror(wm_status st);

/* Where an input error was found and what was expected. line/col are 1-based; 0 = unknown.
 * Functions that parse outside input take a wm_err * (may be NULL) and fill it on failure. */
#define WM_ERR_MSG 256
#define WM_ERR_SRC 160
typedef struct wm_err {
    char source[WM_ERR_SRC]; /* file name, "--bits", "<stdin>", ... */
    long line;
    long col;
    char msg[WM_ERR_MSG];
} wm_err;

void wm_err_clear(wm_err *e);
/* Fills e (if not NULL) and returns st, so callers can `return wm_err_set(...)`. */
wm_status wm_err_set(wm_err *e, wm_status st, const char *source, long line, long col,
                     const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
/* "source:line:col: msg" (parts that are unknown are left out) into buf. */
const char *wm_err_format(const wm_err *e, char *buf, size_t n);

#endif
