/* fuzz_cards.c - libFuzzer target for the model-card file parser (lib/llm.c): any bytes must
 * give WM_OK or an error with a message, never a crash, and a failed parse changes nothing. */
#include "llm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wm_llm_set *ms;
    wm_gpu_catalog *gs;
    if (wm_llm_set_new(&ms) != WM_OK)
        return 0;
    if (wm_gpu_catalog_new(&gs) != WM_OK) {
        wm_llm_set_free(ms);
        return 0;
    }
    wm_err e;
    wm_err_clear(&e);
    wm_status st = wm_llm_cards_parse((const char *)data, size, "fuzz", ms, gs, &e);
    if (st != WM_OK) {
        if (!e.msg[0] && st != WM_ENOMEM)
            abort(); /* every error explains itself */
        if (wm_llm_set_count(ms) != wm_llm_builtin_count() || wm_gpu_catalog_count(gs) != wm_gpu_builtin_count())
            abort(); /* all or nothing */
    } else {
        for (size_t i = 0; i < wm_llm_set_count(ms); i++)
            if (wm_llm_validate(wm_llm_set_at(ms, i), NULL) != WM_OK)
                abort();
        for (size_t i = 0; i < wm_gpu_catalog_count(gs); i++)
            if (wm_gpu_validate(wm_gpu_catalog_at(gs, i), NULL) != WM_OK)
                abort();
    }
    wm_llm_set_free(ms);
    wm_gpu_catalog_free(gs);
    return 0;
}
