/* asic.c - the ASIC catalog and fleet aggregates (see asic.h). Specs are the vendors' nominal
 * figures as listed, with sources, in ../shared/reference/bitcoin.md (±5 %); entries marked
 * unverified were seen in a single unconfirmed source. */
#include "asic.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const wm_asic catalog[] = {
    {"s19", "Antminer S19", 95, 3250, 34.2, 2020, true, "mattk8/mining-data mining-devices.csv; CBECI 0.03421 J/GH"},
    {"s19pro", "Antminer S19 Pro", 110, 3250, 29.5, 2020, true, "mattk8/mining-data mining-devices.csv"},
    {"s19xp", "Antminer S19 XP", 140, 3010, 21.5, 2022, true, "nhamilton1/asics-tools asicWattList.ts"},
    {"s21", "Antminer S21", 200, 3500, 17.5, 2023, true, "Bitmain spec (hackernoon S21 review)"},
    {"s21pro", "Antminer S21 Pro", 234, 3510, 15.0, 2024, true, "public code power DB / model lists"},
    {"s21xp", "Antminer S21 XP", 270, 3645, 13.5, 2024, true, "btcminermarketplace spec page"},
    {"m50s", "Whatsminer M50S", 126, 3276, 26.0, 2022, false, "Braiins types comment (26 J/TH); TH/s unverified"},
    {"m60s", "Whatsminer M60S", 186, 3441, 18.5, 2023, false, "one public catalogue; unverified"},
    {"m60", "Whatsminer M60", 186, 3425, 18.4, 2023, false, "one public catalogue (M60 186 TH 3425 W); unverified"},
    {"m66s", "Whatsminer M66S (immersion)", 298, 5513, 18.5, 2023, false, "one public catalogue; unverified"},
};

size_t wm_asic_count(void)
{
    return sizeof catalog / sizeof catalog[0];
}

const wm_asic *wm_asic_at(size_t i)
{
    return i < wm_asic_count() ? &catalog[i] : NULL;
}

/* "Antminer S19 XP" -> "s19xp" */
static void normalize(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (; *in && n + 1 < cap; in++) {
        unsigned char c = (unsigned char)*in;
        if (c == ' ' || c == '-' || c == '_')
            continue;
        out[n++] = (char)tolower(c);
    }
    out[n] = '\0';
    const char *prefixes[] = {"antminer", "whatsminer", "bitmain", "microbt"};
    for (size_t i = 0; i < 4; i++) {
        size_t l = strlen(prefixes[i]);
        if (strncmp(out, prefixes[i], l) == 0) {
            memmove(out, out + l, strlen(out + l) + 1);
            break;
        }
    }
}

wm_status wm_asic_find(const char *name, const wm_asic **out, wm_err *err)
{
    char want[64];
    normalize(name ? name : "", want, sizeof want);
    for (size_t i = 0; i < wm_asic_count(); i++)
        if (strcmp(catalog[i].id, want) == 0) {
            *out = &catalog[i];
            return WM_OK;
        }
    char list[512] = "";
    for (size_t i = 0; i < wm_asic_count(); i++) {
        strncat(list, catalog[i].id, sizeof list - strlen(list) - 1);
        if (i + 1 < wm_asic_count())
            strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    return wm_err_set(err, WM_ENOTFOUND, "asic", 0, 0, "unknown ASIC model '%s' (known: %s)", name ? name : "",
                      list);
}

wm_status wm_fleet_totals_compute(const wm_fleet_entry *e, size_t n, double pue, double uptime,
                                  wm_fleet_totals *out)
{
    memset(out, 0, sizeof *out);
    if (!(pue >= 1.0 && pue <= 3.0) || !(uptime >= 0.0 && uptime <= 1.0))
        return WM_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!e[i].model || e[i].count < 0)
            return WM_EINVAL;
        out->machines += e[i].count;
        out->hashrate_th_s += e[i].model->hashrate_th_s * (double)e[i].count;
        out->it_power_kw += e[i].model->power_w * (double)e[i].count / 1000.0;
    }
    out->facility_power_kw = out->it_power_kw * pue;
    out->eff_j_per_th = out->hashrate_th_s > 0 ? out->it_power_kw * 1000.0 / out->hashrate_th_s : 0;
    out->effective_hashrate_th_s = out->hashrate_th_s * uptime;
    out->energy_mwh_per_day = out->facility_power_kw * 24.0 / 1000.0 * uptime;
    return WM_OK;
}

wm_status wm_fleet_parse(const char *text, wm_fleet_entry *entries, size_t max, size_t *n, wm_err *err)
{
    *n = 0;
    const char *p = text ? text : "";
    long col = 1;
    if (!*p)
        return wm_err_set(err, WM_EPARSE, "--fleet", 1, 1, "expected MODEL:COUNT[,MODEL:COUNT...], got nothing");
    while (*p) {
        const char *colon = strchr(p, ':');
        const char *comma = strchr(p, ',');
        if (!comma)
            comma = p + strlen(p);
        if (!colon || colon > comma)
            return wm_err_set(err, WM_EPARSE, "--fleet", 1, col, "expected MODEL:COUNT, got '%.*s'",
                              (int)(comma - p), p);
        char model[64];
        size_t ml = (size_t)(colon - p);
        if (ml == 0 || ml >= sizeof model)
            return wm_err_set(err, WM_EPARSE, "--fleet", 1, col, "expected an ASIC model name before ':'");
        memcpy(model, p, ml);
        model[ml] = '\0';
        char num[32];
        size_t nl = (size_t)(comma - colon - 1);
        if (nl == 0 || nl >= sizeof num)
            return wm_err_set(err, WM_EPARSE, "--fleet", 1, col + (long)ml + 1, "expected a machine count after ':'");
        memcpy(num, colon + 1, nl);
        num[nl] = '\0';
        char *end;
        errno = 0;
        long cnt = strtol(num, &end, 10);
        if (*end || errno || cnt < 0 || cnt > 10000000)
            return wm_err_set(err, WM_EPARSE, "--fleet", 1, col + (long)ml + 1,
                              "expected a machine count 0..10000000, got '%s'", num);
        if (*n >= max)
            return wm_err_set(err, WM_ELIMIT, "--fleet", 1, col, "more than %zu fleet entries", max);
        wm_err sub;
        if (wm_asic_find(model, &entries[*n].model, &sub) != WM_OK)
            return wm_err_set(err, WM_ENOTFOUND, "--fleet", 1, col, "%s", sub.msg);
        entries[*n].count = cnt;
        (*n)++;
        col += (long)(comma - p) + 1;
        p = *comma ? comma + 1 : comma;
    }
    return WM_OK;
}
