/* demo.c — the demo workflows of SPEC §9, written as any user would write
 * them against ablauf.h. They are registered in registry.c. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ablauf.h"

/* --- small helpers ---------------------------------------------------------- */

static const cJSON *field(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }
static double num(const cJSON *o, const char *k) { return cJSON_GetNumberValue(field(o, k)); }
static const char *str(const cJSON *o, const char *k) { return cJSON_GetStringValue(field(o, k)); }

/* A number as JSON would print it: integers without a fraction. */
static const char *fmt_num(ab_ctx *c, double v) {
    if (floor(v) == v && fabs(v) < 1e15) return ab_printf(c, "%.0f", v);
    return ab_printf(c, "%.17g", v);
}

/* Step bodies that only return a fixed value or an argument. */
static ab_rc ret_arg(ab_ctx *c, const cJSON *arg, cJSON **out) {
    *out = cJSON_Duplicate(arg, 1);
    return *out ? AB_OK : ab_fail(c, "out of memory");
}

static ab_rc ret_string(ab_ctx *c, const char *s, cJSON **out) {
    *out = cJSON_CreateString(s);
    return *out ? AB_OK : ab_fail(c, "out of memory");
}

/* Builds an object from alternating keys and already-created values. */
static cJSON *object2(const char *k1, cJSON *v1, const char *k2, cJSON *v2) {
    cJSON *o = cJSON_CreateObject();
    if (o == NULL) return NULL;
    cJSON_AddItemToObject(o, k1, v1 ? v1 : cJSON_CreateNull());
    if (k2) cJSON_AddItemToObject(o, k2, v2 ? v2 : cJSON_CreateNull());
    return o;
}

/* --- echo --------------------------------------------------------------------- */

static ab_rc echo_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *echoed;
    AB_TRY(ab_do(c, "echo", NULL, ret_arg, field(in, "message"), &echoed));
    *result = object2("original", cJSON_Duplicate(field(in, "message"), 1), "echoed", echoed);
    return AB_OK;
}

const ab_workflow wf_echo = {
    .type = "echo",
    .result_schema = "{\"type\":\"object\",\"required\":[\"original\",\"echoed\"],\"properties\":{\"original\":{\"type\":\"string\"},\"echoed\":{\"type\":\"string\"}}}",
    .input_schema = "{\"type\":\"object\",\"required\":[\"message\"],"
                    "\"properties\":{\"message\":{\"type\":\"string\"}}}",
    .run = echo_run,
};

/* --- test ---------------------------------------------------------------------- */

static ab_rc greet_hello(ab_ctx *c, const cJSON *name, cJSON **out) {
    return ret_string(c, ab_printf(c, "Hello, %s!", cJSON_GetStringValue(name)), out);
}

static ab_rc test_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *greeting, *approval;
    const char *name = str(in, "name");
    AB_TRY(ab_do(c, "greet", NULL, greet_hello, field(in, "name"), &greeting));
    AB_TRY(ab_sleep(c, "pause", "5s"));
    AB_TRY(ab_wait_for_event(c, "approval", "1m", &approval));
    int ok = cJSON_IsTrue(field(approval, "approved"));
    *result = object2("message",
                      cJSON_CreateString(ab_printf(c, "%s was %s", name, ok ? "approved" : "rejected")),
                      "greeting", greeting);
    return AB_OK;
}

static const ab_event_def test_events[] = {
    {"approval", "{\"type\":\"object\",\"required\":[\"approved\"],"
                 "\"properties\":{\"approved\":{\"type\":\"boolean\"}}}"},
    {NULL, NULL}};

const ab_workflow wf_test = {
    .type = "test",
    .result_schema = "{\"type\":\"object\",\"required\":[\"message\",\"greeting\"],\"properties\":{\"message\":{\"type\":\"string\"},\"greeting\":{\"type\":\"string\"}}}",
    .input_schema = "{\"type\":\"object\",\"required\":[\"name\"],"
                    "\"properties\":{\"name\":{\"type\":\"string\"}}}",
    .events = test_events,
    .retry = {.limit = 2, .delay = "500ms", .backoff = "exponential"},
    .run = test_run,
};

/* --- multi-step ------------------------------------------------------------------ */

static ab_rc add_one(ab_ctx *c, const cJSON *v, cJSON **out) { *out = cJSON_CreateNumber(v->valuedouble + 1); return AB_OK; }
static ab_rc times_two(ab_ctx *c, const cJSON *v, cJSON **out) { *out = cJSON_CreateNumber(v->valuedouble * 2); return AB_OK; }
static ab_rc plus_ten(ab_ctx *c, const cJSON *v, cJSON **out) { *out = cJSON_CreateNumber(v->valuedouble + 10); return AB_OK; }
static ab_rc label(ab_ctx *c, const cJSON *v, cJSON **out) {
    return ret_string(c, ab_printf(c, "result:%s", fmt_num(c, v->valuedouble)), out);
}

static ab_rc multi_step_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *a, *b, *cc, *d;
    AB_TRY(ab_do(c, "step-a", NULL, add_one, field(in, "value"), &a));
    AB_TRY(ab_do(c, "step-b", NULL, times_two, a, &b));
    AB_TRY(ab_do(c, "step-c", NULL, plus_ten, b, &cc));
    AB_TRY(ab_do(c, "step-d", NULL, label, cc, &d));
    cJSON *r = cJSON_CreateObject();
    if (r == NULL) return ab_fail_permanent(c, "out of memory");
    cJSON_AddItemToObject(r, "a", a);
    cJSON_AddItemToObject(r, "b", b);
    cJSON_AddItemToObject(r, "c", cc);
    cJSON_AddItemToObject(r, "d", d);
    *result = r;
    return AB_OK;
}

const ab_workflow wf_multi_step = {
    .type = "multi-step",
    .result_schema = "{\"type\":\"object\",\"required\":[\"a\",\"b\",\"c\",\"d\"],\"properties\":{\"a\":{\"type\":\"number\"},\"b\":{\"type\":\"number\"},\"c\":{\"type\":\"number\"},\"d\":{\"type\":\"string\"}}}",
    .input_schema = "{\"type\":\"object\",\"required\":[\"value\"],"
                    "\"properties\":{\"value\":{\"type\":\"number\"}}}",
    .run = multi_step_run,
};

/* --- failing-step, backoff-config, non-retriable ----------------------------------- */

/* Fails on attempts 1..failCount, then returns `value`. The attempt number is
 * persisted by the engine, so the count survives eviction. */
static ab_rc fail_k_times(ab_ctx *c, const cJSON *in, const char *value, cJSON **out) {
    int k = ab_attempt(c);
    if (k <= (int)num(in, "failCount")) return ab_fail(c, "Intentional failure #%d", k);
    return ret_string(c, value, out);
}

static ab_rc unreliable(ab_ctx *c, const cJSON *in, cJSON **out) { return fail_k_times(c, in, "recovered", out); }
static ab_rc configurable(ab_ctx *c, const cJSON *in, cJSON **out) { return fail_k_times(c, in, "ok", out); }

static ab_rc failing_step_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    return ab_do(c, "unreliable", NULL, unreliable, in, result);
}

const ab_workflow wf_failing_step = {
    .type = "failing-step",
    .result_schema = "{\"const\":\"recovered\"}",
    .input_schema = "{\"type\":\"object\",\"required\":[\"failCount\"],"
                    "\"properties\":{\"failCount\":{\"type\":\"integer\",\"minimum\":0}}}",
    .retry = {.limit = 3, .delay = "500ms", .backoff = "exponential"},
    .run = failing_step_run,
};

static ab_rc backoff_config_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    ab_retry r = {.limit = 5, .delay = "100ms", .backoff = str(in, "strategy")};
    return ab_do(c, "configurable-step", &r, configurable, in, result);
}

const ab_workflow wf_backoff_config = {
    .type = "backoff-config",
    .result_schema = "{\"const\":\"ok\"}",
    .input_schema = "{\"type\":\"object\",\"required\":[\"failCount\",\"strategy\"],"
                    "\"properties\":{\"failCount\":{\"type\":\"integer\",\"minimum\":0},"
                    "\"strategy\":{\"enum\":[\"fixed\",\"linear\",\"exponential\"]}}}",
    .run = backoff_config_run,
};

static ab_rc maybe_fail(ab_ctx *c, const cJSON *in, cJSON **out) {
    if (cJSON_IsTrue(field(in, "shouldFail"))) return ab_fail_permanent(c, "Intentional permanent failure");
    return ret_string(c, "success", out);
}

static ab_rc non_retriable_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    return ab_do(c, "maybe-fail", NULL, maybe_fail, in, result);
}

const ab_workflow wf_non_retriable = {
    .type = "non-retriable",
    .result_schema = "{\"const\":\"success\"}",
    .input_schema = "{\"type\":\"object\",\"required\":[\"shouldFail\"],"
                    "\"properties\":{\"shouldFail\":{\"type\":\"boolean\"}}}",
    .retry = {.limit = 5},
    .run = non_retriable_run,
};

/* --- duplicate-step ----------------------------------------------------------------- */

static ab_rc fetch_data(ab_ctx *c, const cJSON *in, cJSON **out) { return ret_string(c, "data", out); }

static ab_rc duplicate_step_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    AB_TRY(ab_do(c, "fetch-data", NULL, fetch_data, NULL, NULL));
    AB_TRY(ab_do(c, "fetch-data", NULL, fetch_data, NULL, NULL));
    *result = cJSON_CreateString("unreachable");
    return AB_OK;
}

const ab_workflow wf_duplicate_step = {
    .type = "duplicate-step",
    .input_schema = "{\"type\":\"object\"}",
    .run = duplicate_step_run,
};

/* --- multi-event --------------------------------------------------------------------- */

static ab_rc greet_hi(ab_ctx *c, const cJSON *name, cJSON **out) {
    return ret_string(c, ab_printf(c, "Hi, %s", cJSON_GetStringValue(name)), out);
}

static ab_rc multi_event_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *greeting, *first, *second;
    AB_TRY(ab_do(c, "greet", NULL, greet_hi, field(in, "name"), &greeting));
    AB_TRY(ab_wait_for_event(c, "first-approval", "1m", &first));
    AB_TRY(ab_wait_for_event(c, "second-approval", "1m", &second));
    cJSON *r = object2("greeting", greeting, "first", first);
    cJSON_AddItemToObject(r, "second", second);
    *result = r;
    return AB_OK;
}

#define OK_SCHEMA "{\"type\":\"object\",\"required\":[\"ok\"],\"properties\":{\"ok\":{\"type\":\"boolean\"}}}"
static const ab_event_def multi_event_events[] = {
    {"first-approval", OK_SCHEMA}, {"second-approval", OK_SCHEMA}, {NULL, NULL}};

const ab_workflow wf_multi_event = {
    .type = "multi-event",
    .input_schema = "{\"type\":\"object\",\"required\":[\"name\"],"
                    "\"properties\":{\"name\":{\"type\":\"string\"}}}",
    .events = multi_event_events,
    .run = multi_event_run,
};

/* --- replay-counter ------------------------------------------------------------------ */

static ab_rc ret_text(ab_ctx *c, const cJSON *arg, cJSON **out) {
    return ret_string(c, cJSON_GetStringValue(arg), out);
}

static ab_rc replay_counter_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *r1, *r2, *r3, *go;
    cJSON *first = cJSON_CreateString("first"), *second = cJSON_CreateString("second"),
          *third = cJSON_CreateString("third");
    AB_TRY(ab_do(c, "step-1", NULL, ret_text, first, &r1));
    AB_TRY(ab_do(c, "step-2", NULL, ret_text, second, &r2));
    AB_TRY(ab_wait_for_event(c, "continue", NULL, &go));
    AB_TRY(ab_do(c, "step-3", NULL, ret_text, third, &r3));
    cJSON *r = object2("result1", r1, "result2", r2);
    cJSON_AddItemToObject(r, "result3", r3);
    *result = r;
    return AB_OK;
}

static const ab_event_def replay_counter_events[] = {{"continue", "{\"type\":\"object\"}"}, {NULL, NULL}};

const ab_workflow wf_replay_counter = {
    .type = "replay-counter",
    .result_schema = "{\"type\":\"object\",\"properties\":{\"result1\":{\"type\":\"string\"},\"result2\":{\"type\":\"string\"},\"result3\":{\"type\":\"string\"}}}",
    .input_schema = "{\"type\":\"object\",\"required\":[\"id\"],"
                    "\"properties\":{\"id\":{\"type\":\"string\"}}}",
    .events = replay_counter_events,
    .run = replay_counter_run,
};

/* --- sleep-until-test ---------------------------------------------------------------- */

static ab_rc sleep_until_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *before, *after;
    AB_TRY(ab_do(c, "before-sleep", NULL, ret_text, cJSON_CreateString("before"), &before));
    AB_TRY(ab_sleep_until(c, "nap", num(in, "wakeAt")));
    AB_TRY(ab_do(c, "after-sleep", NULL, ret_text, cJSON_CreateString("after"), &after));
    *result = object2("before", before, "after", after);
    return AB_OK;
}

const ab_workflow wf_sleep_until = {
    .type = "sleep-until-test",
    .result_schema = "{\"type\":\"object\",\"properties\":{\"before\":{\"type\":\"string\"},\"after\":{\"type\":\"string\"}}}",
    .input_schema = "{\"type\":\"object\",\"required\":[\"wakeAt\"],"
                    "\"properties\":{\"wakeAt\":{\"type\":\"integer\"}}}",
    .run = sleep_until_run,
};

/* --- size-limit, size-limit-retry ----------------------------------------------------- */

static ab_rc chunk(ab_ctx *c, const cJSON *size, cJSON **out) {
    int n = (int)size->valuedouble;
    char *s = ab_alloc(c, (size_t)n + 1);
    if (s == NULL) return ab_fail_permanent(c, "out of memory");
    memset(s, 'x', (size_t)n);
    s[n] = '\0';
    return ret_string(c, s, out);
}

static ab_rc size_limit_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    int count = (int)num(in, "stepCount");
    const cJSON *size = field(in, "chunkSize");
    for (int i = 0; i < count; i++) AB_TRY(ab_do(c, ab_printf(c, "chunk-%d", i), NULL, chunk, size, NULL));
    *result = object2("totalChunks", cJSON_CreateNumber(count), NULL, NULL);
    return AB_OK;
}

#define SIZE_SCHEMA "{\"type\":\"object\",\"required\":[\"chunkSize\",\"stepCount\"],\"properties\":{" \
    "\"chunkSize\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":2097152}," \
    "\"stepCount\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":1000}}}"

const ab_workflow wf_size_limit = {
    .type = "size-limit",
    .result_schema = "{\"type\":\"object\",\"properties\":{\"totalChunks\":{\"type\":\"integer\"}}}",
    .input_schema = SIZE_SCHEMA,
    .result_size_limit = "1kb",
    .on_overflow = "fail",
    .run = size_limit_run,
};

const ab_workflow wf_size_limit_retry = {
    .type = "size-limit-retry",
    .result_schema = "{\"type\":\"object\",\"properties\":{\"totalChunks\":{\"type\":\"integer\"}}}",
    .input_schema = SIZE_SCHEMA,
    .result_size_limit = "1kb",
    .on_overflow = "retry",
    .retry = {.limit = 2, .delay = "100ms", .backoff = "fixed"},
    .run = size_limit_run,
};

/* --- sse-test ---------------------------------------------------------------------------- */

static ab_rc half(ab_ctx *c, const cJSON *n, cJSON **out) { *out = cJSON_CreateNumber(floor(n->valuedouble / 2)); return AB_OK; }
static ab_rc rest(ab_ctx *c, const cJSON *a, cJSON **out) {
    *out = cJSON_CreateNumber(cJSON_GetArrayItem(a, 0)->valuedouble - cJSON_GetArrayItem(a, 1)->valuedouble);
    return AB_OK;
}

static ab_rc percent(ab_ctx *c, double p) {
    cJSON *v = object2("percent", cJSON_CreateNumber(p), NULL, NULL);
    return ab_broadcast(c, "progress", v);
}

static ab_rc sse_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    const cJSON *n = field(in, "itemCount");
    cJSON *first, *second;
    AB_TRY(percent(c, 0));
    AB_TRY(ab_do(c, "first-half", NULL, half, n, &first));
    AB_TRY(percent(c, 50));
    cJSON *pair = cJSON_CreateArray();
    cJSON_AddItemToArray(pair, cJSON_CreateNumber(n->valuedouble));
    cJSON_AddItemToArray(pair, cJSON_CreateNumber(first->valuedouble));
    AB_TRY(ab_do(c, "second-half", NULL, rest, pair, &second));
    cJSON *done = object2("message",
                          cJSON_CreateString(ab_printf(c, "Processed %s items", fmt_num(c, n->valuedouble))),
                          NULL, NULL);
    AB_TRY(ab_emit(c, "done", done));
    *result = object2("processed", cJSON_CreateNumber(n->valuedouble), NULL, NULL);
    return AB_OK;
}

static const ab_update_def sse_updates[] = {
    {"progress", "{\"type\":\"object\",\"required\":[\"percent\"],\"properties\":{\"percent\":{\"type\":\"number\"}}}"},
    {"done", "{\"type\":\"object\",\"required\":[\"message\"],\"properties\":{\"message\":{\"type\":\"string\"}}}"},
    {NULL, NULL}};

const ab_workflow wf_sse_test = {
    .type = "sse-test",
    .result_schema = "{\"type\":\"object\",\"required\":[\"processed\"],\"properties\":{\"processed\":{\"type\":\"number\"}}}",
    .input_schema = "{\"type\":\"object\",\"required\":[\"itemCount\"],"
                    "\"properties\":{\"itemCount\":{\"type\":\"number\",\"minimum\":0}}}",
    .updates = sse_updates,
    .run = sse_run,
};

/* --- live-progress ---------------------------------------------------------------------- */

static ab_rc work_item(ab_ctx *c, const cJSON *i, cJSON **out) { *out = cJSON_CreateNumber(i->valuedouble); return AB_OK; }

static ab_rc live_progress_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    int steps = (int)num(in, "steps");
    AB_TRY(ab_wait_for_event(c, "go", NULL, NULL));
    for (int i = 1; i <= steps; i++) {
        AB_TRY(ab_do(c, ab_printf(c, "work-%d", i), NULL, work_item, cJSON_CreateNumber(i), NULL));
        cJSON *p = object2("step", cJSON_CreateNumber(i), NULL, NULL);
        AB_TRY(ab_broadcast(c, "progress", p));
        if (i % 2 == 0) AB_TRY(ab_emit(c, "progress", p));
    }
    AB_TRY(ab_emit(c, "done", object2("total", cJSON_CreateNumber(steps), NULL, NULL)));
    *result = object2("total", cJSON_CreateNumber(steps), NULL, NULL);
    return AB_OK;
}

static const ab_update_def live_progress_updates[] = {
    {"progress", "{\"type\":\"object\",\"required\":[\"step\"],\"properties\":{\"step\":{\"type\":\"integer\"}}}"},
    {"done", "{\"type\":\"object\",\"required\":[\"total\"],\"properties\":{\"total\":{\"type\":\"integer\"}}}"},
    {NULL, NULL}};

static const ab_event_def live_progress_events[] = {{"go", "{\"type\":\"object\"}"}, {NULL, NULL}};

const ab_workflow wf_live_progress = {
    .type = "live-progress",
    .result_schema = "{\"type\":\"object\",\"required\":[\"total\"],\"properties\":{\"total\":{\"type\":\"integer\"}}}",
    .input_schema = "{\"type\":\"object\",\"required\":[\"steps\"],"
                    "\"properties\":{\"steps\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":10000}}}",
    .events = live_progress_events,
    .updates = live_progress_updates,
    .run = live_progress_run,
};

/* --- crash-once ----------------------------------------------------------------------------- */

static ab_rc trap_once(ab_ctx *c, const cJSON *in, cJSON **out) {
    /* A real crash, not a failure: the wasm traps on the first attempt. The
     * engine learns of it on the next event and retries by the rules. */
    if (ab_attempt(c) == 1) __builtin_trap();
    return ret_string(c, "recovered", out);
}

static ab_rc crash_once_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *a, *b;
    AB_TRY(ab_do(c, "first", NULL, ret_text, cJSON_CreateString("safe"), &a));
    AB_TRY(ab_sleep(c, "gap", "1s"));
    AB_TRY(ab_do(c, "second", NULL, trap_once, NULL, &b));
    *result = object2("a", a, "b", b);
    return AB_OK;
}

const ab_workflow wf_crash_once = {
    .type = "crash-once",
    .result_schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":\"string\"}}}",
    .input_schema = "{\"type\":\"object\"}",
    .run = crash_once_run,
};

/* --- no-schema ------------------------------------------------------------------------------ */

static ab_rc noop(ab_ctx *c, const cJSON *in, cJSON **out) { return ret_string(c, "done", out); }

static ab_rc no_schema_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    return ab_do(c, "noop", NULL, noop, NULL, result);
}

const ab_workflow wf_no_schema = {
    .type = "no-schema",
    .result_schema = "{\"const\":\"done\"}",
    .run = no_schema_run,
};

/* --- benchmark ------------------------------------------------------------------------------ */

/* A deterministic integer loop (xorshift) whose checksum depends on every
 * iteration, so the compiler cannot skip it. */
static ab_rc bench_step(ab_ctx *c, const cJSON *arg, cJSON **out) {
    uint32_t x = (uint32_t)cJSON_GetArrayItem(arg, 0)->valuedouble * 2654435761u + 1;
    double work = cJSON_GetArrayItem(arg, 1)->valuedouble;
    for (uint64_t i = 0; i < (uint64_t)work; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
    }
    *out = cJSON_CreateNumber(x);
    return AB_OK;
}

/* Runs in->steps sequential bench steps; *result = {steps, checksum}. */
static ab_rc bench_steps(ab_ctx *c, const cJSON *in, cJSON **result) {
    int steps = (int)num(in, "steps");
    uint32_t sum = 0;
    cJSON *arg = cJSON_CreateArray();
    cJSON *i_val = cJSON_CreateNumber(0);
    cJSON_AddItemToArray(arg, i_val);
    cJSON_AddItemToArray(arg, cJSON_CreateNumber(num(in, "work")));
    for (int i = 0; i < steps; i++) {
        cJSON *r;
        cJSON_SetNumberValue(i_val, i);
        AB_TRY(ab_do(c, ab_printf(c, "step-%d", i), NULL, bench_step, arg, &r));
        sum += (uint32_t)r->valuedouble;
    }
    *result = object2("steps", cJSON_CreateNumber(steps), "checksum", cJSON_CreateNumber(sum));
    return AB_OK;
}

static ab_rc benchmark_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    return bench_steps(c, in, result);
}

const ab_workflow wf_benchmark = {
    .type = "benchmark",
    .result_schema = "{\"type\":\"object\",\"required\":[\"steps\",\"checksum\"],\"properties\":{\"steps\":{\"type\":\"integer\"},\"checksum\":{\"type\":\"integer\"}}}",
    .input_schema = "{\"type\":\"object\",\"required\":[\"steps\",\"work\"],\"properties\":{"
                    "\"steps\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100000},"
                    "\"work\":{\"type\":\"integer\",\"minimum\":0}}}",
    .run = benchmark_run,
};

/* --- benchmark-replay ------------------------------------------------------------------------ */

/* `steps` completed steps, then a wait: the event that ends the wait costs a
 * pass that replays every completed step (docs/performance.md). */
static ab_rc benchmark_replay_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    AB_TRY(bench_steps(c, in, result));
    return ab_wait_for_event(c, "go", NULL, NULL);
}

static const ab_event_def benchmark_replay_events[] = {{"go", NULL}, {NULL, NULL}};

const ab_workflow wf_benchmark_replay = {
    .type = "benchmark-replay",
    .input_schema = "{\"type\":\"object\",\"required\":[\"steps\",\"work\"],\"properties\":{"
                    "\"steps\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100000},"
                    "\"work\":{\"type\":\"integer\",\"minimum\":0}}}",
    .result_schema = "{\"type\":\"object\",\"required\":[\"steps\",\"checksum\"],\"properties\":{"
                     "\"steps\":{\"type\":\"integer\"},\"checksum\":{\"type\":\"integer\"}}}",
    .events = benchmark_replay_events,
    .run = benchmark_replay_run,
};

/* --- resume-updates ----------------------------------------------------------------------- */

/* Updates around a sleep and an event: each call site must fire exactly once
 * across the passes that resume the instance (SPEC §6). Used by the tests. */
static ab_rc stage(ab_ctx *c, int persist, const char *name) {
    cJSON *v = object2("name", cJSON_CreateString(name), NULL, NULL);
    return persist ? ab_emit(c, "stage", v) : ab_broadcast(c, "stage", v);
}

static ab_rc resume_updates_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    AB_TRY(stage(c, 0, "start"));
    AB_TRY(stage(c, 1, "before-sleep"));
    AB_TRY(ab_sleep(c, "nap", "1h"));
    AB_TRY(stage(c, 1, "after-sleep"));
    AB_TRY(stage(c, 0, "after-sleep-live"));
    AB_TRY(ab_wait_for_event(c, "go", NULL, NULL));
    AB_TRY(stage(c, 1, "after-event"));
    AB_TRY(ab_do(c, "finish", NULL, ret_text, cJSON_CreateString("finished"), result));
    AB_TRY(stage(c, 1, "done"));
    return AB_OK;
}

static const ab_update_def resume_updates_updates[] = {
    {"stage", "{\"type\":\"object\",\"required\":[\"name\"],\"properties\":{\"name\":{\"type\":\"string\"}}}"},
    {NULL, NULL}};

const ab_workflow wf_resume_updates = {
    .type = "resume-updates",
    .input_schema = "{\"type\":\"object\"}",
    .result_schema = "{\"const\":\"finished\"}",
    .events = benchmark_replay_events,
    .updates = resume_updates_updates,
    .run = resume_updates_run,
};
