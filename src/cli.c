/* cli.c - option parsing, help and dual human/JSON output for the commands (see cli.h). */
#include "cli.h"

#include <math.h>
#include <string.h>

int cli_dispatch(const char *prog, const cli_sub *subs, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "help") != 0 && strcmp(argv[1], "--help") != 0 &&
        strcmp(argv[1], "-h") != 0) {
        for (int i = 0; subs[i].name; i++)
            if (strcmp(subs[i].name, argv[1]) == 0)
                return subs[i].run(argc - 1, argv + 1);
        fprintf(stderr, "%s: unknown subcommand '%s'\n", prog, argv[1]);
    }
    bool asked = argc >= 2 && (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
                               strcmp(argv[1], "-h") == 0);
    FILE *fp = asked ? stdout : stderr;
    fprintf(fp, "usage: %s <subcommand> [options] [--json]\n\nsubcommands:\n", prog);
    for (int i = 0; subs[i].name; i++)
        fprintf(fp, "  %-12s %s\n", subs[i].name, subs[i].summary);
    fprintf(fp, "\n'%s <subcommand> --help' lists the options with units, defaults and bounds.\n", prog);
    return asked ? CLI_OK : CLI_USAGE;
}

void cli_help(FILE *fp, const char *prog, const char *summary, const wm_param *t)
{
    fprintf(fp, "usage: %s [options] [--json]\n%s\n\noptions:\n", prog, summary);
    for (int i = 0; t && t[i].flag; i++) {
        char arg[64] = "";
        if (t[i].kind != WM_PARAM_FLAG)
            snprintf(arg, sizeof arg, " %s", t[i].kind == WM_PARAM_STR ? "TEXT" : "N");
        char lhs[96];
        snprintf(lhs, sizeof lhs, "--%s%s", t[i].flag, arg);
        fprintf(fp, "  %-28s %s", lhs, t[i].help);
        if (t[i].unit && t[i].unit[0])
            fprintf(fp, " [%s]", t[i].unit);
        if (t[i].kind == WM_PARAM_NUM || t[i].kind == WM_PARAM_INT) {
            if (isnan(t[i].def))
                fprintf(fp, " (required; %g..%g)", t[i].min, t[i].max);
            else
                fprintf(fp, " (default %g; %g..%g)", t[i].def, t[i].min, t[i].max);
        } else if (t[i].kind == WM_PARAM_STR) {
            if (!t[i].def_str)
                fprintf(fp, " (required)");
            else if (t[i].def_str[0])
                fprintf(fp, " (default %s)", t[i].def_str);
        }
        fputc('\n', fp);
    }
    fprintf(fp, "  %-28s %s\n", "--json", "print the result as JSON (keys carry units)");
}

int cli_error(const char *prog, wm_status st, const wm_err *err)
{
    char buf[WM_ERR_MSG + WM_ERR_SRC + 64];
    if (err && err->msg[0])
        fprintf(stderr, "%s: %s\n", prog, wm_err_format(err, buf, sizeof buf));
    else
        fprintf(stderr, "%s: %s\n", prog, wm_strerror(st));
    /* bad input, including a named input file that cannot be read, is a usage error */
    return (st == WM_EPARSE || st == WM_EINVAL || st == WM_ERANGE || st == WM_ENOTFOUND ||
            st == WM_ELIMIT || st == WM_EIO)
               ? CLI_USAGE
               : CLI_FAIL;
}

int cli_parse(const char *prog, const char *summary, const wm_param *t, int argc, char **argv,
              wm_value *vals, cli_opts *o)
{
    memset(o, 0, sizeof *o);
    if (t)
        wm_param_defaults(t, vals);
    wm_err err;
    wm_err_clear(&err);
    for (int a = 1; a < argc; a++) {
        char *arg = argv[a];
        if (strcmp(arg, "--json") == 0) {
            o->json = true;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cli_help(stdout, prog, summary, t);
            o->help = true;
            return CLI_OK;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            if (o->npos >= (int)(sizeof o->pos / sizeof o->pos[0])) {
                fprintf(stderr, "%s: too many arguments at '%s'\n", prog, arg);
                return CLI_USAGE;
            }
            o->pos[o->npos++] = arg;
            continue;
        }
        char name[64];
        const char *eq = strchr(arg + 2, '=');
        size_t len = eq ? (size_t)(eq - (arg + 2)) : strlen(arg + 2);
        if (len >= sizeof name)
            len = sizeof name - 1;
        memcpy(name, arg + 2, len);
        name[len] = '\0';
        int i = t ? wm_param_find(t, name) : -1;
        if (i < 0) {
            fprintf(stderr, "%s: unknown option --%s (see --help)\n", prog, name);
            return CLI_USAGE;
        }
        const char *val = NULL;
        if (t[i].kind == WM_PARAM_FLAG && eq) {
            fprintf(stderr, "%s: --%s takes no value\n", prog, name);
            return CLI_USAGE;
        }
        if (t[i].kind != WM_PARAM_FLAG) {
            if (eq)
                val = eq + 1;
            else if (a + 1 < argc)
                val = argv[++a];
            else {
                fprintf(stderr, "%s: --%s: expected a value (%s%s%s)\n", prog, name, t[i].help,
                        t[i].unit[0] ? ", " : "", t[i].unit);
                return CLI_USAGE;
            }
        }
        wm_status st = wm_param_set(t, i, val, vals, &err);
        if (st != WM_OK)
            return cli_error(prog, st, &err);
    }
    if (t) {
        wm_status st = wm_param_check(t, vals, &err);
        if (st != WM_OK)
            return cli_error(prog, st, &err);
    }
    return CLI_OK;
}

const char *cli_fmt(char *buf, size_t n, double v, int decimals)
{
    char raw[64];
    if (!isfinite(v)) {
        snprintf(buf, n, "%s", isnan(v) ? "n/a" : (v > 0 ? "inf" : "-inf"));
        return buf;
    }
    if (fabs(v) >= 1e15 || (v != 0 && fabs(v) < 1e-4 && decimals > 0)) {
        snprintf(buf, n, "%.*e", decimals > 0 ? decimals : 4, v);
        return buf;
    }
    snprintf(raw, sizeof raw, "%.*f", decimals < 0 ? 0 : decimals, v);
    /* insert thousands separators into the integer part */
    const char *p = raw;
    char *q = buf, *end = buf + n - 1;
    if (*p == '-' && q < end)
        *q++ = *p++;
    size_t intlen = strcspn(p, ".");
    for (size_t i = 0; p[i] && q < end; i++) {
        if (i < intlen && i > 0 && (intlen - i) % 3 == 0 && q < end)
            *q++ = ',';
        if (q < end)
            *q++ = p[i];
    }
    *q = '\0';
    return buf;
}

void cli_out_init(cli_out *o, bool json)
{
    memset(o, 0, sizeof *o);
    o->json = json;
    o->root = json_object();
    o->cur = o->root;
    o->fp = stdout;
}

void cli_section(cli_out *o, const char *key, const char *title)
{
    if (!key) {
        o->cur = o->root;
        return;
    }
    json_t *sec = json_object();
    json_object_set_new(o->root, key, sec);
    o->cur = sec;
    if (!o->json && title)
        fprintf(o->fp, "\n%s\n", title);
}

static void human_line(cli_out *o, const char *label, const char *val, const char *unit)
{
    if (!o->json)
        fprintf(o->fp, "  %-46s %s%s%s\n", label, val, unit && unit[0] ? " " : "",
                unit ? unit : "");
}

void cli_num(cli_out *o, const char *key, const char *label, double v, int decimals, const char *unit)
{
    json_object_set_new(o->cur, key, isfinite(v) ? json_real(v) : json_null());
    char buf[64];
    human_line(o, label, cli_fmt(buf, sizeof buf, v, decimals), unit);
}

void cli_int(cli_out *o, const char *key, const char *label, int64_t v, const char *unit)
{
    json_object_set_new(o->cur, key, json_integer(v));
    char buf[64];
    human_line(o, label, cli_fmt(buf, sizeof buf, (double)v, 0), unit);
    (void)buf;
}

void cli_str(cli_out *o, const char *key, const char *label, const char *v)
{
    json_object_set_new(o->cur, key, json_string(v ? v : ""));
    human_line(o, label, v ? v : "", NULL);
}

void cli_note(cli_out *o, const char *text)
{
    json_t *notes = json_object_get(o->root, "notes");
    if (!notes) {
        notes = json_array();
        json_object_set_new(o->root, "notes", notes);
    }
    json_array_append_new(notes, json_string(text));
    if (!o->json)
        fprintf(o->fp, "  note: %s\n", text);
}

void cli_table_begin(cli_out *o, const char *key, const cli_col *cols, int ncols)
{
    o->cols = cols;
    o->ncols = ncols;
    o->rows = json_array();
    json_object_set_new(o->cur, key, o->rows);
    if (o->json)
        return;
    fputc('\n', o->fp);
    for (int c = 0; c < ncols; c++)
        fprintf(o->fp, "%*s%s", c ? cols[c].width : -cols[c].width, cols[c].title,
                c + 1 < ncols ? "  " : "\n");
}

void cli_table_row(cli_out *o, json_t *row)
{
    if (!o->json) {
        for (int c = 0; c < o->ncols; c++) {
            const cli_col *col = &o->cols[c];
            json_t *v = json_object_get(row, col->key);
            char buf[96];
            if (!v || json_is_null(v))
                snprintf(buf, sizeof buf, "-");
            else if (json_is_string(v))
                snprintf(buf, sizeof buf, "%s", json_string_value(v));
            else if (json_is_integer(v))
                cli_fmt(buf, sizeof buf, (double)json_integer_value(v), 0);
            else
                cli_fmt(buf, sizeof buf, json_number_value(v), col->decimals < 0 ? 0 : col->decimals);
            fprintf(o->fp, "%*s%s", c ? col->width : -col->width, buf,
                    c + 1 < o->ncols ? "  " : "\n");
        }
    }
    json_array_append_new(o->rows, row);
}

void cli_table_end(cli_out *o)
{
    o->cols = NULL;
    o->ncols = 0;
    o->rows = NULL;
}

int cli_out_finish(cli_out *o)
{
    if (o->json) {
        json_dumpf(o->root, o->fp, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        fputc('\n', o->fp);
    }
    fflush(o->fp);
    json_decref(o->root);
    o->root = o->cur = NULL;
    return CLI_OK;
}
