/* param.c - parsing and validation of values against a model's input table (see param.h). */
#include "param.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t wm_param_count(const wm_param *t)
{
    size_t n = 0;
    while (t[n].flag)
        n++;
    return n;
}

int wm_param_find(const wm_param *t, const char *flag)
{
    for (int i = 0; t[i].flag; i++)
        if (strcmp(t[i].flag, flag) == 0)
            return i;
    return -1;
}

void wm_param_defaults(const wm_param *t, wm_value *v)
{
    for (int i = 0; t[i].flag; i++) {
        v[i].set = false;
        v[i].num = t[i].kind == WM_PARAM_FLAG ? 0.0 : t[i].def;
        v[i].str = t[i].kind == WM_PARAM_STR ? t[i].def_str : NULL;
    }
}

wm_status wm_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return WM_EPARSE;
    errno = 0;
    char *end;
    double d = strtod(s, &end);
    if (*end != '\0' || end == s || errno == ERANGE || !isfinite(d))
        return WM_EPARSE;
    *out = d;
    return WM_OK;
}

wm_status wm_parse_int64(const char *s, int64_t *out)
{
    if (!s || !*s)
        return WM_EPARSE;
    errno = 0;
    char *end;
    int base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
    long long v = strtoll(s, &end, base);
    if (*end != '\0' || end == s || errno == ERANGE)
        return WM_EPARSE;
    *out = v;
    return WM_OK;
}

wm_status wm_param_set(const wm_param *t, int i, const char *text, wm_value *v, wm_err *err)
{
    char src[WM_ERR_SRC];
    snprintf(src, sizeof src, "--%s", t[i].flag);
    switch (t[i].kind) {
    case WM_PARAM_FLAG:
        v[i].num = 1.0;
        break;
    case WM_PARAM_STR:
        if (!text)
            return wm_err_set(err, WM_EINVAL, src, 0, 0, "expected a value (%s)", t[i].help);
        v[i].str = text;
        break;
    case WM_PARAM_NUM:
    case WM_PARAM_INT: {
        double d;
        if (t[i].kind == WM_PARAM_INT) {
            int64_t x;
            if (wm_parse_int64(text, &x) != WM_OK)
                return wm_err_set(err, WM_EPARSE, src, 0, 0, "expected an integer%s%s, got '%s'",
                                  t[i].unit[0] ? " in " : "", t[i].unit, text ? text : "");
            d = (double)x;
        } else if (wm_parse_double(text, &d) != WM_OK) {
            return wm_err_set(err, WM_EPARSE, src, 0, 0, "expected a number%s%s, got '%s'",
                              t[i].unit[0] ? " in " : "", t[i].unit, text ? text : "");
        }
        if (d < t[i].min || d > t[i].max)
            return wm_err_set(err, WM_ERANGE, src, 0, 0, "%s is outside [%g, %g]%s%s", text, t[i].min,
                              t[i].max, t[i].unit[0] ? " " : "", t[i].unit);
        v[i].num = d;
        break;
    }
    }
    v[i].set = true;
    return WM_OK;
}

wm_status wm_param_check(const wm_param *t, const wm_value *v, wm_err *err)
{
    for (int i = 0; t[i].flag; i++) {
        bool missing = false;
        if ((t[i].kind == WM_PARAM_NUM || t[i].kind == WM_PARAM_INT) && isnan(v[i].num))
            missing = true;
        if (t[i].kind == WM_PARAM_STR && v[i].str == NULL)
            missing = true;
        if (missing)
            return wm_err_set(err, WM_EINVAL, "", 0, 0, "missing required option --%s (%s%s%s)",
                              t[i].flag, t[i].help, t[i].unit[0] ? ", " : "", t[i].unit);
    }
    return WM_OK;
}
