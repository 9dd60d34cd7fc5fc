/* test_report_data.c - `wattmux plan examples/site.yaml --out DIR` end to end on the shared
 * data (history replay 2023-2025, ERCOT LZ_WEST 2023 dispatch map): every output file exists and
 * parses (JSON with jansson; each CSV has its header and as many rows as the JSON table; the
 * xlsx is a zip whose workbook lists one sheet per table, read back with zlib), the numbers agree
 * between the files and the command's own --json, and the HTML has one <svg> per chart, each with
 * data marks, and no external reference. */
#include "wmtest.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)len + 1);
    if (b && fread(b, 1, (size_t)len, f) != (size_t)len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) {
        b[len] = 0;
        if (n)
            *n = (size_t)len;
    }
    return b;
}

static size_t count(const char *hay, const char *needle)
{
    size_t k = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        k++;
    return k;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* The uncompressed bytes of one member of a zip (central directory, then deflate or stored). */
static char *zip_member(const unsigned char *z, size_t n, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + 46 <= n; i++) {
        if (memcmp(z + i, "PK\x01\x02", 4) != 0)
            continue;
        uint16_t method = le16(z + i + 10), namelen = le16(z + i + 28);
        uint32_t csize = le32(z + i + 20), usize = le32(z + i + 24), off = le32(z + i + 42);
        if (namelen != nl || i + 46 + nl > n || memcmp(z + i + 46, name, nl) != 0)
            continue;
        if ((size_t)off + 30 > n)
            return NULL;
        size_t data = off + 30u + le16(z + off + 26) + le16(z + off + 28);
        if (data + csize > n)
            return NULL;
        char *out = malloc((size_t)usize + 1);
        if (!out)
            return NULL;
        if (method == 0) {
            memcpy(out, z + data, usize);
        } else {
            z_stream s;
            memset(&s, 0, sizeof s);
            if (inflateInit2(&s, -15) != Z_OK) {
                free(out);
                return NULL;
            }
            s.next_in = (unsigned char *)(uintptr_t)(z + data);
            s.avail_in = csize;
            s.next_out = (unsigned char *)out;
            s.avail_out = usize;
            int r = inflate(&s, Z_FINISH);
            inflateEnd(&s);
            if (r != Z_STREAM_END) {
                free(out);
                return NULL;
            }
        }
        out[usize] = 0;
        return out;
    }
    return NULL;
}

static const char *const TABLES[] = {"strategies", "cash_flow_fan", "npv_histogram", "stress_tests",
                                     "replay", "dispatch_map", "assumptions"};
#define NTAB 7

static void test_plan_out(void **state)
{
    (void)state;
    const char *p = wmt_shared("bitcoin/btc_usd_daily_2015_2026.csv");
    char data[1100], dir[128], cmd[4096], path[256];
    snprintf(data, sizeof data, "%.*s", (int)(strlen(p) - strlen("/bitcoin/btc_usd_daily_2015_2026.csv")), p);
    snprintf(dir, sizeof dir, "/tmp/wm_report_test_%d", (int)getpid());
    const char *bin = getenv("WM_BIN");
    char errf[160];
    snprintf(errf, sizeof errf, "/tmp/wm_report_test_%d.err", (int)getpid());
    snprintf(cmd, sizeof cmd, "rm -rf %s && %s plan examples/site.yaml --paths 300 --seed 7 --data %s --out %s --json 2>%s",
             dir, bin && *bin ? bin : "build/wattmux", data, dir, errf);
    FILE *pp = popen(cmd, "r");
    assert_non_null(pp);
    static char out[1 << 20];
    size_t n = fread(out, 1, sizeof out - 1, pp);
    out[n] = 0;
    int st = pclose(pp);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    json_t *cli = json_loads(out, 0, NULL);
    assert_non_null(cli);
    size_t en = 1;
    char *errs = slurp(errf, &en);
    assert_non_null(errs);
    assert_int_equal(en, 0); /* stderr is not a terminal: no progress bar, nothing else */
    free(errs);
    remove(errf);

    /* results.json */
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "seed")), 7);
    assert_int_equal(json_integer_value(json_object_get(j, "paths")), 300);
    json_t *strat = json_object_get(j, "strategies");
    /* examples/site.yaml's plan: colo, cloud, tokens on 10 steps and their mixes: 1 + 3 x 10 + 3 x 45 */
    assert_int_equal(json_array_size(strat), 166);
    json_t *cstrat = json_object_get(cli, "strategies");
    assert_int_equal(json_array_size(cstrat), 166);
    for (size_t i = 0; i < 166; i++) { /* the files say what the command printed */
        double a = json_real_value(json_object_get(json_array_get(strat, i), "npv_mean_usd"));
        double b = json_real_value(json_object_get(json_array_get(cstrat, i), "npv_mean_musd")) * 1e6;
        assert_near_rel(a, b, 1e-9);
    }
    json_t *map = json_object_get(j, "dispatch_map");
    assert_true(json_array_size(map) >= 360 * 24); /* 2023 in CST days */
    size_t off = 0, wrong = 0;
    for (size_t i = 0; i < json_array_size(map); i++) {
        json_t *row = json_array_get(map, i);
        double on = json_real_value(json_object_get(row, "mining_on"));
        double pr = json_real_value(json_object_get(row, "price_usd_per_mwh"));
        double be = json_real_value(json_object_get(row, "breakeven_usd_per_mwh"));
        off += on == 0;
        /* 1 MW of ASICs with 1-hour minimum on/off: the dispatch module mines exactly the hours
         * priced below the day's break-even */
        if (fabs(pr - be) > 1e-9 && on != (pr < be ? 1.0 : 0.0))
            wrong++;
    }
    assert_true(off > 0 && off < json_array_size(map) / 4); /* some hours curtailed, most mined */
    assert_int_equal(wrong, 0);
    assert_int_equal(json_array_size(json_object_get(j, "stress_tests")), (1 + 7) * 3); /* base + 7 stresses, 3 strategies each */
    assert_true(json_array_size(json_object_get(j, "replay")) == 166 * 4); /* 3 whole years + year 0 */

    /* CSV: header, then one line per JSON row */
    for (int k = 0; k < NTAB; k++) {
        snprintf(path, sizeof path, "%s/%s.csv", dir, TABLES[k]);
        char *c = slurp(path, NULL);
        assert_non_null(c);
        json_t *t = json_object_get(j, TABLES[k]);
        assert_true(json_array_size(t) > 0);
        const char *first = json_object_iter_key(json_object_iter(json_array_get(t, 0)));
        assert_true(first != NULL);
        assert_int_equal(count(c, "\n"), json_array_size(t) + 1);
        free(c);
    }
    snprintf(path, sizeof path, "%s/strategies.csv", dir);
    char *c = slurp(path, NULL);
    assert_non_null(c);
    assert_true(strncmp(c, "use,x_mw,mining_mw,strategy,colo_mw,", 36) == 0);
    free(c);

    /* xlsx: a zip whose workbook names one sheet per table, each sheet with numbers */
    snprintf(path, sizeof path, "%s/results.xlsx", dir);
    size_t zn = 0;
    unsigned char *z = (unsigned char *)slurp(path, &zn);
    assert_non_null(z);
    assert_true(zn > 1000 && memcmp(z, "PK\x03\x04", 4) == 0);
    char *wb = zip_member(z, zn, "xl/workbook.xml");
    assert_non_null(wb);
    for (int k = 0; k < NTAB; k++) {
        char want[64];
        snprintf(want, sizeof want, "name=\"%s\"", TABLES[k]);
        assert_non_null(strstr(wb, want));
        char sheet[64];
        snprintf(sheet, sizeof sheet, "xl/worksheets/sheet%d.xml", k + 1);
        char *x = zip_member(z, zn, sheet);
        assert_non_null(x);
        assert_true(count(x, "<v>") > 0); /* numeric cells */
        free(x);
    }
    free(wb);
    free(z);

    /* HTML: one <svg> per chart, each with data marks; self-contained */
    snprintf(path, sizeof path, "%s/report.html", dir);
    char *h = slurp(path, NULL);
    assert_non_null(h);
    static const char *const charts[] = {"chart-npv-hist", "chart-frontier", "chart-fan-0", "chart-fan-1",
                                         "chart-fan-2", "chart-dispatch", "chart-replay"};
    /* the replay table lists what the strategy table lists; the rest are in the files */
    const char *cs = strstr(h, "mixes of two uses off the frontier are not shown");
    const char *cr = strstr(h, "mixes off the frontier are not shown: every strategy is in replay.csv");
    assert_non_null(cs);
    assert_non_null(cr);
    /* the example's 40 MW PPA at $32 moves every NPV alike: the summary says so, with its value */
    const char *ppa_line = strstr(h, "Every NPV includes the site's PPA block (40.0 MW at USD 32.00/MWh");
    assert_non_null(ppa_line);
    assert_non_null(strstr(ppa_line, "mean USD "));
    while (cs > h && cs[-1] == ' ')
        cs--;
    while (cr > h && cr[-1] == ' ')
        cr--;
    const char *ns = cs, *nr = cr;
    while (ns > h && ns[-1] >= '0' && ns[-1] <= '9')
        ns--;
    while (nr > h && nr[-1] >= '0' && nr[-1] <= '9')
        nr--;
    assert_true(ns < cs && atoi(ns) > 0 && atoi(ns) == atoi(nr)); /* the same strategies hidden */
    size_t nfan = count(h, "id=\"chart-fan-");
    assert_true(nfan >= 3 && nfan <= 4);
    assert_int_equal(count(h, "<svg "), 4 + nfan);
    for (size_t k = 0; k < sizeof charts / sizeof charts[0]; k++) {
        char id[64];
        snprintf(id, sizeof id, "<svg id=\"%s\"", charts[k]);
        const char *s = strstr(h, id);
        assert_non_null(s);
        const char *e = strstr(s, "</svg>");
        assert_non_null(e);
        size_t marks = 0;
        for (const char *q = strstr(s, "class=\"data\""); q && q < e; q = strstr(q + 1, "class=\"data\""))
            marks++;
        assert_true(marks >= 1);
    }
    assert_true(count(h, "class=\"data\" x=") > 364); /* heat map cells: at least one run per day */
    assert_int_equal(count(h, "http://") + count(h, "https://"), count(h, "xmlns=\"http://www.w3.org/2000/svg\""));
    assert_null(strstr(h, "<script"));
    assert_null(strstr(h, "src="));
    assert_non_null(strstr(h, "Seed 7"));
    assert_non_null(strstr(h, "Recommendation"));
    free(h);
    json_decref(j);
    json_decref(cli);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* An output directory that cannot be created is a clear error, exit 1, nothing written. */
static void test_plan_out_bad_dir(void **state)
{
    (void)state;
    const char *bin = getenv("WM_BIN");
    const char *p = wmt_shared("bitcoin/btc_usd_daily_2015_2026.csv");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s plan --paths 40 --years 2 --data %.*s --out /proc/nonexistent/x >/dev/null 2>&1",
             bin && *bin ? bin : "build/wattmux", (int)(strlen(p) - strlen("/bitcoin/btc_usd_daily_2015_2026.csv")), p);
    int st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
    struct stat sb;
    assert_true(stat("/proc/nonexistent/x", &sb) != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_out),
        cmocka_unit_test(test_plan_out_bad_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
