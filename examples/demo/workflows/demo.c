/* demo.c — the demo application's workflows (the engine's own tests and the
 * docs use them), written as any user writes them against ablauf.h. Each
 * AB_WORKFLOW definition is registered by `ablauf build`. The I/O demos are
 * in io.c. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ablauf.h"

/* --- echo ----------------------------------------------------------------------- */

/* Returns a copy of its argument (the argument is borrowed). */
static ab_rc echo_arg(ab_ctx *c, const cJSON *arg, cJSON **out) {
    return ab_ok(c, out, cJSON_Duplicate(arg, 1));
}

static ab_rc echo_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *echoed;
    AB_TRY(ab_do(c, "echo", NULL, echo_arg, ab_get(in, "message"), &echoed));
    return ab_ok(c, result, ab_obj(c, "original", ab_get(in, "message"), "echoed", echoed, AB_END));
}

AB_WORKFLOW(wf_echo) = {
    .type = "echo",
    .input_schema = AB_JSON({"type": "object", "required": ["message"],
                             "properties": {"message": {"type": "string"}}}),
    .result_schema = AB_JSON({"type": "object", "required": ["original", "echoed"],
                              "properties": {"original": {"type": "string"},
                                             "echoed": {"type": "string"}}}),
    .run = echo_run,
};

/* --- test ------------------------------------------------------------------------ */

static ab_rc greet_hello(ab_ctx *c, const cJSON *in, cJSON **out) {
    return ab_ok_str(c, out, "Hello, %s!", ab_get_str(in, "name"));
}

static ab_rc test_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *greeting, *approval;
    AB_TRY(ab_do(c, "greet", NULL, greet_hello, in, &greeting));
    AB_TRY(ab_sleep(c, "pause", "5s"));
    AB_TRY(ab_wait_for_event(c, "approval", "1m", &approval));
    const char *verdict = ab_get_bool(approval, "approved", 0) ? "approved" : "rejected";
    return ab_ok(c, result, ab_obj(c, "message", ab_str(c, "%s was %s", ab_get_str(in, "name"), verdict),
                                   "greeting", greeting, AB_END));
}

static const ab_event_def test_events[] = {
    {"approval", AB_JSON({"type": "object", "required": ["approved"],
                          "properties": {"approved": {"type": "boolean"}}})},
    {NULL, NULL}};

AB_WORKFLOW(wf_test) = {
    .type = "test",
    .input_schema = AB_JSON({"type": "object", "required": ["name"],
                             "properties": {"name": {"type": "string"}}}),
    .result_schema = AB_JSON({"type": "object", "required": ["message", "greeting"],
                              "properties": {"message": {"type": "string"},
                                             "greeting": {"type": "string"}}}),
    .events = test_events,
    .retry = {.limit = 2, .delay = "500ms", .backoff = "exponential"},
    .run = test_run,
};

/* --- multi-step ------------------------------------------------------------------- */

static ab_rc add_one(ab_ctx *c, const cJSON *v, cJSON **out) {
    return ab_ok(c, out, ab_num(c, cJSON_GetNumberValue(v) + 1));
}
static ab_rc times_two(ab_ctx *c, const cJSON *v, cJSON **out) {
    return ab_ok(c, out, ab_num(c, cJSON_GetNumberValue(v) * 2));
}
static ab_rc plus_ten(ab_ctx *c, const cJSON *v, cJSON **out) {
    return ab_ok(c, out, ab_num(c, cJSON_GetNumberValue(v) + 10));
}
/* %.17g prints an integral value without a fraction, every digit kept. */
static ab_rc label(ab_ctx *c, const cJSON *v, cJSON **out) {
    return ab_ok_str(c, out, "result:%.17g", cJSON_GetNumberValue(v));
}

static ab_rc multi_step_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *a, *b, *cc, *d;
    AB_TRY(ab_do(c, "step-a", NULL, add_one, ab_get(in, "value"), &a));
    AB_TRY(ab_do(c, "step-b", NULL, times_two, a, &b));
    AB_TRY(ab_do(c, "step-c", NULL, plus_ten, b, &cc));
    AB_TRY(ab_do(c, "step-d", NULL, label, cc, &d));
    return ab_ok(c, result, ab_obj(c, "a", a, "b", b, "c", cc, "d", d, AB_END));
}

AB_WORKFLOW(wf_multi_step) = {
    .type = "multi-step",
    .input_schema = AB_JSON({"type": "object", "required": ["value"],
                             "properties": {"value": {"type": "number"}}}),
    .result_schema = AB_JSON({"type": "object", "required": ["a", "b", "c", "d"],
                              "properties": {"a": {"type": "number"}, "b": {"type": "number"},
                                             "c": {"type": "number"}, "d": {"type": "string"}}}),
    .run = multi_step_run,
};

/* --- failing-step, backoff-config, non-retriable ------------------------------------ */

/* Fails on attempts 1..failCount, then returns `value`. The attempt number is
 * persisted by the engine, so the count survives eviction. */
static ab_rc fail_k_times(ab_ctx *c, const cJSON *in, const char *value, cJSON **out) {
    int k = ab_attempt(c);
    if (k <= ab_get_num(in, "failCount", 0)) return ab_fail(c, "Intentional failure #%d", k);
    return ab_ok_str(c, out, "%s", value);
}

static ab_rc unreliable(ab_ctx *c, const cJSON *in, cJSON **out) {
    return fail_k_times(c, in, "recovered", out);
}
static ab_rc configurable(ab_ctx *c, const cJSON *in, cJSON **out) {
    return fail_k_times(c, in, "ok", out);
}

static ab_rc failing_step_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    return ab_do(c, "unreliable", NULL, unreliable, in, result);
}

AB_WORKFLOW(wf_failing_step) = {
    .type = "failing-step",
    .input_schema = AB_JSON({"type": "object", "required": ["failCount"],
                             "properties": {"failCount": {"type": "integer", "minimum": 0}}}),
    .result_schema = AB_JSON({"const": "recovered"}),
    .retry = {.limit = 3, .delay = "500ms", .backoff = "exponential"},
    .run = failing_step_run,
};

static ab_rc backoff_config_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    ab_retry r = {.limit = 5, .delay = "100ms", .backoff = ab_get_str(in, "strategy")};
    return ab_do(c, "configurable-step", &r, configurable, in, result);
}

AB_WORKFLOW(wf_backoff_config) = {
    .type = "backoff-config",
    .input_schema = AB_JSON({"type": "object", "required": ["failCount", "strategy"],
                             "properties": {"failCount": {"type": "integer", "minimum": 0},
                                            "strategy": {"enum": ["fixed", "linear", "exponential"]}}}),
    .result_schema = AB_JSON({"const": "ok"}),
    .run = backoff_config_run,
};

static ab_rc maybe_fail(ab_ctx *c, const cJSON *in, cJSON **out) {
    if (ab_get_bool(in, "shouldFail", 0)) return ab_fail_permanent(c, "Intentional permanent failure");
    return ab_ok_str(c, out, "success");
}

static ab_rc non_retriable_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    return ab_do(c, "maybe-fail", NULL, maybe_fail, in, result);
}

AB_WORKFLOW(wf_non_retriable) = {
    .type = "non-retriable",
    .input_schema = AB_JSON({"type": "object", "required": ["shouldFail"],
                             "properties": {"shouldFail": {"type": "boolean"}}}),
    .result_schema = AB_JSON({"const": "success"}),
    .retry = {.limit = 5},
    .run = non_retriable_run,
};

/* --- duplicate-step ------------------------------------------------------------------ */

static ab_rc fetch_data(ab_ctx *c, const cJSON *in, cJSON **out) { return ab_ok_str(c, out, "data"); }

static ab_rc duplicate_step_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    AB_TRY(ab_do(c, "fetch-data", NULL, fetch_data, NULL, NULL));
    AB_TRY(ab_do(c, "fetch-data", NULL, fetch_data, NULL, NULL)); /* errors the instance */
    return ab_ok_str(c, result, "unreachable");
}

AB_WORKFLOW(wf_duplicate_step) = {
    .type = "duplicate-step",
    .input_schema = AB_JSON({"type": "object"}),
    .run = duplicate_step_run,
};

/* --- multi-event ---------------------------------------------------------------------- */

static ab_rc greet_hi(ab_ctx *c, const cJSON *in, cJSON **out) {
    return ab_ok_str(c, out, "Hi, %s", ab_get_str(in, "name"));
}

/* The result holds the two events' `ok` booleans, not their payloads. */
static ab_rc multi_event_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *greeting, *first, *second;
    AB_TRY(ab_do(c, "greet", NULL, greet_hi, in, &greeting));
    AB_TRY(ab_wait_for_event(c, "first-approval", "1m", &first));
    AB_TRY(ab_wait_for_event(c, "second-approval", "1m", &second));
    return ab_ok(c, result, ab_obj(c, "greeting", greeting,
                                   "first", ab_bool(c, ab_get_bool(first, "ok", 0)),
                                   "second", ab_bool(c, ab_get_bool(second, "ok", 0)), AB_END));
}

#define OK_SCHEMA \
    AB_JSON({"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}})
static const ab_event_def multi_event_events[] = {
    {"first-approval", OK_SCHEMA}, {"second-approval", OK_SCHEMA}, {NULL, NULL}};

AB_WORKFLOW(wf_multi_event) = {
    .type = "multi-event",
    .input_schema = AB_JSON({"type": "object", "required": ["name"],
                             "properties": {"name": {"type": "string"}}}),
    .events = multi_event_events,
    .run = multi_event_run,
};

/* --- replay-counter -------------------------------------------------------------------- */

static ab_rc replay_counter_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *r1, *r2, *r3;
    AB_TRY(ab_do(c, "step-1", NULL, echo_arg, ab_str(c, "first"), &r1));
    AB_TRY(ab_do(c, "step-2", NULL, echo_arg, ab_str(c, "second"), &r2));
    AB_TRY(ab_wait_for_event(c, "continue", NULL, NULL));
    AB_TRY(ab_do(c, "step-3", NULL, echo_arg, ab_str(c, "third"), &r3));
    return ab_ok(c, result, ab_obj(c, "result1", r1, "result2", r2, "result3", r3, AB_END));
}

static const ab_event_def replay_counter_events[] = {{"continue", AB_JSON({"type": "object"})},
                                                     {NULL, NULL}};

AB_WORKFLOW(wf_replay_counter) = {
    .type = "replay-counter",
    .input_schema = AB_JSON({"type": "object", "required": ["id"],
                             "properties": {"id": {"type": "string"}}}),
    .result_schema = AB_JSON({"type": "object",
                              "properties": {"result1": {"type": "string"},
                                             "result2": {"type": "string"},
                                             "result3": {"type": "string"}}}),
    .events = replay_counter_events,
    .run = replay_counter_run,
};

/* --- sleep-until-test ------------------------------------------------------------------ */

static ab_rc sleep_until_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *before, *after;
    AB_TRY(ab_do(c, "before-sleep", NULL, echo_arg, ab_str(c, "before"), &before));
    AB_TRY(ab_sleep_until(c, "nap", ab_get_num(in, "wakeAt", 0)));
    AB_TRY(ab_do(c, "after-sleep", NULL, echo_arg, ab_str(c, "after"), &after));
    return ab_ok(c, result, ab_obj(c, "before", before, "after", after, AB_END));
}

AB_WORKFLOW(wf_sleep_until) = {
    .type = "sleep-until-test",
    .input_schema = AB_JSON({"type": "object", "required": ["wakeAt"],
                             "properties": {"wakeAt": {"type": "integer"}}}),
    .result_schema = AB_JSON({"type": "object", "properties": {"before": {"type": "string"},
                                                               "after": {"type": "string"}}}),
    .run = sleep_until_run,
};

/* --- size-limit, size-limit-retry ------------------------------------------------------ */

static ab_rc chunk(ab_ctx *c, const cJSON *in, cJSON **out) {
    int n = ab_get_int(in, "chunkSize", 0);
    char *s = ab_alloc(c, (size_t)n + 1);
    if (s == NULL) return ab_fail_permanent(c, "out of memory");
    memset(s, 'x', (size_t)n);
    s[n] = '\0';
    return ab_ok(c, out, cJSON_CreateString(s));
}

static ab_rc size_limit_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    int count = ab_get_int(in, "stepCount", 0);
    for (int i = 0; i < count; i++) AB_TRY(ab_do(c, ab_printf(c, "chunk-%d", i), NULL, chunk, in, NULL));
    return ab_ok(c, result, ab_obj(c, "totalChunks", ab_num(c, count), AB_END));
}

#define SIZE_SCHEMA AB_JSON({"type": "object", "required": ["chunkSize", "stepCount"], "properties": { \
    "chunkSize": {"type": "integer", "minimum": 0, "maximum": 2097152},                           \
    "stepCount": {"type": "integer", "minimum": 0, "maximum": 1000}}})
#define SIZE_RESULT AB_JSON({"type": "object", "properties": {"totalChunks": {"type": "integer"}}})

AB_WORKFLOW(wf_size_limit) = {
    .type = "size-limit",
    .input_schema = SIZE_SCHEMA,
    .result_schema = SIZE_RESULT,
    .result_size_limit = "1kb",
    .on_overflow = "fail",
    .run = size_limit_run,
};

AB_WORKFLOW(wf_size_limit_retry) = {
    .type = "size-limit-retry",
    .input_schema = SIZE_SCHEMA,
    .result_schema = SIZE_RESULT,
    .result_size_limit = "1kb",
    .on_overflow = "retry",
    .retry = {.limit = 2, .delay = "100ms", .backoff = "fixed"},
    .run = size_limit_run,
};

/* --- sse-test ---------------------------------------------------------------------------- */

static ab_rc half(ab_ctx *c, const cJSON *n, cJSON **out) {
    return ab_ok(c, out, ab_num(c, floor(cJSON_GetNumberValue(n) / 2)));
}
static ab_rc rest(ab_ctx *c, const cJSON *a, cJSON **out) {
    return ab_ok(c, out, ab_num(c, ab_get_num(a, "n", 0) - ab_get_num(a, "first", 0)));
}

static ab_rc percent(ab_ctx *c, double p) {
    return ab_broadcast(c, "progress", ab_obj(c, "percent", ab_num(c, p), AB_END));
}

static ab_rc sse_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    const cJSON *n = ab_get(in, "itemCount");
    cJSON *first, *second;
    AB_TRY(percent(c, 0));
    AB_TRY(ab_do(c, "first-half", NULL, half, n, &first));
    AB_TRY(percent(c, 50));
    AB_TRY(ab_do(c, "second-half", NULL, rest, ab_obj(c, "n", n, "first", first, AB_END), &second));
    double items = cJSON_GetNumberValue(n);
    AB_TRY(ab_emit(c, "done", ab_obj(c, "message", ab_str(c, "Processed %.17g items", items), AB_END)));
    return ab_ok(c, result, ab_obj(c, "processed", ab_num(c, items), AB_END));
}

static const ab_update_def sse_updates[] = {
    {"progress", AB_JSON({"type": "object", "required": ["percent"],
                          "properties": {"percent": {"type": "number"}}})},
    {"done", AB_JSON({"type": "object", "required": ["message"],
                      "properties": {"message": {"type": "string"}}})},
    {NULL, NULL}};

AB_WORKFLOW(wf_sse_test) = {
    .type = "sse-test",
    .input_schema = AB_JSON({"type": "object", "required": ["itemCount"],
                             "properties": {"itemCount": {"type": "number", "minimum": 0}}}),
    .result_schema = AB_JSON({"type": "object", "required": ["processed"],
                              "properties": {"processed": {"type": "number"}}}),
    .updates = sse_updates,
    .run = sse_run,
};

/* --- live-progress ----------------------------------------------------------------------- */

static ab_rc work_item(ab_ctx *c, const cJSON *i, cJSON **out) {
    return ab_ok(c, out, ab_num(c, cJSON_GetNumberValue(i)));
}

static ab_rc live_progress_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    int steps = ab_get_int(in, "steps", 0);
    AB_TRY(ab_wait_for_event(c, "go", NULL, NULL));
    for (int i = 1; i <= steps; i++) {
        AB_TRY(ab_do(c, ab_printf(c, "work-%d", i), NULL, work_item, ab_num(c, i), NULL));
        cJSON *p = ab_obj(c, "step", ab_num(c, i), AB_END);
        AB_TRY(ab_broadcast(c, "progress", p));
        if (i % 2 == 0) AB_TRY(ab_emit(c, "progress", p)); /* p is borrowed: reused */
    }
    AB_TRY(ab_emit(c, "done", ab_obj(c, "total", ab_num(c, steps), AB_END)));
    return ab_ok(c, result, ab_obj(c, "total", ab_num(c, steps), AB_END));
}

static const ab_update_def live_progress_updates[] = {
    {"progress", AB_JSON({"type": "object", "required": ["step"],
                          "properties": {"step": {"type": "integer"}}})},
    {"done", AB_JSON({"type": "object", "required": ["total"],
                      "properties": {"total": {"type": "integer"}}})},
    {NULL, NULL}};

static const ab_event_def live_progress_events[] = {{"go", AB_JSON({"type": "object"})}, {NULL, NULL}};

AB_WORKFLOW(wf_live_progress) = {
    .type = "live-progress",
    .input_schema = AB_JSON({"type": "object", "required": ["steps"],
                             "properties": {"steps": {"type": "integer", "minimum": 0,
                                                      "maximum": 10000}}}),
    .result_schema = AB_JSON({"type": "object", "required": ["total"],
                              "properties": {"total": {"type": "integer"}}}),
    .events = live_progress_events,
    .updates = live_progress_updates,
    .run = live_progress_run,
};

/* --- crash-once -------------------------------------------------------------------------- */

static ab_rc trap_once(ab_ctx *c, const cJSON *in, cJSON **out) {
    /* A real crash, not a failure: the wasm traps on the first attempt. The
     * engine learns of it on the next event and retries by the rules. */
    if (ab_attempt(c) == 1) __builtin_trap();
    return ab_ok_str(c, out, "recovered");
}

static ab_rc crash_once_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    cJSON *a, *b;
    AB_TRY(ab_do(c, "first", NULL, echo_arg, ab_str(c, "safe"), &a));
    AB_TRY(ab_sleep(c, "gap", "1s"));
    AB_TRY(ab_do(c, "second", NULL, trap_once, NULL, &b));
    return ab_ok(c, result, ab_obj(c, "a", a, "b", b, AB_END));
}

AB_WORKFLOW(wf_crash_once) = {
    .type = "crash-once",
    .input_schema = AB_JSON({"type": "object"}),
    .result_schema = AB_JSON({"type": "object", "properties": {"a": {"type": "string"},
                                                               "b": {"type": "string"}}}),
    .run = crash_once_run,
};

/* --- no-schema --------------------------------------------------------------------------- */

static ab_rc noop(ab_ctx *c, const cJSON *in, cJSON **out) { return ab_ok_str(c, out, "done"); }

static ab_rc no_schema_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    return ab_do(c, "noop", NULL, noop, NULL, result);
}

AB_WORKFLOW(wf_no_schema) = {
    .type = "no-schema",
    .result_schema = AB_JSON({"const": "done"}),
    .run = no_schema_run,
};

/* --- benchmark ---------------------------------------------------------------------------- */

/* A deterministic integer loop (xorshift) whose checksum depends on every
 * iteration, so the compiler cannot skip it. */
static ab_rc bench_step(ab_ctx *c, const cJSON *arg, cJSON **out) {
    uint32_t x = (uint32_t)ab_get_num(arg, "i", 0) * 2654435761u + 1;
    double work = ab_get_num(arg, "work", 0);
    for (uint64_t i = 0; i < (uint64_t)work; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
    }
    return ab_ok(c, out, ab_num(c, x));
}

/* Runs in->steps sequential bench steps; *result = {steps, checksum}. The
 * argument is built once and its "i" updated in place: a replay of 100000
 * steps allocates no argument per step. */
static ab_rc bench_steps(ab_ctx *c, const cJSON *in, cJSON **result) {
    int steps = ab_get_int(in, "steps", 0);
    uint32_t sum = 0;
    cJSON *i_val = ab_num(c, 0);
    cJSON *arg = ab_obj(c, "i", i_val, "work", ab_get(in, "work"), AB_END);
    if (arg == NULL) return ab_fail(c, "out of memory");
    for (int i = 0; i < steps; i++) {
        cJSON *r;
        cJSON_SetNumberValue(i_val, i);
        AB_TRY(ab_do(c, ab_printf(c, "step-%d", i), NULL, bench_step, arg, &r));
        sum += (uint32_t)cJSON_GetNumberValue(r);
    }
    return ab_ok(c, result, ab_obj(c, "steps", ab_num(c, steps), "checksum", ab_num(c, sum), AB_END));
}

static ab_rc benchmark_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    return bench_steps(c, in, result);
}

#define BENCH_INPUT AB_JSON({"type": "object", "required": ["steps", "work"], "properties": { \
    "steps": {"type": "integer", "minimum": 1, "maximum": 100000},                          \
    "work": {"type": "integer", "minimum": 0}}})
#define BENCH_RESULT AB_JSON({"type": "object", "required": ["steps", "checksum"], "properties": { \
    "steps": {"type": "integer"}, "checksum": {"type": "integer"}}})

AB_WORKFLOW(wf_benchmark) = {
    .type = "benchmark",
    .input_schema = BENCH_INPUT,
    .result_schema = BENCH_RESULT,
    .run = benchmark_run,
};

/* --- benchmark-replay ----------------------------------------------------------------------- */

/* `steps` completed steps, then a wait: the event that ends the wait costs a
 * pass that replays every completed step (docs/performance.md). */
static ab_rc benchmark_replay_run(ab_ctx *c, const cJSON *in, cJSON **result) {
    AB_TRY(bench_steps(c, in, result));
    return ab_wait_for_event(c, "go", NULL, NULL);
}

static const ab_event_def benchmark_replay_events[] = {{"go", NULL}, {NULL, NULL}};

AB_WORKFLOW(wf_benchmark_replay) = {
    .type = "benchmark-replay",
    .input_schema = BENCH_INPUT,
    .result_schema = BENCH_RESULT,
    .events = benchmark_replay_events,
    .run = benchmark_replay_run,
};

/* --- resume-updates ----------------------------------------------------------------------- */

/* Updates around a sleep and an event: each call site must fire exactly once
 * across the passes that resume the instance (SPEC §6). Used by the tests. */
static ab_rc stage(ab_ctx *c, int persist, const char *name) {
    cJSON *v = ab_obj(c, "name", ab_str(c, "%s", name), AB_END);
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
    AB_TRY(ab_do(c, "finish", NULL, echo_arg, ab_str(c, "finished"), result));
    AB_TRY(stage(c, 1, "done"));
    return AB_OK;
}

static const ab_update_def resume_updates_updates[] = {
    {"stage", AB_JSON({"type": "object", "required": ["name"],
                       "properties": {"name": {"type": "string"}}})},
    {NULL, NULL}};

AB_WORKFLOW(wf_resume_updates) = {
    .type = "resume-updates",
    .input_schema = AB_JSON({"type": "object"}),
    .result_schema = AB_JSON({"const": "finished"}),
    .events = benchmark_replay_events,
    .updates = resume_updates_updates,
    .run = resume_updates_run,
};
