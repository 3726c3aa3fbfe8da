/* tests.h — the test groups of the native tier; each returns the number of
 * failed tests (cmocka_run_group_tests_name). */
#ifndef TESTS_H
#define TESTS_H

int test_schema_run(void);
int test_lim_run(void);
int test_json_run(void);
int test_route_run(void);
int test_engine_run(void);
int test_arena_run(void);
int test_author_run(void);
int test_mistakes_run(void);
int test_io_run(void);

/* Assertions on answers (cmocka's fail_msg; need <string.h> and drive.h). */
#define EXPECT_HTTP(res, want)                                                              \
    do {                                                                                    \
        dr_resp r_ = (res);                                                                 \
        if (r_.status != (want))                                                            \
            fail_msg("line %d: HTTP %d, want %d: %s", __LINE__, r_.status, (want), r_.body); \
    } while (0)

#define EXPECT_STR(json, path, want)                                                          \
    do {                                                                                      \
        const char *g_ = jstr((json), (path));                                                \
        if (g_ == NULL || strcmp(g_, (want)) != 0)                                            \
            fail_msg("line %d: %s = %s, want \"%s\" in %s", __LINE__, (path),                 \
                     g_ ? g_ : "(not a string)", (want), (json));                             \
    } while (0)

#define EXPECT_JSON(json, path, want)                                                         \
    do {                                                                                      \
        const char *g_ = jtext((json), (path));                                               \
        const char *w_ = jcompact(want);                                                      \
        if (g_ == NULL || w_ == NULL || strcmp(g_, w_) != 0)                                  \
            fail_msg("line %d: %s = %s, want %s", __LINE__, (path), g_ ? g_ : "(missing)",    \
                     (want));                                                                 \
    } while (0)

#define EXPECT_NUM(json, path, want)                                                           \
    do {                                                                                       \
        double g_ = jnum((json), (path));                                                      \
        if (!(g_ == (double)(want)))                                                           \
            fail_msg("line %d: %s = %.17g, want %.17g in %s", __LINE__, (path), g_,            \
                     (double)(want), (json));                                                  \
    } while (0)

#define EXPECT_CONTAINS(s, needle)                                                            \
    do {                                                                                      \
        const char *s_ = (s);                                                                 \
        if (s_ == NULL || strstr(s_, (needle)) == NULL)                                       \
            fail_msg("line %d: \"%s\" does not contain \"%s\"", __LINE__, s_ ? s_ : "(null)", \
                     (needle));                                                               \
    } while (0)


#endif
