/* test_author.c — the author helpers of ablauf.h (wasm/src/author.c): the
 * accessors on every wrong shape, AB_JSON's exact text, ab_obj's NULL and
 * copy rules, and the helpers at work in the demo workflows, also under
 * allocation failure.
 *
 * The accessors need no ab_ctx. ab_obj, ab_num and ab_bool never touch
 * theirs (author.c says so), so they are called here outside any pass with
 * NO_CTX; ab_str, ab_ok and ab_ok_str need a real one and are tested through
 * the demo workflows that use them. cJSON allocates from a handle of this
 * file's own (X, entered by reset); values made here live until the next
 * test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h> /* true/false are macros now: AB_JSON must not expand them */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ablauf.h"
#include "cx.h"
#include "drive.h"
#include "tests.h"

#define NO_CTX ((ab_ctx *)NULL)

static cx *X;

static int reset(void **state) {
    (void)state;
    dr_reset();
    cx_close(X);
    X = cx_open();
    cx_enter(X);
    return X ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    cx_fail_at(X, -1, 0);
    dr_fail_at(-1, 0);
    return 0;
}

static const char *print(const cJSON *v) {
    char *s = v ? cJSON_PrintUnformatted(v) : NULL;
    return s ? s : "(null)";
}

/* --- accessors ---------------------------------------------------------------- */

static const char SAMPLE[] =
    "{\"s\":\"x\",\"S\":\"upper\",\"n\":2.5,\"i\":3,\"neg\":-7,\"big\":1e10,\"one\":1,"
    "\"max\":2147483647,\"min\":-2147483648,\"over\":2147483648,\"t\":true,\"f\":false,"
    "\"z\":null,\"o\":{\"k\":1},\"a\":[1,2],\"e\":\"\",\"d\":1,\"d\":2}";

static void test_get_any(void **state) {
    (void)state;
    cJSON *o = cJSON_Parse(SAMPLE);
    assert_non_null(o);
    assert_ptr_equal(ab_get(o, "s"), cJSON_GetObjectItemCaseSensitive(o, "s"));
    assert_null(ab_get(NULL, "s"));
    assert_null(ab_get(o, NULL));
    assert_null(ab_get(o, "missing"));
    assert_null(ab_get(o, ""));
    /* only objects have members: not arrays, strings, numbers */
    assert_null(ab_get(ab_get(o, "a"), "0"));
    assert_null(ab_get(ab_get(o, "s"), "s"));
    assert_null(ab_get(ab_get(o, "z"), "s"));
    /* case-sensitive, unlike cJSON_GetObjectItem; the first of repeated keys */
    assert_string_equal(ab_get_str(o, "s"), "x");
    assert_string_equal(ab_get_str(o, "S"), "upper");
    assert_int_equal(ab_get_int(o, "d", 0), 1);
}

static void test_get_str(void **state) {
    (void)state;
    cJSON *o = cJSON_Parse(SAMPLE);
    assert_string_equal(ab_get_str(o, "s"), "x");
    assert_string_equal(ab_get_str(o, "e"), "");
    const char *not_strings[] = {"n", "t", "z", "o", "a", "missing"};
    for (size_t i = 0; i < sizeof not_strings / sizeof *not_strings; i++)
        assert_null(ab_get_str(o, not_strings[i]));
    assert_null(ab_get_str(NULL, "s"));
    assert_null(ab_get_str(ab_get(o, "a"), "s"));
}

static void test_get_num_and_int(void **state) {
    (void)state;
    cJSON *o = cJSON_Parse(SAMPLE);
    assert_true(ab_get_num(o, "n", -1) == 2.5);
    assert_true(ab_get_num(o, "big", -1) == 1e10);
    assert_true(ab_get_num(o, "neg", -1) == -7);
    const char *not_numbers[] = {"s", "t", "f", "z", "o", "a", "missing"};
    for (size_t i = 0; i < sizeof not_numbers / sizeof *not_numbers; i++) {
        assert_true(ab_get_num(o, not_numbers[i], -1) == -1);
        assert_int_equal(ab_get_int(o, not_numbers[i], -1), -1);
    }
    assert_true(isnan(ab_get_num(NULL, "n", NAN)));

    assert_int_equal(ab_get_int(o, "i", -1), 3);
    assert_int_equal(ab_get_int(o, "neg", -1), -7);
    assert_int_equal(ab_get_int(o, "max", -1), INT_MAX);
    assert_int_equal(ab_get_int(o, "min", -1), INT_MIN);
    /* not integral, or out of int's range: the default, never a wrapped value */
    assert_int_equal(ab_get_int(o, "n", -1), -1);
    assert_int_equal(ab_get_int(o, "big", -1), -1);
    assert_int_equal(ab_get_int(o, "over", -1), -1);
    assert_int_equal(ab_get_int(NULL, "i", -1), -1);
    cJSON *m = cJSON_Parse("{\"huge\":1e308,\"tiny\":-1e308,\"negzero\":-0.0,\"frac\":-0.5}");
    assert_int_equal(ab_get_int(m, "huge", 9), 9);
    assert_int_equal(ab_get_int(m, "tiny", 9), 9);
    assert_int_equal(ab_get_int(m, "negzero", 9), 0);
    assert_int_equal(ab_get_int(m, "frac", 9), 9);
}

static void test_get_bool(void **state) {
    (void)state;
    cJSON *o = cJSON_Parse(SAMPLE);
    assert_int_equal(ab_get_bool(o, "t", 7), 1);
    assert_int_equal(ab_get_bool(o, "f", 7), 0);
    /* 1, "x", null, {} and [] are not booleans */
    const char *not_bools[] = {"one", "s", "z", "o", "a", "missing"};
    for (size_t i = 0; i < sizeof not_bools / sizeof *not_bools; i++)
        assert_int_equal(ab_get_bool(o, not_bools[i], 7), 7);
    assert_int_equal(ab_get_bool(NULL, "t", 7), 7);
}

static void test_get_obj_and_arr(void **state) {
    (void)state;
    cJSON *o = cJSON_Parse(SAMPLE);
    assert_ptr_equal(ab_get_obj(o, "o"), ab_get(o, "o"));
    assert_ptr_equal(ab_get_arr(o, "a"), ab_get(o, "a"));
    assert_null(ab_get_obj(o, "a"));
    assert_null(ab_get_arr(o, "o"));
    const char *scalars[] = {"s", "n", "t", "z", "missing"};
    for (size_t i = 0; i < sizeof scalars / sizeof *scalars; i++) {
        assert_null(ab_get_obj(o, scalars[i]));
        assert_null(ab_get_arr(o, scalars[i]));
    }
    assert_null(ab_get_obj(NULL, "o"));
    assert_int_equal(ab_get_int(ab_get_obj(o, "o"), "k", 0), 1);
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, ab_get_arr(o, "a")) n++;
    assert_int_equal(n, 2);
    cJSON_ArrayForEach(e, ab_get_arr(o, "o")) n++; /* NULL: no iteration */
    assert_int_equal(n, 2);
}

/* --- AB_JSON ---------------------------------------------------------------------- */

#define CONST_TRUE AB_JSON({"const": true})

static void test_json_macro(void **state) {
    (void)state;
    /* commas, brackets and nesting: exactly the text between the parentheses */
    assert_string_equal(
        AB_JSON({"type":"object","required":["name"],"properties":{"name":{"type":"string"}}}),
        "{\"type\":\"object\",\"required\":[\"name\"],\"properties\":{\"name\":{\"type\":\"string\"}}}");
    /* white space between tokens becomes one space, or none at the ends */
    assert_string_equal(AB_JSON(   {"a":  1,
                                        "b" : [ 2 ,3 ] }   ),
                        "{\"a\": 1, \"b\" : [ 2 ,3 ] }");
    /* inside strings nothing changes: spaces, escapes, unicode escapes */
    assert_string_equal(AB_JSON({"p": "^\\d+$", "q": "say \"hi\"", "u": "\u00e9", "sp": "a  b"}),
                        "{\"p\": \"^\\\\d+$\", \"q\": \"say \\\"hi\\\"\", \"u\": \"\\u00e9\", "
                        "\"sp\": \"a  b\"}");
    /* C comments go */
    assert_string_equal(AB_JSON({"a": /* why */ 1}), "{\"a\": 1}");
    /* true/false/null stay words even where stdbool.h made them macros */
    assert_string_equal(CONST_TRUE, "{\"const\": true}");
    assert_string_equal(AB_JSON({"x": [true, false, null]}), "{\"x\": [true, false, null]}");
    /* and the text is JSON */
    cJSON *j = cJSON_Parse(AB_JSON({"a": [1, {"b": "c, d"}], "e": -1.5e3}));
    assert_string_equal(print(j), "{\"a\":[1,{\"b\":\"c, d\"}],\"e\":-1500}");
}

/* Every schema of every registered workflow is JSON text (AB_JSON checks
 * nothing at compile time; a typo would surface only at run time). */
static void check_schema_text(const char *type, const char *what, const char *text) {
    if (text == NULL) return;
    cJSON *s = cJSON_Parse(text);
    if (s == NULL || !cJSON_IsObject(s)) fail_msg("%s: %s is not a JSON object: %s", type, what, text);
}

static void test_demo_schemas_parse(void **state) {
    (void)state;
    int n = 0;
    for (const ab_workflow *const *w = ab_registry; *w; w++, n++) {
        /* the native build's t-* workflows are broken on purpose (workflows.c) */
        if (strncmp((*w)->type, "t-", 2) == 0) continue;
        check_schema_text((*w)->type, "input_schema", (*w)->input_schema);
        check_schema_text((*w)->type, "result_schema", (*w)->result_schema);
        for (const ab_event_def *e = (*w)->events; e && e->name; e++)
            check_schema_text((*w)->type, e->name, e->schema);
        for (const ab_update_def *u = (*w)->updates; u && u->name; u++)
            check_schema_text((*w)->type, u->name, u->schema);
    }
    assert_true(n > 10);
}

/* --- builders ---------------------------------------------------------------------- */

static void test_obj(void **state) {
    (void)state;
    assert_string_equal(print(ab_obj(NO_CTX, AB_END)), "{}");
    cJSON *o = ab_obj(NO_CTX, "n", ab_num(NO_CTX, 42), "t", ab_bool(NO_CTX, 2), "f", ab_bool(NO_CTX, 0),
                      "s", cJSON_CreateString("x"), "z", cJSON_CreateNull(),
                      "o", ab_obj(NO_CTX, "k", ab_num(NO_CTX, 0.5), AB_END), AB_END);
    assert_string_equal(print(o), "{\"n\":42,\"t\":true,\"f\":false,\"s\":\"x\",\"z\":null,\"o\":{\"k\":0.5}}");
    /* JSON has no NaN: cJSON prints it as null */
    assert_string_equal(print(ab_obj(NO_CTX, "nan", ab_num(NO_CTX, NAN), AB_END)), "{\"nan\":null}");
    /* keys are copied */
    char key[] = "key";
    o = ab_obj(NO_CTX, key, ab_num(NO_CTX, 1), AB_END);
    key[0] = 'X';
    assert_string_equal(print(o), "{\"key\":1}");
}

static void test_obj_null_values(void **state) {
    (void)state;
    cJSON *v = ab_num(NO_CTX, 1);
    assert_null(ab_obj(NO_CTX, "a", NULL, AB_END));
    assert_null(ab_obj(NO_CTX, "a", v, "b", NULL, AB_END));
    assert_null(ab_obj(NO_CTX, "a", NULL, "b", ab_num(NO_CTX, 2), AB_END));
    /* a failure deep inside reaches the outermost object */
    assert_null(ab_obj(NO_CTX, "outer", ab_obj(NO_CTX, "inner", ab_obj(NO_CTX, "x", NULL, AB_END), AB_END),
                       AB_END));
}

static void test_obj_copies_members_of_other_trees(void **state) {
    (void)state;
    cJSON *p = cJSON_Parse("{\"m\":\"hi\",\"arr\":[5],\"o\":{\"k\":true}}");
    const char *before = print(p);
    cJSON *o = ab_obj(NO_CTX, "copy", ab_get(p, "m"), "arr", ab_get(p, "arr"),
                      "lone", cJSON_GetArrayItem(ab_get(p, "arr"), 0), "o", ab_get(p, "o"), AB_END);
    assert_string_equal(print(o), "{\"copy\":\"hi\",\"arr\":[5],\"lone\":5,\"o\":{\"k\":true}}");
    assert_string_equal(print(p), before);
    assert_ptr_not_equal(ab_get(o, "copy"), ab_get(p, "m"));
    /* a free-standing value is attached itself: no copy */
    cJSON *v = ab_num(NO_CTX, 3);
    o = ab_obj(NO_CTX, "v", v, AB_END);
    assert_ptr_equal(ab_get(o, "v"), v);
    /* and once attached it counts as a member: a second object copies it */
    cJSON *o2 = ab_obj(NO_CTX, "again", v, AB_END);
    assert_ptr_not_equal(ab_get(o2, "again"), v);
    assert_string_equal(print(o), "{\"v\":3}");
    assert_string_equal(print(o2), "{\"again\":3}");
}

/* Every allocation of a build fails in turn: the result is NULL or the whole
 * object, never a partial one, and nothing crashes (ASan). */
static void test_obj_under_oom(void **state) {
    (void)state;
    const char *want = "{\"a\":1,\"b\":{\"c\":true},\"d\":\"x\"}";
    int nulls = 0, whole = 0;
    for (long n = 0; n < 40; n++) {
        cJSON *p = cJSON_Parse("{\"d\":\"x\"}");
        assert_non_null(p);
        cx_fail_at(X, n, 0);
        cJSON *o = ab_obj(NO_CTX, "a", ab_num(NO_CTX, 1), "b", ab_obj(NO_CTX, "c", ab_bool(NO_CTX, 1), AB_END),
                          "d", ab_get(p, "d"), AB_END);
        cx_fail_at(X, -1, 0);
        if (o == NULL) {
            nulls++;
            continue;
        }
        assert_string_equal(print(o), want);
        whole++;
    }
    assert_true(nulls > 5);
    assert_true(whole > 0);
}

/* --- the helpers at work in the demo workflows -------------------------------------- */

static void test_demo_test_workflow(void **state) {
    (void)state;
    dr_resp r = dr_create("test", "t-ada", "{\"name\":\"Ada\"}");
    assert_int_equal(r.status, 201);
    assert_string_equal(jstr(r.body, "status"), "sleeping");
    assert_string_equal(jstr(r.body, "steps.@greet.result"), "Hello, Ada!");
    assert_int_equal(dr_fire(), 1);
    assert_string_equal(jstr(dr_get("t-ada").body, "status"), "waiting");
    r = dr_post("t-ada", "events/approval", "{\"approved\":false}");
    assert_string_equal(jstr(r.body, "status.status"), "completed");
    assert_string_equal(jtext(r.body, "status.result"),
                        "{\"message\":\"Ada was rejected\",\"greeting\":\"Hello, Ada!\"}");
}

/* multi-event's result holds the events' ok booleans (which is which: the
 * second arrives first, buffered, with the other value). */
static void test_demo_multi_event_booleans(void **state) {
    (void)state;
    dr_resp r = dr_create("multi-event", "me", "{\"name\":\"Eve\"}");
    assert_string_equal(jstr(r.body, "status"), "waiting");
    assert_string_equal(jstr(dr_post("me", "events/second-approval", "{\"ok\":true}").body, "delivery"),
                        "buffered");
    r = dr_post("me", "events/first-approval", "{\"ok\":false}");
    assert_string_equal(jstr(r.body, "status.status"), "completed");
    assert_string_equal(jtext(r.body, "status.result"),
                        "{\"greeting\":\"Hi, Eve\",\"first\":false,\"second\":true}");
}

/* label prints with %.17g, as the demo's former fmt_num did: integral values
 * without a fraction, others with every digit. */
static void test_demo_number_labels(void **state) {
    (void)state;
    dr_resp r = dr_create("multi-step", "ms-frac", "{\"value\":0.1}");
    assert_string_equal(jstr(r.body, "status"), "completed");
    char want[64];
    snprintf(want, sizeof want, "result:%.17g", (0.1 + 1) * 2 + 10);
    assert_string_equal(jstr(r.body, "result.d"), want);
    assert_string_equal(want, "result:12.199999999999999");
    hn_use("ms-big");
    r = dr_create("multi-step", "ms-big", "{\"value\":-1e15}");
    assert_string_equal(jstr(r.body, "result.d"), "result:-1999999999999988");
}

/* benchmark's checksum, recomputed here: the argument object built once and
 * updated in place gives every step its own i. */
static void test_demo_benchmark_checksum(void **state) {
    (void)state;
    uint32_t sum = 0;
    for (uint32_t i = 0; i < 7; i++) {
        uint32_t x = i * 2654435761u + 1;
        for (int k = 0; k < 50; k++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
        }
        sum += x;
    }
    dr_resp r = dr_create("benchmark", "b", "{\"steps\":7,\"work\":50}");
    assert_string_equal(jstr(r.body, "status"), "completed");
    assert_true(jnum(r.body, "result.checksum") == (double)sum);
    assert_true(jnum(r.body, "result.steps") == 7);
}

/* The call that ends the run function (ab_obj, ab_str and ab_ok there,
 * ab_ok/ab_ok_str in the bodies) with allocation n failing, for n = 0, 1, ...
 * until 30 runs in a row answer exactly like the clean run: every answer is
 * clean, and after the client repeats a failed request the instance
 * completes with exactly the clean result. */
typedef struct oom_flow {
    const char *type, *payload;
    int fire_first;           /* an alarm (a sleep) comes before the event */
    const char *event, *body; /* NULL: the create is the call under test */
    const char *want;
} oom_flow;

static dr_resp oom_call(const oom_flow *f, long fail_after) {
    dr_reset();
    if (f->event) {
        assert_int_equal(dr_create(f->type, "f", f->payload).status, 201);
        if (f->fire_first) assert_int_equal(dr_fire(), 1);
    }
    dr_fail_at(fail_after, 0);
    dr_resp r = f->event ? dr_post("f", f->event, f->body) : dr_create(f->type, "f", f->payload);
    dr_fail_at(-1, 0);
    return r;
}

static void oom_sweep(const oom_flow *f) {
    dr_resp clean = oom_call(f, -1);
    assert_int_equal(clean.status, f->event ? 202 : 201);
    size_t len = strlen(clean.body) + 1;
    char *ref = malloc(len); /* the pool dies at the next dr_reset */
    assert_non_null(ref);
    memcpy(ref, clean.body, len);
    long n;
    int streak = 0;
    for (n = 0; n < 20000 && streak < 30; n++) {
        dr_resp r = oom_call(f, n);
        int same = r.status == clean.status && strcmp(r.body, ref) == 0;
        if (r.status != clean.status) {
            if (r.status != 500) fail_msg("%s, fail_after(%ld): HTTP %d %s", f->type, n, r.status, r.body);
            assert_string_equal(jstr(r.body, "error.code"), "INTERNAL_ERROR");
            r = f->event ? dr_post("f", f->event, f->body) : dr_create(f->type, "f", f->payload);
        }
        dr_settle(20);
        const char *s = dr_get("f").body;
        if (jstr(s, "status") == NULL || strcmp(jstr(s, "status"), "completed") != 0)
            fail_msg("%s, fail_after(%ld): ended %s", f->type, n, s);
        assert_string_equal(jtext(s, "result"), f->want);
        streak = same ? streak + 1 : 0;
    }
    free(ref);
    assert_true(streak >= 30);
    assert_true(n > 40);
}

static void test_demo_results_under_oom(void **state) {
    (void)state;
    oom_flow test = {"test", "{\"name\":\"Bo\"}", 1, "events/approval", "{\"approved\":true}",
                     "{\"message\":\"Bo was approved\",\"greeting\":\"Hello, Bo!\"}"};
    oom_sweep(&test);
    oom_flow multi_step = {"multi-step", "{\"value\":5}", 0, NULL, NULL,
                           "{\"a\":6,\"b\":12,\"c\":22,\"d\":\"result:22\"}"};
    oom_sweep(&multi_step);
}

int test_author_run(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_any, reset, teardown),
        cmocka_unit_test_setup_teardown(test_get_str, reset, teardown),
        cmocka_unit_test_setup_teardown(test_get_num_and_int, reset, teardown),
        cmocka_unit_test_setup_teardown(test_get_bool, reset, teardown),
        cmocka_unit_test_setup_teardown(test_get_obj_and_arr, reset, teardown),
        cmocka_unit_test_setup_teardown(test_json_macro, reset, teardown),
        cmocka_unit_test_setup_teardown(test_demo_schemas_parse, reset, teardown),
        cmocka_unit_test_setup_teardown(test_obj, reset, teardown),
        cmocka_unit_test_setup_teardown(test_obj_null_values, reset, teardown),
        cmocka_unit_test_setup_teardown(test_obj_copies_members_of_other_trees, reset, teardown),
        cmocka_unit_test_setup_teardown(test_obj_under_oom, reset, teardown),
        cmocka_unit_test_setup_teardown(test_demo_test_workflow, reset, teardown),
        cmocka_unit_test_setup_teardown(test_demo_multi_event_booleans, reset, teardown),
        cmocka_unit_test_setup_teardown(test_demo_number_labels, reset, teardown),
        cmocka_unit_test_setup_teardown(test_demo_benchmark_checksum, reset, teardown),
        cmocka_unit_test_setup_teardown(test_demo_results_under_oom, reset, teardown),
    };
    int failed = cmocka_run_group_tests_name("author", tests, NULL, NULL);
    cx_leave();
    cx_close(X);
    X = NULL;
    return failed;
}
