/* wmtest.h - helpers shared by the cmocka tests: locating ../shared/data (tests that need it
 * fail, never skip, when it is missing) and relative-tolerance assertions. */
#ifndef WMTEST_H
#define WMTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Path of a file under $WM_SHARED/data (WM_SHARED defaults to ../shared); fails the test if absent. */
const char *wmt_shared(const char *rel);
/* Directory of the shared data ($WM_SHARED/data), for APIs that take a data dir; fails if absent. */
const char *wmt_shared_data_dir(void);
/* Run the built CLI ($WM_BIN, default build/wattmux) with args; stdout into out (NUL-terminated),
 * stderr into err; returns the exit status (-1 if it did not exit normally). */
int wmt_run(const char *args, char *out, size_t out_cap, char *err, size_t err_cap);
/* |got - want| <= rel_tol * |want| (or <= rel_tol when want == 0), with a readable message. */
void wmt_near_rel(double got, double want, double rel_tol, const char *what, const char *file, int line);
#define assert_near_rel(got, want, tol) wmt_near_rel((got), (want), (tol), #got, __FILE__, __LINE__)

#endif
