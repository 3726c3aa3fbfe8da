/* main.c — the native test tier: runs every group and fails if any failed.
 *
 * The schema group runs first: it drives cJSON with its own allocation hooks
 * and puts the default ones back; every later group works inside engine
 * handles, whose calls point cJSON at the handle (cx_enter). */
#include <stdio.h>

#include "drive.h"
#include "tests.h"

int main(void) {
    int failed = 0;
    failed += test_schema_run() != 0;
    dr_reset();
    failed += test_lim_run() != 0;
    failed += test_json_run() != 0;
    failed += test_route_run() != 0;
    failed += test_engine_run() != 0;
    failed += test_arena_run() != 0;
    failed += test_mistakes_run() != 0;
    failed += test_author_run() != 0;
    failed += test_io_run() != 0;
    dr_shutdown();
    if (failed) fprintf(stderr, "engine_tests: %d group(s) failed\n", failed);
    return failed ? 1 : 0;
}
