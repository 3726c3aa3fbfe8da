/* io.c — the demo application's I/O workflows: HTTP requests, activities
 * and the built-in binding activities (docs/io-steps.md). */
#include "ablauf.h"

/* --- I/O steps: http-call, http-parallel, activity-call ------------------------ */

/* The secret the demo's http-call may put in a url or header as
 * {{DEMO_SECRET}} (a var or secret of the worker). */
static const char *const demo_secrets[] = {"DEMO_SECRET", NULL};

static ab_rc http_call_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *res;
    const ab_io_opts opts = {.timeout = ab_get_str(in, "timeout")};
    cJSON *req = ab_obj(c, "url", ab_get(in, "url"), AB_END);
    if (req == NULL) return ab_fail(c, "out of memory");
    if (ab_get(in, "method")) cJSON_AddItemToObject(req, "method", cJSON_Duplicate(ab_get(in, "method"), 1));
    if (ab_get(in, "headers")) cJSON_AddItemToObject(req, "headers", cJSON_Duplicate(ab_get(in, "headers"), 1));
    if (ab_get(in, "body")) cJSON_AddItemToObject(req, "body", cJSON_Duplicate(ab_get(in, "body"), 1));
    AB_TRY(ab_fetch(c, "call", &opts, req, &res));
    return ab_ok(c, result, ab_obj(c, "status", ab_get(res, "status"), "body", ab_get(res, "body"), AB_END));
}

AB_WORKFLOW(wf_http_call) = {
    .type = "http-call",
    .input_schema = AB_JSON({"type": "object", "required": ["url"],
                             "properties": {"url": {"type": "string"},
                                            "method": {"enum": ["GET", "POST"]},
                                            "headers": {"type": "object",
                                                        "additionalProperties": {"type": "string"}},
                                            "body": {},
                                            "timeout": {"type": "string"}}}),
    .result_schema = AB_JSON({"type": "object", "required": ["status", "body"],
                              "properties": {"status": {"type": "integer"}, "body": {}}}),
    .retry = {.limit = 3, .delay = "100ms", .backoff = "fixed"},
    .secrets = demo_secrets,
    .run = http_call_run,
};

#define HTTP_PARALLEL_MAX 10

static ab_rc http_parallel_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    ab_pending *p[HTTP_PARALLEL_MAX];
    cJSON *res[HTTP_PARALLEL_MAX];
    const cJSON *url;
    int n = 0;
    cJSON_ArrayForEach(url, ab_get_arr(in, "urls")) {
        if (n == HTTP_PARALLEL_MAX) break; /* the input schema allows at most 10 */
        AB_TRY(ab_fetch_start(c, ab_printf(c, "get-%d", n), NULL, ab_obj(c, "url", url, AB_END), &p[n]));
        n++;
    }
    AB_TRY(ab_await_all(c, p, n, res));
    cJSON *statuses = cJSON_CreateArray(), *bodies = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON_AddItemToArray(statuses, cJSON_Duplicate(ab_get(res[i], "status"), 1));
        cJSON_AddItemToArray(bodies, cJSON_Duplicate(ab_get(res[i], "body"), 1));
    }
    return ab_ok(c, result, ab_obj(c, "statuses", statuses, "bodies", bodies, AB_END));
}

AB_WORKFLOW(wf_http_parallel) = {
    .type = "http-parallel",
    .input_schema = AB_JSON({"type": "object", "required": ["urls"],
                             "properties": {"urls": {"type": "array", "minItems": 1, "maxItems": 10,
                                                     "items": {"type": "string"}}}}),
    .result_schema = AB_JSON({"type": "object", "required": ["statuses", "bodies"],
                              "properties": {"statuses": {"type": "array", "items": {"type": "integer"}},
                                             "bodies": {"type": "array"}}}),
    .run = http_parallel_run,
};

static ab_rc activity_call_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *upper;
    cJSON *args = ab_obj(c, "text", ab_get(in, "text"),
                         "failCount", ab_num(c, ab_get_int(in, "failCount", 0)), AB_END);
    AB_TRY(ab_call(c, "upper", NULL, "uppercase", args, &upper));
    return ab_ok(c, result, ab_obj(c, "text", upper, AB_END));
}

AB_WORKFLOW(wf_activity_call) = {
    .type = "activity-call",
    .input_schema = AB_JSON({"type": "object", "required": ["text"],
                             "properties": {"text": {"type": "string"},
                                            "failCount": {"type": "integer", "minimum": 0}}}),
    .result_schema = AB_JSON({"type": "object", "required": ["text"],
                              "properties": {"text": {"type": "string"}}}),
    .retry = {.limit = 4, .delay = "100ms", .backoff = "fixed"},
    .run = activity_call_run,
};

/* --- activity-steps: built-in activities from C (KV, Queue, R2, D1) ------------ */

/* Runs {"calls": [{"activity", "args"}]} as call steps call-0, call-1, ... in
 * order; the result lists their results. */
static ab_rc activity_steps_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *results = cJSON_CreateArray();
    const cJSON *one;
    int i = 0;
    cJSON_ArrayForEach(one, ab_get_arr(in, "calls")) {
        cJSON *r;
        AB_TRY(ab_call(c, ab_printf(c, "call-%d", i++), NULL, ab_get_str(one, "activity"),
                       ab_get(one, "args"), &r));
        cJSON_AddItemToArray(results, r);
    }
    return ab_ok(c, result, ab_obj(c, "results", results, AB_END));
}

AB_WORKFLOW(wf_activity_steps) = {
    .type = "activity-steps",
    .input_schema = AB_JSON({"type": "object", "required": ["calls"],
                             "properties": {"calls": {"type": "array", "maxItems": 100,
                                                      "items": {"type": "object", "required": ["activity"],
                                                                "properties": {"activity": {"type": "string"},
                                                                               "args": {}}}}}}),
    .retry = {.limit = 2, .delay = "100ms", .backoff = "fixed"},
    .run = activity_steps_run,
};

/* --- charge-receipt: the example of docs/writing-workflows.md ------------------ */

/* Charges a card at a payment endpoint (POST, the key as a secret), then
 * sends the receipt through the RECEIPTS queue; the demo worker's queue
 * consumer files it in DEMO_KV under receipt:<instance id>. */
static const char *const charge_secrets[] = {"DEMO_SECRET", NULL};

static ab_rc charge_receipt_run(ab_ctx *c, const cJSON *order, cJSON **result) {
    cJSON *charge;
    const ab_io_opts pay = {.retry = {.limit = 5, .delay = "1s", .backoff = "exponential"},
                            .timeout = "10s"};
    AB_TRY(ab_fetch(c, "charge", &pay,
                    ab_obj(c, "url", ab_get(order, "paymentUrl"),
                           "method", ab_str(c, "POST"),
                           "headers", ab_obj(c, "authorization", ab_str(c, "Bearer {{DEMO_SECRET}}"), AB_END),
                           "body", ab_obj(c, "amount", ab_get(order, "amount"),
                                          "currency", ab_str(c, "eur"), AB_END),
                           AB_END),
                    &charge));
    const cJSON *paid = ab_get(charge, "body");
    AB_TRY(ab_call(c, "receipt", NULL, "queue.send",
                   ab_obj(c, "binding", ab_str(c, "RECEIPTS"),
                          "body", ab_obj(c, "order", ab_str(c, "%s", ab_instance_id(c)),
                                         "charge", ab_get(paid, "id"),
                                         "amount", ab_get(order, "amount"), AB_END),
                          AB_END),
                   NULL));
    return ab_ok(c, result, ab_obj(c, "charge", ab_get(paid, "id"), "receipt", ab_bool(c, 1), AB_END));
}

AB_WORKFLOW(wf_charge_receipt) = {
    .type = "charge-receipt",
    .input_schema = AB_JSON({"type": "object", "required": ["paymentUrl", "amount"],
                             "properties": {"paymentUrl": {"type": "string"},
                                            "amount": {"type": "integer", "minimum": 1}}}),
    .result_schema = AB_JSON({"type": "object", "required": ["charge", "receipt"],
                              "properties": {"charge": {}, "receipt": {"type": "boolean"}}}),
    .secrets = charge_secrets,
    .run = charge_receipt_run,
};

/* --- http-sequence: count fetches of one url, one after another (benchmarks) ---- */

static ab_rc http_sequence_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    int n = ab_get_int(in, "count", 1);
    for (int i = 0; i < n; i++)
        AB_TRY(ab_fetch(c, ab_printf(c, "get-%d", i), NULL, ab_obj(c, "url", ab_get(in, "url"), AB_END), NULL));
    return ab_ok(c, result, ab_obj(c, "count", ab_num(c, n), AB_END));
}

AB_WORKFLOW(wf_http_sequence) = {
    .type = "http-sequence",
    .input_schema = AB_JSON({"type": "object", "required": ["url", "count"],
                             "properties": {"url": {"type": "string"},
                                            "count": {"type": "integer", "minimum": 1, "maximum": 1000}}}),
    .result_schema = AB_JSON({"type": "object", "required": ["count"],
                              "properties": {"count": {"type": "integer"}}}),
    .run = http_sequence_run,
};
