/* wmemu.h - test helper: start and stop wattmux-emu (found next to the test's build tree,
 * $BUILD/wattmux-emu, from argv[0]) on loopback addresses for integration tests. */
#ifndef WMEMU_H
#define WMEMU_H

#include <sys/types.h>

/* Call once from main with argv[0]. */
void wmemu_init(const char *argv0);
/* Start the emulator with the given miners/profile; extra: NULL-terminated extra arguments.
 * Fails the test if it does not come up. Returns its pid. */
pid_t wmemu_start(const char *miners, const char *profile, const char *const *extra);
/* SIGTERM, wait; fails the test unless it exits 0. */
void wmemu_stop(pid_t pid);
void wmemu_msleep(int ms);

#endif
