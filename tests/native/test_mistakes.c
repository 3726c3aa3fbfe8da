/* test_mistakes.c — an author's mistakes, caught with a message that says
 * what to do (tests/native/workflows.c makes them on purpose), and the call
 * handle's promise that one call's error text never reaches another's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <string.h>

#include "cx.h"
#include "drive.h"
#include "eng.h"
#include "tests.h"

extern int tw_drift_version;

static int reset(void **state) {
    (void)state;
    dr_reset();
    tw_drift_version = 1;
    return 0;
}

static void expect_errored(dr_resp r, const char *code, const char *needle) {
    const char *error = jstr(r.body, "error");
    if (jstr(r.body, "status") == NULL || strcmp(jstr(r.body, "status"), "errored") != 0)
        fail_msg("not errored: %s", r.body);
    assert_string_equal(jstr(r.body, "errorCode"), code);
    if (error == NULL || strstr(error, needle) == NULL) fail_msg("error %s lacks \"%s\"", error, needle);
}

/* Rows that arrive damaged from the host are refused with a storage error,
 * whichever query of the call they answer; nothing is read from them and
 * nothing is lost: the next call sees the instance as it was. */
static void test_malformed_rows_refused(void **state) {
    (void)state;
    hn_use("rows");
    EXPECT_HTTP(dr_create("multi-step", "rows", "{\"value\":2}"), 201);
    dr_resp good = dr_get("rows");
    EXPECT_HTTP(good, 200);
    for (int mode = HN_CUT_SHORT; mode <= HN_MORE_ROWS; mode++) {
        int refused = 0;
        for (int k = 0; k < 12; k++) {
            hn_corrupt_rows(k, mode);
            dr_resp r = dr_get("rows");
            hn_corrupt_rows(-1, 0);
            if (r.status == 200) {
                assert_string_equal(r.body, good.body); /* the query of this k returned no row */
                continue;
            }
            refused++;
            EXPECT_HTTP(r, 500);
            EXPECT_CONTAINS(jstr(r.body, "error.message"), "malformed rows from the host");
            dr_resp again = dr_get("rows");
            EXPECT_HTTP(again, 200);
            assert_string_equal(again.body, good.body);
        }
        if (refused == 0) fail_msg("mode %d: no damaged answer was refused", mode);
    }
}

/* Stored rows come back exactly as they went in through every query that
 * reads steps as a page (db.c page_rows): Status (GET), the timeline, and the
 * whole history a pass loads. The create's answer is rendered from memory,
 * so an answer equal to it proves the page lost nothing: escapes, control
 * characters, non-ASCII and astral text, a double that needs 17 digits, a
 * wake time that is not a whole ms. */
static void test_page_rows_exact(void **state) {
    (void)state;
    hn_use("exact");
    const char *payload =
        "{\"name\":\"q\\\"uo\\\\te \\u00e9\\ud83d\\ude00 /\","
        "\"value\":{\"s\":\"ctl\\u0001\\n\\t\\\"\\\\/\\u00e9\\ud83d\\ude00\\u2028\","
        "\"n\":0.30000000000000004,\"big\":1e300,\"tiny\":5e-324,\"i\":123456789012345},\"at\":4102444800000.123}";
    dr_resp made = dr_create("t-exact", "exact", payload);
    EXPECT_HTTP(made, 201);
    assert_string_equal(jstr(made.body, "status"), "sleeping");
    assert_string_equal(jstr(made.body, "steps.0.name"), "q\"uo\\te \xc3\xa9\xf0\x9f\x98\x80 /");
    assert_true(jnum(made.body, "steps.1.wakeAt") == 4102444800000.123);
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_steps WHERE typeof(wake_at) = 'real'"), 1);
    EXPECT_CONTAINS(made.body, "0.30000000000000004");

    dr_resp got = dr_get("exact");
    EXPECT_HTTP(got, 200);
    assert_string_equal(got.body, made.body);

    /* the timeline reads the do step through its own page query */
    dr_resp tl = dr_fetch("GET", "/__ablauf/workflows/exact/timeline", NULL);
    EXPECT_HTTP(tl, 200);
    assert_string_equal(jstr(tl.body, "timeline.0.name"), jstr(made.body, "steps.0.name"));

    /* pause, then resume: the resume's pass loads the whole history */
    EXPECT_HTTP(dr_post("exact", "pause", NULL), 200);
    dr_resp resumed = dr_post("exact", "resume", NULL);
    EXPECT_HTTP(resumed, 200);
    const char *a = strstr(made.body, "\"steps\":"), *b = strstr(resumed.body, "\"steps\":");
    const char *a_end = strstr(made.body, ",\"createdAt\":"), *b_end = strstr(resumed.body, ",\"createdAt\":");
    assert_non_null(a && b && a_end && b_end);
    assert_int_equal(a_end - a, b_end - b);
    assert_memory_equal(a, b, (size_t)(a_end - a)); /* every step as created */
}

/* A page whose text is damaged (cut short, a column more, an escape SQLite
 * would not write, a lone surrogate, a NUL, rows out of order) is refused
 * with a storage error; nothing is lost: the next read is as before. */
static void test_malformed_page_refused(void **state) {
    (void)state;
    hn_use("page");
    EXPECT_HTTP(dr_create("multi-step", "page", "{\"value\":2}"), 201);
    dr_resp good = dr_get("page");
    EXPECT_HTTP(good, 200);
    static const struct { const char *from, *to, *says; } cases[] = {
        {"]]", "]", "malformed page of rows"},
        {"[[", "[[null,", "malformed page of rows"},
        {"],[", "],7,[", "malformed page of rows"},
        {"\"do\"", "\"d\\qo\"", "malformed page of rows"},
        {"\"do\"", "\"d\\ud800o\"", "malformed page of rows"},
        {"\"do\"", "\"d\\udc00\\ud800o\"", "malformed page of rows"},
        {"\"do\"", "\"d\\u0000o\"", "malformed page of rows"},
        {"\"do\"", "\"d\\u00zzo\"", "malformed page of rows"},
        {",1,\"do\"", ",\"1\"x,\"do\"", "malformed page of rows"},
        {",2,\"do\"", ",1,\"do\"", "step rows out of order"},
        {"]]", "]] ", "malformed page of rows"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hn_rewrite_page(0, cases[i].from, cases[i].to);
        dr_resp r = dr_get("page");
        hn_rewrite_page(-1, NULL, NULL);
        if (r.status != 500) fail_msg("case %zu (%s -> %s) not refused: %s", i, cases[i].from, cases[i].to, r.body);
        EXPECT_CONTAINS(jstr(r.body, "error.message"), cases[i].says);
        dr_resp again = dr_get("page");
        EXPECT_HTTP(again, 200);
        assert_string_equal(again.body, good.body);
    }
    /* the history a pass loads is read the same way, and its page may not
     * hold more rows than the count asked for (it fills an array that big) */
    hn_use("page-load");
    EXPECT_HTTP(dr_create("t-exact", "page-load", "{\"name\":\"a\",\"value\":1,\"at\":4102444800000}"), 201);
    EXPECT_HTTP(dr_post("page-load", "pause", NULL), 200);
    static const struct { const char *from, *to, *says; } loads[] = {
        {"]]", "],[\"zz\",9,\"do\",\"completed\",1,\"2\",null,1,1,0,null,null,0,null,null,null,0]]",
         "more step rows than asked for"},
        {",2,\"sleep_until\"", ",1,\"sleep_until\"", "step rows out of order"},
        {"\"a\"", "\"\\x\"", "malformed page of rows"},
    };
    for (size_t i = 0; i < sizeof loads / sizeof loads[0]; i++) {
        hn_rewrite_page(0, loads[i].from, loads[i].to);
        dr_resp r = dr_post("page-load", "resume", NULL);
        hn_rewrite_page(-1, NULL, NULL);
        if (r.status != 500) fail_msg("load %zu (%s -> %s) not refused: %s", i, loads[i].from, loads[i].to, r.body);
        EXPECT_CONTAINS(jstr(r.body, "error.message"), loads[i].says);
        EXPECT_STR(dr_get("page-load").body, "status", "paused"); /* nothing changed */
    }
    EXPECT_STR(dr_post("page-load", "resume", NULL).body, "status", "sleeping");
    hn_use("page");

    /* an escape SQLite may write, read as what it stands for */
    hn_rewrite_page(0, "\"do\"", "\"\\u0064\\u006F\"");
    dr_resp r = dr_get("page");
    hn_rewrite_page(-1, NULL, NULL);
    EXPECT_HTTP(r, 200);
    assert_string_equal(r.body, good.body);
}

/* A batch of completed steps that storage refuses fails the call with the
 * storage's own words, as a statement of its own would have. */
static void test_refused_step_batch(void **state) {
    (void)state;
    hn_use("refused");
    EXPECT_HTTP(dr_get("refused"), 404); /* the schema, nothing else */
    assert_int_equal(sqlite3_exec(hn_db(), "CREATE TRIGGER no_rows BEFORE INSERT ON ab_steps"
                                  " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
                                  NULL, NULL, NULL), SQLITE_OK);
    dr_resp r = dr_create("benchmark", "refused", "{\"steps\":30,\"work\":0}");
    EXPECT_HTTP(r, 500);
    EXPECT_CONTAINS(jstr(r.body, "error.message"), "storing completed steps");
    EXPECT_CONTAINS(jstr(r.body, "error.message"), "database or disk is full");
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_steps"), 0);
    assert_int_equal(hn_rows_queued(), 0);
}

/* One object's storage error, then single allocation failures on another
 * object: every failure answers "Out of memory", never a stale text. (Before
 * the call handle, db.c kept the last error in a file-scope pointer into a
 * reused arena, and an allocation failure that set no error of its own
 * answered with what an earlier call had left there.) */
static void test_error_text_never_crosses_calls(void **state) {
    (void)state;
    hn_use("obj-a");
    EXPECT_HTTP(dr_create("echo", "obj-a", "{\"message\":\"a\"}"), 201);
    assert_int_equal(sqlite3_exec(hn_db(), "DROP TABLE ab_steps", NULL, NULL, NULL), SQLITE_OK);
    dr_resp r = dr_get("obj-a");
    EXPECT_HTTP(r, 500);
    EXPECT_CONTAINS(jstr(r.body, "error.message"), "Storage error: no such table: ab_steps");

    hn_use("obj-b");
    EXPECT_HTTP(dr_create("echo", "obj-b", "{\"message\":\"b\"}"), 201);
    int failures = 0, n;
    for (n = 0; n < 2000; n++) {
        dr_fail_at(n, 1);
        r = dr_get("obj-b");
        dr_fail_at(-1, 0);
        if (r.status == 200) continue;
        failures++;
        EXPECT_HTTP(r, 500);
        const char *msg = jstr(r.body, "error.message");
        if (msg == NULL || strcmp(msg, "Out of memory") != 0)
            fail_msg("allocation %d failed: %s", n, r.body);
    }
    assert_true(failures > 5); /* the sweep reached the call's allocations */
    EXPECT_HTTP(dr_get("obj-b"), 200);
}

/* The build's check (ab_check over the registry): exactly the one broken
 * definition of the test build, named. */
static void test_build_check_names_the_workflow(void **state) {
    (void)state;
    dr_resp r = dr_check();
    EXPECT_HTTP(r, 500);
    assert_int_equal(jlen(r.body, "errors"), 1);
    EXPECT_STR(r.body, "errors.0.workflow", "t-bad-schema");
    EXPECT_CONTAINS(jstr(r.body, "errors.0.message"), "input schema is not valid JSON");
}

static ab_rc run_nothing(ab_ctx *c, const cJSON *p, cJSON **r) {
    (void)c;
    (void)p;
    *r = NULL;
    return AB_OK;
}

/* Each mistake a definition can make, checked the way the build does. */
static void test_definition_mistakes(void **state) {
    (void)state;
    static const ab_update_def close_update[] = {{"close", NULL}, {NULL, NULL}};
    static const ab_event_def twice[] = {{"go", NULL}, {"go", NULL}, {NULL, NULL}};
    static const ab_workflow ok = {.type = "fine", .input_schema = "{\"type\":\"object\",\"title\":\"t\"}", .run = run_nothing};
    static const ab_workflow dup = {.type = "fine", .run = run_nothing};
    static const ab_workflow closes = {.type = "closes", .updates = close_update, .run = run_nothing};
    static const ab_workflow unsupported = {
        .type = "pattern", .input_schema = "{\"properties\":{\"a\":{\"type\":\"string\",\"pattern\":\"x\"}}}",
        .run = run_nothing};
    static const ab_workflow badtype = {.type = "badtype", .result_schema = "{\"type\":\"strin\"}", .run = run_nothing};
    static const ab_workflow events = {.type = "events", .events = twice, .run = run_nothing};
    static const ab_workflow retry = {.type = "retry", .retry = {0, "5 s", "sometimes"}, .run = run_nothing};
    static const ab_workflow norun = {.type = "norun"};
    static const ab_workflow badname = {.type = "", .run = run_nothing};
    static const ab_workflow *const defs[] = {&ok, &dup, &closes, &unsupported, &badtype, &events,
                                              &retry, &norun, &badname, NULL};
    static const char *const want[][2] = {
        {"fine", "type is registered twice"},
        {"closes", "update name \"close\" is reserved"},
        {"pattern", "input schema at \"/properties/a/pattern\": unsupported keyword 'pattern'"},
        {"badtype", "result schema at \"/type\": invalid value for keyword 'type'"},
        {"events", "event \"go\" is declared twice"},
        {"retry", "retry.delay \"5 s\" is not a duration"},
        {"retry", "retry.backoff \"sometimes\" is not fixed, linear or exponential"},
        {"norun", "has no run function"},
        {"", "type name must be"},
    };
    cx *X = cx_open();
    cx_enter(X);
    cJSON *errors = cJSON_CreateArray();
    int n = eng_check_defs(X, defs, errors);
    size_t nwant = sizeof want / sizeof want[0];
    char *text = cJSON_PrintUnformatted(errors);
    if (n != (int)nwant) fail_msg("%d problems: %s", n, text);
    for (size_t i = 0; i < nwant; i++) {
        const cJSON *e = cJSON_GetArrayItem(errors, (int)i);
        const char *w = cJSON_GetStringValue(cJSON_GetObjectItem(e, "workflow"));
        const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(e, "message"));
        if (w == NULL || m == NULL || strcmp(w, want[i][0]) != 0 || strstr(m, want[i][1]) == NULL)
            fail_msg("problem %zu: want %s: %s in %s", i, want[i][0], want[i][1], text);
    }
    cx_leave();
    cx_close(X);
}

/* A schema the build would refuse still answers clearly at run time, and the
 * create stores nothing. */
static void test_bad_schema_at_run_time(void **state) {
    (void)state;
    dr_resp r = dr_create("t-bad-schema", "bs", "{}");
    EXPECT_HTTP(r, 500);
    EXPECT_STR(r.body, "error.code", "INTERNAL_ERROR");
    const char *msg = jstr(r.body, "error.message");
    EXPECT_CONTAINS(msg, "Workflow \"t-bad-schema\": its input schema is not valid JSON");
    assert_null(strstr(msg, "memory"));
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_instance"), 0);
}

static void test_forgotten_try(void **state) {
    (void)state;
    dr_resp r = dr_create("t-forgot-try", "ft", "{}");
    EXPECT_HTTP(r, 201);
    expect_errored(r, "VALIDATION_ERROR",
                   "Step \"nap\" stopped the pass (sleeping) but the run function returned AB_OK: "
                   "return the status of every step call (wrap it in AB_TRY)");
    assert_true(jis_null(r.body, "result"));
}

static void test_forgotten_try_then_a_step(void **state) {
    (void)state;
    dr_resp r = dr_create("t-forgot-try-next", "ftn", "{}");
    EXPECT_HTTP(r, 201);
    expect_errored(r, "VALIDATION_ERROR",
                   "Step \"after-nap\" was called after step \"nap\" stopped the pass");
    /* the step after the stop never ran */
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_steps WHERE name = 'after-nap'"), 0);
}

static void test_result_schema(void **state) {
    (void)state;
    dr_resp r = dr_create("t-bad-result", "br", "{}");
    EXPECT_HTTP(r, 201);
    expect_errored(r, "VALIDATION_ERROR",
                   "Result of workflow \"t-bad-result\" does not match its result schema: total: ");
    assert_true(jis_null(r.body, "result"));
}

static void test_steps_change_between_passes(void **state) {
    (void)state;
    dr_resp r = dr_create("t-drift", "dr", "{\"x\":1}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "sleeping");
    tw_drift_version = 2; /* the code changed under the sleeping instance */
    assert_int_equal(dr_fire(), 1);
    r = dr_get("dr");
    expect_errored(r, "VALIDATION_ERROR",
                   "Workflow \"t-drift\" is not deterministic: step \"fetch-v2\" appeared where the "
                   "stored history continues with step \"fetch-v1\"");
    /* the stored step keeps its result; the new one was never stored */
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_steps WHERE name = 'fetch-v2'"), 0);
    EXPECT_STR(r.body, "steps.@fetch-v1.status", "completed");
}

int test_mistakes_run(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_malformed_rows_refused, reset),
        cmocka_unit_test_setup(test_page_rows_exact, reset),
        cmocka_unit_test_setup(test_malformed_page_refused, reset),
        cmocka_unit_test_setup(test_refused_step_batch, reset),
        cmocka_unit_test_setup(test_error_text_never_crosses_calls, reset),
        cmocka_unit_test_setup(test_build_check_names_the_workflow, reset),
        cmocka_unit_test_setup(test_definition_mistakes, reset),
        cmocka_unit_test_setup(test_bad_schema_at_run_time, reset),
        cmocka_unit_test_setup(test_forgotten_try, reset),
        cmocka_unit_test_setup(test_forgotten_try_then_a_step, reset),
        cmocka_unit_test_setup(test_result_schema, reset),
        cmocka_unit_test_setup(test_steps_change_between_passes, reset),
    };
    return cmocka_run_group_tests_name("mistakes", tests, NULL, NULL);
}
