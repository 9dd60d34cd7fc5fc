/* cli.h - what every command of the wattmux tool shares: option parsing against a model's
 * input table (lib/param.h), generated --help, and one output API that renders the same
 * results as aligned human text or as JSON (--json). Keys carry units; labels name them.
 * Exit codes: 0 ok, 1 failure while running, 2 bad usage or bad input. */
#ifndef WM_CLI_H
#define WM_CLI_H

#include "param.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

typedef struct cli_sub {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} cli_sub;

/* Dispatch argv[1] among subs; prints a list on `help` or a bad name. `prog` = "wattmux btc". */
int cli_dispatch(const char *prog, const cli_sub *subs, int argc, char **argv);

typedef struct cli_opts {
    bool json;
    bool help;
    int npos;              /* positional arguments left in pos[] */
    char *pos[8];
} cli_opts;

/* Parse argv[1..] into vals (defaults first); handles --json, --help, --flag v, --flag=v.
 * On --help prints help from the table and returns CLI_OK with o->help set. Errors are
 * printed as "prog: --flag: message" and give CLI_USAGE. */
int cli_parse(const char *prog, const char *summary, const wm_param *table, int argc,
              char **argv, wm_value *vals, cli_opts *o);
void cli_help(FILE *fp, const char *prog, const char *summary, const wm_param *table);

/* Print an error for st/err as "prog: file:line:col: msg"; returns the exit code to use. */
int cli_error(const char *prog, wm_status st, const wm_err *err);

/* Output: records results into a JSON object and, in human mode, prints them as they come. */
typedef struct cli_out {
    bool json;
    json_t *root;    /* always built: the JSON output */
    json_t *cur;     /* object receiving values (root or a section) */
    FILE *fp;
    const struct cli_col *cols; /* open table, if any */
    int ncols;
    json_t *rows;
} cli_out;

void cli_out_init(cli_out *o, bool json);
void cli_section(cli_out *o, const char *key, const char *title); /* nested object; NULL key = back to root */
void cli_num(cli_out *o, const char *key, const char *label, double v, int decimals, const char *unit);
void cli_int(cli_out *o, const char *key, const char *label, int64_t v, const char *unit);
void cli_str(cli_out *o, const char *key, const char *label, const char *v);
void cli_note(cli_out *o, const char *text);            /* human only; JSON: appended to "notes" */
/* Tables: columns describe the keys of row objects; rows are printed (human) or appended (JSON). */
typedef struct cli_col {
    const char *key;
    const char *title;
    int width;
    int decimals;        /* -1 = string/integer */
} cli_col;
void cli_table_begin(cli_out *o, const char *key, const cli_col *cols, int ncols);
void cli_table_row(cli_out *o, json_t *row);            /* steals row */
void cli_table_end(cli_out *o);
int cli_out_finish(cli_out *o);                         /* prints JSON; frees; returns CLI_OK */

/* Format a number with thousands separators into buf (human output). */
const char *cli_fmt(char *buf, size_t n, double v, int decimals);

#endif
