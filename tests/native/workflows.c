/* workflows.c — workflows that make an author's mistakes on purpose, for
 * test_mistakes.c. They exist only in the native test build (registry.c lists
 * them under AB_NATIVE_TESTS); no deployment ever serves them. */
#include "ablauf.h"

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

const ab_workflow tw_forgot_try = {.type = "t-forgot-try", .run = forgot_try};
const ab_workflow tw_forgot_try_next = {.type = "t-forgot-try-next", .run = forgot_try_next};
const ab_workflow tw_bad_result = {
    .type = "t-bad-result",
    .result_schema = "{\"type\":\"object\",\"properties\":{\"total\":{\"type\":\"string\"}}}",
    .run = bad_result,
};
const ab_workflow tw_drift = {.type = "t-drift", .run = drift};
/* The build refuses it (test_mistakes checks that); at run time it must
 * still answer clearly. */
const ab_workflow tw_bad_schema = {.type = "t-bad-schema", .input_schema = "{\"type\":", .run = noop};
