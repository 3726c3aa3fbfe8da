/* test_engine.c — the engine end to end through its exports, driven the way
 * the shim drives it (drive.c), against SPEC §2–§9 and the demo workflows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "drive.h"
#include "db.h"
#include "tests.h"

static int reset(void **state) {
    (void)state;
    dr_reset();
    return 0;
}

/* --- assertions ------------------------------------------------------------ */

static void expect_error(dr_resp res, int status, const char *code) {
    if (res.status != status) fail_msg("HTTP %d, want %d (%s): %s", res.status, status, code, res.body);
    EXPECT_STR(res.body, "error.code", code);
    EXPECT_NUM(res.body, "error.status", status);
    assert_non_null(jstr(res.body, "error.message"));
    const char *src = jstr(res.body, "error.source");
    assert_non_null(src);
    assert_true(strcmp(src, "api") == 0 || strcmp(src, "engine") == 0 || strcmp(src, "step") == 0 ||
                strcmp(src, "validation") == 0);
}

/* GET answers 404 WORKFLOW_NOT_FOUND with the real id in the message. */
static void expect_not_found(const char *id) {
    dr_resp r = dr_get(id);
    expect_error(r, 404, "WORKFLOW_NOT_FOUND");
    EXPECT_STR(r.body, "error.message", dr_printf("Workflow \"%s\" not found", id));
}

static void expect_not_found_at(const char *path) {
    hn_use("nobody-here");
    expect_error(dr_fetch("GET", path, NULL), 404, "WORKFLOW_NOT_FOUND");
}

/* A rejected request stored nothing in the current object. */
static void expect_nothing_stored(const char *id) {
    expect_not_found(id);
    const char *tables[] = {"ab_instance", "ab_steps", "ab_events", "ab_updates", "ab_fired", "ab_index"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        long long n = hn_query_int(dr_printf("SELECT count(*) FROM %s", tables[i]));
        if (n > 0) fail_msg("%s holds %lld rows after a rejected request", tables[i], n);
    }
    assert_true(hn_alarm() < 0);
}

/* The status body, compact, for before/after comparisons. */
static const char *snapshot(const char *id) {
    dr_resp r = dr_get(id);
    EXPECT_HTTP(r, 200);
    return jcompact(r.body);
}

static const char *last_index_status(const char *id) {
    for (int i = hn_index_put_count() - 1; i >= 0; i--) {
        const hn_index_put *p = hn_index_put_at(i);
        const char *pid = jstr(p->entry, "id");
        if (pid && strcmp(pid, id) == 0) return jstr(p->entry, "status");
    }
    return NULL;
}

static void expect_keys(const char *json, const char *path, const char *const *keys, int n) {
    if (jlen(json, path) != n) fail_msg("%s has %d keys, want %d: %s", path, jlen(json, path), n, json);
    for (int i = 0; i < n; i++)
        if (jget(json, *path ? dr_printf("%s.%s", path, keys[i]) : keys[i]) == NULL)
            fail_msg("%s lacks \"%s\": %s", path, keys[i], json);
}

static const char *const STATUS_KEYS[] = {"id", "type", "status", "payload", "result", "error",
                                          "errorCode", "steps", "createdAt", "updatedAt"};
static const char *const STEP_KEYS[] = {"name", "type", "status", "attempts", "result", "error",
                                        "startedAt", "completedAt", "duration", "wakeAt",
                                        "retryHistory"};
static const char *const TIMELINE_KEYS[] = {"name", "type", "status", "startedAt", "duration",
                                            "attempts", "error", "retryHistory"};
static const char *const INDEX_KEYS[] = {"id", "type", "status", "createdAt", "updatedAt"};

/* --- create --------------------------------------------------------------------- */

static void test_create_echo(void **state) {
    (void)state;
    double t0 = hn_now();
    dr_resp r = dr_create("echo", "e1", "{\"message\":\"hello\"}");
    EXPECT_HTTP(r, 201);
    expect_keys(r.body, "", STATUS_KEYS, 10);
    EXPECT_STR(r.body, "id", "e1");
    EXPECT_STR(r.body, "type", "echo");
    EXPECT_STR(r.body, "status", "completed");
    EXPECT_JSON(r.body, "payload", "{\"message\":\"hello\"}");
    EXPECT_JSON(r.body, "result", "{\"original\":\"hello\",\"echoed\":\"hello\"}");
    assert_true(jis_null(r.body, "error"));
    assert_true(jis_null(r.body, "errorCode"));
    EXPECT_NUM(r.body, "createdAt", t0);
    EXPECT_NUM(r.body, "updatedAt", t0);
    assert_int_equal(jlen(r.body, "steps"), 1);
    expect_keys(r.body, "steps.0", STEP_KEYS, 11);
    EXPECT_STR(r.body, "steps.0.name", "echo");
    EXPECT_STR(r.body, "steps.0.type", "do");
    EXPECT_STR(r.body, "steps.0.status", "completed");
    EXPECT_NUM(r.body, "steps.0.attempts", 1);
    EXPECT_JSON(r.body, "steps.0.result", "\"hello\"");
    assert_true(jis_null(r.body, "steps.0.error"));
    EXPECT_NUM(r.body, "steps.0.startedAt", t0);
    EXPECT_NUM(r.body, "steps.0.completedAt", t0);
    EXPECT_NUM(r.body, "steps.0.duration", 0);
    assert_true(jis_null(r.body, "steps.0.wakeAt"));
    assert_true(jis_null(r.body, "steps.0.retryHistory"));
    /* nothing left to wake up for; the listing heard of it */
    assert_true(hn_alarm() < 0);
    assert_true(hn_index_put_count() >= 1);
    const hn_index_put *p = hn_index_put_at(hn_index_put_count() - 1);
    expect_keys(p->entry, "", INDEX_KEYS, 5);
    EXPECT_STR(p->entry, "status", "completed");
    EXPECT_NUM(p->entry, "createdAt", t0);
    assert_int_equal(strncmp(p->shard, "__index:", 8), 0);

    /* GET answers the same Status */
    const char *created = jcompact(r.body);
    hn_advance(1000);
    assert_string_equal(snapshot("e1"), created);

    /* the timeline */
    dr_resp t = dr_fetch("GET", "/__ablauf/workflows/e1/timeline", NULL);
    EXPECT_HTTP(t, 200);
    EXPECT_STR(t.body, "id", "e1");
    EXPECT_STR(t.body, "type", "echo");
    EXPECT_STR(t.body, "status", "completed");
    assert_int_equal(jlen(t.body, "timeline"), 1);
    expect_keys(t.body, "timeline.0", TIMELINE_KEYS, 8);
    EXPECT_STR(t.body, "timeline.0.name", "echo");
}

static void test_create_idempotent_and_conflict(void **state) {
    (void)state;
    dr_resp r = dr_create("echo", "same", "{\"message\":\"one\"}");
    EXPECT_HTTP(r, 201);
    const char *first = jcompact(r.body);
    int puts_before = hn_index_put_count();
    hn_advance(5000);
    /* same id and type: 200 with the stored Status, whatever the payload */
    r = dr_create("echo", "same", "{\"message\":\"two\"}");
    EXPECT_HTTP(r, 200);
    assert_string_equal(jcompact(r.body), first);
    r = dr_create("echo", "same", "{\"message\":\"one\"}");
    EXPECT_HTTP(r, 200);
    assert_string_equal(jcompact(r.body), first);
    /* another type: 409, nothing changes */
    r = dr_create("multi-step", "same", "{\"value\":1}");
    expect_error(r, 409, "WORKFLOW_ALREADY_EXISTS");
    EXPECT_CONTAINS(jstr(r.body, "error.message"), "same");
    assert_string_equal(snapshot("same"), first);
    assert_int_equal(hn_index_put_count(), puts_before);
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_instance"), 1);
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_steps"), 1);
}

static void test_create_generated_id(void **state) {
    (void)state;
    /* through the worker: the edge makes a UUID and names the object by it */
    dr_resp r = dr_worker("POST", "/__ablauf/workflows", "{\"type\":\"echo\",\"payload\":{\"message\":\"m\"}}");
    EXPECT_HTTP(r, 201);
    const char *id = jstr(r.body, "id");
    assert_non_null(id);
    assert_int_equal(strlen(id), 36);
    hn_use(id);
    EXPECT_STR(snapshot(id), "status", "completed");
    /* straight to an object without an id: a validation error, nothing stored */
    hn_use("no-id");
    r = dr_fetch("POST", "/__ablauf/workflows", "{\"type\":\"echo\",\"payload\":{\"message\":\"m\"}}");
    expect_error(r, 400, "VALIDATION_ERROR");
    expect_nothing_stored("no-id");
}

/* One rejected create per object: status and code, then nothing stored. */
static dr_resp reject(const char *object, const char *body, int status, const char *code) {
    hn_use(object);
    dr_resp r = dr_fetch("POST", "/__ablauf/workflows", body);
    expect_error(r, status, code);
    expect_nothing_stored(object);
    return r;
}

static char *deep_create(const char *id, int levels) {
    /* {"type":"no-schema","id":id,"payload":[[...]]}: the body object is one
     * level, the payload's arrays the rest. */
    size_t n = (size_t)levels * 2 + 128;
    char *s = malloc(n);
    assert_non_null(s);
    int k = snprintf(s, n, "{\"type\":\"no-schema\",\"id\":\"%s\",\"payload\":", id);
    for (int i = 0; i < levels - 1; i++) s[k++] = '[';
    for (int i = 0; i < levels - 1; i++) s[k++] = ']';
    s[k++] = '}';
    s[k] = '\0';
    dr_keep(s);
    return s;
}

static void test_create_rejections(void **state) {
    (void)state;
    dr_resp r;
    r = reject("u1", "{\"type\":\"nope\",\"id\":\"u1\",\"payload\":{}}", 400, "WORKFLOW_TYPE_UNKNOWN");
    EXPECT_CONTAINS(jstr(r.body, "error.message"), "nope");
    reject("m1", "{\"type\":\"echo\",\"id\":\"m1\",", 400, "VALIDATION_ERROR");
    reject("m2", "not json at all", 400, "VALIDATION_ERROR");
    reject("m3", "", 400, "VALIDATION_ERROR");
    reject("m4", "   ", 400, "VALIDATION_ERROR");
    reject("m5", "{\"type\":\"echo\",\"id\":\"m5\"} trailing", 400, "VALIDATION_ERROR");
    reject("m6", "[]", 400, "VALIDATION_ERROR");
    reject("m7", "\"echo\"", 400, "VALIDATION_ERROR");
    reject("m8", "null", 400, "VALIDATION_ERROR");
    r = reject("t1", "{\"type\":5,\"id\":\"t1\",\"payload\":{\"message\":\"x\"}}", 400, "VALIDATION_ERROR");
    EXPECT_JSON(r.body, "error.details.issues.0.path", "[\"type\"]");
    r = reject("t2", "{\"id\":\"t2\",\"payload\":{\"message\":\"x\"}}", 400, "VALIDATION_ERROR");
    EXPECT_JSON(r.body, "error.details.issues.0.path", "[\"type\"]");
    r = reject("t3", "{\"type\":\"echo\",\"id\":5,\"payload\":{\"message\":\"x\"}}", 400, "VALIDATION_ERROR");
    EXPECT_JSON(r.body, "error.details.issues.0.path", "[\"id\"]");
    r = reject("t4", "{\"type\":\"echo\",\"id\":\"__t4\",\"payload\":{\"message\":\"x\"}}", 400, "VALIDATION_ERROR");
    EXPECT_JSON(r.body, "error.details.issues.0.path", "[\"id\"]");
    /* payloads that fail the input schema: details.issues with paths */
    r = reject("p1", "{\"type\":\"echo\",\"id\":\"p1\",\"payload\":{\"message\":5}}", 400, "VALIDATION_ERROR");
    EXPECT_JSON(r.body, "error.details.issues.0.path", "[\"message\"]");
    assert_non_null(jstr(r.body, "error.details.issues.0.message"));
    r = reject("p2", "{\"type\":\"echo\",\"id\":\"p2\",\"payload\":{}}", 400, "VALIDATION_ERROR");
    EXPECT_JSON(r.body, "error.details.issues.0.path", "[]");
    EXPECT_CONTAINS(jstr(r.body, "error.details.issues.0.message"), "message");
    reject("p3", "{\"type\":\"echo\",\"id\":\"p3\"}", 400, "VALIDATION_ERROR");
    reject("p4", "{\"type\":\"echo\",\"id\":\"p4\",\"payload\":\"hello\"}", 400, "VALIDATION_ERROR");
    r = reject("p5", "{\"type\":\"failing-step\",\"id\":\"p5\",\"payload\":{\"failCount\":1.5}}", 400,
               "VALIDATION_ERROR");
    EXPECT_JSON(r.body, "error.details.issues.0.path", "[\"failCount\"]");
    r = reject("p6", "{\"type\":\"backoff-config\",\"id\":\"p6\",\"payload\":{\"failCount\":1,\"strategy\":\"random\"}}",
               400, "VALIDATION_ERROR");
    EXPECT_JSON(r.body, "error.details.issues.0.path", "[\"strategy\"]");
    /* nesting: 64 levels are accepted, 65 are a validation error */
    reject("d65", deep_create("d65", 65), 400, "VALIDATION_ERROR");
    reject("d300", deep_create("d300", 300), 400, "VALIDATION_ERROR");
    hn_use("d64");
    r = dr_fetch("POST", "/__ablauf/workflows", deep_create("d64", 64));
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "completed");
    /* size */
    hn_use("big1");
    dr_req req = {.method = "POST", .path = "/__ablauf/workflows", .body_too_large = 1,
                  .body = "{\"type\":\"echo\",\"id\":\"big1\",\"payload\":{\"message\":\"x\"}}"};
    expect_error(dr_fetch_req(&req), 413, "PAYLOAD_TOO_LARGE");
    expect_nothing_stored("big1");
    hn_use("big2");
    size_t n = 1024 * 1024 + 64;
    char *big = malloc(n + 1);
    assert_non_null(big);
    dr_keep(big);
    int k = snprintf(big, n + 1, "{\"type\":\"echo\",\"id\":\"big2\",\"payload\":{\"message\":\"");
    memset(big + k, 'x', n - (size_t)k - 3);
    memcpy(big + n - 3, "\"}}", 4);
    dr_req req2 = {.method = "POST", .path = "/__ablauf/workflows", .body = big};
    expect_error(dr_fetch_req(&req2), 413, "PAYLOAD_TOO_LARGE");
    expect_nothing_stored("big2");
}

/* --- runs ------------------------------------------------------------------------ */

static void test_multi_step(void **state) {
    (void)state;
    dr_resp r = dr_create("multi-step", "ms", "{\"value\":5}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "completed");
    EXPECT_JSON(r.body, "result", "{\"a\":6,\"b\":12,\"c\":22,\"d\":\"result:22\"}");
    const char *names[] = {"step-a", "step-b", "step-c", "step-d"};
    assert_int_equal(jlen(r.body, "steps"), 4);
    for (int i = 0; i < 4; i++) {
        EXPECT_STR(r.body, dr_printf("steps.%d.name", i), names[i]);
        EXPECT_STR(r.body, dr_printf("steps.%d.status", i), "completed");
        EXPECT_NUM(r.body, dr_printf("steps.%d.attempts", i), 1);
    }
    r = dr_fetch("GET", "/__ablauf/workflows/ms/timeline", NULL);
    assert_int_equal(jlen(r.body, "timeline"), 4);
    for (int i = 0; i < 4; i++) EXPECT_STR(r.body, dr_printf("timeline.%d.name", i), names[i]);
}

static void test_replay_counter(void **state) {
    (void)state;
    dr_resp r = dr_create("replay-counter", "rc", "{\"id\":\"rc\"}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "waiting");
    EXPECT_STR(r.body, "steps.@continue.type", "wait_for_event");
    EXPECT_STR(r.body, "steps.@continue.status", "waiting");
    assert_true(jis_null(r.body, "steps.@continue.wakeAt"));
    assert_true(hn_alarm() < 0); /* no timeout, no timer */
    /* stray alarms replay the pass without re-running anything */
    for (int i = 0; i < 3; i++) dr_alarm();
    EXPECT_STR(snapshot("rc"), "status", "waiting");
    hn_advance(1000);
    r = dr_post("rc", "events/continue", "{}");
    EXPECT_HTTP(r, 202);
    EXPECT_STR(r.body, "delivery", "resumed");
    EXPECT_STR(r.body, "status.status", "completed");
    EXPECT_JSON(r.body, "status.result", "{\"result1\":\"first\",\"result2\":\"second\",\"result3\":\"third\"}");
    EXPECT_JSON(r.body, "status.steps.@continue.result", "{}");
    const char *snap = snapshot("rc");
    const char *dos[] = {"step-1", "step-2", "step-3"};
    for (int i = 0; i < 3; i++) {
        EXPECT_STR(snap, dr_printf("steps.@%s.status", dos[i]), "completed");
        EXPECT_NUM(snap, dr_printf("steps.@%s.attempts", dos[i]), 1);
    }
    /* the timeline holds only do steps, by start time */
    r = dr_fetch("GET", "/__ablauf/workflows/rc/timeline", NULL);
    assert_int_equal(jlen(r.body, "timeline"), 3);
    EXPECT_STR(r.body, "timeline.2.name", "step-3");
    assert_true(hn_alarm() < 0);
}

static void test_failing_step_recovers(void **state) {
    (void)state;
    double t0 = hn_now();
    dr_resp r = dr_create("failing-step", "fs", "{\"failCount\":2}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "sleeping");
    EXPECT_STR(r.body, "steps.0.name", "unreliable");
    EXPECT_STR(r.body, "steps.0.status", "sleeping");
    EXPECT_NUM(r.body, "steps.0.attempts", 1);
    EXPECT_NUM(r.body, "steps.0.wakeAt", t0 + 500);
    EXPECT_STR(r.body, "steps.0.error", "Intentional failure #1");
    EXPECT_JSON(r.body, "steps.0.retryHistory",
                dr_printf("[{\"attempt\":1,\"error\":\"Intentional failure #1\",\"timestamp\":%.0f,\"duration\":0}]", t0));
    assert_true(hn_alarm() == t0 + 500);

    /* an early duplicate alarm changes nothing */
    const char *before = snapshot("fs");
    hn_advance(100);
    dr_alarm();
    assert_string_equal(snapshot("fs"), before);
    assert_true(hn_alarm() == t0 + 500);

    /* first retry after `delay`, the next after delay x 2 */
    assert_true(dr_fire());
    double t1 = hn_now();
    assert_true(t1 == t0 + 500);
    const char *s = snapshot("fs");
    EXPECT_STR(s, "status", "sleeping");
    EXPECT_NUM(s, "steps.0.attempts", 2);
    EXPECT_NUM(s, "steps.0.wakeAt", t1 + 1000);
    assert_int_equal(jlen(s, "steps.0.retryHistory"), 2);
    EXPECT_NUM(s, "steps.0.retryHistory.1.attempt", 2);
    EXPECT_STR(s, "steps.0.retryHistory.1.error", "Intentional failure #2");
    EXPECT_NUM(s, "steps.0.retryHistory.1.timestamp", t1);
    assert_true(hn_alarm() == t1 + 1000);

    assert_true(dr_fire());
    s = snapshot("fs");
    EXPECT_STR(s, "status", "completed");
    EXPECT_JSON(s, "result", "\"recovered\"");
    EXPECT_STR(s, "steps.0.status", "completed");
    EXPECT_NUM(s, "steps.0.attempts", 3);
    assert_true(jis_null(s, "steps.0.error"));
    assert_true(jis_null(s, "steps.0.wakeAt"));
    assert_int_equal(jlen(s, "steps.0.retryHistory"), 2);
    EXPECT_NUM(s, "steps.0.startedAt", t0);
    assert_true(hn_alarm() < 0);
    /* duplicate deliveries of the last alarm change nothing */
    dr_alarm();
    dr_alarm();
    assert_string_equal(snapshot("fs"), s);
}

static void test_failing_step_exhausted(void **state) {
    (void)state;
    dr_resp r = dr_create("failing-step", "fx", "{\"failCount\":5}");
    EXPECT_HTTP(r, 201);
    assert_int_equal(dr_settle(10), 2);
    const char *s = snapshot("fx");
    EXPECT_STR(s, "status", "errored");
    EXPECT_STR(s, "errorCode", "STEP_RETRY_EXHAUSTED");
    EXPECT_STR(s, "error", "Step \"unreliable\" failed after 3 attempts: Intentional failure #3");
    EXPECT_STR(s, "steps.0.status", "failed");
    EXPECT_NUM(s, "steps.0.attempts", 3);
    assert_int_equal(jlen(s, "steps.0.retryHistory"), 3);
    /* a failed step has a duration like any other: completedAt - startedAt */
    assert_false(jis_null(s, "steps.0.duration"));
    EXPECT_NUM(s, "steps.0.duration", jnum(s, "steps.0.completedAt") - jnum(s, "steps.0.startedAt"));
    assert_true(jnum(s, "steps.0.duration") > 0);
    assert_true(jis_null(s, "result"));
    assert_true(hn_alarm() < 0);
    /* the end frame and close 1000 went out */
    assert_int_equal(hn_close_count(), 1);
    assert_int_equal(hn_last_close_code(), 1000);
    assert_string_equal(last_index_status("fx"), "errored");
}

static void test_backoff_strategies(void **state) {
    (void)state;
    const char *strategies[] = {"fixed", "linear", "exponential"};
    const double waits[3][3] = {{100, 100, 100}, {100, 200, 300}, {100, 200, 400}};
    for (int k = 0; k < 3; k++) {
        const char *id = dr_printf("bo-%s", strategies[k]);
        hn_use(id);
        dr_resp r = dr_create("backoff-config", id,
                              dr_printf("{\"failCount\":3,\"strategy\":\"%s\"}", strategies[k]));
        EXPECT_HTTP(r, 201);
        for (int a = 0; a < 3; a++) {
            const char *s = snapshot(id);
            EXPECT_STR(s, "status", "sleeping");
            EXPECT_NUM(s, "steps.0.attempts", a + 1);
            EXPECT_NUM(s, "steps.0.wakeAt", hn_now() + waits[k][a]);
            assert_true(hn_alarm() == hn_now() + waits[k][a]);
            assert_true(dr_fire());
        }
        const char *s = snapshot(id);
        EXPECT_STR(s, "status", "completed");
        EXPECT_JSON(s, "result", "\"ok\"");
        EXPECT_NUM(s, "steps.0.attempts", 4);
    }
}

static void test_non_retriable(void **state) {
    (void)state;
    hn_use("nr1");
    dr_resp r = dr_create("non-retriable", "nr1", "{\"shouldFail\":true}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "errored");
    EXPECT_STR(r.body, "errorCode", "STEP_FAILED");
    EXPECT_STR(r.body, "error", "Step \"maybe-fail\" failed: Intentional permanent failure");
    EXPECT_STR(r.body, "steps.0.status", "failed");
    EXPECT_NUM(r.body, "steps.0.attempts", 1);
    EXPECT_STR(r.body, "steps.0.error", "Intentional permanent failure");
    assert_int_equal(jlen(r.body, "steps.0.retryHistory"), 1);
    assert_true(hn_alarm() < 0);
    dr_alarm();
    assert_string_equal(snapshot("nr1"), jcompact(r.body));
    hn_use("nr2");
    r = dr_create("non-retriable", "nr2", "{\"shouldFail\":false}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "completed");
    EXPECT_JSON(r.body, "result", "\"success\"");
}

static void test_duplicate_step(void **state) {
    (void)state;
    dr_resp r = dr_create("duplicate-step", "dup", "{}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "errored");
    EXPECT_STR(r.body, "errorCode", "VALIDATION_ERROR");
    EXPECT_STR(r.body, "error", "Duplicate step name \"fetch-data\"");
    assert_int_equal(jlen(r.body, "steps"), 1);
    EXPECT_STR(r.body, "steps.0.status", "completed");
}

static void test_unknown_type_at_replay(void **state) {
    (void)state;
    dr_resp r = dr_create("test", "ghost", "{\"name\":\"g\"}");
    EXPECT_HTTP(r, 201);
    /* a deployment that no longer registers the type */
    assert_int_equal(sqlite3_exec(hn_db(), "UPDATE ab_instance SET type = 'retired-type'", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_true(dr_fire());
    const char *s = snapshot("ghost");
    EXPECT_STR(s, "status", "errored");
    EXPECT_STR(s, "errorCode", "WORKFLOW_TYPE_UNKNOWN");
    EXPECT_CONTAINS(jstr(s, "error"), "retired-type");
}

static void test_sleep_until(void **state) {
    (void)state;
    double t0 = hn_now();
    hn_use("su1");
    dr_resp r = dr_create("sleep-until-test", "su1", dr_printf("{\"wakeAt\":%.0f}", t0 + 10000));
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "sleeping");
    EXPECT_STR(r.body, "steps.@nap.type", "sleep_until");
    EXPECT_NUM(r.body, "steps.@nap.wakeAt", t0 + 10000);
    assert_true(hn_alarm() == t0 + 10000);
    hn_advance(9999);
    dr_alarm(); /* early */
    EXPECT_STR(snapshot("su1"), "status", "sleeping");
    assert_true(hn_alarm() == t0 + 10000);
    assert_true(dr_fire());
    const char *s = snapshot("su1");
    EXPECT_STR(s, "status", "completed");
    EXPECT_JSON(s, "result", "{\"before\":\"before\",\"after\":\"after\"}");
    /* a wake time in the past does not sleep */
    hn_use("su2");
    r = dr_create("sleep-until-test", "su2", dr_printf("{\"wakeAt\":%.0f}", t0 - 1));
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "completed");
}

/* --- events ---------------------------------------------------------------------- */

static void test_event_buffered_then_consumed(void **state) {
    (void)state;
    double t0 = hn_now();
    dr_resp r = dr_create("test", "ev", "{\"name\":\"Ada\"}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "sleeping");
    EXPECT_JSON(r.body, "steps.@greet.result", "\"Hello, Ada!\"");
    EXPECT_NUM(r.body, "steps.@pause.wakeAt", t0 + 5000);
    assert_true(hn_alarm() == t0 + 5000);
    /* the event comes before the wait: buffered, last write wins */
    r = dr_post("ev", "events/approval", "{\"approved\":false}");
    EXPECT_HTTP(r, 202);
    EXPECT_STR(r.body, "delivery", "buffered");
    EXPECT_STR(r.body, "status.status", "sleeping");
    r = dr_post("ev", "events/approval", "{\"approved\":true}");
    EXPECT_HTTP(r, 202);
    EXPECT_STR(r.body, "delivery", "buffered");
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_events"), 1);
    assert_true(hn_alarm() == t0 + 5000);
    /* the wait consumes it */
    assert_true(dr_fire());
    const char *s = snapshot("ev");
    EXPECT_STR(s, "status", "completed");
    EXPECT_JSON(s, "result", "{\"message\":\"Ada was approved\",\"greeting\":\"Hello, Ada!\"}");
    EXPECT_STR(s, "steps.@approval.status", "completed");
    EXPECT_JSON(s, "steps.@approval.result", "{\"approved\":true}");
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_events"), 0);
    assert_true(hn_alarm() < 0);
}

static void test_event_resumes_waiting(void **state) {
    (void)state;
    dr_resp r = dr_create("test", "ew", "{\"name\":\"Bo\"}");
    EXPECT_HTTP(r, 201);
    assert_true(dr_fire());
    double t1 = hn_now();
    const char *s = snapshot("ew");
    EXPECT_STR(s, "status", "waiting");
    EXPECT_STR(s, "steps.@approval.status", "waiting");
    EXPECT_NUM(s, "steps.@approval.wakeAt", t1 + 60000);
    assert_true(hn_alarm() == t1 + 60000);
    /* a duplicate alarm changes nothing */
    dr_alarm();
    assert_string_equal(snapshot("ew"), s);
    assert_true(hn_alarm() == t1 + 60000);
    hn_advance(10);
    r = dr_post("ew", "events/approval", "{\"approved\":false}");
    EXPECT_HTTP(r, 202);
    EXPECT_STR(r.body, "delivery", "resumed");
    EXPECT_STR(r.body, "status.status", "completed");
    EXPECT_JSON(r.body, "status.result", "{\"message\":\"Bo was rejected\",\"greeting\":\"Hello, Bo!\"}");
    assert_true(hn_alarm() < 0);
    /* after the end: 409, but validation first */
    r = dr_post("ew", "events/approval", "{\"approved\":true}");
    expect_error(r, 409, "WORKFLOW_NOT_RUNNING");
    EXPECT_STR(r.body, "error.details.currentStatus", "completed");
    r = dr_post("ew", "events/approval", "{\"approved\":\"yes\"}");
    expect_error(r, 400, "EVENT_INVALID");
}

static void test_event_invalid(void **state) {
    (void)state;
    dr_resp r = dr_create("test", "ei", "{\"name\":\"C\"}");
    EXPECT_HTTP(r, 201);
    const char *before = snapshot("ei");
    r = dr_post("ei", "events/nope", "{}");
    expect_error(r, 400, "EVENT_INVALID");
    EXPECT_STR(r.body, "error.details.event", "nope");
    assert_int_equal(jlen(r.body, "error.details.issues"), 0);
    r = dr_post("ei", "events/approval", "{\"approved\":\"yes\"}");
    expect_error(r, 400, "EVENT_INVALID");
    EXPECT_STR(r.body, "error.details.event", "approval");
    EXPECT_JSON(r.body, "error.details.issues.0.path", "[\"approved\"]");
    r = dr_post("ei", "events/approval", "{}");
    expect_error(r, 400, "EVENT_INVALID");
    r = dr_post("ei", "events/approval", "{\"approved\":");
    expect_error(r, 400, "VALIDATION_ERROR");
    dr_req big = {.method = "POST", .path = "/__ablauf/workflows/ei/events/approval",
                  .body = "{\"approved\":true}", .body_too_large = 1};
    expect_error(dr_fetch_req(&big), 413, "PAYLOAD_TOO_LARGE");
    assert_string_equal(snapshot("ei"), before);
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_events"), 0);
    /* another id than the object's: 404 */
    expect_not_found("someone-else");
    r = dr_post("someone-else", "events/approval", "{\"approved\":true}");
    expect_error(r, 404, "WORKFLOW_NOT_FOUND");
    EXPECT_STR(r.body, "error.message", "Workflow \"someone-else\" not found");
    /* an object without an instance */
    hn_use("empty");
    r = dr_post("empty", "events/approval", "{\"approved\":true}");
    expect_error(r, 404, "WORKFLOW_NOT_FOUND");
    expect_nothing_stored("empty");
}

static void test_event_timeout(void **state) {
    (void)state;
    dr_resp r = dr_create("test", "et", "{\"name\":\"D\"}");
    EXPECT_HTTP(r, 201);
    assert_true(dr_fire());
    EXPECT_STR(snapshot("et"), "status", "waiting");
    hn_advance(59999);
    dr_alarm(); /* early */
    EXPECT_STR(snapshot("et"), "status", "waiting");
    assert_true(dr_fire());
    const char *s = snapshot("et");
    EXPECT_STR(s, "status", "errored");
    EXPECT_STR(s, "errorCode", "EVENT_TIMEOUT");
    EXPECT_CONTAINS(jstr(s, "error"), "Event \"approval\" timed out");
    EXPECT_STR(s, "steps.@approval.status", "failed");
    EXPECT_CONTAINS(jstr(s, "steps.@approval.error"), "Event \"approval\" timed out");
    assert_true(hn_alarm() < 0);
    r = dr_post("et", "events/approval", "{\"approved\":true}");
    expect_error(r, 409, "WORKFLOW_NOT_RUNNING");
    EXPECT_STR(r.body, "error.details.currentStatus", "errored");
    assert_string_equal(snapshot("et"), s);
}

static void test_multi_event(void **state) {
    (void)state;
    dr_resp r = dr_create("multi-event", "me", "{\"name\":\"Eve\"}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "waiting");
    EXPECT_STR(r.body, "steps.@first-approval.status", "waiting");
    /* the second comes first: buffered; the first resumes and both are used */
    r = dr_post("me", "events/second-approval", "{\"ok\":true}");
    EXPECT_STR(r.body, "delivery", "buffered");
    EXPECT_STR(r.body, "status.status", "waiting");
    r = dr_post("me", "events/first-approval", "{\"ok\":false}");
    EXPECT_STR(r.body, "delivery", "resumed");
    EXPECT_STR(r.body, "status.status", "completed");
    EXPECT_JSON(r.body, "status.result", "{\"greeting\":\"Hi, Eve\",\"first\":false,\"second\":true}");
}

/* --- result sizes ---------------------------------------------------------------------- */

static void test_size_limit(void **state) {
    (void)state;
    hn_use("sl-ok");
    dr_resp r = dr_create("size-limit", "sl-ok", "{\"chunkSize\":100,\"stepCount\":3}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "completed");
    EXPECT_JSON(r.body, "result", "{\"totalChunks\":3}");
    /* 402 bytes per result: the third passes 1 KiB and fails without retry */
    hn_use("sl-fail");
    r = dr_create("size-limit", "sl-fail", "{\"chunkSize\":400,\"stepCount\":3}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "errored");
    EXPECT_STR(r.body, "errorCode", "STEP_FAILED");
    EXPECT_CONTAINS(jstr(r.body, "error"), "result size limit");
    EXPECT_CONTAINS(jstr(r.body, "error"), "Step \"chunk-2\" failed: ");
    EXPECT_STR(r.body, "steps.@chunk-2.status", "failed");
    EXPECT_NUM(r.body, "steps.@chunk-2.attempts", 1);
    EXPECT_STR(r.body, "steps.@chunk-1.status", "completed");
    assert_true(hn_alarm() < 0);
    /* onOverflow retry: normal retries, then exhausted */
    hn_use("sl-retry");
    double t0 = hn_now();
    r = dr_create("size-limit-retry", "sl-retry", "{\"chunkSize\":400,\"stepCount\":3}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "sleeping");
    EXPECT_NUM(r.body, "steps.@chunk-2.wakeAt", t0 + 100);
    EXPECT_CONTAINS(jstr(r.body, "steps.@chunk-2.error"), "result size limit");
    assert_true(dr_fire());
    const char *s = snapshot("sl-retry");
    EXPECT_STR(s, "status", "errored");
    EXPECT_STR(s, "errorCode", "STEP_RETRY_EXHAUSTED");
    EXPECT_CONTAINS(jstr(s, "error"), "Step \"chunk-2\" failed after 2 attempts: ");
    EXPECT_CONTAINS(jstr(s, "error"), "result size limit");
    /* one result over 1 MiB fails at once, even with onOverflow retry */
    hn_use("sl-huge");
    r = dr_create("size-limit-retry", "sl-huge", "{\"chunkSize\":1048577,\"stepCount\":1}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "errored");
    EXPECT_STR(r.body, "errorCode", "STEP_FAILED");
    EXPECT_NUM(r.body, "steps.0.attempts", 1);
    EXPECT_CONTAINS(jstr(r.body, "error"), "1 MiB");
}

/* --- lifecycle ------------------------------------------------------------------------- */

static void test_pause_resume(void **state) {
    (void)state;
    double t0 = hn_now();
    dr_resp r = dr_create("test", "pr", "{\"name\":\"P\"}");
    EXPECT_HTTP(r, 201);
    hn_advance(1000);
    r = dr_post("pr", "pause", NULL);
    EXPECT_HTTP(r, 200);
    EXPECT_STR(r.body, "status", "paused");
    EXPECT_NUM(r.body, "updatedAt", t0 + 1000);
    assert_true(hn_alarm() < 0);
    assert_string_equal(last_index_status("pr"), "paused");
    const char *paused = jcompact(r.body);
    /* pause on paused: a harmless no-op */
    hn_advance(1000);
    r = dr_post("pr", "pause", NULL);
    EXPECT_HTTP(r, 200);
    assert_string_equal(jcompact(r.body), paused);
    /* time passes, a stale alarm arrives: nothing runs while paused */
    hn_advance(10000);
    dr_alarm();
    assert_string_equal(snapshot("pr"), paused);
    assert_true(hn_alarm() < 0);
    /* an event while paused is buffered */
    r = dr_post("pr", "events/approval", "{\"approved\":true}");
    EXPECT_HTTP(r, 202);
    EXPECT_STR(r.body, "delivery", "buffered");
    EXPECT_STR(r.body, "status.status", "paused");
    /* resume runs the pass it causes: the sleep is over, the buffered event is used */
    r = dr_post("pr", "resume", NULL);
    EXPECT_HTTP(r, 200);
    EXPECT_STR(r.body, "status", "completed");
    EXPECT_JSON(r.body, "result", "{\"message\":\"P was approved\",\"greeting\":\"Hello, P!\"}");
    assert_string_equal(last_index_status("pr"), "completed");
    /* ended: pause/resume/terminate are 409 and change nothing */
    const char *done = jcompact(r.body);
    const char *routes[] = {"pause", "resume", "terminate"};
    for (int i = 0; i < 3; i++) {
        r = dr_post("pr", routes[i], NULL);
        expect_error(r, 409, "WORKFLOW_NOT_RUNNING");
        EXPECT_STR(r.body, "error.details.currentStatus", "completed");
    }
    assert_string_equal(snapshot("pr"), done);
}

static void test_resume_not_paused_and_waiting(void **state) {
    (void)state;
    dr_resp r = dr_create("test", "rw", "{\"name\":\"R\"}");
    EXPECT_HTTP(r, 201);
    const char *s = jcompact(r.body);
    /* resume on a running (sleeping) instance: a no-op */
    r = dr_post("rw", "resume", NULL);
    EXPECT_HTTP(r, 200);
    assert_string_equal(jcompact(r.body), s);
    assert_true(dr_fire());
    EXPECT_STR(snapshot("rw"), "status", "waiting");
    double timeout = hn_alarm();
    /* paused while waiting, resumed before the timeout: waiting again, same timer */
    hn_advance(1000);
    r = dr_post("rw", "pause", NULL);
    EXPECT_STR(r.body, "status", "paused");
    assert_true(hn_alarm() < 0);
    hn_advance(1000);
    r = dr_post("rw", "resume", NULL);
    EXPECT_HTTP(r, 200);
    EXPECT_STR(r.body, "status", "waiting");
    assert_true(hn_alarm() == timeout);
    /* paused past the timeout: on resume the wait times out */
    r = dr_post("rw", "pause", NULL);
    hn_set_now(timeout + 5000);
    r = dr_post("rw", "resume", NULL);
    EXPECT_HTTP(r, 200);
    EXPECT_STR(r.body, "status", "errored");
    EXPECT_STR(r.body, "errorCode", "EVENT_TIMEOUT");
}

static void test_terminate(void **state) {
    (void)state;
    dr_resp r = dr_create("test", "tm", "{\"name\":\"T\"}");
    EXPECT_HTTP(r, 201);
    r = dr_post("tm", "events/approval", "{\"approved\":true}");
    EXPECT_STR(r.body, "delivery", "buffered");
    hn_advance(100);
    r = dr_post("tm", "terminate", NULL);
    EXPECT_HTTP(r, 200);
    EXPECT_STR(r.body, "status", "terminated");
    assert_true(hn_alarm() < 0);
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_events"), 0);
    assert_int_equal(hn_close_count(), 1);
    assert_int_equal(hn_last_close_code(), 1000);
    assert_string_equal(hn_frame(hn_frame_count() - 1), "{\"event\":\"close\",\"data\":{}}");
    assert_string_equal(last_index_status("tm"), "terminated");
    const char *s = jcompact(r.body);
    /* final: timers, events and lifecycle requests change nothing */
    hn_advance(100000);
    dr_alarm();
    const char *routes[] = {"pause", "resume", "terminate"};
    for (int i = 0; i < 3; i++) {
        r = dr_post("tm", routes[i], NULL);
        expect_error(r, 409, "WORKFLOW_NOT_RUNNING");
        EXPECT_STR(r.body, "error.details.currentStatus", "terminated");
    }
    r = dr_post("tm", "events/approval", "{\"approved\":true}");
    expect_error(r, 409, "WORKFLOW_NOT_RUNNING");
    assert_string_equal(snapshot("tm"), s);
    assert_int_equal(hn_close_count(), 1);
    /* terminate a paused one too */
    hn_use("tm2");
    dr_create("test", "tm2", "{\"name\":\"T\"}");
    dr_post("tm2", "pause", NULL);
    r = dr_post("tm2", "terminate", NULL);
    EXPECT_HTTP(r, 200);
    EXPECT_STR(r.body, "status", "terminated");
    /* lifecycle on an errored instance */
    hn_use("tm3");
    dr_create("non-retriable", "tm3", "{\"shouldFail\":true}");
    r = dr_post("tm3", "pause", NULL);
    expect_error(r, 409, "WORKFLOW_NOT_RUNNING");
    EXPECT_STR(r.body, "error.details.currentStatus", "errored");
    /* unknown instance */
    hn_use("tm4");
    expect_error(dr_post("tm4", "terminate", NULL), 404, "WORKFLOW_NOT_FOUND");
    expect_nothing_stored("tm4");
}

static void test_advance_hook(void **state) {
    (void)state;
    dr_resp r = dr_create("test", "adv", "{\"name\":\"A\"}");
    EXPECT_HTTP(r, 201);
    r = dr_post("adv", "_advance", NULL);
    EXPECT_HTTP(r, 200);
    EXPECT_STR(r.body, "status", "waiting");
    assert_true(hn_alarm() == hn_now() + 60000);
    r = dr_post("adv", "_advance", NULL);
    EXPECT_HTTP(r, 200);
    EXPECT_STR(r.body, "status", "errored");
    EXPECT_STR(r.body, "errorCode", "EVENT_TIMEOUT");
    /* retries are timers too */
    hn_use("adv2");
    r = dr_create("failing-step", "adv2", "{\"failCount\":2}");
    EXPECT_STR(r.body, "status", "sleeping");
    r = dr_post("adv2", "_advance", NULL);
    EXPECT_STR(r.body, "status", "sleeping");
    EXPECT_NUM(r.body, "steps.0.attempts", 2);
    r = dr_post("adv2", "_advance", NULL);
    EXPECT_STR(r.body, "status", "completed");
    /* without the hook the route does not exist */
    dr_req q = {.method = "POST", .path = "/__ablauf/workflows/adv2/_advance", .env = "{}"};
    expect_error(dr_fetch_req(&q), 404, "RESOURCE_NOT_FOUND");
}

/* --- the alarm ------------------------------------------------------------------------------- */

static void test_alarm_is_earliest_timer(void **state) {
    (void)state;
    double t0 = hn_now();
    dr_resp r = dr_create("test", "al", "{\"name\":\"N\"}");
    EXPECT_HTTP(r, 201);
    assert_true(hn_alarm() == t0 + 5000);
    /* duplicate and early alarms while sleeping change nothing */
    const char *s = snapshot("al");
    int puts = hn_index_put_count();
    for (int i = 0; i < 3; i++) {
        hn_advance(1000);
        dr_alarm();
        assert_true(hn_alarm() == t0 + 5000);
    }
    assert_string_equal(snapshot("al"), s);
    assert_int_equal(hn_index_put_count(), puts);
    assert_true(dr_fire());
    double t1 = hn_now();
    assert_true(hn_alarm() == t1 + 60000);
    s = snapshot("al");
    /* the same alarm delivered twice */
    dr_alarm();
    assert_string_equal(snapshot("al"), s);
    assert_true(hn_alarm() == t1 + 60000);
    r = dr_post("al", "events/approval", "{\"approved\":true}");
    EXPECT_STR(r.body, "status.status", "completed");
    assert_true(hn_alarm() < 0);
    assert_int_equal(hn_frame_count(), 1); /* the end frame only: no updates declared */
}

/* --- live updates ------------------------------------------------------------------------------ */

static void expect_frame(int i, const char *event, const char *data, int seq) {
    const char *f = hn_frame(i);
    if (f == NULL) fail_msg("no frame %d", i);
    EXPECT_STR(f, "event", event);
    EXPECT_STR(f, "data", data);
    if (seq) EXPECT_NUM(f, "seq", seq);
    else if (jget(f, "seq") != NULL) fail_msg("frame %d has a seq: %s", i, f);
}

static void test_sse_frames_once(void **state) {
    (void)state;
    double t0 = hn_now();
    dr_resp r = dr_create("sse-test", "sse", "{\"itemCount\":10}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "completed");
    EXPECT_JSON(r.body, "result", "{\"processed\":10}");
    assert_int_equal(hn_frame_count(), 4);
    expect_frame(0, "progress", "{\"percent\":0}", 0);
    expect_frame(1, "progress", "{\"percent\":50}", 0);
    expect_frame(2, "done", "{\"message\":\"Processed 10 items\"}", 1);
    assert_string_equal(hn_frame(3), "{\"event\":\"close\",\"data\":{}}");
    assert_int_equal(hn_close_count(), 1);
    assert_int_equal(hn_last_close_code(), 1000);
    /* more passes, alarms and requests: no new frames */
    for (int i = 0; i < 3; i++) {
        hn_advance(1000);
        dr_alarm();
    }
    dr_create("sse-test", "sse", "{\"itemCount\":10}");
    dr_get("sse");
    assert_int_equal(hn_frame_count(), 4);
    assert_int_equal(hn_close_count(), 1);
    /* persisted updates: only the emit */
    r = dr_fetch("GET", "/__ablauf/workflows/sse/updates", NULL);
    EXPECT_HTTP(r, 200);
    assert_int_equal(jlen(r.body, "updates"), 1);
    EXPECT_NUM(r.body, "updates.0.seq", 1);
    EXPECT_STR(r.body, "updates.0.event", "done");
    EXPECT_STR(r.body, "updates.0.data", "{\"message\":\"Processed 10 items\"}");
    EXPECT_NUM(r.body, "updates.0.createdAt", t0);
    r = dr_fetch("GET", "/__ablauf/workflows/sse/updates?after=1", NULL);
    assert_int_equal(jlen(r.body, "updates"), 0);
    r = dr_fetch("GET", "/__ablauf/workflows/sse/updates?after=x", NULL);
    expect_error(r, 400, "VALIDATION_ERROR");
}

static void test_websocket_route(void **state) {
    (void)state;
    dr_create("sse-test", "wsx", "{\"itemCount\":3}");
    dr_req q = {.method = "GET", .path = "/__ablauf/workflows/wsx/ws"};
    dr_resp r = dr_fetch_req(&q);
    assert_int_equal(r.status, 426);
    q.headers = "{\"upgrade\":\"websocket\"}";
    r = dr_fetch_req(&q);
    assert_int_equal(r.status, 101);
    assert_int_equal(jlen(r.meta, "websocket.frames"), 2);
    const char *f0 = jstr(r.meta, "websocket.frames.0");
    EXPECT_STR(f0, "event", "done");
    EXPECT_STR(f0, "data", "{\"message\":\"Processed 3 items\"}");
    EXPECT_NUM(f0, "seq", 1);
    assert_string_equal(jstr(r.meta, "websocket.frames.1"), "{\"event\":\"close\",\"data\":{}}");
    EXPECT_NUM(r.meta, "websocket.close", 1000);
    q.query = "after=1";
    r = dr_fetch_req(&q);
    assert_int_equal(jlen(r.meta, "websocket.frames"), 1);
    /* the object's own /ws route */
    q.path = "/ws";
    q.query = NULL;
    r = dr_fetch_req(&q);
    assert_int_equal(r.status, 101);
    /* a workflow without updates: accepted and closed with 1008 */
    hn_use("wse");
    dr_create("echo", "wse", "{\"message\":\"m\"}");
    q.path = "/__ablauf/workflows/wse/ws";
    r = dr_fetch_req(&q);
    assert_int_equal(r.status, 101);
    EXPECT_NUM(r.meta, "websocket.close", 1008);
    /* a running instance: frames so far, socket stays open */
    hn_use("wsl");
    dr_create("live-progress", "wsl", "{\"steps\":2}");
    q.path = "/__ablauf/workflows/wsl/ws";
    r = dr_fetch_req(&q);
    assert_int_equal(r.status, 101);
    assert_int_equal(jlen(r.meta, "websocket.frames"), 0);
    assert_null(jget(r.meta, "websocket.close"));
    /* unknown id */
    hn_use("wsn");
    q.path = "/__ablauf/workflows/wsn/ws";
    expect_error(dr_fetch_req(&q), 404, "WORKFLOW_NOT_FOUND");
}

static void test_live_progress_once(void **state) {
    (void)state;
    dr_resp r = dr_create("live-progress", "lp", "{\"steps\":4}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "waiting");
    assert_int_equal(hn_frame_count(), 0);
    r = dr_post("lp", "events/go", "{}");
    EXPECT_STR(r.body, "status.status", "completed");
    EXPECT_JSON(r.body, "status.result", "{\"total\":4}");
    assert_int_equal(hn_frame_count(), 8);
    expect_frame(0, "progress", "{\"step\":1}", 0);
    expect_frame(1, "progress", "{\"step\":2}", 0);
    expect_frame(2, "progress", "{\"step\":2}", 1);
    expect_frame(3, "progress", "{\"step\":3}", 0);
    expect_frame(4, "progress", "{\"step\":4}", 0);
    expect_frame(5, "progress", "{\"step\":4}", 2);
    expect_frame(6, "done", "{\"total\":4}", 3);
    for (int i = 0; i < 3; i++) dr_alarm();
    assert_int_equal(hn_frame_count(), 8);
    r = dr_fetch("GET", "/__ablauf/workflows/lp/updates", NULL);
    assert_int_equal(jlen(r.body, "updates"), 3);
}

/* --- crash detection ------------------------------------------------------------------------------ */

static long long col(const char *c) { return hn_query_int(dr_printf("SELECT %s FROM ab_instance", c)); }

static void test_crash_isolate_died(void **state) {
    (void)state;
    dr_resp r = dr_create("failing-step", "cr", "{\"failCount\":1}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "sleeping");
    assert_int_equal(col("event_open"), 0);
    hn_set_now(hn_alarm());
    /* the alarm fires; its event begins, then the isolate dies before ab_alarm */
    hn_set_alarm(-1);
    assert_true(dr_begin() > 0);
    assert_true(col("event_open") != 0);
    /* the platform delivers the alarm again: the engine notices the death and
     * runs the next body only behind a committed marker */
    dr_alarm();
    assert_int_equal(col("careful"), 1);
    assert_int_equal(col("died"), 0);
    assert_int_equal(col("event_open"), 0);
    const char *s = snapshot("cr");
    EXPECT_STR(s, "steps.0.status", "running");
    EXPECT_NUM(s, "steps.0.attempts", 2);
    EXPECT_NUM(s, "steps.0.wakeAt", hn_now());
    assert_true(hn_alarm() == hn_now()); /* the body runs in an event of its own */
    /* that event dies too, while the body runs: the attempt is a crash */
    hn_set_alarm(-1);
    assert_true(dr_begin() > 0);
    dr_alarm();
    s = snapshot("cr");
    EXPECT_STR(s, "status", "sleeping");
    EXPECT_NUM(s, "steps.0.attempts", 2);
    assert_int_equal(jlen(s, "steps.0.retryHistory"), 2);
    EXPECT_STR(s, "steps.0.retryHistory.0.error", "Intentional failure #1");
    EXPECT_CONTAINS(jstr(s, "steps.0.retryHistory.1.error"), "crash");
    EXPECT_NUM(s, "steps.0.retryHistory.1.attempt", 2);
    EXPECT_NUM(s, "steps.0.wakeAt", hn_now() + 1000); /* exponential: 500 x 2 */
    assert_true(hn_alarm() == hn_now() + 1000);
    /* the retry: marker first (careful), then the body in the next event */
    assert_true(dr_fire());
    EXPECT_STR(snapshot("cr"), "steps.0.status", "running");
    EXPECT_NUM(snapshot("cr"), "steps.0.attempts", 3);
    assert_true(dr_fire());
    s = snapshot("cr");
    EXPECT_STR(s, "status", "completed");
    EXPECT_JSON(s, "result", "\"recovered\"");
    EXPECT_NUM(s, "steps.0.attempts", 3);
    assert_int_equal(col("careful"), 0);
    assert_int_equal(col("deaths"), 0);
    assert_true(hn_alarm() < 0);
}

/* A request whose pass runs careful (after a death) still answers the
 * instance at rest: the shim commits the armed marker and settles. */
static void test_crash_then_request_settles(void **state) {
    (void)state;
    dr_resp r = dr_create("failing-step", "cs", "{\"failCount\":1}");
    EXPECT_STR(r.body, "status", "sleeping");
    assert_true(dr_begin() > 0); /* an event that died */
    r = dr_post("cs", "_advance", NULL);
    EXPECT_HTTP(r, 200);
    EXPECT_STR(r.body, "status", "completed");
    EXPECT_JSON(r.body, "result", "\"recovered\"");
    EXPECT_NUM(r.body, "steps.0.attempts", 2);
    assert_int_equal(jlen(r.body, "steps.0.retryHistory"), 1);
    assert_int_equal(col("careful"), 0);
    assert_int_equal(col("event_open"), 0);
    assert_true(hn_alarm() < 0);
    /* the same through an event: replay-counter waiting, a death, the event */
    hn_use("cs2");
    dr_create("replay-counter", "cs2", "{\"id\":\"x\"}");
    assert_true(dr_begin() > 0);
    r = dr_post("cs2", "events/continue", "{}");
    EXPECT_HTTP(r, 202);
    EXPECT_STR(r.body, "delivery", "resumed");
    EXPECT_STR(r.body, "status.status", "completed");
    EXPECT_NUM(r.body, "status.steps.@step-3.attempts", 1);
}

static void test_crash_outside_steps(void **state) {
    (void)state;
    dr_resp r = dr_create("test", "co", "{\"name\":\"C\"}");
    EXPECT_HTTP(r, 201);
    /* one death outside any body: noticed, the pass goes on */
    assert_true(dr_begin() > 0);
    assert_true(dr_fire());
    EXPECT_STR(snapshot("co"), "status", "waiting");
    assert_int_equal(col("careful"), 1);
    /* the event arrives: careful changes nothing for a wait */
    r = dr_post("co", "events/approval", "{\"approved\":true}");
    EXPECT_STR(r.body, "status.status", "completed");
    /* deaths in a row with no step to blame: the instance errors instead of looping */
    hn_use("co2");
    dr_create("test", "co2", "{\"name\":\"C\"}");
    for (int i = 0; i < 4; i++) assert_true(dr_begin() > 0);
    assert_true(col("deaths") >= 3);
    dr_alarm();
    const char *s = snapshot("co2");
    EXPECT_STR(s, "status", "errored");
    EXPECT_STR(s, "errorCode", "INTERNAL_ERROR");
    EXPECT_CONTAINS(jstr(s, "error"), "crashed");
}

/* A trap inside a step body (the marker is committed, the completion is
 * not): the attempt is recorded as a crash and retried by the rules;
 * completed steps never run again. */
extern int tw_trap_body_runs;

static void test_trap_in_step_body(void **state) {
    (void)state;
    tw_trap_body_runs = 0;
    dr_resp r = dr_create("t-trap-body", "tp", "{}");
    assert_true(r.trapped);
    assert_int_equal(tw_trap_body_runs, 1);
    /* the shim ran ab_recover with the body it last heard of: step b's
     * attempt 1 is marked, and a pass is due now */
    assert_true(hn_alarm() == hn_now());
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_steps WHERE name = 'b' AND status = 'running'"
                                  " AND attempts = 1"), 1);
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_steps WHERE name = 'a' AND status = 'completed'"), 1);
    assert_true(dr_fire());
    const char *s = snapshot("tp");
    EXPECT_STR(s, "steps.@b.status", "sleeping");
    EXPECT_CONTAINS(jstr(s, "steps.@b.retryHistory.0.error"), "crash");
    EXPECT_NUM(s, "steps.@b.retryHistory.0.attempt", 1);
    EXPECT_NUM(s, "steps.@b.wakeAt", hn_now() + 1000);
    assert_true(dr_settle(10) >= 1);
    s = snapshot("tp");
    EXPECT_STR(s, "status", "completed");
    EXPECT_JSON(s, "result", "{\"a\":\"first\",\"b\":\"second\"}");
    EXPECT_NUM(s, "steps.@a.attempts", 1);
    EXPECT_NUM(s, "steps.@b.attempts", 2);
    assert_int_equal(tw_trap_body_runs, 2); /* the crashed attempt never ran again */
}

/* An executed do step costs less than one statement: its marker is written
 * only where it is committed before the body (careful mode), and its result
 * row is queued (host_step_put) and written DB_ROWS_MAX rows at a time. The
 * rows hold exactly what a statement of their own would have stored. */
static void test_one_statement_per_step(void **state) {
    (void)state;
    hn_use("one-10");
    long before = hn_sql_calls();
    EXPECT_STR(dr_create("benchmark", "one-10", "{\"steps\":10,\"work\":0}").body, "status", "completed");
    long ten = hn_sql_calls() - before;
    hn_use("one-110");
    before = hn_sql_calls();
    EXPECT_STR(dr_create("benchmark", "one-110", "{\"steps\":110,\"work\":0}").body, "status", "completed");
    long hundred_ten = hn_sql_calls() - before;
    long most = (100 + DB_ROWS_MAX - 1) / DB_ROWS_MAX + 1;
    if (hundred_ten - ten > most)
        fail_msg("100 more steps cost %ld more statements (at most %ld)", hundred_ten - ten, most);
    assert_int_equal(hn_rows_queued(), 0);
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_steps WHERE type = 'do' AND status = 'completed'"
                                  " AND attempts = 1 AND error IS NULL AND history IS NULL"
                                  " AND wake_at IS NULL AND result_bytes = length(result)"
                                  " AND completed_at = started_at + duration AND started_at IS NOT NULL"),
                     110);
    assert_int_equal(hn_query_int("SELECT count(DISTINCT ord) FROM ab_steps"), 110);
    const char *s = snapshot("one-110");
    EXPECT_STR(s, "steps.0.status", "completed");
    EXPECT_NUM(s, "steps.109.attempts", 1);
    assert_non_null(jstr(s, "steps.109.name"));
}

/* A trap at any statement of any call leaves an instance that the recovery
 * pass and its alarms bring to the right end, with every update sent at
 * most once and in order. */
static void trap_sweep(const char *type, const char *payload, const char *want_result,
                       int check_frames) {
    dr_reset();
    dr_create(type, "sw", payload);
    dr_settle(50);
    long total = hn_sql_calls();
    for (long k = 0; k < total + 5; k++) {
        dr_reset();
        hn_trap_at_sql((int)k);
        dr_create(type, "sw", payload);
        dr_settle(50);
        hn_trap_at_sql(-1);
        /* a client whose create failed before anything was stored retries it */
        if (dr_get("sw").status == 404) dr_create(type, "sw", payload);
        dr_settle(50);
        const char *s = snapshot("sw");
        if (strcmp(jstr(s, "status"), "completed") != 0)
            fail_msg("%s, trap at statement %ld: ended %s", type, k, s);
        EXPECT_JSON(s, "result", want_result);
        if (check_frames) {
            /* progress 0, progress 50, done: each at most once, in order */
            const char *order[] = {"{\"percent\":0}", "{\"percent\":50}",
                                   "{\"message\":\"Processed 10 items\"}"};
            int next = 0;
            for (int i = 0; i < hn_frame_count(); i++) {
                const char *data = jstr(hn_frame(i), "data");
                if (data == NULL) continue; /* the end frame */
                int at = -1;
                for (int j = 0; j < 3; j++)
                    if (strcmp(data, order[j]) == 0) at = j;
                if (at < next) fail_msg("%s, trap at %ld: frame %s repeated or out of order", type, k, data);
                next = at + 1;
            }
            assert_true(hn_query_int("SELECT count(*) FROM ab_updates") <= 1);
        }
    }
}

static void test_trap_sweep(void **state) {
    (void)state;
    trap_sweep("multi-step", "{\"value\":5}", "{\"a\":6,\"b\":12,\"c\":22,\"d\":\"result:22\"}", 0);
    /* one failure by design plus at most one crash: within the 3 attempts */
    trap_sweep("failing-step", "{\"failCount\":1}", "\"recovered\"", 0);
    trap_sweep("sse-test", "{\"itemCount\":10}", "{\"processed\":10}", 1);
}

/* --- the listing ------------------------------------------------------------------------------ */

static dr_resp list(const char *query) {
    return dr_worker("GET", dr_printf("/__ablauf/workflows%s%s", *query ? "?" : "", query), NULL);
}

static void expect_ids(const char *body, const char *const *ids, int n) {
    if (jlen(body, "workflows") != n) fail_msg("%d workflows, want %d: %s", jlen(body, "workflows"), n, body);
    for (int i = 0; i < n; i++) EXPECT_STR(body, dr_printf("workflows.%d.id", i), ids[i]);
}

static void test_listing(void **state) {
    (void)state;
    /* five instances, each in its own object, one second apart */
    const char *ids[] = {"l-1", "l-2", "l-3", "l-4", "l-5"};
    for (int i = 0; i < 5; i++) {
        hn_advance(1000);
        dr_resp r = i % 2 == 0
                        ? dr_worker("POST", "/__ablauf/workflows",
                                    dr_printf("{\"type\":\"echo\",\"id\":\"%s\",\"payload\":{\"message\":\"m\"}}", ids[i]))
                        : dr_worker("POST", "/__ablauf/workflows",
                                    dr_printf("{\"type\":\"test\",\"id\":\"%s\",\"payload\":{\"name\":\"n\"}}", ids[i]));
        EXPECT_HTTP(r, 201);
    }
    /* every put went to a shard object named __index:N */
    for (int i = 0; i < hn_index_put_count(); i++)
        assert_int_equal(strncmp(hn_index_put_at(i)->shard, "__index:", 8), 0);

    dr_resp r = list("");
    EXPECT_HTTP(r, 200);
    const char *all[] = {"l-5", "l-4", "l-3", "l-2", "l-1"};
    expect_ids(r.body, all, 5);
    assert_true(jis_null(r.body, "nextCursor"));
    expect_keys(r.body, "workflows.0", INDEX_KEYS, 5);
    EXPECT_STR(r.body, "workflows.0.type", "echo");
    EXPECT_STR(r.body, "workflows.0.status", "completed");
    EXPECT_STR(r.body, "workflows.1.status", "sleeping");
    EXPECT_NUM(r.body, "workflows.0.createdAt", HN_EPOCH + 5000);

    /* pages of two, newest first, by cursor */
    r = list("limit=2");
    expect_ids(r.body, all, 2);
    const char *cursor = jstr(r.body, "nextCursor");
    assert_non_null(cursor);
    r = list(dr_printf("limit=2&cursor=%s", cursor));
    expect_ids(r.body, all + 2, 2);
    cursor = jstr(r.body, "nextCursor");
    assert_non_null(cursor);
    r = list(dr_printf("limit=2&cursor=%s", cursor));
    expect_ids(r.body, all + 4, 1);
    assert_true(jis_null(r.body, "nextCursor"));
    r = list("limit=5");
    assert_true(jis_null(r.body, "nextCursor"));

    /* filters */
    r = list("type=test");
    const char *tests_[] = {"l-4", "l-2"};
    expect_ids(r.body, tests_, 2);
    r = list("status=completed");
    const char *done[] = {"l-5", "l-3", "l-1"};
    expect_ids(r.body, done, 3);
    r = list("type=echo&status=sleeping");
    expect_ids(r.body, NULL, 0);

    /* a status change moves an instance to the top */
    hn_advance(1000);
    r = dr_worker("POST", "/__ablauf/workflows/l-2/pause", NULL);
    EXPECT_STR(r.body, "status", "paused");
    r = list("limit=1");
    EXPECT_STR(r.body, "workflows.0.id", "l-2");
    EXPECT_STR(r.body, "workflows.0.status", "paused");
    EXPECT_NUM(r.body, "workflows.0.updatedAt", hn_now());
    r = list("");
    assert_int_equal(jlen(r.body, "workflows"), 5);

    /* bad queries */
    expect_error(list("limit=0"), 400, "VALIDATION_ERROR");
    expect_error(list("limit=1001"), 400, "VALIDATION_ERROR");
    expect_error(list("limit=abc"), 400, "VALIDATION_ERROR");
    expect_error(list("status=bogus"), 400, "VALIDATION_ERROR");
    expect_error(list("cursor=garbage"), 400, "VALIDATION_ERROR");
    r = list("limit=1000");
    EXPECT_HTTP(r, 200);
}

static void test_listing_follows_every_change(void **state) {
    (void)state;
    hn_use("lc");
    dr_create("test", "lc", "{\"name\":\"x\"}");
    assert_string_equal(last_index_status("lc"), "sleeping");
    dr_fire();
    assert_string_equal(last_index_status("lc"), "waiting");
    dr_post("lc", "pause", NULL);
    assert_string_equal(last_index_status("lc"), "paused");
    dr_post("lc", "resume", NULL);
    assert_string_equal(last_index_status("lc"), "waiting");
    dr_post("lc", "events/approval", "{\"approved\":true}");
    assert_string_equal(last_index_status("lc"), "completed");
    /* the entry carries the instance's own times */
    const hn_index_put *p = hn_index_put_at(hn_index_put_count() - 1);
    EXPECT_NUM(p->entry, "createdAt", HN_EPOCH);
    EXPECT_STR(p->entry, "type", "test");
}

/* Rows never exceed SQLite's 2 MB: a create whose result would be 1.48 MB
 * (echo doubles its message) fails with the result size limit, never a
 * storage error, and a result just under the limit comes back whole. */
static void test_row_sizes(void **state) {
    (void)state;
    char *msg = malloc(740001);
    assert_non_null(msg);
    memset(msg, 'x', 740000);
    msg[740000] = '\0';
    hn_use("rs-big");
    dr_resp r = dr_create("echo", "rs-big", dr_printf("{\"message\":\"%s\"}", msg));
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "errored");
    EXPECT_STR(r.body, "errorCode", "VALIDATION_ERROR");
    EXPECT_CONTAINS(jstr(r.body, "error"), "result size limit");
    assert_true(jis_null(r.body, "result"));
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_result"), 0);
    /* 500,000 characters: the result is 1,000,0xx bytes, in its own row */
    msg[500000] = '\0';
    hn_use("rs-ok");
    r = dr_create("echo", "rs-ok", dr_printf("{\"message\":\"%s\"}", msg));
    EXPECT_STR(r.body, "status", "completed");
    assert_int_equal((int)strlen(jstr(r.body, "result.echoed")), 500000);
    r = dr_get("rs-ok");
    assert_int_equal((int)strlen(jstr(r.body, "result.original")), 500000);
    free(msg);
}

/* Strict input at the worker entry: ids "." and ".." (URL normalisation
 * would make them unreachable), malformed listing queries, and a token that
 * is set but empty (fail closed). */
static void test_strict_entry(void **state) {
    (void)state;
    expect_error(dr_worker("POST", "/__ablauf/workflows", "{\"type\":\"echo\",\"id\":\".\",\"payload\":{\"message\":\"m\"}}"),
                 400, "VALIDATION_ERROR");
    expect_error(dr_worker("POST", "/__ablauf/workflows", "{\"type\":\"echo\",\"id\":\"..\",\"payload\":{\"message\":\"m\"}}"),
                 400, "VALIDATION_ERROR");
    EXPECT_HTTP(dr_worker("POST", "/__ablauf/workflows", "{\"type\":\"echo\",\"id\":\"...\",\"payload\":{\"message\":\"m\"}}"), 201);
    const char *bad[] = {"cursor=~x", "cursor=nan~x", "cursor=inf~x", "cursor=1e400~x", "cursor=0x10~x",
                         "cursor=%201~x", "cursor=1~", "limit=%2010", "limit=+10", "limit=0x10", "limit=",
                         "limit=1001", "limit=0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dr_resp r = dr_worker("GET", dr_printf("/__ablauf/workflows?%s", bad[i]), NULL);
        if (r.status != 400) fail_msg("%s: HTTP %d %s", bad[i], r.status, r.body);
        EXPECT_STR(r.body, "error.code", "VALIDATION_ERROR");
    }
    EXPECT_HTTP(dr_worker("GET", "/__ablauf/workflows?limit=10&cursor=1700000000000~abc", NULL), 200);
    /* set but empty: every route refuses, the log says why */
    const char *routes[][2] = {{"GET", "/__ablauf/workflows"}, {"GET", "/__ablauf/types"},
                               {"POST", "/__ablauf/workflows"}, {"GET", "/__ablauf/workflows/x"}};
    for (size_t i = 0; i < 4; i++) {
        dr_req q = {.method = routes[i][0], .path = routes[i][1], .env = "{\"ABLAUF_API_TOKEN\":\"\"}",
                    .body = "{\"type\":\"echo\"}"};
        dr_resp r = dr_edge_req(&q);
        expect_error(r, 500, "INTERNAL_ERROR");
        EXPECT_CONTAINS(jstr(r.body, "error.message"), "ABLAUF_API_TOKEN is set but empty");
        assert_null(jget(r.meta, "forward"));
        EXPECT_CONTAINS(hn_log_last(), "ABLAUF_API_TOKEN is set but empty");
    }
}

/* GET .../export holds every row of the instance's storage, with its
 * columns: enough to rebuild the database elsewhere (the replay tool). */
static void test_export(void **state) {
    (void)state;
    hn_use("ex");
    dr_create("replay-counter", "ex", "{\"id\":\"x\"}");
    dr_resp r = dr_get("ex");
    dr_resp e = dr_fetch("GET", "/__ablauf/workflows/ex/export", NULL);
    EXPECT_HTTP(e, 200);
    EXPECT_STR(e.body, "format", "ablauf-export");
    EXPECT_NUM(e.body, "schemaVersion", DB_SCHEMA_VERSION);
    EXPECT_STR(e.body, "id", "ex");
    assert_int_equal(jlen(e.body, "tables.ab_steps.rows"), 3);
    assert_int_equal(jlen(e.body, "tables.ab_steps.columns"), 17);
    EXPECT_STR(e.body, "tables.ab_steps.columns.0", "name");
    EXPECT_STR(e.body, "tables.ab_instance.rows.0.2", "waiting");
    assert_int_equal(jlen(e.body, "tables.ab_instance.columns"),
                     jlen(e.body, "tables.ab_instance.rows.0"));
    EXPECT_STR(e.body, "tables.ab_instance.rows.0.3", jtext(r.body, "payload"));
    assert_int_equal(jlen(e.body, "tables.ab_meta.rows"), 1);
    expect_not_found_at("/__ablauf/workflows/nope/export");
}

/* The listing outbox: a change's entry is written with the change, offered
 * after every event and by the alarm until it is acknowledged, so an isolate
 * that dies before delivering loses nothing. */
static void test_outbox_until_acknowledged(void **state) {
    (void)state;
    dr_deliver_after_events(0); /* the host never gets to deliver: it "died" */
    hn_use("ob");
    dr_resp r = dr_create("echo", "ob", "{\"message\":\"m\"}");
    EXPECT_STR(r.body, "status", "completed");
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_outbox"), 1);
    int offered = hn_index_put_count();
    assert_true(offered >= 1);
    /* completed, so no timer; the alarm is kept for the outbox */
    assert_true(hn_alarm() > hn_now());
    assert_true(hn_alarm() <= hn_now() + 5000);
    /* the alarm offers it again */
    assert_int_equal(dr_fire(), 1);
    assert_true(hn_index_put_count() > offered);
    assert_true(hn_alarm() > 0);
    /* a delivery that arrives takes it out, and the alarm goes */
    dr_deliver_index();
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_outbox"), 0);
    assert_true(hn_alarm() < 0);
    hn_use("__index:0");
    hn_use(hn_index_put_at(0)->shard);
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_index WHERE id = 'ob' AND status = 'completed'"), 1);

    /* an acknowledgement of an entry that a newer one replaced keeps the newer */
    hn_use("ob2");
    EXPECT_STR(dr_create("test", "ob2", "{\"name\":\"A\"}").body, "status", "sleeping");
    const hn_index_put *old = hn_index_put_at(hn_index_put_count() - 1);
    const char *old_shard = dr_printf("%s", old->shard), *old_entry = dr_printf("%s", old->entry);
    EXPECT_HTTP(dr_post("ob2", "pause", NULL), 200);
    dr_ack(old_shard, old_entry); /* the sleeping entry arrived late */
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_outbox WHERE entry LIKE '%paused%'"), 1);
    dr_deliver_index(); /* every offer, the paused entry last */
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_outbox"), 0);
    hn_use(old_shard);
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_index WHERE id = 'ob2' AND status = 'paused'"), 1);
}

static void test_index_shard(void **state) {
    (void)state;
    hn_use("__index:0");
    dr_resp r = dr_fetch("POST", "/__index/put",
                         "{\"id\":\"a\",\"type\":\"echo\",\"status\":\"running\",\"createdAt\":1,\"updatedAt\":5}");
    EXPECT_HTTP(r, 200);
    /* an older entry delivered late never wins */
    dr_fetch("POST", "/__index/put",
             "{\"id\":\"a\",\"type\":\"echo\",\"status\":\"sleeping\",\"createdAt\":1,\"updatedAt\":3}");
    dr_fetch("POST", "/__index/put",
             "{\"id\":\"b\",\"type\":\"test\",\"status\":\"waiting\",\"createdAt\":2,\"updatedAt\":4}");
    r = dr_fetch("GET", "/__index/list?limit=10", NULL);
    EXPECT_HTTP(r, 200);
    /* a shard answers IndexEntry objects, newest first */
    EXPECT_JSON(r.body, "", "[{\"id\":\"a\",\"type\":\"echo\",\"status\":\"running\",\"createdAt\":1,\"updatedAt\":5},{\"id\":\"b\",\"type\":\"test\",\"status\":\"waiting\",\"createdAt\":2,\"updatedAt\":4}]");
    r = dr_fetch("GET", "/__index/list?limit=10&cursorAt=5&cursorId=a", NULL);
    EXPECT_JSON(r.body, "", "[{\"id\":\"b\",\"type\":\"test\",\"status\":\"waiting\",\"createdAt\":2,\"updatedAt\":4}]");
    r = dr_fetch("POST", "/__index/put", "{\"id\":\"c\"}");
    expect_error(r, 400, "VALIDATION_ERROR");
    /* the merge of several shards' answers */
    dr_req q = {.method = "GET", .path = "/__ablauf/workflows", .query = "limit=2"};
    r = dr_merge_req(&q, "[[{\"id\":\"x\",\"type\":\"echo\",\"status\":\"completed\",\"createdAt\":1,\"updatedAt\":10}],[],[{\"id\":\"y\",\"type\":\"echo\",\"status\":\"completed\",\"createdAt\":1,\"updatedAt\":30},{\"id\":\"w\",\"type\":\"echo\",\"status\":\"completed\",\"createdAt\":1,\"updatedAt\":10}]]");
    EXPECT_HTTP(r, 200);
    const char *ids[] = {"y", "x"};
    expect_ids(r.body, ids, 2);
    EXPECT_STR(r.body, "nextCursor", "10~x");
    expect_error(dr_merge_req(&q, "{}"), 500, "INTERNAL_ERROR");
}


/* A pass's memory is bounded whatever the number of steps: a 30,000-step
 * benchmark (over twice what one 48 MiB call held before) completes within
 * its create request, in chunks that each commit, every step run once. */
static void test_big_pass_in_chunks(void **state) {
    (void)state;
    hn_use("big");
    long before = hn_sql_calls();
    dr_resp r = dr_create("benchmark", "big", "{\"steps\":30000,\"work\":1}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "completed");
    EXPECT_NUM(r.body, "result.steps", 30000);
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_steps WHERE status = 'completed' AND attempts = 1"), 30000);
    assert_int_equal(hn_query_int("SELECT deaths + died + careful FROM ab_instance"), 0);
    assert_true(hn_sql_calls() - before >= 30000 / DB_ROWS_MAX); /* a batch per DB_ROWS_MAX rows */
    /* the checksum of every step, each counted once (the demo's xorshift,
     * one iteration per step) */
    uint32_t sum = 0;
    for (uint32_t i = 0; i < 30000; i++) {
        uint32_t x = i * 2654435761u + 1;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        sum += x;
    }
    EXPECT_NUM(r.body, "result.checksum", (double)sum);

    /* Status and timeline page their steps: 1000 a page, with a cursor */
    assert_int_equal(jlen(r.body, "steps"), 1000);
    EXPECT_STR(r.body, "stepsNext", "1000");
    hn_use("big");
    dr_resp g = dr_get("big");
    EXPECT_HTTP(g, 200);
    assert_int_equal(jlen(g.body, "steps"), 1000);
    EXPECT_STR(g.body, "steps.0.name", "step-0");
    EXPECT_STR(g.body, "stepsNext", "1000");
    g = dr_fetch("GET", "/__ablauf/workflows/big?stepsCursor=1000", NULL);
    EXPECT_STR(g.body, "steps.0.name", "step-1000");
    EXPECT_STR(g.body, "stepsNext", "2000");
    g = dr_fetch("GET", "/__ablauf/workflows/big?stepsCursor=29000", NULL);
    assert_int_equal(jlen(g.body, "steps"), 1000);
    EXPECT_STR(g.body, "steps.999.name", "step-29999");
    assert_null(jget(g.body, "stepsNext"));
    expect_error(dr_fetch("GET", "/__ablauf/workflows/big?stepsCursor=x1", NULL), 400, "VALIDATION_ERROR");
    int pages = 0, seen = 0;
    const char *cursor = NULL;
    do {
        g = dr_fetch("GET", cursor ? dr_printf("/__ablauf/workflows/big/timeline?cursor=%s", cursor)
                                   : "/__ablauf/workflows/big/timeline", NULL);
        EXPECT_HTTP(g, 200);
        EXPECT_STR(g.body, "timeline.0.name", dr_printf("step-%d", seen));
        seen += jlen(g.body, "timeline");
        cursor = jstr(g.body, "next");
        pages++;
    } while (cursor != NULL && pages < 40);
    assert_int_equal(seen, 30000);
    assert_int_equal(pages, 30);
    expect_error(dr_fetch("GET", "/__ablauf/workflows/big/timeline?cursor=1~", NULL), 400, "VALIDATION_ERROR");
}

/* ARCHITECTURE "Replay is cheap": the pass an event causes replays K completed
 * steps with the same number of SQL statements whatever K is (the history is
 * loaded once and looked up in memory), not one query per step. */
static long statements_for_replay(int k) {
    const char *id = dr_printf("replay-cost-%d", k);
    hn_use(id); /* one object per instance, as in production */
    dr_resp r = dr_create("benchmark-replay", id, dr_printf("{\"steps\":%d,\"work\":1}", k));
    if (r.status != 201) fail_msg("create: %d %s", r.status, r.body + (strlen(r.body) > 400 ? strlen(r.body) - 400 : 0));
    EXPECT_STR(r.body, "status", "waiting");
    long before = hn_sql_calls();
    r = dr_post(id, dr_printf("events/go"), "{}");
    if (r.status != 202) fail_msg("event: %d %s", r.status, r.body);
    EXPECT_STR(r.body, "status.status", "completed");
    if (jlen(r.body, "status.steps") != k + 1) fail_msg("want %d steps in %s", k + 1, r.body);
    return hn_sql_calls() - before;
}

static void test_replay_costs_no_query_per_step(void **state) {
    (void)state;
    long small = statements_for_replay(10);
    long large = statements_for_replay(500);
    if (small != large)
        fail_msg("replaying 10 steps took %ld statements, 500 steps took %ld", small, large);
    assert_true(small < 30);
}


/* The current object's schema as text: every table's columns (name, type,
 * not null, default, key) in order, and every index with its definition. */
static const char *schema_text(void) {
    sqlite3_stmt *st;
    char buf[16384];
    size_t n = 0;
    const char *q = "SELECT m.type || ' ' || m.name || ': ' || CASE m.type WHEN 'table' THEN"
                    " (SELECT group_concat(p.name || ' ' || p.type || ' ' || p.\"notnull\" || ' '"
                    " || coalesce(p.dflt_value, '-') || ' ' || p.pk, ', ') FROM pragma_table_info(m.name) p)"
                    " ELSE coalesce(m.sql, '') END FROM sqlite_master m"
                    " WHERE m.name NOT LIKE 'sqlite_%' ORDER BY m.type, m.name";
    assert_int_equal(sqlite3_prepare_v2(hn_db(), q, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW && n < sizeof buf - 2) {
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\n", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return dr_printf("%s", buf);
}

/* A new database gets the current schema in one script (db.c
 * schema_current): two statements before the first pass, not dozens; and it
 * is exactly what the migrations make of an old database (test below). */
static void test_fresh_schema_in_one_statement(void **state) {
    (void)state;
    hn_use("fresh");
    long before = hn_sql_calls();
    EXPECT_HTTP(dr_fetch("GET", "/__ablauf/workflows/fresh", NULL), 404);
    assert_true(hn_sql_calls() - before <= 3); /* probe, script, the instance lookup */
    assert_int_equal(hn_query_int("SELECT value FROM ab_meta WHERE key = 'schema_version'"), DB_SCHEMA_VERSION);
}

/* The end of every migration test: a migration interrupted before its
 * version row (the version set back to `from`) runs again cleanly, and what
 * it made of the old database is the schema a new database gets. */
static void expect_rerun_and_fresh(const char *id, int from) {
    assert_int_equal(sqlite3_exec(hn_db(), dr_printf("UPDATE ab_meta SET value = %d WHERE key = 'schema_version'", from),
                                  NULL, NULL, NULL), SQLITE_OK);
    EXPECT_HTTP(dr_get(id), 200);
    assert_int_equal(hn_query_int("SELECT value FROM ab_meta WHERE key = 'schema_version'"), DB_SCHEMA_VERSION);
    const char *migrated = schema_text();
    hn_use(dr_printf("%s-fresh", id));
    EXPECT_HTTP(dr_get(dr_printf("%s-fresh", id)), 404);
    const char *fresh = schema_text();
    if (strcmp(migrated, fresh) != 0) fail_msg("%s migrated:\n%s\nnew database:\n%s", id, migrated, fresh);
}

/* The end of the migration tests of a waiting replay-counter: the event
 * resumes it from the migrated history to completion, its steps never run
 * again; then expect_rerun_and_fresh. */
static void expect_continues_then_fresh(const char *id, int from) {
    dr_resp r = dr_post(id, "events/continue", "{}");
    EXPECT_HTTP(r, 202);
    EXPECT_STR(r.body, "status.status", "completed");
    EXPECT_NUM(r.body, "status.steps.@step-3.attempts", 1);
    expect_rerun_and_fresh(id, from);
}

/* A database left at schema v1 by an older engine is migrated forward on the
 * next call, keeping its data; running the migration twice is harmless; and
 * the result is the schema a new database gets. */
static void test_migration_from_v1(void **state) {
    (void)state;
    hn_use("mig-1");
    dr_resp r = dr_create("sse-test", "mig-1", "{\"itemCount\":4}");
    EXPECT_HTTP(r, 201);
    /* Put the database back to what v1 looked like. */
    assert_int_equal(sqlite3_exec(hn_db(), "ALTER TABLE ab_updates DROP COLUMN site;"
                                  "ALTER TABLE ab_instance DROP COLUMN timer_at; DROP TABLE ab_outbox;"
                                  "UPDATE ab_instance SET result = (SELECT value FROM ab_result);"
                                  "DROP TABLE ab_result;"
                                  "UPDATE ab_meta SET value = 1 WHERE key = 'schema_version'",
                                  NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(hn_query_int("SELECT value FROM ab_meta WHERE key = 'schema_version'"), 1);
    r = dr_get("mig-1");
    EXPECT_HTTP(r, 200);
    EXPECT_STR(r.body, "status", "completed");
    assert_int_equal(hn_query_int("SELECT value FROM ab_meta WHERE key = 'schema_version'"), DB_SCHEMA_VERSION);
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_updates WHERE site IS NULL"), 1);
    r = dr_fetch("GET", "/__ablauf/workflows/mig-1/updates", NULL);
    EXPECT_HTTP(r, 200);
    assert_int_equal(jlen(r.body, "updates"), 1);
    expect_rerun_and_fresh("mig-1", 1);
}

/* v2 -> v3: a sleeping instance stored by v2 gets its timer derived from its
 * steps, so the alarm decided without the history keeps its wake-up. */
static void test_migration_from_v2(void **state) {
    (void)state;
    hn_use("mig-2");
    EXPECT_STR(dr_create("test", "mig-2", "{\"name\":\"Ann\"}").body, "status", "sleeping");
    assert_int_equal(sqlite3_exec(hn_db(), "ALTER TABLE ab_instance DROP COLUMN timer_at;"
                                  "DROP TABLE ab_outbox; DROP TABLE ab_result;"
                                  "UPDATE ab_meta SET value = 2 WHERE key = 'schema_version'",
                                  NULL, NULL, NULL), SQLITE_OK);
    /* an event that runs no pass (buffered) must keep the wake-up */
    dr_resp r = dr_post("mig-2", "events/approval", "{\"approved\":true}");
    EXPECT_HTTP(r, 202);
    EXPECT_STR(r.body, "delivery", "buffered");
    assert_int_equal(hn_query_int("SELECT value FROM ab_meta WHERE key = 'schema_version'"), DB_SCHEMA_VERSION);
    assert_int_equal(hn_query_int("SELECT timer_at = (SELECT wake_at FROM ab_steps WHERE name = 'pause')"
                                  " FROM ab_instance"), 1);
    assert_true(hn_alarm() > 0);
    assert_int_equal(dr_settle(5), 1);
    EXPECT_STR(dr_get("mig-2").body, "status", "completed");
}

/* v3 -> v4: steps stored by v3 (no I/O columns, the do-only timeline index)
 * keep working: the instance resumes, its timeline is served through the new
 * index, and the new columns read as "no I/O". */
static void test_migration_from_v3(void **state) {
    (void)state;
    hn_use("mig-3");
    EXPECT_STR(dr_create("replay-counter", "mig-3", "{\"id\":\"x\"}").body, "status", "waiting");
    assert_int_equal(sqlite3_exec(hn_db(), "DROP INDEX ab_steps_timeline;"
                                  "ALTER TABLE ab_steps DROP COLUMN request;"
                                  "ALTER TABLE ab_steps DROP COLUMN io_token;"
                                  "ALTER TABLE ab_steps DROP COLUMN outcome;"
                                  "ALTER TABLE ab_steps DROP COLUMN done_seq;"
                                  "CREATE INDEX ab_steps_started ON ab_steps (started_at, ord) WHERE type = 'do';"
                                  "UPDATE ab_meta SET value = 3 WHERE key = 'schema_version'",
                                  NULL, NULL, NULL), SQLITE_OK);
    dr_resp r = dr_fetch("GET", "/__ablauf/workflows/mig-3/timeline", NULL);
    EXPECT_HTTP(r, 200);
    assert_int_equal(jlen(r.body, "timeline"), 2);
    assert_int_equal(hn_query_int("SELECT value FROM ab_meta WHERE key = 'schema_version'"), DB_SCHEMA_VERSION);
    assert_int_equal(hn_query_int("SELECT count(*) FROM sqlite_master WHERE name = 'ab_steps_started'"), 0);
    assert_int_equal(hn_query_int("SELECT count(*) FROM sqlite_master WHERE name = 'ab_steps_timeline'"), 1);
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_steps WHERE done_seq = 0 AND io_token IS NULL"), 3);
    expect_continues_then_fresh("mig-3", 3);
}

/* Puts ab_steps back into the shape of an older version: `keys` its first
 * two columns as that version declared them, `more` what else it had (SQL),
 * `version` its number; every row kept. */
static void steps_back(const char *keys, const char *more, int version) {
    const char *cols = "name, ord, type, status, attempts, result, error, started_at, completed_at, duration,"
                       " wake_at, history, result_bytes, request, io_token, outcome, done_seq";
    const char *old = dr_printf(
        "CREATE TABLE ab_steps_old (%s, type TEXT NOT NULL,"
        " status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, result TEXT, error TEXT,"
        " started_at INTEGER, completed_at INTEGER, duration INTEGER, wake_at INTEGER, history TEXT,"
        " result_bytes INTEGER NOT NULL DEFAULT 0, request TEXT, io_token TEXT, outcome TEXT,"
        " done_seq INTEGER NOT NULL DEFAULT 0);"
        "INSERT INTO ab_steps_old (%s) SELECT %s FROM ab_steps; DROP TABLE ab_steps;"
        "ALTER TABLE ab_steps_old RENAME TO ab_steps; %s"
        "CREATE INDEX ab_steps_timeline ON ab_steps (started_at, ord) WHERE type IN ('do', 'fetch', 'call');"
        "UPDATE ab_meta SET value = %d WHERE key = 'schema_version'", keys, cols, cols, more, version);
    assert_int_equal(sqlite3_exec(hn_db(), old, NULL, NULL, NULL), SQLITE_OK);
}

/* v4 -> v5: a history stored with name as the primary key and an index on
 * ord is rebuilt with ord as the rowid, every row and value kept; the
 * instance goes on from it, and the result is what a new database gets. */
static void test_migration_from_v4(void **state) {
    (void)state;
    hn_use("mig-4");
    EXPECT_STR(dr_create("replay-counter", "mig-4", "{\"id\":\"x\"}").body, "status", "waiting");
    const char *before = dr_printf("%s", dr_get("mig-4").body);
    steps_back("name TEXT PRIMARY KEY, ord INTEGER NOT NULL", "CREATE INDEX ab_steps_ord ON ab_steps (ord);", 4);
    assert_int_equal(hn_query_int("SELECT count(*) FROM pragma_table_info('ab_steps') WHERE name = 'name' AND pk = 1"), 1);
    dr_resp r = dr_get("mig-4");
    EXPECT_HTTP(r, 200);
    assert_string_equal(r.body, before); /* every step as it was */
    assert_int_equal(hn_query_int("SELECT value FROM ab_meta WHERE key = 'schema_version'"), DB_SCHEMA_VERSION);
    assert_int_equal(hn_query_int("SELECT count(*) FROM sqlite_master WHERE name = 'ab_steps_ord'"), 0);
    assert_int_equal(hn_query_int("SELECT count(*) FROM pragma_table_info('ab_steps') WHERE name = 'ord' AND pk = 1"), 1);
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_steps WHERE rowid = ord"), 3);
    expect_continues_then_fresh("mig-4", 4);
}

/* v5 -> v6: a history stored with a unique index on name is rebuilt without
 * it, every row and value kept; the instance goes on from it. */
static void test_migration_from_v5(void **state) {
    (void)state;
    hn_use("mig-5");
    EXPECT_STR(dr_create("replay-counter", "mig-5", "{\"id\":\"x\"}").body, "status", "waiting");
    const char *before = dr_printf("%s", dr_get("mig-5").body);
    steps_back("name TEXT NOT NULL UNIQUE, ord INTEGER PRIMARY KEY", "", 5);
    const char *autoindex = "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'ab_steps'"
                            " AND name LIKE 'sqlite_autoindex_%'";
    assert_int_equal(hn_query_int(autoindex), 1);
    dr_resp r = dr_get("mig-5");
    EXPECT_HTTP(r, 200);
    assert_string_equal(r.body, before); /* every step as it was */
    assert_int_equal(hn_query_int("SELECT value FROM ab_meta WHERE key = 'schema_version'"), DB_SCHEMA_VERSION);
    assert_int_equal(hn_query_int(autoindex), 0);
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_steps WHERE rowid = ord"), 3);
    expect_continues_then_fresh("mig-5", 5);
}

/* Names are not unique in storage (v6), so the engine keeps them so: a
 * history with a name twice is refused before any pass runs on it, and a
 * write of a row whose ord another step holds fails instead of overwriting
 * it (the batch statement and the single-row upsert share the guard). */
static void test_step_names_stay_unique(void **state) {
    (void)state;
    hn_use("twice");
    EXPECT_STR(dr_create("replay-counter", "twice", "{\"id\":\"x\"}").body, "status", "waiting");
    assert_int_equal(sqlite3_exec(hn_db(), "INSERT INTO ab_steps (name, ord, type, status)"
                                  " SELECT name, 100, type, status FROM ab_steps WHERE ord = 1",
                                  NULL, NULL, NULL), SQLITE_OK);
    dr_resp r = dr_post("twice", "events/continue", "{}");
    EXPECT_HTTP(r, 500);
    EXPECT_CONTAINS(jstr(r.body, "error.message"), "two stored steps have one name");
    EXPECT_STR(dr_get("twice").body, "status", "waiting"); /* nothing ran */
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_steps"), 4);

    const char *sql = DB_ROWS_HEAD DB_ROWS_TUPLE DB_ROWS_TAIL;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(hn_db(), sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, "not-step-1", -1, SQLITE_STATIC); /* name */
    sqlite3_bind_int(st, 2, 1);                                 /* ord: step-1's */
    for (int i = 3; i <= DB_ROWS_PARAMS; i++) sqlite3_bind_int(st, i, 1);
    assert_int_equal(sqlite3_step(st), SQLITE_CONSTRAINT);
    EXPECT_CONTAINS(sqlite3_errmsg(hn_db()), "NOT NULL constraint failed: ab_steps.name");
    sqlite3_finalize(st);
    assert_int_equal(hn_query_int("SELECT count(*) FROM ab_steps WHERE ord = 1 AND name <> 'not-step-1'"
                                  " AND status = 'completed'"), 1);
}

int test_engine_run(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_create_echo, reset),
        cmocka_unit_test_setup(test_create_idempotent_and_conflict, reset),
        cmocka_unit_test_setup(test_create_generated_id, reset),
        cmocka_unit_test_setup(test_create_rejections, reset),
        cmocka_unit_test_setup(test_multi_step, reset),
        cmocka_unit_test_setup(test_replay_counter, reset),
        cmocka_unit_test_setup(test_failing_step_recovers, reset),
        cmocka_unit_test_setup(test_failing_step_exhausted, reset),
        cmocka_unit_test_setup(test_backoff_strategies, reset),
        cmocka_unit_test_setup(test_non_retriable, reset),
        cmocka_unit_test_setup(test_duplicate_step, reset),
        cmocka_unit_test_setup(test_unknown_type_at_replay, reset),
        cmocka_unit_test_setup(test_sleep_until, reset),
        cmocka_unit_test_setup(test_event_buffered_then_consumed, reset),
        cmocka_unit_test_setup(test_event_resumes_waiting, reset),
        cmocka_unit_test_setup(test_event_invalid, reset),
        cmocka_unit_test_setup(test_event_timeout, reset),
        cmocka_unit_test_setup(test_multi_event, reset),
        cmocka_unit_test_setup(test_size_limit, reset),
        cmocka_unit_test_setup(test_pause_resume, reset),
        cmocka_unit_test_setup(test_resume_not_paused_and_waiting, reset),
        cmocka_unit_test_setup(test_terminate, reset),
        cmocka_unit_test_setup(test_advance_hook, reset),
        cmocka_unit_test_setup(test_alarm_is_earliest_timer, reset),
        cmocka_unit_test_setup(test_sse_frames_once, reset),
        cmocka_unit_test_setup(test_websocket_route, reset),
        cmocka_unit_test_setup(test_live_progress_once, reset),
        cmocka_unit_test_setup(test_crash_isolate_died, reset),
        cmocka_unit_test_setup(test_crash_then_request_settles, reset),
        cmocka_unit_test_setup(test_crash_outside_steps, reset),
        cmocka_unit_test_setup(test_trap_in_step_body, reset),
        cmocka_unit_test_setup(test_one_statement_per_step, reset),
        cmocka_unit_test_setup(test_trap_sweep, reset),
        cmocka_unit_test_setup(test_listing, reset),
        cmocka_unit_test_setup(test_listing_follows_every_change, reset),
        cmocka_unit_test_setup(test_index_shard, reset),
        cmocka_unit_test_setup(test_outbox_until_acknowledged, reset),
        cmocka_unit_test_setup(test_export, reset),
        cmocka_unit_test_setup(test_strict_entry, reset),
        cmocka_unit_test_setup(test_row_sizes, reset),
        cmocka_unit_test_setup(test_replay_costs_no_query_per_step, reset),
        cmocka_unit_test_setup(test_big_pass_in_chunks, reset),
        cmocka_unit_test_setup(test_migration_from_v1, reset),
        cmocka_unit_test_setup(test_fresh_schema_in_one_statement, reset),
        cmocka_unit_test_setup(test_migration_from_v2, reset),
        cmocka_unit_test_setup(test_migration_from_v3, reset),
        cmocka_unit_test_setup(test_migration_from_v4, reset),
        cmocka_unit_test_setup(test_migration_from_v5, reset),
        cmocka_unit_test_setup(test_step_names_stay_unique, reset),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
