/* test_prices.c - the price path's ERCOT layouts on hand-made files: a one-day ERCOT file whose
 * dates are all ambiguous (11/03/2024) is read as M/D/Y, as ERCOT writes it, including the
 * DST fall-back day's repeated hour. */
#include "wmtest.h"
#include "prices.h"

#include <string.h>

static void test_ercot_one_day_file(void **state)
{
    (void)state;
    const char *dam = "Delivery Date,Hour Ending,Repeated Hour Flag,Settlement Point,Settlement Point Price\n"
                      "11/03/2024,01:00,N,HB_WEST,20.5\n11/03/2024,01:00,N,HB_NORTH,99\n"
                      "11/03/2024,02:00,N,HB_WEST,21.5\n11/03/2024,02:00,Y,HB_WEST,22.5\n"
                      "11/03/2024,03:00,N,HB_WEST,23.5\n";
    wm_prices_req req = {.column = "HB_WEST"};
    wm_prices *p = NULL;
    wm_err e;
    wm_err_clear(&e);
    wm_status st = wm_prices_parse(dam, strlen(dam), "dam.csv", &req, &p, &e);
    if (st != WM_OK)
        print_error("%s:%ld:%ld: %s\n", e.source, e.line, e.col, e.msg);
    assert_int_equal(st, WM_OK);
    assert_int_equal(p->n, 4);
    assert_int_equal(p->step_s, 3600);
    /* HE 01 of 2024-11-03 begins at 00:00 CDT = 05:00 UTC; November 3rd, not March 11th */
    assert_int_equal(p->time[0], wm_days_from_civil(2024, 11, 3) * 86400 + 5 * 3600);
    assert_near_rel(p->price[2], 22.5, 0); /* the repeated hour, one hour after the first HE 02 */
    wm_prices_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_ercot_one_day_file)};
    return cmocka_run_group_tests_name("prices", tests, NULL, NULL);
}
