/* fuzz_http.c - libFuzzer target for the HTTP request handling of the daemon (lib/api.c):
 * method, path, query string, Authorization header and body are taken from the input
 * (separated by newlines; the first byte picks the method). Invariants checked: no crash or
 * leak, every response has a status code and a body, control requests (mode, miner reset)
 * without the token are never accepted (202). */
#include "api.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static wm_api *g_api;
static wm_ctl *g_ctl;

static void setup(void)
{
    if (g_api)
        return;
    wm_api_new(NULL, "fuzz-token-0123456789", &g_api);
    wm_target *t;
    size_t n;
    wm_targets_parse("127.0.0.1-127.0.0.3", 4028, &t, &n, 10, NULL);
    wm_ctl_cfg cfg;
    wm_ctl_cfg_default(&cfg);
    cfg.cap_w = 1e6;
    wm_decider d = {wm_decide_breakeven, NULL};
    wm_ctl_new(&cfg, t, n, NULL, d, &g_ctl);
    free(t);
    wm_api_publish(g_api, g_ctl, 1700000000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    static const char *methods[] = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"};
    if (size == 0)
        return 0;
    const char *method = methods[data[0] % 6];
    char *buf = malloc(size);
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = 0;
    char *parts[4] = {buf, NULL, NULL, NULL};
    size_t used = strlen(buf) + 1;
    for (int i = 1; i < 4; i++) {
        char *nl = strchr(parts[i - 1], '\n');
        if (!nl)
            break;
        *nl = 0;
        parts[i] = nl + 1;
    }
    const char *body = parts[3] ? parts[3] : "";
    (void)used;
    wm_http_req q = {.method = method, .path = parts[0], .query = parts[1], .auth = parts[2],
                     .body = body, .body_len = strlen(body)};
    wm_http_resp r;
    if (wm_api_handle(g_api, &q, &r) == WM_OK) {
        if (r.code < 200 || r.code > 599 || !r.body)
            abort();
        bool tok = q.auth && !strcmp(q.auth, "Bearer fuzz-token-0123456789");
        if (r.code == 202 && !tok)
            abort();
        free(r.body);
    }
    wm_api_take_mode(g_api);
    char names[WM_API_MAX_RESETS][24];
    wm_api_take_resets(g_api, names, WM_API_MAX_RESETS); /* as the controller's tick: the queue drains */
    free(buf);
    return 0;
}
