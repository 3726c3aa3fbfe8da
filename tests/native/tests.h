/* tests.h — the test groups of the native tier; each returns the number of
 * failed tests (cmocka_run_group_tests_name). */
#ifndef TESTS_H
#define TESTS_H

int test_schema_run(void);
int test_lim_run(void);
int test_route_run(void);
int test_engine_run(void);
int test_arena_run(void);
int test_author_run(void);

#endif
