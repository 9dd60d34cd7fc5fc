/* web.c - fallback dashboard asset table, used when the binary is linked without the assets
 * generated from web/ (libwattmux.a users: tests, fuzz targets). The wattmux binary links
 * $(BUILD)/gen/web_assets.o, whose wm_web_find takes precedence (this object is then not
 * pulled from the archive). */
#include "api.h"

#include <string.h>

static const char page[] =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>wattmux</title></head>"
    "<body><p>wattmux: dashboard assets were not built into this binary (make builds them from web/).</p>"
    "<p>API: <a href=\"/api/v1/status\">/api/v1/status</a>, <a href=\"/metrics\">/metrics</a></p></body></html>";

static const wm_web_asset fallback = {"/index.html", "text/html; charset=utf-8", (const unsigned char *)page,
                                      sizeof page - 1};

const wm_web_asset *wm_web_find(const char *path)
{
    return path && !strcmp(path, "/index.html") ? &fallback : NULL;
}
