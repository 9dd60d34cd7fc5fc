/* status.c - status strings and the wm_err record (see include/wattmux.h). */
#include "wattmux.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *wm_strerror(wm_status st)
{
    switch (st) {
    case WM_OK: return "ok";
    case WM_EINVAL: return "invalid argument";
    case WM_EPARSE: return "parse error";
    case WM_ERANGE: return "value out of range";
    case WM_ENOMEM: return "out of memory";
    case WM_EIO: return "input/output error";
    case WM_ENOTFOUND: return "not found";
    case WM_ELIMIT: return "size limit exceeded";
    case WM_EINFEASIBLE: return "infeasible";
    case WM_ECANCELLED: return "cancelled";
    case WM_EUNSUPPORTED: return "unsupported";
    }
    return "unknown status";
}

void wm_err_clear(wm_err *e)
{
    if (e)
        memset(e, 0, sizeof *e);
}

wm_status wm_err_set(wm_err *e, wm_status st, const char *source, long line, long col,
                     const char *fmt, ...)
{
    if (!e)
        return st;
    snprintf(e->source, sizeof e->source, "%s", source ? source : "");
    e->line = line;
    e->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return st;
}

const char *wm_err_format(const wm_err *e, char *buf, size_t n)
{
    if (!e || n == 0)
        return "";
    if (e->source[0] && e->line > 0 && e->col > 0)
        snprintf(buf, n, "%s:%ld:%ld: %s", e->source, e->line, e->col, e->msg);
    else if (e->source[0] && e->line > 0)
        snprintf(buf, n, "%s:%ld: %s", e->source, e->line, e->msg);
    else if (e->source[0])
        snprintf(buf, n, "%s: %s", e->source, e->msg);
    else
        snprintf(buf, n, "%s", e->msg);
    return buf;
}
