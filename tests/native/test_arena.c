/* test_arena.c — allocation failure injection (dr_fail_at): whatever
 * allocation fails, every export returns a clean answer (a success or a JSON
 * error), never crashes, and leaves a database the engine can go on with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "drive.h"
#include "exports.h"
#include "tests.h"

#define MAX_ALLOCS 20000

static int reset(void **state) {
    (void)state;
    dr_reset();
    return 0;
}

static char *ref_copy; /* freed here too when a test fails half-way */

static int teardown(void **state) {
    (void)state;
    dr_fail_at(-1, 0);
    free(ref_copy);
    ref_copy = NULL;
    return 0;
}

/* A failed call answers 500 with the error shape of SPEC §5. */
static void expect_clean(dr_resp r, long n, int ok_status) {
    if (r.status == ok_status) return;
    if (r.status != 500) fail_msg("fail_after(%ld): HTTP %d: %s", n, r.status, r.body);
    if (jstr(r.body, "error.code") == NULL || strcmp(jstr(r.body, "error.code"), "INTERNAL_ERROR") != 0)
        fail_msg("fail_after(%ld): body %s", n, r.body);
    assert_int_equal((int)jnum(r.body, "error.status"), 500);
    assert_non_null(jstr(r.body, "error.message"));
}

/* The meta of every output is a JSON object with a status (checked without
 * allocating: the arena may still be failing). */
static void expect_meta(dr_resp r, long n) {
    size_t len = strlen(r.meta);
    if (len < 2 || r.meta[0] != '{' || r.meta[len - 1] != '}' || strstr(r.meta, "\"status\":") == NULL)
        fail_msg("fail_after(%ld): meta %s", n, r.meta);
}

/* What a call left behind, as one string: its answer, the instance, the
 * alarm, the frames and the crash-detection columns. */
static const char *observe(dr_resp r) {
    dr_resp g = dr_get("f");
    return dr_printf("%d %s | %s | alarm %.0f | frames %d | %lld %lld %lld %lld", r.status, r.body,
                     g.status == 200 ? jcompact(g.body) : "none", hn_alarm(), hn_frame_count(),
                     hn_query_int("SELECT event_open FROM ab_instance"),
                     hn_query_int("SELECT careful FROM ab_instance"),
                     hn_query_int("SELECT died FROM ab_instance"),
                     hn_query_int("SELECT deaths FROM ab_instance"));
}

typedef struct flow {
    const char *type, *payload;
    const char *event, *event_body; /* NULL: the call under test is the alarm */
    int create_only;                /* the call under test is the create */
    int ok_status;
    const char *want_result;
} flow;

static dr_resp create(const flow *f) { return dr_create(f->type, "f", f->payload); }

static dr_resp act(const flow *f) {
    if (f->create_only) return create(f);
    if (f->event) return dr_post("f", f->event, f->event_body);
    dr_fire();
    dr_resp none = {0, "{\"status\":0}", "", 0};
    return none;
}

/* Fails allocation n of the call for n = 0, 1, ... until 30 runs in a row
 * behave exactly like the clean run. Every run must answer cleanly; then the
 * client repeats a failed request, alarms keep firing, and the instance must
 * reach the same end as without failures. */
static void sweep(const flow *f) {
    dr_reset();
    if (!f->create_only) assert_int_equal(create(f).status, 201);
    const char *obs = observe(act(f));
    char *ref = ref_copy = malloc(strlen(obs) + 1); /* outlives the pool */
    assert_non_null(ref);
    memcpy(ref, obs, strlen(obs) + 1);
    long n;
    int streak = 0;
    for (n = 0; n < MAX_ALLOCS && streak < 30; n++) {
        dr_reset();
        if (!f->create_only) assert_int_equal(create(f).status, 201);
        dr_fail_at(n, 0);
        dr_resp r = act(f);
        dr_fail_at(-1, 0);
        if (r.status != 0) {
            expect_meta(r, n);
            expect_clean(r, n, f->ok_status);
        }
        const char *got = observe(r);
        streak = strcmp(got, ref) == 0 ? streak + 1 : 0;
        /* recovery as a client and the platform would do it */
        if (f->create_only) {
            dr_resp again = create(f);
            if (again.status != 200 && again.status != 201)
                fail_msg("%s, fail_after(%ld): the repeated create: HTTP %d %s", f->type, n, again.status, again.body);
        } else if (f->event && r.status != f->ok_status) {
            dr_post("f", f->event, f->event_body);
        }
        dr_settle(20);
        const char *s = dr_get("f").body;
        const char *st = jstr(s, "status");
        if (st == NULL || strcmp(st, "completed") != 0)
            fail_msg("%s, fail_after(%ld): the instance ended %s (the failed call left %s)", f->type, n, s, got);
        assert_string_equal(jtext(s, "result"), f->want_result);
    }
    free(ref);
    ref_copy = NULL;
    assert_true(streak >= 30);
    assert_true(n > 40); /* the sweep really went through the call */
}

static void test_create_echo_under_oom(void **state) {
    (void)state;
    flow f = {"echo", "{\"message\":\"hello\"}", NULL, NULL, 1, 201,
              "{\"original\":\"hello\",\"echoed\":\"hello\"}"};
    sweep(&f);
}

static void test_event_under_oom(void **state) {
    (void)state;
    flow f = {"replay-counter", "{\"id\":\"x\"}", "events/continue", "{}", 0, 202,
              "{\"result1\":\"first\",\"result2\":\"second\",\"result3\":\"third\"}"};
    sweep(&f);
}

static void test_alarm_under_oom(void **state) {
    (void)state;
    flow f = {"failing-step", "{\"failCount\":1}", NULL, NULL, 0, 0, "\"recovered\""};
    sweep(&f);
}

static void test_sse_under_oom(void **state) {
    (void)state;
    flow f = {"sse-test", "{\"itemCount\":4}", NULL, NULL, 1, 201, "{\"processed\":4}"};
    sweep(&f);
}

static void test_other_exports_under_oom(void **state) {
    (void)state;
    for (long n = 0; n < 400; n++) {
        dr_reset();
        dr_create("sse-test", "x", "{\"itemCount\":2}");
        dr_fail_at(n, 0);
        const char *paths[] = {"/__ablauf/workflows/x", "/__ablauf/workflows/x/timeline",
                               "/__ablauf/workflows/x/updates", "/__ablauf/workflows/nope"};
        for (int i = 0; i < 4; i++) {
            dr_resp r = dr_fetch("GET", paths[i], NULL);
            expect_meta(r, n);
            assert_true(r.status == 200 || r.status == 404 || r.status == 500);
        }
        dr_req ws = {.method = "GET", .path = "/__ablauf/workflows/x/ws", .headers = "{\"upgrade\":\"websocket\"}"};
        dr_resp r = dr_fetch_req(&ws);
        expect_meta(r, n);
        dr_req e = {.method = "GET", .path = "/__ablauf/types"};
        r = dr_edge_req(&e);
        expect_meta(r, n);
        dr_req l = {.method = "GET", .path = "/__ablauf/workflows", .query = "limit=5&cursor=5~a"};
        r = dr_edge_req(&l);
        expect_meta(r, n);
        dr_req c = {.method = "POST", .path = "/__ablauf/workflows", .body = "{\"type\":\"echo\"}"};
        r = dr_edge_req(&c);
        expect_meta(r, n);
        r = dr_merge_req(&l, "[[[\"a\",\"echo\",\"completed\",1,2]],[]]");
        expect_meta(r, n);
        dr_recover();
        dr_begin();
        dr_fail_at(-1, 0);
        assert_string_equal(jstr(dr_get("x").body, "status"), "completed");
    }
}

int test_arena_run(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_echo_under_oom, reset, teardown),
        cmocka_unit_test_setup_teardown(test_event_under_oom, reset, teardown),
        cmocka_unit_test_setup_teardown(test_alarm_under_oom, reset, teardown),
        cmocka_unit_test_setup_teardown(test_sse_under_oom, reset, teardown),
        cmocka_unit_test_setup_teardown(test_other_exports_under_oom, reset, teardown),
    };
    return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
