/* test_route.c — the URL space of SPEC §2 (route.c), and the worker entry's
 * answers built on it (edge.c): 404 vs 405, id validation, percent-encoding,
 * the test hook, authentication and CORS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "drive.h"
#include "exports.h"
#include "cx.h"
#include "route.h"
#include "tests.h"

static int reset(void **state) {
    (void)state;
    dr_reset();
    return 0;
}

static const cJSON no_headers;

typedef struct parsed {
    err_code err;
    route_match m;
    const char *why;
} parsed;

/* The strings of a parse live in its handle, until the next parse. */
static cx *X;

static parsed parse(const char *method, const char *path, int hooks, int internal) {
    http_request req;
    cx_close(X);
    X = cx_open();
    cx_enter(X);
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = path;
    req.query = "";
    req.headers = &no_headers;
    req.body = "";
    req.hooks = hooks;
    parsed p;
    p.err = route_parse(X, &req, internal, &p.m, &p.why);
    return p;
}

static void expect_route(const char *method, const char *path, route_id id, const char *instance,
                         const char *event) {
    for (int internal = 0; internal <= 1; internal++) {
        parsed p = parse(method, path, 1, internal);
        if (p.err != ERR_NONE) fail_msg("%s %s: error %s", method, path, err_name(p.err));
        if (p.m.id != id) fail_msg("%s %s: route %d, want %d", method, path, p.m.id, id);
        if (instance) assert_string_equal(p.m.instance, instance);
        else assert_null(p.m.instance);
        if (event) assert_string_equal(p.m.event, event);
        else assert_null(p.m.event);
    }
}

static void expect_err(const char *method, const char *path, int hooks, int internal, err_code e) {
    parsed p = parse(method, path, hooks, internal);
    if (p.err != e)
        fail_msg("%s %s: got %s, want %s", method, path, p.err ? err_name(p.err) : "route",
                 err_name(e));
    if (e == ERR_VALIDATION_ERROR) assert_non_null(p.why);
}

static void test_every_route(void **state) {
    (void)state;
    expect_route("GET", "/__ablauf", R_DASHBOARD, NULL, NULL);
    expect_route("GET", "/__ablauf/", R_DASHBOARD, NULL, NULL);
    expect_route("GET", "/__ablauf/index.html", R_DASHBOARD, NULL, NULL);
    expect_route("GET", "/__ablauf/client.js", R_CLIENT_JS, NULL, NULL);
    expect_route("GET", "/__ablauf/types", R_TYPES, NULL, NULL);
    expect_route("POST", "/__ablauf/workflows", R_CREATE, NULL, NULL);
    expect_route("GET", "/__ablauf/workflows", R_LIST, NULL, NULL);
    expect_route("GET", "/__ablauf/workflows/", R_LIST, NULL, NULL);
    expect_route("GET", "/__ablauf/workflows/order-1", R_STATUS, "order-1", NULL);
    expect_route("GET", "/__ablauf/workflows/order-1/timeline", R_TIMELINE, "order-1", NULL);
    expect_route("POST", "/__ablauf/workflows/order-1/events/approval", R_EVENT, "order-1", "approval");
    expect_route("POST", "/__ablauf/workflows/order-1/pause", R_PAUSE, "order-1", NULL);
    expect_route("POST", "/__ablauf/workflows/order-1/resume", R_RESUME, "order-1", NULL);
    expect_route("POST", "/__ablauf/workflows/order-1/terminate", R_TERMINATE, "order-1", NULL);
    expect_route("GET", "/__ablauf/workflows/order-1/updates", R_UPDATES, "order-1", NULL);
    expect_route("GET", "/__ablauf/workflows/order-1/ws", R_WS, "order-1", NULL);
    expect_route("POST", "/__ablauf/workflows/order-1/_advance", R_ADVANCE, "order-1", NULL);
    expect_route("GET", "/__ablauf/workflows/a.b_c:d@e-f/", R_STATUS, "a.b_c:d@e-f", NULL);
}

static void test_object_only_routes(void **state) {
    (void)state;
    parsed p = parse("GET", "/ws", 0, 1);
    assert_int_equal(p.err, ERR_NONE);
    assert_int_equal(p.m.id, R_OBJECT_WS);
    p = parse("POST", "/__index/put", 0, 1);
    assert_int_equal(p.err, ERR_NONE);
    assert_int_equal(p.m.id, R_INDEX_PUT);
    p = parse("GET", "/__index/list", 0, 1);
    assert_int_equal(p.err, ERR_NONE);
    assert_int_equal(p.m.id, R_INDEX_LIST);
    expect_err("POST", "/ws", 0, 1, ERR_METHOD_NOT_ALLOWED);
    expect_err("GET", "/__index/put", 0, 1, ERR_METHOD_NOT_ALLOWED);
    expect_err("POST", "/__index/list", 0, 1, ERR_METHOD_NOT_ALLOWED);
    expect_err("GET", "/__index/other", 0, 1, ERR_RESOURCE_NOT_FOUND);
    /* never through the worker */
    expect_err("GET", "/ws", 0, 0, ERR_RESOURCE_NOT_FOUND);
    expect_err("POST", "/__index/put", 0, 0, ERR_RESOURCE_NOT_FOUND);
    expect_err("GET", "/__index/list", 0, 0, ERR_RESOURCE_NOT_FOUND);
}

static void test_not_found_vs_method(void **state) {
    (void)state;
    /* unknown routes: 404, whatever the method or the id looks like */
    const char *unknown[] = {"/", "", "/other", "/__ablaufx", "/__ablauf/nope", "/__ablauf/workflow",
                             "/__ablauf/workflows/id/nope", "/__ablauf/workflows/id/events",
                             "/__ablauf/workflows/id/events/e/x", "/__ablauf/workflows/id/pause/x",
                             "/__ablauf/workflows/__bad/nope", "/__ablauf/types/x",
                             "/__ablauf/workflows/id/Pause", "/__ablauf/a/b/c/d/e/f/g/h/i",
                             "/__ABLAUF/workflows", "/__ablauf/workflows/id/status"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        expect_err("GET", unknown[i], 1, 0, ERR_RESOURCE_NOT_FOUND);
        expect_err("POST", unknown[i], 1, 0, ERR_RESOURCE_NOT_FOUND);
    }
    /* known routes, wrong method: 405 */
    expect_err("PUT", "/__ablauf/workflows", 1, 0, ERR_METHOD_NOT_ALLOWED);
    expect_err("DELETE", "/__ablauf/workflows", 1, 0, ERR_METHOD_NOT_ALLOWED);
    expect_err("POST", "/__ablauf/types", 1, 0, ERR_METHOD_NOT_ALLOWED);
    expect_err("POST", "/__ablauf", 1, 0, ERR_METHOD_NOT_ALLOWED);
    expect_err("POST", "/__ablauf/client.js", 1, 0, ERR_METHOD_NOT_ALLOWED);
    expect_err("POST", "/__ablauf/workflows/id", 1, 0, ERR_METHOD_NOT_ALLOWED);
    expect_err("DELETE", "/__ablauf/workflows/id", 1, 0, ERR_METHOD_NOT_ALLOWED);
    expect_err("POST", "/__ablauf/workflows/id/timeline", 1, 0, ERR_METHOD_NOT_ALLOWED);
    expect_err("GET", "/__ablauf/workflows/id/events/e", 1, 0, ERR_METHOD_NOT_ALLOWED);
    expect_err("GET", "/__ablauf/workflows/id/pause", 1, 0, ERR_METHOD_NOT_ALLOWED);
    expect_err("GET", "/__ablauf/workflows/id/resume", 1, 0, ERR_METHOD_NOT_ALLOWED);
    expect_err("GET", "/__ablauf/workflows/id/terminate", 1, 0, ERR_METHOD_NOT_ALLOWED);
    expect_err("POST", "/__ablauf/workflows/id/updates", 1, 0, ERR_METHOD_NOT_ALLOWED);
    expect_err("POST", "/__ablauf/workflows/id/ws", 1, 0, ERR_METHOD_NOT_ALLOWED);
    expect_err("GET", "/__ablauf/workflows/id/_advance", 1, 0, ERR_METHOD_NOT_ALLOWED);
}

static void test_bad_ids(void **state) {
    (void)state;
    char path[400], id[200];
    const char *bad[] = {"__x", "__", "__index:0", "a%2Fb", "a%20b", "%zz", "a%", "%00",
                         "caf%C3%A9", "a%3Fb", "a%23b", "a%2Bb"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(path, sizeof path, "/__ablauf/workflows/%s", bad[i]);
        expect_err("GET", path, 1, 0, ERR_VALIDATION_ERROR);
        snprintf(path, sizeof path, "/__ablauf/workflows/%s/pause", bad[i]);
        expect_err("POST", path, 1, 0, ERR_VALIDATION_ERROR);
        snprintf(path, sizeof path, "/__ablauf/workflows/%s/events/go", bad[i]);
        expect_err("POST", path, 1, 0, ERR_VALIDATION_ERROR);
    }
    memset(id, 'a', 128);
    id[128] = '\0';
    snprintf(path, sizeof path, "/__ablauf/workflows/%s", id);
    parsed p = parse("GET", path, 1, 0);
    assert_int_equal(p.err, ERR_NONE);
    assert_int_equal(strlen(p.m.instance), 128);
    id[128] = 'a';
    id[129] = '\0';
    snprintf(path, sizeof path, "/__ablauf/workflows/%s", id);
    expect_err("GET", path, 1, 0, ERR_VALIDATION_ERROR);
    /* the message names the id */
    p = parse("GET", "/__ablauf/workflows/__x", 1, 0);
    assert_non_null(strstr(p.why, "__x"));
}

static void test_percent_encoding(void **state) {
    (void)state;
    expect_route("GET", "/__ablauf/workflows/order%3A42", R_STATUS, "order:42", NULL);
    expect_route("GET", "/__ablauf/workflows/%61%62%63", R_STATUS, "abc", NULL);
    expect_route("GET", "/__ablauf/workflows/a%40b/updates", R_UPDATES, "a@b", NULL);
    /* an encoded "__" prefix is still reserved */
    expect_err("GET", "/__ablauf/workflows/%5F%5Fx", 1, 0, ERR_VALIDATION_ERROR);
    expect_err("GET", "/__ablauf/workflows/_%5Fx", 1, 0, ERR_VALIDATION_ERROR);
    /* event names: printable UTF-8, decoded */
    expect_route("POST", "/__ablauf/workflows/x/events/hello%20world", R_EVENT, "x", "hello world");
    expect_route("POST", "/__ablauf/workflows/x/events/first-approval", R_EVENT, "x", "first-approval");
    expect_route("POST", "/__ablauf/workflows/x/events/a%2Fb", R_EVENT, "x", "a/b");
    expect_route("POST", "/__ablauf/workflows/x/events/%E2%9C%93", R_EVENT, "x", "\xe2\x9c\x93");
    expect_route("POST", "/__ablauf/workflows/x/events/%25", R_EVENT, "x", "%");
    expect_err("POST", "/__ablauf/workflows/x/events/a%0Ab", 1, 0, ERR_VALIDATION_ERROR);
    expect_err("POST", "/__ablauf/workflows/x/events/%00", 1, 0, ERR_VALIDATION_ERROR);
    expect_err("POST", "/__ablauf/workflows/x/events/%7F", 1, 0, ERR_VALIDATION_ERROR);
    expect_err("POST", "/__ablauf/workflows/x/events/%C3", 1, 0, ERR_VALIDATION_ERROR);
    expect_err("POST", "/__ablauf/workflows/x/events/%ED%A0%80", 1, 0, ERR_VALIDATION_ERROR);
    expect_err("POST", "/__ablauf/workflows/x/events/%zz", 1, 0, ERR_VALIDATION_ERROR);
    char path[600], ev[400];
    memset(ev, 'e', 128);
    ev[128] = '\0';
    snprintf(path, sizeof path, "/__ablauf/workflows/x/events/%s", ev);
    parsed p = parse("POST", path, 1, 0);
    assert_int_equal(p.err, ERR_NONE);
    ev[128] = 'e';
    ev[129] = '\0';
    snprintf(path, sizeof path, "/__ablauf/workflows/x/events/%s", ev);
    expect_err("POST", path, 1, 0, ERR_VALIDATION_ERROR);
}

static void test_advance_needs_hooks(void **state) {
    (void)state;
    parsed p = parse("POST", "/__ablauf/workflows/x/_advance", 1, 0);
    assert_int_equal(p.err, ERR_NONE);
    assert_int_equal(p.m.id, R_ADVANCE);
    expect_err("POST", "/__ablauf/workflows/x/_advance", 0, 0, ERR_RESOURCE_NOT_FOUND);
    expect_err("POST", "/__ablauf/workflows/x/_advance", 0, 1, ERR_RESOURCE_NOT_FOUND);
    expect_err("GET", "/__ablauf/workflows/x/_advance", 0, 0, ERR_RESOURCE_NOT_FOUND);

    /* end to end: the object answers 404 RESOURCE_NOT_FOUND without the hook */
    dr_req r = {.method = "POST", .path = "/__ablauf/workflows/x/_advance", .env = "{}"};
    dr_resp res = dr_fetch_req(&r);
    assert_int_equal(res.status, 404);
    assert_string_equal(jstr(res.body, "error.code"), "RESOURCE_NOT_FOUND");
    r.env = "{\"ABLAUF_TEST_HOOKS\":\"0\"}";
    res = dr_edge_req(&r);
    assert_int_equal(res.status, 404);
    r.env = "{\"ABLAUF_TEST_HOOKS\":\"1\"}";
    res = dr_edge_req(&r);
    assert_string_equal(jstr(res.meta, "forward"), "x");
}

/* --- the worker entry ------------------------------------------------------------------ */

static void expect_edge_error(const dr_req *r, int status, const char *code) {
    dr_resp res = dr_edge_req(r);
    if (res.status != status) fail_msg("%s %s: status %d, want %d (%s)", r->method, r->path, res.status, status, res.body);
    assert_string_equal(jstr(res.body, "error.code"), code);
    assert_int_equal((int)jnum(res.body, "error.status"), status);
    assert_non_null(jstr(res.body, "error.message"));
    assert_non_null(jstr(res.body, "error.source"));
}

static void test_edge_errors(void **state) {
    (void)state;
    dr_req r = {.method = "GET", .path = "/elsewhere"};
    expect_edge_error(&r, 404, "RESOURCE_NOT_FOUND");
    r.path = "/__ablauf/nothing";
    expect_edge_error(&r, 404, "RESOURCE_NOT_FOUND");
    r.method = "DELETE";
    r.path = "/__ablauf/workflows/x";
    expect_edge_error(&r, 405, "METHOD_NOT_ALLOWED");
    r.method = "GET";
    r.path = "/__ablauf/workflows/__x";
    expect_edge_error(&r, 400, "VALIDATION_ERROR");
    r.method = "POST";
    r.path = "/__ablauf/workflows";
    r.body_too_large = 1;
    expect_edge_error(&r, 413, "PAYLOAD_TOO_LARGE");
    r.body_too_large = 0;
    r.body = "{not json";
    expect_edge_error(&r, 400, "VALIDATION_ERROR");
    r.body = "{\"type\":\"echo\",\"id\":\"__x\"}";
    expect_edge_error(&r, 400, "VALIDATION_ERROR");
    dr_resp res = dr_edge_req(&r);
    assert_string_equal(jtext(res.body, "error.details.issues.0.path"), "[\"id\"]");

    /* a create names its object; without an id the edge makes a UUID */
    r.body = "{\"type\":\"echo\",\"id\":\"my-id\",\"payload\":{\"message\":\"x\"}}";
    res = dr_edge_req(&r);
    assert_string_equal(jstr(res.meta, "forward"), "my-id");
    r.body = "{\"type\":\"echo\",\"payload\":{\"message\":\"x\"}}";
    res = dr_edge_req(&r);
    const char *uuid = jstr(res.meta, "forward");
    assert_non_null(uuid);
    assert_int_equal(strlen(uuid), 36);
    assert_int_equal(uuid[14], '4');
    assert_string_equal(jstr(res.meta, "requestHeaders.x-ablauf-id"), uuid);
}

static void test_edge_auth(void **state) {
    (void)state;
    const char *env = "{\"ABLAUF_API_TOKEN\":\"s3cret\"}";
    dr_req r = {.method = "GET", .path = "/__ablauf/types", .env = env};
    expect_edge_error(&r, 401, "UNAUTHORIZED");
    r.headers = "{\"authorization\":\"Bearer wrong\"}";
    expect_edge_error(&r, 401, "UNAUTHORIZED");
    r.headers = "{\"authorization\":\"Bearer s3cre\"}";
    expect_edge_error(&r, 401, "UNAUTHORIZED");
    r.headers = "{\"authorization\":\"Bearer s3cret!\"}";
    expect_edge_error(&r, 401, "UNAUTHORIZED");
    r.headers = "{\"authorization\":\"s3cret\"}";
    expect_edge_error(&r, 401, "UNAUTHORIZED");
    r.headers = "{\"authorization\":\"Bearer s3cret\"}";
    dr_resp res = dr_edge_req(&r);
    assert_int_equal(res.status, 200);
    assert_true(jlen(res.body, "types") > 0);
    /* unknown routes under the prefix need the token too; others are 404 */
    r.headers = NULL;
    r.path = "/__ablauf/nothing";
    expect_edge_error(&r, 401, "UNAUTHORIZED");
    r.path = "/elsewhere";
    expect_edge_error(&r, 404, "RESOURCE_NOT_FOUND");
    /* ?access_token= only on the WebSocket route */
    r.path = "/__ablauf/workflows/x/ws";
    r.query = "access_token=s3cret";
    res = dr_edge_req(&r);
    assert_string_equal(jstr(res.meta, "forward"), "x");
    r.query = "access_token=nope";
    expect_edge_error(&r, 401, "UNAUTHORIZED");
    r.path = "/__ablauf/workflows/x";
    r.query = "access_token=s3cret";
    expect_edge_error(&r, 401, "UNAUTHORIZED");
}

static void test_edge_cors(void **state) {
    (void)state;
    dr_req r = {.method = "OPTIONS", .path = "/__ablauf/workflows",
                .env = "{\"ABLAUF_CORS_ORIGINS\":\"https://a.example, https://b.example\"}",
                .headers = "{\"origin\":\"https://b.example\"}"};
    dr_resp res = dr_edge_req(&r);
    assert_int_equal(res.status, 204);
    assert_string_equal(jstr(res.meta, "headers.access-control-allow-origin"), "https://b.example");
    r.headers = "{\"origin\":\"https://evil.example\"}";
    res = dr_edge_req(&r);
    assert_int_equal(res.status, 204);
    assert_null(jget(res.meta, "headers.access-control-allow-origin"));
}

static void test_types(void **state) {
    (void)state;
    dr_req r = {.method = "GET", .path = "/__ablauf/types"};
    dr_resp res = dr_edge_req(&r);
    assert_int_equal(res.status, 200);
    /* every demo workflow of SPEC §9, each with its schemas */
    const char *types[] = {"echo", "test", "multi-step", "failing-step", "backoff-config",
                           "non-retriable", "duplicate-step", "multi-event", "replay-counter",
                           "sleep-until-test", "size-limit", "size-limit-retry", "sse-test",
                           "live-progress", "crash-once", "no-schema", "benchmark"};
    int n = jlen(res.body, "types");
    assert_true(n >= (int)(sizeof types / sizeof types[0]));
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        int found = -1;
        for (int i = 0; i < n; i++) {
            const char *t = jstr(res.body, dr_printf("types.%d.type", i));
            if (t && strcmp(t, types[k]) == 0) found = i;
        }
        if (found < 0) fail_msg("type %s is not listed", types[k]);
        assert_true(jlen(res.body, dr_printf("types.%d.input", found)) >= 0);
        assert_true(jlen(res.body, dr_printf("types.%d.events", found)) >= 0);
        assert_true(jlen(res.body, dr_printf("types.%d.updates", found)) >= 0);
    }
    assert_string_equal(jstr(res.body, "types.1.events.approval.properties.approved.type"), "boolean");
    assert_int_equal(jlen(res.body, "types.12.updates"), 2);
    assert_string_equal(jstr(res.body, "types.12.type"), "sse-test");
}

int test_route_run(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_every_route, reset),
        cmocka_unit_test_setup(test_object_only_routes, reset),
        cmocka_unit_test_setup(test_not_found_vs_method, reset),
        cmocka_unit_test_setup(test_bad_ids, reset),
        cmocka_unit_test_setup(test_percent_encoding, reset),
        cmocka_unit_test_setup(test_advance_needs_hooks, reset),
        cmocka_unit_test_setup(test_edge_errors, reset),
        cmocka_unit_test_setup(test_edge_auth, reset),
        cmocka_unit_test_setup(test_edge_cors, reset),
        cmocka_unit_test_setup(test_types, reset),
    };
    int failed = cmocka_run_group_tests_name("route", tests, NULL, NULL);
    cx_leave();
    cx_close(X);
    X = NULL;
    return failed;
}
