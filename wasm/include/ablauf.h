/* ablauf.h — the public API for writing durable workflows in C.
 *
 * A workflow is a constant definition (ab_workflow) plus a run function. The
 * engine calls the run function from the top on every wake-up (a "pass");
 * steps that already completed return their stored results without running
 * again, so the run function must be deterministic apart from its steps: all
 * I/O, clocks and randomness belong inside step bodies.
 *
 * Every engine call returns an ab_rc. Anything but AB_OK means "stop the pass
 * now and return this code": AB_TRY does exactly that. The engine has already
 * recorded why (sleeping, waiting, retry back-off, paused, errored).
 *
 * Memory: everything the engine hands out (step results, event payloads, the
 * payload) and everything the author allocates with cJSON or ab_alloc lives
 * in the current call's arena and is released when the call returns. Authors
 * never free. Results returned from step bodies and the run function are
 * taken over by the engine.
 *
 * Example — a workflow that greets, sleeps a day, then waits for approval:
 *
 *     static ab_rc greet(ab_ctx *c, const cJSON *in, cJSON **out) {
 *         const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(in, "name"));
 *         *out = cJSON_CreateString(ab_printf(c, "Hello, %s!", name));
 *         return *out ? AB_OK : ab_fail(c, "out of memory");
 *     }
 *
 *     static ab_rc run(ab_ctx *c, const cJSON *payload, cJSON **result) {
 *         cJSON *greeting, *approval;
 *         AB_TRY(ab_do(c, "greet", NULL, greet, payload, &greeting));
 *         AB_TRY(ab_sleep(c, "cool-off", "1d"));
 *         AB_TRY(ab_wait_for_event(c, "approval", "7d", &approval));
 *         *result = greeting;
 *         return AB_OK;
 *     }
 *
 *     static const ab_event_def events[] = {
 *         {"approval", "{\"type\":\"object\",\"properties\":{\"approved\":{\"type\":\"boolean\"}}}"},
 *         {NULL, NULL}};
 *
 *     const ab_workflow greeter = {
 *         .type = "greeter",
 *         .input_schema = "{\"type\":\"object\",\"required\":[\"name\"],"
 *                         "\"properties\":{\"name\":{\"type\":\"string\"}}}",
 *         .events = events,
 *         .run = run,
 *     };
 *
 * and list &greeter in the registry (see wasm/demo/registry.c).
 */
#ifndef ABLAUF_H
#define ABLAUF_H

#include <stddef.h>

#include "cJSON.h"

typedef struct ab_ctx ab_ctx;

typedef enum ab_rc {
    AB_OK = 0,             /* done; results are available */
    AB_SUSPEND = 1,        /* the pass stops here: sleep, wait, back-off or pause */
    AB_ERROR = 2,          /* the instance errored; the engine recorded why */
    AB_FAIL = 3,           /* step body only: this attempt failed, retry by the rules */
    AB_FAIL_PERMANENT = 4  /* step body only: failed, never retry */
} ab_rc;

/* Returns from the enclosing function unless expr is AB_OK. */
#define AB_TRY(expr)                        \
    do {                                    \
        ab_rc ab_try_rc_ = (expr);          \
        if (ab_try_rc_ != AB_OK) return ab_try_rc_; \
    } while (0)

/* Retry policy. Zero/NULL fields inherit: step -> workflow -> engine default
 * (limit 3 attempts in all, delay "1s", backoff "exponential"). */
typedef struct ab_retry {
    int limit;           /* total attempts, the first included */
    const char *delay;   /* duration: "<int>(ms|s|m|h|d)" */
    const char *backoff; /* "fixed" | "linear" | "exponential" */
} ab_retry;

/* An event or update name with the JSON Schema (as JSON text) its payload
 * must satisfy; NULL schema accepts anything. Arrays end with {NULL, NULL}. */
typedef struct ab_message_def {
    const char *name;
    const char *schema;
} ab_message_def;
typedef ab_message_def ab_event_def;
typedef ab_message_def ab_update_def;

/* A step body. arg is what was passed to ab_do; *result must be set on AB_OK
 * (a cJSON value; NULL means JSON null). Return AB_OK, or ab_fail(...) /
 * ab_fail_permanent(...). */
typedef ab_rc (*ab_step_fn)(ab_ctx *c, const cJSON *arg, cJSON **result);

/* A workflow's run function: payload is the validated input. */
typedef ab_rc (*ab_run_fn)(ab_ctx *c, const cJSON *payload, cJSON **result);

typedef struct ab_workflow {
    const char *type;              /* unique name, e.g. "order-fulfilment" */
    const char *input_schema;      /* JSON Schema text; NULL accepts anything */
    const char *result_schema;     /* JSON Schema of the result (for generated types) */
    const ab_event_def *events;    /* events it waits for; NULL = none */
    const ab_update_def *updates;  /* updates it emits/broadcasts; NULL = none */
    ab_retry retry;                /* defaults for its steps */
    const char *result_size_limit; /* cumulative step results, e.g. "64mb" (default) */
    const char *on_overflow;       /* "fail" (default) | "retry" */
    ab_run_fn run;
} ab_workflow;

/* The registry: a NULL-terminated array the application defines once. */
extern const ab_workflow *const ab_registry[];

/* --- steps (call from the run function) ------------------------------ */

/* Runs fn once and stores its result under `name`; later passes get the
 * stored result. retry may be NULL (workflow defaults). */
ab_rc ab_do(ab_ctx *c, const char *name, const ab_retry *retry,
            ab_step_fn fn, const cJSON *arg, cJSON **result);

/* Suspends the instance for a duration ("5s", "30m", "7d"). */
ab_rc ab_sleep(ab_ctx *c, const char *name, const char *duration);

/* Suspends the instance until epoch milliseconds `at`. */
ab_rc ab_sleep_until(ab_ctx *c, const char *name, double at);

/* Waits for the event `event` (the step is named after it). timeout is a
 * duration or NULL for none; on expiry the instance errors with
 * EVENT_TIMEOUT. payload receives the event's payload. */
ab_rc ab_wait_for_event(ab_ctx *c, const char *event, const char *timeout, cJSON **payload);

/* --- live updates ------------------------------------------------------ */

/* Validates value against the update's schema, sends it to every connected
 * client and persists it (it gets a seq and is replayed to new clients).
 * Fires once per call site, on the first pass that reaches it. */
ab_rc ab_emit(ab_ctx *c, const char *update, const cJSON *value);

/* Like ab_emit, but live only: never persisted. */
ab_rc ab_broadcast(ab_ctx *c, const char *update, const cJSON *value);

/* --- inside step bodies ------------------------------------------------ */

/* Record why this attempt failed; return the result from the step body. */
ab_rc ab_fail(ab_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
ab_rc ab_fail_permanent(ab_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The number of the running attempt, from 1. */
int ab_attempt(const ab_ctx *c);

/* The instance id and the current time (epoch ms, from the host clock). */
const char *ab_instance_id(const ab_ctx *c);
double ab_now(const ab_ctx *c);

/* --- memory (released when the call returns) --------------------------- */

void *ab_alloc(ab_ctx *c, size_t n);
char *ab_printf(ab_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
