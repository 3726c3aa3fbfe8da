/* workflows.c — workflows that make an author's mistakes on purpose, for
 * test_mistakes.c and test_io.c. They exist only in the native test build
 * (build.sh adds this file to its generated registry); no deployment ever
 * serves them. */
#include "ablauf.h"
#include "host_native.h"

/* Set by the tests between passes: the drifting workflow's step names. */
int tw_drift_version = 1;

static ab_rc const_body(ab_ctx *c, const cJSON *arg, cJSON **out) {
    (void)c;
    *out = cJSON_Duplicate(arg, 1);
    return *out ? AB_OK : AB_FAIL;
}

/* A sleep whose status is dropped: the pass goes on and "completes". */
static ab_rc forgot_try(ab_ctx *c, const cJSON *payload, cJSON **result) {
    ab_rc dropped = ab_sleep(c, "nap", "1s");
    (void)dropped;
    (void)payload;
    *result = cJSON_CreateString("done");
    return AB_OK;
}

/* The same, but the next step call comes after the stop. */
static ab_rc forgot_try_next(ab_ctx *c, const cJSON *payload, cJSON **result) {
    ab_rc dropped = ab_sleep(c, "nap", "1s");
    (void)dropped;
    return ab_do(c, "after-nap", NULL, const_body, payload, result);
}

/* Returns a number where its result schema wants a string. */
static ab_rc bad_result(ab_ctx *c, const cJSON *payload, cJSON **result) {
    (void)c;
    (void)payload;
    *result = cJSON_CreateObject();
    cJSON_AddNumberToObject(*result, "total", 3);
    return AB_OK;
}

/* The step's name changes between passes, as when code is redeployed under a
 * sleeping instance. */
static ab_rc drift(ab_ctx *c, const cJSON *payload, cJSON **result) {
    cJSON *r;
    const char *first = tw_drift_version == 1 ? "fetch-v1" : "fetch-v2";
    AB_TRY(ab_do(c, first, NULL, const_body, payload, &r));
    AB_TRY(ab_sleep(c, "nap", "1s"));
    *result = r;
    return AB_OK;
}

static ab_rc noop(ab_ctx *c, const cJSON *payload, cJSON **result) {
    (void)c;
    (void)payload;
    *result = cJSON_CreateNull();
    return AB_OK;
}

AB_WORKFLOW(tw_forgot_try) = {.type = "t-forgot-try", .run = forgot_try};
AB_WORKFLOW(tw_forgot_try_next) = {.type = "t-forgot-try-next", .run = forgot_try_next};
AB_WORKFLOW(tw_bad_result) = {
    .type = "t-bad-result",
    .result_schema = "{\"type\":\"object\",\"properties\":{\"total\":{\"type\":\"string\"}}}",
    .run = bad_result,
};
AB_WORKFLOW(tw_drift) = {.type = "t-drift", .run = drift};
/* The build refuses it (test_mistakes checks that); at run time it must
 * still answer clearly. */
AB_WORKFLOW(tw_bad_schema) = {.type = "t-bad-schema", .input_schema = "{\"type\":", .run = noop};

/* A step named by the payload returning its value, then a sleep until its
 * time: what goes into a stored row as the payload says (test_mistakes.c
 * reads it back through every page query). */
static ab_rc exact(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *r;
    AB_TRY(ab_do(c, ab_get_str(in, "name"), NULL, const_body, ab_get(in, "value"), &r));
    AB_TRY(ab_sleep_until(c, "nap", ab_get_num(in, "at", 0)));
    return ab_ok(c, result, r);
}

AB_WORKFLOW(tw_exact) = {.type = "t-exact", .run = exact};

/* --- I/O steps (test_io.c) ------------------------------------------------------ */

/* n sequential fetches of url, then the number of them. */
static ab_rc fetch_seq(ab_ctx *c, const cJSON *in, cJSON **result) {
    int n = ab_get_int(in, "n", 1);
    for (int i = 0; i < n; i++)
        AB_TRY(ab_fetch(c, ab_printf(c, "f-%d", i), NULL, ab_obj(c, "url", ab_get(in, "url"), AB_END), NULL));
    return ab_ok(c, result, ab_num(c, n));
}

AB_WORKFLOW(tw_fetch_seq) = {.type = "t-fetch-seq", .run = fetch_seq};

static ab_rc which_body(ab_ctx *c, const cJSON *arg, cJSON **out) {
    return ab_ok(c, out, cJSON_Duplicate(arg, 1));
}

/* Two fetches race; the winner's index is kept by a do step, then the loser
 * is awaited too. */
static ab_rc race(ab_ctx *c, const cJSON *in, cJSON **result) {
    ab_pending *p[2];
    int which;
    cJSON *won, *both[2];
    AB_TRY(ab_fetch_start(c, "a", NULL, ab_obj(c, "url", ab_str(c, "https://a.test/"), AB_END), &p[0]));
    AB_TRY(ab_fetch_start(c, "b", NULL, ab_obj(c, "url", ab_str(c, "https://b.test/"), AB_END), &p[1]));
    AB_TRY(ab_await_any(c, p, 2, &which, NULL));
    AB_TRY(ab_do(c, "winner", NULL, which_body, ab_num(c, which), &won));
    AB_TRY(ab_await_all(c, p, 2, both));
    (void)in;
    return ab_ok(c, result, ab_obj(c, "winner", won, "now", ab_num(c, which), AB_END));
}

AB_WORKFLOW(tw_race) = {.type = "t-race", .run = race};

/* A fetch whose request the test chooses whole, with the secret SECRET_A
 * declared, and a call of the activity the input names. */
static const char *const tw_secrets[] = {"SECRET_A", NULL};

static ab_rc raw_fetch(ab_ctx *c, const cJSON *in, cJSON **result) {
    static const int accept[] = {404, 0};
    const ab_io_opts o = {.accept = accept, .idempotency_key = ab_get_str(in, "key"),
                          .timeout = ab_get_str(in, "timeout")};
    return ab_fetch(c, "req", &o, ab_get(in, "request"), result);
}

AB_WORKFLOW(tw_raw_fetch) = {.type = "t-raw-fetch", .secrets = tw_secrets, .run = raw_fetch};

/* A body that traps on its first attempt (as crash-once does in wasm), and
 * counts how often it ran. */
int tw_trap_body_runs = 0;

static ab_rc trap_body(ab_ctx *c, const cJSON *arg, cJSON **out) {
    tw_trap_body_runs++;
    if (ab_attempt(c) == 1) hn_trap_now();
    return ab_ok(c, out, cJSON_Duplicate(arg, 1));
}

static ab_rc trap_body_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *a, *b;
    AB_TRY(ab_do(c, "a", NULL, const_body, ab_str(c, "first"), &a));
    AB_TRY(ab_do(c, "b", NULL, trap_body, ab_str(c, "second"), &b));
    (void)in;
    return ab_ok(c, result, ab_obj(c, "a", a, "b", b, AB_END));
}

AB_WORKFLOW(tw_trap_body) = {.type = "t-trap-body", .retry = {.delay = "1s"}, .run = trap_body_run};
