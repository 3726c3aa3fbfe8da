/* test_io.c — I/O steps (wasm/src/eng_io.c) through the exports, as the shim
 * drives them: a pass offers jobs (host_io_start), the host performs them and
 * hands outcomes to ab_io (dr_io), deaths are the host forgetting what it
 * performed (hn_io_forget_all). */
#include <math.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "drive.h"
#include "tests.h"

static int reset(void **state) {
    (void)state;
    dr_reset();
    return 0;
}

static const char *job(int i) { return hn_io_job(i); }
static const char *last_job(void) { return hn_io_job(hn_io_job_count() - 1); }
static const char *token_of(const char *j) { return dr_printf("%s", jstr(j, "token")); }

#define OK_JSON(body) "{\"status\":200,\"statusText\":\"OK\",\"headers\":{\"content-type\":\"application/json\"},\"body\":\"" body "\",\"ms\":4}"

static void test_fetch_success(void **state) {
    (void)state;
    hn_use("io-1");
    dr_resp r = dr_create("http-call", "io-1", "{\"url\":\"http://api.test/v1?q=1\",\"method\":\"POST\",\"body\":{\"n\":1}}");
    EXPECT_HTTP(r, 201);
    EXPECT_STR(r.body, "status", "running");
    assert_true(jis_true(r.meta, "busy"));
    EXPECT_STR(r.body, "steps.0.type", "fetch");
    EXPECT_STR(r.body, "steps.0.status", "running");
    EXPECT_NUM(r.body, "steps.0.attempts", 1);
    EXPECT_JSON(r.body, "steps.0.request", "{\"url\":\"http://api.test/v1?q=1\",\"method\":\"POST\",\"body\":{\"n\":1}}");
    assert_int_equal(hn_io_job_count(), 1);
    const char *j = job(0);
    EXPECT_STR(j, "kind", "fetch");
    EXPECT_STR(j, "step", "call");
    EXPECT_NUM(j, "attempt", 1);
    EXPECT_NUM(j, "timeoutMs", 30000);
    EXPECT_NUM(j, "maxBytes", 1048576);
    EXPECT_STR(j, "request.method", "POST");
    EXPECT_STR(j, "request.body", "{\"n\":1}");
    EXPECT_STR(j, "request.headers.idempotency-key", "io-1/call");
    EXPECT_STR(j, "request.headers.content-type", "application/json");
    /* the alarm is the attempt's deadline, not "now" */
    assert_true(hn_alarm() >= hn_now() + 30000);
    r = dr_io(token_of(j), OK_JSON("{\\\"a\\\":[1,2]}"));
    EXPECT_HTTP(r, 200);
    assert_false(jis_true(r.meta, "busy"));
    r = dr_get("io-1");
    EXPECT_STR(r.body, "status", "completed");
    EXPECT_JSON(r.body, "result", "{\"status\":200,\"body\":{\"a\":[1,2]}}");
    EXPECT_JSON(r.body, "steps.0.result.headers", "{\"content-type\":\"application/json\"}");
    EXPECT_NUM(r.body, "steps.0.attempts", 1);
    assert_int_equal(hn_io_job_count(), 1);
    /* a late duplicate outcome changes nothing */
    EXPECT_HTTP(dr_io(token_of(j), OK_JSON("{}")), 200);
    EXPECT_JSON(dr_get("io-1").body, "result", "{\"status\":200,\"body\":{\"a\":[1,2]}}");
}

/* 500, 500, 200: three attempts, the same key, back-offs on the alarm. */
static void test_fetch_retries_same_key(void **state) {
    (void)state;
    hn_use("io-2");
    dr_resp r = dr_create("http-call", "io-2", "{\"url\":\"https://flaky.test/x\"}");
    for (int i = 0; i < 2; i++) {
        r = dr_io(token_of(last_job()), "{\"status\":500,\"statusText\":\"Internal Server Error\",\"headers\":{},\"body\":\"no\",\"ms\":3}");
        EXPECT_HTTP(r, 200);
        r = dr_get("io-2");
        EXPECT_STR(r.body, "status", "sleeping");
        EXPECT_STR(r.body, "steps.0.status", "sleeping");
        assert_int_equal(hn_io_job_count(), i + 1); /* nothing sent before the back-off */
        assert_true(fabs(hn_alarm() - (hn_now() + 100)) < 1);
        assert_int_equal(dr_fire(), 1);
        assert_int_equal(hn_io_job_count(), i + 2);
    }
    for (int i = 0; i < 3; i++) {
        EXPECT_STR(job(i), "request.headers.idempotency-key", "io-2/call");
        EXPECT_NUM(job(i), "attempt", i + 1);
    }
    assert_string_not_equal(jstr(job(0), "token"), jstr(job(1), "token"));
    dr_io(token_of(last_job()), "{\"status\":200,\"headers\":{\"content-type\":\"text/plain\"},\"body\":\"fine\",\"ms\":1}");
    r = dr_get("io-2");
    EXPECT_STR(r.body, "status", "completed");
    EXPECT_JSON(r.body, "result", "{\"status\":200,\"body\":\"fine\"}");
    EXPECT_NUM(r.body, "steps.0.attempts", 3);
    assert_int_equal(jlen(r.body, "steps.0.retryHistory"), 2);
    EXPECT_STR(r.body, "steps.0.retryHistory.0.error", "HTTP 500 Internal Server Error from flaky.test");
}

static void test_fetch_retry_after_and_permanent(void **state) {
    (void)state;
    hn_use("io-3");
    dr_create("http-call", "io-3", "{\"url\":\"https://user:pw@rate.test:8443/a\"}");
    dr_io(token_of(last_job()), "{\"status\":429,\"headers\":{\"retry-after\":\"2\"},\"retryAfterMs\":2000,\"body\":\"\",\"ms\":1}");
    assert_true(fabs(hn_alarm() - (hn_now() + 2000)) < 1); /* Retry-After, not the 100 ms delay */
    dr_fire();
    dr_resp r = dr_io(token_of(last_job()), "{\"status\":404,\"statusText\":\"Not Found\",\"headers\":{},\"body\":\"gone\",\"ms\":1}");
    r = dr_get("io-3");
    EXPECT_STR(r.body, "status", "errored");
    EXPECT_STR(r.body, "errorCode", "STEP_FAILED");
    EXPECT_STR(r.body, "error", "Step \"call\" failed: HTTP 404 Not Found from rate.test:8443");
    EXPECT_NUM(r.body, "steps.0.attempts", 2);
    assert_int_equal(hn_io_job_count(), 2);
}

static void test_fetch_timeout_and_too_large(void **state) {
    (void)state;
    hn_use("io-4");
    dr_create("http-call", "io-4", "{\"url\":\"https://slow.test/\",\"timeout\":\"2s\"}");
    EXPECT_NUM(last_job(), "timeoutMs", 2000);
    for (int i = 0; i < 3; i++) {
        dr_io(token_of(last_job()), "{\"timeout\":true,\"ms\":2000}");
        dr_fire();
    }
    dr_resp r = dr_get("io-4");
    EXPECT_STR(r.body, "status", "errored");
    EXPECT_STR(r.body, "errorCode", "STEP_RETRY_EXHAUSTED");
    EXPECT_STR(r.body, "error", "Step \"call\" failed after 3 attempts: Step \"call\" timed out after 2s");
    hn_use("io-5");
    dr_create("http-call", "io-5", "{\"url\":\"https://big.test/\"}");
    dr_io(token_of(last_job()), "{\"tooLarge\":true,\"ms\":9}");
    r = dr_get("io-5");
    EXPECT_STR(r.body, "errorCode", "STEP_FAILED");
    EXPECT_CONTAINS(jstr(r.body, "error"), "exceeds the step result size limit of 1 MiB");
    EXPECT_NUM(r.body, "steps.0.attempts", 1);
}

/* The host died with the request out: the deadline's alarm finds it gone,
 * the attempt counts as crashed, the retry carries the same key. */
static void test_fetch_death_while_out(void **state) {
    (void)state;
    hn_use("io-6");
    dr_create("http-call", "io-6", "{\"url\":\"https://pay.test/charge\",\"timeout\":\"5s\"}");
    const char *first = token_of(last_job());
    double deadline = hn_alarm();
    assert_true(deadline >= hn_now() + 5000);
    /* an early alarm while it is out changes nothing */
    dr_alarm();
    EXPECT_STR(dr_get("io-6").body, "steps.0.status", "running");
    assert_int_equal(hn_io_job_count(), 1);
    hn_io_forget_all(); /* SIGKILL */
    hn_set_alarm(deadline);
    assert_int_equal(dr_fire(), 1);
    dr_resp r = dr_get("io-6");
    EXPECT_STR(r.body, "steps.0.retryHistory.0.error",
               "crashed: the isolate died or the engine trapped while the request was out");
    assert_int_equal(hn_io_job_count(), 1); /* the retry waits for its back-off */
    assert_int_equal(dr_fire(), 1);
    assert_int_equal(hn_io_job_count(), 2);
    EXPECT_STR(last_job(), "request.headers.idempotency-key", "io-6/call");
    EXPECT_NUM(last_job(), "attempt", 2);
    /* the dead attempt's late outcome (another isolate?) is ignored */
    dr_io(first, OK_JSON("1"));
    EXPECT_STR(dr_get("io-6").body, "status", "running");
    dr_io(token_of(last_job()), OK_JSON("2"));
    r = dr_get("io-6");
    EXPECT_STR(r.body, "status", "completed");
    EXPECT_JSON(r.body, "result.body", "2");
}

/* Ten fetches started together: one pass, one suspension, six out at once,
 * the rest as those end; results in url order. */
static void test_parallel_wave(void **state) {
    (void)state;
    hn_use("io-7");
    dr_resp r = dr_create("http-parallel", "io-7",
                          "{\"urls\":[\"http://h/0\",\"http://h/1\",\"http://h/2\",\"http://h/3\","
                          "\"http://h/4\",\"http://h/5\",\"http://h/6\",\"http://h/7\",\"http://h/8\","
                          "\"http://h/9\"]}");
    EXPECT_STR(r.body, "status", "running");
    assert_int_equal(jlen(r.body, "steps"), 10);
    assert_int_equal(hn_io_job_count(), 6);
    assert_int_equal(hn_io_out_count(), 6);
    EXPECT_NUM(r.body, "steps.@get-6.attempts", 0);
    /* two answers at once: one event, one pass; two more start */
    const char *two = dr_printf("[{\"token\":\"%s\",\"outcome\":" OK_JSON("0") "},"
                                "{\"token\":\"%s\",\"outcome\":" OK_JSON("1") "}]",
                                token_of(job(0)), token_of(job(1)));
    r = dr_io_many(two);
    assert_true(jis_true(r.meta, "busy"));
    assert_int_equal(hn_io_job_count(), 8);
    assert_int_equal(hn_io_out_count(), 6);
    for (int i = 2; i < 10; i++) {
        const char *j = job(i);
        int n = atoi(strrchr(jstr(j, "request.url"), '/') + 1);
        r = dr_io(token_of(j), dr_printf(OK_JSON("%d"), n * 10));
    }
    assert_false(jis_true(r.meta, "busy"));
    r = dr_get("io-7");
    EXPECT_STR(r.body, "status", "completed");
    EXPECT_JSON(r.body, "result.statuses", "[200,200,200,200,200,200,200,200,200,200]");
    EXPECT_JSON(r.body, "result.bodies", "[0,1,20,30,40,50,60,70,80,90]");
    for (int i = 0; i < 10; i++) EXPECT_NUM(r.body, dr_printf("steps.%d.attempts", i), 1);
}

/* Replaying completed I/O steps costs lookups: delivering the k-th outcome
 * of a sequence takes as many statements for k = 3 as for k = 40. */
static long statements_for_outcome(int k) {
    const char *id = dr_printf("seq-%d", k);
    hn_use(id);
    dr_create("t-fetch-seq", id, dr_printf("{\"n\":%d,\"url\":\"http://s/\"}", k + 1));
    for (int i = 0; i < k; i++) dr_io(token_of(last_job()), OK_JSON("1"));
    long before = hn_sql_calls();
    dr_io(token_of(last_job()), OK_JSON("1"));
    return hn_sql_calls() - before;
}

static void test_replay_of_io_costs_no_query_per_step(void **state) {
    (void)state;
    long small = statements_for_outcome(3), large = statements_for_outcome(40);
    if (small != large) fail_msg("outcome after 3 steps: %ld statements, after 40: %ld", small, large);
    assert_true(small < 30);
}

/* ab_await_any: the first to complete wins on every later pass too, even
 * when the other completes in the same millisecond. */
static void test_await_any_is_stable(void **state) {
    (void)state;
    hn_use("race");
    dr_create("t-race", "race", "{}");
    assert_int_equal(hn_io_job_count(), 2);
    const char *a = token_of(job(0)), *b = token_of(job(1));
    dr_io(b, OK_JSON("1"));
    dr_resp r = dr_get("race");
    EXPECT_NUM(r.body, "steps.@winner.result", 1);
    dr_io(a, OK_JSON("0"));
    r = dr_get("race");
    EXPECT_STR(r.body, "status", "completed");
    EXPECT_JSON(r.body, "result", "{\"winner\":1,\"now\":1}");
}

static void test_activity_call(void **state) {
    (void)state;
    hn_use("act");
    dr_resp r = dr_create("activity-call", "act", "{\"text\":\"hi\",\"failCount\":1}");
    EXPECT_STR(r.body, "steps.0.type", "call");
    EXPECT_JSON(r.body, "steps.0.request", "{\"activity\":\"uppercase\",\"args\":{\"text\":\"hi\",\"failCount\":1}}");
    EXPECT_STR(last_job(), "kind", "call");
    EXPECT_STR(last_job(), "activity", "uppercase");
    EXPECT_JSON(last_job(), "args", "{\"text\":\"hi\",\"failCount\":1}");
    dr_io(token_of(last_job()), "{\"error\":\"Activity failure #1\",\"ms\":1}");
    dr_fire();
    dr_io(token_of(last_job()), "{\"value\":\"HI\",\"ms\":1}");
    r = dr_get("act");
    EXPECT_STR(r.body, "status", "completed");
    EXPECT_JSON(r.body, "result", "{\"text\":\"HI\"}");
    EXPECT_NUM(r.body, "steps.0.attempts", 2);
    EXPECT_STR(r.body, "steps.0.retryHistory.0.error", "Activity failure #1");
    /* a non-retriable failure ends it at once */
    hn_use("act-2");
    dr_create("activity-call", "act-2", "{\"text\":\"x\"}");
    dr_io(token_of(last_job()), "{\"error\":\"Unknown activity \\\"uppercase\\\"\",\"permanent\":true,\"ms\":0}");
    r = dr_get("act-2");
    EXPECT_STR(r.body, "error", "Step \"upper\" failed: Unknown activity \"uppercase\"");
}

/* Requests are checked before anything is sent. */
static void test_bad_requests(void **state) {
    (void)state;
    static const struct {
        const char *request, *error;
    } cases[] = {
        {"{\"method\":\"GET\"}", "Step \"req\" failed: invalid request: the request has no \"url\" string"},
        {"{\"url\":\"ftp://x/\"}", "Step \"req\" failed: invalid request: the url \"ftp://x/\" is not http:// or https://"},
        {"{\"url\":\"http://x/\",\"method\":\"BREW\"}", "Step \"req\" failed: invalid request: the method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"},
        {"{\"url\":\"http://x/\",\"headers\":{\"a\":1}}", "Step \"req\" failed: invalid request: header \"a\" must be a string"},
        {"{\"url\":\"http://x/{{OTHER}}\"}", "Step \"req\" failed: invalid request: secret \"OTHER\" is not declared by workflow \"t-raw-fetch\" (list it in the definition's secrets)"},
        {"[1]", "Step \"req\" failed: invalid request: the request must be an object {url, method?, headers?, body?}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *id = dr_printf("bad-%zu", i);
        hn_use(id);
        dr_resp r = dr_create("t-raw-fetch", id, dr_printf("{\"request\":%s}", cases[i].request));
        EXPECT_HTTP(r, 201);
        EXPECT_STR(r.body, "status", "errored");
        EXPECT_STR(r.body, "errorCode", "STEP_FAILED");
        EXPECT_STR(r.body, "error", cases[i].error);
        assert_int_equal(hn_io_job_count(), 0);
    }
}

/* A declared secret goes to the host by name only; the stored request and
 * the answers keep the placeholder. Own keys and accepted statuses. */
static void test_secrets_keys_accept(void **state) {
    (void)state;
    hn_use("sec");
    dr_resp r = dr_create("t-raw-fetch", "sec",
                          "{\"key\":\"order-7\",\"timeout\":\"1m\",\"request\":{\"url\":\"https://x.test/{{SECRET_A}}/a\","
                          "\"headers\":{\"Authorization\":\"Bearer {{SECRET_A}}\",\"X-Plain\":\"{{not one}}\"}}}");
    EXPECT_STR(r.body, "status", "running");
    EXPECT_JSON(last_job(), "secrets", "[\"SECRET_A\"]");
    EXPECT_STR(last_job(), "request.headers.Authorization", "Bearer {{SECRET_A}}");
    EXPECT_STR(last_job(), "request.headers.idempotency-key", "order-7");
    EXPECT_NUM(last_job(), "timeoutMs", 60000);
    EXPECT_STR(r.body, "steps.0.request.url", "https://x.test/{{SECRET_A}}/a");
    dr_io(token_of(last_job()), "{\"status\":404,\"headers\":{},\"body\":\"none\",\"ms\":1}");
    r = dr_get("sec");
    EXPECT_STR(r.body, "status", "completed");
    EXPECT_JSON(r.body, "result", "{\"status\":404,\"headers\":{},\"body\":\"none\"}");
    /* the author's own Idempotency-Key header wins */
    hn_use("sec-2");
    dr_create("t-raw-fetch", "sec-2", "{\"request\":{\"url\":\"http://y/\",\"headers\":{\"Idempotency-Key\":\"mine\"}}}");
    EXPECT_STR(last_job(), "request.headers.Idempotency-Key", "mine");
    assert_null(jget(last_job(), "request.headers.idempotency-key"));
}

/* Pause holds an outcome until resume; terminate aborts what is out. */
static void test_pause_and_terminate(void **state) {
    (void)state;
    hn_use("pz");
    dr_create("http-call", "pz", "{\"url\":\"http://p/\"}");
    EXPECT_STR(dr_post("pz", "pause", NULL).body, "status", "paused");
    dr_io(token_of(last_job()), OK_JSON("7"));
    dr_resp r = dr_get("pz");
    EXPECT_STR(r.body, "status", "paused");
    EXPECT_STR(r.body, "steps.0.status", "running");
    r = dr_post("pz", "resume", NULL);
    EXPECT_STR(r.body, "status", "completed");
    EXPECT_JSON(r.body, "result.body", "7");
    hn_use("tm");
    dr_create("http-parallel", "tm", "{\"urls\":[\"http://t/1\",\"http://t/2\"]}");
    assert_int_equal(hn_io_out_count(), 2);
    r = dr_post("tm", "terminate", NULL);
    EXPECT_STR(r.body, "status", "terminated");
    assert_int_equal(hn_io_cancel_count(), 2);
    assert_int_equal(hn_io_out_count(), 0);
    EXPECT_HTTP(dr_io(token_of(job(0)), OK_JSON("1")), 200);
    EXPECT_STR(dr_get("tm").body, "status", "terminated");
}

/* A trap in the call that started the I/O: its job never left, so the next
 * pass counts the attempt as crashed and retries it. */
static void test_trap_before_the_job_left(void **state) {
    (void)state;
    int trapped_with_step = 0;
    for (int k = 1; k < 60; k++) {
        dr_reset();
        hn_use("trap");
        hn_trap_at_sql(k);
        dr_resp r = dr_create("http-call", "trap", "{\"url\":\"http://q/\"}");
        hn_trap_at_sql(-1);
        if (!r.trapped) break; /* k is past the create's statements */
        assert_int_equal(hn_io_out_count(), 0);
        dr_settle(10);
        r = dr_get("trap");
        if (jlen(r.body, "steps") < 1) continue; /* trapped before the step existed */
        trapped_with_step++;
        EXPECT_STR(r.body, "status", "running");
        assert_int_equal(hn_io_out_count(), 1);
        dr_io(token_of(last_job()), OK_JSON("5"));
        r = dr_get("trap");
        EXPECT_STR(r.body, "status", "completed");
        EXPECT_JSON(r.body, "result.body", "5");
    }
    assert_true(trapped_with_step > 0);
}

/* An allocation that fails while a request is checked never lets a bad
 * request through and never fails a good one: whatever allocation fails, the
 * create answers (a 500 is retried by the alarm) and, once the alarms have
 * run, the instance ends as it would have without the failure. */
static void test_request_checks_under_oom(void **state) {
    (void)state;
    static const struct {
        const char *payload;
        int good;
    } cases[] = {
        {"{\"request\":{\"url\":\"http://x/{{OTHER}}\",\"headers\":{\"a\":\"{{SECRET_A}}\"}}}", 0},
        {"{\"request\":{\"url\":\"ftp://x/\"}}", 0},
        {"{\"request\":{\"url\":\"http://x/{{SECRET_A}}\",\"method\":\"POST\",\"body\":{\"n\":1}}}", 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int failures = 0, quiet = 0;
        /* until 100 allocations in a row reach no failing allocation: past the call's count */
        for (int n = 0; n < 5000 && quiet < 100; n++) {
            dr_reset();
            hn_use("oom");
            dr_fail_at(n, 1);
            dr_resp r = dr_create("t-raw-fetch", "oom", cases[k].payload);
            dr_fail_at(-1, 0);
            if (r.status == 500) {
                failures++;
                quiet = 0;
            } else {
                EXPECT_HTTP(r, 201);
                quiet++;
            }
            dr_settle(5);
            r = dr_get("oom");
            if (r.status == 404) continue; /* the create was refused whole: the client retries it */
            if (cases[k].good) {
                EXPECT_STR(r.body, "status", "running");
                assert_true(hn_io_out_count() == 1);
                EXPECT_STR(last_job(), "request.url", "http://x/{{SECRET_A}}");
            } else {
                EXPECT_STR(r.body, "status", "errored");
                EXPECT_CONTAINS(jstr(r.body, "error"), "invalid request: ");
                if (strstr(jstr(r.body, "error"), "out of memory"))
                    fail_msg("allocation %d: %s", n, jstr(r.body, "error"));
                assert_int_equal(hn_io_job_count(), 0);
            }
        }
        assert_true(failures > 5); /* the sweep reached the call's allocations */
    }
}

int test_io_run(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_fetch_success, reset),
        cmocka_unit_test_setup(test_fetch_retries_same_key, reset),
        cmocka_unit_test_setup(test_fetch_retry_after_and_permanent, reset),
        cmocka_unit_test_setup(test_fetch_timeout_and_too_large, reset),
        cmocka_unit_test_setup(test_fetch_death_while_out, reset),
        cmocka_unit_test_setup(test_parallel_wave, reset),
        cmocka_unit_test_setup(test_replay_of_io_costs_no_query_per_step, reset),
        cmocka_unit_test_setup(test_await_any_is_stable, reset),
        cmocka_unit_test_setup(test_activity_call, reset),
        cmocka_unit_test_setup(test_bad_requests, reset),
        cmocka_unit_test_setup(test_secrets_keys_accept, reset),
        cmocka_unit_test_setup(test_pause_and_terminate, reset),
        cmocka_unit_test_setup(test_trap_before_the_job_left, reset),
        cmocka_unit_test_setup(test_request_checks_under_oom, reset),
    };
    return cmocka_run_group_tests_name("io", tests, NULL, NULL);
}
